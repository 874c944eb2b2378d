/**
 * The rule studio's page: rules, the YAML editor with live checks, an override form, the
 * impact of the unsaved edits, a record to try, the behaviour diff, and save with history.
 * Every figure and check comes from the studio's API, which runs the stages the CLI runs;
 * the page computes none of them itself.
 */
import { addExample, overrideIds } from './add-example';
import {
  ApiError,
  type CheckResult,
  DEFAULT_OPERATORS,
  type ExplainResult,
  type HistoryEntry,
  type ModelInfo,
  normaliseExplain,
  type Operators,
  type Problem,
  type RecordsPage,
  request,
  type StudioRecord,
  takeTokenFromUrl,
} from './api';
import { bdi, isolatedText, isolator } from './bidi';
import { byId, fill, fixed, h, signed } from './dom';
import { FilesEditor } from './editor';
import { mountOverrideForm, type OverrideForm } from './override-form';
import { mountRecordForm, type RecordForm } from './record-form';

/** The names the studio may write: a YAML file directly in the overrides folder. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*\.ya?ml$/;
/**
 * Milliseconds after the last keystroke before a check is asked for: short, since a check
 * answers in tens of milliseconds and a newer one cancels an older (the live-check bench
 * measures the whole round trip, this wait included).
 */
const CHECK_DELAY = 40;
/** Milliseconds after the last edit or cursor move before the form follows the cursor. */
const FORM_DELAY = 120;
/** Milliseconds after the last change before an explanation is asked for. */
const DELAY = 150;
const PAGE = 50;

type Files = { name: string; text: string }[];

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

function describeError(error: unknown): string {
  if (error instanceof ApiError) return `${error.code}: ${error.detail}`;
  return error instanceof Error ? error.message : String(error);
}

function setStatus(text: string, error = false): void {
  const status = byId('status');
  fill(status, ...isolator.nodes(text));
  status.classList.toggle('error', error);
}

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
 * The lines of the problems list: exactly what `neurules rules lint` prints (each problem's
 * line classed by its severity, its `example:` line and the summary after it), then a line
 * made here for any problem the CLI's text lacks, so every problem has its line and code.
 */
function problemLines(
  problems: readonly Problem[],
  lintLines: readonly string[],
): { text: string; kind: string; code?: string }[] {
  const placeOf = (p: Problem): string =>
    p.file !== null && p.line !== null ? `${p.file}:${p.line}:${p.column ?? 1} ` : '';
  const matched = new Set<Problem>();
  const out = lintLines.map((text) => {
    const problem = problems.find(
      (p) =>
        !matched.has(p) &&
        text.includes(`${placeOf(p)}${p.code} `) &&
        (placeOf(p) === '' || text.startsWith(placeOf(p)) || text.includes(`/${placeOf(p)}`)),
    );
    if (problem) {
      matched.add(problem);
      return { text, kind: problem.severity, code: problem.code };
    }
    return { text, kind: /^\s/.test(text) ? 'detail' : 'summary' };
  });
  for (const p of problems) {
    if (!matched.has(p))
      out.push({ text: `${placeOf(p)}${p.code} ${p.message}`, kind: p.severity, code: p.code });
  }
  return out;
}

class Studio {
  private model!: ModelInfo;
  private operators: Operators = DEFAULT_OPERATORS;
  /** The files as last loaded or saved: their text and the hash the save sends back. */
  private readonly loaded = new Map<string, { text: string; hash: string | null }>();
  private editor!: FilesEditor;
  private recordForm!: RecordForm;
  private overrideForm: OverrideForm | null = null;
  private check: CheckResult | null = null;
  /** The files the shown check was made for (JSON), to tell a current check from a stale one. */
  private checkedKey = '';
  private checkTimer: number | undefined;
  private formTimer: number | undefined;
  private checkAbort: AbortController | null = null;
  private explainTimer: number | undefined;
  private explainAbort: AbortController | null = null;
  private explained: ExplainResult | null = null;
  /** The held-out row shown in "Try a record", until the record is edited. */
  private pickedIndex: number | null = null;
  private readonly rows = new Map<number, StudioRecord>();
  private recordsOffset = 0;
  private recordsTotal = 0;
  private saving = false;

