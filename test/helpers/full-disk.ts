import type * as fs from 'node:fs';

/** What {@link fullDisk} saw: the writes to the file, and a way to put `fs.write` back. */
export interface FullDisk {
  /** Each write to the file: the bytes asked for and those written (`-1`: failed ENOSPC). */
  writes: { asked: number; written: number }[];
  /** Whether some write was short and a later one failed: a batch left half in the file. */
  splitBatch: () => boolean;
  restore: () => void;
}

/**
 * Make the disk under `file` (which must exist) hold only `free` more bytes, as a full
 * disk does: a write to it that does not fit is short (the bytes that fit are written),
 * and the next one fails with ENOSPC. Writes to other files are untouched. It replaces
 * `fs.write` of the process (as `jest.spyOn` does), so the code under test must write
 * with `fs.write`; call `restore()` when done.
 */
export function fullDisk(file: string, free: number): FullDisk {
  const real = jest.requireActual<typeof fs>('node:fs');
  const write = real.write as (...args: unknown[]) => void;
  const target = real.statSync(file);
  let left = free;
  const writes: FullDisk['writes'] = [];
  const spy = jest.spyOn(real, 'write').mockImplementation(((...args: unknown[]) => {
    const [fd, buffer, offset, length, position, done] = args as [
      number,
      Buffer,
      number,
      number,
      number | null,
      (error: NodeJS.ErrnoException | null, written: number) => void,
    ];
    const stats = real.fstatSync(fd);
    if (typeof done !== 'function' || stats.ino !== target.ino || stats.dev !== target.dev)
      return write(...args);
    if (left === 0) {
      writes.push({ asked: length, written: -1 });
      const error = Object.assign(new Error('ENOSPC: no space left on device, write'), {
        code: 'ENOSPC',
        errno: -28,
        syscall: 'write',
      });
      return process.nextTick(done, error, 0);
    }
    const n = Math.min(left, length);
    left -= n;
    writes.push({ asked: length, written: n });
    write(fd, buffer, offset, n, position, done);
  }) as unknown as typeof fs.write);
  return {
    writes,
    splitBatch: () =>
      writes.some((w, i) => w.written >= 0 && w.written < w.asked && writes[i + 1]?.written === -1),
    restore: () => spy.mockRestore(),
  };
}
