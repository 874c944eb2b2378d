/**
 * The fast path of the compiled evaluator: condition trees flattened into a branching
 * program — plain data run by one small interpreter loop.
 *
 * Each comparison is one instruction `[operator, fact, constant, memo, ifTrue, ifFalse]`;
 * `all`, `any` and `not` are nothing but where those two jumps lead (the short-circuit of
 * boolean logic), so a rule is decided in as many steps as comparisons it actually reads.
 * Equal comparisons share a memo slot: rules distilled from a tree repeat the tests of
 * their common ancestors, and each is computed once per record. A chain of rules is one
 * program whose "false" leads to the next rule and whose "true" names the rule, so finding
 * the first rule that holds is a single run. One
 * interpreter for every rule keeps V8's view of the call sites monomorphic, and the
 * program is data: a hostile rule file can only put values into the constant table.
 *
 * The program gives the outcome only. Which conditions json-rules-engine evaluates, and in
 * which order its rules finish, is the job of rule-order.ts and compiled-rules.ts.
 */
import {
  numberValidator,
  type BuiltInOperator,
  type ConditionNode,
  type FactValues,
  type LeafNode,
} from './compile-conditions';

/** Jump target: the rule holds. */
export const TRUE = -1;
/** Jump target: the rule does not hold (or, in a chain, none does). */
export const FALSE = -2;
/** Jump target in a chain: rule `i` of the chain holds. */
const chainTarget = (i: number): number => -3 - i;
/** The position in the chain named by a terminal of {@link execute}, or -1 for none. */
export const chainPosition = (terminal: number): number => (terminal <= -3 ? -3 - terminal : -1);

const EQUAL = 0;
const NOT_EQUAL = 1;
const IN_LIST = 2;
const NOT_IN_LIST = 3;
const IN_SET = 4;
const NOT_IN_SET = 5;
const IN_STRING = 6;
const NOT_IN_STRING = 7;
const CONTAINS = 8;
const NOT_CONTAINS = 9;
const LESS = 10;
const LESS_EQUAL = 11;
const GREATER = 12;
// GREATER_EQUAL = 13 is the `default` case of runProgram.
/** The numeric operators against a number constant (kept in a Float64Array). */
const LESS_NUMBER = 14;
const LESS_EQUAL_NUMBER = 15;
const GREATER_NUMBER = 16;
const GREATER_EQUAL_NUMBER = 17;

const STRIDE = 6;

/** Above this many values, `in`/`notIn` look values up in a Set rather than scan the list. */
const SET_THRESHOLD = 4;

/** A finished program. */
export interface BranchProgram {
  code: Int32Array;
  constants: unknown[];
  numbers: Float64Array;
  /** Number of distinct comparisons (memo slots). */
  memoSlots: number;
}

/**
 * Per-record memory of comparisons: `stamps[slot] === stamp` when `results[slot]` holds the
 * comparison's outcome for the current record. Bump `stamp` for every record.
 */
export interface ProgramMemo {
  stamps: Int32Array;
  results: Uint8Array;
  stamp: number;
}

/** A fresh memo for a program. */
export function createMemo(p: BranchProgram): ProgramMemo {
  return { stamps: new Int32Array(p.memoSlots), results: new Uint8Array(p.memoSlots), stamp: 0 };
}

/** Start a new record: results of the previous one become stale. */
export function nextRecord(memo: ProgramMemo): void {
  memo.stamp = (memo.stamp + 1) | 0;
  if (memo.stamp === 0) {
    memo.stamps.fill(0);
    memo.stamp = 1;
  }
}

/** Builds one program for many rules; each {@link ProgramBuilder.add} returns an entry. */
export class ProgramBuilder {
  private readonly code: number[] = [];
  private readonly constants: unknown[] = [];
  private readonly numbers: number[] = [];
  private readonly memo = new Map<string, number>();

  /** Add a rule's condition tree; returns its entry (an instruction, or TRUE/FALSE). */
  add(root: ConditionNode): number {
    return this.emit(root, TRUE, FALSE);
  }

  /** Add rules to try in order; {@link execute} from the entry ends at the first that holds. */
  addChain(roots: ConditionNode[]): number {
    let next = FALSE;
    for (let i = roots.length - 1; i >= 0; i--) next = this.emit(roots[i]!, chainTarget(i), next);
    return next;
  }

