/**
 * Replicas bench: throughput of `neurules serve` alone, of one replica behind haproxy (to
 * see haproxy's own cost), and of two replicas behind haproxy (roundrobin), side by side in
 * one run, loaded with autocannon from this process (bounded: a fixed duration per case,
 * 127.0.0.1 only). haproxy runs the configuration docs/deploy.md shows (test/helpers/haproxy.ts).
 *
 *   npm run bench:replicas [-- --seconds 5 --rounds 3 --connections 16 --log off|on]
 *
 * Each case sends the same single-record request, then 100 records per request. The three
 * cases run in turn, `--rounds` times over, so a neighbour's load on a shared machine falls
 * on all of them alike; the report gives each case's mean and its range over the rounds. Every
 * replica is its own process (`--no-network`), with its own decision log in a temporary
 * folder when `--log on`. On a machine with few cores the replicas, haproxy and the load
 * generator share them: the report prints how many there are.
 */
import autocannon from 'autocannon';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { haproxyMissing, haproxyPath, startHaproxy, type Haproxy } from '../test/helpers/haproxy';
import { modelArgs, repositoryRoot, startReplica, type Replica } from '../test/helpers/replica';
import { modelRecords } from './model-records';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'german-credit' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '16' },
    log: { type: 'string', default: 'off' },
  },
});

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function main(): Promise<void> {
  if (!haproxyPath) throw new Error(haproxyMissing);
  if (values.log !== 'on' && values.log !== 'off') throw new Error('--log is on or off');
  const root = repositoryRoot();
  const { loc, records } = modelRecords(root, values.model!);
  const duration = Number(values.seconds);
  const connections = Number(values.connections);
  const rounds = Number(values.rounds);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-bench-replicas-'));
  const cpus = os.cpus();
  process.stdout.write(
    `replicas bench: model ${values.model}, ${connections} connections, ${duration} s per case, ${rounds} rounds, decision log ${values.log}, loopback; ` +
      `${cpus[0]?.model.trim() ?? 'cpu'}, ${cpus.length} cores shared by the replicas, haproxy and the load generator (this process), load average ${os.loadavg()[0]!.toFixed(2)} before the run, node ${process.version}\n`,
  );
  const replicas: Replica[] = [];
  let proxy: Haproxy | undefined;
  try {
    for (const name of ['r1', 'r2'])
      replicas.push(
        await startReplica(name, [
          ...modelArgs(loc),
          ...(values.log === 'on' ? ['--decision-log', path.join(dir, `${name}.jsonl`)] : []),
        ]),
      );
    const bodies = [
      { what: 'single record', body: JSON.stringify(records[1]), per: 1 },
      { what: '100 per request', body: JSON.stringify(records.slice(0, 100)), per: 100 },
    ];
    const run = async (url: string, body: string): Promise<Figures> => {
      const r = await autocannon({
        url: `${url}/v1/predict`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        duration,
        connections,
      });
      return {
        rps: r.requests.average,
        p50: r.latency.p50,
        p99: r.latency.p99,
        errors: r.errors + r.non2xx,
      };
    };
    const cases: [string, number[]][] = [
      ['one replica alone', []],
      ['one replica behind haproxy', [replicas[0]!.port]],
      ['two replicas behind haproxy', [replicas[0]!.port, replicas[1]!.port]],
    ];
    // results[case][body]: the figures of each round.
    const results = cases.map(() => bodies.map((): Figures[] => []));
    for (let round = 0; round < rounds; round++) {
      for (const [c, [, ports]] of cases.entries()) {
        proxy = ports.length > 0 ? await startHaproxy(dir, ports) : undefined;
        const url = proxy?.url ?? replicas[0]!.url;
        for (const [i, b] of bodies.entries()) results[c]![i]!.push(await run(url, b.body));
        await proxy?.stop();
        proxy = undefined;
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
    for (const [i, b] of bodies.entries()) {
      process.stdout.write(`\n${b.what}:\n`);
      const alone = mean(results[0]![i]!.map((f) => f.rps));
      for (const [c, [name]] of cases.entries()) {
        const runs = results[c]![i]!;
        const rps = runs.map((f) => f.rps);
        const decisions = b.per > 1 ? ` = ${(mean(rps) * b.per).toFixed(0)} decisions/s` : '';
        process.stdout.write(
          `  ${name.padEnd(28)} ${mean(rps).toFixed(0).padStart(6)} requests/s${decisions} (rounds ${Math.min(...rps).toFixed(0)}–${Math.max(...rps).toFixed(0)}; ${(mean(rps) / alone).toFixed(2)}× alone), ` +
            `p50 ${mean(runs.map((f) => f.p50)).toFixed(1)} ms, p99 ${mean(runs.map((f) => f.p99)).toFixed(1)} ms, errors ${runs.reduce((a, f) => a + f.errors, 0)}\n`,
        );
      }
    }
  } finally {
    await proxy?.stop();
    await Promise.all(replicas.map((r) => r.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
