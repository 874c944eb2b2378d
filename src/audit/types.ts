import type { OverrideImpactItem } from './override-impact';

/**
 * The audit report as plain data: `neurules audit` gathers it (src/audit/), the renderers
 * (src/report/) turn it into one self-contained HTML file or Markdown. Every figure in the
 * report is a field here, so the JSON form is the report of record.
 */
export interface AuditReport {
  format: 'neurules.audit';
  version: 1;
  /** ISO time the report was made. */
  generatedAt: string;
  model: {
    name: string;
    createdAt: string;
    /** Content hash of the rule set the report describes (distilled rules + overrides). */
    ruleSetHash: string;
    backend: string;
    seed: number;
    /** The data file the model was built from. */
    dataFile: string;
  };
  data: {
    /** What the quality figures were measured on, in words (e.g. "held-out test split (300 rows) of data/german-credit.csv"). */
    evaluatedOn: string;
    records: number;
    /** Where the feature summaries come from, e.g. "the model's training split (550 rows)". */
    schemaFrom: string;
    features: FeatureSummary[];
    /** Class counts of the evaluated records (true labels). */
    classes: { name: string; count: number }[];
  };
  quality: {
    classes: string[];
    /** Accuracy against the true labels. */
    networkAccuracy: number;
    /** The rules as served: distilled rules with the overrides above them. */
    rulesAccuracy: number;
    /** The distilled rules alone. */
    distilledAccuracy: number;
    /** Share of records where the rules (with overrides) decide the network's class. */
    fidelity: ProportionInterval;
    /** Fidelity of the distilled rules alone. */
    distilledFidelity: ProportionInterval;
    /** Confusion matrices, rows = true class, columns = predicted, in `classes` order. */
    confusion: { network: number[][]; rules: number[][] };
    /** Rows = network's class, columns = rules' class. */
    rulesVsNetwork: number[][];
    /** Per class the network predicts: how many records, how many the rules agree on. */
    fidelityPerClass: { class: string; records: number; agree: number; fidelity: number }[];
  };
  /** Every rule, overrides first, in hit-policy order. */
  rules: RuleRow[];
  tree: TreeView;
  overrides: {
    /** Accuracy / fidelity of the distilled rules alone and with all overrides. */
    accuracyWithout: number;
    accuracyWith: number;
    fidelityWithout: number;
    fidelityWith: number;
    /** Evaluated records whose decision the overrides change. */
    changed: number;
    items: OverrideRow[];
  };
  /** Present with `--log`. */
  drift?: DriftSection;
  /** Present with `--log` when lines of the log carry a challenger's decision (`serve --shadow`). */
  shadow?: ShadowSection;
  /** A model with perception concepts: how well each is perceived on the evaluated records. */
  perception?: ConceptAudit[];
  /**
   * Present with protected features (`audit --protected`, or the schema's `protected`
   * marks from `build --protected`): the rules' decisions by group of each.
   */
  fairness?: FairnessSection;
}

/**
 * Fairness by group, as Fairlearn's MetricFrame and Aequitas report it: for each protected
 * feature, its groups (levels, or bands of a numeric feature, and the records missing it),
 * the share of each group the rules (with overrides, as served) decide as each class, and
 * that share over the most favoured group's (the four-fifths rule reads these ratios).
 * Every group with a record is listed, however small: its `records` say how far to trust it.
 */
export interface FairnessSection {
  /** The class whose share is the selection rate (`--favourable`); null when none was named. */
  favourable: string | null;
  /** The classes whose ratios the disparity check reads: the favourable one, else every class. */
  checked: string[];
  /** Where the protected features were named: by the audit's option, or by the schema's marks. */
  from: 'option' | 'schema';
  /** The four-fifths reference line: ratios below it are marked in the report (0.8). */
  reference: number;
  features: FairnessFeature[];
  /** The lowest ratio of a checked class over every feature and group; null when none is defined. */
  lowest: FairnessRatio | null;
}

