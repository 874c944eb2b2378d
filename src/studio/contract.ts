/**
 * The rule studio's HTTP contract: what each route of `src/server/studio-app.ts` takes and
 * answers, as JSON. Types only, and only types of the base (`errors.ts`, `data/types.ts`),
 * so both sides import it with `import type`: the session (`session.ts`, `check.ts`)
 * declares its results with these types, and the page (`src/web/studio/`) reads the
 * answers with them, type-checked in the browser's own configuration (no Node types).
 *
 * Where an answer carries a stage's own value (the engine's explanation, a line of
 * `changes.jsonl`), the contract declares the part the page reads; the session's value must
 * be assignable to it, so `tsc` fails when the stage renames or drops a field the page uses.
 * Error answers are `ProblemBody` (`src/errors.ts`).
 */
import type { DataRecord, Schema } from '../data/types';
import type { PerceivedFacts } from '../perception/perceived';

/** An override file as the studio edits it: a plain name inside the overrides folder. */
export interface StudioFile {
  name: string;
  text: string;
}

/** An override file on disk, with the hash of its content (null: not on disk yet). */
export interface SavedFile extends StudioFile {
  hash: string | null;
}

/** A file to save, with the hash it was loaded with (null: a new file). */
export interface FileToSave extends StudioFile {
  baseHash: string | null;
}

/** A problem or lint finding, placed in one of the checked files (1-based line and column). */
export interface StudioProblem {
  code: string;
  message: string;
  /** The file's name, as in the request (or as on disk, for a file the request left out). */
  file: string | null;
  line: number | null;
  column: number | null;
  severity: 'error' | 'warning';
  /** A lint finding's example record: a record that shows what the finding says. */
  example?: DataRecord;
  /** The features the finding's override reads (what of the example the page shows first). */
  fields?: string[];
  /** One-click fixes ("did you mean", "use a valid level"), computed by `quick-fixes.ts`. */
  fixes?: StudioFix[];
}

/**
 * A one-click fix of a problem: replace the text from `from` to `to` (offsets in the
 * problem's file as checked, in UTF-16 code units as JavaScript and CodeMirror count) by
 * `insert`; `label` says what it does.
 */
export interface StudioFix {
  label: string;
  from: number;
  to: number;
  insert: string;
}

/**
 * An override's example run against the edited rules (`runExamples`), in its file: the
 * override it belongs to, the file (its name) and line where it is written, the class it
 * expects, the class and rule the rules decided, and whether the two classes agree.
 */
export type StudioExample = Record<'override' | 'file' | 'expect' | 'class' | 'ruleId', string> & {
  line: number;
  pass: boolean;
};

/** Accuracy and fidelity on the held-out records. */
export interface Quality {
  accuracy: number;
  fidelity: number;
}

/** Whether a changed decision is right: the label against the saved and the edited class. */
export type ChangeVerdict = 'now right' | 'now wrong' | 'still wrong';

/** A held-out record whose class the edit changes (saved → edited). */
export interface ChangedRecord {
  /** Its index among the held-out records. */
  index: number;
  /** Its true class. */
  label: string;
  /** The class the saved overrides decide, and the class the edited ones decide. */
  from: string;
  to: string;
  /** `now right`: the edited class is the label; `now wrong`: the saved one was; else `still wrong`. */
  verdict: ChangeVerdict;
  /** The override that decides it when edited (else the one that decided it as saved). */
  override: string | null;
  /** The fields that override reads, in its order, with the record's values (null: missing). */
  fields: { name: string; value: DataRecord[string] }[];
}

/**
 * The impact panel, with one baseline: the saved overrides. `changed`, `before` and `after`
 * compare the held-out decisions of the saved files with those of the edited ones;
 * `distilled` and `overrides` are what `neurules rules impact` prints, against the distilled
 * rules alone.
 */
export interface StudioImpact {
  records: number;
  description: string;
  /** Held-out decisions the edit changes, saved → edited (0 when the saved files do not load). */
  changed: number;
  /** Accuracy and fidelity with the saved overrides (null: the saved files do not load). */
  before: Quality | null;
  /** Accuracy and fidelity with the edited overrides. */
  after: Quality;
  /** The held-out records whose class the edit changes, saved → edited. */
  changedRecords: ChangedRecord[];
  /** `neurules rules impact`'s totals: the edited overrides against the distilled rules alone. */
  distilled: {
    /** Decisions the edited overrides change against the distilled rules alone. */
    changed: number;
    /** Accuracy and fidelity of the distilled rules alone. */
    quality: Quality;
  };
  /** `neurules rules impact`'s table: each edited override against the distilled rules alone. */
  overrides: {
    id: string;
    fires: number;
    changed: number;
    deltaAccuracy: number;
    deltaFidelity: number;
  }[];
}

