/**
 * Machines to look after: a perception task over a signal rather than an image. Each
 * machine has a window of 40 vibration samples (`v_0..v_39`, a plain vector: 40 is not a
 * square, so no shape is taken for it), the concept `vibration` read from them, plus its
 * temperature and its hours since service; the action follows from the three by four
 * rules (see {@link machineAction}).
 *
 * The window covers about four turns of the shaft. Every class has the shaft's sinusoid
 * at a random phase, with the shaft frequency, amplitudes and noise level jittered per
 * machine, so no class is one fixed waveform:
 * - `normal`: a weak shaft sinusoid and noise;
 * - `imbalance`: a strong shaft sinusoid;
 * - `bearing`: a weak shaft sinusoid plus sharp impulses (a fast ringing that dies out
 *   within a few samples) at a period unrelated to the shaft's;
 * - `loose`: the shaft's sinusoid with strong 2nd and 3rd harmonics, clipped flat at a
 *   share of its peak (the part knocks against its stop).
 *
 * Faulty machines run hotter, so temperature and vibration are related as in a plant.
 * The actions' shares are about run 25%, inspect 62%, stop 13%.
 */
import { createRandom, type Random } from '../../src/random';
import { writeConceptCsv } from './concept-csv';

/** The vibration classes. */
export const VIBRATIONS = ['normal', 'imbalance', 'bearing', 'loose'] as const;
/** A machine's vibration class. */
export type Vibration = (typeof VIBRATIONS)[number];

/** The actions. */
export const ACTIONS = ['run', 'inspect', 'stop'] as const;
/** What to do with a machine. */
export type Action = (typeof ACTIONS)[number];

/** Samples in a vibration window. */
export const WINDOW = 40;
/** A bearing or loose machine hotter than this (°C) is stopped. */
export const STOP_TEMPERATURE = 80;
/** A normal machine with more hours than this since service is inspected. */
export const SERVICE_HOURS = 5000;

/**
 * The true action for a machine, the first rule that holds:
 *
 * 1. vibration is bearing or loose and temperature > 80 → `stop`
 * 2. vibration is not normal → `inspect`
 * 3. hours > 5000 → `inspect`
 * 4. otherwise → `run`
 *
 * @throws Error for an unknown vibration class
 */
export function machineAction(vibration: string, temperature: number, hours: number): Action {
  if (!(VIBRATIONS as readonly string[]).includes(vibration))
    throw new Error(`a vibration is one of ${VIBRATIONS.join(', ')}, found '${vibration}'`);
  if ((vibration === 'bearing' || vibration === 'loose') && temperature > STOP_TEMPERATURE)
    return 'stop';
  if (vibration !== 'normal') return 'inspect';
  if (hours > SERVICE_HOURS) return 'inspect';
  return 'run';
}

/** Generated machines: column arrays, one entry per machine. */
export interface Machines {
  vibrations: Vibration[];
  /** One window per machine: {@link WINDOW} samples, at most 3 decimals. */
  signals: number[][];
  /** °C, one decimal. */
  temperatures: number[];
  /** Whole hours since service, 0–8000. */
  hours: number[];
  /** The true action, {@link machineAction} of the true vibration class. */
  actions: Action[];
}

/** The classes in the proportions drawn: normal 40%, each fault 20%. */
const CLASS_CYCLE: readonly Vibration[] = ['normal', 'normal', 'imbalance', 'bearing', 'loose'];
/** The shaft's frequency in cycles per sample (four turns in a window), ± {@link JITTER}. */
const SHAFT = 0.1;
/** Relative jitter of the shaft's and the impulses' frequency. */
const JITTER = 0.15;
/** Range of the noise's standard deviation. */
const NOISE: Range = [0.2, 0.35];
/** Temperature's mean and standard deviation by class (°C). */
const TEMPERATURE: Readonly<Record<Vibration, readonly [number, number]>> = {
  normal: [62, 9],
  imbalance: [68, 10],
  bearing: [76, 10],
  loose: [76, 10],
};
const MOST_HOURS = 8000;

type Range = readonly [number, number];

