import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NeurulesError, placeAt } from '../errors';
import type { FileToSave } from '../studio/contract';
import type { StudioSession, StudioFile } from '../studio/session';
import { jsonBodiesPlugin } from './parse-json-body';
import { problemClientErrors, problemsPlugin, sendProblem } from './problems';

/** Options of {@link createStudioApp}. */
export interface StudioAppOptions {
  /** The access token every request must carry (header, or the cookie the first URL sets). */
  token: string;
  /** Host names the page may be reached by, besides 127.0.0.1, localhost and [::1]. */
  hosts?: readonly string[];
  /** Largest request body in bytes. @defaultValue 4 MiB */
  bodyLimit?: number;
  /** Where the bundled page is (`index.html`, `studio.js`, `studio.css`). */
  assets?: string;
}

/**
 * The name of the cookie that carries a studio's token: one per studio. Browsers keep
 * cookies per host, not per port, so a studio's cookie reaches every other studio on the
 * same host (another port, or this one restarted with a new token); named by a hash of the
 * token, each studio reads only its own.
 */
export function studioCookieName(token: string): string {
  const id = createHash('sha256').update(`neurules studio cookie\0${token}`).digest('hex');
  return `neurules_studio_${id.slice(0, 16)}`;
}
const LOCAL = ['127.0.0.1', 'localhost', '[::1]', '::1'];

/** The folder of the bundled page: beside the compiled server, or built into dist/. */
export function studioAssets(): string {
  const candidates = [
    path.join(__dirname, '..', 'web', 'studio'),
    path.join(__dirname, '..', '..', 'dist', 'web', 'studio'),
  ];
  return candidates.find((c) => fs.existsSync(path.join(c, 'studio.js'))) ?? candidates[0]!;
}

/**
 * The rule studio's HTTP app (fastify, not listening): the bundled page and a JSON API on
 * a {@link StudioSession} session. Every request needs the token, as `Authorization: Bearer`, or
 * the studio's own HttpOnly cookie ({@link studioCookieName}) that `GET /?token=…` sets; the
 * token in that address wins over any cookie and resets it (401 UNAUTHORIZED otherwise,
 * a malformed cookie included). A Host that is not this machine's (DNS rebinding) or an
 * Origin of another site is 403 FORBIDDEN.
 * Every error is `application/problem+json` with a code of the catalogue, the same body as
 * the service's ({@link problemsPlugin}); a bad request never stops the studio.
 */
export function createStudioApp(studio: StudioSession, options: StudioAppOptions): FastifyInstance {
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? 4 * 1024 * 1024,
    clientErrorHandler: problemClientErrors(),
  });
  const hosts = new Set([...LOCAL, ...(options.hosts ?? [])].map((h) => h.toLowerCase()));
  const assets = options.assets ?? studioAssets();
  const token = Buffer.from(options.token);
  const cookieName = studioCookieName(options.token);

  void app.register(problemsPlugin);
  void app.register(jsonBodiesPlugin);

  app.addHook('onRequest', async (req, reply) => {
    const host = hostName(req.headers.host);
    if (host === undefined || !hosts.has(host)) {
      return sendProblem(
        reply,
        'FORBIDDEN',
        `expected a Host of this machine, found '${req.headers.host ?? ''}'`,
      );
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !sameOrigin(origin, req.headers.host!)) {
      return sendProblem(
        reply,
        'FORBIDDEN',
        `expected a request from this page, found Origin '${origin}'`,
      );
    }
    // The token of the address the studio printed wins over any cookie and resets it: the
    // printed address always opens the page.
    const query = (req.query as Record<string, unknown> | undefined)?.token;
    const fromUrl =
      req.method === 'GET' && req.url.split('?')[0] === '/' && typeof query === 'string'
        ? query
        : undefined;
    const given = bearer(req.headers.authorization) ?? fromUrl;
    const granted =
      given !== undefined
        ? sameToken(Buffer.from(given), token)
        : cookies(req.headers.cookie, cookieName).some((c) => sameToken(Buffer.from(c), token));
    if (!granted) {
      return sendProblem(
        reply,
        'UNAUTHORIZED',
        'expected the studio access token printed at start-up',
      );
    }
    if (fromUrl !== undefined) {
      void reply.header(
        'set-cookie',
        `${cookieName}=${encodeURIComponent(fromUrl)}; HttpOnly; SameSite=Strict; Path=/`,
      );
    }
  });

  const asset =
    (name: string, type: string) => async (_req: FastifyRequest, reply: FastifyReply) => {
      const file = path.join(assets, name);
      if (!fs.existsSync(file)) {
        return sendProblem(
          reply,
          'NOT_FOUND',
          `the studio page is not built (${file}): run npm run build`,
        );
      }
      return reply
        .type(type)
        .header('cache-control', 'no-store')
        .header(
          'content-security-policy',
          "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'",
        )
        .send(fs.readFileSync(file));
    };
  app.get('/', asset('index.html', 'text/html; charset=utf-8'));
  app.get('/studio.js', asset('studio.js', 'text/javascript; charset=utf-8'));
  app.get('/studio.css', asset('studio.css', 'text/css; charset=utf-8'));

  app.get('/api/model', async () => studio.describe());
  // A check or an explanation whose client has gone (the page aborts the older request when
  // it sends a newer one) is dropped, and stopped if it runs: the newer one does not wait.
  app.post('/api/check', async (req, reply) =>
    studio.check(filesOf(req.body), { signal: clientGone(reply) }),
  );
  app.post('/api/explain', async (req, reply) => {
    const body = objectOf(req.body);
    const source =
      typeof body.index === 'number'
        ? { index: body.index }
        : { record: objectOf(body.record, 'record') };
    const { record, explanation, text, images } = await studio.explain(filesOf(body), source, {
      signal: clientGone(reply),
    });
    return { record, explanation, text, ...(images && { images }) };
  });
  app.get('/api/records', async (req) => {
    const q = req.query as Record<string, string | undefined>;
    const offset = whole(q.offset, 0, 'offset');
    const limit = Math.min(whole(q.limit, 50, 'limit'), 500);
    return studio.records(offset, limit);
  });
  app.post('/api/save', async (req) => {
    const body = objectOf(req.body);
    return studio.save(filesToSave(body), textOf(body, 'reason'), authorOf(body));
  });
  app.get('/api/history', async () => studio.history());
  app.post('/api/revert', async (req) => {
    const body = objectOf(req.body);
    if (typeof body.entry !== 'number') {
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        'expected `entry`: the index of a history entry',
        {
          field: 'entry',
        },
      );
    }
    return studio.revert(body.entry, textOf(body, 'reason'), authorOf(body));
  });
  app.get('/api/proposals', async () => studio.proposals());
  app.post('/api/proposals', async (req) => {
    const body = objectOf(req.body);
    return studio.propose(filesToSave(body), textOf(body, 'reason'), authorOf(body) ?? '');
  });
  app.post('/api/proposals/:id/:action', async (req) => {
    const { id, action } = req.params as { id: string; action: string };
    const body = objectOf(req.body);
    switch (action) {
      case 'approve':
        return studio.approve(id, authorOf(body) ?? '');
      case 'reject':
        return studio.reject(id, authorOf(body) ?? '', textOf(body, 'reason'));
      case 'rebase':
        return studio.rebase(id);
      default:
        throw new NeurulesError(
          'NOT_FOUND',
          `expected approve, reject or rebase after the proposal's id, found '${action}'`,
          { field: 'action' },
        );
    }
  });
  return app;
}

