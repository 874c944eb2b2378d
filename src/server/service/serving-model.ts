import * as path from 'node:path';
import { DecisionLog, redactIssues } from '../../audit/decision-log';
import type { DataRecord } from '../../data/types';
import type { Tracer } from '../../engine/explain-decision';
import type { Decider, Decision } from '../../engine/types';
import { isNeurulesError, NeurulesError, type Result } from '../../errors';
import { openChallenger, type Challenger } from '../../pipeline/open-challenger';
import { openModel, type OpenModel } from '../../pipeline/open-model';
import { recordRuleSet } from '../../artifacts/rule-archive';
import { DEFAULT_ENGINE, type RecordEngineName } from '../../predict/engines';
import type { BackendChoice } from '../../teacher/backend-choice';

/** Options of {@link ServingModel.open}: which model, how it decides, where it logs. */
export interface ServingModelOptions {
  /** Model name. */
  model: string;
  /** @defaultValue 'models' */
  modelsDir?: string;
  /** @defaultValue 'rules' */
  rulesDir?: string;
  /** Evaluator for decisions. @defaultValue 'compiled' */
  engine?: RecordEngineName;
  /** Load the network too, so explanations carry its probabilities. @defaultValue true */
  network?: boolean;
  /** TensorFlow.js backend for the network. @defaultValue 'auto' */
  backend?: BackendChoice;
  /**
   * Decision log: a JSON-lines file (a regular file, or none yet: anything else is
   * NOT_A_REGULAR_FILE), the features whose values are written as "[redacted]" (a name
   * that is not a feature of the model is UNKNOWN_FEATURE, here and on every reload), and
   * `onError`, called once when the log cannot be written or reopened (decisions are then
   * refused with 503 `DECISION_LOG_FAILED` and `/healthz` answers 503 until the app is
   * made again).
   */
  decisionLog?: { file: string; redact?: string[]; onError?: (error: NeurulesError) => void };
  /**
   * A model whose concepts read image files: the folder requests may name files in (by
   * relative paths that stay inside it). Without it, such requests are refused: a request
   * never makes the service open or probe a file of its choosing.
   */
  imageRoot?: string;
  /**
   * A challenger that decides every record after the model (champion) has, without changing
   * any answer: another model of the same schema in the same folders, or a rule set of the
   * model's archive by its hash or a unique prefix of 12 or more hex digits (see
   * `openChallenger`). Its decision goes into each decision-log line as `shadow`. It is
   * loaded at start and again on every reload, with the model.
   */
  shadow?: string;
  /**
   * Test hook: wraps the challenger's decider when it is loaded (a decider that throws, to
   * check that a failing challenger never fails an answer).
   */
  wrapShadow?: (decider: Decider) => Decider;
}

/** The challenger serving beside the champion, as loaded with it. */
export interface ShadowServing {
  /** What it was loaded from (a model's name, or an archived hash). */
  source: Challenger['source'];
  /** Content hash of its merged rule set. */
  ruleSetHash: string;
  decider: Decider;
}

/** The rule set a request is served with: captured once per request. */
export interface Serving {
  model: OpenModel;
  decider: Tracer & { decide(record: DataRecord): Decision | Promise<Decision> };
  loadedAt: string;
  /** The challenger, when the service was started with one. */
  shadow?: ShadowServing;
}

/** What a reload gives: the hash of the rule set now serving, or why the files were refused. */
export type ReloadResult = Result<string>;

/** What a client is told when the log has failed; the reason (a file name, ENOSPC) is for the operator, via onError. */
export const LOG_FAILED =
  'the decision log cannot be written, so no decision is answered until the service is restarted';

/**
 * The state the service's plugins share: the model serving now (swapped whole by a
 * reload, so a request that captured {@link ServingModel.current} finishes on it) and the
 * decision log. The plugins are given it as an option; nothing else holds it.
 */
export class ServingModel {
  private constructor(
    /** Model name. */
    readonly name: string,
    /** The evaluator's name, as `GET /v1/model` reports it. */
    readonly engine: RecordEngineName,
    private readonly load: () => Promise<Serving>,
    private serving: Serving,
    /** The decision log, when there is one. */
    readonly log: DecisionLog | undefined,
    /** Where requests' image files may be (see {@link ServingModelOptions.imageRoot}). */
    readonly imageRoot: string | undefined,
  ) {}

