/** The page's status line, and how an error is said in it and in the panels. */
import { ApiError } from './api';
import { isolator } from './bidi';
import { byId, fill } from './dom';

/** Whether an error is a request the page aborted (a newer one replaced it). */
export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

/** An error as one line: the catalogue's code and the message. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** Shows a line in the status bar (in red for an error). */
export function setStatus(text: string, error = false): void {
  const status = byId('status');
  fill(status, ...isolator.nodes(text));
  status.classList.toggle('error', error);
}
