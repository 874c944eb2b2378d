/**
 * 06: rules over what a network perceives. Parcels whose postcode is a handwritten digit in
 * an image file: a perception network reads the digit, and the rules route the parcel by
 * the digit it read, its weight and its service.
 *
 *   npm run example -- 06-perception
 *
 * Draws parcels with the project's seeded generator (bench/tasks/parcels.ts, the one that
 * made data/parcels.csv), writes each postcode as a 16×16 greyscale PNG file and a CSV whose
 * `image` column names them, builds a model with the concept `postcode=image`, decides new
 * parcels from their images, and explains one with its postcode set by a person. Everything
 * is written into a temporary directory, which is removed at the end.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  buildModel,
  describeRule,
  explainRecord,
  formatExplanation,
  predictModel,
  type Explanation,
} from 'neurules';
import { generateParcels, type Parcels } from '../bench/tasks/parcels';
import { writeGreyPng } from '../bench/tasks/png';

/** The images' size: 16×16 reads the digits well and trains in seconds. */
const SHAPE = { height: 16, width: 16 };

/** One decided parcel: what was perceived, what the rules decided, and the truth. */
interface RoutedParcel {
  image: string;
  perceived: { value: string; confidence: number };
  route: string;
  ruleId: string;
  trueDigit: number;
  trueRoute: string;
}

export async function main(): Promise<{
  conceptAccuracy: number;
  rules: number;
  rulesAccuracy: number;
  routed: RoutedParcel[];
  explanation: Explanation;
}> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-example-'));
  const location = {
    modelsDir: path.join(dir, 'models'),
    rulesDir: path.join(dir, 'rules'),
    name: 'parcels',
  };
  try {
    // 1,500 parcels to learn from (as many as data/parcels.csv), and 30 new ones (another
    // seed) to decide.
    const data = await writeParcels(dir, 'parcels', generateParcels(1500, 1, SHAPE), true);
    const fresh = generateParcels(30, 2, SHAPE);
    const input = await writeParcels(dir, 'new', fresh, false);

    const built = await buildModel({
      data,
      target: 'route',
      // The concept `postcode`: its label column is `postcode`, its input the image files
      // named in `image`, read at 16×16.
      concepts: ['postcode=image'],
      conceptShapes: ['postcode=16x16'],
      ...location,
      // TensorFlow.js's WebAssembly backend ships with neurules and trains these networks
      // fastest. A shorter training, one sampling instead of trying three, no teacher
      // shaping and no refit keep the example quick (a third of the default build's time).
      backend: 'wasm',
      training: { epochs: 60 },
      distill: { sampling: 'perturb' },
      teacherShaping: 'off',
      refit: 'off',
    });
    const { metrics } = built;
    const postcode = metrics.concepts!['postcode']!;
    console.log(
      `built '${built.name}' in ${built.seconds.toFixed(1)} s. The perception network ` +
        `(${postcode.network}) reads ${pct(postcode.accuracy!)} of the test postcodes right; ` +
        `the ${metrics.ruleCount} rules route ${pct(metrics.rulesAccuracy)} of the test parcels right:`,
    );
    for (const rule of built.ruleSet.rules) console.log(`  ${rule.name}  ${describeRule(rule)}`);

    // New parcels: the CSV has the image and the plain columns, no labels.
    const output = path.join(dir, 'decisions.jsonl');
    await predictModel(location, { input, output });
    const decisions = fs
      .readFileSync(output, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Decided);
    const routed = decisions.map((d, i): RoutedParcel => ({
      image: imageName(i),
      perceived: { value: d.perceived.postcode.value, confidence: d.perceived.postcode.confidence },
      route: d.class,
      ruleId: d.ruleId,
      trueDigit: fresh.images.labels[i]!,
      trueRoute: fresh.routes[i]!,
    }));
    const right = routed.filter((r) => r.route === r.trueRoute).length;
    console.log(
      `\n${right} of ${routed.length} new parcels routed right; the first five, and any read wrong:`,
    );
    routed.forEach((r, i) => {
      if (i >= 5 && String(r.trueDigit) === r.perceived.value) return;
      console.log(
        `  ${r.image}  ${fresh.weights[i]!.toFixed(1).padStart(4)} kg ${fresh.services[i]!.padEnd(8)}  ` +
          `postcode read as ${r.perceived.value} (${r.perceived.confidence.toFixed(2)}) → ` +
          `${r.route.padEnd(7)} (rule ${r.ruleId});  true: ${r.trueDigit} → ${r.trueRoute}`,
      );
    });

    // The least sure read: a person looks at the image and sets the postcode. explain says
    // what was perceived, what was set, and decides with the digit set.
    const unsure = routed.reduce((a, b) =>
      b.perceived.confidence < a.perceived.confidence ? b : a,
    );
    const row = routed.indexOf(unsure) + 1;
    console.log(`\n${unsure.image}, with its postcode set to ${unsure.trueDigit} by a person:`);
    const { explanation } = await explainRecord(
      location,
      { input, row },
      { set: [`postcode=${unsure.trueDigit}`], backend: 'wasm' },
    );
    console.log(formatExplanation(explanation));
    return {
      conceptAccuracy: postcode.accuracy!,
      rules: metrics.ruleCount,
      rulesAccuracy: metrics.rulesAccuracy,
      routed,
      explanation,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A line of `predict`'s output for a model with concepts. */
interface Decided {
  perceived: { postcode: { value: string; confidence: number } };
  class: string;
  ruleId: string;
}

const imageName = (i: number): string => `${String(i + 1).padStart(4, '0')}.png`;

/**
 * Write `parcels` into `dir`: each postcode image as `NAME/0001.png` ..., and `NAME.csv`
 * with the columns `image` (the path, relative to the CSV), `weight`, `service` and, for
 * training (`labelled`), the postcode digit and the route. Returns the CSV's path.
 */
async function writeParcels(
  dir: string,
  name: string,
  parcels: Parcels,
  labelled: boolean,
): Promise<string> {
  fs.mkdirSync(path.join(dir, name));
  const lines = [labelled ? 'image,weight,service,postcode,route' : 'image,weight,service'];
  for (let i = 0; i < parcels.routes.length; i++) {
    const image = `${name}/${imageName(i)}`;
    await writeGreyPng(path.join(dir, image), parcels.images.pixels[i]!, parcels.images);
    const row = [image, parcels.weights[i]!.toFixed(1), parcels.services[i]!];
    if (labelled) row.push(String(parcels.images.labels[i]), parcels.routes[i]!);
    lines.push(row.join(','));
  }
  const file = path.join(dir, `${name}.csv`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
