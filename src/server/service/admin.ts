import type { FastifyInstance } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { sendProblem } from '../problems';
import { LOG_FAILED, type ServingModel } from './serving-model';

/**
 * `POST /v1/admin/reload`: with `Authorization: Bearer TOKEN`, reload the model's files and
 * reopen the decision log. Without a token the route answers 404, as if it were not there;
 * a wrong or missing bearer token is 401.
 */
export async function adminPlugin(
  app: FastifyInstance,
  { model, token }: { model: ServingModel; token: string | undefined },
): Promise<void> {
  app.post('/v1/admin/reload', async (req, reply) => {
    if (!token) return reply.callNotFound();
    const given = Buffer.from(String(req.headers.authorization ?? ''));
    const expected = Buffer.from(`Bearer ${token}`);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return sendProblem(reply, 'UNAUTHORIZED', 'expected a valid bearer token');
    }
    const result = await model.reload();
    // The route is the way to rotate the log where signals are not (Windows, some
    // orchestrators): it reopens the log as SIGHUP does. A log that cannot be reopened has
    // failed, and says so before anything else, since no decision is answered from then on.
    const logFailed = await model.reopenLog().then(
      () => false,
      () => true,
    );
    const ruleSet = model.current.model.ruleSetHash;
    if (logFailed) return sendProblem(reply, 'DECISION_LOG_FAILED', LOG_FAILED, { ruleSet });
    return result.ok
      ? { status: 'reloaded', ruleSet: result.value }
      : sendProblem(
          reply,
          'RELOAD_REFUSED',
          'the new files were refused; the old rule set keeps serving',
          { issues: result.issues, ruleSet },
        );
  });
}
