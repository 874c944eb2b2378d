import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import type { DataRecord } from '../data/types';

/** One line of the decision log. */
export interface DecisionLogEntry {
  time: string;
  requestId: string;
  /** Content hash of the rule set that decided. */
  ruleSet: string;
  ruleId: string;
  class: string;
  inputs: DataRecord;
}

/**
 * An append-only JSON-lines decision log. Each entry is one `write` of one whole line to a
 * stream opened in append mode, so lines never interleave and survive restarts; `close()`
 * flushes everything written before it (the server calls it on shutdown).
 */
export class DecisionLog {
  private readonly stream: fs.WriteStream;
  private readonly redact: Set<string>;
  private error: Error | undefined;

  constructor(file: string, redact: readonly string[] = []) {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.stream = fs.createWriteStream(file, { flags: 'a' });
    this.stream.on('error', (e) => (this.error ??= e));
    this.redact = new Set(redact);
  }

  /** Append one decision; fields named in `redact` are written as "[redacted]". */
  append(entry: DecisionLogEntry): void {
    if (this.error) throw this.error;
    const inputs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(entry.inputs))
      inputs[k] = this.redact.has(k) ? '[redacted]' : v;
    this.stream.write(JSON.stringify({ ...entry, inputs }) + '\n');
  }

  /** Flush and close the log. */
  async close(): Promise<void> {
    if (this.stream.closed) return;
    this.stream.end();
    await once(this.stream, 'close');
    if (this.error) throw this.error;
  }
}
