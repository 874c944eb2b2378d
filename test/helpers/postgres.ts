import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';

/** A throw-away PostgreSQL cluster on a Unix socket, for the tests that run SQL in it. */
export interface Postgres {
  client: Client;
  stop(): Promise<void>;
}

/** The `bin` folder of Debian's newest PostgreSQL (package `postgresql`), if installed. */
function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return undefined;
  const versions = fs
    .readdirSync(root)
    .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] && path.join(root, versions[0], 'bin');
}

/** Whether PostgreSQL is installed here (tests that need it are skipped, with a word, if not). */
export const HAS_POSTGRES = postgresBin() !== undefined;
if (!HAS_POSTGRES && !process.env.CI)
  console.warn(
    'PostgreSQL is not installed (Debian package postgresql): its SQL tests are skipped',
  );

/**
 * Start a cluster in a new temporary folder (PostgreSQL refuses to run as root, so as
 * root it runs as the `postgres` user), listening on a socket in that folder only.
 * Returns why not when there is no PostgreSQL here: CI installs it (`.ci/run`), so with
 * CI set a missing server is an error rather than a skip.
 */
export async function startPostgres(): Promise<Postgres | { missing: string }> {
  const bin = postgresBin();
  if (!bin) {
    const why = 'PostgreSQL is not installed (Debian package postgresql)';
    if (process.env.CI) throw new Error(`${why}; CI installs it in .ci/run`);
    return { missing: why };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-pg-'));
  const asRoot = process.getuid?.() === 0;
  const run = (tool: string, args: string[]): void => {
    const [cmd, all] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args]]
      : [path.join(bin, tool), args];
    execFileSync(cmd as string, all as string[], { stdio: 'ignore', timeout: 60_000 });
  };
  if (asRoot) execFileSync('chown', ['postgres', dir]);
  const data = path.join(dir, 'data');
  const port = String(20000 + (process.pid % 20000));
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres']);
  run('pg_ctl', [
    '-D',
    data,
    '-w',
    '-l',
    path.join(dir, 'log'),
    '-o',
    `-k ${dir} -p ${port} -c listen_addresses=''`,
    'start',
  ]);
  const client = new Client({
    host: dir,
    port: Number(port),
    user: 'postgres',
    database: 'postgres',
  });
  await client.connect();
  return {
    client,
    async stop() {
      await client.end();
      run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
