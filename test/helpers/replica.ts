import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelLocation } from '../../src/artifacts/types';

/**
 * The repository's root: the nearest folder above this file with a package.json (this
 * file runs from test/helpers/ under jest, and from build/test/helpers/ in the benches).
 */
export function repositoryRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

const BIN = path.join(repositoryRoot(), 'bin', 'neurules.js');

/** The options that name a model and its folders: `--model NAME --models-dir ... --rules-dir ...`. */
export function modelArgs(loc: ModelLocation): string[] {
  return ['--model', loc.name, '--models-dir', loc.modelsDir, '--rules-dir', loc.rulesDir];
}

/** A `neurules serve` process (the built CLI): where it listens, what it printed, how to stop it. */
export interface Replica {
  name: string;
  url: string;
  port: number;
  child: ChildProcess;
  /** Standard error so far. */
  stderr(): string;
  /** Whether the process has exited. */
  exited(): boolean;
  /** SIGTERM (or `signal`) and wait for the exit; its status (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Start `neurules serve --model NAME --port 0 --no-network ...args` as a child process
 * (the built `dist/`, through `bin/neurules.js`) with `env` added to this process's, and
 * wait until it prints where it listens.
 */
export async function startReplica(
  name: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Replica> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--no-network', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  let text = '';
  child.stderr!.on('data', (d) => (text += String(d)));
  let status: number | null | undefined;
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      status = code;
      resolve(code);
    }),
  );
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> => {
    if (status === undefined && child.pid !== undefined) process.kill(child.pid, signal);
    return exit;
  };
  for (let waited = 0; ; waited += 50) {
    const m = /on (http:\/\/127\.0\.0\.1:(\d+))/.exec(text);
    if (m)
      return {
        name,
        url: m[1]!,
        port: Number(m[2]),
        child,
        stderr: () => text,
        exited: () => status !== undefined,
        stop,
      };
    if (status !== undefined) throw new Error(`${name} exited (${status}): ${text}`);
    if (waited > 60_000) {
      await stop('SIGKILL');
      throw new Error(`${name} did not listen: ${text}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
