import type { Schema } from '../data/types';
import type { DistillReport } from '../distill/types';
import type { Tree } from '../distill/types';
import type { PerceptionSpec } from '../perception/perception-front';
import type { RuleSet } from '../rules/types';

/** `MODELS_DIR/NAME/manifest.json`: what a model directory holds and how it was made. */
export interface ModelManifest {
  format: 'neurules.model';
  /** 1: the files directly in `MODELS_DIR/NAME/`, no file hashes; 2: a generation folder. */
  version: 1 | 2;
  name: string;
  /** The generation folder this manifest lives in (version 2). */
  generation?: string;
  /**
   * SHA-256 (hex) of every other file of the generation, by path relative to its folder
   * (`schema.json`, `teacher/weights.bin`, ...): checked whenever the model is opened.
   */
  files?: Record<string, string>;
  /** The committed copy of the distilled rules inside the generation (version 2). */
  rulesFile?: string;
  createdAt: string;
  /** The data file the model was built from: enough to find it, check it and re-read it. */
  data: ManifestData;
  target: string;
  seed: number;
  maxRules: number;
  backend: string;
  /** Content hash of the distilled rule set written with the model. */
  rulesHash: string;
  /** What distillation chose (learner, sampling, candidates and their validation fidelity). */
  distill: DistillReport;
}

/**
 * `manifest.data`: the build's data file. Every field but `file` and `rows` is optional,
 * so manifests written before they existed still load (those models cannot have their
 * held-out split rebuilt as strictly; see `loadModelData`).
 */
export interface ManifestData {
  /** The data file's base name. */
  file: string;
  /** The path as given to `build`, relative to the directory it ran in, with `/` separators. */
  path?: string;
  /** SHA-256 of the file's bytes (hex). */
  sha256?: string;
  /** Data rows in the file. */
  rows: number;
  /** The type of every feature column, as read (passed back as forced types to re-read). */
  types?: Record<string, 'numeric' | 'categorical'>;
  /**
   * The split fractions of the build (its seed is `manifest.seed`): test 0 when the build
   * had a test file, validation 0 when k-fold cross-validation judged instead.
   */
  split?: { testFraction: number; validationFraction: number };
  /** The build's `--test` file, when it had one: its held-out records. */
  test?: ManifestTestFile;
}

/** `manifest.data.test`: the labelled file a build measured on instead of a test split. */
export interface ManifestTestFile {
  /** The file's base name. */
  file: string;
  /** The path as given to `build`, relative to the directory it ran in, with `/` separators. */
  path: string;
  /** SHA-256 of the file's bytes (hex). */
  sha256: string;
  /** Data rows in the file. */
  rows: number;
}

/** Where a model and its rules live. */
export interface ModelLocation {
  modelsDir: string;
  rulesDir: string;
  name: string;
}

/** Everything `build` writes, in memory. */
export interface ModelArtifacts {
  manifest: ModelManifest;
  schema: Schema;
  tree: Tree;
  metrics: Metrics;
  ruleSet: RuleSet;
  /** Writes the network's files into the directory it is given. */
  saveTeacher: (dir: string) => Promise<void>;
  /**
   * A model with perception concepts: `perception.json`, and the perception networks,
   * written by `savePerceivers` into `perceivers/` (a folder per concept).
   */
  perception?: { spec: PerceptionSpec; savePerceivers: (dir: string) => void };
}

