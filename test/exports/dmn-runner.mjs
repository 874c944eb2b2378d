// Runs a DMN decision table as bpmn-io's own libraries read it, outside jest (dmn-moddle
// and feelin ship ES modules only, which Node runs but jest's CommonJS runtime does not).
// Reads {"xml": "...", "records": [{...}, ...]} on standard input; writes the table as
// dmn-moddle loaded it (with its warnings) and, per record, the first row (hit policy
// FIRST) whose every input entry feelin's unaryTest accepts: its outputs, or null.
import { DmnModdle } from 'dmn-moddle';
import { unaryTest } from 'feelin';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const { xml, records } = JSON.parse(input);
const { rootElement, warnings } = await new DmnModdle().fromXML(xml, 'dmn:Definitions');
const t = rootElement.drgElement[0].decisionLogic;
const table = {
  hitPolicy: t.hitPolicy,
  inputs: t.input.map((i) => ({
    text: i.inputExpression.text,
    typeRef: i.inputExpression.typeRef,
  })),
  outputs: t.output.map((o) => o.name),
  annotations: (t.annotation ?? []).map((a) => a.name),
  rules: t.rule.map((r) => ({
    inputs: r.inputEntry.map((e) => e.text),
    outputs: r.outputEntry.map((e) => e.text),
    annotations: (r.annotationEntry ?? []).map((e) => e.text),
  })),
};
const feelWarnings = [];
const decisions = records.map((record) => {
  for (const rule of table.rules) {
    const hit = rule.inputs.every((test, i) => {
      const result = unaryTest(test, { '?': record[table.inputs[i].text] ?? null });
      if (result.warnings.length) feelWarnings.push({ test, warnings: result.warnings });
      return result.value === true;
    });
    if (hit) return rule.outputs.map((o) => JSON.parse(o));
  }
  return null;
});
process.stdout.write(
  JSON.stringify({ warnings: warnings.map(String), feelWarnings, table, decisions }),
);
