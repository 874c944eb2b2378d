import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NeurulesError } from '../errors';
import { writeFailure } from '../files/write-atomic';
import { processAlive } from '../files/temporary-files';

/** What a lock file holds: who took it, and when. */
export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
  /** What the owner is doing ('build', 'rules accept'). */
  purpose: string;
}

/** A held lock; `release()` removes its file (once; later calls do nothing). */
export interface ModelLock {
  readonly file: string;
  release(): void;
}

/**
 * Take the lock of one model: create `dir/.lock` exclusively (O_EXCL), holding the owner's
 * process id, host and start time. A lock left by a dead process of this host is removed
 * and taken; a live owner (or one on another host, which cannot be checked) makes this
 * MODEL_LOCKED, naming the owner and the lock file. `dir` is created if needed; a file in
 * its way is NOT_A_DIRECTORY.
 */
export function lockModel(dir: string, purpose: string): ModelLock {
  const parent = path.dirname(dir);
  const madeParent = !fs.existsSync(parent);
  ensureDirectory(parent, 'models folder');
  ensureDirectory(dir, 'model folder');
  const file = path.join(dir, '.lock');
  const owner: LockOwner = {
    pid: process.pid,
    host: os.hostname(),
    startedAt: new Date().toISOString(),
    purpose,
  };
  for (let attempt = 0; ; attempt++) {
    try {
      // Again each time: a run that just released its lock removes the folder if empty.
      fs.mkdirSync(dir, { recursive: true });
      const fd = fs.openSync(file, 'wx');
      try {
        fs.writeSync(fd, JSON.stringify(owner) + '\n');
      } finally {
        fs.closeSync(fd);
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw writeFailure(e, file);
      const held = readOwner(file);
      const stale =
        held === undefined
          ? staleUnreadable(file)
          : held.host === owner.host && !processAlive(held.pid);
      if (!stale || attempt > 0) {
        const who = held
          ? `process ${held.pid} on ${held.host} (${held.purpose}, since ${held.startedAt})`
          : 'another process';
        throw new NeurulesError(
          'MODEL_LOCKED',
          `model folder ${dir} is locked by ${who}; wait for it to finish (a lock of a process that died is removed by the next run on ${owner.host})`,
          { file },
        );
      }
      fs.rmSync(file, { force: true });
    }
  }
  let released = false;
  return {
    file,
    release(): void {
      if (released) return;
      released = true;
      fs.rmSync(file, { force: true });
      // A build that failed before writing anything leaves no empty model folder behind.
      try {
        fs.rmdirSync(dir);
        if (madeParent) fs.rmdirSync(parent);
      } catch {
        // not empty: the model is there
      }
    },
  };
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockOwner>;
    if (typeof v.pid === 'number' && typeof v.host === 'string') {
      return {
        pid: v.pid,
        host: v.host,
        startedAt: String(v.startedAt),
        purpose: String(v.purpose),
      };
    }
  } catch {
    // empty or damaged: see staleUnreadable
  }
  return undefined;
}

/**
 * A lock file that cannot be read is either being written this instant (its owner created
 * it and has not written its line yet) or was left empty by a crash: stale once it is a
 * few seconds old.
 */
function staleUnreadable(file: string): boolean {
  try {
    return Date.now() - fs.statSync(file).mtimeMs > 5000;
  } catch {
    return true;
  }
}

/** A folder that is there must be a folder: a file in its way is NOT_A_DIRECTORY. */
export function checkDirectory(dir: string, what: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    return; // made when it is first written to
  }
  if (!stat.isDirectory()) {
    throw new NeurulesError(
      'NOT_A_DIRECTORY',
      `expected ${what} ${dir} to be a folder, found a file`,
      {
        file: dir,
      },
    );
  }
}

/** Create `dir` if needed; a non-folder in its way is NOT_A_DIRECTORY naming it. */
export function ensureDirectory(dir: string, what: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new NeurulesError(
        'NOT_A_DIRECTORY',
        `expected ${what} ${dir} to be a folder, found a file (or a file in its path)`,
        { file: dir },
      );
    }
    throw writeFailure(e, dir);
  }
}
