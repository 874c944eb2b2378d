/**
 * Impact and behaviour diff: accuracy and fidelity without and with the overrides, each
 * override's fires, changes and deltas (`neurules rules impact`'s numbers), the held-out
 * records whose class the edit changes, and the regions of the record space that change.
 */
import type { StudioCheck } from '../../studio/contract';
import { bdi, isolator } from './bidi';
import { byId, fill, fixed, h, signed } from './dom';

/** Draws the impact; clicking a changed record calls `onRecord` with its index. */
export function renderImpact(result: StudioCheck, onRecord: (index: number) => void): void {
  const impact = result.impact;
  const box = byId('impact');
  if (!impact) {
    fill(box, h('p', { class: 'muted' }, 'Not measured while the overrides have errors.'));
    fill(byId('changed-records'), h('p', { class: 'muted' }, 'not measured'));
    return;
  }
  const figure = (name: string, before: number, after: number): HTMLElement =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, name),
      h('td', {}, fixed(before)),
      h('td', {}, '→'),
      h('td', {}, fixed(after)),
      h('td', {}, signed(after - before)),
    );
  const changed = h(
    'ul',
    { class: 'changed-records' },
    ...impact.changedRecords.map((r) => {
      const button = h(
        'button',
        { type: 'button', class: 'link' },
        `record ${r.index + 1}: `,
        bdi(r.from),
        ' → ',
        bdi(r.to),
      );
      button.addEventListener('click', () => onRecord(r.index));
      return h('li', {}, button);
    }),
  );
  fill(
    box,
    h('p', { class: 'headline' }, `changed ${impact.changed} of ${impact.records}`),
    h('p', { class: 'muted' }, `records: ${impact.description}`),
    h(
      'table',
      { class: 'figures' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, ''),
          h('th', { scope: 'col' }, 'without overrides'),
          h('th', {}, ''),
          h('th', { scope: 'col' }, 'with overrides'),
          h('th', { scope: 'col' }, 'Δ'),
        ),
      ),
      h(
        'tbody',
        {},
        figure('accuracy', impact.before.accuracy, impact.after.accuracy),
        figure('fidelity', impact.before.fidelity, impact.after.fidelity),
      ),
    ),
    h(
      'table',
      { class: 'overrides-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['override', 'fires', 'changed', 'Δ accuracy', 'Δ fidelity'].map((c) =>
            h('th', { scope: 'col' }, c),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        ...impact.overrides.map((o) =>
          h(
            'tr',
            {},
            h('td', {}, bdi(o.id)),
            h('td', {}, String(o.fires)),
            h('td', {}, String(o.changed)),
            h('td', {}, fixed(o.deltaAccuracy)),
            h('td', {}, fixed(o.deltaFidelity)),
          ),
        ),
      ),
    ),
  );
  fill(
    byId('changed-records'),
    impact.changedRecords.length
      ? changed
      : h('p', { class: 'muted' }, 'none: the edits decide every held-out record as saved'),
  );
}

/** Draws the regions that change class. */
export function renderRegions(result: StudioCheck): void {
  fill(
    byId('regions'),
    ...(result.regions.length
      ? result.regions.map((r) =>
          h('li', {}, bdi(r.from), ' → ', bdi(r.to), ': ', ...isolator.nodes(r.conditions)),
        )
      : [h('li', { class: 'muted' }, 'no region of the input space changes class')]),
  );
}
