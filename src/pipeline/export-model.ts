import { loadModelFiles } from '../artifacts/model-store';
import type { ModelLocation } from '../artifacts/types';
import { toMlCartModel } from '../distill/export-ml-cart';
import { NeurulesError } from '../errors';
import { writeFileAtomic } from '../files/write-atomic';

/** The formats a model's tree can be exported in. */
export const EXPORT_FORMATS = ['ml-cart'] as const;

/** A format of {@link EXPORT_FORMATS}. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * A model's tree in another format (`ml-cart`: ml-cart's model JSON, numeric features
 * only), as text; with `out`, also written there atomically.
 *
 * @example
 * const text = exportModel({ modelsDir: 'models', rulesDir: 'rules', name: 'iris' });
 */
export function exportModel(
  loc: ModelLocation,
  options: { format?: string; out?: string } = {},
): string {
  const format = options.format ?? 'ml-cart';
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `expected an export format of ${EXPORT_FORMATS.join(', ')}, found '${format}'`,
      { field: 'format' },
    );
  }
  const { schema, tree } = loadModelFiles(loc);
  const text = JSON.stringify(toMlCartModel(tree, schema)) + '\n';
  if (options.out !== undefined) writeFileAtomic(options.out, text);
  return text;
}
