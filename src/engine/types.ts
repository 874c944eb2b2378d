/**
 * What the engines give: a decision, a traced decision, and the one interface every engine
 * (json-rules-engine through `RuleEngine`, the compiled evaluator) offers to decide a
 * record. They live apart from either engine so that code that only takes decisions (the
 * file predictor, the service, explanations) does not import an engine to name them.
 */
import type { DataRecord } from '../data/types';
import type { DecisionParams } from '../rules/types';

/** One decision: the class and the rule that decided it. */
export interface Decision {
  class: string;
  ruleId: string;
  /** Class probabilities of the deciding rule. */
  probabilities: Record<string, number>;
  support: number;
  source: DecisionParams['source'];
}

/** Anything that decides a record: the compiled evaluator or json-rules-engine. */
export interface Decider {
  decide(record: DataRecord): Decision | Promise<Decision>;
}

/** One evaluated comparison of the deciding rule. */
export interface ConditionResult {
  fact: string;
  operator: string;
  value: unknown;
  /** The record's value for `fact`. */
  factValue: unknown;
  result: boolean;
}

/** A decision with the deciding rule's conditions, as json-rules-engine evaluated them. */
export interface RuleTrace {
  decision: Decision;
  /** The deciding rule's comparisons in rule order (alternatives of `any` included). */
  conditions: ConditionResult[];
  /** Ids of every rule that fired, highest priority first. */
  fired: string[];
}
