import type { FastifyInstance } from 'fastify';
import { NeurulesError } from '../errors';
import { shareWithParent } from './share-with-parent';

// A quick look at the text first, as secure-json-parse does: only a body that names
// `__proto__` or `constructor` as a key (possibly with \u escapes) is scanned after parsing.
const SUSPECT_PROTO =
  /"(?:_|\\u005[Ff])(?:_|\\u005[Ff])(?:p|\\u0070)(?:r|\\u0072)(?:o|\\u006[Ff])(?:t|\\u0074)(?:o|\\u006[Ff])(?:_|\\u005[Ff])(?:_|\\u005[Ff])"\s*:/;
const SUSPECT_CONSTRUCTOR =
  /"(?:c|\\u0063)(?:o|\\u006[Ff])(?:n|\\u006[Ee])(?:s|\\u0073)(?:t|\\u0074)(?:r|\\u0072)(?:u|\\u0075)(?:c|\\u0063)(?:t|\\u0074)(?:o|\\u006[Ff])(?:r|\\u0072)"\s*:/;

const has = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

/**
 * Parse a request body as JSON, refusing the keys that reach an object's prototype when
 * the value is copied or merged: a `__proto__` key anywhere, or a `constructor` key whose
 * value is an object with a `prototype` key (what fastify's secure-json-parse refuses, but
 * with a code and the key's place).
 *
 * Throws `INVALID_JSON` for an empty body or text that is not JSON, and `PROTOTYPE_KEY`
 * with `field` set to the key's path (`__proto__`, `[1].__proto__`,
 * `[0].constructor.prototype`).
 *
 * @example
 * const value = parseJsonBody('{"age": 41}');
 */
export function parseJsonBody(text: string): unknown {
  // A byte-order mark is allowed before JSON text (RFC 8259 §8.1 lets parsers ignore it).
  const json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (json === '') throw new NeurulesError('INVALID_JSON', 'expected a JSON body, found none');
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw new NeurulesError('INVALID_JSON', `expected valid JSON, found: ${(e as Error).message}`);
  }
  if (
    value !== null &&
    typeof value === 'object' &&
    (SUSPECT_PROTO.test(json) || SUSPECT_CONSTRUCTOR.test(json))
  ) {
    const found = findPrototypeKey(value);
    if (found) {
      throw new NeurulesError(
        'PROTOTYPE_KEY',
        `the key '${found.key}' (at ${found.path}) is refused: it can replace an object's prototype`,
        { field: found.path },
      );
    }
  }
  return value;
}

/** The first prototype key in a parsed value, breadth-first, with its path. */
function findPrototypeKey(root: object): { key: string; path: string } | null {
  let level: [object, string][] = [[root, '']];
  while (level.length > 0) {
    const next: [object, string][] = [];
    for (const [node, at] of level) {
      const array = Array.isArray(node);
      const dot = at === '' ? '' : `${at}.`;
      if (!array) {
        if (has(node, '__proto__')) return { key: '__proto__', path: `${dot}__proto__` };
        const ctor = (node as Record<string, unknown>).constructor;
        if (has(node, 'constructor') && ctor && typeof ctor === 'object' && has(ctor, 'prototype'))
          return { key: 'constructor', path: `${dot}constructor.prototype` };
      }
      for (const [key, child] of Object.entries(node)) {
        if (child !== null && typeof child === 'object')
          next.push([child as object, array ? `${at}[${key}]` : `${dot}${key}`]);
      }
    }
    level = next;
  }
  return null;
}

/**
 * The plugin that makes an app take JSON bodies only, parsed by {@link parseJsonBody}: any
 * other body type is refused (415) rather than guessed at, and a prototype key is
 * PROTOTYPE_KEY. Not encapsulated ({@link shareWithParent}), so it holds for every route.
 */
export async function jsonBodiesPlugin(app: FastifyInstance): Promise<void> {
  app.removeContentTypeParser('text/plain');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, parsed) => {
    try {
      parsed(null, parseJsonBody(body as string));
    } catch (e) {
      parsed(e as Error, undefined);
    }
  });
}
shareWithParent(jsonBodiesPlugin, 'neurules-json-bodies');
