import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EditImpact, RuleChanges } from '../artifacts/changes-log';
import { loadDecisionData } from '../artifacts/model-data';
import type { ModelLock } from '../artifacts/model-lock';
import {
  type LoadedModel,
  saveModel,
  type SaveOptions,
  type SaveResult,
} from '../artifacts/model-store';
import type { RuleSetFigures } from '../artifacts/rule-archive';
import type { Metrics, ModelLocation } from '../artifacts/types';
import { agreement, differences, ruleSetSize } from '../audit/metrics';
import type { Schema } from '../data/types';
import { compileRuleSet } from '../engine/compiled-rules';
import { NeurulesError } from '../errors';
import { checkPartition, partitionIssues } from '../regions/check-partition';
import { checkRuleSet } from '../rules/verify-rules';
import { mergeOverrides } from '../overrides/merge-overrides';
import type { Override } from '../overrides/parse-overrides';
import type { RuleSet } from '../rules/types';
import type { BackendChoice } from '../teacher/backend-choice';

/**
 * Check distilled rules before they are committed, as a build's are: verified against the
 * schema, every record (complete, with missing values or unseen levels) reaching exactly
 * one rule (RULES_GAP / RULES_OVERLAP, each with an example record, at `file`), and taken by
 * the compiled evaluator.
 */
export function checkDistilledRules(ruleSet: RuleSet, schema: Schema, file: string): void {
  checkRuleSet(ruleSet, schema, file);
  const problems = partitionIssues(checkPartition(ruleSet.rules, schema), file);
  if (problems.length > 0) throw NeurulesError.fromIssues(problems);
  compileRuleSet(ruleSet);
}

/** What {@link measureRulesChange} measured of new distilled rules. */
export interface RulesChangeMeasure {
  impact: EditImpact;
  /** The model's metrics with the new rules' accuracy, fidelity and size. */
  metrics: Metrics;
  /** The merged rule set's figures (the new rules with `overrides` above them), when there are overrides. */
  figures?: RuleSetFigures;
}

/**
 * Measure new distilled rules `after` against the rules `before` on the build's held-out
 * split, with the model's network: records whose class changes, accuracy and fidelity before
 * and after, and (with overrides) the merged rule set's accuracy and fidelity.
 */
export async function measureRulesChange(
  loc: ModelLocation,
  m: LoadedModel,
  rules: { before: RuleSet; after: RuleSet; overrides: readonly Override[] | undefined },
  options: { backend: BackendChoice; allowEditedRules: boolean },
): Promise<RulesChangeMeasure> {
  const data = await loadDecisionData(loc, {
    allowEditedRules: options.allowEditedRules,
    backend: options.backend,
  });
  const { selectBackend } = await import('../teacher/backend');
  const { loadTeacher } = await import('../teacher/model-io');
  await selectBackend(options.backend);
  const teacher = await loadTeacher(m.teacherDir, m.schema);
  try {
    const classIndex = new Map(m.schema.classes.map((c, i) => [c, i]));
    const { records, labels } = data.test;
    const network = teacher.predict(records);
    const decide = (ruleSet: RuleSet): number[] => {
      const compiled = compileRuleSet(ruleSet);
      return records.map((r) => classIndex.get(compiled.decide(r).class)!);
    };
    const old = decide(rules.before);
    const now = decide(rules.after);
    let figures: RuleSetFigures | undefined;
    if (rules.overrides && rules.overrides.length > 0) {
      const merged = decide(mergeOverrides(rules.after, rules.overrides, m.schema));
      figures = {
        on: data.description,
        records: records.length,
        accuracy: agreement(merged, labels),
        fidelity: agreement(merged, network),
      };
    }
    const impact: EditImpact = {
      description: data.description,
      records: records.length,
      changed: differences(old, now),
      accuracy: { before: agreement(old, labels), after: agreement(now, labels) },
      fidelity: { before: agreement(old, network), after: agreement(now, network) },
    };
    const metrics: Metrics = {
      ...m.metrics,
      rulesAccuracy: impact.accuracy.after,
      fidelity: impact.fidelity.after,
      ...ruleSetSize(rules.after),
    };
    return { impact, metrics, ...(figures && { figures }) };
  } finally {
    teacher.dispose();
  }
}

/**
 * Commit new distilled rules as a build commits a model (see `saveModel`): a new generation
 * with the same network, schema, tree and perception, `ruleSet` and `metrics`, made current
 * by one rename of the rule file. Holds `lock` (the caller's).
 */
export async function commitDistilledRules(
  loc: ModelLocation,
  m: LoadedModel,
  ruleSet: RuleSet,
  metrics: Metrics,
  options: { lock: ModelLock } & Pick<SaveOptions, 'expectRulesFile' | 'afterStep'>,
): Promise<SaveResult> {
  const { generation: _g, files: _f, rulesFile: _r, ...manifest } = m.manifest;
  const { generation: _rg, ...rules } = ruleSet;
  const copyFolder = (from: string, to: string): void => {
    fs.mkdirSync(to, { recursive: true });
    fs.cpSync(from, to, { recursive: true });
  };
  return saveModel(
    loc,
    {
      manifest,
      schema: m.schema,
      tree: m.tree,
      metrics,
      ruleSet: rules,
      saveTeacher: async (dir) => {
        fs.mkdirSync(dir, { recursive: true });
        for (const f of fs.readdirSync(m.teacherDir))
          fs.copyFileSync(path.join(m.teacherDir, f), path.join(dir, f));
      },
      ...(m.perception && {
        perception: {
          spec: m.perception,
          savePerceivers: (dir: string) => copyFolder(m.perceiversDir, dir),
        },
      }),
    },
    options,
  );
}

/** The report lines of what changes in distilled rules: the rules by id (headed `label`). */
export function ruleChangeLines(c: RuleChanges, label: string): string[] {
  const changed = [
    c.changed.length ? `changed: ${c.changed.join(', ')}` : '',
    c.added.length ? `added: ${c.added.join(', ')}` : '',
    c.removed.length ? `removed: ${c.removed.join(', ')}` : '',
    c.reordered ? 'the order changed' : '',
  ].filter(Boolean);
  return changed.length ? [`  ${label} ${changed.join('; ')}`] : [];
}

/** The report lines of an edit's impact on the held-out split. */
export function impactLines(i: EditImpact): string[] {
  const f = (x: number): string => x.toFixed(3);
  return [
    `  on the ${i.description}:`,
    `    accuracy  ${f(i.accuracy.before)} → ${f(i.accuracy.after)}`,
    `    fidelity  ${f(i.fidelity.before)} → ${f(i.fidelity.after)}`,
    `    changed   ${i.changed} of ${i.records} decisions`,
  ];
}
