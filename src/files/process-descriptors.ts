import * as fs from 'node:fs';

/**
 * What Linux's `/proc` says of a process's open descriptors: how one was opened, and which
 * of them hold the same pipe. An output named `/proc/PID/fd/N` (or `/dev/fd/N`,
 * `/dev/stdout`) is checked with these before anything is written, so that it never goes
 * into a pipe the process reads itself (see `outputTarget`).
 */

/** `O_ACCMODE`: the bits of an open's flags that say read, write or both. */
const ACCESS_MODE = 0o3;

/** How a descriptor was opened: for reading, for writing, or both. */
export type AccessMode = 'read' | 'write' | 'read-write';

/**
 * How descriptor `fd` of process `pid` was opened, from the `flags:` line (octal) of
 * `/proc/PID/fdinfo/FD`; undefined when it cannot be read (closed since, another user's
 * process, no `/proc`).
 */
export function accessMode(pid: number, fd: number | string): AccessMode | undefined {
  let info: string;
  try {
    info = fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
  } catch {
    return undefined;
  }
  const flags = /^flags:\s*([0-7]+)$/m.exec(info)?.[1];
  if (flags === undefined) return undefined;
  const mode = parseInt(flags, 8) & ACCESS_MODE;
  return mode === fs.constants.O_RDONLY
    ? 'read'
    : mode === fs.constants.O_WRONLY
      ? 'write'
      : 'read-write';
}

/**
 * Whether process `pid` holds both ends of the anonymous pipe its descriptors show as
 * `link` (`pipe:[INODE]`): one of its descriptors reads it and one writes it. Such a pipe
 * is the process's own channel to itself (Node and libuv wake their threads and pass
 * signals through them): what is written into it is read back by the process as a command,
 * and once it is full a writer waits on the very process that should empty it.
 * Descriptors that close while they are looked at are passed over; a process whose
 * descriptors cannot be listed throws the file system's error (EACCES: another user's).
 */
export function holdsBothEnds(pid: number, link: string): boolean {
  let reads = false;
  let writes = false;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    let text: string;
    try {
      text = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed since it was listed
    }
    if (text !== link) continue;
    const mode = accessMode(pid, fd);
    if (mode === 'read' || mode === 'read-write') reads = true;
    if (mode === 'write' || mode === 'read-write') writes = true;
    if (reads && writes) return true;
  }
  return false;
}

/** True for the text of a descriptor link that names an anonymous pipe (`pipe:[123]`). */
export function isAnonymousPipe(link: string): boolean {
  return /^pipe:\[\d+\]$/.test(link);
}
