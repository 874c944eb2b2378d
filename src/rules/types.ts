import type { RuleProperties } from 'json-rules-engine';

/** Event type of every neurules decision rule. */
export const DECISION_EVENT = 'neurules.decision';

/** The `event.params` of a neurules rule. */
export interface DecisionParams {
  /** Stable id of the rule (also the rule's `name`). */
  ruleId: string;
  /** The class the rule decides. */
  class: string;
  /** Class probabilities at the rule's leaf (teacher probability mass, normalised). */
  probabilities: Record<string, number>;
  /** Real training records in the rule's region. */
  support: number;
  /** Share of those records the network assigns to the rule's class. */
  confidence?: number | null;
  /** Share of validation records in the region where the network agrees with the rule. */
  validationFidelity?: number | null;
  /** Where the rule comes from. */
  source: 'distilled' | 'override';
  /** An override's stated reason. */
  reason?: string;
}

/** A json-rules-engine rule as neurules writes it: plain `RuleProperties` with typed params. */
export interface NeurulesRule extends RuleProperties {
  name: string;
  priority: number;
  event: { type: typeof DECISION_EVENT; params: DecisionParams };
}

/**
 * A rule set file (`RULES_DIR/NAME/distilled.rules.json`). `rules` is a plain
 * json-rules-engine rule array: `new Engine(ruleSet.rules)` runs it unchanged.
 * Missing values are passed as `null` facts.
 */
export interface RuleSet {
  format: 'neurules.rules';
  /** 1: a rule set alone; 2: a model's committed rule set, naming its `generation`. */
  version: 1 | 2;
  /**
   * The model generation (`MODELS_DIR/NAME/GENERATION/`) these rules were committed with.
   * Renaming the rule file into place is what makes a build current: the file names the
   * generation, so the model and its rules change together (docs/file-formats.md).
   */
  generation?: string;
  /** Model the rules were distilled from. */
  model: string;
  target: string;
  classes: string[];
  rules: NeurulesRule[];
}
