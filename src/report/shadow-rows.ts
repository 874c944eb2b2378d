import type { ShadowSection } from '../audit/types';
import { formatCount, formatRate, shortHash } from './format-figures';

/**
 * The champion-and-challenger section's figures as plain text, for both renderers (each
 * escapes them its own way): the summary sentence, the table by class and the disagreements.
 */
export function shadowRows(s: ShadowSection): {
  summary: string;
  classHead: string[];
  classRows: string[][];
  disagreementHead: string[];
  disagreementRows: string[][];
  listed: string;
} {
  const challengers = s.challengers
    .map((c) => `${shortHash(c.ruleSet)}: ${formatCount(c.decisions)}`)
    .join(', ');
  return {
    summary:
      `${formatCount(s.decisions)} decisions of the challenger (rule set ${challengers || 'none'}) in ${s.logFile}: ` +
      `agreement ${formatRate(s.agreement)} (${formatCount(s.agreed)} alike, ${formatCount(s.disagreementCount)} different); ` +
      `${formatCount(s.errors)} failed (the champion's answer stood); ${formatCount(s.withoutShadow)} lines without a challenger.`,
    classHead: ['Champion', 'Challenger', 'Decisions', 'Share of the champion class'],
    classRows: s.byClass.map((p) => {
      const total = s.classes.find((c) => c.class === p.champion)!.decisions;
      return [p.champion, p.challenger, formatCount(p.count), formatRate(p.count / total)];
    }),
    disagreementHead: ['Line', 'Request', 'Time', 'Champion', 'Challenger'],
    disagreementRows: s.disagreements.map((d) => [
      String(d.line),
      d.requestId ?? '—',
      d.time,
      `${d.champion.class} (${d.champion.ruleId})`,
      `${d.challenger.class} (${d.challenger.ruleId}, ${shortHash(d.challenger.ruleSet)})`,
    ]),
    listed:
      s.disagreements.length < s.disagreementCount
        ? `The first ${formatCount(s.disagreements.length)} of ${formatCount(s.disagreementCount)} disagreements (all are counted above).`
        : `All ${formatCount(s.disagreementCount)} disagreements.`,
  };
}
