/**
 * Streaming prediction bench: writes a large CSV (the German credit rows repeated, default
 * 1 GB) to a temporary directory, runs `neurules predict` on it as a child process with
 * output to a file, and reports records/s and the child's peak resident memory (maxRSS),
 * next to the same run on the 1,000-row file: equal peaks mean constant memory.
 *
 *   npm run bench:predict [-- --megabytes 1024]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { megabytes: { type: 'string', default: '1024' } } });

function run(input: string, output: string): { seconds: number; maxRssMb: number; stderr: string } {
  const root = path.join(__dirname, '..', '..');
  const t = process.hrtime.bigint();
  const child = spawnSync(
    process.execPath,
    [
      path.join(root, 'bin', 'neurules.js'),
      'predict',
      '--model',
      'german-credit',
      '--input',
      input,
      '--output',
      output,
      '--models-dir',
      path.join(root, 'models'),
      '--rules-dir',
      path.join(root, 'rules'),
    ],
    { encoding: 'utf8' },
  );
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (child.status !== 0) throw new Error(child.stderr);
  // The summary line states the process's own peak resident memory.
  const peak = /peak memory (\d+) MB/.exec(child.stderr);
  return { seconds, maxRssMb: peak ? Number(peak[1]) : NaN, stderr: child.stderr.trim() };
}

function main(): void {
  const root = path.join(__dirname, '..', '..');
  const source = fs
    .readFileSync(path.join(root, 'data', 'german-credit.csv'), 'utf8')
    .trim()
    .split('\n');
  const header = source[0]!;
  const body = source.slice(1).join('\n') + '\n';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-stream-'));
  try {
    const big = path.join(dir, 'big.csv');
    const target = Number(values.megabytes) * 1024 * 1024;
    const fd = fs.openSync(big, 'w');
    fs.writeSync(fd, header + '\n');
    let size = header.length + 1;
    const chunk = body.repeat(50);
    while (size < target) {
      fs.writeSync(fd, chunk);
      size += Buffer.byteLength(chunk);
    }
    fs.closeSync(fd);
    const small = run(path.join(root, 'data', 'german-credit.csv'), path.join(dir, 'small.jsonl'));
    const large = run(big, path.join(dir, 'big.jsonl'));
    const rows = Number(/predicted (\d+) records/.exec(large.stderr)?.[1] ?? NaN);
    process.stdout.write(
      [
        `streaming predict bench (compiled engine), machine ${os.cpus()[0]?.model ?? '?'}, node ${process.version}`,
        '',
        '| input | rows | time (s) | records/s | peak RSS (MB) |',
        '|---|---:|---:|---:|---:|',
        `| german-credit.csv (137 KB) | 1,000 | ${small.seconds.toFixed(1)} | ${(1000 / small.seconds).toFixed(0)} | ${small.maxRssMb.toFixed(0)} |`,
        `| repeated (${(fs.statSync(big).size / 1024 / 1024).toFixed(0)} MB) | ${Math.round(rows).toLocaleString('en')} | ${large.seconds.toFixed(1)} | ${(rows / large.seconds).toFixed(0)} | ${large.maxRssMb.toFixed(0)} |`,
        '',
        `last summary: ${large.stderr.split('\n').pop()}`,
        '',
      ].join('\n'),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
