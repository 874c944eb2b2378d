import type { FastifyReply } from 'fastify';
import { ERROR_CATALOGUE, type ErrorCode } from '../errors';

/** The media type of every error answer. */
export const PROBLEM = 'application/problem+json';

/** The codes the service and the studio answer with: each has its HTTP status in the catalogue. */
export type HttpCode = {
  [C in ErrorCode]: (typeof ERROR_CATALOGUE)[C] extends { status: number } ? C : never;
}[ErrorCode];

/**
 * Answer with a problem document `{ error, message, ... }` and the code's HTTP status
 * (or `status`, where fastify has already chosen a more precise one).
 */
export function sendProblem(
  reply: FastifyReply,
  code: HttpCode,
  message: string,
  extra: Record<string, unknown> = {},
  status: number = ERROR_CATALOGUE[code].status,
): FastifyReply {
  return reply
    .status(status)
    .type(PROBLEM)
    .send({ error: code, message, ...extra });
}

/**
 * The code of a client error fastify raised itself (body over the limit, a body type it
 * does not parse, a malformed body); its own 4xx status is kept with it.
 */
export function fastifyClientCode(error: { code?: string }): HttpCode {
  return error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
    ? 'BODY_TOO_LARGE'
    : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
      ? 'UNSUPPORTED_MEDIA_TYPE'
      : 'INVALID_JSON';
}
