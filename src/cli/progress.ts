import type { BuildProgress } from '../pipeline/build-model';

/** Writes build progress to a stream: a redrawn bar on a terminal, a few plain lines otherwise. */
export function buildReporter(
  out: NodeJS.WriteStream | NodeJS.WritableStream,
  isTTY: boolean,
): (e: BuildProgress) => void {
  let lastPlainEpoch = 0;
  /** A redrawn training line is on the terminal, not yet ended by a newline. */
  let barOpen = false;
  return (e) => {
    switch (e.stage) {
      case 'data':
        out.write(
          `data: ${e.rows} rows, ${e.features} features, ${e.classes} classes; split train/validation/test ${e.split.join('/')}\n`,
        );
        break;
      case 'overrides':
        out.write(`overrides: ${e.count} from ${e.dir} (measured on the test split too)\n`);
        break;
      case 'backend':
        out.write(`tfjs backend: ${e.backend}\n`);
        break;
      case 'teacher': {
        // A refit trains on the validation rows: its validation figures would mislead.
        const text = e.refit
          ? `epoch ${String(e.epoch).padStart(3)}/${e.epochs}  loss ${e.loss.toFixed(4)}`
          : `epoch ${String(e.epoch).padStart(3)}/${e.epochs}  loss ${e.loss.toFixed(4)}  val loss ${e.valLoss.toFixed(4)}  val acc ${e.valAccuracy.toFixed(3)}`;
        const what = e.refit ? 'refitting network' : 'training network';
        if (isTTY) {
          const width = 24;
          const done = Math.round((e.epoch / e.epochs) * width);
          out.write(`\r${what} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${text}`);
          barOpen = e.epoch < e.epochs;
          if (!barOpen) out.write('\n');
        } else if (e.epoch === 1 || e.epoch - lastPlainEpoch >= 10 || e.epoch < lastPlainEpoch) {
          lastPlainEpoch = e.epoch;
          out.write(`${what}: ${text}\n`);
        }
        break;
      }
      case 'perception':
        if (e.step === 'decode') {
          if (e.done === e.total || (isTTY && e.done % 100 === 0)) {
            out.write(
              `${isTTY ? '\r' : ''}perception '${e.concept}': decoded ${e.done}/${e.total} images${e.done === e.total || !isTTY ? '\n' : ''}`,
            );
          }
        } else if (e.step === 'train') {
          const text = `epoch ${String(e.epoch).padStart(3)}  loss ${e.loss.toFixed(4)}  val acc ${e.valAccuracy.toFixed(3)}`;
          if (isTTY) {
            out.write(`\rperception '${e.concept}': ${text}`);
            barOpen = true;
          } else if (e.epoch === 1 || e.epoch % 10 === 0) {
            out.write(`perception '${e.concept}': ${text}\n`);
          }
        } else {
          if (barOpen) out.write('\n');
          barOpen = false;
          out.write(
            `perception '${e.concept}': ${e.network}, ${e.epochs} epochs, validation accuracy ${e.accuracy.toFixed(3)}\n`,
          );
        }
        break;
      case 'distilling':
        if (barOpen) out.write('\n');
        barOpen = false;
        out.write(`distill: ${e.message}\n`);
        break;
      case 'distill': {
        const r = e.report;
        const balanced =
          r.validationBalancedFidelity === undefined
            ? ''
            : `, balanced ${r.validationBalancedFidelity.toFixed(3)}`;
        out.write(
          `distilled: ${e.rules} rules (learner ${r.learner}, sampling ${r.sampling}` +
            `${r.samples ? ` with ${r.samples} synthetic records` : ''}` +
            `${r.classWeights && r.classWeights !== 'none' ? `, class weights ${r.classWeights}` : ''}` +
            `, validation fidelity ${r.validationFidelity.toFixed(3)}${balanced})\n`,
        );
        const missing = r.classesWithoutRule ?? [];
        if (missing.length > 0) {
          const answered = r.classesAnswered ?? 0;
          const why =
            answered > e.maxRules
              ? `the network answers ${answered} classes but --max-rules allows ${e.maxRules} rules`
              : `no rule of ${e.rules} decides them`;
          out.write(
            `warning: ${why}: no rule can decide ${missing.map((c) => `'${c}'`).join(', ')}\n`,
          );
        }
        break;
      }
      case 'evaluate':
        break;
      case 'warning':
        out.write(`warning: ${e.message}\n`);
        break;
      case 'save':
        out.write(`wrote ${e.modelDir}/ and ${e.rulesFile}\n`);
        break;
    }
  };
}
