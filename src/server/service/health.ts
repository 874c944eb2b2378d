import type { FastifyInstance } from 'fastify';
import { sendProblem } from '../problems';
import { LOG_FAILED, type ServingModel } from './serving-model';

/**
 * `GET /healthz`: `{ status: "ok", model, ruleSet, generation, loadedAt }`, or 503
 * `DECISION_LOG_FAILED` once the decision log has failed. A replica that cannot log its
 * decisions refuses them, so it reports unhealthy: a load balancer then sends its traffic
 * elsewhere. `generation` (the model folder the rules were committed with; `null` for a
 * model of the old single-folder layout) and `loadedAt` (when the rules serving now were
 * loaded) let a rollout be watched replica by replica.
 */
export async function healthPlugin(
  app: FastifyInstance,
  { model }: { model: ServingModel },
): Promise<void> {
  app.get('/healthz', async (_req, reply) => {
    // Read once: a reload between two reads would mix two rule sets in one answer.
    const { model: serving, loadedAt } = model.current;
    const health = {
      model: model.name,
      ruleSet: serving.ruleSetHash,
      generation: serving.manifest.generation ?? null,
      loadedAt,
    };
    if (model.logFailed) {
      return sendProblem(reply, 'DECISION_LOG_FAILED', LOG_FAILED, {
        status: 'unhealthy',
        ...health,
      });
    }
    return { status: 'ok', ...health };
  });
}
