// Bundles the browser pages in src/web/ into dist/web/ (run by `npm run build` and `prepare`).
// Everything the page needs is in the bundle: no CDN, no fonts or scripts from the network.
import { build } from 'esbuild';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pages = [
  { name: 'studio', entry: 'main.ts', bundle: 'studio.js', assets: ['index.html', 'studio.css'] },
];

for (const page of pages) {
  const src = join(root, 'src', 'web', page.name);
  const out = join(root, 'dist', 'web', page.name);
  await mkdir(out, { recursive: true });
  await build({
    entryPoints: [join(src, page.entry)],
    outfile: join(out, page.bundle),
    bundle: true,
    minify: true,
    // `--sourcemap` for debugging; the studio serves no .map file, so none by default.
    sourcemap: process.argv.includes('--sourcemap') ? 'linked' : false,
    target: 'es2020',
    format: 'iife',
    platform: 'browser',
    legalComments: 'none',
    logLevel: 'warning',
  });
  for (const asset of page.assets) await copyFile(join(src, asset), join(out, asset));
  const { size } = await stat(join(out, page.bundle));
  process.stdout.write(
    `web: dist/web/${page.name}/${page.bundle} (${(size / 1024).toFixed(0)} KiB)\n`,
  );
}
