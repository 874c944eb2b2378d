import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The one naming scheme of neurules' temporary files, and their clean-up.
 *
 * - **Beside a target** (so the rename over it stays in one file system): `.NAME.PID.tmp`,
 *   hidden, where NAME is the target's file name and PID this process's; a second
 *   temporary file of the same target at once in one process (atomic writes of one file
 *   racing each other) is `.NAME.PID.K.tmp`. A Parquet output converted from it adds
 *   `.parquet`.
 * - **In the system's temporary folder** (an output that cannot be made beside its target:
 *   a FIFO, a device, a stream; DuckDB's decided rows): `neurules-PURPOSE-PID-RANDOM.EXT`.
 *
 * Both carry the PID, so a run killed outright (SIGKILL, a power cut), which cannot remove
 * its own, leaves files that the next run finds and removes once that process is gone.
 */

/** True when a process with this id runs on this machine (EPERM: it runs as someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The temporary files beside targets this process has open now, by path. */
const inUse = new Set<string>();

/**
 * A temporary file beside `target` for this process (see the scheme above), reserved until
 * {@link releaseTemporaryFile}: a second call for the same target before then gets the
 * next free `.NAME.PID.K.tmp`.
 */
export function temporaryFileBeside(target: string): string {
  const base = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}`);
  let file = `${base}.tmp`;
  for (let k = 1; inUse.has(file); k++) file = `${base}.${k}.tmp`;
  inUse.add(file);
  return file;
}

/** Give back a name from {@link temporaryFileBeside} (whether or not its file is still there). */
export function releaseTemporaryFile(file: string): void {
  inUse.delete(file);
}

/**
 * Remove the temporary files beside `target` (see {@link temporaryFileBeside}) whose
 * process is no longer alive.
 */
export function removeStaleTemporaryFiles(target: string): void {
  const prefix = `.${path.basename(target)}.`;
  removeFilesOfDeadProcesses(path.dirname(target), (name) => {
    if (!name.startsWith(prefix)) return undefined;
    return /^(\d+)(?:\.\d+)?\.tmp(?:\.parquet)?$/.exec(name.slice(prefix.length))?.[1];
  });
}

/**
 * A fresh file name in the system's temporary folder for `purpose` (a word: `output`,
 * `rows`), `neurules-PURPOSE-PID-RANDOM` then `ext`; the files of dead processes with such
 * names are removed first.
 */
export function scratchFile(purpose: string, ext: string): string {
  const pattern = new RegExp(`^neurules-${purpose}-(\\d+)-[0-9a-f]+(?:\\.[a-z]+)*$`);
  removeFilesOfDeadProcesses(os.tmpdir(), (name) => pattern.exec(name)?.[1]);
  return path.join(
    os.tmpdir(),
    `neurules-${purpose}-${process.pid}-${randomBytes(6).toString('hex')}${ext}`,
  );
}

/**
 * Remove the files of `dir` that name a process (`pidOf` gives the PID's text from a file
 * name, or undefined for other files) that is no longer alive. A file of a live process
 * is left alone, and so is one whose process cannot be asked (`EPERM`: alive, another
 * user's). A PID reused since is taken for alive: the file then stays until a later run,
 * never is a live run's removed.
 */
export function removeFilesOfDeadProcesses(
  dir: string,
  pidOf: (name: string) => string | undefined,
): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return; // no such directory yet: creating the output reports it
  }
  for (const name of names) {
    const pidText = pidOf(name);
    if (pidText === undefined || !/^[1-9]\d{0,9}$/.test(pidText)) continue;
    const pid = Number(pidText);
    // No process has a PID past 2^31 - 1 (process.kill refuses one): not a file of ours.
    if (pid > 0x7fffffff || pid === process.pid || processAlive(pid)) continue;
    try {
      fs.rmSync(path.join(dir, name), { force: true });
    } catch {
      // Not ours to insist on: the run goes on and writes its own temporary file.
    }
  }
}
