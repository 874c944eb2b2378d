#!/usr/bin/env node
'use strict';
// A closed pipe (`neurules predict ... | head`) is a normal way for a reader to stop.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
require('../dist/cli/main.js')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
