import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import type { BackendChoice } from '../../teacher/backend-choice';
import { backendOption, type CliIO, given, modelOption, wholeNumber, withDirs } from '../options';

/** `neurules studio`: the rule studio for domain experts, in the browser, until SIGINT or SIGTERM. */
export function registerStudio(program: Command, io: CliIO): void {
  withDirs(
    program
      .command('studio')
      .description(
        "the rule studio: write, check and save a model's overrides in the browser (prints its address with a fresh access token)",
      )
      .addOption(modelOption())
      .option('--port <n>', 'port (0: any free port)', wholeNumber('--port', 0), 8090)
      .option('--host <host>', 'address to listen on', '127.0.0.1')
      .option(
        '--data <file>',
        "a labelled .csv or .jsonl file to measure on (default: the build's held-out test split)",
      )
      .option('--review', 'four-eyes review: a save becomes a proposal another author approves')
      .option(
        '--require-author',
        'a save without the name of its author is refused (AUTHOR_REQUIRED)',
      )
      .addOption(backendOption()),
  ).action(async (o) => {
    const { openStudio } = await import('../../studio/session');
    const { createStudioApp } = await import('../../server/studio-app');
    const studio = await openStudio(
      { modelsDir: o.modelsDir, rulesDir: o.rulesDir, name: o.model },
      {
        backend: o.backend as BackendChoice,
        ...given('data', o.data as string | undefined),
        review: o.review === true,
        requireAuthor: o.requireAuthor === true,
      },
    );
    const token = randomBytes(24).toString('base64url');
    const app = createStudioApp(studio, { token, hosts: [String(o.host)] });
    await app.listen({ port: o.port, host: o.host });
    const { port } = app.server.address() as { port: number };
    const host = String(o.host).includes(':') ? `[${o.host}]` : o.host;
    io.stdout.write(`studio: http://${host}:${port}/?token=${token}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => void app.close().then(() => resolve());
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    await studio.close();
  });
}