/** A required text field of a request body (INVALID_ARGUMENT naming it). */
function textOf(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string') {
    throw new NeurulesError('INVALID_ARGUMENT', `expected a one-line \`${field}\` text`, { field });
  }
  return value;
}

/** The optional `author` of a request body (INVALID_ARGUMENT when it is not a text). */
function authorOf(body: Record<string, unknown>): string | undefined {
  return body.author === undefined || body.author === null ? undefined : textOf(body, 'author');
}

/** `files: [{ name, text, baseHash }]` of a save or proposal. */
function filesToSave(body: Record<string, unknown>): FileToSave[] {
  return filesOf(body).map((f, i) => {
    const base = (body.files as Record<string, unknown>[])[i]!.baseHash;
    if (base !== null && typeof base !== 'string') {
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        `expected files[${i}].baseHash to be the hash the file was loaded with, or null for a new file`,
        placeAt(['files', i, 'baseHash']),
      );
    }
    return { ...f, baseHash: base };
  });
}

/** A signal that aborts when the client closes the connection before its answer is sent. */
function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

function objectOf(value: unknown, field = 'body'): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new NeurulesError('INVALID_ARGUMENT', `expected a JSON object as ${field}`, { field });
  }
  return value as Record<string, unknown>;
}

/** `files: [{ name, text }]` of a request body. */
function filesOf(body: unknown): StudioFile[] {
  const files = objectOf(body).files;
  if (!Array.isArray(files) || files.length === 0 || files.length > 100) {
    throw new NeurulesError('INVALID_ARGUMENT', 'expected `files`: 1 to 100 { name, text }', {
      field: 'files',
    });
  }
  return files.map((f: unknown, i) => {
    const o = objectOf(f, `files[${i}]`);
    if (typeof o.name !== 'string' || typeof o.text !== 'string') {
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        `expected files[${i}] to have a name and a text`,
        placeAt(['files', i]),
      );
    }
    return { name: o.name, text: o.text };
  });
}

function whole(value: string | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `expected ${field} to be a whole number ≥ 0, found '${value}'`,
      {
        field,
      },
    );
  }
  return n;
}

/** The host name of a Host header, without its port, lower case. */
function hostName(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const m = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(host.trim().toLowerCase());
  return m?.[1];
}

function sameOrigin(origin: string, host: string): boolean {
  try {
    const u = new URL(origin);
    return u.protocol === 'http:' && u.host.toLowerCase() === host.trim().toLowerCase();
  } catch {
    return false;
  }
}

function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}

/**
 * Every value of the cookie `name` in a Cookie header. A value that is not valid
 * percent-encoding (`%`, `%zz`) is no token: left out, never an error.
 */
function cookies(header: string | undefined, name: string): string[] {
  const out: string[] = [];
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at < 0 || part.slice(0, at).trim() !== name) continue;
    try {
      out.push(decodeURIComponent(part.slice(at + 1).trim()));
    } catch {
      // URIError: not a value this studio set.
    }
  }
  return out;
}

function sameToken(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
