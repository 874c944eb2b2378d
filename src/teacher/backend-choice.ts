/** A backend a user can ask for: `auto` takes the fastest one that loads. */
export type BackendChoice = 'auto' | 'node' | 'wasm' | 'cpu';

/**
 * The backend choices, for option validation and help texts. Kept apart from
 * `backend.ts` so a command can list them without loading TensorFlow.js.
 */
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'node', 'wasm', 'cpu'];
