/**
 * neurules: a TensorFlow.js network distilled into readable json-rules-engine rules.
 * Every export by name; each stage can be used alone on plain data.
 */
export {
  ERROR_AREAS,
  ERROR_CATALOGUE,
  NeurulesError,
  formatIssue,
  formatPath,
  isNeurulesError,
  type ErrorCode,
  type ErrorEntry,
  type ErrorPlace,
  type Issue,
  type IssuePath,
  type Result,
} from './errors';
export { createRandom, type Random } from './random';

// data
export * from './data';

// teacher
export {
  BACKEND_CHOICES,
  selectBackend,
  trainTeacher,
  refitTeacher,
  shapeTeacher,
  saveTeacher,
  loadTeacher,
  DEFAULT_TRAINING,
  type BackendChoice,
  type BackendInfo,
  type Teacher,
  type TrainOptions,
  type TrainProgress,
  type TrainingSummary,
  type ShapeOptions,
} from './teacher';

// distill
export {
  checkDistillOptions,
  distill,
  hardLabels,
  type DistillOptions,
  type Distillation,
} from './distill/distill';
export { balancedClassWeights, growTree, type GrowOptions } from './distill/grow-tree';
export { refineTree, type RefineOptions } from './distill/refine-tree';
export {
  pruningSequence,
  mergeSameClassLeaves,
  compactTree,
  leafCount,
} from './distill/prune-tree';
export { perturbRecords, type PerturbOptions } from './distill/sample-records';
export { leafOf, leavesOf, predictTree } from './distill/predict-tree';
export { toColumns } from './distill/tree-columns';
export { growMlCart } from './distill/ml-cart-learner';
export { toMlCartModel, type MlCartModel } from './distill/export-ml-cart';
export type {
  CategoricalTest,
  DistillReport,
  LeafStats,
  Learner,
  ProbabilityOracle,
  Sampling,
  FeatureSpec,
  NumericTest,
  SplitTest,
  TrainingColumns,
  Tree,
  TreeNode,
} from './distill/types';

// perception
export { decodeImages, IMAGE_DECODING, type DecodeImagesOptions } from './perception/decode-images';
export {
  checkConceptLabels,
  parseConceptDeclaration,
  parseConceptShape,
  parseInterventions,
  resolveConcepts,
  type Concept,
  type ConceptInput,
  type Shape,
} from './perception/concepts';
export { separateConcepts, withPerceived, type ConceptData } from './perception/concept-table';
export {
  describePerceived,
  readPerceived,
  type PerceivedConcept,
  type PerceivedFacts,
} from './perception/perceived';
export {
  PerceptionFront,
  type ConceptSpec,
  type PerceiveOptions,
  type PerceptionSpec,
} from './perception/perception-front';
export { loadPerceiver, savePerceiver } from './perception/perceiver-io';
export {
  trainPerceiver,
  type Perceiver,
  type PerceiverOptions,
} from './perception/train-perceiver';

// rules
export { compileTree, DISTILLED_PRIORITY } from './rules/compile-tree';
export {
  countConditions,
  describeCondition,
  describeRule,
  describeComparison,
  type DescribeOptions,
} from './rules/describe-rule';
export {
  DECISION_EVENT,
  type DecisionParams,
  type NeurulesRule,
  type RuleSet,
} from './rules/types';

// engine
export { RuleEngine } from './engine/rule-engine';
export type { ConditionResult, Decider, Decision, RuleTrace } from './engine/types';
export { runExamples, type ExampleResult, type ExamplesRun } from './engine/run-examples';
export {
  evaluatorOf,
  explainDecision,
  formatExplanation,
  type Explanation,
  type ExplainedCondition,
  type ExplainOptions,
  type NetworkOpinion,
  type OverrideNote,
} from './engine/explain-decision';
export { findCounterfactuals, type Counterfactual } from './engine/find-counterfactuals';
export { principalReasons, type PrincipalReason } from './engine/principal-reasons';

