/**
 * The names the studio reads and writes: `NAME.yaml` or `NAME.yml`, a plain file directly in
 * the overrides folder (no folder, no leading dot, at most 100 characters before the
 * extension). No imports: the page bundles this module to check a new file's name as the
 * session does.
 */

/** The name's pattern as an HTML `pattern` attribute takes it (no anchors). */
export const OVERRIDE_FILE_PATTERN = '[A-Za-z0-9][A-Za-z0-9._\\-]{0,99}\\.ya?ml';

/** A plain override file name, whole. */
export const OVERRIDE_FILE_NAME = new RegExp(`^${OVERRIDE_FILE_PATTERN}$`);
