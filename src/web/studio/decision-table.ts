/**
 * The decision table: the default view of a file's overrides, one row per override in hit
 * order, a cell per feature in the cell syntax (`src/overrides/cell-syntax.ts`), then class,
 * priority, reason and owner; its examples in a sub-table with pass or fail. The YAML editor
 * is the "source" view of the same text: every table edit is an edit of the editor's text
 * (`table-model.ts` writes it), so the live check runs as for typing, and every edit of the
 * text draws the table again. Under it, the distilled rules in the same form, read-only; a
 * click on one starts a new override with its conditions.
 */
import type { Feature } from '../../data/types';
import { parseCell, type OperatorMap } from '../../overrides/cell-syntax';
import type { StudioCheck, StudioModel } from '../../studio/contract';
import { bdi } from './bidi';
import { byId, fill, h } from './dom';
import {
  addRow,
  deleteRow,
  duplicateRow,
  moveRow,
  readTable,
  ruleRow,
  setCell,
  setField,
  type RowField,
  type TableRow,
} from './table-model';

/** What the table needs of the page. */
export interface TableHost {
  features: Feature[];
  classes: string[];
  /** The name and text of the file shown. */
  file(): { name: string; text: string };
  /** Replaces the text of the file shown (one undoable edit of the editor). */
  replace(text: string): void;
  /** Shows the YAML view (after `hidden` changed on the editor's host). */
  sourceShown(): void;
}

/** The fields after the feature cells. */
const FIELDS: RowField[] = ['class', 'priority', 'reason', 'owner'];