// regions (exact set algebra on rule conditions)
export {
  regionOf,
  regionContains,
  intersectRegions,
  subtractRegions,
  type Box,
  type Region,
} from './regions/region';
export { ruleRegions, type RuleRegion } from './regions/rule-regions';
export { nearestValue, type Move, type MoveRules } from './regions/nearest-value';
export { enterBox, type BoxEntry, type FeatureChange } from './regions/enter-box';
export { decisiveFields } from './regions/decisive-fields';
export type { Interval as ValueInterval, ValueSet } from './regions/value-set';

// audit
export {
  agreement,
  classFidelity,
  computeMetrics,
  differences,
  formatMetricsTable,
  ruleSetSize,
} from './audit/metrics';
export {
  overrideImpact,
  formatImpactTable,
  type FormatImpactOptions,
  type OverrideImpact,
  type OverrideImpactInput,
  type OverrideImpactItem,
} from './audit/override-impact';

// artifacts
export {
  checkModelName,
  loadModel,
  loadModelFiles,
  loadRuleSet,
  modelPaths,
  saveModel,
  checkRulesReplaceable,
  inspectRulesFile,
  FORMAT_VERSIONS,
  MODEL_NAME_PATTERN,
  type LoadedModel,
  type LoadOptions,
  type RulesFileState,
  type SaveOptions,
  type SaveResult,
  type SaveStep,
} from './artifacts/model-store';
export { lockModel, type ModelLock } from './artifacts/model-lock';
export type {
  ManifestData,
  Metrics,
  ModelArtifacts,
  ModelLocation,
  ModelManifest,
  OverrideMetrics,
} from './artifacts/types';
export { ruleSetHash, canonicalJson } from './artifacts/rule-set-hash';
export { readArtifact } from './artifacts/read-artifact';