/** Held-out quality of a model: the network, the rules, and how well they agree. */
export interface Metrics {
  format: 'neurules.metrics';
  version: 1;
  /** Accuracy of the network on the test split. */
  teacherAccuracy: number;
  /** Accuracy of the distilled rules alone (no overrides) on the test split. */
  rulesAccuracy: number;
  /** Share of test records where the distilled rules alone and the network decide the same class. */
  fidelity: number;
  /**
   * Mean over the network's classes of the share of its records of that class on which the
   * distilled rules agree (test split). Absent in metrics written before it was measured.
   */
  balancedFidelity?: number;
  /** Per network class: its test records, how many the rules agree on, and the share. */
  fidelityPerClass?: Record<string, { records: number; agree: number; fidelity: number | null }>;
  ruleCount: number;
  /** Mean comparisons per rule (an interval counts two; `or missing` alternatives none). */
  meanConditions: number;
  /** Records in each split. */
  trainRows: number;
  validationRows: number;
  testRows: number;
  /** TensorFlow.js backend that trained the network. */
  backend: string;
  /**
   * The same test split decided by the merged rule set (expert overrides above the
   * distilled rules), when the build found overrides. Absent when there were none.
   */
  overrides?: OverrideMetrics;
  /** What teacher shaping did. Absent in metrics written before it existed. */
  teacherShaping?: TeacherShapingReport;
  /**
   * Always answering the class most frequent in the rows the network learned from: its
   * class and accuracy on the test split, the baseline the rules must beat to be worth
   * reading. Absent in metrics written before it was measured.
   */
  majority?: { class: string; accuracy: number };
  /**
   * Present when the saved network is a refit: trained again on the training and
   * validation rows together (`rows`) for the `epochs` early stopping chose on the
   * validation rows. Absent when the build ran with refit off, or before refits existed.
   */
  refit?: {
    epochs: number;
    rows: number;
    /** How the epochs were chosen: on the validation split, or by k-fold cross-validation. */
    selection?: 'holdout' | 'kfold';
    /** The folds of the cross-validation (1 for a validation split). */
    folds?: number;
    /** The L2 penalty of the network's weights, chosen with the epochs when none was given. */
    l2?: number;
  };
  /**
   * Per class, on the test split: its rows, and for the network and the rules how many
   * records they decide as that class (`predicted`) and the share of the class's rows they
   * decide right (`recall`, null without rows). Absent in metrics written before it was
   * measured.
   */
  perClass?: Record<
    string,
    {
      rows: number;
      network: { predicted: number; recall: number | null };
      rules: { predicted: number; recall: number | null };
    }
  >;
  /** Per perception concept (models built with `--concept`): how well it is perceived. */
  concepts?: Record<string, ConceptMetrics>;
}

/** How well a perception network reads its concept (`metrics.json` `concepts.NAME`). */
export interface ConceptMetrics {
  /** Share of the labelled test records perceived as their label (null without any). */
  accuracy: number | null;
  /** Test records with a label. */
  rows: number;
  /** Accuracy on the perceiver's own validation rows (early stopping), during the build. */
  validationAccuracy: number;
  /** The concept's classes: the rows and columns of `confusion`. */
  classes: string[];
  /** `confusion[i][j]`: labelled test records of class i perceived as class j. */
  confusion: number[][];
  /** What the perception network is, in words (`im2col CNN 5×5×8 on 28×28`, `MLP 40-64-4`). */
  network: string;
  epochs: number;
}

/** Validation figures of one network and the tree distilled from it. */
export interface ShapingFigures {
  /** The network's accuracy on the validation split. */
  validationAccuracy: number;
  /**
   * The tree's agreement with that network on the validation records pooled with records
   * near them (as distillation's model selection measures it).
   */
  validationFidelity: number;
  /** The same, balanced over the network's classes. */
  validationBalancedFidelity: number;
}

/** What teacher shaping did (`metrics.json` `teacherShaping`; see `distillNetwork`). */
export interface TeacherShapingReport {
  mode: 'auto' | 'off';
  /** Whether the shaped network (and the tree distilled from it) was kept. */
  used: boolean;
  /** Rounds of shaping kept (0 when none was). */
  rounds?: number;
  /** Why it was kept or not, in a sentence. */
  reason: string;
  /** The trained network and its tree. */
  before: ShapingFigures;
  /** The shaped network and its tree (absent when shaping is off). */
  after?: ShapingFigures;
}

/** Test-split quality of the distilled rules with the expert overrides above them. */
export interface OverrideMetrics {
  /** Overrides in the merged rule set. */
  count: number;
  /** Accuracy of the merged rule set on the test split. */
  rulesAccuracy: number;
  /** Share of test records where the merged rule set and the network decide the same class. */
  fidelity: number;
  /** Test records whose merged decision differs from the distilled rules' decision. */
  changed: number;
}
