#!/usr/bin/env node
'use strict';
// Failures of standard output (a full disk: WRITE_FAILED, exit 2; a closed pipe, as in
// `neurules predict ... | head`: a quiet exit 0) are handled by main(), in src/cli/main.ts.
require('../dist/cli/main.js')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
