import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifyServerOptions,
} from 'fastify';
import { STATUS_CODES } from 'node:http';
import {
  ERROR_CATALOGUE,
  type ErrorCode,
  isNeurulesError,
  type NeurulesError,
  type ProblemBody,
} from '../errors';
import { shareWithParent } from './share-with-parent';

/** The media type of every error answer. */
export const PROBLEM = 'application/problem+json';

/** The codes the service and the studio answer with: each has its HTTP status in the catalogue. */
export type HttpCode = {
  [C in ErrorCode]: (typeof ERROR_CATALOGUE)[C] extends { status: number } ? C : never;
}[ErrorCode];

/** Fields a problem document may add to `error`, `message` and `issues` (`field`, `ruleSet`, ...). */
export type ProblemExtensions = Omit<ProblemBody, 'error' | 'message'>;

/**
 * Answer with a problem document `{ error, message, ... }` and the code's HTTP status
 * (or `status`, where fastify has already chosen a more precise one).
 */
export function sendProblem(
  reply: FastifyReply,
  code: HttpCode,
  message: string,
  extensions: ProblemExtensions = {},
  status: number = ERROR_CATALOGUE[code].status,
): FastifyReply {
  const body: ProblemBody = { error: code, message, ...extensions };
  return reply.status(status).type(PROBLEM).send(body);
}

/**
 * The problem document of a coded error: its code and message, its place (`field`, `file`,
 * `line`, `column`) where it has one, and `issues` when they say more than the error itself
 * (several problems, or the problems behind a `SAVE_BLOCKED`).
 */
export function errorProblem(error: NeurulesError): ProblemBody {
  const { code, message, field, file, line, column, issues } = error;
  const [first] = issues;
  const onlyItself = issues.length === 1 && first!.code === code && first!.message === message;
  return {
    error: code,
    message,
    ...(field !== undefined && { field }),
    ...(file !== undefined && { file }),
    ...(line !== undefined && { line }),
    ...(column !== undefined && { column }),
    ...(!onlyItself && { issues }),
  };
}

/**
 * The code of a client error fastify raised itself (body over the limit, a body type it
 * does not parse, a malformed body); its own 4xx status is kept with it.
 */
function fastifyClientCode(error: { code?: string }): HttpCode {
  return error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
    ? 'BODY_TOO_LARGE'
    : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
      ? 'UNSUPPORTED_MEDIA_TYPE'
      : 'INVALID_JSON';
}

/** The error handler of both apps: every error becomes a problem document, never a stack. */
function answerError(
  error: FastifyError | NeurulesError | Error,
  req: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  // A request dropped because its client went away (the studio aborts stale checks): there
  // is no one left to answer.
  if (error.name === 'AbortError' && reply.raw.destroyed) return reply;
  // A coded error is the input's fault (parseJsonBody's INVALID_JSON and PROTOTYPE_KEY, the
  // studio's checks and saves): its code's status, or 400 for a code that has none.
  if (isNeurulesError(error)) {
    const status = (ERROR_CATALOGUE[error.code] as { status?: number }).status ?? 400;
    return reply.status(status).type(PROBLEM).send(errorProblem(error));
  }
  // fastify's own client errors keep their 4xx status (413, 415, 400 for a bad body): never
  // a 500 for malformed input.
  const status = (error as FastifyError).statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return sendProblem(reply, fastifyClientCode(error as FastifyError), error.message, {}, status);
  }
  req.log.error(error);
  return sendProblem(reply, 'INTERNAL', 'internal error');
}

/**
 * The problem+json plugin of both apps (the service and the studio): an error handler that
 * answers every error (a coded one, fastify's client errors, a bug) with a
 * {@link ProblemBody}, and a not-found handler (404 `NOT_FOUND`).
 *
 * Register it before the plugins that hold routes. It is not encapsulated
 * ({@link shareWithParent}): its handlers must hold for the whole app, every route plugin
 * and unknown routes included.
 */
export async function problemsPlugin(app: FastifyInstance): Promise<void> {
  app.setErrorHandler(answerError);
  // The query is left out of the message: the studio's address carries its token there.
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, 'NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`),
  );
}
shareWithParent(problemsPlugin, 'neurules-problems');

/**
 * fastify's `clientErrorHandler` for requests that never reach a route (Node refused them
 * before fastify saw them): a late request is 408 `REQUEST_TIMEOUT`, headers over Node's
 * limit 431, anything else Node cannot read 400 `INVALID_JSON`. Answered on the socket as a
 * problem document (unless an answer has already started), then the connection is closed.
 * `onAnswer` is told each status (the service counts them).
 */
export function problemClientErrors(
  options: { timeout?: string; onAnswer?: (status: number) => void } = {},
): NonNullable<FastifyServerOptions['clientErrorHandler']> {
  const timeout = options.timeout ?? 'the request did not arrive in time';
  return (error: Error & { code?: string }, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const [status, body]: [number, ProblemBody] =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, { error: 'REQUEST_TIMEOUT', message: timeout }]
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? [431, { error: 'INVALID_JSON', message: 'the request headers are too large' }]
          : [400, { error: 'INVALID_JSON', message: 'the request is not valid HTTP' }];
    options.onAnswer?.(status);
    const response = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !response?.headersSent) {
      const text = JSON.stringify(body);
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM}; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
      );
    }
    socket.destroy(error);
  };
}
