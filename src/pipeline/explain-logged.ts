import { openGeneration } from '../artifacts/model-store';
import type { ModelLocation } from '../artifacts/types';
import {
  inputsIssue,
  type LoggedDecision,
  loggedRecord,
  readLoggedDecision,
} from '../audit/log-lines';
import {
  findRuleSet,
  type FoundRuleSet,
  type Outcome,
  type RuleSetInForce,
  shortHash,
} from '../audit/replay-log';
import type { DataRecord } from '../data/types';
import { evaluatorOf, explainDecision, type Explanation } from '../engine/explain-decision';
import { isNeurulesError, NeurulesError } from '../errors';
import type { PerceivedFacts } from '../perception/perceived';
import { dependenceOn } from '../regions/decisive-fields';
import type { BackendChoice } from '../teacher/backend-choice';
import { openModel, type OpenModel } from './open-model';

/** A logged decision and the rules it was made with, beside today's. */
export interface LoggedContext {
  file: string;
  line: number;
  time: string;
  requestId?: string;
  /** The hash of the rule set the line names: the rules in force then. */
  ruleSet: string;
  /** Where those rules were found: the archive, or today's rules (not archived). */
  from: 'archive' | 'today';
  /** The generation whose distilled rules they hold, where known. */
  generation?: string;
  logged: { class: string; ruleId: string };
  /** Whether the rules then in force decide the record (as logged) as logged. */
  reproduced: boolean;
  /** Today's merged rules: their hash, whether they are the rules then, and their decision. */
  today: {
    hash: string;
    same: boolean;
    /** Today's decision of the record, when the rules differ and can decide it. */
    decision?: Outcome;
    /** Why today's rules cannot decide the record (another schema, say). */
    error?: string;
  };
  /** Why the network's view is absent, or what it read when redacted fields were missing. */
  networkNote?: string;
  /** The fields the log redacted: explained as missing. */
  redacted: string[];
  /** Of those, the ones the decision depended on (see `decisiveFields`); absent when unknown. */
  dependsOn?: string[];
}

/**
 * Explain a logged decision as it was made: with the rule set its line names (the archived
 * one, or today's when the archive lacks it and the hash is theirs) and that rule set's
 * schema, the logged inputs as the record (redacted fields as missing). The network's view
 * is that of the generation that made the decision (the archived `generation`), while its
 * folder is on disk: a pruned generation's is not stood in for by today's network, and the
 * explanation is the rules' alone. Today's merged rules re-decide the record
 * when they are not the rules then in force, to say what they decide now.
 *
 * Throws ROW_OUT_OF_RANGE (field `line`) for a line past the end; LOG_LINE_INVALID for a
 * blank line, one that is not a decision, or inputs that do not fit the rule set's schema;
 * LOG_OTHER_MODEL for a line of another model; RULE_SET_NOT_FOUND when the rule set is in
 * neither the archive nor today's rules; ARCHIVE_MODIFIED for a tampered archive entry.
 *
 * @example
 * const { logged, explanation } = await explainLogged(loc, { log: 'decisions.jsonl', line: 3 });
 * logged.today.same; // false: the rules have changed since
 */
export async function explainLogged(
  loc: ModelLocation,
  source: { log: string; line: number },
  options: { backend?: BackendChoice } = {},
): Promise<{ record: DataRecord; explanation: Explanation; logged: LoggedContext }> {
  if (!(Number.isInteger(source.line) && source.line >= 1)) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `expected a 1-based line of ${source.log}, found ${String(source.line)}`,
      { field: 'line' },
    );
  }
  const d = await readLoggedDecision(source.log, source.line, loc.name);
  const today = await openModel(loc, { front: false });
  const inForce = rulesInForce(loc, d, today);
  const problem = inputsIssue(d, inForce.schema, inForce.hash);
  if (problem) throw NeurulesError.fromIssues([problem]);
  const { record, redacted } = loggedRecord(d, inForce.schema);
  const depends = dependenceOn(inForce, record, redacted);
  // Undefined when the rules cannot be analysed.
  const dependsOn = 'refused' in depends ? undefined : depends;
  const view = await networkView(loc, inForce, record, options);
  const { probabilities, dispose } = view;
  // The network reads every feature: what it says of a record whose redacted fields are
  // missing is not what it said of the record decided.
  const networkNote =
    view.networkNote ??
    (redacted.length > 0
      ? `shown as it reads the record with ${redacted.join(', ')} missing (redacted), not as it read the record decided`
      : undefined);
  try {
    const evaluator = evaluatorOf(inForce.ruleSet);
    const perceived = perceivedOf(d.perceived);
    const explanation = await explainDecision(evaluator, record, probabilities, {
      schema: inForce.schema,
      ...(perceived && { perceived }),
    });
    const same = inForce.hash === today.ruleSetHash;
    const logged: LoggedContext = {
      file: d.file,
      line: d.line,
      time: d.time,
      ...(d.requestId !== undefined && { requestId: d.requestId }),
      ruleSet: d.ruleSet,
      from: inForce.from,
      ...(inForce.generation !== undefined && { generation: inForce.generation }),
      logged: { class: d.class, ruleId: d.ruleId },
      reproduced:
        explanation.decision.class === d.class && explanation.decision.ruleId === d.ruleId,
      today: { hash: today.ruleSetHash, same, ...(!same && (await todaysDecision(today, record))) },
      ...(networkNote !== undefined && { networkNote }),
      redacted,
      ...(dependsOn && { dependsOn }),
    };
    return { record, explanation, logged };
  } finally {
    dispose();
  }
}

