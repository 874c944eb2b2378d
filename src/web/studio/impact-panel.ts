/**
 * Impact and behaviour diff, with one baseline, the saved overrides: how many held-out
 * decisions the edit changes and how accuracy and fidelity move (saved → edited); each
 * changed record with its label, old and new class, whether the change is right and the
 * fields its override reads, filtered and searched here; and the regions of the record space
 * that change class, in the deciding override's own features first. What `neurules rules
 * impact` measures against the distilled rules alone is folded under its own label.
 */
import type {
  ChangedRecord,
  ChangeVerdict,
  Quality,
  StudioCheck,
  StudioImpact,
} from '../../studio/contract';
import { bdi, isolator } from './bidi';
import { byId, fill, fixed, h, signed } from './dom';
import { matchesChange, type ChangeFilter } from './change-filter';

/** Accuracy and fidelity in two columns (`from`, `to`) and their difference. */
function figures(from: string, to: string, before: Quality | null, after: Quality): HTMLElement {
  const row = (name: 'accuracy' | 'fidelity'): HTMLElement =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, name),
      h('td', {}, before === null ? '—' : fixed(before[name])),
      h('td', {}, '→'),
      h('td', {}, fixed(after[name])),
      h('td', {}, before === null ? '' : signed(after[name] - before[name])),
    );
  return h(
    'table',
    { class: 'figures' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, ''),
        h('th', { scope: 'col' }, from),
        h('th', {}, ''),
        h('th', { scope: 'col' }, to),
        h('th', { scope: 'col' }, 'Δ'),
      ),
    ),
    h('tbody', {}, row('accuracy'), row('fidelity')),
  );
}