// pipeline
export {
  buildModel,
  type BuildOptions,
  type BuildProgress,
  type BuildResult,
} from './pipeline/build-model';
export {
  distillNetwork,
  type ShapingReport,
  type TeacherShaping,
} from './pipeline/distill-network';
export {
  trainAndDistill,
  joinTables,
  type Refit,
  type TrainAndDistillOptions,
  type TrainedAndDistilled,
} from './pipeline/train-and-distill';
export { openModel, type OpenModel } from './pipeline/open-model';
export {
  loadDecisionData,
  loadModelData,
  loadTrainingRecords,
  type ConceptReadings,
  type ModelData,
} from './artifacts/model-data';
export { perceiveModel } from './pipeline/perceive-model';
export { perceiveFile, type PerceiveSummary } from './predict/perceive-file';
export { explainRecord, type RecordSource } from './pipeline/explain-record';
export { explainLogged, formatLogged, type LoggedContext } from './pipeline/explain-logged';
export { replayDecisions } from './pipeline/replay-decisions';
export { auditModel, type AuditModelOptions } from './pipeline/audit-model';
export {
  exportModel,
  EXPORT_FORMATS,
  type ExportFormat,
  type ExportOptions,
} from './pipeline/export-model';
export {
  CLASS_COLUMN,
  ERROR_COLUMN,
  quoteIdentifier,
  quoteString,
  RULE_COLUMN,
  ruleSetToSql,
  SQL_DIALECTS,
  type SqlDialect,
  type SqlOptions,
} from './exports/to-sql';
export {
  DMN_NAMESPACE,
  type DmnOptions,
  FEEL_NAME_FORMS,
  type FeelNameForm,
  feelNameProblem,
  feelNumber,
  ruleSetToDmn,
} from './exports/to-dmn';
export { lintModelOverrides } from './pipeline/lint-model-overrides';
export { formatLint, lintErrors, type OverridesLint } from './overrides/lint-report';
export { testOverrides } from './pipeline/test-overrides';
export { measureImpact, type ModelImpact } from './pipeline/measure-impact';
export {
  acceptRules,
  formatAcceptance,
  type AcceptOptions,
  type RulesAcceptance,
} from './pipeline/accept-rules';
export {
  promoteRules,
  formatPromotion,
  type PromoteOptions,
  type RulesPromotion,
} from './pipeline/promote-rules';
export {
  openChallenger,
  CHALLENGER_PREFIX_DIGITS,
  type Challenger,
  type ChallengerSource,
} from './pipeline/open-challenger';
export { schemaDifferences } from './data/schema-differences';
export { shadowAgreement } from './audit/shadow-agreement';
export {
  appendChange,
  CHANGES_VERSION,
  type ChangeEntry,
  type ChangesRead,
  type EditImpact,
  type OverridesSaveEntry,
  readChanges,
  type RuleChanges,
  type RulesAcceptEntry,
  type RulesPromoteEntry,
  checkAuthor,
  checkReason,
} from './artifacts/changes-log';
export {
  decideProposal,
  formatProposal,
  listModelProposals,
  type ProposalDecision,
  proposeOverrides,
  type ReviewOptions,
} from './pipeline/review-overrides';
export {
  listProposals,
  PROPOSAL_VERSION,
  readProposal,
  type StudioProposal,
  type StudioProposals,
} from './studio/proposals';
export {
  compileRuleSet,
  safeCompileRuleSet,
  CompiledRules,
  type CompileOptions,
  type Facts,
} from './engine/compiled-rules';
export { predictFile, type PredictFileOptions, type PredictSummary } from './predict/predict-file';
export { predictModel } from './pipeline/predict-model';
export { predictFileDuckDb, type PredictDuckDbOptions } from './predict/predict-duckdb';
export {
  DEFAULT_ENGINE,
  ENGINE_NAMES,
  ENGINES,
  type EngineName,
  RECORD_ENGINE_NAMES,
  type RecordEngineName,
} from './predict/engines';
export { OUTPUT_FORMATS, type OutputFormat } from './predict/decision-output';
export { createApp, type AppOptions, type NeurulesApp } from './server/create-app';
export {
  DecisionLog,
  REDACTED,
  type DecisionLogEntry,
  type DecisionLogOptions,
  type ShadowDecision,
} from './audit/decision-log';
export {
  parseOverrides,
  OVERRIDE_LIMITS,
  type Override,
  type WrittenCondition,
  type WrittenScalar,
} from './overrides/parse-overrides';
export {
  loadOverrides,
  safeLoadOverrides,
  loadOverridesAsync,
  safeLoadOverridesAsync,
  type OverridesLoad,
  mergeOverrides,
  hitOrder,
} from './overrides/merge-overrides';
export { lintOverrides, exampleRecord, type LintFinding } from './overrides/lint-overrides';
export {
  suspiciousValues,
  type SuspiciousCode,
  type SuspiciousValue,
} from './overrides/suspicious-values';
export { gatherAudit, type AuditInput, type AuditedModel } from './audit/gather-audit';
export { readDecisionLog, type DecisionLogRead } from './audit/read-decision-log';
export {
  logLines,
  parseLogLine,
  loggedRecord,
  readLoggedDecision,
  type LinePlace,
  type LoggedDecision,
} from './audit/log-lines';
export {
  allReproduced,
  formatReplay,
  replayLog,
  replaySummary,
  type NotReplayableLine,
  type Outcome,
  type ReplayDifference,
  type ReplayedRuleSet,
  type ReplayReport,
  type ReplayRequest,
  type RuleSetInForce,
  type UnknownRuleSetLine,
} from './audit/replay-log';
export { wilsonInterval } from './audit/wilson-interval';
export {
  fairnessByGroup,
  findDisparities,
  planFairness,
  FOUR_FIFTHS,
  type FairnessInput,
  type FairnessOptions,
  type FairnessPlan,
} from './audit/fairness';
export { bandList, quartileBands, type Bands } from './audit/bands';
export { renderHtml } from './report/render-html';
export { renderMarkdown } from './report/render-markdown';
export {
  renderReport,
  reportFormat,
  REPORT_FORMATS,
  type ReportFormat,
} from './report/render-report';
export { replaceDirAtomic, writeFileAtomic, writeOutputFile } from './files/write-atomic';
export {
  outputTarget,
  type OutputTarget,
  type ReplacedFile,
  type WriteThrough,
} from './files/output-target';
export {
  readRegularFile,
  readRegularFileAsync,
  listFolderFiles,
  listFolderFilesAsync,
  type ReadRegularFileOptions,
  type ListedFile,
  type FolderListing,
} from './files/regular-files';
export { treeView } from './audit/tree-view';
export type * from './audit/types';
