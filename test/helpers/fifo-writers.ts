import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';

const guards: ChildProcess[] = [];
afterEach(() => {
  for (const g of guards.splice(0)) g.kill();
});

/**
 * Make a FIFO at `file` for code that should refuse to write to it, with a guard: after
 * `ms`, a child leaves a mark (see {@link releasedWriter}) and opens the FIFO for reading,
 * which releases a writer wrongly blocked in `open` (even a synchronous one, which stops
 * jest's own timeout). The reading counterpart of `fifo()` in `fifo.ts`; guards are killed
 * after each test.
 */
export function fifoForWriters(file: string, ms = 4000): string {
  execFileSync('mkfifo', [file]);
  const script =
    "const fs = require('fs'); setTimeout(() => { fs.writeFileSync(process.argv[1] + '.released', ''); " +
    'const fd = fs.openSync(process.argv[1], fs.constants.O_RDONLY | fs.constants.O_NONBLOCK); ' +
    `setTimeout(() => fs.closeSync(fd), 1000); }, ${ms});`;
  guards.push(spawn(process.execPath, ['-e', script, file], { stdio: 'ignore' }));
  return file;
}

/** Whether the guard of `file` had to release a blocked writer. */
export const releasedWriter = (file: string): boolean => fs.existsSync(`${file}.released`);