/** The decision table, the switch between it and the YAML view, and the distilled rules' table. */
export class DecisionTable {
  /** Columns added for a new condition, per file. */
  private readonly extra = new Map<string, string[]>();
  /** Cells typed that do not read (key `index:column`): shown as typed, with their problem. */
  private drafts = new Map<string, string>();
  private check: StudioCheck | null = null;
  private showing: 'table' | 'source' = 'table';
  /** The row dragged (its hit position). */
  private dragged: number | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly editorHost: HTMLElement,
    private readonly host: TableHost,
  ) {
    byId('view-table').addEventListener('click', () => this.show('table'));
    byId('view-source').addEventListener('click', () => this.show('source'));
    this.show('table');
  }

  /** Shows the table or the YAML view. */
  show(view: 'table' | 'source'): void {
    this.showing = view;
    this.root.hidden = view !== 'table';
    this.editorHost.hidden = view !== 'source';
    byId('view-table').setAttribute('aria-pressed', String(view === 'table'));
    byId('view-source').setAttribute('aria-pressed', String(view === 'source'));
    if (view === 'table') this.render();
    else this.host.sourceShown();
  }

  /** The text changed (typed in YAML, or a table edit): draw the table again. */
  edited(): void {
    if (this.showing === 'table') this.render();
  }

  /** Another file is shown: typed cells belong to the one before. */
  opened(): void {
    this.drafts.clear();
    this.edited();
  }

  /** A check came: the examples' pass or fail. */
  checked(result: StudioCheck): void {
    const before = JSON.stringify(this.check?.examples ?? []);
    this.check = result;
    // Most checks leave every example as it was (an edit changes the impact, not the
    // examples): the table drawn for the text already shows them.
    if (JSON.stringify(result.examples) !== before) this.edited();
  }

  /** Draws the table from the file's text, keeping the focused cell and its selection. */
  render(): void {
    const active = document.activeElement as HTMLInputElement | null;
    const key = active && this.root.contains(active) ? active.dataset.key : undefined;
    const selection = key ? [active!.selectionStart, active!.selectionEnd] : null;
    const { name, text } = this.host.file();
    const table = readTable(text, this.host.features, this.extra.get(name) ?? []);
    if (!table.ok) {
      fill(this.root, h('p', { class: 'dt-note error', 'data-test': 'dt-note' }, table.message));
      return;
    }
    const columns = table.columns;
    // Columns stay while the file is shown: emptying a cell, or typing over it, keeps it.
    this.extra.set(name, columns);
    const head = h(
      'tr',
      {},
      h('th', { class: 'dt-hit' }, '#'),
      h('th', {}, 'id'),
      ...columns.map((c) => h('th', { class: 'dt-feature' }, bdi(c))),
      ...FIELDS.map((f) => h('th', {}, f)),
      h('th', {}, ''),
    );
    const body = h('tbody', {});
    table.rows.forEach((row, position) => {
      body.append(...this.rowElements(row, position, columns, table.rows.length));
      const examples = this.examplesElement(row, columns);
      if (examples) body.append(examples);
    });
    const unused = this.host.features.filter((f) => !columns.includes(f.name));
    const addColumn = h(
      'select',
      { 'data-test': 'dt-add-column', 'aria-label': 'add a column for a feature' },
      h('option', { value: '' }, '+ column for a feature…'),
      ...unused.map((f) => h('option', { value: f.name }, f.name)),
    );
    addColumn.addEventListener('change', () => {
      if (!addColumn.value) return;
      this.extra.set(name, [...(this.extra.get(name) ?? []), addColumn.value]);
      this.render();
    });
    const add = h('button', { type: 'button', 'data-test': 'dt-add-row' }, '+ row');
    add.addEventListener('click', () =>
      this.edit(
        addRow(text, { conditions: {}, class: this.host.classes[0] ?? '' }, this.host.features),
      ),
    );
    fill(
      this.root,
      h('table', { class: 'dt-table', 'data-test': 'dt-table' }, h('thead', {}, head), body),
      table.rows.length === 0 ? h('p', { class: 'muted' }, 'no overrides in this file yet') : null,
      h('div', { class: 'dt-actions' }, add, addColumn),
    );
    if (key) {
      const again = this.root.querySelector<HTMLInputElement>(`[data-key="${CSS.escape(key)}"]`);
      if (again) {
        again.focus();
        if (selection && again.setSelectionRange)
          again.setSelectionRange(selection[0] ?? null, selection[1] ?? null);
      }
    }
  }

  /** Replaces the file's text with a table edit's. */
  private edit(text: string): void {
    this.host.replace(text);
  }

  /** One override's row (and the note of a read-only one). */
  private rowElements(
    row: TableRow,
    position: number,
    columns: string[],
    count: number,
  ): HTMLElement[] {
    const { text } = this.host.file();
    const lock = !row.editable;
    const tr = h('tr', {
      class: lock ? 'dt-row dt-locked' : 'dt-row',
      'data-test': 'dt-row',
      'data-id': row.id,
      draggable: lock ? undefined : 'true',
    });
    tr.addEventListener('dragstart', (e) => {
      this.dragged = position;
      e.dataTransfer?.setData('text/plain', String(position));
    });
    tr.addEventListener('dragover', (e) => e.preventDefault());
    tr.addEventListener('drop', (e) => {
      e.preventDefault();
      const from = this.dragged;
      this.dragged = null;
      if (from !== null && from !== position)
        this.edit(moveRow(text, this.host.features, from, position));
    });
    const cellInput = (column: string, value: string, label: string): HTMLInputElement => {
      const key = `${row.index}:${column}`;
      const input = h('input', {
        type: 'text',
        class: 'dt-cell',
        'data-key': key,
        'data-test': 'dt-cell',
        'data-column': column,
        'aria-label': `${row.id} ${label}`,
        value: this.drafts.get(key) ?? value,
        disabled: lock,
        size: Math.max(6, Math.min(24, value.length + 1)),
      });
      return input;
    };
    const error = (td: HTMLElement, code: string, message: string): void => {
      td.classList.add('dt-invalid');
      td.append(
        h(
          'span',
          { class: 'dt-error', 'data-test': 'dt-cell-error', 'data-code': code, role: 'alert' },
          message,
        ),
      );
    };
    const cells = columns.map((column) => {
      const feature = this.host.features.find((f) => f.name === column)!;
      const input = cellInput(column, row.cells[column] ?? '', column);
      const td = h('td', { class: 'dt-feature' }, input);
      const draft = this.drafts.get(input.dataset.key!);
      if (draft !== undefined) {
        const r = parseCell(draft, feature);
        if (!r.ok) error(td, r.issue.code, r.issue.message);
      }
      input.addEventListener('input', () => this.cellTyped(row, feature, input));
      return td;
    });
    const id = cellInput('id', row.id, 'id');
    id.addEventListener('input', () =>
      this.edit(setField(this.host.file().text, row.index, 'id', id.value)),
    );
    const cls = h(
      'select',
      {
        class: 'dt-class',
        'data-key': `${row.index}:class`,
        'data-test': 'dt-class',
        'aria-label': `${row.id} class`,
        disabled: lock,
      },
      ...(this.host.classes.includes(row.class)
        ? []
        : [h('option', { value: row.class }, row.class)]),
      ...this.host.classes.map((c) => h('option', { value: c, selected: c === row.class }, c)),
    );
    cls.addEventListener('change', () =>
      this.edit(setField(this.host.file().text, row.index, 'class', cls.value)),
    );
    const fieldCells = FIELDS.map((field) => {
      if (field === 'class') return h('td', {}, cls);
      const value = field === 'priority' ? String(row.priority) : row[field];
      const input = cellInput(field, value, field);
      input.dataset.test = `dt-${field}`;
      const td = h('td', {}, input);
      const draft = this.drafts.get(input.dataset.key!);
      if (draft !== undefined) error(td, 'INVALID_OVERRIDE', PRIORITY_HELP);
      input.addEventListener('input', () => this.fieldTyped(row, field, input));
      return td;
    });
    const button = (label: string, title: string, test: string, act: () => void): HTMLElement => {
      const b = h(
        'button',
        {
          type: 'button',
          title,
          'aria-label': `${title} ${row.id}`,
          'data-test': test,
          disabled: lock,
        },
        label,
      );
      b.addEventListener('click', act);
      return b;
    };
    const move = (to: number) => () =>
      this.edit(moveRow(this.host.file().text, this.host.features, position, to));
    const actions = h(
      'td',
      { class: 'dt-row-actions' },
      button('↑', 'move up', 'dt-up', move(position - 1)),
      button('↓', 'move down', 'dt-down', move(Math.min(count - 1, position + 1))),
      button('copy', 'duplicate', 'dt-duplicate', () =>
        this.edit(duplicateRow(this.host.file().text, row.index)),
      ),
      button('✕', 'delete', 'dt-delete', () =>
        this.edit(deleteRow(this.host.file().text, row.index)),
      ),
    );
    const first = h(
      'td',
      { class: 'dt-hit' },
      lock ? '' : h('span', { class: 'dt-grip', 'aria-hidden': 'true' }, '⋮⋮'),
      String(position + 1),
    );
    fill(tr, first, h('td', {}, id), ...cells, ...fieldCells, actions);
    if (lock) {
      const source = h('button', { type: 'button', class: 'dt-to-source' }, 'edit in YAML');
      source.addEventListener('click', () => this.show('source'));
      const note = h(
        'td',
        { colspan: columns.length + FIELDS.length + 3, class: 'dt-why', 'data-test': 'dt-why' },
        `${row.why} `,
        source,
      );
      return [tr, h('tr', { class: 'dt-why-row' }, note)];
    }
    return [tr];
  }

  /** A feature's cell typed: written to the YAML when it reads, else shown with its problem. */
  private cellTyped(row: TableRow, feature: Feature, input: HTMLInputElement): void {
    const key = input.dataset.key!;
    const r = parseCell(input.value, feature);
    if (!r.ok) {
      this.drafts.set(key, input.value);
      this.render();
      return;
    }
    this.drafts.delete(key);
    const text = this.host.file().text;
    const next = setCell(text, row.index, feature.name, r.value as OperatorMap | null);
    if (next === text) this.render();
    else this.edit(next);
  }

  /** A priority, reason, owner typed. */
  private fieldTyped(row: TableRow, field: RowField, input: HTMLInputElement): void {
    const key = input.dataset.key!;
    let value: string | number = input.value;
    if (field === 'priority') {
      const n = Number(input.value.trim());
      if (!/^\d+$/.test(input.value.trim()) || n < 2) {
        this.drafts.set(key, input.value);
        this.render();
        return;
      }
      value = n;
    }
    this.drafts.delete(key);
    this.edit(setField(this.host.file().text, row.index, field, value));
  }

  /** The examples of a row, under it, with pass or fail from the last check. */
  private examplesElement(row: TableRow, columns: string[]): HTMLElement | null {
    if (row.examples.length === 0) return null;
    const { name } = this.host.file();
    const results = (this.check?.examples ?? [])
      .filter((e) => e.file === name && e.override === row.id)
      .sort((a, b) => a.line - b.line);
    const table = h(
      'table',
      { class: 'dt-examples', 'data-test': 'dt-examples' },
      h(
        'tr',
        {},
        ...columns.map((c) => h('th', {}, bdi(c))),
        h('th', {}, 'expect'),
        h('th', {}, 'decided'),
        h('th', {}, ''),
      ),
      ...row.examples.map((e, i) => {
        const r = results[i];
        return h(
          'tr',
          {},
          ...columns.map((c) =>
            h('td', {}, bdi(e.input[c] === null ? 'missing' : String(e.input[c] ?? ''))),
          ),
          h('td', {}, bdi(e.expect)),
          h('td', {}, r ? bdi(`${r.class} (${r.ruleId})`) : '…'),
          h(
            'td',
            { class: r ? (r.pass ? 'ok' : 'error') : 'muted', 'data-test': 'dt-example-result' },
            r ? (r.pass ? 'pass' : 'fail') : 'not checked',
          ),
        );
      }),
    );
    return h(
      'tr',
      { class: 'dt-examples-row' },
      h('td', {}, ''),
      h(
        'td',
        { colspan: columns.length + FIELDS.length + 2 },
        h('span', { class: 'muted small' }, 'examples '),
        table,
      ),
    );
  }

  /** The distilled rules, read-only in the same form; a click starts an override from one. */
  renderDistilled(model: StudioModel): void {
    const rows = model.distilled.map((r) => ({
      rule: r,
      ...ruleRow(r.conditions, this.host.features),
    }));
    const used = new Set(rows.flatMap((r) => Object.keys(r.cells)));
    const columns = [
      ...this.host.features.map((f) => f.name).filter((n) => used.has(n)),
      ...[...used].filter((n) => !this.host.features.some((f) => f.name === n)),
    ];
    fill(
      byId('distilled-table'),
      h(
        'table',
        { class: 'dt-table dt-distilled', 'data-test': 'dt-distilled' },
        h(
          'tr',
          {},
          h('th', {}, 'rule'),
          ...columns.map((c) => h('th', {}, bdi(c))),
          h('th', {}, 'class'),
          h('th', {}, 'support'),
          h('th', {}, ''),
        ),
        ...rows.map(({ rule, cells, maps }) => {
          const start = h(
            'button',
            {
              type: 'button',
              'data-test': 'dt-from-distilled',
              title: 'start a new override with these conditions',
            },
            'start an override',
          );
          start.addEventListener('click', () => {
            this.show('table');
            const text = this.host.file().text;
            this.edit(
              addRow(
                text,
                { conditions: maps, class: rule.class, id: `from-${rule.id}` },
                this.host.features,
              ),
            );
          });
          return h(
            'tr',
            {},
            h('td', {}, bdi(rule.id)),
            ...columns.map((c) => h('td', { class: 'dt-feature' }, bdi(cells[c] ?? '-'))),
            h('td', {}, bdi(rule.class)),
            h('td', {}, String(rule.support)),
            h('td', {}, start),
          );
        }),
      ),
    );
  }
}

/** What a priority cell takes. */
const PRIORITY_HELP = 'priority: expected a whole number ≥ 2 (higher is tried first)';
