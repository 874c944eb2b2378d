/**
 * "Try a record": a held-out row (a page of them at a time) or a record edited in a form
 * built from the schema, decided and explained under the edited files; "Save as example"
 * adds the record to an override's `examples`.
 */
import type { DataRecord, Feature } from '../../data/types';
import type { ExplainRequest, StudioExplained } from '../../studio/contract';
import { addExample, overrideIds } from './add-example';
import { explainRecord, getRecords } from './api';
import { bdi, isolatedText, isolator } from './bidi';
import { renderDecision } from './decision-view';
import { byId, fill, h } from './dom';
import type { FilesEditor } from './editor';
import { mountRecordForm, type RecordForm } from './record-form';
import { describeError, isAbort, setStatus } from './status';

/** Milliseconds after the last change before an explanation is asked for. */
const DELAY = 150;
/** Held-out records a page. */
const PAGE = 50;

/** The record panel. */
export class TryPanel {
  private readonly recordForm: RecordForm;
  private explained: StudioExplained | null = null;
  /** The held-out row shown in "Try a record", until the record is edited. */
  private pickedIndex: number | null = null;
  private readonly rows = new Map<number, DataRecord>();
  private recordsOffset = 0;
  private timer: number | undefined;
  private abort: AbortController | null = null;

  constructor(
    private readonly editor: FilesEditor,
    features: readonly Feature[],
  ) {
    this.recordForm = mountRecordForm(byId('record-form'), features, () => {
      this.pickedIndex = null;
      byId<HTMLSelectElement>('record-picker').value = '';
      this.scheduleExplain();
    });
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

  /** The record explained last, or else the form's (null while the form is incomplete). */
  currentRecord(): DataRecord | null {
    return this.explained?.record ?? this.recordForm.read();
  }

  /** Shows a page of held-out records; with `pickFirst`, explains its first. */
  async loadRecords(offset: number, pickFirst: boolean): Promise<void> {
    try {
      const page = await getRecords(offset, PAGE);
      this.recordsOffset = offset;
      for (const r of page.records) this.rows.set(r.index, r.record);
      const picker = byId<HTMLSelectElement>('record-picker');
      fill(
        picker,
        h('option', { value: '' }, '(the record in the form)'),
        ...page.records.map((r) =>
          h('option', { value: r.index }, `record ${r.index + 1} (label ${isolatedText(r.label)})`),
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

  /** An explanation a moment after the last change. */
  scheduleExplain(): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.explain(), DELAY);
  }

  /** Explains a changed record from the impact list in "Try a record". */
  async explainRow(index: number): Promise<void> {
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
    let body: ExplainRequest;
    if (this.pickedIndex !== null) body = { files, index: this.pickedIndex };
    else {
      const record = this.recordForm.read();
      if (!record) {
        fill(decision, h('p', { class: 'muted' }, 'Give every numeric feature a number.'));
        return;
      }
      body = { files, record };
    }
    this.abort?.abort();
    const abort = (this.abort = new AbortController());
    try {
      const result = await explainRecord(body, abort.signal);
      this.explained = result;
      if (this.pickedIndex !== null) this.recordForm.write(result.record);
      renderDecision(decision, result);
    } catch (error) {
      if (isAbort(error)) return;
      this.explained = null;
      fill(decision, h('p', { class: 'error' }, ...isolator.nodes(describeError(error))));
    }
  }

  /** The overrides of the file shown, to save the record as an example of. */
  renderExampleTargets(): void {
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
    const explained = this.explained;
    if (!explained) {
      message.textContent = 'no decision to save yet';
      return;
    }
    const expect = explained.explanation.decision.class;
    const result = addExample(this.editor.view.state.doc.toString(), id, explained.record, expect);
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
      bdi(expect),
      '); edit the expected class if it should differ',
    );
  }
}
