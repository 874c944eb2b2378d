/**
 * Property: OVERRIDE_REDUNDANT is judged by walking the overrides after each one, then the
 * distilled rules, over what is left of the records it decides (linear per override). A
 * reference here builds the whole rule set without the override and takes its exact regions
 * (what lint did before, cubic in the overrides): both must name the same overrides.
 */
import * as path from 'node:path';
import fc from 'fast-check';
import { loadModelFiles, loadRuleSet } from '../../src/artifacts/model-store';
import { readRecords } from '../../src/data/read-records';
import { lintOverrides } from '../../src/overrides/lint-overrides';
import { hitOrder, mergeOverrides } from '../../src/overrides/merge-overrides';
import { type Override, parseOverrides } from '../../src/overrides/parse-overrides';
import { intersectRegions, type Region, regionOf, subtractRegions } from '../../src/regions/region';
import { ruleRegions } from '../../src/regions/rule-regions';
import { GERMAN_CREDIT } from '../helpers/german-credit';

const ROOT = path.join(__dirname, '..', '..');
const { schema } = loadModelFiles(GERMAN_CREDIT);
const distilled = loadRuleSet(GERMAN_CREDIT);
const records = readRecords(path.join(ROOT, 'data', 'german-credit.csv'), schema).records.slice(
  0,
  200,
);

/** The ids the reference calls redundant: no other class decides its records without it. */
function redundantByReference(overrides: readonly Override[]): string[] {
  const ordered = hitOrder(overrides);
  const regions = ordered.map((o) => regionOf(o.conditions, schema));
  const out: string[] = [];
  ordered.forEach((o, i) => {
    const decides = subtractRegions(regions[i]!, regions.slice(0, i).flat(), schema);
    if (!regions[i]!.length || !decides.length) return;
    const without = ruleRegions(
      mergeOverrides(
        distilled,
        overrides.filter((x) => x !== o),
        schema,
      ),
      schema,
    );
    const otherClass: Region = without
      .filter((r) => r.rule.event.params.class !== o.class)
      .flatMap((r) => r.decides);
    if (!intersectRegions(decides, otherClass, schema).length) out.push(o.id);
  });
  return out.sort();
}

const levels = (name: string): string[] => {
  const f = schema.features.find((x) => x.name === name);
  return f?.type === 'categorical' ? f.levels : [];
};
/** One condition line of a `when` map. */
const condition = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('duration', 'age', 'credit_amount'),
      fc.constantFrom("'<'", "'>='", "'>'"),
      fc.integer({ min: 0, max: 80 }),
    )
    .map(([feature, op, n]) => ({
      feature,
      line: `${feature}: { ${op}: ${feature === 'credit_amount' ? n * 200 : n} }`,
    })),
  ...['checking_status', 'purpose'].map((feature) =>
    fc.subarray(levels(feature), { minLength: 1 }).map((chosen) => ({
      feature,
      line: `${feature}: { in: [${chosen.map((l) => JSON.stringify(l)).join(', ')}] }`,
    })),
  ),
);
const override = fc.record({
  when: fc.uniqueArray(condition, { minLength: 1, maxLength: 3, selector: (c) => c.feature }),
  cls: fc.constantFrom('good', 'bad'),
  // Few priorities, so that ties (and conflicts) occur too.
  priority: fc.integer({ min: 2, max: 5 }),
});

type OverrideDraft = typeof override extends fc.Arbitrary<infer T> ? T : never;

function yamlOf(items: OverrideDraft[]): string {
  return items
    .map(
      (o, i) =>
        `- id: o${i}\n  when:\n${o.when.map((c) => `    ${c.line}\n`).join('')}  then: { class: ${o.cls} }\n  priority: ${o.priority}\n`,
    )
    .join('\n');
}

test('redundant overrides: the linear walk names exactly those the whole-rule-set reference names', () => {
  fc.assert(
    fc.property(fc.array(override, { minLength: 1, maxLength: 12 }), (items) => {
      const parsed = parseOverrides(yamlOf(items), 'p.yaml', schema);
      expect(parsed.issues).toEqual([]);
      const findings = lintOverrides({ overrides: parsed.overrides, distilled, schema, records });
      const redundant = findings
        .filter((f) => f.code === 'OVERRIDE_REDUNDANT')
        .map((f) => f.ids[0]!)
        .sort();
      expect(redundant).toEqual(redundantByReference(parsed.overrides));
    }),
    { numRuns: Number(process.env.FC_RUNS ?? 150) },
  );
});
