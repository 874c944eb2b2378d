/**
 * The decision table's model: an override file's YAML text ⇄ rows, one per override in hit
 * order (priority, highest first, then position), a column per feature used (schema order),
 * then class, priority, reason and owner. Every edit returns the file's new text: the edited
 * override is rewritten through yaml's Document (its comments kept) and spliced in place of
 * its old text, so the other overrides keep theirs; rows move as whole blocks of text. What a
 * row cannot show (nested `all`/`any`/`not`, a condition no cell can write) makes it
 * read-only: it is edited in the YAML view. No DOM: tested in node (test/web/).
 */
import {
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  Scalar,
  type Document,
  type Node as YamlNode,
  YAMLMap,
  type YAMLSeq,
} from 'yaml';
import type { Feature } from '../../data/types';
import { formatCell, type OperatorMap } from '../../overrides/cell-syntax';
import { OVERRIDE_KEYS } from '../../overrides/override-operators';
import type { StudioCondition } from '../../studio/contract';

/** The default priority of an override that gives none (docs/overrides.md). */
const DEFAULT_PRIORITY = 100;
/** The lowest priority an override may have: the distilled rules have 1. */
const LOWEST_PRIORITY = 2;
/** How edited overrides are written: one line per flow map, `{ a: 1 }`, single quotes. */
const WRITE = { lineWidth: 0, singleQuote: true } as const;

/** An example of an override, as written (checked by the live check). */
export interface TableExample {
  input: Record<string, unknown>;
  expect: string;
}

/** One override as a row. */
export interface TableRow {
  /** Its position in the file's list. */
  index: number;
  id: string;
  /** Feature → cell text, for the features it reads at its top level. */
  cells: Record<string, string>;
  class: string;
  priority: number;
  reason: string;
  owner: string;
  /** False when the table cannot show or write it: `why` says so. */
  editable: boolean;
  why: string;
  examples: TableExample[];
}

/** A file as a table, or why it cannot be one (its YAML does not parse). */
export type DecisionTable =
  { ok: true; columns: string[]; rows: TableRow[] } | { ok: false; message: string };

const FIXED = new Set<string>(OVERRIDE_KEYS.override);
const NESTING = new Set(['all', 'any', 'not']);

const text = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? '' : String(v));

/** The list of overrides of a parsed file (null when the file is not one). */
function listOf(doc: Document): YAMLSeq | null {
  if (doc.errors.length > 0) return null;
  if (doc.contents === null) return null;
  return isSeq(doc.contents) ? doc.contents : null;
}

/** One list item as a row. */
function readRow(item: unknown, index: number, features: Map<string, Feature>): TableRow {
  const row: TableRow = {
    index,
    id: '',
    cells: {},
    class: '',
    priority: DEFAULT_PRIORITY,
    reason: '',
    owner: '',
    editable: true,
    why: '',
    examples: [],
  };
  const lock = (why: string): void => {
    if (row.editable) row.why = why;
    row.editable = false;
  };
  if (!isMap(item)) {
    lock('not an override (a map with id, when and then)');
    return row;
  }
  const js = item.toJSON() as Record<string, unknown>;
  row.id = text(js.id);
  const then = js.then as { class?: unknown } | null;
  row.class = then && typeof then === 'object' ? text(then.class) : '';
  row.priority = typeof js.priority === 'number' ? js.priority : DEFAULT_PRIORITY;
  if (js.priority !== undefined && typeof js.priority !== 'number')
    lock('a priority that is not a number');
  row.reason = text(js.reason);
  row.owner = text(js.owner);
  if (Array.isArray(js.examples))
    row.examples = js.examples
      .filter((e): e is { input: Record<string, unknown>; expect: unknown } =>
        Boolean(e && typeof e === 'object' && (e as { input?: unknown }).input),
      )
      .map((e) => ({ input: e.input, expect: text(e.expect) }));
  for (const pair of item.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!FIXED.has(key)) lock(`a key the table does not show ('${key}')`);
  }
  const when = item.get('when', true) as YamlNode | undefined;
  if (!isMap(when)) {
    if (when !== undefined && !(isScalar(when) && when.value === null))
      lock("a 'when' that is not a map");
    return row;
  }
  for (const pair of when.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const feature = features.get(key);
    if (NESTING.has(key)) {
      lock(`nested '${key}': edit in YAML`);
      continue;
    }
    if (!feature) {
      lock(`'${key}' is not a feature`);
      continue;
    }
    const value = (pair.value as YamlNode | null)?.toJSON() as unknown;
    const cell = formatCell(value, feature);
    if (cell === null) lock(`a condition on '${key}' a cell cannot show: edit in YAML`);
    row.cells[key] = cell ?? JSON.stringify(value);
  }
  return row;
}

