import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { modelPaths, saveModel } from '../../src/artifacts/model-store';
import {
  archivePaths,
  readArchivedRuleSet,
  readHistory,
  recordRuleSet,
} from '../../src/artifacts/rule-archive';
import type { ModelLocation } from '../../src/artifacts/types';
import type { DecisionLogEntry } from '../../src/audit/decision-log';
import { openModel } from '../../src/pipeline/open-model';
import type { HistoryReport } from '../../src/pipeline/model-history';
import { createApp } from '../../src/server/create-app';
import { openStudio } from '../../src/studio/session';
import type { RuleSet } from '../../src/rules/types';
import { copyGermanCredit, GERMAN_CREDIT_FROZEN } from '../helpers/german-credit';
import { germanCreditArtifacts } from '../helpers/model-artifacts';
import { runCli } from '../helpers/run-cli';
import { compileRuleSet } from '../../src/engine/compiled-rules';
import { applicant } from '../server/applicant';

let dir: string;
let loc: ModelLocation;
let dirs: string[];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-archive-steps-'));
  loc = copyGermanCredit(dir, GERMAN_CREDIT_FROZEN);
  dirs = ['--models-dir', loc.modelsDir, '--rules-dir', loc.rulesDir];
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const history = (): Promise<HistoryReport> =>
  runCli(['history', '--model', 'german-credit', '--json', ...dirs]).then((r) => {
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as HistoryReport;
  });

