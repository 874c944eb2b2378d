import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Write a file atomically: write a temporary file beside it, then rename it over the
 * target, so a reader (or a crash) never sees a half-written file.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Replace a whole directory atomically: `fill` writes into a fresh temporary directory
 * beside `dir`; only when it returns is the old directory swapped out for the new one.
 * If `fill` throws, nothing at `dir` changes and the temporary directory is removed.
 */
export async function replaceDirAtomic(
  dir: string,
  fill: (tmpDir: string) => Promise<void> | void,
): Promise<void> {
  const parent = path.dirname(path.resolve(dir));
  fs.mkdirSync(parent, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(dir)}.tmp-`));
  try {
    // mkdtemp makes the directory private (0700); give it the usual permissions.
    fs.chmodSync(tmp, 0o777 & ~process.umask());
    await fill(tmp);
    const old = fs.existsSync(dir) ? `${tmp}.old` : undefined;
    if (old) fs.renameSync(dir, old);
    fs.renameSync(tmp, dir);
    if (old) fs.rmSync(old, { recursive: true, force: true });
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