/**
 * A region of the record space whose class the edit changes, as readable conditions: whole
 * (`conditions`, as `neurules diff` words it) and in parts (`describeRegionParts`).
 */
export interface StudioRegion {
  from: string;
  to: string;
  conditions: string;
  /** The overrides deciding the region (edited, then saved side); none when distilled rules do. */
  overrides: string[];
  /** Conditions on the features those overrides read, in their order. */
  own: string[];
  /** Conditions on the other features. */
  other: string[];
  /** The unseen levels and missing values the region includes, said once ('' when none). */
  included: string;
}

/** An override as the rules panel lists it, in hit order. */
export interface OverrideSummary {
  id: string;
  file: string;
  line: number;
  sentence: string;
  class: string;
  priority: number;
}

/** `POST /api/check` answers this: what the edited overrides do, checked live. */
export interface StudioCheck {
  /** No validation problem and no conflict: the files can be saved. */
  ok: boolean;
  /**
   * The files checked: those of the request, and every other override file on disk, since a
   * save leaves those in the folder and the model is opened with all of them.
   */
  files: string[];
  problems: StudioProblem[];
  findings: StudioProblem[];
  /** Exactly what `neurules rules lint` prints for the folder as it would be saved. */
  lintLines: string[];
  /**
   * The overrides folder as those lines name it: the page shows a file by its name
   * (`credit-policy.yaml:42:3`), the folder once, in lint's summary.
   */
  folder: string;
  examples: StudioExample[];
  /** On the held-out records; null when the files have validation problems. */
  impact: StudioImpact | null;
  /** The regions of the record space whose class the edit changes (saved → edited), up to 100. */
  regions: StudioRegion[];
  /** The edited overrides, in hit order, as the rules panel lists them (null with problems). */
  overrides: OverrideSummary[] | null;
  /** Content hash of the edited merged rule set (null with problems), and of the saved one. */
  ruleSet: { saved: string; edited: string | null };
}

/** The operators a condition may write, names and aliases, by feature type. */
export interface StudioOperators {
  numeric: string[];
  categorical: string[];
}

/**
 * A distilled rule's conditions as json-rules-engine writes them: a fact compared with a
 * value, or `all` / `any` / `not` of conditions (the decision table shows them as cells).
 */
export type StudioCondition =
  | { fact: string; operator: string; value: unknown }
  | { all: StudioCondition[] }
  | { any: StudioCondition[] }
  | { not: StudioCondition };

/** `GET /api/model` answers this: the model as the page shows it. */
export interface StudioModel {
  model: string;
  classes: string[];
  schema: Schema;
  /** The distilled rules as sentences, in hit order. */
  distilled: {
    id: string;
    sentence: string;
    class: string;
    support: number;
    confidence: number | null;
    /** Its conditions, for the decision table's read-only rows. */
    conditions: StudioCondition;
  }[];
  /** The saved overrides, in hit order (none when the saved files do not load). */
  overrides: OverrideSummary[];
  files: SavedFile[];
  data: { description: string; rows: number };
  /** `studio --review`: a save becomes a proposal another author approves. */
  review: boolean;
  /** `studio --require-author`: a save, revert or proposal must name its author. */
  requireAuthor: boolean;
  /** The tree, as the audit report draws it (SVG markup). */
  treeSvg: string;
  operators: StudioOperators;
}

/** `GET /api/records?offset=&limit=` answers this: held-out records, a page at a time. */
export interface StudioRecords {
  total: number;
  records: {
    index: number;
    record: DataRecord;
    label: string;
    /** A model with perception concepts: what was perceived of the record. */
    perceived?: PerceivedFacts;
  }[];
}

/** A change of one feature that changes the decision (a part of a counterfactual). */
export interface ChangeOfFeature {
  feature: string;
  from: DataRecord[string];
  to: DataRecord[string];
}

/** The engine's explanation of a decision (`explainDecision`): the part the page reads. */
export interface ExplanationView {
  decision: { class: string; ruleId: string; source: 'distilled' | 'override' };
  /** The deciding rule, as a sentence. */
  rule: { id: string; text: string };
  /** When an override decided: its reason, and what the distilled rules alone decide. */
  override?: { id: string; reason: string | null; distilled: { ruleId: string; text: string } };
  network?: { class: string; probabilities: Record<string, number> };
  counterfactuals?: { changes: ChangeOfFeature[]; class: string; ruleId: string }[];
  /** A model with perception concepts: what was perceived of the record's raw inputs. */
  perceived?: PerceivedFacts;
}

