import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'clickhouse-cluster.sh');
const SERVER = ['/usr/sbin/clickhouse-server', '/usr/bin/clickhouse-server'];

/** A shard of the cluster: where its native (TCP) and HTTP interfaces listen. */
export interface ClickHouseShard {
  host: string;
  tcp: number;
  http: number;
}

/** A two-shard ClickHouse cluster (`scripts/clickhouse-cluster.sh`), queried over HTTP. */
export interface ClickHouseCluster {
  /** The cluster's name in `remote_servers` (the first argument of `Distributed`). */
  name: string;
  shards: ClickHouseShard[];
  /** Run `sql` on shard `shard` (its body `body`, e.g. rows to insert); its answer's text. */
  query(sql: string, shard?: number, body?: string): Promise<string>;
  /** Stop the cluster this helper started (by PID); one CI started is left running. */
  stop(): Promise<void>;
}

/** Whether Debian's clickhouse-server is installed here. */
export const HAS_CLICKHOUSE = SERVER.some((s) => fs.existsSync(s));

/**
 * The cluster of `NEURULES_CLICKHOUSE` (the folder `scripts/clickhouse-cluster.sh start`
 * was given; CI starts one, `.ci/run`), else a new one in a temporary folder. Returns why
 * not when there is no clickhouse-server here: with CI set that is an error, not a skip.
 */
export async function startClickHouse(): Promise<ClickHouseCluster | { missing: string }> {
  const given = process.env.NEURULES_CLICKHOUSE;
  if (given) return clusterIn(given, async () => undefined);
  if (!HAS_CLICKHOUSE) {
    const why = 'clickhouse-server is not installed (Debian package clickhouse-server)';
    if (process.env.CI) throw new Error(`${why}; CI installs it in .ci/run`);
    return { missing: why };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-clickhouse-'));
  const run = (verb: string) => promisify(execFile)(SCRIPT, [verb, dir], { timeout: 90_000 });
  try {
    await run('start');
  } catch (error) {
    await run('stop').catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return clusterIn(dir, async () => {
    await run('stop');
    fs.rmSync(dir, { recursive: true, force: true });
  });
}

function clusterIn(dir: string, stop: () => Promise<void>): ClickHouseCluster {
  const { cluster, shards } = JSON.parse(
    fs.readFileSync(path.join(dir, 'cluster.json'), 'utf8'),
  ) as { cluster: string; shards: ClickHouseShard[] };
  return {
    name: cluster,
    shards,
    query: (sql, shard = 0, body) => post(shards[shard]!, sql, body),
    stop,
  };
}

/** One request, no keep-alive (no socket outlives the test). */
function post(shard: ClickHouseShard, sql: string, body?: string): Promise<string> {
  const query = body === undefined ? '' : `?query=${encodeURIComponent(sql)}`;
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: shard.host, port: shard.http, path: `/${query}`, method: 'POST', agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (response.statusCode === 200) resolve(text);
          else reject(new Error(`ClickHouse answered ${response.statusCode}: ${text}`));
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body ?? sql);
  });
}

/** A table's cells as ClickHouse's TabSeparated rows (NULL as `\N`, escapes for the rest). */
export function tabSeparated(rows: (string | null)[][]): string {
  const cell = (v: string | null): string =>
    v === null
      ? '\\N'
      : v.replace(
          /[\\\t\n\r]/g,
          (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!,
        );
  return rows.map((r) => `${r.map(cell).join('\t')}\n`).join('');
}
