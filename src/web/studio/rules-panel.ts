/** The rules panel: the saved overrides in hit order, the distilled rules, the tree. */
import type { StudioModel } from '../../studio/contract';
import { bdi, isolator } from './bidi';
import { byId, fill, h } from './dom';

/** Inserts server-made SVG markup through an inert <template>, without scripts or handlers. */
function insertMarkup(container: HTMLElement, markup: string): void {
  const template = document.createElement('template');
  template.innerHTML = markup;
  template.content.querySelectorAll('script, foreignObject, iframe').forEach((n) => n.remove());
  for (const element of template.content.querySelectorAll('*')) {
    for (const attr of [...element.attributes]) {
      const unsafeLink = /href$/i.test(attr.name) && /^\s*javascript:/i.test(attr.value);
      if (/^on/i.test(attr.name) || unsafeLink) element.removeAttribute(attr.name);
    }
  }
  // SVG text holds no <bdi>: its levels and names are isolated with FSI … PDI instead.
  const walker = document.createTreeWalker(template.content, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node as Text;
    text.data = isolator.plain(text.data);
  }
  container.replaceChildren(template.content);
}

/** Draws the model's rules. */
export function renderRules(m: StudioModel): void {
  fill(
    byId('overrides'),
    ...(m.overrides.length
      ? m.overrides.map((o) =>
          h(
            'li',
            {},
            h('strong', {}, bdi(o.id)),
            ' ',
            ...isolator.nodes(o.sentence),
            ' → ',
            h('span', { class: 'class' }, bdi(o.class)),
            h('span', { class: 'muted' }, ` (priority ${o.priority}, ${o.file}:${o.line})`),
          ),
        )
      : [h('li', { class: 'muted' }, 'no saved overrides')]),
  );
  fill(
    byId('distilled'),
    ...m.distilled.map((r) =>
      h(
        'li',
        {},
        h('strong', {}, bdi(r.id)),
        ' ',
        ...isolator.nodes(r.sentence),
        ' ',
        h(
          'span',
          { class: 'muted' },
          '(class ',
          bdi(r.class),
          `, support ${r.support}${r.confidence === null ? '' : `, confidence ${r.confidence.toFixed(2)}`})`,
        ),
      ),
    ),
  );
  if (m.treeSvg) insertMarkup(byId('tree-box'), m.treeSvg);
  else fill(byId('tree-box'), h('p', { class: 'muted' }, 'no drawing of the tree'));
}
