import type { LogEntryRead } from './read-decision-log';
import { SHADOW_LISTED, type ShadowDisagreement, type ShadowSection } from './types';

/**
 * Agreement of champion and challenger (`serve --shadow`) over decision-log lines of one
 * rule set: by class (every pair of champion and challenger class, and per champion class),
 * overall, and the lines where they disagree (the first {@link SHADOW_LISTED}, all counted).
 * Lines without `shadow` and lines where the challenger failed are counted apart. Undefined
 * when no line carries `shadow`: the log was written without a challenger.
 */
export function shadowAgreement(
  logFile: string,
  entries: readonly LogEntryRead[],
): ShadowSection | undefined {
  let decisions = 0;
  let agreed = 0;
  let errors = 0;
  let withoutShadow = 0;
  let disagreementCount = 0;
  const disagreements: ShadowDisagreement[] = [];
  const pairs = new Map<string, { champion: string; challenger: string; count: number }>();
  const challengers = new Map<string, number>();
  for (const e of entries) {
    const s = e.shadow;
    if (!s) {
      withoutShadow++;
      continue;
    }
    if ('error' in s) {
      errors++;
      continue;
    }
    decisions++;
    challengers.set(s.ruleSet, (challengers.get(s.ruleSet) ?? 0) + 1);
    const key = JSON.stringify([e.class, s.class]);
    const pair = pairs.get(key) ?? { champion: e.class, challenger: s.class, count: 0 };
    pair.count++;
    pairs.set(key, pair);
    if (s.class === e.class) {
      agreed++;
      continue;
    }
    disagreementCount++;
    if (disagreements.length < SHADOW_LISTED) {
      disagreements.push({
        line: e.line,
        ...(e.requestId !== undefined && { requestId: e.requestId }),
        time: e.time,
        champion: { class: e.class, ruleId: e.ruleId },
        challenger: { class: s.class, ruleId: s.ruleId, ruleSet: s.ruleSet },
      });
    }
  }
  if (decisions === 0 && errors === 0) return undefined;
  const byClass = [...pairs.values()]
    .sort(
      (a, b) => a.champion.localeCompare(b.champion) || a.challenger.localeCompare(b.challenger),
    )
    .map((p) => ({ ...p, agreement: p.champion === p.challenger }));
  const perClass = new Map<string, { decisions: number; agreed: number }>();
  for (const p of byClass) {
    const c = perClass.get(p.champion) ?? { decisions: 0, agreed: 0 };
    c.decisions += p.count;
    if (p.agreement) c.agreed += p.count;
    perClass.set(p.champion, c);
  }
  return {
    logFile,
    decisions,
    agreed,
    agreement: decisions > 0 ? agreed / decisions : null,
    errors,
    withoutShadow,
    challengers: [...challengers].map(([ruleSet, n]) => ({ ruleSet, decisions: n })),
    byClass,
    classes: [...perClass].map(([cls, c]) => ({
      class: cls,
      ...c,
      agreement: c.agreed / c.decisions,
    })),
    disagreements,
    disagreementCount,
  };
}
