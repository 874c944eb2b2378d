import type { Command } from 'commander';
import { formatIssue, NeurulesError } from '../../errors';
import type { BackendChoice } from '../../teacher/backend-choice';
import {
  backendOption,
  type CliIO,
  engineOption,
  modelOption,
  parseList,
  wholeNumber,
  withDirs,
} from '../options';

/**
 * `neurules serve`: the model over HTTP until SIGINT or SIGTERM; SIGHUP reloads the
 * model's files and reopens the decision log (log rotation).
 */
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
        '--shadow <other>',
        'a challenger that decides every record after the model, without changing any answer: a model of the same schema, or a rule-set hash (12+ hex digits) of the model\'s archive; logged as "shadow" in each decision-log line, counted in /metrics',
      )
      .option(
        '--redact <features>',
        'comma-separated features written as "[redacted]" in the decision log (names as in the schema)',
        parseList,
      )
      .option(
        '--body-limit <bytes>',
        'largest request body',
        wholeNumber('--body-limit', 1),
        1024 * 1024,
      )
      .option(
        '--request-timeout <ms>',
        'milliseconds a request (headers and body) has to arrive, else 408; 0 for no limit',
        wholeNumber('--request-timeout', 0),
        30_000,
      )
      .option(
        '--headers-timeout <ms>',
        'milliseconds the headers have to arrive (at most --request-timeout), else 408',
        wholeNumber('--headers-timeout', 0),
        10_000,
      )
      .option(
        '--image-root <dir>',
        'a model whose concepts read image files: the folder requests may name image files in (relative paths inside it only); without it such requests are refused',
      )
      .option('--no-network', 'do not load the network (explanations then lack its probabilities)')
      .addOption(backendOption()),
  ).action(async (o) => {
    if (o.redact && !o.decisionLog) {
      // Nothing would be redacted, nor the names checked: a flag that does nothing is a mistake.
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        '--redact names the fields hidden in the decision log, and there is none: give --decision-log FILE too',
        { field: '--redact' },
      );
    }
    const { createApp } = await import('../../server/create-app');
    const adminToken = process.env.NEURULES_ADMIN_TOKEN;
    // The decision log's first failure, printed once when it happens; it also makes the
    // exit status non-zero, since decisions were refused from then on.
    let logFailure: NeurulesError | undefined;
    const onError = (e: NeurulesError) => {
      logFailure = e;
      io.stderr.write(
        `error ${formatIssue(e.issues[0]!)}\n` +
          'decisions are refused (503 DECISION_LOG_FAILED) and /healthz answers 503 until the service is restarted\n',
      );
    };
    const app = await createApp({
      model: o.model,
      modelsDir: o.modelsDir,
      rulesDir: o.rulesDir,
      engine: o.engine,
      network: o.network,
      backend: o.backend as BackendChoice,
      bodyLimit: o.bodyLimit,
      requestTimeout: o.requestTimeout,
      headersTimeout: o.headersTimeout,
      ...(o.imageRoot !== undefined && { imageRoot: o.imageRoot as string }),
      ...(o.shadow !== undefined && { shadow: o.shadow as string }),
      ...(adminToken && { adminToken }),
      ...(o.decisionLog && {
        decisionLog: {
          file: o.decisionLog,
          redact: (o.redact as string[] | undefined) ?? [],
          onError,
        },
      }),
    });
    const address = await app.listen({ port: o.port, host: o.host });
    io.stderr.write(
      `serving model '${o.model}' (rule set ${app.ruleSetHash().slice(0, 12)}, ${o.engine}) on ${address}\n`,
    );
    const shadow = app.shadowRuleSetHash();
    if (shadow !== undefined)
      io.stderr.write(`shadow: challenger rule set ${shadow.slice(0, 12)} (${o.shadow})\n`);
    if (!adminToken)
      io.stderr.write('POST /v1/admin/reload is off: set NEURULES_ADMIN_TOKEN to enable it\n');
    await new Promise<void>((resolve) => {
      process.on('SIGHUP', () => {
        void app
          .reload()
          .then((r) =>
            io.stderr.write(
              r.ok
                ? `reloaded: rule set ${r.value.slice(0, 12)}` +
                    (o.shadow !== undefined
                      ? `, challenger ${app.shadowRuleSetHash()!.slice(0, 12)}\n`
                      : '\n')
                : `reload refused, old rule set keeps serving:\n${r.issues.map((i) => `  ${formatIssue(i)}`).join('\n')}\n`,
            ),
          );
        if (!o.decisionLog) return;
        // Log rotation: lines of decisions made so far end in the moved file, later ones in
        // a new file at the path. A failure to reopen is printed by onError, once.
        const failedBefore = logFailure !== undefined;
        void app.reopenLog().then(
          () => io.stderr.write(`decision log reopened: ${o.decisionLog}\n`),
          () => {
            if (failedBefore)
              io.stderr.write(
                'decision log not reopened: it has failed (above); restart the service\n',
              );
          },
        );
      });
      const stop = (signal: string) => {
        io.stderr.write(`${signal}: finishing in-flight requests\n`);
        void app.close().then(() => resolve());
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    if (logFailure) {
      throw new NeurulesError(
        'DECISION_LOG_FAILED',
        'stopped after the decision log failed (above): decisions made since were refused, none was answered unlogged',
        { file: o.decisionLog },
      );
    }
  });
}