  /**
   * Open the model's files and the decision log. A model whose schema lacks a feature to
   * redact is refused (UNKNOWN_FEATURE), as is a log file that cannot be opened; nothing is
   * left loaded then.
   */
  static async open(options: ServingModelOptions): Promise<ServingModel> {
    const loc = {
      modelsDir: options.modelsDir ?? 'models',
      rulesDir: options.rulesDir ?? 'rules',
      name: options.model,
    };
    const engine = options.engine ?? DEFAULT_ENGINE;
    const redact = options.decisionLog?.redact ?? [];
    const openShadow = async (model: OpenModel): Promise<ShadowServing> => {
      const c = await openChallenger(loc, options.shadow!, model.schema, {
        engine,
        field: 'shadow',
      });
      const decider = options.wrapShadow ? options.wrapShadow(c.decider) : c.decider;
      return { source: c.source, ruleSetHash: c.ruleSetHash, decider };
    };
    const load = async (): Promise<Serving> => {
      const model = await openModel(loc, {
        teacher: options.network ?? true,
        backend: options.backend ?? 'auto',
        engine,
      });
      try {
        // A schema that lost a feature to redact (renamed, say) would log it in clear: such a
        // model is refused, at start and on reload.
        const issues = redactIssues(redact, model.schema);
        if (issues.length > 0) throw NeurulesError.fromIssues(issues);
        // The challenger's files are read here, with the champion's, never while deciding;
        // before the champion is archived as serving, since a refused challenger refuses both.
        const shadow = options.shadow !== undefined ? await openShadow(model) : undefined;
        // Every rule set that decides is in the model's archive first, so each logged
        // decision can be replayed by the hash its line names (a no-op when it is there).
        recordRuleSet(loc, {
          ruleSet: model.ruleSet,
          schema: model.schema,
          made: 'serve',
          ...(model.manifest.generation !== undefined && {
            generation: model.manifest.generation,
          }),
        });
        const decider = model.compiled ?? model.engine;
        return { model, decider, loadedAt: new Date().toISOString(), ...(shadow && { shadow }) };
      } catch (e) {
        model.teacher?.dispose();
        model.front?.dispose();
        throw e;
      }
    };
    const serving = await load();
    let log: DecisionLog | undefined;
    try {
      log = options.decisionLog
        ? new DecisionLog(options.decisionLog.file, redact, {
            schema: serving.model.schema,
            ...(options.decisionLog.onError && { onError: options.decisionLog.onError }),
          })
        : undefined;
    } catch (e) {
      serving.model.teacher?.dispose();
      serving.model.front?.dispose();
      throw e;
    }
    return new ServingModel(
      loc.name,
      engine,
      load,
      serving,
      log,
      options.imageRoot !== undefined ? path.resolve(options.imageRoot) : undefined,
    );
  }

  /** The rule set serving now: a request reads it once and keeps it to its answer. */
  get current(): Serving {
    return this.serving;
  }

  /** Whether the decision log has failed: decisions are refused from then on. */
  get logFailed(): boolean {
    return this.log?.failure !== undefined;
  }

  /** The reload running now, if any: the next one waits for it. */
  private reloading: Promise<unknown> = Promise.resolve();

  /**
   * Load the model's files again; a bad rule set is refused and the old one keeps serving.
   * Reloads run one after another (a SIGHUP and a `POST /v1/admin/reload` at once): run side
   * by side, a slow one that read the files first could finish last and put back the rules
   * the other had replaced, with the later `loadedAt`.
   */
  reload(): Promise<ReloadResult> {
    const run = this.reloading.then(() => this.reloadNow());
    this.reloading = run.catch(() => undefined);
    return run;
  }

  private async reloadNow(): Promise<ReloadResult> {
    try {
      const next = await this.load();
      const old = this.serving;
      this.serving = next;
      // The old network is freed once requests that captured it are done with it.
      setTimeout(() => {
        old.model.teacher?.dispose();
        old.model.front?.dispose();
      }, 30_000).unref();
      return { ok: true, value: next.model.ruleSetHash };
    } catch (e) {
      if (isNeurulesError(e)) return { ok: false, issues: e.issues };
      return { ok: false, issues: [{ code: 'INVALID_ARTIFACT', message: (e as Error).message }] };
    }
  }

  /** Open the decision log again by its name (log rotation); resolves at once without one. */
  reopenLog(): Promise<void> {
    return this.log?.reopen() ?? Promise.resolve();
  }

  /** Write the log's last lines and close it, and free the network. */
  async close(): Promise<void> {
    await this.log?.close();
    this.serving.model.teacher?.dispose();
    this.serving.model.front?.dispose();
  }
}
