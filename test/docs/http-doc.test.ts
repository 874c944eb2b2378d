/**
 * What docs/http.md shows the service answer is what it answers. A code block marked
 * `<!-- tested: test/docs/http-doc.test.ts -->` holds `$ curl ...` lines, each followed by
 * the answer: with `curl -i`, the status line and some headers (a `…` line for those left
 * out), a blank line, then the body. The request is sent with `app.inject()` to the app
 * `neurules serve --model german-credit --no-network` runs (the committed model, read only).
 * A body shown as JSON must equal the answer's, where a string with `…` stands for any
 * text (`"…"` for any value).
 */
import { createApp, type NeurulesApp } from '../../src/server/create-app';
import { fencedBlocks, ROOT, shellWords } from './markdown';
import * as path from 'node:path';

const THIS = 'test/docs/http-doc.test.ts';
const blocks = fencedBlocks('docs/http.md').filter((b) => b.marker === `tested: ${THIS}`);

interface Exchange {
  line: number;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
  shown: string[];
}

function exchangesOf(lines: string[], firstLine: number): Exchange[] {
  const starts = lines.flatMap((l, i) => (l.startsWith('$ curl ') ? [i] : []));
  return starts.map((start, n) => {
    const words = shellWords(lines[start]!.slice(2));
    const headers: Record<string, string> = {};
    let method: string | undefined;
    let body: string | undefined;
    let url = '';
    for (let i = 1; i < words.length; i++) {
      const w = words[i]!;
      if (w === '-X') method = words[++i];
      else if (w === '-H') {
        const [name, ...value] = words[++i]!.split(':');
        headers[name!.trim().toLowerCase()] = value.join(':').trim();
      } else if (w === '-d' || w === '--data') body = words[++i];
      else if (!w.startsWith('-')) url = w.replace(/^[^/]*/, '');
    }
    return {
      line: firstLine + 1 + start,
      method: method ?? (body === undefined ? 'GET' : 'POST'),
      url,
      headers,
      body,
      shown: lines.slice(start + 1, starts[n + 1] ?? lines.length),
    };
  });
}

/** Whether an answer matches what the doc shows (`…` in a shown string: any text). */
function matches(shown: unknown, actual: unknown): boolean {
  if (typeof shown === 'string' && shown.includes('…')) {
    if (shown === '…') return true;
    const parts = shown.split('…').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    return typeof actual === 'string' && new RegExp(`^${parts.join('.*')}$`, 's').test(actual);
  }
  if (Array.isArray(shown))
    return (
      Array.isArray(actual) &&
      shown.length === actual.length &&
      shown.every((s, i) => matches(s, actual[i]))
    );
  if (shown && typeof shown === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return false;
    const a = actual as Record<string, unknown>;
    const keys = Object.keys(shown).sort();
    return (
      JSON.stringify(keys) === JSON.stringify(Object.keys(a).sort()) &&
      keys.every((k) => matches((shown as Record<string, unknown>)[k], a[k]))
    );
  }
  return shown === actual;
}

let app: NeurulesApp;
beforeAll(async () => {
  app = await createApp({
    model: 'german-credit',
    modelsDir: path.join(ROOT, 'models'),
    rulesDir: path.join(ROOT, 'rules'),
    network: false,
  });
});
afterAll(() => app?.close());

describe('answers shown in docs/http.md', () => {
  const exchanges = blocks.flatMap((b) => exchangesOf(b.lines, b.line));

  it('marks the blocks it checks', () => {
    expect(exchanges.length).toBeGreaterThanOrEqual(3);
  });

  it.each(exchanges.map((e) => [`docs/http.md:${e.line}`, e] as const))('%s', async (_, e) => {
    const r = await app.inject({
      method: e.method as 'GET' | 'POST',
      url: e.url,
      headers: e.headers,
      ...(e.body !== undefined && { payload: e.body }),
    });
    let shown = e.shown;
    if (shown[0]?.startsWith('HTTP/1.1 ')) {
      const blank = shown.indexOf('');
      const head = shown.slice(0, blank);
      expect(head[0]).toBe(`HTTP/1.1 ${r.statusCode} ${r.statusMessage}`);
      for (const header of head.slice(1).filter((h) => h !== '…')) {
        const [name, ...value] = header.split(':');
        expect(`${name}: ${r.headers[name!.toLowerCase()]}`).toBe(
          `${name}: ${value.join(':').trim()}`,
        );
      }
      shown = shown.slice(blank + 1);
    } else expect(r.statusCode).toBe(200);
    const body = JSON.parse(shown.join('\n'));
    if (!matches(body, r.json()))
      throw new Error(
        `docs/http.md:${e.line}: the doc shows\n${shown.join('\n')}\nthe service answers\n${r.body}`,
      );
  });
});
