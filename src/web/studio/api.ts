/**
 * The studio's HTTP API as the page calls it: one function per route, typed with the
 * contract the session declares its answers with (`src/studio/contract.ts`), and errors as
 * the catalogue's `ProblemBody`. The page talks to its own origin only; the access token
 * rides in an HttpOnly cookie and, when the page was opened with `?token=`, in an
 * `authorization` header too.
 */
import type * as Contract from '../../studio/contract';
import type { Issue, ProblemBody } from '../../errors';

/** An error answer (`application/problem+json`): its code, message and issues. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** The catalogue's code, or `HTTP_<status>` for an answer that is not a problem body. */
    readonly code: string,
    message: string,
    readonly issues: readonly Issue[] = [],
  ) {
    super(message);
  }
}

let token: string | null = null;

/** Takes `?token=` from the address bar once, and removes it from there and from history. */
export function takeTokenFromUrl(): void {
  const url = new URL(window.location.href);
  const found = url.searchParams.get('token');
  if (found === null) return;
  token = found;
  url.searchParams.delete('token');
  window.history.replaceState(null, '', url.pathname + url.search + url.hash);
}

/** The problem body of an error answer, as far as it is one. */
function problemOf(data: unknown): Partial<ProblemBody> {
  return data !== null && typeof data === 'object' ? (data as Partial<ProblemBody>) : {};
}

/** Calls the API (same origin, JSON both ways); throws {@link ApiError} on an error answer. */
async function request<T>(
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) init.body = JSON.stringify(body);
  if (signal) init.signal = signal;
  const response = await fetch(path, init);
  const text = await response.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const problem = problemOf(data);
    throw new ApiError(
      response.status,
      problem.error ?? `HTTP_${response.status}`,
      problem.message ?? response.statusText,
      problem.issues ?? [],
    );
  }
  return data as T;
}

/** `GET /api/model`. */
export const getModel = (): Promise<Contract.StudioModel> => request('GET', '/api/model');

/** `POST /api/check`: the edited files (the others on disk are checked with them). */
export const checkFiles = (
  files: Contract.StudioFile[],
  signal?: AbortSignal,
): Promise<Contract.StudioCheck> => request('POST', '/api/check', { files }, signal);

/** `POST /api/explain`. */
export const explainRecord = (
  body: Contract.ExplainRequest,
  signal?: AbortSignal,
): Promise<Contract.StudioExplained> => request('POST', '/api/explain', body, signal);

/** `GET /api/records`. */
export const getRecords = (offset: number, limit: number): Promise<Contract.StudioRecords> =>
  request('GET', `/api/records?offset=${offset}&limit=${limit}`);

/** `POST /api/save`. */
export const saveFiles = (body: Contract.SaveRequest): Promise<Contract.StudioSaved> =>
  request('POST', '/api/save', body);

/** `GET /api/history`. */
export const getHistory = (): Promise<Contract.StudioHistory> => request('GET', '/api/history');

/** `POST /api/revert`: go back to the version after a history entry. */
export const revertTo = (
  body: Contract.RevertRequest,
): Promise<Contract.StudioSaved | Contract.StudioProposal> => request('POST', '/api/revert', body);

/** `GET /api/proposals`. */
export const getProposals = (): Promise<Contract.StudioProposals> =>
  request('GET', '/api/proposals');

/** `POST /api/proposals`: a save as a proposal (review mode). */
export const proposeFiles = (body: Contract.ProposeRequest): Promise<Contract.StudioProposal> =>
  request('POST', '/api/proposals', body);

/** `POST /api/proposals/ID/approve|reject`. */
export const decideProposal = (
  id: string,
  action: 'approve' | 'reject',
  body: Contract.DecideRequest,
): Promise<Contract.StudioSaved | Contract.StudioProposal> =>
  request('POST', `/api/proposals/${encodeURIComponent(id)}/${action}`, body);