  async start(): Promise<void> {
    takeTokenFromUrl();
    this.model = await request<ModelInfo>('GET', '/api/model');
    this.remember(this.model.files);
    this.operators = this.model.operators ?? DEFAULT_OPERATORS;
    this.learnNames();
    fill(byId('model-name'), '— ', bdi(this.model.model));
    byId('data-description').textContent =
      `held-out records: ${this.model.data.description} (${this.model.data.rows} rows)`;
    document.title = `neurules studio — ${isolatedText(this.model.model)}`;
    this.renderRules();

    this.editor = new FilesEditor(
      byId('editor'),
      this.model.files,
      {
        features: this.model.schema.features,
        classes: this.model.classes,
        operators: this.operators,
      },
      () => this.edited(),
      () => this.scheduleFormSync(),
    );
    this.renderTabs();
    this.wireNewFile();
    this.overrideForm = mountOverrideForm(byId('override-form'), {
      features: this.model.schema.features,
      classes: this.model.classes,
      operators: this.operators,
      currentRecord: () => this.explained?.record ?? this.recordForm.read(),
      append: (text) => this.editor.append(text),
      source: () => ({
        text: this.editor.view.state.doc.toString(),
        cursor: this.editor.view.state.selection.main.head,
      }),
      replaceRange: (from, to, text) => this.editor.replaceRange(from, to, text),
    });
    this.overrideForm.sync();
    this.recordForm = mountRecordForm(byId('record-form'), this.model.schema.features, () => {
      this.pickedIndex = null;
      byId<HTMLSelectElement>('record-picker').value = '';
      this.scheduleExplain();
    });
    this.wireRecords();
    this.wireSave();
    this.renderExampleTargets();
    setStatus('ready');
    await Promise.all([this.runCheck(), this.loadRecords(0, true), this.loadHistory()]);
  }

  /** The names users wrote that the model shows (isolated wherever they are shown). */
  private learnNames(): void {
    const m = this.model;
    isolator.add([m.model, ...m.classes, ...m.overrides.map((o) => o.id)]);
    for (const f of m.schema.features) isolator.add([f.name, ...(f.levels ?? [])]);
  }

  private remember(files: ModelInfo['files']): void {
    this.loaded.clear();
    for (const f of files) this.loaded.set(f.name, { text: f.text, hash: f.hash });
  }

  // ---- Rules --------------------------------------------------------------------------

