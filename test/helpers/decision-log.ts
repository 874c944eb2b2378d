import * as fs from 'node:fs';

/** One decision-log line as `neurules serve --decision-log` writes it. */
export function decisionLogLine(entry: {
  time: string;
  ruleSet: string;
  ruleId: string;
  class: string;
  requestId?: string;
  inputs?: Record<string, unknown>;
}): string {
  const { requestId = '0', inputs = {}, ...rest } = entry;
  return JSON.stringify({
    time: rest.time,
    requestId,
    ruleSet: rest.ruleSet,
    ruleId: rest.ruleId,
    class: rest.class,
    inputs,
  });
}

/** Write a decision log: one line per entry (strings are written as they are). */
export function writeDecisionLog(
  file: string,
  lines: (string | Parameters<typeof decisionLogLine>[0])[],
): void {
  fs.writeFileSync(
    file,
    lines.map((l) => (typeof l === 'string' ? l : decisionLogLine(l))).join('\n') + '\n',
  );
}