/** The rule set a line names: archived, or today's; RULE_SET_NOT_FOUND otherwise. */
function rulesInForce(loc: ModelLocation, d: LoggedDecision, today: OpenModel): FoundRuleSet {
  const found = findRuleSet(loc, d.ruleSet, {
    hash: today.ruleSetHash,
    ruleSet: today.ruleSet,
    schema: today.schema,
    ...(today.manifest.generation !== undefined && { generation: today.manifest.generation }),
  });
  if (found) return found;
  throw new NeurulesError(
    'RULE_SET_NOT_FOUND',
    `expected the rule set the line names (${shortHash(d.ruleSet)}) in the archive of model '${loc.name}' or as its rules today (${shortHash(today.ruleSetHash)}), found it in neither`,
    { file: d.file, line: d.line, field: 'ruleSet' },
  );
}

/**
 * The network's probabilities for the record, by the network of the generation that made
 * the decision, while its folder is on disk (checked as every open checks a model; loaded
 * then, and freed by `dispose`); otherwise why it is not shown.
 */
async function networkView(
  loc: ModelLocation,
  inForce: RuleSetInForce,
  record: DataRecord,
  options: { backend?: BackendChoice },
): Promise<{ probabilities?: Float32Array; networkNote?: string; dispose: () => void }> {
  const made = inForce.generation;
  const generation = made === undefined ? undefined : openGeneration(loc, made);
  if (!generation) {
    const networkNote =
      made === undefined
        ? 'not shown: the archive does not say which generation made this decision'
        : `not shown: generation ${made}, which made this decision, is pruned`;
    return { networkNote, dispose: () => undefined };
  }
  // TensorFlow.js loads here, when a network is to be shown, and only then.
  const { selectBackend } = await import('../teacher/backend');
  const { loadTeacher } = await import('../teacher/model-io');
  await selectBackend(options.backend ?? 'auto');
  const teacher = await loadTeacher(generation.teacherDir, generation.schema);
  return {
    probabilities: teacher.predictProbaFlat([record]),
    dispose: () => teacher.dispose(),
  };
}

/** What today's merged rules decide for the record, or why they cannot. */
async function todaysDecision(
  today: OpenModel,
  record: DataRecord,
): Promise<{ decision: Outcome } | { error: string }> {
  try {
    const decision = await (today.compiled ?? today.engine).decide(record);
    return { decision: { class: decision.class, ruleId: decision.ruleId } };
  } catch (e) {
    if (!isNeurulesError(e)) throw e;
    if (e.code === 'NO_RULE_FIRED') return { decision: { class: null, ruleId: null } };
    return { error: `${e.code} ${e.message}` };
  }
}

/** What was perceived, as logged, less concepts the log redacted. */
function perceivedOf(value: unknown): PerceivedFacts | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const kept = Object.entries(value as Record<string, unknown>).filter(
    ([, v]) =>
      typeof v === 'object' &&
      v !== null &&
      typeof (v as { value?: unknown }).value === 'string' &&
      typeof (v as { confidence?: unknown }).confidence === 'number',
  );
  return kept.length > 0 ? (Object.fromEntries(kept) as PerceivedFacts) : undefined;
}

const outcomeText = (o: Outcome): string =>
  o.class === null ? 'no rule fires' : `rule ${o.ruleId} decides this record ${o.class}`;

/**
 * The lines `neurules explain --log` prints before the explanation: the logged decision,
 * whether the rules in force then are today's (and if not, what today's decide), whether
 * the line reproduces, the redacted fields, and why the network's view is absent.
 */
export function formatLogged(c: LoggedContext): string[] {
  const then = `${shortHash(c.ruleSet)}${c.generation !== undefined ? `, generation ${c.generation}` : ''}`;
  const lines = [
    `logged:   ${c.file}:${c.line}, ${c.time}${c.requestId !== undefined ? `, request ${c.requestId}` : ''}: ${c.logged.class} by ${c.logged.ruleId} (rule set ${shortHash(c.ruleSet)})`,
  ];
  if (c.today.same) {
    lines.push(`rules:    the rules in force then (${then}) are today's`);
  } else {
    const now = c.today.decision
      ? `today ${outcomeText(c.today.decision)}${c.today.decision.class === c.logged.class && c.today.decision.ruleId === c.logged.ruleId ? ' too' : ''}`
      : `today's rules cannot decide this record: ${c.today.error}`;
    lines.push(
      `rules:    the rules in force then (${then}) differ from today's (${shortHash(c.today.hash)}): ${now}`,
    );
  }
  if (!c.reproduced) {
    lines.push(
      c.dependsOn !== undefined && c.dependsOn.length === 0
        ? 'replayed: the rules in force then do not decide this record as logged (the decision below is theirs)'
        : 'replayed: with the redacted fields missing, the rules in force then decide otherwise than logged (below)',
    );
  }
  if (c.redacted.length > 0) {
    const them = c.redacted.length === 1 ? 'it' : 'them';
    const depends =
      c.dependsOn === undefined
        ? `whether the decision depended on ${them} cannot be told exactly (the rules are outside region analysis)`
        : c.dependsOn.length === 0
          ? `the decision did not depend on ${them}`
          : `the decision depended on ${c.dependsOn.join(', ')}: other values could let another rule decide`;
    lines.push(`redacted: ${c.redacted.join(', ')} (explained as missing; ${depends})`);
  }
  if (c.networkNote !== undefined) lines.push(`network:  ${c.networkNote}`);
  return lines;
}
