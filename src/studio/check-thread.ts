import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DataRecord } from '../data/types';
import type { Explanation } from '../engine/explain-decision';
import type { PerceivedFacts } from '../perception/perceived';
import { type ErrorCode, type Issue, type IssuePath, NeurulesError } from '../errors';
import type { CheckContext } from './check';
import type { SavedFile, StudioCheck, StudioFile } from './contract';

/**
 * What a job asks the check thread: a check, or an explanation, of files against the saved
 * ones; or to analyse the saved files ahead of the checks (a spare thread, see below).
 */
type JobBody = { files: StudioFile[]; saved: SavedFile[] } & (
  | { kind: 'check' }
  | {
      kind: 'explain';
      record: DataRecord;
      probabilities: Float32Array;
      perceived: PerceivedFacts | undefined;
    }
  | { kind: 'warm' }
);

/** A job for the check thread. */
export type CheckJob = JobBody & { id: number };

/** The check thread's answer to one job. */
export type CheckReply =
  | { id: number; ok: true; value: unknown }
  | {
      id: number;
      ok: false;
      error: {
        code?: ErrorCode;
        message: string;
        file?: string | undefined;
        line?: number | undefined;
        column?: number | undefined;
        field?: string | undefined;
        path?: IssuePath | undefined;
        issues?: Issue[];
        stack?: string | undefined;
      };
    };

interface Pending {
  job: CheckJob;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/**
 * The studio's checks on a worker thread, one job at a time, in the order asked: the
 * analysis of a large override set takes seconds, and on the server's own thread every other
 * request (a record, the page, a save) would wait for it.
 *
 * A job whose signal aborts is dropped from the queue, or, when it is running, its thread is
 * stopped and another takes the next job: a newer check (the page aborts the older request
 * when it sends the next) does not wait for the one it replaces. A thread started afresh
 * must first analyse the saved files again, and runs its code several times slower until
 * the engine has compiled it; so a spare one is kept that has checked the saved files once
 * already (made ready while no check runs), and takes over at the next stop. Threads keep
 * the process alive only while they have work.
 */
export class StudioCheckThread {
  private worker: Worker | undefined;
  private spare: Worker | undefined;
  /** The saved files a spare thread is made ready for: those of the latest job. */
  private spareFor: SavedFile[] | undefined;
  private running: Pending | undefined;
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly context: CheckContext) {}

  /** Check files (the folder as it would be saved) against the saved ones. */
  check(files: StudioFile[], saved: SavedFile[], signal?: AbortSignal): Promise<StudioCheck> {
    return this.ask({ kind: 'check', files, saved }, signal) as Promise<StudioCheck>;
  }

  /** Explain a record under files (with problems: under the saved ones). */
  explain(
    files: StudioFile[],
    saved: SavedFile[],
    record: DataRecord,
    probabilities: Float32Array,
    signal?: AbortSignal,
    perceived?: PerceivedFacts,
  ): Promise<{ explanation: Explanation; text: string[] }> {
    return this.ask(
      { kind: 'explain', files, saved, record, probabilities, perceived },
      signal,
    ) as Promise<{
      explanation: Explanation;
      text: string[];
    }>;
  }

  /** Start the thread and analyse the saved files, ahead of the first check. */
  warm(saved: SavedFile[]): void {
    this.spareFor = saved;
    this.ask({ kind: 'warm', files: [], saved }, undefined).catch(() => undefined);
  }

  /** Stop the thread; jobs not answered yet are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    const gone = new Error('the studio was closed');
    for (const p of this.queue.splice(0)) this.settle(p, () => p.reject(gone));
    if (this.running) this.settle(this.running, () => this.running!.reject(gone));
    this.running = undefined;
    const workers = [this.worker, this.spare];
    this.worker = this.spare = undefined;
    await Promise.all(workers.map((w) => w?.terminate()));
  }

  private ask(ask: JobBody, signal: AbortSignal | undefined): Promise<unknown> {
    if (this.closed) {
      return Promise.reject(new Error('the studio was closed'));
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const p: Pending = {
        job: { ...ask, id: this.nextId++ } as CheckJob,
        resolve,
        reject,
        signal,
        onAbort: () => this.abort(p),
      };
      signal?.addEventListener('abort', p.onAbort, { once: true });
      this.queue.push(p);
      this.pump();
    });
  }

  /** Settle a job once, forgetting its signal. */
  private settle(p: Pending, how: () => void): void {
    p.signal?.removeEventListener('abort', p.onAbort);
    how();
  }