/** The rows in hit order: priority (highest first), then position. */
export function hitOrder<T extends { priority: number; index: number }>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) => b.priority - a.priority || a.index - b.index);
}

/**
 * Reads a file into its table: rows in hit order, columns the features its overrides read
 * and those of `extra` (columns added for a new condition), in schema order.
 */
export function readTable(
  source: string,
  features: readonly Feature[],
  extra: readonly string[] = [],
): DecisionTable {
  const doc = parseDocument(source);
  if (doc.errors.length > 0)
    return { ok: false, message: 'the YAML does not parse: fix it in the YAML view' };
  const list = listOf(doc);
  if (!list && doc.contents !== null)
    return { ok: false, message: 'the file is not a list of overrides: fix it in the YAML view' };
  const byName = new Map(features.map((f) => [f.name, f]));
  const rows = hitOrder((list?.items ?? []).map((item, i) => readRow(item, i, byName)));
  const used = new Set([...extra, ...rows.flatMap((r) => Object.keys(r.cells))]);
  return { ok: true, columns: features.map((f) => f.name).filter((n) => used.has(n)), rows };
}

/** A flow map `{ '<': 18 }`: operator symbols quoted, as docs/overrides.md writes them. */
function flowMap(doc: Document, map: Record<string, unknown>): YAMLMap {
  const node = new YAMLMap();
  node.flow = true;
  for (const [key, value] of Object.entries(map)) {
    const k = new Scalar(key);
    if (!/^[A-Za-z]/.test(key)) k.type = Scalar.QUOTE_SINGLE;
    const v = doc.createNode(value, { flow: true });
    node.items.push(doc.createPair(k, v));
  }
  return node;
}

/** The list item at `index` of a parsed file, with the document. */
function itemAt(source: string, index: number): { doc: Document; item: YAMLMap } {
  const doc = parseDocument(source);
  const item = listOf(doc)?.items[index];
  if (!isMap(item)) throw new Error(`no override at position ${index}`);
  return { doc, item };
}

/**
 * Applies `edit` to the override at `index` and splices its new text in place of the old:
 * the rest of the file keeps its text.
 */
function editItem(
  source: string,
  index: number,
  edit: (item: YAMLMap, doc: Document) => void,
): string {
  const { doc, item } = itemAt(source, index);
  const [from, to] = item.range!;
  edit(item, doc);
  const written = doc.toString(WRITE);
  const again = itemAt(written, index).item.range!;
  return source.slice(0, from) + written.slice(again[0], again[1]) + source.slice(to);
}

/**
 * Sets a feature's cell of the override at `index`: its operator map, or none (null: the
 * condition is removed).
 */
export function setCell(
  source: string,
  index: number,
  feature: string,
  map: OperatorMap | null,
): string {
  return editItem(source, index, (item, doc) => {
    let when = item.get('when', true) as YamlNode | undefined;
    if (!isMap(when)) {
      if (map === null) return;
      when = new YAMLMap();
      item.set('when', when);
    }
    const block = when as YAMLMap;
    if (map === null) block.delete(feature);
    else {
      block.flow = false;
      block.set(feature, flowMap(doc, map));
    }
  });
}

/** A field of a row other than a cell. */
export type RowField = 'id' | 'class' | 'priority' | 'reason' | 'owner';

/** Sets the id, class, priority, reason or owner of the override at `index` ('' removes reason and owner). */
export function setField(
  source: string,
  index: number,
  field: RowField,
  value: string | number,
): string {
  return editItem(source, index, (item, doc) => {
    if (field === 'class') item.set('then', flowMap(doc, { class: value }));
    else if ((field === 'reason' || field === 'owner') && value === '') item.delete(field);
    else item.set(field, value);
  });
}

