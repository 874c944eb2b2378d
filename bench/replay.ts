/**
 * Replay bench: what re-deciding a decision log with the archived rule sets costs, side by
 * side with deciding the same records with the compiled evaluator alone, on the committed
 * German credit model with its shipped overrides.
 *
 *   npm run bench:replay [-- --lines N]
 *
 * A log of N lines (default 200,000: the 1,000 German credit records over and over, each
 * decided by the merged rule set and written as `neurules serve --decision-log` writes it)
 * is replayed three ways, in 3 interleaved rounds after a warm-up (medians reported): the
 * log as written; the log with `own_telephone` redacted (a field no rule reads: every line
 * is checked for dependence on it, then replayed); and with `purpose` redacted (read by
 * some rules: lines that depended on it are not replayable). Beside them, the same records
 * decided by `compileRuleSet(...).decide` in a loop (no reading, no parsing). Replay must
 * reproduce every line it replays; the bench checks the counts and fails otherwise.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel } from '../src/artifacts/model-store';
import { ruleSetHash } from '../src/artifacts/rule-set-hash';
import { replayLog, type ReplayReport } from '../src/audit/replay-log';
import { readRecords } from '../src/data/read-records';
import { compileRuleSet } from '../src/engine/compiled-rules';
import { loadOverrides, mergeOverrides } from '../src/overrides/merge-overrides';

const ROOT = path.join(__dirname, '..', '..');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const at = process.argv.indexOf('--lines');
  const lines = at > 0 ? Number(process.argv[at + 1]) : 200_000;
  if (!Number.isInteger(lines) || lines < 1000) throw new Error('--lines: a whole number ≥ 1000');
  process.stdout.write(
    `machine: ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, node ${process.version}\n`,
  );
  const loc = {
    modelsDir: path.join(ROOT, 'models'),
    rulesDir: path.join(ROOT, 'rules'),
    name: 'german-credit',
  };
  const m = loadModel(loc);
  const overrides = loadOverrides(path.join(loc.rulesDir, loc.name, 'overrides'), m.schema);
  const ruleSet = mergeOverrides(m.ruleSet, overrides, m.schema);
  const hash = ruleSetHash(ruleSet);
  const compiled = compileRuleSet(ruleSet);
  const { records } = readRecords(path.join(ROOT, 'data/german-credit.csv'), m.schema);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-bench-replay-'));
  const logs: Record<string, string> = {};
  try {
    for (const [name, redact] of [
      ['plain', undefined],
      ['own_telephone redacted', 'own_telephone'],
      ['purpose redacted', 'purpose'],
    ] as const) {
      const file = path.join(dir, `${name.replace(/ /g, '-')}.jsonl`);
      const fd = fs.openSync(file, 'w');
      let chunk = '';
      for (let i = 0; i < lines; i++) {
        const record = records[i % records.length]!;
        const d = compiled.decide(record);
        const inputs = redact ? { ...record, [redact]: '[redacted]' } : record;
        chunk +=
          JSON.stringify({
            time: '2026-12-07T12:00:00.000Z',
            requestId: String(i),
            model: loc.name,
            ruleSet: hash,
            ruleId: d.ruleId,
            class: d.class,
            inputs,
          }) + '\n';
        if (chunk.length > 1 << 20) {
          fs.writeSync(fd, chunk);
          chunk = '';
        }
      }
      fs.writeSync(fd, chunk);
      fs.closeSync(fd);
      logs[name] = file;
    }
    const bytes = fs.statSync(logs.plain!).size;
    process.stdout.write(
      `log: ${lines} lines (${(bytes / 1e6).toFixed(1)} MB) of the 1000 German credit records; rule set ${hash.slice(0, 12)}\n\n`,
    );

    const current = { hash, ruleSet, schema: m.schema };
    const times: Record<string, number[]> = { decide: [] };
    const reports: Record<string, ReplayReport> = {};
    let sink = 0;
    for (let round = 0; round < 4; round++) {
      let t = process.hrtime.bigint();
      for (let i = 0; i < lines; i++) sink += compiled.decide(records[i % records.length]!).support;
      if (round > 0) times.decide!.push(Number(process.hrtime.bigint() - t) / 1e9);
      for (const [name, file] of Object.entries(logs)) {
        t = process.hrtime.bigint();
        const report = await replayLog({ loc, current, files: [file] });
        const s = Number(process.hrtime.bigint() - t) / 1e9;
        if (round > 0) (times[name] ??= []).push(s);
        reports[name] = report;
      }
    }
    for (const [name, r] of Object.entries(reports)) {
      if (r.decisions !== lines || r.differ !== 0 || r.unknownRuleSet !== 0)
        throw new Error(`${name}: replay found ${JSON.stringify(r).slice(0, 300)}`);
      if (name !== 'purpose redacted' && r.reproduced !== lines)
        throw new Error(`${name}: ${r.reproduced} of ${lines} reproduced`);
    }
    const decide = median(times.decide!);
    process.stdout.write(
      '| way | lines/s | × the bare decide loop | reproduced | not replayable |\n| --- | ---: | ---: | ---: | ---: |\n',
    );
    process.stdout.write(
      `| compiled decide loop (no log) | ${Math.round(lines / decide).toLocaleString('en')} | 1 | – | – |\n`,
    );
    for (const [name, r] of Object.entries(reports)) {
      const s = median(times[name]!);
      process.stdout.write(
        `| replay, ${name} | ${Math.round(lines / s).toLocaleString('en')} | ${(s / decide).toFixed(1)} | ${r.reproduced} | ${r.notReplayable} |\n`,
      );
    }
    process.stdout.write(
      `\npeak resident memory: ${Math.round(process.resourceUsage().maxRSS / 1024)} MB (sink ${sink % 7})\n`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
