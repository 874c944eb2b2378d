import { NeurulesError, type Issue } from '../errors';

/** How many issues one error keeps; the message still counts all of them. */
export const MAX_ISSUES = 50;

/**
 * Collects the problems found in one input (zod-style) and throws them together.
 * Keeps the first {@link MAX_ISSUES} and counts the rest, so a file that is wrong on every
 * line gives a short report rather than a million issue objects.
 */
export class IssueList {
  readonly issues: Issue[] = [];
  private total = 0;

  /** Record one problem. */
  add(issue: Issue): void {
    this.total++;
    if (this.issues.length < MAX_ISSUES) this.issues.push(issue);
  }

  /** Record several problems. */
  addAll(issues: readonly Issue[]): void {
    for (const issue of issues) this.add(issue);
  }

  /** Number of problems recorded, including those not kept. */
  get count(): number {
    return this.total;
  }

  /** Throw one {@link NeurulesError} carrying every kept issue, if there are any. */
  throwIfAny(): void {
    const first = this.issues[0];
    if (!first) return;
    const { code, message, ...place } = first;
    const rest = this.total - 1;
    const shown =
      this.issues.length < this.total ? `; the first ${this.issues.length} are listed` : '';
    const extra = rest > 0 ? ` (and ${rest} more problem(s)${shown})` : '';
    throw new NeurulesError(code, message + extra, place, [...this.issues]);
  }
}
