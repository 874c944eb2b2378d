import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { processAlive } from '../artifacts/model-lock';
import { writeFailure } from '../files/write-atomic';
import { quoteIdentifier, quoteString } from '../exports/sql-quote';

/** The formats `predict` writes, named by the output file's extension. */
export const OUTPUT_FORMATS = ['jsonl', 'csv', 'parquet'] as const;

/** One of {@link OUTPUT_FORMATS}. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/**
 * The format of an output: `.csv` and `.parquet` files are CSV and Parquet, anything else
 * (and a stream) JSON lines.
 */
export function outputFormatOf(output: string | NodeJS.WritableStream): OutputFormat {
  if (typeof output !== 'string') return 'jsonl';
  const ext = path.extname(output).toLowerCase();
  return ext === '.csv' ? 'csv' : ext === '.parquet' ? 'parquet' : 'jsonl';
}

/** What an output line says of a decision after its line number. */
export interface DecisionFields {
  class: string;
  ruleId: string;
  probabilities: Record<string, number>;
}

/**
 * How decisions are written as text: each line is `head(line) + tail(decision)`, after
 * `header` once. A tail depends only on the decision, so an evaluator that hands out one
 * decision object per rule makes each tail once.
 */
export interface LineFormat {
  header: string;
  /** What comes before the line number. */
  prefix: string;
  head(line: number): string;
  tail(d: DecisionFields): string;
}

/**
 * The text format of decision lines: JSON lines `{"line", "class", "ruleId",
 * "probabilities"}`, or CSV with the columns `line, class, ruleId` and one
 * `probability_CLASS` per class of `classes` (empty where the rule gives none). Parquet is
 * written as JSON lines first and converted (see {@link DecisionOutput}).
 */
export function lineFormat(format: OutputFormat, classes: readonly string[]): LineFormat {
  if (format === 'csv') {
    return {
      header:
        ['line', 'class', 'ruleId', ...classes.map((c) => `probability_${c}`)]
          .map(csvField)
          .join(',') + '\n',
      prefix: '',
      head: (line) => String(line),
      tail: (d) =>
        ',' +
        [
          csvField(d.class),
          csvField(d.ruleId),
          ...classes.map((c) => {
            const p = d.probabilities[c];
            return typeof p === 'number' ? String(p) : '';
          }),
        ].join(',') +
        '\n',
    };
  }
  return {
    header: '',
    prefix: '{"line":',
    head: (line) => '{"line":' + line,
    tail: (d) =>
      ',' +
      JSON.stringify({ class: d.class, ruleId: d.ruleId, probabilities: d.probabilities }).slice(
        1,
      ) +
      '\n',
  };
}

/** The text format lines of an output format are written in: JSON lines for Parquet too. */
export function linesFor(format: OutputFormat, classes: readonly string[]): LineFormat {
  return lineFormat(format === 'csv' ? 'csv' : 'jsonl', classes);
}

/**
 * A decision's tail in `lines`, made once per decision object an evaluator hands out
 * frozen (the compiled evaluator has one per rule); other objects each get theirs anew.
 */
export function tailCache(lines: LineFormat): (d: DecisionFields) => string {
  const tails = new WeakMap<DecisionFields, string>();
  return (d) => {
    const frozen = Object.isFrozen(d);
    let tail = frozen ? tails.get(d) : undefined;
    if (tail === undefined) {
      tail = lines.tail(d);
      if (frozen) tails.set(d, tail);
    }
    return tail;
  };
}

