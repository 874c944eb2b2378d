import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel } from '../../src/artifacts/model-store';
import type { ModelArtifacts, ModelLocation } from '../../src/artifacts/types';
import type { RuleSet } from '../../src/rules/types';
import { GERMAN_CREDIT } from './german-credit';

/**
 * Artifacts of the committed German credit model as `build` hands them to `saveModel`,
 * marked with `tag` (the manifest's `createdAt` and each rule's `support`), so a test can
 * tell two saves apart by what a later open reads.
 */
export function germanCreditArtifacts(
  tag: number,
  from: ModelLocation = GERMAN_CREDIT,
): ModelArtifacts {
  const m = loadModel(from);
  const ruleSet: RuleSet = {
    format: 'neurules.rules',
    version: 1,
    model: m.ruleSet.model,
    target: m.ruleSet.target,
    classes: m.ruleSet.classes,
    rules: m.ruleSet.rules.map((r) => ({
      ...r,
      event: { ...r.event, params: { ...r.event.params, support: tag } },
    })),
  };
  const { generation: _g, files: _f, rulesFile: _r, ...manifest } = m.manifest;
  return {
    manifest: { ...manifest, version: 1, createdAt: `tag-${tag}` },
    schema: m.schema,
    tree: m.tree,
    metrics: m.metrics,
    ruleSet,
    saveTeacher: async (dir) => {
      fs.mkdirSync(dir, { recursive: true });
      for (const f of fs.readdirSync(m.teacherDir))
        fs.copyFileSync(path.join(m.teacherDir, f), path.join(dir, f));
    },
  };
}

/** The tag of the model at `loc` as {@link germanCreditArtifacts} set it, checking it is whole. */
export function openedTag(loc: ModelLocation): number {
  const m = loadModel(loc);
  const tag = Number(m.manifest.createdAt.replace(/^tag-/, ''));
  for (const r of m.ruleSet.rules) {
    if (r.event.params.support !== tag)
      throw new Error(`rules of tag ${r.event.params.support} beside a manifest of tag ${tag}`);
  }
  return tag;
}
