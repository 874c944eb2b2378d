import type { Command } from 'commander';
import { formatIssue } from '../../errors';
import type { BackendChoice } from '../../teacher/backend-choice';
import {
  backendOption,
  type CliIO,
  engineOption,
  modelOption,
  wholeNumber,
  withDirs,
} from '../options';

/** `neurules serve`: the model over HTTP until SIGINT or SIGTERM; SIGHUP reloads. */
export function registerServe(program: Command, io: CliIO): void {
  withDirs(
    program
      .command('serve')
      .description(
        'serve the model over HTTP (fastify): POST /v1/predict, GET /v1/model, /v1/rules, /healthz, /metrics',
      )
      .addOption(modelOption())
      .option('--port <n>', 'port', wholeNumber('--port', 0), 8080)
      .option('--host <host>', 'address to listen on', '127.0.0.1')
      .addOption(engineOption('evaluator'))
      .option('--decision-log <file>', 'append one JSON line per decision to this file')
      .option(
        '--redact <fields>',
        'comma-separated fields written as "[redacted]" in the decision log',
      )
      .option(
        '--body-limit <bytes>',
        'largest request body',
        wholeNumber('--body-limit', 1),
        1024 * 1024,
      )
      .option('--no-network', 'do not load the network (explanations then lack its probabilities)')
      .addOption(backendOption()),
  ).action(async (o) => {
    const { createApp } = await import('../../server/create-app');
    const adminToken = process.env.NEURULES_ADMIN_TOKEN;
    const app = await createApp({
      model: o.model,
      modelsDir: o.modelsDir,
      rulesDir: o.rulesDir,
      engine: o.engine,
      network: o.network,
      backend: o.backend as BackendChoice,
      bodyLimit: o.bodyLimit,
      ...(adminToken && { adminToken }),
      ...(o.decisionLog && {
        decisionLog: { file: o.decisionLog, redact: o.redact ? String(o.redact).split(',') : [] },
      }),
    });
    const address = await app.listen({ port: o.port, host: o.host });
    io.stderr.write(
      `serving model '${o.model}' (rule set ${app.ruleSetHash().slice(0, 12)}, ${o.engine}) on ${address}\n`,
    );
    if (!adminToken)
      io.stderr.write('POST /v1/admin/reload is off: set NEURULES_ADMIN_TOKEN to enable it\n');
    await new Promise<void>((resolve) => {
      process.on('SIGHUP', () => {
        void app
          .reload()
          .then((r) =>
            io.stderr.write(
              r.ok
                ? `reloaded: rule set ${r.ruleSet.slice(0, 12)}\n`
                : `reload refused, old rule set keeps serving:\n${r.issues.map((i) => `  ${formatIssue(i)}`).join('\n')}\n`,
            ),
          );
      });
      const stop = (signal: string) => {
        io.stderr.write(`${signal}: finishing in-flight requests\n`);
        void app.close().then(() => resolve());
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
  });
}
