import { type ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HAS_CLICKHOUSE } from '../helpers/clickhouse';

// scripts/clickhouse-cluster.sh, as CI and docs/sql.md use it: it stops its own servers
// however the folder is named, and never a process that is not one of them.

const SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'clickhouse-cluster.sh');
const itRuns = HAS_CLICKHOUSE || process.env.CI ? it : it.skip;

/** Run the script in `cwd`: its exit code and standard error. */
function script(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const options = { cwd, timeout: 90_000, env: { ...process.env, ...env } };
    execFile(SCRIPT, args, options, (error, _stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
}

let parent: string;
beforeEach(() => {
  parent = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-cluster-script-'));
});
afterEach(() => fs.rmSync(parent, { recursive: true, force: true }));

describe('scripts/clickhouse-cluster.sh', () => {
  itRuns(
    'a folder named relatively, with spaces: refuses a second start, stops both servers by that name',
    async () => {
      const dir = 'a cluster dir';
      expect(await script(['start', dir], parent)).toMatchObject({ code: 0 });
      const pidFiles = [1, 2].map((n) => path.join(parent, dir, `shard-${n}`, 'pid'));
      const pids = pidFiles.map((f) => Number(fs.readFileSync(f, 'utf8')));
      try {
        expect(pids.every(alive)).toBe(true);
        // Running twice: refused, the servers untouched.
        expect((await script(['start', dir], parent)).code).toBe(1);
        expect(pids.every(alive)).toBe(true);
        // Stopped by the same relative name (and a trailing slash): both servers end.
        expect(await script(['stop', `${dir}/`], parent)).toMatchObject({ code: 0 });
        for (const pid of pids) expect(await gone(pid)).toBe(true);
        expect(pidFiles.filter((f) => fs.existsSync(f))).toEqual([]);
      } finally {
        await script(['stop', path.join(parent, dir)], parent);
        for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
      }
    },
  );

  it('a stale PID file naming another process: that process is left running, the file removed', async () => {
    const shard = path.join(parent, 'c', 'shard-1');
    fs.mkdirSync(shard, { recursive: true });
    // A reused PID whose command line even names the shard's config file.
    const other: ChildProcess = spawn(
      process.execPath,
      ['-e', 'setTimeout(() => {}, 60000)', '--', `--config-file=${shard}/config.xml`],
      { stdio: 'ignore' },
    );
    try {
      fs.writeFileSync(path.join(shard, 'pid'), `${other.pid}\n`);
      expect(await script(['stop', path.join(parent, 'c')], parent)).toMatchObject({ code: 0 });
      expect(alive(other.pid!)).toBe(true);
      expect(fs.existsSync(path.join(shard, 'pid'))).toBe(false);
    } finally {
      if (other.exitCode === null && other.signalCode === null) {
        const exited = new Promise((r) => other.once('exit', r));
        other.kill('SIGKILL');
        await exited;
      }
    }
  });

  it('a server that cannot start: start fails at once, leaving no PID file (CI goes on)', async () => {
    const started = Date.now();
    const r = await script(['start', 'failing'], parent, {
      CLICKHOUSE_SERVER: '/bin/false',
      CLICKHOUSE_CLIENT: '/bin/false',
    });
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
    const shards = fs.readdirSync(path.join(parent, 'failing'));
    expect(shards.filter((s) => fs.existsSync(path.join(parent, 'failing', s, 'pid')))).toEqual([]);
  });

  it('stopping a folder that does not exist does nothing', async () => {
    expect(await script(['stop', 'no such folder'], parent)).toMatchObject({ code: 0 });
  });
});