/** `POST /api/explain` takes the files and a held-out record's index, or a record. */
export type ExplainRequest = { files: StudioFile[] } & (
  { index: number } | { record: Record<string, unknown> }
);

/** `POST /api/explain` answers this: the record, its explanation, what `neurules explain` prints. */
export interface StudioExplained<E extends ExplanationView = ExplanationView> {
  record: DataRecord;
  explanation: E;
  text: string[];
  /** A held-out record of a model with image concepts: each image, drawn by the page from its pixels. */
  images?: ConceptImage[];
}

/** A concept's raw input as an image: grey levels 0–255, row-major. */
export interface ConceptImage {
  concept: string;
  height: number;
  width: number;
  pixels: number[];
}

/** A line of `changes.jsonl` (`readChanges`): what every entry has. */
interface HistoryEntryBase {
  v: number;
  time: string;
  by: string;
}

/**
 * A studio save in `changes.jsonl`, as the page lists it: its reason, the files written, the
 * merged rule set's hash before and after, and the held-out decisions it changed.
 */
export interface SaveEntryView
  extends HistoryEntryBase, Record<'reason' | 'before' | 'after' | 'diff', string> {
  kind: 'overrides';
  files: string[];
  changed: number;
  /** The author the studio was told (absent in older lines). */
  author?: string;
  /** An approved proposal: its id and who approved it. */
  proposal?: string;
  approvedBy?: string;
  /** A revert: the entry (0-based) whose version the files were set back to. */
  revertOf?: number;
}

/** A line of `changes.jsonl` as the page lists it: a studio save, a `rules accept` or a `rules promote`. */
export type HistoryEntry =
  SaveEntryView | (HistoryEntryBase & { kind: 'rules accept' | 'rules promote' });

/** `GET /api/history` answers this: every entry, and the lines that are not entries. */
export interface StudioHistory<E extends HistoryEntry = HistoryEntry> {
  entries: E[];
  unreadable: { line: number; reason: string }[];
}

/** `POST /api/save` takes the changed files, a one-line reason and the author (if known). */
export interface SaveRequest {
  files: FileToSave[];
  reason: string;
  author?: string;
}

/** `POST /api/revert` takes the entry (0-based) whose version to go back to, a reason and the author. */
export interface RevertRequest {
  entry: number;
  reason: string;
  author?: string;
}

/** The held-out figures of a proposal, frozen when it was made (or rebased). */
export interface ProposalImpact {
  description: string;
  records: number;
  /** Decisions the proposal changes against the override files it was made on. */
  changed: number;
  /**
   * Accuracy and fidelity with the override files it was made on (null when those do not
   * load), and with the proposed files: the studio's one baseline, the saved files.
   */
  saved: Quality | null;
  proposed: Quality;
}

/**
 * `RULES_DIR/NAME/proposals/ID.json`: a change of override files waiting for a second
 * author's approval (`studio --review`, `rules propose`). Versioned like every artifact.
 */
export interface StudioProposal {
  format: 'neurules.override-proposal';
  version: 1;
  id: string;
  model: string;
  /** ISO 8601. */
  created: string;
  author: string;
  reason: string;
  status: 'pending' | 'approved' | 'rejected';
  /** The files it changes as they were when it was made (hash null: a new file). */
  base: { name: string; hash: string | null }[];
  /** The proposed texts of those files. */
  files: StudioFile[];
  /** Unified diff, base → proposed, file by file. */
  diff: string;
  /** Null when the files had no impact to measure (no held-out records). */
  impact: ProposalImpact | null;
  /** A revert proposed in review mode: the entry (0-based) it goes back to. */
  revertOf?: number;
  /** Each rebase, oldest first: when, and the base it replaced. */
  rebased?: { time: string; base: { name: string; hash: string | null }[] }[];
  /** Who approved or rejected it, when, and (a rejection) why. */
  decision?: { by: string; time: string; reason?: string };
}

/** `GET /api/proposals` answers this: every proposal, newest first, and files that are not one. */
export interface StudioProposals {
  proposals: StudioProposal[];
  unreadable: { file: string; code: string; message: string }[];
}

/** `POST /api/proposals` takes what a save takes. */
export type ProposeRequest = SaveRequest;

/** `POST /api/proposals/ID/approve` takes the approver; `reject` also a reason. */
export interface DecideRequest {
  author: string;
  reason?: string;
}

/** `POST /api/save` answers this: the files written and the history entry. */
export interface StudioSaved<E extends HistoryEntry = HistoryEntry> {
  saved: string[];
  entry: E;
}