describe('every rule set that decides is archived', () => {
  it('by the service, before it decides, and each log line names the model and rule set', async () => {
    expect(fs.existsSync(archivePaths(loc).dir)).toBe(false);
    const log = path.join(dir, 'decisions.jsonl');
    const app = await createApp({
      model: loc.name,
      modelsDir: loc.modelsDir,
      rulesDir: loc.rulesDir,
      network: false,
      decisionLog: { file: log },
    });
    try {
      const res = await app.inject({ method: 'POST', url: '/v1/predict', payload: applicant });
      expect(res.statusCode).toBe(200);
    } finally {
      await app.close();
    }
    const [line] = fs
      .readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as DecisionLogEntry);
    expect(line).toMatchObject({ model: 'german-credit' });
    const archived = readArchivedRuleSet(loc, line!.ruleSet)!;
    expect(archived.model).toBe('german-credit');
    expect(readHistory(loc).entries.map((e) => [e.made, e.hash])).toEqual([
      ['serve', line!.ruleSet],
    ]);
    // A second start on the same rules adds no history line.
    await (await createApp({ ...loc, model: loc.name, network: false })).close();
    expect(readHistory(loc).entries).toHaveLength(1);
  });

  it('a service that cannot archive the rule set does not start', async () => {
    fs.writeFileSync(archivePaths(loc).dir, 'a file where the archive folder goes');
    await expect(createApp({ ...loc, model: loc.name, network: false })).rejects.toMatchObject({
      code: 'NOT_A_DIRECTORY',
    });
  });

  it('by rules accept --reason and a studio save, with who and why; `history` lists them', async () => {
    // A hand edit of one rule's class, accepted with a reason.
    const file = modelPaths(loc).rules;
    const rules = JSON.parse(fs.readFileSync(file, 'utf8')) as RuleSet;
    const flip = rules.rules[0]!.event.params;
    flip.class = flip.class === 'good' ? 'bad' : 'good';
    fs.writeFileSync(file, JSON.stringify(rules, null, 2));
    const accepted = await runCli([
      'rules',
      'accept',
      '--model',
      'german-credit',
      '--reason',
      'policy 7: short loans',
      '--backend',
      'cpu',
      ...dirs,
    ]);
    expect(accepted.code).toBe(0);
    const afterAccept = (await openModel(loc)).ruleSetHash;

    const studio = await openStudio(loc, { backend: 'cpu' });
    let after: string;
    try {
      const saved = await studio.save(
        [
          {
            name: 'young.yaml',
            text: "- id: young\n  when:\n    age: { '<': 21 }\n    duration: { '>': 48 }\n  then: { class: bad }\n  priority: 111\n",
            baseHash: null,
          },
        ],
        'minimum age of 21',
      );
      after = saved.entry.after;
    } finally {
      await studio.close();
    }
    expect((await openModel(loc)).ruleSetHash).toBe(after);

    const h = await history();
    expect(h.entries.map((e) => [e.made, e.hash, e.reason])).toEqual([
      ['rules accept', afterAccept, 'policy 7: short loans'],
      ['studio save', after, 'minimum age of 21'],
    ]);
    expect(h.entries[1]!.change).toMatchObject({ kind: 'overrides', files: ['young.yaml'] });
    expect(h.entries[0]!.figures).toMatchObject({ records: expect.any(Number) });
    expect(h.entries[0]!.figures!.accuracy).toBeGreaterThan(0.5);
    expect(h.current).toEqual({ hash: after, archived: true });
    expect(h.entries.map((e) => e.current)).toEqual([false, true]);
    const text = await runCli(['history', '--model', 'german-credit', ...dirs]);
    expect(text.stdout).toMatch(/rules accept .*"policy 7: short loans"/);
    expect(text.stdout).toMatch(/^\* .* studio save .*"minimum age of 21"$/m);
  });

  it('keeps rule sets whose generation was pruned, and refuses a tampered one', async () => {
    const hashes: string[] = [];
    for (const tag of [1, 2, 3]) {
      const saved = await saveModel(loc, germanCreditArtifacts(tag, GERMAN_CREDIT_FROZEN));
      const m = await openModel(loc);
      recordRuleSet(loc, {
        ruleSet: m.ruleSet,
        schema: m.schema,
        made: 'build',
        generation: saved.generation,
      });
      hashes.push(m.ruleSetHash);
    }
    const h = await history();
    expect(h.entries.map((e) => e.hash)).toEqual(hashes);
    // saveModel keeps two generations: the first is gone, its rules are not.
    expect(h.entries.map((e) => e.generationKept)).toEqual([false, true, true]);
    expect(readArchivedRuleSet(loc, hashes[0]!)).toBeDefined();
    const text = await runCli(['history', '--model', 'german-credit', ...dirs]);
    expect(text.stdout).toContain('(pruned)');

    // A decision of each: explained with the network of the generation that made it while
    // that generation is kept, with the rules alone once it is pruned.
    const log = path.join(dir, 'decisions.jsonl');
    fs.writeFileSync(
      log,
      hashes
        .map((hash, i) => {
          const d = compileRuleSet(readArchivedRuleSet(loc, hash)!.ruleSet).decide(applicant);
          const time = '2026-12-07T12:00:00.000Z';
          const inputs = applicant;
          return JSON.stringify({
            time,
            requestId: `r${i}`,
            model: 'german-credit',
            ruleSet: hash,
            ruleId: d.ruleId,
            class: d.class,
            inputs,
          });
        })
        .join('\n') + '\n',
    );
    const explain = (line: number) =>
      runCli([
        'explain',
        '--model',
        'german-credit',
        '--log',
        log,
        '--line',
        String(line),
        '--backend',
        'cpu',
        ...dirs,
      ]);
    const pruned = await explain(1);
    expect(pruned.stdout).toContain(
      `network:  not shown: generation ${h.entries[0]!.generation}, which made this decision, is pruned`,
    );
    const kept = await explain(2);
    expect(kept.stdout).toContain(`differ from today's`);
    expect(kept.stdout).toMatch(/^network: {2}(good|bad) {2}\(bad [\d.]+%, good [\d.]+%\)/m);

    const first = path.join(archivePaths(loc).dir, `${hashes[0]}.json`);
    const entry = JSON.parse(fs.readFileSync(first, 'utf8'));
    entry.ruleSet.rules[0].event.params.class = 'nonsense';
    fs.writeFileSync(first, JSON.stringify(entry));
    const tampered = await runCli(['history', '--model', 'german-credit', ...dirs]);
    expect(tampered.code).toBe(2);
    expect(tampered.stderr).toContain(`error ${first}`);
    expect(tampered.stderr).toContain('ARCHIVE_MODIFIED');
  });
});
