import type { ProportionInterval } from '../audit/types';

/** What a missing figure reads as. */
export const NO_FIGURE = '—';

/** A rate in [0, 1] to three decimals, e.g. `0.883`; null reads as a dash. */
export function formatRate(x: number | null): string {
  return x === null || !Number.isFinite(x) ? NO_FIGURE : x.toFixed(3);
}

/** A share in [0, 1] as a percentage to one decimal, e.g. `12.3%`; null reads as a dash. */
export function formatShare(x: number | null): string {
  return x === null || !Number.isFinite(x) ? NO_FIGURE : `${(x * 100).toFixed(1)}%`;
}

/** A signed change to three decimals with a true minus sign, e.g. `+0.003`, `−0.010`, `0.000`. */
export function formatDelta(x: number, digits = 3): string {
  const text = Math.abs(x).toFixed(digits);
  if (Number(text) === 0) return text;
  return (x > 0 ? '+' : '−') + text;
}

/** A change of a share in percentage points, e.g. `+6.1 pp`. */
export function formatPoints(x: number): string {
  return `${formatDelta(x * 100, 1)} pp`;
}

/** A count with thousands separators, e.g. `11,550`; null reads as a dash. */
export function formatCount(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return NO_FIGURE;
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A plain number to at most `digits` decimals (trailing zeros dropped), e.g. a z statistic. */
export function formatNumber(x: number, digits = 2): string {
  return Number.isFinite(x) ? String(Number(x.toFixed(digits))) : String(x);
}

/**
 * The short name of an interval method, e.g. `Wilson` for "Wilson score interval, 95%":
 * the text before the first comma, without a trailing "(score) interval".
 */
export function intervalMethodName(method: string): string {
  const head = method.split(',')[0]!.trim();
  const short = head.replace(/\s+(score\s+)?interval$/i, '').trim();
  return short || head;
}

/** `0.883 (95% CI 0.841–0.915, Wilson)`. */
export function formatInterval(interval: ProportionInterval): string {
  return (
    `${formatRate(interval.value)} (95% CI ${formatRate(interval.low)}–` +
    `${formatRate(interval.high)}, ${intervalMethodName(interval.method)})`
  );
}

/**
 * An ISO time as `2027-02-01 09:30 UTC` (with `seconds`, `2027-02-01 09:30:15 UTC`, for
 * spans shorter than an hour); text that is not a time is returned as it is.
 */
export function formatTime(iso: string, seconds = false): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return (
    new Date(t)
      .toISOString()
      .slice(0, seconds ? 19 : 16)
      .replace('T', ' ') + ' UTC'
  );
}

/** Whether times within a span of `from`–`to` need seconds to tell apart (under an hour). */
export function needsSeconds(from: string, to: string): boolean {
  return Date.parse(to) - Date.parse(from) < 3_600_000;
}

/** An ISO time as its UTC date, e.g. `2027-02-01`; text that is not a time is returned as it is. */
export function formatDate(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : new Date(t).toISOString().slice(0, 10);
}

/** The first 12 characters of a content hash, as reports show it. */
export function shortHash(hash: string): string {
  return hash.slice(0, 12);
}
