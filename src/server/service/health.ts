import type { FastifyInstance } from 'fastify';
import { sendProblem } from '../problems';
import { LOG_FAILED, type ServingModel } from './serving-model';

/**
 * `GET /healthz`: `{ status: "ok", model, ruleSet }`, or 503 `DECISION_LOG_FAILED` once
 * the decision log has failed. A replica that cannot log its decisions refuses them, so it
 * reports unhealthy: a load balancer then sends its traffic elsewhere.
 */
export async function healthPlugin(
  app: FastifyInstance,
  { model }: { model: ServingModel },
): Promise<void> {
  app.get('/healthz', async (_req, reply) => {
    const health = { model: model.name, ruleSet: model.current.model.ruleSetHash };
    if (model.logFailed) {
      return sendProblem(reply, 'DECISION_LOG_FAILED', LOG_FAILED, {
        status: 'unhealthy',
        ...health,
      });
    }
    return { status: 'ok', ...health };
  });
}