/** `neurules rules impact`'s figures, folded and labelled as against the distilled rules. */
function againstDistilled(impact: StudioImpact): HTMLElement {
  const { distilled } = impact;
  return h(
    'details',
    { class: 'against-distilled', 'data-test': 'impact-distilled' },
    h(
      'summary',
      {},
      `Against the distilled rules alone (as neurules rules impact): ${distilled.changed} of ${impact.records} decisions differ`,
    ),
    figures('distilled alone', 'edited', distilled.quality, impact.after),
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
}

/** Draws the impact; clicking a changed record calls `onRecord` with its index. */
export function renderImpact(result: StudioCheck, onRecord: (index: number) => void): void {
  const impact = result.impact;
  if (!impact) {
    fill(
      byId('impact'),
      h('p', { class: 'muted' }, 'Not measured while the overrides have errors.'),
    );
    changedList.show(null, onRecord);
    return;
  }
  fill(
    byId('impact'),
    impact.before === null
      ? h('p', { class: 'headline' }, 'the saved files do not load: nothing to compare with')
      : h(
          'p',
          { class: 'headline' },
          `changed ${impact.changed} of ${impact.records}`,
          h('span', { class: 'muted' }, ' held-out records, saved → edited'),
        ),
    h('p', { class: 'muted' }, `records: ${impact.description}`),
    figures('saved', 'edited', impact.before, impact.after),
    againstDistilled(impact),
  );
  changedList.show(impact.changedRecords, onRecord);
}

const VERDICTS: readonly ChangeVerdict[] = ['now right', 'now wrong', 'still wrong'];

/** A changed record as one line: its button, label, classes, verdict and fields. */
function changedLine(r: ChangedRecord, onRecord: (index: number) => void): HTMLElement {
  const button = h('button', { type: 'button', class: 'link' }, `record ${r.index + 1}`);
  button.addEventListener('click', () => onRecord(r.index));
  return h(
    'li',
    { 'data-test': 'changed-record', 'data-verdict': r.verdict },
    button,
    ' label ',
    bdi(r.label),
    ': ',
    bdi(r.from),
    ' → ',
    bdi(r.to),
    ' ',
    h('span', { class: `verdict ${r.verdict.replace(' ', '-')}` }, r.verdict),
    r.override !== null &&
      h(
        'span',
        { class: 'fields muted' },
        ' — ',
        bdi(r.override),
        ' reads ',
        ...r.fields.flatMap((f, i) => [
          i ? ', ' : '',
          bdi(f.name),
          ' = ',
          f.value === null ? 'missing' : bdi(String(f.value)),
        ]),
      ),
  );
}

/**
 * The changed records with their filters: the controls are made once, so a new check's
 * answer redraws the list without taking the focus or the filter from the expert.
 */
class ChangedList {
  private records: ChangedRecord[] | null = [];
  private onRecord: (index: number) => void = () => undefined;
  private controls:
    { verdict: HTMLSelectElement; cls: HTMLSelectElement; text: HTMLInputElement } | undefined;
  private count = h('span', { class: 'muted', 'data-test': 'changed-count' });
  private list = h('ul', { class: 'changed-records', 'data-test': 'changed-records' });

  show(records: ChangedRecord[] | null, onRecord: (index: number) => void): void {
    this.records = records;
    this.onRecord = onRecord;
    this.mount();
    this.draw();
  }

  private mount(): void {
    if (this.controls) return;
    const verdict = h(
      'select',
      { 'aria-label': 'show', 'data-test': 'changed-verdict' },
      h('option', { value: '' }, 'all'),
      ...VERDICTS.map((v) => h('option', { value: v }, v)),
    );
    const cls = h(
      'select',
      { 'aria-label': 'class', 'data-test': 'changed-class' },
      h('option', { value: '' }, 'any class'),
    );
    const text = h('input', {
      type: 'search',
      'aria-label': 'search the fields',
      placeholder: 'search values',
      'data-test': 'changed-search',
    });
    for (const c of [verdict, cls, text]) c.addEventListener('input', () => this.draw());
    this.controls = { verdict, cls, text };
    fill(
      byId('changed-records'),
      h('div', { class: 'change-filters' }, verdict, cls, text, this.count),
      this.list,
    );
  }

  private draw(): void {
    const { verdict, cls, text } = this.controls!;
    if (this.records === null) {
      this.count.textContent = '';
      fill(this.list, h('li', { class: 'muted' }, 'not measured'));
      return;
    }
    const classes = [...new Set(this.records.flatMap((r) => [r.from, r.to]))].sort();
    const chosen = cls.value;
    fill(
      cls,
      h('option', { value: '' }, 'any class'),
      ...classes.map((c) => h('option', { value: c }, c)),
    );
    cls.value = classes.includes(chosen) ? chosen : '';
    const filter: ChangeFilter = {
      verdict: verdict.value as ChangeVerdict | '',
      cls: cls.value,
      text: text.value,
    };
    const shown = this.records.filter((r) => matchesChange(r, filter));
    isolator.add(classes);
    this.count.textContent = `${shown.length} of ${this.records.length} shown`;
    fill(
      this.list,
      ...(this.records.length === 0
        ? [h('li', { class: 'muted' }, 'none: the edits decide every held-out record as saved')]
        : shown.map((r) => changedLine(r, this.onRecord))),
    );
  }
}

const changedList = new ChangedList();

/** Draws the regions that change class: the deciding overrides' features first, the rest folded. */
export function renderRegions(result: StudioCheck): void {
  fill(
    byId('regions'),
    ...(result.regions.length
      ? result.regions.map((r) => {
          const main = r.own.length ? r.own : r.other;
          const folded = r.own.length ? r.other : [];
          return h(
            'li',
            { 'data-test': 'region' },
            bdi(r.from),
            ' → ',
            bdi(r.to),
            ': ',
            ...isolator.nodes(main.length ? main.join(' and ') : 'any record'),
            r.included &&
              h('span', { class: 'muted included' }, ' (', ...isolator.nodes(r.included), ')'),
            folded.length > 0 &&
              h(
                'details',
                { class: 'region-rest' },
                h(
                  'summary',
                  {},
                  `and ${folded.length} more condition${folded.length > 1 ? 's' : ''}`,
                ),
                ...isolator.nodes(folded.join(' and ')),
              ),
          );
        })
      : [h('li', { class: 'muted' }, 'no region of the input space changes class')]),
  );
}
