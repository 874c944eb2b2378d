import type { Feature, Schema } from './types';
import type { Issue } from '../errors';

/**
 * How the challenger's schema `other` differs from the champion's `schema`, one
 * CHALLENGER_SCHEMA_MISMATCH issue per difference, at `field.features.NAME` (a feature
 * missing from the challenger, extra in it, of another type, or with other levels) or
 * `field.classes` / `field.target`. Levels are compared as sets: their order decides nothing.
 */
export function schemaDifferences(schema: Schema, other: Schema, field = 'challenger'): Issue[] {
  const issues: Issue[] = [];
  const add = (at: string, message: string): void => {
    issues.push({ code: 'CHALLENGER_SCHEMA_MISMATCH', message, field: `${field}.${at}` });
  };
  const theirs = new Map(other.features.map((f) => [f.name, f]));
  const ours = new Set(schema.features.map((f) => f.name));
  for (const f of schema.features) {
    const o = theirs.get(f.name);
    if (!o) {
      add(
        `features.${f.name}`,
        `expected the challenger to read feature '${f.name}' (${f.type}), found it missing`,
      );
    } else if (o.type !== f.type) {
      add(
        `features.${f.name}`,
        `expected feature '${f.name}' to be ${f.type} for the challenger, found ${o.type}`,
      );
    } else if (f.type === 'categorical') {
      const levels = (x: Feature) => (x.type === 'categorical' ? x.levels : []);
      const mine = new Set(levels(f));
      const yours = new Set(levels(o));
      const missing = [...mine].filter((l) => !yours.has(l));
      const extra = [...yours].filter((l) => !mine.has(l));
      if (missing.length > 0 || extra.length > 0) {
        add(
          `features.${f.name}`,
          `expected the levels of '${f.name}' to be the model's, found` +
            (missing.length ? ` missing ${JSON.stringify(missing)}` : '') +
            (extra.length ? `${missing.length ? ',' : ''} extra ${JSON.stringify(extra)}` : ''),
        );
      }
    }
  }
  for (const o of other.features) {
    if (!ours.has(o.name)) {
      add(
        `features.${o.name}`,
        `expected no feature '${o.name}', which the model does not read, found it extra in the challenger (${o.type})`,
      );
    }
  }
  if (other.target !== schema.target) {
    add('target', `expected target '${schema.target}', found '${other.target}'`);
  }
  if (JSON.stringify(other.classes) !== JSON.stringify(schema.classes)) {
    add(
      'classes',
      `expected classes ${JSON.stringify(schema.classes)}, found ${JSON.stringify(other.classes)}`,
    );
  }
  return issues;
}
