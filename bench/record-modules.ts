/**
 * Preload for the cold-start bench: `node -r build/bench/record-modules.js ...` writes, when
 * the process exits, the file of every module it loaded (the keys of `require.cache`, which
 * also holds CommonJS packages reached through `import()`), one per line, to the file named
 * by NEURULES_BENCH_MODULES. It costs nothing else, and the timed runs go without it.
 */
import * as fs from 'node:fs';

const out = process.env.NEURULES_BENCH_MODULES;
if (out) process.on('exit', () => fs.writeFileSync(out, Object.keys(require.cache).join('\n')));
