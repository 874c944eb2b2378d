/**
 * A decision and its explanation, as `POST /api/explain` sends it (the engine's
 * `explainDecision`): the class and deciding rule, an override's reason, the distilled rule
 * (the one the override overrode, when one decided), the network's view, counterfactuals,
 * and the lines `neurules explain` prints.
 */
import { describePerceived } from '../../perception/perceived';
import type { ChangeOfFeature, ConceptImage, StudioExplained } from '../../studio/contract';
import { bdi, isolator } from './bidi';
import { fill, h } from './dom';

function shown(value: ChangeOfFeature['from']): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

/**
 * A counterfactual's changes in words: `age 19 → 25, housing 'rent' → 'own'`; a perceived
 * concept as read otherwise: `had postcode been read as '3' (not '7')`.
 */
function changesText(
  changes: readonly ChangeOfFeature[],
  concepts: ReadonlyMap<string, boolean>,
): string {
  return changes
    .map((x) =>
      concepts.has(x.feature)
        ? `had ${x.feature} been ${concepts.get(x.feature) ? 'set to' : 'read as'} ${shown(x.to)} (not ${shown(x.from)})`
        : `${x.feature} ${shown(x.from)} → ${shown(x.to)}`,
    )
    .join(', ');
}

/**
 * A concept's image drawn on a canvas from its grey levels (nothing is loaded: the page
 * draws what the network read), scaled up with the pixels kept square and sharp.
 */
function conceptCanvas(image: ConceptImage): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = image.width;
  canvas.height = image.height;
  const scale = Math.max(2, Math.round(112 / Math.max(image.width, image.height)));
  canvas.style.width = `${image.width * scale}px`;
  canvas.style.height = `${image.height * scale}px`;
  canvas.style.imageRendering = 'pixelated';
  canvas.className = 'concept-image';
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `the ${image.concept} image as the network read it`);
  const context = canvas.getContext('2d');
  if (context) {
    const data = context.createImageData(image.width, image.height);
    image.pixels.forEach((v, i) => {
      data.data.set([v, v, v, 255], i * 4);
    });
    context.putImageData(data, 0, 0);
  }
  return canvas;
}

/** What was perceived of the record, each concept with its image where it has one. */
function perceivedView(r: StudioExplained): HTMLElement | null {
  const perceived = r.explanation.perceived;
  if (!perceived) return null;
  const images = new Map((r.images ?? []).map((i) => [i.concept, i]));
  return h(
    'div',
    { class: 'perceived', 'aria-label': 'perceived' },
    ...Object.entries(perceived).map(([name, p]) => {
      const image = images.get(name);
      return h(
        'figure',
        { class: 'perceived-concept' },
        image ? conceptCanvas(image) : null,
        h('figcaption', {}, ...isolator.nodes(describePerceived(name, p))),
      );
    }),
  );
}

/** Draws an explanation into `box`. */
export function renderDecision(box: HTMLElement, r: StudioExplained): void {
  const e = r.explanation;
  const d = e.decision;
  const distilled = e.override
    ? { id: e.override.distilled.ruleId, sentence: e.override.distilled.text }
    : { id: e.rule.id, sentence: e.rule.text };
  const counterfactuals = e.counterfactuals ?? [];
  // Each concept, and whether a person set it.
  const concepts = new Map(
    Object.entries(e.perceived ?? {}).map(([name, p]) => [name, p.perceivedAs !== undefined]),
  );
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
    perceivedView(r),
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
              ...isolator.nodes(changesText(c.changes, concepts)),
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