/** Where each override's text is: from its first line (and the comments right above it) to the next's. */
function blocks(source: string): { from: number; to: number }[] {
  const list = listOf(parseDocument(source));
  if (!list) return [];
  const starts = list.items.map((item, i) => {
    const at = (item as YamlNode).range![0];
    let start = source.lastIndexOf('\n', at - 1) + 1;
    // Comments right above an item (not the file's header) go with it.
    while (i > 0 && start > 0) {
      const above = source.lastIndexOf('\n', start - 2) + 1;
      if (!source.slice(above, start).trim().startsWith('#')) break;
      start = above;
    }
    return start;
  });
  return starts.map((from, i) => ({ from, to: starts[i + 1] ?? source.length }));
}

/** `text` without blank lines at its end, ending with one newline. */
const oneNewline = (s: string): string => s.replace(/\s*$/, '\n');

/** Inserts an override's text at `at` (a block's start or the end), a blank line either side. */
function insertBlock(source: string, at: number, block: string): string {
  const before = source.slice(0, at);
  const after = source.slice(at);
  const head = before.trim() === '' ? before : before.replace(/\n*$/, '\n\n');
  return head + oneNewline(block) + (after.trim() === '' ? '' : `\n${after.replace(/^\n+/, '')}`);
}

/** The file without the override at `index` (and the comments right above it). */
export function deleteRow(source: string, index: number): string {
  const b = blocks(source)[index];
  if (!b) return source;
  const before = source.slice(0, b.from);
  const after = source.slice(b.to);
  if (after.trim() === '') return before.trim() === '' ? '' : oneNewline(before);
  return before + after;
}

/** An id not yet used in the file: `base`, else `base-2`, `base-3`, … */
function freshId(source: string, base: string): string {
  const list = listOf(parseDocument(source));
  const used = new Set(
    (list?.items ?? []).map((item) => (isMap(item) ? text(item.get('id')) : '')),
  );
  if (!used.has(base)) return base;
  let n = 2;
  while (used.has(`${base}-${n}`)) n++;
  return `${base}-${n}`;
}

/** What a new row starts with: conditions (feature → operator map) and a class. */
export interface NewRow {
  conditions: Record<string, OperatorMap>;
  class: string;
  id?: string;
}

/**
 * Adds an override at the end of the file and of the hit order: its priority just below the
 * lowest (the same when that is already the lowest allowed).
 */
export function addRow(source: string, row: NewRow, features: readonly Feature[]): string {
  const table = readTable(source, features);
  const rows = table.ok ? table.rows : [];
  const last = rows[rows.length - 1];
  const priority = last ? Math.max(LOWEST_PRIORITY, last.priority - 1) : DEFAULT_PRIORITY;
  const doc = parseDocument('- id: x\n');
  const item = (doc.contents as YAMLSeq).items[0] as YAMLMap;
  item.set('id', freshId(source, row.id ?? 'new-override'));
  const when = new YAMLMap();
  // Schema order, as the columns.
  for (const f of features)
    if (row.conditions[f.name]) when.set(f.name, flowMap(doc, row.conditions[f.name]!));
  item.set('when', when);
  item.set('then', flowMap(doc, { class: row.class }));
  item.set('priority', priority);
  return insertBlock(source, source.length, doc.toString(WRITE));
}

/** Adds a copy of the override at `index` right after it (a fresh id, the same priority). */
export function duplicateRow(source: string, index: number): string {
  const b = blocks(source)[index];
  if (!b) return source;
  const { item } = itemAt(source, index);
  const id = freshId(source, text(item.get('id')) || 'new-override');
  const copied = insertBlock(source, b.to, source.slice(b.from, b.to));
  return setField(copied, index + 1, 'id', id);
}

/**
 * Moves the override at hit position `from` to hit position `to`, its priority changed
 * (only if it must) so that the hit order is the new row order: strictly between its new
 * neighbours' where a whole number fits, else equal to one of them, the text placed so
 * that position breaks the tie.
 */
