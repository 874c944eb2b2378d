import * as fs from 'node:fs';
import * as os from 'node:os';
import { writeFailure } from '../files/write-atomic';

/**
 * Append one entry to a model's `changes.jsonl` (hand edits accepted, overrides saved):
 * one JSON line, written in one call on a file opened for appending, then flushed to disk.
 * A failure is WRITE_FAILED naming the file.
 */
export function appendChange(file: string, entry: object): void {
  try {
    const fd = fs.openSync(file, 'a');
    try {
      fs.writeSync(fd, JSON.stringify(entry) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    throw writeFailure(e, file);
  }
}

/** Who makes a change: `user@host` of this process. */
export function changeAuthor(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // no user name (e.g. a uid without a passwd entry)
  }
  return `${user}@${os.hostname()}`;
}
