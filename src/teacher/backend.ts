import * as tf from '@tensorflow/tfjs';
import { NeurulesError } from '../errors';
import { BACKEND_CHOICES, type BackendChoice } from './backend-choice';

/**
 * TensorFlow.js, imported in one place. Every neurules module that needs tfjs imports
 * `tf` from here (never `@tensorflow/tfjs` directly), so the backend chosen by
 * {@link selectBackend} is the one they all use.
 */
export { tf };

export { BACKEND_CHOICES, type BackendChoice };

/** The backend in use: neurules' name for it and the name tfjs registered it under. */
export interface BackendInfo {
  name: 'node' | 'wasm' | 'cpu';
  /** tfjs's own backend name: `tensorflow`, `wasm` or `cpu`. */
  tfBackend: string;
}

const TF_NAMES = { node: 'tensorflow', wasm: 'wasm', cpu: 'cpu' } as const;

let current: BackendInfo | undefined;

/**
 * Load and activate a TensorFlow.js backend.
 *
 * - `node`: `@tensorflow/tfjs-node` (native libtensorflow; fastest). An optional
 *   dependency: its install downloads libtensorflow, so it is absent on offline installs.
 * - `wasm`: `@tensorflow/tfjs-backend-wasm` (SIMD WebAssembly; ~2.5x faster than cpu).
 * - `cpu`: plain JavaScript; always available.
 * - `auto`: the first of node, wasm, cpu that loads.
 *
 * Choosing `cpu` also turns on tfjs's `PROD` flag, whose only effect in tfjs 4.22 is to
 * silence tfjs's console warnings (see `tfjs-core/dist/log.js`); without it the cpu
 * backend prints a "looks like you are running TensorFlow.js in Node.js" banner.
 *
 * @param choice - which backend to use
 * @defaultValue `'auto'`
 * @returns the backend now active
 * @throws NeurulesError `BACKEND_UNAVAILABLE` when an explicit choice cannot load
 * @example
 * ```ts
 * const { name } = await selectBackend('auto'); // 'wasm' where tfjs-node is absent
 * ```
 */
export async function selectBackend(choice: BackendChoice = 'auto'): Promise<BackendInfo> {
  switch (choice) {
    case 'node':
    case 'wasm':
    case 'cpu': {
      const failure = await activate(choice);
      if (failure !== undefined) {
        throw new NeurulesError('BACKEND_UNAVAILABLE', failure, { field: 'backend' });
      }
      break;
    }
    case 'auto': {
      const order = ['node', 'wasm', 'cpu'] as const;
      let loaded = false;
      for (const name of order) {
        if ((await activate(name)) === undefined) {
          loaded = true;
          break;
        }
      }
      if (!loaded) {
        throw new NeurulesError('BACKEND_UNAVAILABLE', 'no TensorFlow.js backend could be loaded', {
          field: 'backend',
        });
      }
      break;
    }
    default:
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        `unknown backend '${String(choice)}'; expected one of ${BACKEND_CHOICES.join(', ')}`,
        { field: 'backend' },
      );
  }
  return currentBackend() as BackendInfo;
}

/**
 * The backend selected by {@link selectBackend}, or undefined when none was selected yet.
 */
export function currentBackend(): BackendInfo | undefined {
  return current !== undefined ? { ...current } : undefined;
}

/**
 * The active backend, selecting `auto` first if no backend was selected yet. Stages that
 * run the network call this so a library user need not call {@link selectBackend}.
 */
export async function ensureBackend(): Promise<BackendInfo> {
  return current !== undefined ? { ...current } : selectBackend('auto');
}

/** Try to make `name` the active backend; return why it failed, or undefined on success. */
async function activate(name: 'node' | 'wasm' | 'cpu'): Promise<string | undefined> {
  const tfName = TF_NAMES[name];
  if (name === 'node') {
    // libtensorflow logs CPU-feature notices to stderr unless told otherwise.
    process.env['TF_CPP_MIN_LOG_LEVEL'] ??= '2';
    try {
      require('@tensorflow/tfjs-node');
    } catch (e) {
      return (
        `the node backend needs @tensorflow/tfjs-node, which could not be loaded (${firstLine(e)}); ` +
        'install @tensorflow/tfjs-node (its install downloads libtensorflow), ' +
        'or choose the wasm or cpu backend'
      );
    }
  } else if (name === 'wasm') {
    try {
      require('@tensorflow/tfjs-backend-wasm');
    } catch (e) {
      return (
        `the wasm backend needs @tensorflow/tfjs-backend-wasm, which could not be loaded (${firstLine(e)}); ` +
        'install @tensorflow/tfjs-backend-wasm, or choose the cpu backend'
      );
    }
  }
  if (tf.findBackendFactory(tfName) === null) {
    return `the ${name} backend did not register with TensorFlow.js (is the tfjs version compatible?)`;
  }
  const previousProd = tf.env().getBool('PROD');
  // A failed initialisation makes tfjs print a warning; we report the failure ourselves.
  tf.env().set('PROD', true);
  let ok = false;
  let reason = '';
  try {
    ok = await tf.setBackend(tfName);
    await tf.ready();
  } catch (e) {
    reason = ` (${firstLine(e)})`;
  }
  tf.env().set('PROD', name === 'cpu' ? true : previousProd);
  if (!ok || tf.getBackend() !== tfName) {
    return `the ${name} backend failed to initialise${reason}; choose another backend`;
  }
  current = { name, tfBackend: tfName };
  return undefined;
}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0] ?? text;
}