/** A CSV field, quoted (quotes doubled) when it holds a comma, quote, line break or edge space. */
function csvField(text: string): string {
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Where decision lines go: a stream, or a file written to a temporary file beside it
 * (`.NAME.PID.tmp`) and renamed at the end, so the file is either the whole new output or
 * what it was. A Parquet file is written as JSON lines and converted with DuckDB
 * (`@duckdb/node-api`) before the rename.
 */
export class DecisionOutput {
  readonly format: OutputFormat;
  private readonly out: NodeJS.WritableStream;
  private readonly target: string | undefined;
  private readonly tmp: string | undefined;
  private writeError: Error | undefined;

  constructor(
    output: string | NodeJS.WritableStream,
    private readonly classes: readonly string[],
    private readonly signal?: AbortSignal,
  ) {
    this.format = outputFormatOf(output);
    if (typeof output === 'string') {
      this.target = output;
      removeStaleTemporaryFiles(output);
      this.tmp = temporaryFile(output, process.pid);
      this.out = fs.createWriteStream(this.tmp);
      this.out.on('error', (e: Error) => (this.writeError ??= e));
    } else {
      this.out = output;
    }
  }

  /** The text format lines are written in (JSON lines for a Parquet file). */
  lines(): LineFormat {
    return linesFor(this.format, this.classes);
  }

  /** The temporary file being written, when the output is a file. */
  get temporaryPath(): string | undefined {
    return this.tmp;
  }

  /** Write text, waiting while the stream is full. */
  async write(text: string): Promise<void> {
    this.check();
    if (!this.out.write(text))
      await once(this.out, 'drain', this.signal ? { signal: this.signal } : {});
    this.check();
  }

  /**
   * Finish a file: close it, let `edit` rewrite the temporary file (in the text format),
   * convert it to Parquet when asked, rename it into place. A stream is left open (it may
   * be standard output).
   */
  async commit(edit?: (file: string) => Promise<void>): Promise<void> {
    if (!this.tmp || !this.target) return;
    this.out.end();
    if (!this.writeError) await once(this.out, 'close');
    this.check();
    if (edit) {
      try {
        await edit(this.tmp);
      } catch (e) {
        throw writeFailure(e, this.target);
      }
    }
    let ready = this.tmp;
    if (this.format === 'parquet') {
      ready = `${this.tmp}.parquet`;
      try {
        await jsonLinesToParquet(this.tmp, ready, this.classes);
      } catch (e) {
        fs.rmSync(ready, { force: true });
        throw writeFailure(e, this.target);
      } finally {
        fs.rmSync(this.tmp, { force: true });
      }
    }
    try {
      fs.renameSync(ready, this.target);
    } catch (e) {
      fs.rmSync(ready, { force: true });
      throw writeFailure(e, this.target);
    }
  }

  /**
   * Remove the temporary file (after the stream is closed, if it was still opening: else the
   * file would appear after its removal). The output file is left as it was.
   */
  async discard(): Promise<void> {
    if (!this.tmp) return;
    const out = this.out as fs.WriteStream;
    if (!out.closed) {
      const closed = once(out, 'close').catch(() => undefined);
      out.destroy();
      await closed;
    }
    fs.rmSync(this.tmp, { force: true });
    fs.rmSync(`${this.tmp}.parquet`, { force: true });
  }

  private check(): void {
    if (this.writeError) throw writeFailure(this.writeError, this.target!);
  }
}

/**
 * Convert JSON lines of decisions to a Parquet file: `line` BIGINT, `class` and `ruleId`
 * VARCHAR, `probabilities` a STRUCT with a DOUBLE per class.
 */
async function jsonLinesToParquet(
  jsonl: string,
  parquet: string,
  classes: readonly string[],
): Promise<void> {
  const { openDuckDb } = await import('./duckdb-connection');
  const connection = await openDuckDb({});
  try {
    const struct = classes.map((c) => `${quoteIdentifier(c)} DOUBLE`).join(', ');
    const columns = `{'line': 'BIGINT', 'class': 'VARCHAR', 'ruleId': 'VARCHAR', 'probabilities': ${quoteString(`STRUCT(${struct})`)}}`;
    await connection.run(
      `COPY (SELECT * FROM read_json(${quoteString(jsonl)}, format = 'newline_delimited', columns = ${columns})) TO ${quoteString(parquet)} (FORMAT parquet)`,
    );
  } finally {
    connection.closeSync();
  }
}

/** The temporary file a process with `pid` writes `target` to before renaming it. */
export function temporaryFile(target: string, pid: number): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${pid}.tmp`);
}

/**
 * Remove the temporary files of `target` (see {@link temporaryFile}) whose process is no
 * longer alive: a run killed outright (SIGKILL, a power cut) leaves its file behind.
 */
export function removeStaleTemporaryFiles(target: string): void {
  const prefix = `.${path.basename(target)}.`;
  removeFilesOfDeadProcesses(path.dirname(target), (name) => {
    const tail = name.endsWith('.tmp.parquet') ? '.tmp.parquet' : '.tmp';
    return name.startsWith(prefix) && name.endsWith(tail)
      ? name.slice(prefix.length, -tail.length)
      : undefined;
  });
}

/**
 * Remove the files of `dir` that name a process (`pidOf` gives the PID's text from a file
 * name, or undefined for other files) that is no longer alive. A file of a live process
 * is left alone, and so is one whose process cannot be asked (`EPERM`: alive, another
 * user's). A PID reused since is taken for alive: the file then stays until a later run,
 * never is a live run's removed.
 */
export function removeFilesOfDeadProcesses(
  dir: string,
  pidOf: (name: string) => string | undefined,
): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return; // no such directory yet: creating the output reports it
  }
  for (const name of names) {
    const pidText = pidOf(name);
    if (pidText === undefined || !/^[1-9]\d{0,9}$/.test(pidText)) continue;
    const pid = Number(pidText);
    // No process has a PID past 2^31 - 1 (process.kill refuses one): not a file of ours.
    if (pid > 0x7fffffff || pid === process.pid || processAlive(pid)) continue;
    try {
      fs.rmSync(path.join(dir, name), { force: true });
    } catch {
      // Not ours to insist on: the run goes on and writes its own temporary file.
    }
  }
}
