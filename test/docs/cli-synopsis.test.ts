/**
 * Every `neurules` command line in the docs (README.md, docs/*.md) names a real command and
 * options it declares; and docs/cli.md with docs/overrides.md show every option of every
 * command in some synopsis of it, so nothing the parser accepts is undocumented.
 */
import type { Command } from 'commander';
import { createProgram } from '../../src/cli/main';
import { sink } from '../helpers/sink';
import {
  commandLines,
  docPages,
  fencedBlocks,
  findCommand,
  optionsOf,
  type CommandLine,
} from './markdown';

const program = createProgram({ stdout: sink(), stderr: sink(), isTTY: false });
const ALWAYS = ['--help', '--version'];
const lines: CommandLine[] = docPages().flatMap((file) =>
  fencedBlocks(file).flatMap((block) => commandLines(block)),
);

/** Every command that runs (has no subcommands), by its path, e.g. `rules lint`. */
function leafCommands(command: Command, prefix: string[] = []): [string, Command][] {
  return command.commands.flatMap((c) => {
    const path = [...prefix, c.name()];
    return c.commands.length ? leafCommands(c, path) : [[path.join(' '), c] as [string, Command]];
  });
}

describe('command lines in the docs', () => {
  it('are found in README.md and docs/', () => {
    expect(lines.filter((l) => l.file === 'README.md').length).toBeGreaterThanOrEqual(9);
    expect(lines.filter((l) => l.file === 'docs/cli.md').length).toBeGreaterThanOrEqual(9);
  });

  it('name commands and options the parser declares', () => {
    const problems: string[] = [];
    for (const l of lines) {
      const found = findCommand(program, l.words);
      if (!found) {
        problems.push(`${l.file}:${l.line}: no command 'neurules ${l.words.join(' ')}'`);
        continue;
      }
      for (const flag of optionsOf(l.words)) {
        if (ALWAYS.includes(flag) || found.command.options.some((o) => o.long === flag)) continue;
        problems.push(
          `${l.file}:${l.line}: 'neurules ${found.path}' does not declare option ${flag}`,
        );
      }
    }
    expect(problems).toEqual([]);
  });

  it('document every option of every command in docs/cli.md and docs/overrides.md', () => {
    const reference = lines.filter((l) => ['docs/cli.md', 'docs/overrides.md'].includes(l.file));
    const problems: string[] = [];
    for (const [path, command] of leafCommands(program)) {
      const shown = reference.filter((l) => findCommand(program, l.words)?.path === path);
      if (shown.length === 0) {
        problems.push(`no synopsis of 'neurules ${path}' in docs/cli.md or docs/overrides.md`);
        continue;
      }
      const documented = new Set(shown.flatMap((l) => optionsOf(l.words)));
      for (const option of command.options) {
        if (option.long && !ALWAYS.includes(option.long) && !documented.has(option.long))
          problems.push(
            `option ${option.long} of 'neurules ${path}' is in no synopsis of it (docs/cli.md:${shown[0]!.line})`,
          );
      }
    }
    expect(problems).toEqual([]);
  });
});
