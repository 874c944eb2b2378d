/**
 * The studio's HTTP API as the page sees it: the response shapes and one `request` helper.
 * The page talks to its own origin only; the access token rides in an HttpOnly cookie and,
 * when the page was opened with `?token=`, in an `authorization` header too.
 */

/** A feature of the model's schema. */
export interface FeatureInfo {
  name: string;
  type: 'numeric' | 'categorical';
  levels?: string[];
  min?: number;
  max?: number;
}

/** `GET /api/model`. */
export interface ModelInfo {
  model: string;
  classes: string[];
  schema: { target: string; classes: string[]; features: FeatureInfo[] };
  distilled: {
    id: string;
    sentence: string;
    class: string;
    support: number;
    confidence: number | null;
  }[];
  treeSvg?: string;
  overrides: {
    id: string;
    file: string;
    line: number;
    sentence: string;
    class: string;
    priority: number;
  }[];
  files: { name: string; text: string; hash: string | null }[];
  operators?: Operators;
  data: { description: string; rows: number };
}

/** Operators a condition may use, by feature type. */
export interface Operators {
  numeric: string[];
  categorical: string[];
}

/** The operators of docs/overrides.md, for a server that does not list them. */
export const DEFAULT_OPERATORS: Operators = {
  numeric: [
    'equal',
    'notEqual',
    'lessThan',
    'lessThanInclusive',
    'greaterThan',
    'greaterThanInclusive',
    'between',
    'in',
    'notIn',
  ],
  categorical: ['equal', 'notEqual', 'in', 'notIn'],
};

/** A validation problem or lint finding, placed in a file (1-based line and column). */
export interface Problem {
  code: string;
  message: string;
  file: string | null;
  line: number | null;
  column: number | null;
  severity: 'error' | 'warning';
}

/** `POST /api/check`. */
export interface CheckResult {
  ok: boolean;
  /** The files checked: the request's and every other override file on disk. */
  files?: string[];
  problems: Problem[];
  findings: Problem[];
  lintLines: string[];
  examples: {
    override: string;
    file: string;
    line: number;
    expect: string;
    class: string;
    ruleId: string;
    pass: boolean;
  }[];
  impact: {
    records: number;
    description: string;
    changed: number;
    before: { accuracy: number; fidelity: number };
    after: { accuracy: number; fidelity: number };
    overrides: {
      id: string;
      fires: number;
      changed: number;
      deltaAccuracy: number;
      deltaFidelity: number;
    }[];
    changedRecords: { index: number; line?: number; from: string; to: string }[];
  } | null;
  regions: { from: string; to: string; conditions: string | string[] }[];
}

/** A record: feature name → number, level, or null (missing). */
export type StudioRecord = Record<string, string | number | null>;

/** `POST /api/explain`. */
export interface ExplainResult {
  record: StudioRecord;
  decision: { class: string; ruleId: string; source: string; reason?: string };
  distilledRule: { id: string; sentence: string };
  network?: { class: string; probabilities: Record<string, number> };
  counterfactuals: { changes: string; class: string; ruleId: string }[];
  text: string[];
}

/** The engine's explanation, as `POST /api/explain` may send it instead of the flat fields. */
interface EngineExplanation {
  decision: { class: string; ruleId: string; source: string };
  rule: { id: string; text: string };
  override?: { id: string; reason: string | null; distilled: { ruleId: string; text: string } };
  network?: { class: string; probabilities: Record<string, number> };
  counterfactuals?: {
    changes: { feature: string; from: unknown; to: unknown }[];
    class: string;
    ruleId: string;
  }[];
}

function shown(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

/** An explain answer in the flat shape, whichever of the two shapes the server sent. */
export function normaliseExplain(
  raw: Partial<ExplainResult> & {
    record: StudioRecord;
    text: string[];
    explanation?: EngineExplanation;
  },
): ExplainResult {
  const e = raw.explanation;
  if (!e) return raw as ExplainResult;
  const decision: ExplainResult['decision'] = {
    class: e.decision.class,
    ruleId: e.decision.ruleId,
    source: e.decision.source,
  };
  if (e.override?.reason) decision.reason = e.override.reason;
  const result: ExplainResult = {
    record: raw.record,
    decision,
    distilledRule: e.override
      ? { id: e.override.distilled.ruleId, sentence: e.override.distilled.text }
      : { id: e.rule.id, sentence: e.rule.text },
    counterfactuals: (e.counterfactuals ?? []).map((c) => ({
      changes: c.changes.map((x) => `${x.feature} ${shown(x.from)} → ${shown(x.to)}`).join(', '),
      class: c.class,
      ruleId: c.ruleId,
    })),
    text: raw.text,
  };
  if (e.network)
    result.network = { class: e.network.class, probabilities: e.network.probabilities };
  return result;
}

/** `GET /api/records`. */
export interface RecordsPage {
  total: number;
  records: { index: number; line?: number; record: StudioRecord; label: string }[];
}

/** `GET /api/history`: entries of changes.jsonl (a save's fields; other kinds have others). */
export interface HistoryEntry {
  v: number;
  time: string;
  kind: string;
  reason?: unknown;
  files?: unknown;
  before?: unknown;
  after?: unknown;
  changed?: unknown;
}

/** An `application/problem+json` answer. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly issues: Problem[] = [],
  ) {
    super(detail);
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

/** Calls the API (same origin, JSON both ways); throws {@link ApiError} on a problem answer. */
export async function request<T>(
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
    const problem = (data ?? {}) as Partial<{
      code: string;
      title: string;
      detail: string;
      issues: Problem[];
    }>;
    throw new ApiError(
      response.status,
      problem.code ?? `HTTP_${response.status}`,
      problem.detail ?? problem.title ?? response.statusText,
      problem.issues ?? [],
    );
  }
  return data as T;
}
