import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { isNeurulesError, type NeurulesError } from '../../src/errors';

/** Whether this machine can make FIFOs (`mkfifo`); FIFO tests are skipped, with a word, when not. */
export const HAS_MKFIFO = ((): boolean => {
  try {
    execFileSync('mkfifo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!HAS_MKFIFO) console.warn('mkfifo is missing: the FIFO tests are skipped');
export const withFifo = HAS_MKFIFO ? it : it.skip;

/** A FIFO test never blocks, or it fails within this (a blocked read is released by the guard). */
export const QUICK = 5000;

const guards: ChildProcess[] = [];
afterEach(() => {
  for (const g of guards.splice(0)) g.kill();
});

/**
 * Make a FIFO at `file`, with a guard: after `ms`, a child leaves a mark (see
 * {@link released}) and opens the FIFO for writing, releasing a reader stuck on it. Code
 * that wrongly blocks (even synchronously, which stops jest's own timeout) thus still
 * finishes, and the mark says it needed the release. Guards are killed after each test.
 */
export function fifo(file: string, ms = 4000): string {
  execFileSync('mkfifo', [file]);
  const script = `const fs = require('fs'); setTimeout(() => { fs.writeFileSync(process.argv[1] + '.released', ''); try { fs.writeFileSync(process.argv[1], ''); } catch {} }, ${ms});`;
  guards.push(spawn(process.execPath, ['-e', script, file], { stdio: 'ignore' }));
  return file;
}

/** Whether the guard of `file` had to release a blocked reader. */
export const released = (file: string): boolean => fs.existsSync(`${file}.released`);

/** The NeurulesError `p` rejects with. */
export async function rejection(p: Promise<unknown>): Promise<NeurulesError> {
  try {
    await p;
  } catch (e) {
    if (isNeurulesError(e)) return e;
    throw e;
  }
  throw new Error('expected a NeurulesError, but nothing was thrown');
}