/** One protected feature and its groups. */
export interface FairnessFeature {
  name: string;
  type: 'numeric' | 'categorical';
  /**
   * How its groups were made: `levels` (a categorical feature's values), `bands` (a numeric
   * feature cut at the bounds `--bands` gave) or `quartiles` (a numeric feature cut at the
   * quartiles of the audited records).
   */
  grouping: 'levels' | 'bands' | 'quartiles';
  /** A numeric feature's cut points, ascending: a band holds lower ≤ value < upper. */
  cuts?: number[];
  /** Groups with at least one audited record, in level or band order, `missing` last. */
  groups: FairnessGroup[];
  /** Levels and bands no audited record falls in: named, not measured (a group has a record). */
  empty: string[];
  /** Per class, the group with the highest share of it (the first such); null when no group has it. */
  favoured: Record<string, string | null>;
  /** The rules that read the feature directly: distilled rule names and override ids whose conditions name it. */
  readBy: { rules: string[]; overrides: string[] };
}

/** The figures of one group of a protected feature. */
export interface FairnessGroup {
  /** The level, the band's name (`< 25`, `25 to < 35`, `≥ 50`) or `missing`. */
  name: string;
  kind: 'level' | 'band' | 'missing';
  /** A band's bounds: lower inclusive, upper exclusive, null where it is open. */
  lower?: number | null;
  upper?: number | null;
  /** Audited records in the group (at least one). */
  records: number;
  /** Records the rules decide as each class. */
  decided: Record<string, number>;
  /** `decided / records`, per class: the selection rate of each class. */
  shares: Record<string, number>;
  /**
   * Per class, the group's share over the most favoured group's share (1 for that group);
   * null when no group is decided as the class.
   */
  ratios: Record<string, number | null>;
  /** Records with a true label. */
  labelled: number;
  /** Share of the labelled records the rules decide right; null without any. */
  accuracy: number | null;
  /**
   * Per class, of the group's records labelled with it, the share the rules decide as it
   * (recall; for the favourable class, the true-positive rate); null without any.
   */
  recall: Record<string, number | null>;
  /** Share of the group's records where the rules decide the network's class. */
  fidelity: number;
  /** The mean over the network's classes in the group of the rules' agreement on each. */
  balancedFidelity: number;
}

/** A ratio of a class's share at one group of a protected feature. */
export interface FairnessRatio {
  feature: string;
  group: string;
  class: string;
  ratio: number;
  /** Records in the group. */
  records: number;
}

/** How well one concept is perceived, judged against its label column. */
export interface ConceptAudit {
  name: string;
  classes: string[];
  /** The image shape, when the concept is read from an image (its records are drawn). */
  shape: { height: number; width: number } | null;
  /** Evaluated records with a label, and the share perceived as labelled (null without any). */
  accuracy: ProportionInterval | null;
  /** Rows = labelled class, columns = perceived class, in `classes` order. */
  confusion: number[][];
  /** Labelled records perceived as another class. */
  misperceivedCount: number;
  /** The first misperceived records (at most {@link MAX_MISPERCEIVED}), lowest confidence first. */
  misperceived: MisperceivedRecord[];
}

/** The most misperceived records an audit lists per concept. */
export const MAX_MISPERCEIVED = 24;

/** A record whose concept was perceived other than its label says. */
export interface MisperceivedRecord {
  /** The record's line in the evaluated file. */
  line: number;
  label: string;
  perceived: string;
  confidence: number;
  /** The decision the rules made on it, and the one they make with the concept set right. */
  decision: string;
  decisionIfRight: string;
  /** Grey levels 0–255, row-major (`shape`), as the network read them; absent without a shape. */
  pixels?: number[];
}

/** A proportion with its 95% confidence interval. */
export interface ProportionInterval {
  value: number;
  low: number;
  high: number;
  /** e.g. "Wilson score interval, 95%". */
  method: string;
  /** Successes and trials behind the proportion. */
  successes: number;
  trials: number;
}

export interface FeatureSummary {
  name: string;
  type: 'numeric' | 'categorical';
  /** e.g. "4 – 72, mean 20.9" or "4 levels: '<0', '0<=X<200', …". */
  summary: string;
  /** Marked in the schema: never changed by counterfactuals. */
  immutable: boolean;
  /** Marked in the schema: counterfactuals may only move it this way. */
  monotone?: 'increasing' | 'decreasing';
  /** Marked in the schema (`build --protected`): the audit reports fairness by its groups. */
  protected?: true;
}