  finish(): BranchProgram {
    // A comparison that occurs once is not worth remembering.
    const uses = new Int32Array(this.memo.size);
    for (let at = 3; at < this.code.length; at += STRIDE) uses[this.code[at]!]!++;
    const slots = new Int32Array(this.memo.size).fill(-1);
    let memoSlots = 0;
    for (let slot = 0; slot < uses.length; slot++) if (uses[slot]! > 1) slots[slot] = memoSlots++;
    const code = Int32Array.from(this.code);
    for (let at = 3; at < code.length; at += STRIDE) code[at] = slots[code[at]!]!;
    return {
      code,
      constants: this.constants,
      numbers: Float64Array.from(this.numbers),
      memoSlots,
    };
  }

  /** Emit `n` so that it continues at `onTrue` or `onFalse`; returns its entry. */
  private emit(n: ConditionNode, onTrue: number, onFalse: number): number {
    switch (n.kind) {
      case 'leaf':
        return this.instruction(n, onTrue, onFalse);
      case 'not':
        return this.emit(n.child, onFalse, onTrue);
      default: {
        // An empty `all` or `any` is true (json-rules-engine resolves it to true).
        let next = onTrue;
        if (n.kind === 'all') {
          for (let i = n.children.length - 1; i >= 0; i--) {
            next = this.emit(n.children[i]!, next, onFalse);
          }
          return next;
        }
        const count = n.children.length;
        if (count === 0) return onTrue;
        next = this.emit(n.children[count - 1]!, onTrue, onFalse);
        for (let i = count - 2; i >= 0; i--) next = this.emit(n.children[i]!, onTrue, next);
        return next;
      }
    }
  }

  private instruction(n: LeafNode, onTrue: number, onFalse: number): number {
    const key = `${n.fact} ${n.operator} ${constantKey(n.operand)}`;
    let slot = this.memo.get(key);
    if (slot === undefined) {
      slot = this.memo.size;
      this.memo.set(key, slot);
    }
    const [op, constant] = this.operation(n.operator, n.operand);
    const at = this.code.length / STRIDE;
    this.code.push(op, n.fact, constant, slot, onTrue, onFalse);
    return at;
  }

  private operation(operator: BuiltInOperator, operand: unknown): [number, number] {
    const constant = (value: unknown): number => this.constants.push(value) - 1;
    const number = (value: number): number => this.numbers.push(value) - 1;
    switch (operator) {
      case 'equal':
        return [EQUAL, constant(operand)];
      case 'notEqual':
        return [NOT_EQUAL, constant(operand)];
      case 'in':
      case 'notIn': {
        const inside = operator === 'in';
        if (typeof operand === 'string') {
          return [inside ? IN_STRING : NOT_IN_STRING, constant(operand)];
        }
        const list = operand as unknown[];
        if (list.length <= SET_THRESHOLD) return [inside ? IN_LIST : NOT_IN_LIST, constant(list)];
        return [inside ? IN_SET : NOT_IN_SET, constant(membershipSet(list))];
      }
      case 'contains':
        return [CONTAINS, constant(operand)];
      case 'doesNotContain':
        return [NOT_CONTAINS, constant(operand)];
      default: {
        const base = { lessThan: 0, lessThanInclusive: 1, greaterThan: 2, greaterThanInclusive: 3 }[
          operator
        ];
        return typeof operand === 'number'
          ? [LESS_NUMBER + base, number(operand)]
          : [LESS + base, constant(operand)];
      }
    }
  }
}

/**
 * A key that is equal for two constants exactly when every comparison treats them alike
 * (type-tagged; 0 and -0 merge, which no operator tells apart).
 */
