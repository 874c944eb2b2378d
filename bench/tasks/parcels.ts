/**
 * Parcels to route: a perception task. Each parcel has a handwritten postcode digit (an
 * image from digits.ts, the concept `postcode` read from its pixels), a weight and a
 * service level; the route follows from the digit, the weight and the service by five
 * rules (see {@link parcelRoute}). A build perceives the digit and distils rules over the
 * perceived digit and the plain columns, which the true logic here lets the bench score.
 *
 * Weights are skewed towards light parcels (most under 10 kg) but reach 40 kg, so about a
 * quarter are over the freight limit and the threshold has rows on both sides of it.
 * Half the parcels are express. With digits equally often, the routes' shares are about
 * freight 25%, east 23%, south 23%, north 19%, air 11%.
 */
import { createRandom } from '../../src/random';
import { generateDigits, writeDigitsCsv, type DigitImages, type DigitOptions } from './digits';

/** The routes, in the order the rules give them. */
export const ROUTES = ['freight', 'air', 'north', 'east', 'south'] as const;
/** A parcel's route. */
export type Route = (typeof ROUTES)[number];

/** The service levels. */
export const SERVICES = ['standard', 'express'] as const;
/** A parcel's service level. */
export type Service = (typeof SERVICES)[number];

/** Parcels heavier than this (kg) go by freight, whatever the postcode. */
export const FREIGHT_WEIGHT = 20;
/** The lightest and heaviest parcel, kg. */
const WEIGHT_RANGE = [0.5, 40] as const;
/** Weights are `min + (max - min) · u^SKEW` for a uniform u: light parcels are common. */
const WEIGHT_SKEW = 2.5;
/** Share of express parcels. */
const EXPRESS_SHARE = 0.5;
/**
 * Mixed into the seed for weights and services, so that the images are exactly
 * `generateDigits(count, seed)`'s and the two draws do not share a stream.
 */
const PARCEL_STREAM = 0x5bd1e995;

/**
 * The true route of a parcel, the first rule that holds:
 *
 * 1. weight > 20 → `freight`
 * 2. service = express and postcode ≤ 2 → `air`
 * 3. postcode ≤ 3 → `north`
 * 4. postcode ≤ 6 → `east`
 * 5. otherwise (postcode 7–9) → `south`
 *
 * (As a decision tree, six leaves: `north` is reached twice, by standard parcels of 0–2 and
 * by postcode 3.)
 *
 * @throws Error for a postcode that is not a digit 0–9 or an unknown service
 */
export function parcelRoute(postcode: number, weight: number, service: string): Route {
  if (!Number.isInteger(postcode) || postcode < 0 || postcode > 9)
    throw new Error(`a postcode is a digit 0–9, found ${postcode}`);
  if (!(SERVICES as readonly string[]).includes(service))
    throw new Error(`a service is one of ${SERVICES.join(', ')}, found '${service}'`);
  if (weight > FREIGHT_WEIGHT) return 'freight';
  if (service === 'express' && postcode <= 2) return 'air';
  if (postcode <= 3) return 'north';
  if (postcode <= 6) return 'east';
  return 'south';
}

/** Generated parcels: column arrays, one entry per parcel. */
export interface Parcels {
  /** The postcodes' images; `images.labels` are the postcode digits. */
  images: DigitImages;
  /** Weight in kg, one decimal, 0.5–40. */
  weights: number[];
  services: Service[];
  /** The true route, {@link parcelRoute} of the true digit. */
  routes: Route[];
}

/**
 * `count` parcels drawn with `seed`: the postcodes are `generateDigits(count, seed,
 * digitOptions)` (every digit equally often), weights and services drawn on their own
 * stream. The same arguments give the same parcels.
 *
 * @example
 * ```ts
 * const parcels = generateParcels(1500, 1, { height: 8, width: 8 });
 * writeParcelsCsv('parcels.csv', parcels);
 * ```
 */
export function generateParcels(
  count: number,
  seed: number,
  digitOptions: DigitOptions = {},
): Parcels {
  const images = generateDigits(count, seed, digitOptions);
  const rnd = createRandom((seed ^ PARCEL_STREAM) >>> 0);
  const [lo, hi] = WEIGHT_RANGE;
  const weights: number[] = [];
  const services: Service[] = [];
  for (let i = 0; i < count; i++) {
    weights.push(Math.round((lo + (hi - lo) * rnd.next() ** WEIGHT_SKEW) * 10) / 10);
    services.push(rnd.next() < EXPRESS_SHARE ? 'express' : 'standard');
  }
  const routes = images.labels.map((d, i) => parcelRoute(d, weights[i]!, services[i]!));
  return { images, weights, services, routes };
}

/**
 * Write parcels as a CSV file with the columns `postcode,px_0,...,px_{N-1},weight,service,route`
 * (weights with one decimal).
 */
export function writeParcelsCsv(file: string, parcels: Parcels): void {
  writeDigitsCsv(
    file,
    parcels.images,
    {
      weight: parcels.weights.map((w) => w.toFixed(1)),
      service: parcels.services,
      route: parcels.routes,
    },
    { label: 'postcode' },
  );
}
