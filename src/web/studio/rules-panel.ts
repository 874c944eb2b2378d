/**
 * The rules panel: the overrides in hit order (as edited, from each check's answer; the
 * saved ones until the first), the distilled rules, and the tree at full size, zoomable.
 */
import type { OverrideSummary, StudioModel } from '../../studio/contract';
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

/**
 * Draws the overrides list: `overrides` in hit order, or, when the edited files have errors
 * (null), the list as last drawn, marked as the last check without errors.
 */
export function renderOverrides(overrides: OverrideSummary[] | null, source: string): void {
  const state = byId('overrides-state');
  if (overrides === null) {
    state.textContent = '(as of the last check without errors)';
    return;
  }
  state.textContent = source;
  fill(
    byId('overrides'),
    ...(overrides.length
      ? overrides.map((o) =>
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
      : [h('li', { class: 'muted' }, 'no overrides')]),
  );
}

/** Zoom steps of the tree drawing (1: one pixel per unit, as drawn). */
const ZOOMS = [0.25, 0.33, 0.5, 0.67, 0.8, 1, 1.25, 1.5, 2, 3];

/**
 * Zoom and full-window view of the tree: the drawing keeps its own size (it scrolls in its
 * box) and the buttons scale it by its viewBox, so nothing is squeezed or cut off.
 */
function mountTreeTools(box: HTMLElement): void {
  const svg = box.querySelector('svg');
  const tools = byId('tree-tools');
  const width = Number(svg?.getAttribute('width'));
  const height = Number(svg?.getAttribute('height'));
  if (!svg || !(width > 0) || !(height > 0)) {
    fill(tools);
    return;
  }
  let step = ZOOMS.indexOf(1);
  const label = h('span', { class: 'muted', 'data-test': 'tree-zoom' });
  const apply = (): void => {
    const zoom = ZOOMS[step]!;
    svg.setAttribute('width', String(Math.round(width * zoom)));
    svg.setAttribute('height', String(Math.round(height * zoom)));
    label.textContent = `${Math.round(zoom * 100)}%`;
  };
  const button = (text: string, title: string, act: () => void): HTMLButtonElement => {
    const b = h('button', { type: 'button', title, 'aria-label': title }, text);
    b.addEventListener('click', () => {
      act();
      apply();
    });
    return b;
  };
  const frame = byId('tree-frame');
  const full = button('full window', 'full window', () => {
    frame.classList.toggle('full');
    full.setAttribute('aria-pressed', String(frame.classList.contains('full')));
  });
  fill(
    tools,
    button('−', 'zoom out', () => (step = Math.max(0, step - 1))),
    label,
    button('+', 'zoom in', () => (step = Math.min(ZOOMS.length - 1, step + 1))),
    button('1:1', 'actual size', () => (step = ZOOMS.indexOf(1))),
    button('fit', 'fit the width', () => {
      const fits = ZOOMS.filter((z) => width * z <= box.clientWidth);
      step = fits.length ? ZOOMS.indexOf(fits[fits.length - 1]!) : 0;
    }),
    full,
  );
  apply();
}

/** Draws the model's rules (the saved overrides). */
export function renderRules(m: StudioModel): void {
  renderOverrides(m.overrides, '(saved)');
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
  mountTreeTools(byId('tree-box'));
}
