/**
 * HTTP service bench: `neurules serve`'s app on loopback, loaded with autocannon from the
 * same process (bounded: a fixed duration per case, 127.0.0.1 only).
 *
 *   npm run bench:service [-- --model german-credit --seconds 10]
 *
 * Reports requests/s and p50 / p99 latency for single predictions, and decisions/s
 * through the array endpoint (100 records per request).
 */
import autocannon from 'autocannon';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { readRecords } from '../src/data/read-records';
import { loadModelFiles } from '../src/artifacts/model-store';
import { createApp } from '../src/server/create-app';

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
  const app = await createApp({
    model: loc.name,
    modelsDir: loc.modelsDir,
    rulesDir: loc.rulesDir,
    network: false,
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const duration = Number(values.seconds);
  const connections = Number(values.connections);
  const run = (body: string) =>
    autocannon({
      url: `${url}/v1/predict`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duration,
      connections,
    });
  process.stdout.write(
    `service bench: model ${values.model}, ${connections} connections, ${duration} s per case, loopback\n\n`,
  );
  const single = await run(JSON.stringify(records[1]));
  process.stdout.write(
    `single record:  ${single.requests.average.toFixed(0)} requests/s, p50 ${single.latency.p50} ms, p99 ${single.latency.p99} ms, errors ${single.errors + single.non2xx}\n`,
  );
  const batch = records.slice(0, 100);
  const many = await run(JSON.stringify(batch));
  process.stdout.write(
    `100 per request: ${many.requests.average.toFixed(0)} requests/s = ${(many.requests.average * batch.length).toFixed(0)} decisions/s, p50 ${many.latency.p50} ms, p99 ${many.latency.p99} ms, errors ${many.errors + many.non2xx}\n`,
  );
  await app.close();
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
