/**
 * The rule studio's page: rules, the YAML editor with live checks, an override form, the
 * impact of the unsaved edits, a record to try, the behaviour diff, and save with history.
 * Every figure and check comes from the studio's API (`api.ts`, typed by
 * `src/studio/contract.ts`), which runs the stages the CLI runs; the page computes none of
 * them itself. This module starts the page and wires its panels to each other:
 * `rules-panel.ts`, `files-panel.ts` and `editor.ts`, `check-panel.ts`, `override-form.ts`,
 * `impact-panel.ts`, `try-panel.ts`, `save-panel.ts`; and, so no work is lost, the drafts
 * (`draft-keeper.ts`), the other tabs' saves (`saved-signal.ts`) and the merge view
 * (`merge-view.ts`), with a warning before leaving the page with unsaved edits.
 */
import type { StudioCheck, StudioModel } from '../../studio/contract';
import { getModel, takeTokenFromUrl } from './api';
import { bdi, isolatedText, isolator } from './bidi';
import { CheckPanel } from './check-panel';
import { DecisionTable } from './decision-table';
import { byId, fill } from './dom';
import { browserStorage, DraftKeeper } from './draft-keeper';
import { DraftStore } from './drafts';
import { FilesEditor } from './editor';
import { FilesPanel, type DivergedFile } from './files-panel';
import { renderImpact, renderRegions } from './impact-panel';
import { MergeView } from './merge-view';
import { mountOverrideForm, type OverrideForm } from './override-form';
import { renderOverrides, renderRules } from './rules-panel';
import { SavePanel } from './save-panel';
import { SavedSignal } from './saved-signal';
import { describeError, setStatus } from './status';
import { TryPanel } from './try-panel';

/** Milliseconds after the last edit or cursor move before the form follows the cursor. */
const FORM_DELAY = 120;

/** The names users wrote that the model shows (isolated wherever they are shown). */
function learnNames(m: StudioModel): void {
  isolator.add([m.model, ...m.classes, ...m.overrides.map((o) => o.id)]);
  for (const f of m.schema.features) {
    isolator.add([f.name, ...(f.type === 'categorical' ? f.levels : [])]);
  }
}

/** Shows an error of the page's own work (no panel of its own to show it in). */
function showError(error: unknown): void {
  setStatus(describeError(error), true);
}

