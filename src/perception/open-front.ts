import * as path from 'node:path';
import type { Schema } from '../data/types';
import { type BackendChoice, selectBackend } from '../teacher/backend';
import { loadPerceiver } from './perceiver-io';
import { PerceptionFront, type PerceptionSpec } from './perception-front';
import type { Perceiver } from './train-perceiver';

/**
 * A model's perception networks, loaded on the chosen backend (`perceivers/NAME/` under
 * `dir`, one per concept of `spec`) and put in front of its rules' `schema`. Nothing is
 * left loaded when one fails. TensorFlow.js loads with this module: callers import it when
 * a model has concepts, and only then.
 */
export async function openPerceptionFront(
  spec: PerceptionSpec,
  schema: Schema,
  dir: string,
  backend: BackendChoice = 'auto',
): Promise<PerceptionFront> {
  await selectBackend(backend);
  const perceivers: Perceiver[] = [];
  try {
    for (const c of spec.concepts) perceivers.push(await loadPerceiver(path.join(dir, c.name)));
    return new PerceptionFront(spec, schema, perceivers);
  } catch (e) {
    for (const p of perceivers) p.dispose();
    throw e;
  }
}