/**
 * `count` machines drawn with `seed`: normal 40% and each fault 20% (as near as `count`
 * allows) in a shuffled order. The same seed gives the same machines.
 *
 * @example
 * ```ts
 * const machines = generateMachines(1500, 1);
 * writeMachinesCsv('machines.csv', machines);
 * ```
 */
export function generateMachines(count: number, seed: number): Machines {
  const rnd = createRandom(seed);
  const vibrations = rnd.shuffle(Array.from({ length: count }, (_, i) => CLASS_CYCLE[i % 5]!));
  const signals: number[][] = [];
  const temperatures: number[] = [];
  const hours: number[] = [];
  for (const v of vibrations) {
    signals.push(drawSignal(v, rnd).map((x) => round(x, 3)));
    const [mean, sd] = TEMPERATURE[v];
    temperatures.push(round(Math.min(110, Math.max(20, mean + sd * rnd.normal())), 1));
    hours.push(rnd.int(MOST_HOURS + 1));
  }
  const actions = vibrations.map((v, i) => machineAction(v, temperatures[i]!, hours[i]!));
  return { vibrations, signals, temperatures, hours, actions };
}

/** One vibration window of class `v`. */
function drawSignal(v: Vibration, rnd: Random): number[] {
  const uniform = ([lo, hi]: Range): number => lo + (hi - lo) * rnd.next();
  const shaft = SHAFT * uniform([1 - JITTER, 1 + JITTER]);
  const sine = (amplitude: number, frequency: number): ((t: number) => number) => {
    const phase = 2 * Math.PI * rnd.next();
    return (t) => amplitude * Math.sin(2 * Math.PI * frequency * t + phase);
  };
  let clean: (t: number) => number;
  switch (v) {
    case 'normal':
      clean = sine(uniform([0.3, 0.7]), shaft);
      break;
    case 'imbalance':
      clean = sine(uniform([1.2, 2]), shaft);
      break;
    case 'bearing': {
      const base = sine(uniform([0.3, 0.7]), shaft);
      // About 6.5 samples apart: no multiple of the shaft's period of about 10.
      const period = 6.5 * uniform([1 - JITTER, 1 + JITTER]);
      const first = period * rnd.next();
      const height = uniform([2.2, 3.4]);
      clean = (t) => base(t) + impulses(t, first, period, height);
      break;
    }
    case 'loose': {
      const harmonics = [
        sine(uniform([0.8, 1.4]), shaft),
        sine(uniform([0.4, 0.9]), 2 * shaft),
        sine(uniform([0.3, 0.6]), 3 * shaft),
      ];
      const raw = (t: number): number => harmonics.reduce((s, h) => s + h(t), 0);
      const peak = Math.max(...Array.from({ length: WINDOW }, (_, t) => Math.abs(raw(t))));
      const limit = peak * uniform([0.6, 0.85]);
      clean = (t) => Math.min(limit, Math.max(-limit, raw(t)));
      break;
    }
  }
  const noise = uniform(NOISE);
  return Array.from({ length: WINDOW }, (_, t) => clean(t) + noise * rnd.normal());
}

/** A bearing's impulses at `first`, `first + period`, ...: each a fast ringing that dies out. */
function impulses(t: number, first: number, period: number, height: number): number {
  if (t < first) return 0;
  const since = (t - first) % period;
  return height * Math.exp(-since) * Math.cos(2 * Math.PI * 0.4 * since);
}

/** `x` rounded to `decimals` decimals, never -0. */
function round(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f + 0;
}

/**
 * Write machines as a CSV file with the columns
 * `vibration,v_0,...,v_39,temperature,hours,action` (temperatures with one decimal).
 */
export function writeMachinesCsv(file: string, machines: Machines): void {
  writeConceptCsv(file, {
    label: 'vibration',
    labels: machines.vibrations,
    prefix: 'v_',
    inputCount: WINDOW,
    inputs: machines.signals,
    extra: {
      temperature: machines.temperatures.map((t) => t.toFixed(1)),
      hours: machines.hours,
      action: machines.actions,
    },
  });
}
