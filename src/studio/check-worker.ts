/**
 * The thread the studio's checks run on (started by {@link StudioCheckThread}): it holds an
 * {@link OverridesChecker} on the context it was started with and answers one job at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isNeurulesError } from '../errors';
import { type CheckContext, OverridesChecker } from './check';
import type { CheckJob, CheckReply } from './check-thread';

const checker = new OverridesChecker(workerData as CheckContext);

async function answer(job: CheckJob): Promise<CheckReply> {
  try {
    const value =
      job.kind === 'check'
        ? await checker.check(job.files, job.saved)
        : job.kind === 'explain'
          ? await checker.explain(
              job.files,
              job.saved,
              job.record,
              job.probabilities,
              job.perceived,
            )
          : await checker.warm(job.saved);
    return { id: job.id, ok: true, value };
  } catch (e) {
    // Errors cross threads as data: the code, place and issues of a coded one, else the text.
    if (isNeurulesError(e)) {
      const { code, message, file, line, column, field, path, issues } = e;
      const error = { code, message, file, line, column, field, path, issues };
      return { id: job.id, ok: false, error };
    }
    const error = e instanceof Error ? e : new Error(String(e));
    return { id: job.id, ok: false, error: { message: error.message, stack: error.stack } };
  }
}

// One job at a time, even across a check's awaits: the checker's caches are not shared.
let last: Promise<unknown> = Promise.resolve();
parentPort!.on('message', (job: CheckJob) => {
  last = last.then(() => answer(job)).then((reply) => parentPort!.postMessage(reply));
});
