/**
 * `count` valid overrides for the German credit model, as one YAML file: each with one
 * or two conditions (duration, credit amount, age or purpose, and often the checking
 * status), a class, and a priority of its own (so none conflicts), drawn from a fixed
 * seed. What a large policy file looks like to the studio's checks (tests and bench).
 */
export function manyOverrides(count: number, seed = 1, idPrefix = 'many'): string {
  let state = seed;
  // A small linear congruential generator: the same file for the same seed everywhere.
  const random = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
  const purposes = ['radio/tv', 'education', 'new car', 'used car', 'business'];
  const checking = ['<0', '0<=X<200', '>=200', 'no checking'];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const when: string[] = [];
    const kind = Math.floor(random() * 4);
    if (kind === 0) when.push(`duration: { '>': ${6 + Math.floor(random() * 60)} }`);
    if (kind === 1) when.push(`credit_amount: { '>': ${500 + Math.floor(random() * 15000)} }`);
    if (kind === 2) when.push(`age: { '<': ${19 + Math.floor(random() * 50)} }`);
    if (kind === 3) when.push(`purpose: { in: ['${pick(purposes)}'] }`);
    if (random() < 0.7) when.push(`checking_status: { equal: '${pick(checking)}' }`);
    out.push(
      `- id: ${idPrefix}-${i}\n  when:\n${when.map((w) => `    ${w}\n`).join('')}  then: { class: ${random() < 0.5 ? 'good' : 'bad'} }\n  priority: ${count - i + 100}\n`,
    );
  }
  return out.join('\n');
}

/**
 * `count` valid overrides for the German credit model that match no training record, shaped
 * like a hostile probe's file: each a range of `credit_amount` of its own above every
 * record's (the largest is 18,424), disjoint from the others, with a description, a class
 * (alternately good and bad), a priority of its own, a reason and an owner. Every one is an
 * OVERRIDE_DEAD finding with an example, none overlaps another: nothing a check can stop
 * early on. The ranges are 500 wide, 1,000 apart, so moving a bound by a few hundred keeps
 * each one valid and apart.
 */
export function deadOverrides(count: number, idPrefix = 'dead'): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const from = 20000 + 1000 * i;
    out.push(
      `- id: ${idPrefix}-${i}\n  description: d${i}\n  when:\n    credit_amount: { '>=': ${from}, '<': ${from + 500} }\n  then: { class: ${i % 2 ? 'bad' : 'good'} }\n  priority: ${200 + i}\n  reason: r\n  owner: o\n`,
    );
  }
  return out.join('\n');
}