  private abort(p: Pending): void {
    const queued = this.queue.indexOf(p);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
    } else if (this.running === p) {
      // The only way to stop synchronous analysis midway: stop its thread.
      this.running = undefined;
      void this.worker?.terminate();
      this.worker = this.spare;
      this.spare = undefined;
    } else return;
    this.settle(p, () => p.reject(p.signal!.reason));
    this.pump();
  }

  private pump(): void {
    if (this.running || this.closed) {
      return;
    }
    const next = this.queue.shift();
    if (!next) {
      this.worker?.unref();
      // A spare thread is made ready while nothing else runs, not beside a check.
      if (this.spareFor && !this.spare) {
        this.spare = this.start();
        const warm: CheckJob = { id: 0, kind: 'warm', files: [], saved: this.spareFor };
        this.spare.postMessage(warm);
        this.spare.unref();
      }
      return;
    }
    this.running = next;
    this.spareFor = next.job.saved;
    const worker = (this.worker ??= this.start());
    worker.ref();
    worker.postMessage(next.job);
  }

  private start(): Worker {
    const worker = startWorker(this.context);
    worker.on('message', (reply: CheckReply) => {
      const p = this.running;
      if (worker !== this.worker || !p || p.job.id !== reply.id) return;
      this.running = undefined;
      this.settle(p, () => (reply.ok ? p.resolve(reply.value) : p.reject(errorOf(reply.error))));
      this.pump();
    });
    // A thread that fails outside a job (it cannot start, it runs out of memory): the job it
    // had fails with it, and the next job gets a fresh thread.
    const fail = (error: Error) => {
      if (worker === this.spare) this.spare = undefined;
      if (worker !== this.worker) return;
      this.worker = undefined;
      const p = this.running;
      this.running = undefined;
      if (p) this.settle(p, () => p.reject(error));
      this.pump();
    };
    worker.on('error', fail);
    worker.on('exit', (code) =>
      fail(new Error(`the studio's check thread stopped (exit ${code})`)),
    );
    return worker;
  }
}

/** The error a reply carries, as it was thrown in the thread. */
function errorOf(e: Extract<CheckReply, { ok: false }>['error']): Error {
  if (e.code) {
    const place = Object.fromEntries(
      (['file', 'line', 'column', 'field', 'path'] as const)
        .filter((k) => e[k] !== undefined)
        .map((k) => [k, e[k]]),
    );
    return new NeurulesError(e.code, e.message, place, e.issues);
  }
  const error = new Error(e.message);
  if (e.stack) error.stack = e.stack;
  return error;
}

/**
 * The thread, from the compiled entry beside this file. Run from the TypeScript sources (the
 * tests, through ts-jest), there is none: the thread then reads the sources through
 * TypeScript's own transpiler, as ts-node's transpile-only mode does.
 */
function startWorker(context: CheckContext): Worker {
  const compiled = path.join(__dirname, 'check-worker.js');
  if (fs.existsSync(compiled)) return new Worker(compiled, { workerData: context });
  const source = path.join(__dirname, 'check-worker.ts');
  const typescript = require.resolve('typescript');
  const loader = `
    const fs = require('node:fs');
    const ts = require(${JSON.stringify(typescript)});
    const options = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
    require.extensions['.ts'] = (module, file) => {
      const { outputText } = ts.transpileModule(fs.readFileSync(file, 'utf8'), { compilerOptions: options, fileName: file });
      module._compile(outputText, file);
    };
    require(${JSON.stringify(source)});
  `;
  return new Worker(loader, { eval: true, workerData: context });
}
