import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { repositoryRoot } from './replica';

/**
 * haproxy (Debian's package `haproxy`) in front of `neurules serve` replicas, for the
 * replicated-service test and bench. The configuration is the one docs/deploy.md shows
 * (its block marked `<!-- haproxy.cfg -->`), with the documented addresses replaced by the
 * ports chosen here: what the docs tell an operator to run is what the test runs.
 */
const CANDIDATES = ['/usr/sbin/haproxy', '/usr/bin/haproxy', '/usr/local/sbin/haproxy'];

/** The haproxy binary: `HAPROXY_PATH`, or Debian's; undefined when there is none. */
export const haproxyPath = process.env.HAPROXY_PATH
  ? fs.existsSync(process.env.HAPROXY_PATH)
    ? process.env.HAPROXY_PATH
    : undefined
  : CANDIDATES.find((p) => fs.existsSync(p));

/** Why the haproxy tests cannot run here. */
export const haproxyMissing = `no haproxy at ${process.env.HAPROXY_PATH ?? CANDIDATES[0]} (apt-get install haproxy, or set HAPROXY_PATH); CI installs it in .ci/run`;

const DOC = path.join(repositoryRoot(), 'docs', 'deploy.md');
/** The addresses docs/deploy.md's configuration uses: the front end, then each replica. */
export const DOC_FRONT = '127.0.0.1:8080';
export const DOC_REPLICAS = ['127.0.0.1:8081', '127.0.0.1:8082'];

/** The haproxy configuration of docs/deploy.md, listening on `front` and sending to `replicas`. */
export function haproxyConfig(front: number, replicas: number[]): string {
  const lines = fs.readFileSync(DOC, 'utf8').split('\n');
  const marker = lines.findIndex((l) => l.trim() === '<!-- haproxy.cfg -->');
  if (marker < 0) throw new Error(`${DOC}: no block marked <!-- haproxy.cfg -->`);
  const open = lines.findIndex((l, i) => i > marker && l.startsWith('```'));
  const close = lines.findIndex((l, i) => i > open && l.startsWith('```'));
  let text = lines.slice(open + 1, close).join('\n') + '\n';
  if (replicas.length > DOC_REPLICAS.length || !text.includes(`bind ${DOC_FRONT}`))
    throw new Error(`${DOC}: the haproxy block must bind ${DOC_FRONT}`);
  text = text.replace(`bind ${DOC_FRONT}`, `bind 127.0.0.1:${front}`);
  DOC_REPLICAS.forEach((doc, i) => {
    const server = new RegExp(`^(\\s*server \\S+ )${doc.replace(/\./g, '\\.')}\\b.*$`, 'm');
    if (!server.test(text)) throw new Error(`${DOC}: the haproxy block has no server ${doc}`);
    // A replica not wanted here is left out of the backend.
    text =
      replicas[i] === undefined
        ? text.replace(server, '')
        : text.replace(server, (l) => l.replace(doc, `127.0.0.1:${replicas[i]}`));
  });
  return text;
}

/** A loopback port free now (the system's choice; closed again before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A running haproxy: its URL, its process, and a stop that waits for it to exit. */
export interface Haproxy {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Start haproxy in the foreground (`-db`) with {@link haproxyConfig} written to
 * `dir/haproxy.cfg`, and wait until it answers `/healthz` through a replica. Throws, after
 * stopping it, if it exits (a port taken meanwhile is tried again, twice) or does not
 * answer within 20 s.
 */
export async function startHaproxy(dir: string, replicas: number[]): Promise<Haproxy> {
  // The free port may be taken by another process before haproxy binds it: then again.
  for (let attempt = 1; ; attempt++) {
    const started = await startOnce(dir, replicas);
    if ('url' in started) return started;
    if (!/cannot bind/i.test(started.failure) || attempt === 3) throw new Error(started.failure);
  }
}

async function startOnce(dir: string, replicas: number[]): Promise<Haproxy | { failure: string }> {
  if (!haproxyPath) throw new Error(haproxyMissing);
  const port = await freePort();
  const cfg = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(cfg, haproxyConfig(port, replicas));
  const child = spawn(haproxyPath, ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const stop = async (): Promise<void> => {
    if (!gone && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    await exited;
  };
  const url = `http://127.0.0.1:${port}`;
  for (let waited = 0; ; waited += 50) {
    if (gone) return { failure: `haproxy exited: ${stderr}` };
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { url, child, stop };
    if (waited > 20_000) {
      await stop();
      throw new Error(`haproxy did not answer on ${url}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
