/**
 * Import rules for src/: folders point one way, and no two folders import each other.
 *
 * The layers, lowest first (a folder may import its own layer's folders and those below):
 *   errors.ts, random.ts, fidelity.ts, arg-max.ts, files/ → data → teacher, distill, perception → rules → artifacts →
 *   regions, overrides → engine, exports → audit → report → predict, studio → pipeline →
 *   cli, server, web
 * `src/index.ts` is the public API and re-exports every layer, so it is left out.
 */
const LAYERS = [
  ['files'],
  ['data'],
  ['teacher', 'distill', 'perception'],
  ['rules'],
  ['artifacts'],
  ['regions', 'overrides'],
  ['engine', 'exports'],
  ['audit'],
  ['report'],
  ['predict', 'studio'],
  ['pipeline'],
  ['cli', 'server', 'web'],
];

const above = (i) => LAYERS.slice(i + 1).flat();

module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycle',
      comment: 'Two folders of src/ import each other (directly or through others).',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/', pathNot: '^src/index\\.ts$' },
      to: { circular: true },
    },
    {
      name: 'no-module-cycle',
      comment: 'Two modules import each other (directly or through others).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...LAYERS.map((folders, i) => ({
      name: `layer-${folders.join('-')}`,
      comment: `src/${folders.join(', src/')} may not import a higher layer (${above(i).join(', ') || 'none'})`,
      severity: 'error',
      from: { path: `^src/(${folders.join('|')})/` },
      to: { path: `^src/(${above(i).join('|') || '$^'})/` },
    })),
    {
      name: 'base-imports-nothing',
      comment:
        'src/errors.ts, src/random.ts, src/fidelity.ts and src/arg-max.ts are the base: they import no folder of src/.',
      severity: 'error',
      from: { path: '^src/[^/]+\\.ts$', pathNot: '^src/index\\.ts$' },
      to: { path: '^src/[^/]+/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/types/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
