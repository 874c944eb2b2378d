/**
 * What the docs show a command print is what it prints. A code block marked with
 *
 *   <!-- tested: test/docs/doc-output.integration.test.ts -->
 *   <!-- tested: test/docs/doc-output.integration.test.ts with FIXTURE in DIR -->  (FIXTURE copied into DIR first)
 *   <!-- tested: test/docs/doc-output.integration.test.ts after the block before -->
 *
 * holds `$ neurules ...` lines, each followed by what it prints (standard output and
 * standard error, as a terminal shows them), and optionally `$ echo $?` and the exit code
 * (0 when not shown). Each shown line must be a line of the real output, in order; a `…`
 * in a line stands for any text, and a line `…` alone for lines left out. The commands run
 * in the CLI in-process, in a temporary directory holding a copy of the committed German
 * credit model (models/, rules/) and data/, so the shown paths are the real ones; commands
 * that load the network get `--backend cpu` unless the block names a backend. A block
 * marked `after the block before` (also with a fixture: `with FIXTURE in DIR after the block
 * before`) runs in the folder the page's tested block before it left, so a worked example
 * can build a model once and use it in the blocks that follow, with prose between them.
 *
 * A block marked `<!-- file: PATH -->` must be the content of that file (e.g. a fixture a
 * tested block uses).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createProgram } from '../../src/cli/main';
import { copyGermanCredit } from '../helpers/german-credit';
import { runCli } from '../helpers/run-cli';
import { sink } from '../helpers/sink';
import {
  commandLines,
  docPages,
  fencedBlocks,
  findCommand,
  ROOT,
  type FencedBlock,
} from './markdown';

const THIS = 'test/docs/doc-output.integration.test.ts';
const BLOCK_TIMEOUT_MS = 300_000;
const TESTED = /^tested: (\S+)(?: with (\S+) in (\S+))?( after the block before)?$/;
const blocks = docPages().flatMap((file) => fencedBlocks(file));
const tested = blocks.filter((b) => TESTED.exec(b.marker ?? '')?.[1] === THIS);
const files = blocks.filter((b) => b.marker?.startsWith('file: '));
const program = createProgram({ stdout: sink(), stderr: sink(), isTTY: false });

/** One command of a block: its words, the lines shown after it, the exit code shown. */
interface Step {
  line: number;
  words: string[];
  shown: string[];
  code: number;
}

function stepsOf(block: FencedBlock): Step[] {
  const commands = commandLines(block).filter((c) => c.shell);
  return commands.map((command, n) => {
    let last = command.line - block.line - 1; // the command's line in the block
    while (block.lines[last]!.endsWith('\\')) last++; // and its continuation lines
    const end =
      n + 1 < commands.length ? commands[n + 1]!.line - block.line - 1 : block.lines.length;
    const after = block.lines.slice(last + 1, end);
    const echo = after.indexOf('$ echo $?');
    return {
      line: command.line,
      words: command.words,
      shown: (echo >= 0 ? after.slice(0, echo) : after).filter((l) => l.trim() !== ''),
      code: echo >= 0 ? Number(after[echo + 1]) : 0,
    };
  });
}

/** A shown line as a pattern: `…` for any text. */
const pattern = (line: string): RegExp =>
  new RegExp(
    `^${line
      .split('…')
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );

/** The shown lines missing from `out` (or out of order), as messages. */
function missing(step: Step, out: { stdout: string; stderr: string }): string[] {
  const streams = [out.stdout, out.stderr].map((t) => t.replace(/\n$/, '').split('\n'));
  const next = [0, 0];
  const problems: string[] = [];
  for (const line of step.shown) {
    if (line.trim() === '…') continue;
    const re = pattern(line.trimEnd());
    const at = streams.map((s, k) => s.findIndex((l, i) => i >= next[k]! && re.test(l.trimEnd())));
    const k = at.findIndex((i) => i >= 0);
    if (k < 0) problems.push(`shown but not printed (or not in this order): ${line}`);
    else next[k] = at[k]! + 1;
  }
  return problems;
}

describe('command output shown in the docs', () => {
  it('marks the blocks it checks', () => {
    expect(tested.length).toBeGreaterThanOrEqual(6);
    for (const b of tested) expect(stepsOf(b).length).toBeGreaterThan(0);
  });

  it.each(files.map((b) => [`${b.file}:${b.line}`, b] as const))('%s is its file', (_, block) => {
    const file = block.marker!.slice('file: '.length);
    expect(block.lines.join('\n') + '\n').toBe(fs.readFileSync(path.join(ROOT, file), 'utf8'));
  });

  /** The folder the last tested block ran in, kept when the next block continues it. */
  let kept: { file: string; dir: string } | undefined;

  it.each(tested.map((b, k) => [`${b.file}:${b.line}`, b, tested[k + 1]] as const))(
    '%s',
    async (_, block, next) => {
      const [, , fixture, into, after] = TESTED.exec(block.marker!)!;
      const from = kept;
      kept = undefined;
      if (after && from?.file !== block.file) {
        throw new Error(
          `${block.file}:${block.line}: runs after the block before, which failed or did not run`,
        );
      }
      const dir =
        from && after ? from.dir : fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-docs-'));
      const cwd = process.cwd();
      let passed = false;
      try {
        if (!after) {
          copyGermanCredit(dir);
          fs.symlinkSync(path.join(ROOT, 'data'), path.join(dir, 'data'));
        }
        if (fixture && into) {
          fs.mkdirSync(path.join(dir, into), { recursive: true });
          fs.copyFileSync(path.join(ROOT, fixture), path.join(dir, into, path.basename(fixture)));
        }
        process.chdir(dir);
        for (const step of stepsOf(block)) {
          const command = findCommand(program, step.words)?.command;
          const cpu =
            command?.options.some((o) => o.long === '--backend') &&
            !step.words.includes('--backend');
          const out = await runCli(cpu ? [...step.words, '--backend', 'cpu'] : step.words);
          const problems = missing(step, out);
          if (out.code !== step.code)
            problems.push(`exit code ${out.code}, the doc shows ${step.code}`);
          if (problems.length) {
            throw new Error(
              `${block.file}:${step.line}: neurules ${step.words.join(' ')}\n  ${problems.join('\n  ')}\n` +
                `printed:\n${out.stdout}${out.stderr}`,
            );
          }
        }
        passed = true;
      } finally {
        process.chdir(cwd);
        const continues =
          next !== undefined && next.file === block.file && Boolean(TESTED.exec(next.marker!)?.[4]);
        if (passed && continues) kept = { file: block.file, dir };
        else fs.rmSync(dir, { recursive: true, force: true });
      }
    },
    // A block may build a model (perception.md's trains two networks): on a busy 2-core
    // machine that can take longer than the suite's two minutes a test.
    BLOCK_TIMEOUT_MS,
  );
});
