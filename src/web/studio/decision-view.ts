/**
 * A decision and its explanation, as `POST /api/explain` sends it (the engine's
 * `explainDecision`): the class and deciding rule, an override's reason, the distilled rule
 * (the one the override overrode, when one decided), the network's view, counterfactuals,
 * and the lines `neurules explain` prints.
 */
import type { ChangeOfFeature, StudioExplained } from '../../studio/contract';
import { bdi, isolator } from './bidi';
import { fill, h } from './dom';

function shown(value: ChangeOfFeature['from']): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

/** A counterfactual's changes in words: `age 19 → 25, housing 'rent' → 'own'`. */
function changesText(changes: readonly ChangeOfFeature[]): string {
  return changes.map((x) => `${x.feature} ${shown(x.from)} → ${shown(x.to)}`).join(', ');
}

/** Draws an explanation into `box`. */
export function renderDecision(box: HTMLElement, r: StudioExplained): void {
  const e = r.explanation;
  const d = e.decision;
  const distilled = e.override
    ? { id: e.override.distilled.ruleId, sentence: e.override.distilled.text }
    : { id: e.rule.id, sentence: e.rule.text };
  const counterfactuals = e.counterfactuals ?? [];
  const network = e.network
    ? h(
        'p',
        {},
        'network: ',
        bdi(e.network.class),
        ' (',
        ...Object.entries(e.network.probabilities).flatMap(([c, p], i) => [
          i ? ', ' : '',
          bdi(c),
          ` ${(p * 100).toFixed(1)}%`,
        ]),
        `) — ${e.network.class === d.class ? 'agrees' : 'disagrees'}`,
      )
    : null;
  fill(
    box,
    h(
      'p',
      { class: 'verdict' },
      'decision: ',
      h('strong', { class: 'class' }, bdi(d.class)),
      ' (rule ',
      bdi(d.ruleId),
      `, ${d.source})`,
    ),
    e.override?.reason ? h('p', {}, 'reason: ', bdi(e.override.reason)) : null,
    h('p', {}, 'distilled rule ', bdi(distilled.id), ': ', ...isolator.nodes(distilled.sentence)),
    network,
    counterfactuals.length
      ? h(
          'ol',
          { class: 'counterfactuals', 'aria-label': 'counterfactuals' },
          ...counterfactuals.map((c) =>
            h(
              'li',
              {},
              ...isolator.nodes(changesText(c.changes)),
              ' ⇒ ',
              bdi(c.class),
              ' (rule ',
              bdi(c.ruleId),
              ')',
            ),
          ),
        )
      : null,
    h(
      'details',
      {},
      h('summary', {}, 'What neurules explain prints'),
      h('pre', { class: 'lines' }, ...isolator.nodes(r.text.join('\n'))),
    ),
  );
}