export interface RuleRow {
  id: string;
  source: 'distilled' | 'override';
  class: string;
  /** The rule's conditions as a sentence in the data's terms (the class is its own field). */
  text: string;
  /** Comparisons in the rule. */
  conditions: number;
  /** Training records in the region (distilled rules); null for overrides. */
  support: number | null;
  confidence: number | null;
  validationFidelity: number | null;
  /** Evaluated records this rule decided. */
  hits: number;
  /** hits / records. */
  hitShare: number;
  /** Accuracy / fidelity on the records it decided (null when it decided none). */
  accuracy: number | null;
  fidelity: number | null;
}

/** The distilled tree, flattened for drawing. Node 0 is the root; ids are the view's own numbering. */
export interface TreeView {
  nodes: TreeViewNode[];
}

export type TreeViewNode =
  | {
      id: number;
      kind: 'split';
      /** The test that sends a record left, e.g. "duration ≤ 22.5" or "purpose in {'new car', 'education'}". */
      test: string;
      /** Where a missing value goes. */
      missing: 'left' | 'right';
      left: number;
      right: number;
      /** Training samples that reached the node. */
      count: number;
    }
  | {
      id: number;
      kind: 'leaf';
      ruleId: string;
      class: string;
      /** The leaf's class probabilities. */
      probabilities: Record<string, number>;
      count: number;
    };

/** An override with its impact on the evaluated records, and its conditions in words. */
export interface OverrideRow extends OverrideImpactItem {
  text: string;
}

export interface DriftSection {
  logFile: string;
  decisions: number;
  /** Log lines left out: `unreadable` + `otherRuleSets`. */
  skipped: number;
  /** Lines that are not decision-log entries (bad JSON, missing fields). */
  unreadable: number;
  /** Decisions made by another rule set (another hash: before a reload, another replica). */
  otherRuleSets: number;
  /** What limits the figures, e.g. too few decisions to judge drift. */
  warnings: string[];
  from: string;
  to: string;
  /** Decisions per rule in consecutive time buckets. */
  buckets: { start: string; end: string; total: number; counts: Record<string, number> }[];
  /** Per rule: its share of training records vs its share of logged decisions. */
  rules: {
    id: string;
    trainingShare: number;
    logShare: number;
    /** Two-proportion z statistic (log vs training). */
    z: number;
    /** |z| > 3 and share moved by more than 5 points. */
    drifted: boolean;
  }[];
}

/**
 * Champion and challenger (`serve --shadow`) over the decision log's lines of the audited
 * rule set: how often they agree, by class, and the records where they disagree.
 */
export interface ShadowSection {
  logFile: string;
  /** Lines the challenger decided. */
  decisions: number;
  /** Of those, lines where it decided the champion's class. */
  agreed: number;
  /** `agreed / decisions`; null without decisions (JSON has no NaN). */
  agreement: number | null;
  /** Lines where the challenger failed (`shadow.error`): the champion's answer stood. */
  errors: number;
  /** Lines of the audited rule set without a `shadow` field (served without a challenger). */
  withoutShadow: number;
  /** The challenger rule sets that decided, by hash, with their lines. */
  challengers: { ruleSet: string; decisions: number }[];
  /** Lines by the champion's class and the challenger's, every pair that occurs. */
  byClass: { champion: string; challenger: string; count: number; agreement: boolean }[];
  /** Per champion class: lines, and the share the challenger decided alike. */
  classes: { class: string; decisions: number; agreed: number; agreement: number }[];
  /** Lines where the two disagree, in log order (at most {@link SHADOW_LISTED}). */
  disagreements: ShadowDisagreement[];
  /** Every disagreement, listed or not. */
  disagreementCount: number;
}

/** One record the champion and the challenger decided differently. */
export interface ShadowDisagreement {
  line: number;
  requestId?: string;
  time: string;
  champion: { class: string; ruleId: string };
  challenger: { class: string; ruleId: string; ruleSet: string };
}

/** The most disagreements an audit lists (all are counted). */
export const SHADOW_LISTED = 1000;