  private renderRules(): void {
    const m = this.model;
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

  // ---- Editor and live checks ---------------------------------------------------------

  private renderTabs(): void {
    const current = this.editor.active();
    const files = this.editor.files();
    fill(
      byId('tabs'),
      ...files.map((f) => {
        const dirty = this.loaded.get(f.name)?.text !== f.text;
        const tab = h(
          'button',
          {
            type: 'button',
            role: 'tab',
            class: 'tab',
            'aria-selected': f.name === current ? 'true' : 'false',
            title: dirty ? `${f.name} (edited, not saved)` : f.name,
          },
          f.name,
          dirty ? ' •' : '',
        );
        tab.addEventListener('click', () => {
          this.editor.open(f.name);
          this.overrideForm?.sync();
          this.renderTabs();
          this.renderExampleTargets();
        });
        return tab;
      }),
    );
  }

  private wireNewFile(): void {
    const form = byId<HTMLFormElement>('new-file-form');
    const input = byId<HTMLInputElement>('new-file-name');
    const message = byId('new-file-message');
    byId('new-file').addEventListener('click', () => {
      form.hidden = false;
      input.focus();
    });
    byId('new-file-cancel').addEventListener('click', () => {
      form.hidden = true;
      message.textContent = '';
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const name = input.value.trim();
      if (!FILE_NAME.test(name)) {
        message.textContent = 'a name like policy.yaml: letters, digits, . _ - and .yaml or .yml';
        return;
      }
      if (this.editor.names().some((n) => n.toLowerCase() === name.toLowerCase())) {
        message.textContent = `${name} is already open`;
        return;
      }
      this.editor.add(name, '');
      this.overrideForm?.sync();
      form.hidden = true;
      input.value = '';
      message.textContent = '';
      this.renderTabs();
      this.renderExampleTargets();
      this.edited();
    });
  }

  /**
   * The form follows the cursor a moment after the text or the cursor last moved: reading
   * the file's YAML on every keystroke would hold up the live check's round trip.
   */
  private scheduleFormSync(): void {
    window.clearTimeout(this.formTimer);
    this.formTimer = window.setTimeout(() => this.overrideForm?.sync(), FORM_DELAY);
  }

  /** After every edit of any file. */
  private edited(): void {
    this.renderTabs();
    byId('check-state').textContent = '(checking…)';
    this.updateSave();
    window.clearTimeout(this.checkTimer);
    this.checkTimer = window.setTimeout(() => void this.runCheck(), CHECK_DELAY);
  }

  private async runCheck(): Promise<void> {
    const files = this.editor.files();
    const key = JSON.stringify(files);
    this.checkAbort?.abort();
    const abort = (this.checkAbort = new AbortController());
    try {
      const result = await request<CheckResult>('POST', '/api/check', { files }, abort.signal);
      // A later edit has its own check coming; this one's places would be off.
      if (key !== JSON.stringify(this.editor.files())) return;
      this.check = result;
      this.checkedKey = key;
      this.renderCheck(result);
      this.renderExampleTargets();
      this.scheduleExplain();
    } catch (error) {
      if (isAbort(error)) return;
      fill(byId('check-state'), '(check failed: ', ...isolator.nodes(describeError(error)), ')');
    } finally {
      this.updateSave();
    }
  }

  private renderCheck(result: CheckResult): void {
    isolator.add([
      ...result.examples.map((e) => e.override),
      ...(result.impact?.overrides.map((o) => o.id) ?? []),
    ]);
    this.editor.showCheck(result);
    const all = [...result.problems, ...result.findings];
    fill(
      byId('problems'),
      ...problemLines(all, result.lintLines).map((l) =>
        h('li', { class: l.kind, 'data-code': l.code }, ...isolator.nodes(l.text)),
      ),
    );
    const errors = all.filter((p) => p.severity === 'error').length;
    byId('check-state').textContent = all.length
      ? `(${errors} error(s), ${all.length - errors} warning(s))`
      : '(none)';
    fill(
      byId('examples'),
      ...result.examples.map((e) =>
        h(
          'li',
          { class: e.pass ? 'pass' : 'fail' },
          `${e.pass ? 'pass' : 'fail'}  `,
          bdi(e.override),
          `  ${e.file}:${e.line}  expected `,
          bdi(e.expect),
          ', got ',
          bdi(e.class),
          ' (rule ',
          bdi(e.ruleId),
          ')',
        ),
      ),
    );
    this.renderImpact(result);
    this.renderRegions(result);
  }

  // ---- Impact and behaviour diff ------------------------------------------------------

  private renderImpact(result: CheckResult): void {
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
          `${r.line === undefined ? `record ${r.index + 1}` : `row ${r.line}`}: `,
          bdi(r.from),
          ' → ',
          bdi(r.to),
        );
        button.addEventListener('click', () => void this.explainRow(r.index));
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

  private renderRegions(result: CheckResult): void {
    fill(
      byId('regions'),
      ...(result.regions.length
        ? result.regions.map((r) =>
            h(
              'li',
              {},
              bdi(r.from),
              ' → ',
              bdi(r.to),
              ': ',
              ...isolator.nodes(
                Array.isArray(r.conditions) ? r.conditions.join(' or ') : r.conditions,
              ),
            ),
          )
        : [h('li', { class: 'muted' }, 'no region of the input space changes class')]),
    );
  }

  // ---- Try a record -------------------------------------------------------------------

  private wireRecords(): void {
    const picker = byId<HTMLSelectElement>('record-picker');
    picker.addEventListener('change', () => {
      if (picker.value === '') return;
      const index = Number(picker.value);
      const record = this.rows.get(index);
      if (record) this.recordForm.write(record);
      this.pickedIndex = index;
      void this.explain();
    });
    byId('records-prev').addEventListener(
      'click',
      () => void this.loadRecords(Math.max(0, this.recordsOffset - PAGE), false),
    );
    byId('records-next').addEventListener(
      'click',
      () => void this.loadRecords(this.recordsOffset + PAGE, false),
    );
    byId('save-example').addEventListener('click', () => this.saveExample());
  }

  private async loadRecords(offset: number, pickFirst: boolean): Promise<void> {
    try {
      const page = await request<RecordsPage>('GET', `/api/records?offset=${offset}&limit=${PAGE}`);
      this.recordsOffset = offset;
      this.recordsTotal = page.total;
      for (const r of page.records) this.rows.set(r.index, r.record);
      const picker = byId<HTMLSelectElement>('record-picker');
      fill(
        picker,
        h('option', { value: '' }, '(the record in the form)'),
        ...page.records.map((r) =>
          h(
            'option',
            { value: r.index },
            `${r.line === undefined ? `record ${r.index + 1}` : `row ${r.line}`} (label ${isolatedText(r.label)})`,
          ),
        ),
      );
      if (this.pickedIndex !== null && page.records.some((r) => r.index === this.pickedIndex)) {
        picker.value = String(this.pickedIndex);
      } else picker.value = '';
      const last = offset + page.records.length;
      byId('records-range').textContent = page.total
        ? `${offset + 1}–${last} of ${page.total}`
        : 'no held-out rows';
      byId<HTMLButtonElement>('records-prev').disabled = offset === 0;
      byId<HTMLButtonElement>('records-next').disabled = last >= page.total;
      const first = page.records[0];
      if (pickFirst && first) {
        picker.value = String(first.index);
        this.recordForm.write(first.record);
        this.pickedIndex = first.index;
        await this.explain();
      }
    } catch (error) {
      setStatus(`records: ${describeError(error)}`, true);
    }
  }

  private scheduleExplain(): void {
    window.clearTimeout(this.explainTimer);
    this.explainTimer = window.setTimeout(() => void this.explain(), DELAY);
  }

  /** Explains a changed record from the impact list in "Try a record". */
  private async explainRow(index: number): Promise<void> {
    this.pickedIndex = index;
    const picker = byId<HTMLSelectElement>('record-picker');
    picker.value =
      this.rows.has(index) && picker.querySelector(`option[value="${index}"]`) ? String(index) : '';
    await this.explain();
    byId('try-panel').scrollIntoView({ behavior: 'smooth', block: 'start' });
  }

  private async explain(): Promise<void> {
    const decision = byId('decision');
    const files = this.editor.files();
    let body: { files: Files; index?: number; record?: StudioRecord };
    if (this.pickedIndex !== null) body = { files, index: this.pickedIndex };
    else {
      const record = this.recordForm.read();
      if (!record) {
        fill(decision, h('p', { class: 'muted' }, 'Give every numeric feature a number.'));
        return;
      }
      body = { files, record };
    }
    this.explainAbort?.abort();
    const abort = (this.explainAbort = new AbortController());
    try {
      const result = normaliseExplain(
        await request<Parameters<typeof normaliseExplain>[0]>(
          'POST',
          '/api/explain',
          body,
          abort.signal,
        ),
      );
      this.explained = result;
      if (this.pickedIndex !== null) this.recordForm.write(result.record);
      this.renderDecision(result);
    } catch (error) {
      if (isAbort(error)) return;
      this.explained = null;
      fill(decision, h('p', { class: 'error' }, ...isolator.nodes(describeError(error))));
    }
  }

  private renderDecision(r: ExplainResult): void {
    const d = r.decision;
    const network = r.network
      ? h(
          'p',
          {},
          'network: ',
          bdi(r.network.class),
          ' (',
          ...Object.entries(r.network.probabilities).flatMap(([c, p], i) => [
            i ? ', ' : '',
            bdi(c),
            ` ${(p * 100).toFixed(1)}%`,
          ]),
          `) — ${r.network.class === d.class ? 'agrees' : 'disagrees'}`,
        )
      : null;
    fill(
      byId('decision'),
      h(
        'p',
        { class: 'verdict' },
        'decision: ',
        h('strong', { class: 'class' }, bdi(d.class)),
        ' (rule ',
        bdi(d.ruleId),
        `, ${d.source})`,
      ),
      d.reason ? h('p', {}, 'reason: ', bdi(d.reason)) : null,
      h(
        'p',
        {},
        'distilled rule ',
        bdi(r.distilledRule.id),
        ': ',
        ...isolator.nodes(r.distilledRule.sentence),
      ),
      network,
      r.counterfactuals.length
        ? h(
            'ol',
            { class: 'counterfactuals', 'aria-label': 'counterfactuals' },
            ...r.counterfactuals.map((c) =>
              h(
                'li',
                {},
                ...isolator.nodes(c.changes),
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

  private renderExampleTargets(): void {
    const select = byId<HTMLSelectElement>('example-target');
    const previous = select.value;
    const ids = overrideIds(this.editor.view.state.doc.toString());
    isolator.add(ids);
    fill(select, ...ids.map((id) => h('option', { value: id }, isolatedText(id))));
    if (ids.includes(previous)) select.value = previous;
    byId<HTMLButtonElement>('save-example').disabled = ids.length === 0;
  }

  private saveExample(): void {
    const message = byId('example-message');
    const id = byId<HTMLSelectElement>('example-target').value;
    const record = this.explained?.record ?? null;
    if (!record || !this.explained) {
      message.textContent = 'no decision to save yet';
      return;
    }
    const result = addExample(
      this.editor.view.state.doc.toString(),
      id,
      record,
      this.explained.decision.class,
    );
    if (!result.ok) {
      message.textContent = result.message;
      return;
    }
    this.editor.replace(result.text);
    fill(
      message,
      'added to ',
      bdi(id),
      ' (expect ',
      bdi(this.explained.decision.class),
      '); edit the expected class if it should differ',
    );
  }

  // ---- Save and history ---------------------------------------------------------------

  private changedFiles(): { name: string; text: string; baseHash: string | null }[] {
    return this.editor
      .files()
      .filter((f) => {
        const before = this.loaded.get(f.name);
        return before ? before.text !== f.text : f.text.trim() !== '';
      })
      .map((f) => ({ ...f, baseHash: this.loaded.get(f.name)?.hash ?? null }));
  }

  private updateSave(): void {
    const reason = byId<HTMLInputElement>('reason').value.trim();
    const current = JSON.stringify(this.editor.files()) === this.checkedKey;
    const changed = this.changedFiles().length;
    let hint = '';
    if (this.saving) hint = 'saving…';
    else if (!current || !this.check) hint = 'waiting for the checks';
    else if (!this.check.ok) hint = 'fix the errors first';
    else if (changed === 0) hint = 'nothing to save';
    else if (reason === '') hint = 'give a reason';
    byId<HTMLButtonElement>('save').disabled = hint !== '';
    byId('save-hint').textContent = hint;
  }

  private wireSave(): void {
    const reason = byId<HTMLInputElement>('reason');
    reason.addEventListener('input', () => this.updateSave());
    byId<HTMLFormElement>('save-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.save();
    });
    byId('reload').addEventListener('click', () => void this.reload());
  }

  private async save(): Promise<void> {
    const reason = byId<HTMLInputElement>('reason');
    const message = byId('save-message');
    const files = this.changedFiles();
    if (files.length === 0 || reason.value.trim() === '') return;
    this.saving = true;
    this.updateSave();
    byId('reload').hidden = true;
    try {
      const result = await request<{ saved: string[] }>('POST', '/api/save', {
        files,
        reason: reason.value.trim(),
      });
      fill(message, h('p', { class: 'ok' }, `saved ${result.saved.join(', ')}`));
      reason.value = '';
      await this.refreshModel();
      await Promise.all([this.loadHistory(), this.runCheck()]);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'FILE_CHANGED') {
        fill(
          message,
          h('p', { class: 'error' }, ...isolator.nodes(error.detail)),
          h(
            'p',
            {},
            'Reload to take the files as they are on disk; your text is kept below the editor to copy from.',
          ),
        );
        byId('reload').hidden = false;
      } else if (error instanceof ApiError) {
        fill(
          message,
          h('p', { class: 'error' }, `${error.code}: `, ...isolator.nodes(error.detail)),
          error.issues.length
            ? h(
                'ul',
                {},
                ...error.issues.map((p) =>
                  h(
                    'li',
                    {},
                    `${p.file ?? ''}:${p.line ?? ''}:${p.column ?? ''} ${p.code} `,
                    ...isolator.nodes(p.message),
                  ),
                ),
              )
            : null,
        );
      } else fill(message, h('p', { class: 'error' }, ...isolator.nodes(describeError(error))));
    } finally {
      this.saving = false;
      this.updateSave();
    }
  }

  /** Takes the saved files' new hashes (and the rules they make) after a save. */
  private async refreshModel(): Promise<void> {
    this.model = await request<ModelInfo>('GET', '/api/model');
    this.remember(this.model.files);
    this.learnNames();
    this.renderRules();
    this.renderTabs();
  }

  /** Replaces the editor's files by the ones on disk, keeping the unsaved text visible. */
  private async reload(): Promise<void> {
    const unsaved = this.changedFiles();
    await this.refreshModel();
    this.editor.reset(this.model.files);
    this.overrideForm?.sync();
    if (unsaved.length) {
      byId('lost-text').hidden = false;
      fill(
        byId('lost-text-body'),
        ...isolator.nodes(unsaved.map((f) => `# ${f.name}\n${f.text}`).join('\n')),
      );
    }
    byId('reload').hidden = true;
    fill(byId('save-message'), h('p', {}, 'reloaded the files from disk'));
    this.renderTabs();
    this.renderExampleTargets();
    await this.runCheck();
  }

  /** One line of changes.jsonl; entries of other kinds (`rules accept`) show what they have. */
  private historyItem(e: HistoryEntry): HTMLElement {
    const files = Array.isArray(e.files) ? e.files.join(', ') : '';
    const hashes =
      typeof e.before === 'string' || typeof e.after === 'string'
        ? ` rules ${short(e.before)} → ${short(e.after)}`
        : '';
    const changed = typeof e.changed === 'number' ? `; ${e.changed} decision(s) changed` : '';
    return h(
      'li',
      {},
      h('time', { datetime: String(e.time) }, String(e.time)),
      ` ${String(e.kind)}`,
      typeof e.reason === 'string' ? ': ' : '',
      typeof e.reason === 'string' ? bdi(e.reason) : '',
      h('span', { class: 'muted' }, ` — ${files}${hashes}${changed}`),
    );
  }

  private async loadHistory(): Promise<void> {
    try {
      const { entries } = await request<{ entries: HistoryEntry[] }>('GET', '/api/history');
      fill(
        byId('history'),
        ...(entries.length
          ? [...entries].reverse().map((e) => this.historyItem(e))
          : [h('li', { class: 'muted' }, 'no saved changes yet')]),
      );
    } catch (error) {
      fill(byId('history'), h('li', { class: 'error' }, ...isolator.nodes(describeError(error))));
    }
  }
}

/** Shortens a rule-set hash for the history list. */
function short(hash: unknown): string {
  return typeof hash === 'string' && hash ? hash.slice(0, 12) : '—';
}

function boot(): void {
  new Studio().start().catch((error: unknown) => setStatus(describeError(error), true));
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
