import { createApp, type NeurulesApp } from '../../src/server/create-app';
import { parseJsonBody } from '../../src/server/parse-json-body';
import { GERMAN_CREDIT } from '../helpers/german-credit';

const codeOf = (text: string) => {
  try {
    parseJsonBody(text);
    return 'ok';
  } catch (e) {
    return [(e as { code: string }).code, (e as { field?: string }).field];
  }
};

describe('parseJsonBody', () => {
  it.each([
    ['{"__proto__": {"polluted": 1}}', '__proto__'],
    ['{"age": 3, "__proto__": null}', '__proto__'],
    ['[{"a": 1}, {"\\u005f_proto__": 1}]', '[1].__proto__'],
    ['{"a": {"b": [{"__proto__": 1}]}}', 'a.b[0].__proto__'],
    ['{"constructor": {"prototype": {"polluted": 1}}}', 'constructor.prototype'],
    ['[{"x": {"constructor": {"prototype": 1}}}]', '[0].x.constructor.prototype'],
  ])('%s is PROTOTYPE_KEY at %s', (text, field) => {
    expect(codeOf(text)).toEqual(['PROTOTYPE_KEY', field]);
  });

  it.each([
    '{"constructor": "Ferrari"}',
    '{"constructor": {"name": 1}}',
    '{"note": "\\"__proto__\\": is only text"}',
    '"__proto__"',
    '\ufeff{"a": 1}',
  ])('%s is accepted', (text) => {
    expect(codeOf(text)).toBe('ok');
  });

  it.each(['', '  ', '{"a": ', 'nul'])('%j is INVALID_JSON', (text) => {
    expect(codeOf(text)[0]).toBe('INVALID_JSON');
  });

  it('keeps a parsed object plain: its prototype is untouched', () => {
    const value = parseJsonBody('{"a": {"b": 1}}') as { a: object };
    expect(Object.getPrototypeOf(value.a)).toBe(Object.prototype);
  });
});

describe('POST /v1/predict with a prototype key', () => {
  let app: NeurulesApp;
  beforeAll(async () => {
    app = await createApp({
      model: GERMAN_CREDIT.name,
      modelsDir: GERMAN_CREDIT.modelsDir,
      rulesDir: GERMAN_CREDIT.rulesDir,
      network: false,
    });
  });
  afterAll(() => app?.close());

  it.each([
    ['{"duration": 12, "__proto__": {"isAdmin": true}}', '__proto__'],
    ['[{"duration": 12}, {"constructor": {"prototype": {"x": 1}}}]', '[1].constructor.prototype'],
  ])('%s is 400 PROTOTYPE_KEY naming the key', async (payload, field) => {
    const r = await app.inject({
      method: 'POST',
      url: '/v1/predict',
      payload,
      headers: { 'content-type': 'application/json' },
    });
    expect(r.statusCode).toBe(400);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r.json()).toMatchObject({ error: 'PROTOTYPE_KEY', field });
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('invalid and empty JSON bodies are still 400 INVALID_JSON', async () => {
    for (const payload of ['{"duration": ', '']) {
      const r = await app.inject({
        method: 'POST',
        url: '/v1/predict',
        payload,
        headers: { 'content-type': 'application/json' },
      });
      expect([r.statusCode, r.json().error]).toEqual([400, 'INVALID_JSON']);
    }
  });
});
