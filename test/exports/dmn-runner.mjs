// Runs a DMN decision table as bpmn-io's own libraries read it, outside jest (dmn-moddle
// and feelin ship ES modules only, which Node runs but jest's CommonJS runtime does not).
// Reads {"xml": "...", "records": [{...}, ...], "dialect": undefined | "camunda"} on
// standard input; writes the file as dmn-moddle loaded it (with its warnings) and, per
// record, what an engine decides: each input expression evaluated by feelin with the
// record as its context (the `camunda` dialect reads backtick names), then `{refused}`
// when a value is not among its input's allowed values (inputValues), else the outputs of
// the first row (hit policy FIRST) whose every input entry feelin's unaryTest accepts, or
// null when none does.
import { DmnModdle } from 'dmn-moddle';
import { evaluate, unaryTest } from 'feelin';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const { xml, records, dialect } = JSON.parse(input);
const { rootElement, warnings } = await new DmnModdle().fromXML(xml, 'dmn:Definitions');
const decision = rootElement.drgElement.find((e) => e.$type === 'dmn:Decision');
const t = decision.decisionLogic;
const table = {
  hitPolicy: t.hitPolicy,
  inputs: t.input.map((i) => ({
    label: i.label,
    text: i.inputExpression.text,
    typeRef: i.inputExpression.typeRef,
    allowed: i.inputValues?.text ?? null,
  })),
  outputs: t.output.map((o) => o.name),
  outputValues: t.output.map((o) => o.outputValues?.text ?? null),
  annotations: (t.annotation ?? []).map((a) => a.name),
  rules: t.rule.map((r) => ({
    description: r.description ?? null,
    inputs: r.inputEntry.map((e) => e.text),
    outputs: r.outputEntry.map((e) => e.text),
    annotations: (r.annotationEntry ?? []).map((e) => e.text),
  })),
};
const diagram = (rootElement.dmnDI?.diagrams ?? []).map((d) => ({
  shapes: d.diagramElements
    .filter((e) => e.$type === 'dmndi:DMNShape')
    .map((e) => ({ ref: e.dmnElementRef?.id ?? null, bounds: e.bounds ? { ...e.bounds } : null })),
  edges: d.diagramElements
    .filter((e) => e.$type === 'dmndi:DMNEdge')
    .map((e) => ({ ref: e.dmnElementRef?.id ?? null, waypoints: (e.waypoint ?? []).length })),
}));
const model = {
  id: rootElement.id,
  namespace: rootElement.namespace,
  decisionId: decision.id,
  requirements: (decision.informationRequirement ?? []).map((r) => r.requiredInput?.href),
  inputData: rootElement.drgElement
    .filter((e) => e.$type === 'dmn:InputData')
    .map((e) => ({ id: e.id, name: e.name, typeRef: e.variable?.typeRef })),
};
const feelWarnings = [];
const warn = (where, result) => {
  if (result.warnings.length) feelWarnings.push({ where, warnings: result.warnings.map(String) });
};
const decisions = records.map((record) => {
  const values = table.inputs.map((input) => {
    const result = evaluate(input.text, record, dialect);
    warn(input.text, result);
    return result.value ?? null;
  });
  const refused = table.inputs.findIndex((input, i) => {
    if (input.allowed === null) return false;
    const result = unaryTest(input.allowed, { '?': values[i] });
    warn(input.allowed, result);
    return result.value !== true;
  });
  if (refused >= 0) return { refused: table.inputs[refused].label };
  for (const rule of table.rules) {
    const hit = rule.inputs.every((test, i) => {
      const result = unaryTest(test, { '?': values[i] });
      warn(test, result);
      return result.value === true;
    });
    if (hit) return rule.outputs.map((o) => evaluate(o, {}).value);
  }
  return null;
});
process.stdout.write(
  JSON.stringify({
    warnings: warnings.map(String),
    feelWarnings,
    table,
    diagram,
    model,
    decisions,
  }),
);
