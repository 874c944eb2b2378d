/**
 * HTTP service bench: `neurules serve` in its own process on loopback, loaded with
 * autocannon from this process (bounded: a fixed duration per case, 127.0.0.1 only).
 *
 *   npm run bench:service [-- --model german-credit --seconds 10]
 *
 * Reports requests/s and p50 / p99 latency for single predictions, with and without
 * `?explain=true`, and decisions/s through the array endpoint (100 records per request).
 */
import autocannon from 'autocannon';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { readRecords } from '../src/data/read-records';
import { loadModelFiles } from '../src/artifacts/model-store';
import { spawn } from 'node:child_process';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'german-credit' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
  },
});

async function main(): Promise<void> {
  const root = path.join(__dirname, '..', '..');
  const loc = {
    modelsDir: path.join(root, 'models'),
    rulesDir: path.join(root, 'rules'),
    name: values.model!,
  };
  const { schema } = loadModelFiles(loc);
  const { records } = readRecords(path.join(root, 'data', `${values.model}.csv`), schema);
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
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    server.stderr.on('data', (d) => {
      text += String(d);
      const m = /on (http:\/\/\S+)/.exec(text);
      if (m) resolve(m[1]!);
    });
    server.on('exit', () => reject(new Error(`the server exited: ${text}`)));
  });
  const duration = Number(values.seconds);
  const connections = Number(values.connections);
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
    `service bench: model ${values.model}, server in its own process, ${connections} connections, ${duration} s per case, loopback\n\n`,
  );
  const single = await run(JSON.stringify(records[1]));
  process.stdout.write(
    `single record:  ${single.requests.average.toFixed(0)} requests/s, p50 ${single.latency.p50} ms, p99 ${single.latency.p99} ms, errors ${single.errors + single.non2xx}\n`,
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
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
