import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import {
  isStandardOutput,
  type OutputTarget,
  outputTarget,
  streamName,
} from '../files/output-target';
import { placeOutputFile, writeFailure } from '../files/write-atomic';
import {
  removeStaleTemporaryFiles,
  scratchFile,
  temporaryFileBeside,
} from '../files/temporary-files';
import { temporaryFileFailure } from '../files/write-failure';
import { flushed, ThroughStream } from '../files/write-through';
import { quoteIdentifier, quoteString } from '../exports/sql-quote';
import { confidenceFact, type PerceivedFacts } from '../perception/perceived';

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
  /**
   * The line number, and (for a model with perception concepts) what was perceived of the
   * record: a `perceived` object in JSON, `NAME` and `NAME_confidence` columns in CSV.
   */
  head(line: number, perceived?: PerceivedFacts): string;
  tail(d: DecisionFields): string;
}

/**
 * The text format of decision lines: JSON lines `{"line", "class", "ruleId",
 * "probabilities"}`, or CSV with the columns `line, class, ruleId` and one
 * `probability_CLASS` per class of `classes` (empty where the rule gives none). Parquet is
 * written as JSON lines first and converted (see {@link DecisionOutput}).
 */
export function lineFormat(
  format: OutputFormat,
  classes: readonly string[],
  concepts: readonly string[] = [],
): LineFormat {
  if (format === 'csv') {
    return {
      header:
        [
          'line',
          ...concepts.flatMap((c) => [c, confidenceFact(c)]),
          'class',
          'ruleId',
          ...classes.map((c) => `probability_${c}`),
        ]
          .map(csvField)
          .join(',') + '\n',
      prefix: '',
      // Without concepts, the line number alone (the hot path of every other model).
      head:
        concepts.length === 0
          ? (line) => String(line)
          : (line, perceived) =>
              String(line) +
              concepts
                .map((c) => {
                  const p = perceived?.[c];
                  return p ? `,${csvField(p.value)},${p.confidence}` : ',,';
                })
                .join(''),
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
    head: (line, perceived) =>
      '{"line":' + line + (perceived ? ',"perceived":' + JSON.stringify(perceived) : ''),
    tail: (d) =>
      ',' +
      JSON.stringify({ class: d.class, ruleId: d.ruleId, probabilities: d.probabilities }).slice(
        1,
      ) +
      '\n',
  };
}

/** The text format lines of an output format are written in: JSON lines for Parquet too. */
export function linesFor(
  format: OutputFormat,
  classes: readonly string[],
  concepts: readonly string[] = [],
): LineFormat {
  return lineFormat(format === 'csv' ? 'csv' : 'jsonl', classes, concepts);
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
export function csvField(text: string): string {
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Where decision lines go: a caller's stream (left open at the end), or an output named by
 * a path, taken as `outputTarget` classifies it. A regular file (or a path where nothing
 * is, or a link's target) is written to a temporary file beside it (`.NAME.PID.tmp`) and
 * renamed over it at the end, so it is either the whole new output or what it was. A
 * FIFO, a character device or a descriptor (`/dev/stdout`) gets the lines as they come.
 * A Parquet output is written as JSON lines first (beside a replaced file, else in the
 * temporary folder) and converted with DuckDB (`@duckdb/node-api`) at the end.
 */
export class DecisionOutput {
  readonly format: OutputFormat;
  /** What errors name: the output as named, or the caller's stream. */
  private readonly name: string;
  /** The named output; undefined for a caller's stream. */
  private readonly target: OutputTarget | undefined;
  /** Where lines are written, opened at the first write (see {@link stream}). */
  private out: NodeJS.WritableStream | undefined;
  /** The temporary file lines are written to, when they do not go straight to the output. */
  private tmp: string | undefined;
  private writeError: Error | undefined;
  private readonly onError = (e: Error): void => {
    this.writeError ??= e;
  };

  constructor(
    output: string | OutputTarget | NodeJS.WritableStream,
    private readonly classes: readonly string[],
    private readonly signal?: AbortSignal,
    private readonly layout: {
      /** A model's perception concepts: their perceived values go into every line. */
      concepts?: readonly string[];
      /**
       * The columns of a Parquet output when the lines are not decisions (DuckDB's
       * `read_json` columns, e.g. `{'line': 'BIGINT', 'digit': 'VARCHAR'}`).
       */
      parquetColumns?: string;
    } = {},
  ) {
    if (typeof output === 'string' || isOutputTarget(output)) {
      this.target = typeof output === 'string' ? outputTarget(output) : output;
      this.name = this.target.name;
      this.format = outputFormatOf(this.name);
      if (this.target.kind === 'replace') removeStaleTemporaryFiles(this.target.path);
    } else {
      this.target = undefined;
      this.name = streamName(output);
      this.format = 'jsonl';
      this.out = output.on('error', this.onError);
    }
  }

  /** The text format lines are written in (JSON lines for a Parquet file). */
  lines(): LineFormat {
    return linesFor(this.format, this.classes, this.layout.concepts);
  }

  /** Write text, waiting while the stream is full. */
  async write(text: string): Promise<void> {
    const out = this.stream();
    this.check();
    if (!out.write(text)) {
      try {
        await once(out, 'drain', this.signal ? { signal: this.signal } : {});
      } catch (e) {
        this.check();
        throw e; // aborted
      }
    }
    this.check();
  }

  /**
   * Finish: a caller's stream is left open once what was written has gone out; a
   * write-through target's stream is ended; a temporary file is closed, converted to
   * Parquet when asked, and put in place (renamed over a replaced file, copied into a
   * write-through one).
   */
  async commit(): Promise<void> {
    if (!this.target) {
      try {
        await flushed(this.out!);
        this.check();
      } finally {
        this.release();
      }
      return;
    }
    const out = this.stream(); // opened here when not a line was written
    out.end();
    await finished(out).catch(this.onError);
    this.check();
    if (this.tmp === undefined) return; // written through
    let ready = this.tmp;
    if (this.format === 'parquet') {
      ready = `${this.tmp}.parquet`;
      try {
        await jsonLinesToParquet(
          this.tmp,
          ready,
          this.layout.parquetColumns ??
            decisionColumns(this.classes, (this.layout.concepts ?? []).length > 0),
        );
      } catch (e) {
        fs.rmSync(ready, { force: true });
        throw writeFailure(e, this.name);
      } finally {
        fs.rmSync(this.tmp, { force: true });
      }
    }
    try {
      await placeOutputFile(ready, this.target);
    } finally {
      fs.rmSync(ready, { force: true }); // gone already when it was renamed into place
    }
  }

  /**
   * Finish with the whole output made as a file by `produce` (DuckDB's `COPY`, in the
   * output's own format), where no line was written: it is written beside a replaced file
   * and renamed over it, or in the temporary folder and copied into a write-through target
   * or a caller's stream. `produce` rejects with file-system errors (WRITE_FAILED here).
   */
  async commitFile(produce: (file: string) => Promise<void>): Promise<void> {
    const file = this.temporaryPath();
    try {
      try {
        await produce(file);
      } catch (e) {
        // Beside a replaced output, the file is made in the output's folder: a permission
        // failure there is the folder's.
        throw this.target?.kind === 'replace'
          ? temporaryFileFailure(e, this.name, path.dirname(file))
          : writeFailure(e, this.name, { stream: !this.target });
      }
      if (this.target) {
        await placeOutputFile(file, this.target);
        return;
      }
      await pipeline(fs.createReadStream(file), this.out!, { end: false }).catch(this.onError);
      await flushed(this.out!);
      this.check();
    } finally {
      fs.rmSync(file, { force: true });
      this.release();
    }
  }

  /**
   * Remove the temporary file (after the stream is closed, if it was still opening: else the
   * file would appear after its removal), or stop writing into a write-through target. A
   * replaced output file is left as it was.
   */
  async discard(): Promise<void> {
    this.release();
    if (!this.target) return;
    const out = this.out as Writable | undefined;
    if (out && !out.closed) {
      const closed = once(out, 'close').catch(() => undefined);
      out.destroy();
      await closed;
    }
    if (this.tmp === undefined) return;
    fs.rmSync(this.tmp, { force: true });
    fs.rmSync(`${this.tmp}.parquet`, { force: true });
  }

  /**
   * The stream lines go to, opened at the first write: the caller's, a write-through
   * target's own (text formats), or a temporary file's.
   */
  private stream(): NodeJS.WritableStream {
    if (this.out) return this.out;
    const target = this.target!;
    if (target.kind === 'through' && this.format !== 'parquet') {
      this.out = new ThroughStream(target);
    } else {
      this.tmp = this.temporaryPath();
      // 'wx': never written through something put at the temporary name since.
      this.out = fs.createWriteStream(this.tmp, { flags: 'wx' });
    }
    return this.out.on('error', this.onError);
  }

  /**
   * A temporary file for the whole output: beside a replaced file (so the rename stays in
   * one file system), else in the temporary folder. Whatever is at that name from an
   * earlier process of the same PID is removed first (a link there is removed, not followed).
   */
  private temporaryPath(): string {
    const target = this.target;
    if (target?.kind !== 'replace') return scratchFile('output', '.tmp');
    const file = temporaryFileBeside(target.path);
    try {
      fs.rmSync(file, { force: true });
    } catch (e) {
      throw writeFailure(e, this.name); // e.g. a folder at that name
    }
    return file;
  }

  /** Stop listening to a caller's stream (its errors after this run are not this run's). */
  private release(): void {
    if (!this.target) this.out?.removeListener('error', this.onError);
  }

  private check(): void {
    const e = this.writeError as NodeJS.ErrnoException | undefined;
    if (!e) return;
    // The temporary file beside a replaced output could not be made: its folder is the cause.
    if (this.tmp !== undefined && e.syscall === 'open' && e.path === this.tmp) {
      throw temporaryFileFailure(e, this.name, path.dirname(this.tmp));
    }
    throw writeFailure(e, this.name, {
      wroteInto: this.target?.kind !== 'replace',
      stream: !this.target,
      // A caller's stream is the command line's standard output, as `/dev/stdout` is.
      readerMayLeave: !this.target || isStandardOutput(this.target),
    });
  }
}

/** True for an `OutputTarget` (not a stream). */
function isOutputTarget(output: OutputTarget | NodeJS.WritableStream): output is OutputTarget {
  const kind = (output as { kind?: unknown }).kind;
  return kind === 'replace' || kind === 'through';
}

/**
 * The columns of decisions in Parquet: `line` BIGINT, `perceived` JSON (a model with
 * perception concepts), `class` and `ruleId` VARCHAR, `probabilities` a STRUCT with a
 * DOUBLE per class.
 */
function decisionColumns(classes: readonly string[], perceived: boolean): string {
  const struct = classes.map((c) => `${quoteIdentifier(c)} DOUBLE`).join(', ');
  return `{'line': 'BIGINT', ${perceived ? "'perceived': 'JSON', " : ''}'class': 'VARCHAR', 'ruleId': 'VARCHAR', 'probabilities': ${quoteString(`STRUCT(${struct})`)}}`;
}

/** Convert JSON lines to a Parquet file with `columns` (DuckDB's `read_json` columns). */
async function jsonLinesToParquet(jsonl: string, parquet: string, columns: string): Promise<void> {
  const { openDuckDb } = await import('./duckdb/connection');
  const connection = await openDuckDb({});
  try {
    await connection.run(
      `COPY (SELECT * FROM read_json(${quoteString(jsonl)}, format = 'newline_delimited', columns = ${columns})) TO ${quoteString(parquet)} (FORMAT parquet)`,
    );
  } finally {
    connection.closeSync();
  }
}