/** An id of this tab, so it drops only the drafts it wrote. */
function tabId(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** The page: its panels, and what each tells the others. */
class Studio {
  private formTimer: number | undefined;

  private constructor(
    private model: StudioModel,
    private readonly editor: FilesEditor,
    private readonly files: FilesPanel,
    private readonly checks: CheckPanel,
    private readonly form: OverrideForm,
    private readonly tryPanel: TryPanel,
    private readonly save: SavePanel,
    private readonly drafts: DraftKeeper,
    private readonly merge: MergeView,
    private readonly signal: SavedSignal,
    private readonly table: DecisionTable,
  ) {}

  /** Loads the model and builds the panels. */
  static async open(): Promise<Studio> {
    takeTokenFromUrl();
    const model = await getModel();
    learnNames(model);
    fill(byId('model-name'), '— ', bdi(model.model));
    byId('data-description').textContent =
      `held-out records: ${model.data.description} (${model.data.rows} rows)`;
    document.title = `neurules studio — ${isolatedText(model.model)}`;
    renderRules(model);

    // The panels call each other through `studio`, made once they all are (no panel calls
    // another while it is being made).
    const later = (): Studio => studio;
    const editor = new FilesEditor(
      byId('editor'),
      model.files,
      {
        features: model.schema.features,
        classes: model.classes,
        operators: model.operators,
      },
      () => later().edited(),
      () => later().scheduleFormSync(),
    );
    const files = new FilesPanel(editor, {
      opened: () => later().opened(),
      edited: () => later().edited(),
    });
    files.remember(model.files);
    files.renderTabs();
    const checks = new CheckPanel(editor, {
      checked: (result) => later().checked(result),
      settled: () => later().save.update(),
      opened: () => {
        later().files.renderTabs();
        later().opened();
      },
    });
    const tryPanel = new TryPanel(editor, model.schema.features);
    const form = mountOverrideForm(byId('override-form'), {
      features: model.schema.features,
      classes: model.classes,
      operators: model.operators,
      currentRecord: () => tryPanel.currentRecord(),
      append: (text) => editor.append(text),
      source: () => ({
        text: editor.view.state.doc.toString(),
        cursor: editor.view.state.selection.main.head,
      }),
      replaceRange: (from, to, text) => editor.replaceRange(from, to, text),
    });
    form.sync();
    const save = new SavePanel(files, {
      checkedOk: () => checks.current()?.ok ?? null,
      saved: () => later().savedHere(),
      fileChanged: () =>
        later()
          .takeDisk('changed on disk since you loaded it')
          .then(() => undefined, showError),
      check: () => checks.run(),
      settings: { review: model.review, requireAuthor: model.requireAuthor },
    });
    const table = new DecisionTable(byId('decision-table'), byId('editor'), {
      features: model.schema.features,
      classes: model.classes,
      file: () => ({ name: editor.active(), text: editor.view.state.doc.toString() }),
      replace: (text) => editor.replaceRange(0, editor.view.state.doc.length, text),
      sourceShown: () => editor.view.requestMeasure(),
    });
    table.renderDistilled(model);
    const storage = browserStorage();
    const drafts = new DraftKeeper(new DraftStore(storage, model.model, tabId()), files, {
      disk: () => later().model.files,
    });
    const merge = new MergeView({
      apply: (file, text) => later().merged(file, text),
      text: (name) => files.text(name),
    });
    const signal = new SavedSignal(model.model, storage, (names) => {
      later().savedElsewhere(names).catch(showError);
    });
    const studio = new Studio(
      model,
      editor,
      files,
      checks,
      form,
      tryPanel,
      save,
      drafts,
      merge,
      signal,
      table,
    );
    tryPanel.renderExampleTargets();
    window.addEventListener('beforeunload', (event) => {
      // Drafts keep the text, but the browser's storage may refuse it: ask before leaving.
      if (files.changedFiles().length === 0) return;
      event.preventDefault();
      event.returnValue = '';
    });
    return studio;
  }

  /** The first check, the first page of records (its first explained) and the history. */
  async start(): Promise<void> {
    const diverged = this.drafts.restore();
    if (diverged.length) this.merge.offer(diverged, 'changed on disk since your draft');
    setStatus('ready');
    await Promise.all([
      this.checks.run(),
      this.tryPanel.loadRecords(0, true),
      this.save.loadHistory(),
    ]);
  }

  /** After every edit of any file. */
  private edited(): void {
    this.table.edited();
    this.files.renderTabs();
    this.checks.edited();
    this.save.update();
    this.drafts.schedule();
  }

  /** Another file is shown. */
  private opened(): void {
    this.table.opened();
    this.form.sync();
    this.tryPanel.renderExampleTargets();
  }

  /** A check of the files as they are has come. */
  private checked(result: StudioCheck): void {
    this.table.checked(result);
    renderImpact(result, (index) => void this.tryPanel.explainRow(index));
    renderOverrides(result.overrides, '(as edited)');
    renderRegions(result);
    this.tryPanel.renderExampleTargets();
    this.tryPanel.scheduleExplain();
  }

  /**
   * The form follows the cursor a moment after the text or the cursor last moved: reading
   * the file's YAML on every keystroke would hold up the live check's round trip.
   */
  private scheduleFormSync(): void {
    window.clearTimeout(this.formTimer);
    this.formTimer = window.setTimeout(() => this.form.sync(), FORM_DELAY);
  }

  /**
   * Takes the files on disk: those not edited here follow them; edited ones whose base
   * changed are offered to merge (`where` says what changed them). Returns the names of the
   * files whose hash changed.
   */
  private async takeDisk(where: string): Promise<string[]> {
    const before = new Map(this.model.files.map((f) => [f.name, f.hash]));
    this.model = await getModel();
    const diverged = this.files.takeDisk(this.model.files);
    learnNames(this.model);
    renderRules(this.model);
    this.files.renderTabs();
    // The shown file may have followed the disk.
    this.opened();
    this.drafts.keep();
    this.save.update();
    if (diverged.length) this.merge.offer(diverged, where);
    return this.model.files.filter((f) => before.get(f.name) !== f.hash).map((f) => f.name);
  }

  /** After a save here: the new files, and a word to the other tabs. */
  private async savedHere(): Promise<void> {
    byId('tab-notice').hidden = true;
    this.signal.announce(await this.takeDisk('changed on disk'));
  }

  /** Another tab saved files: take them, or merge them into the edits here. */
  private async savedElsewhere(names: string[]): Promise<void> {
    this.drafts.rewrite();
    const notice = byId('tab-notice');
    notice.hidden = false;
    notice.textContent = `another tab saved ${names.join(', ')}`;
    await this.takeDisk('saved in another tab');
    await Promise.all([this.save.loadHistory(), this.checks.run()]);
  }

  /** The user took a merge: its text, edited from the file on disk now. */
  private merged(file: DivergedFile, text: string): void {
    this.files.setBase(file.name, { text: file.theirs, hash: file.hash });
    this.files.setText(file.name, text);
    this.drafts.keep();
    this.save.update();
    byId('tab-notice').hidden = true;
  }
}

function boot(): void {
  Studio.open()
    .then((studio) => studio.start())
    .catch(showError);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
