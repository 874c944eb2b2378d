/**
 * The rule studio's page: rules, the YAML editor with live checks, an override form, the
 * impact of the unsaved edits, a record to try, the behaviour diff, and save with history.
 * Every figure and check comes from the studio's API (`api.ts`, typed by
 * `src/studio/contract.ts`), which runs the stages the CLI runs; the page computes none of
 * them itself. This module starts the page and wires its panels to each other:
 * `rules-panel.ts`, `files-panel.ts` and `editor.ts`, `check-panel.ts`, `override-form.ts`,
 * `impact-panel.ts`, `try-panel.ts`, `save-panel.ts`.
 */
import type { StudioCheck, StudioModel } from '../../studio/contract';
import { getModel, takeTokenFromUrl } from './api';
import { bdi, isolatedText, isolator } from './bidi';
import { CheckPanel } from './check-panel';
import { byId, fill } from './dom';
import { FilesEditor } from './editor';
import { FilesPanel } from './files-panel';
import { renderImpact, renderRegions } from './impact-panel';
import { mountOverrideForm, type OverrideForm } from './override-form';
import { renderRules } from './rules-panel';
import { SavePanel } from './save-panel';
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
      saved: () => later().refreshModel(),
      reload: () => later().reload(),
      check: () => checks.run(),
      settings: { review: model.review, requireAuthor: model.requireAuthor },
    });
    const studio = new Studio(model, editor, files, checks, form, tryPanel, save);
    tryPanel.renderExampleTargets();
    return studio;
  }

  /** The first check, the first page of records (its first explained) and the history. */
  async start(): Promise<void> {
    setStatus('ready');
    await Promise.all([
      this.checks.run(),
      this.tryPanel.loadRecords(0, true),
      this.save.loadHistory(),
    ]);
  }

  /** After every edit of any file. */
  private edited(): void {
    this.files.renderTabs();
    this.checks.edited();
    this.save.update();
  }

  /** Another file is shown. */
  private opened(): void {
    this.form.sync();
    this.tryPanel.renderExampleTargets();
  }

  /** A check of the files as they are has come. */
  private checked(result: StudioCheck): void {
    renderImpact(result, (index) => void this.tryPanel.explainRow(index));
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

  /** Takes the saved files' new hashes (and the rules they make) after a save. */
  private async refreshModel(): Promise<void> {
    this.model = await getModel();
    this.files.remember(this.model.files);
    learnNames(this.model);
    renderRules(this.model);
    this.files.renderTabs();
  }

  /** Replaces the editor's files by the ones on disk. */
  private async reload(): Promise<void> {
    await this.refreshModel();
    this.editor.reset(this.model.files);
    this.form.sync();
    this.files.renderTabs();
    this.tryPanel.renderExampleTargets();
  }
}

function boot(): void {
  Studio.open()
    .then((studio) => studio.start())
    .catch((error: unknown) => setStatus(describeError(error), true));
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
