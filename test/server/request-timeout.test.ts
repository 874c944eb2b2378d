import * as net from 'node:net';
import { createApp, type NeurulesApp } from '../../src/server/create-app';
import { GERMAN_CREDIT } from '../helpers/german-credit';

// A real listening app: timeouts live in Node's HTTP server, which app.inject() bypasses.
let app: NeurulesApp;
let port: number;
const TIMEOUT = 300;

beforeAll(async () => {
  app = await createApp({
    model: GERMAN_CREDIT.name,
    modelsDir: GERMAN_CREDIT.modelsDir,
    rulesDir: GERMAN_CREDIT.rulesDir,
    network: false,
    requestTimeout: TIMEOUT,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as net.AddressInfo).port;
});
afterAll(() => app?.close());

/** Send `text` on a new connection; resolve with all it receives once the server closes it. */
function exchange(text: string): Promise<{ answer: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.on('data', (d) => (answer += String(d)));
    socket.on('error', reject);
    socket.on('close', () => resolve({ answer, ms: Date.now() - started }));
    // The bound of the test: far above the timeout, far below Node's 300 s default.
    socket.setTimeout(10_000, () => {
      socket.destroy();
      reject(new Error(`no answer within 10 s; received: ${answer}`));
    });
  });
}

describe('request timeout', () => {
  it('a body that never finishes is answered 408 REQUEST_TIMEOUT and its connection closed', async () => {
    const { answer, ms } = await exchange(
      'POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 100\r\n\r\n{"duration"',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
    expect(body.error).toBe('REQUEST_TIMEOUT');
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT - 50);
  });

  it('headers that never finish are cut off the same way', async () => {
    const { answer } = await exchange('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).error).toBe('REQUEST_TIMEOUT');
  });

  it('a request that arrives in time is answered as usual on the same app', async () => {
    const { answer } = await exchange(
      'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  });
});