function constantKey(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(constantKey).join(',')}]`;
  if (x !== null && typeof x === 'object') {
    const entries = Object.keys(x).map(
      (k) => `${JSON.stringify(k)}:${constantKey((x as Record<string, unknown>)[k])}`,
    );
    return `{${entries.join(',')}}`;
  }
  if (typeof x === 'string') return JSON.stringify(x);
  return `${typeof x}:${String(x)}`;
}

/**
 * The values of an `in` list as a Set with `indexOf`'s (===) matches: a Set matches NaN
 * with NaN (SameValueZero) where indexOf never does, so NaN is left out; objects are left
 * out too (no fact value can be this private copy).
 */
function membershipSet(list: unknown[]): Set<unknown> {
  const set = new Set<unknown>();
  for (const x of list) {
    if (typeof x === 'object' && x !== null) continue;
    if (typeof x === 'number' && Number.isNaN(x)) continue;
    set.add(x);
  }
  return set;
}

/**
 * Run the program from `entry` on one record's fact values; returns the terminal reached
 * (TRUE, FALSE or a chain position, see {@link chainPosition}). The caller guarantees that
 * no comparison can throw (no object or symbol reaches a converting operator).
 */
export function execute(
  p: BranchProgram,
  values: FactValues,
  memo: ProgramMemo,
  entry: number,
): number {
  const { code, constants, numbers } = p;
  const { stamps, results, stamp } = memo;
  let pc = entry;
  while (pc >= 0) {
    const at = pc * STRIDE;
    const slot = code[at + 3]!;
    if (slot >= 0 && stamps[slot] === stamp) {
      pc = results[slot] === 1 ? code[at + 4]! : code[at + 5]!;
      continue;
    }
    const v = values[code[at + 1]!];
    const c = code[at + 2]!;
    let passed: boolean;
    switch (code[at]) {
      case EQUAL:
        passed = v === constants[c];
        break;
      case NOT_EQUAL:
        passed = v !== constants[c];
        break;
      case IN_LIST:
      case NOT_IN_LIST: {
        // indexOf's strict equality, inline (short lists).
        const list = constants[c] as unknown[];
        let found = false;
        for (let i = 0; i < list.length; i++) {
          if (list[i] === v) {
            found = true;
            break;
          }
        }
        passed = code[at] === IN_LIST ? found : !found;
        break;
      }
      case IN_SET:
        passed = (constants[c] as Set<unknown>).has(v);
        break;
      case NOT_IN_SET:
        passed = !(constants[c] as Set<unknown>).has(v);
        break;
      case IN_STRING:
        passed = (constants[c] as string).indexOf(v as string) > -1;
        break;
      case NOT_IN_STRING:
        passed = (constants[c] as string).indexOf(v as string) === -1;
        break;
      case CONTAINS:
        passed = Array.isArray(v) && v.indexOf(constants[c]) > -1;
        break;
      case NOT_CONTAINS:
        passed = Array.isArray(v) && v.indexOf(constants[c]) === -1;
        break;
      case LESS_NUMBER: {
        const k = numbers[c]!;
        passed = typeof v === 'number' ? v < k : numberValidator(v) && (v as number) < k;
        break;
      }
      case LESS_EQUAL_NUMBER: {
        const k = numbers[c]!;
        passed = typeof v === 'number' ? v <= k : numberValidator(v) && (v as number) <= k;
        break;
      }
      case GREATER_NUMBER: {
        const k = numbers[c]!;
        passed = typeof v === 'number' ? v > k : numberValidator(v) && (v as number) > k;
        break;
      }
      case GREATER_EQUAL_NUMBER: {
        const k = numbers[c]!;
        passed = typeof v === 'number' ? v >= k : numberValidator(v) && (v as number) >= k;
        break;
      }
      case LESS:
        passed = numberValidator(v) && (v as number) < (constants[c] as number);
        break;
      case LESS_EQUAL:
        passed = numberValidator(v) && (v as number) <= (constants[c] as number);
        break;
      case GREATER:
        passed = numberValidator(v) && (v as number) > (constants[c] as number);
        break;
      default: // GREATER_EQUAL
        passed = numberValidator(v) && (v as number) >= (constants[c] as number);
        break;
    }
    if (slot >= 0) {
      stamps[slot] = stamp;
      results[slot] = passed ? 1 : 0;
    }
    pc = passed ? code[at + 4]! : code[at + 5]!;
  }
  return pc;
}

/** Whether the rule entered at `entry` holds (see {@link execute}). */
export function runProgram(
  p: BranchProgram,
  values: FactValues,
  memo: ProgramMemo,
  entry: number,
): boolean {
  return execute(p, values, memo, entry) === TRUE;
}
