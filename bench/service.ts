/**
 * HTTP service bench: `neurules serve` in its own process on loopback, loaded with
 * autocannon from this process (bounded: a fixed duration per case, 127.0.0.1 only).
 *
 *   npm run bench:service [-- --model german-credit --seconds 10 --log both|off|on]
 *                            [--shadow OTHER --models-dir DIR --rules-dir DIR]
 *
 * Reports requests/s and p50 / p99 latency for single predictions, with and without
 * `?explain=true`, and decisions/s through the array endpoint (100 records per request);
 * each case without and then with `--decision-log` (a file in the temporary folder, which
 * every answer waits for), one server process at a time, side by side in one run. First,
 * the ceiling of this machine: the same single-record request to a bare fastify route that
 * answers a constant (no neurules at all), through the same client. With `--shadow OTHER`
 * (a challenger: a model in the same folders, or an archived rule-set hash), each case runs
 * twice, without and then with `serve --shadow OTHER`, one server process at a time.
 */
import autocannon from 'autocannon';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { modelRecords } from './model-records';
import { openChallenger } from '../src/pipeline/open-challenger';
import { spawn } from 'node:child_process';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'german-credit' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    log: { type: 'string', default: 'both' },
    shadow: { type: 'string' },
    'models-dir': { type: 'string' },
    'rules-dir': { type: 'string' },
  },
});

async function main(): Promise<void> {
  const root = path.join(__dirname, '..', '..');
  const { loc, schema, records } = modelRecords(root, values.model!, {
    ...(values['models-dir'] !== undefined && { modelsDir: values['models-dir'] }),
    ...(values['rules-dir'] !== undefined && { rulesDir: values['rules-dir'] }),
  });
  const duration = Number(values.seconds);
  const connections = Number(values.connections);
  const modes = values.log === 'both' ? ['off', 'on'] : [values.log!];
  process.stdout.write(
    `service bench: model ${values.model}, server in its own process, ${connections} connections, ${duration} s per case, loopback, ${os.cpus().length} cores, node ${process.version}\n`,
  );
  // The ceiling: fastify alone, same request, same client, same connections.
  const bare = spawn(
    process.execPath,
    [
      '-e',
      `const f = require(${JSON.stringify(require.resolve('fastify'))})();
       f.post('/v1/predict', async () => ({ class: 'good', ruleId: 'R01' }));
       f.listen({ port: 0, host: '127.0.0.1' }).then((a) => process.stderr.write('on ' + a + '\\n'));`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const bareUrl = await listening(bare);
  const ceiling = await autocannon({
    url: `${bareUrl}/v1/predict`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(records[1]),
    duration,
    connections,
  });
  bare.kill();
  process.stdout.write(
    `\nfastify alone (a route answering a constant; the ceiling here): ${ceiling.requests.average.toFixed(0)} requests/s, p50 ${ceiling.latency.p50} ms, p99 ${ceiling.latency.p99} ms\n`,
  );
  if (values.shadow) {
    // What the challenger adds to each answer, alone: deciding the request's records once
    // more (the compiled evaluator, in this process, on the same records).
    const challenger = await openChallenger(loc, values.shadow, schema);
    const start = process.hrtime.bigint();
    let n = 0;
    while (process.hrtime.bigint() - start < 2_000_000_000n) {
      for (const r of records) challenger.decider.decide(r);
      n += records.length;
    }
    const ns = Number(process.hrtime.bigint() - start) / n;
    process.stdout.write(
      `the challenger alone (${values.shadow}, rule set ${challenger.ruleSetHash.slice(0, 12)}): ${(ns / 1000).toFixed(2)} µs per record decided (${n} decisions in 2 s, in this process)\n`,
    );
  }
  const variants: (string | undefined)[] = values.shadow ? [undefined, values.shadow] : [undefined];
  for (const mode of modes)
    for (const shadow of variants) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-bench-service-'));
      const logFile = path.join(dir, 'decisions.jsonl');
      const server = spawn(
        process.execPath,
        [
          path.join(root, 'bin', 'neurules.js'),
          'serve',
          '--model',
          loc.name,
          '--port',
          '0',
          '--no-network',
          '--models-dir',
          loc.modelsDir,
          '--rules-dir',
          loc.rulesDir,
          ...(mode === 'on' ? ['--decision-log', logFile] : []),
          ...(shadow !== undefined ? ['--shadow', shadow] : []),
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      const exited = new Promise<number | null>((resolve) => server.on('exit', resolve));
      const url = await listening(server);
      const run = (body: string, query = '') =>
        autocannon({
          url: `${url}/v1/predict${query}`,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          duration,
          connections,
        });
      process.stdout.write(
        (mode === 'on'
          ? `\ndecision log on (${logFile}; every answer waits for its lines to be written)`
          : '\ndecision log off') +
          (values.shadow
            ? shadow !== undefined
              ? `, with --shadow ${shadow}:\n`
              : ', without --shadow:\n'
            : ':\n'),
      );
      const single = await run(JSON.stringify(records[1]));
      process.stdout.write(
        `single record:  ${single.requests.average.toFixed(0)} requests/s (${((100 * single.requests.average) / ceiling.requests.average).toFixed(0)}% of fastify alone), p50 ${single.latency.p50} ms, p99 ${single.latency.p99} ms, errors ${single.errors + single.non2xx}\n`,
      );
      const explained = await run(JSON.stringify(records[1]), '?explain=true');
      process.stdout.write(
        `single, ?explain=true (reasons + counterfactuals, no network): ${explained.requests.average.toFixed(0)} requests/s, p50 ${explained.latency.p50} ms, p99 ${explained.latency.p99} ms, errors ${explained.errors + explained.non2xx}\n`,
      );
      const batch = records.slice(0, 100);
      const many = await run(JSON.stringify(batch));
      process.stdout.write(
        `100 per request: ${many.requests.average.toFixed(0)} requests/s = ${(many.requests.average * batch.length).toFixed(0)} decisions/s, p50 ${many.latency.p50} ms, p99 ${many.latency.p99} ms, errors ${many.errors + many.non2xx}\n`,
      );
      server.kill('SIGTERM');
      await exited;
      if (mode === 'on') {
        // Every answered decision has its line (a few more lines than answers: requests
        // autocannon stopped waiting for at the end of a case were still decided and logged).
        const answered = single['2xx'] + explained['2xx'] + many['2xx'] * batch.length;
        let lines = 0;
        for await (const chunk of fs.createReadStream(logFile) as AsyncIterable<Buffer>)
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
        const mb = fs.statSync(logFile).size / 1e6;
        process.stdout.write(
          `decision log: ${lines} lines (${mb.toFixed(0)} MB) for ${answered} decisions answered\n`,
        );
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** The address a server prints on standard error (`... on http://...`). */
function listening(child: ReturnType<typeof spawn>): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let text = '';
    child.stderr!.on('data', (d) => {
      text += String(d);
      const m = /on (http:\/\/\S+)/.exec(text);
      if (m) resolve(m[1]!);
    });
    child.on('exit', () => reject(new Error(`the server exited: ${text}`)));
  });
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