export function moveRow(
  source: string,
  features: readonly Feature[],
  from: number,
  to: number,
): string {
  const table = readTable(source, features);
  if (!table.ok || from === to) return source;
  const order = [...table.rows];
  const [moved] = order.splice(from, 1);
  if (!moved || to < 0 || to > order.length) return source;
  order.splice(to, 0, moved);
  const prev = order[to - 1];
  const next = order[to + 1];
  const hi = prev?.priority ?? Infinity;
  const lo = next?.priority ?? LOWEST_PRIORITY - 1;
  let p = moved.priority;
  if (!(p < hi && p > lo)) {
    if (hi - lo >= 2) p = prev && next ? Math.floor((hi + lo) / 2) : prev ? hi - 1 : lo + 1;
    else p = prev ? hi : lo;
  }
  let edited = p === moved.priority ? source : setField(source, moved.index, 'priority', p);
  const all = blocks(edited);
  const own = all[moved.index]!;
  const blockText = edited.slice(own.from, own.to);
  // Ties are broken by position: after the previous row, or before the next.
  const anchor =
    prev && (p === prev.priority || !next) ? all[prev.index]!.to : all[next!.index]!.from;
  if (anchor === own.from || anchor === own.to) return edited;
  const shift = anchor > own.from ? own.to - own.from : 0;
  edited = edited.slice(0, own.from) + edited.slice(own.to);
  return insertBlock(edited, anchor - shift, blockText);
}

/** A rule's conditions as json-rules-engine writes them (the contract's type). */
export type RuleCondition = StudioCondition;

/** A distilled rule as a row: its cells, and the operator maps a new override starts with. */
export interface RuleRow {
  cells: Record<string, string>;
  maps: Record<string, OperatorMap>;
}

type Leaf = { fact: string; operator: string; value: unknown };
const isLeaf = (c: RuleCondition): c is Leaf => 'fact' in c;
/** The comparisons of a condition on one fact (a leaf, or `all` of leaves), or null. */
const leavesOf = (c: RuleCondition): Leaf[] | null =>
  isLeaf(c) ? [c] : 'all' in c && c.all.every(isLeaf) ? c.all : null;

/**
 * Reads a distilled rule's conditions into cells: its comparisons per feature, and the
 * "X or missing" the distiller writes as `any: [X, equal null]` shown as `… or missing`
 * (an override starting from the rule takes X: a cell has no "or"). What is neither is
 * shown as its JSON, and left out of the maps.
 */
export function ruleRow(conditions: RuleCondition, features: readonly Feature[]): RuleRow {
  const byName = new Map(features.map((f) => [f.name, f]));
  const maps: Record<string, OperatorMap> = {};
  const orMissing = new Set<string>();
  const odd: Record<string, string> = {};
  const put = (leaf: Leaf): void => {
    const map = (maps[leaf.fact] ??= {});
    map[leaf.operator] = leaf.value as OperatorMap[string];
  };
  for (const c of 'all' in conditions ? conditions.all : [conditions]) {
    const leaves = leavesOf(c);
    if (leaves) {
      leaves.forEach(put);
      continue;
    }
    if ('any' in c && c.any.length === 2) {
      const missing = c.any.find((x) => isLeaf(x) && x.operator === 'equal' && x.value === null);
      const other = c.any.find((x) => x !== missing);
      const rest = other ? leavesOf(other) : null;
      if (missing && rest && rest.every((l) => l.fact === (missing as Leaf).fact)) {
        rest.forEach(put);
        orMissing.add((missing as Leaf).fact);
        continue;
      }
    }
    odd[JSON.stringify(c)] = JSON.stringify(c);
  }
  const cells: Record<string, string> = {};
  for (const [fact, map] of Object.entries(maps)) {
    const feature = byName.get(fact);
    const cell = feature ? formatCell(map, feature) : null;
    if (cell === null) {
      cells[fact] = JSON.stringify(map);
      delete maps[fact];
    } else cells[fact] = orMissing.has(fact) ? `${cell} or missing` : cell;
  }
  for (const text of Object.values(odd)) cells[text] = text;
  return { cells, maps };
}
