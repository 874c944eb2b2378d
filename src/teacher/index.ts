/**
 * The teacher stage: a TensorFlow.js network trained on a {@link Table}, whose class
 * probabilities the distill stage turns into a decision tree.
 */
export {
  BACKEND_CHOICES,
  currentBackend,
  ensureBackend,
  selectBackend,
  tf,
  type BackendChoice,
  type BackendInfo,
} from './backend';
export {
  createTeacher,
  type Selection,
  type Teacher,
  type TrainingParameters,
  type TrainingSummary,
} from './create-teacher';
export {
  createEncoder,
  encodeRecords,
  encoderFromSpec,
  specFromSchema,
  type Encoder,
  type EncoderSpec,
  type FeatureEncoding,
} from './encode';
export {
  directoryHandler,
  loadTeacher,
  saveTeacher,
  TEACHER_FILES,
  TEACHER_FORMAT,
  TEACHER_VERSION,
  type TeacherFile,
} from './model-io';
export { shapeTeacher, type ShapeOptions } from './shape-teacher';
export {
  buildNetwork,
  DEFAULT_TRAINING,
  fitNetwork,
  type FitResult,
  resolveParameters,
  trainTeacher,
  refitTeacher,
  holdoutSelection,
  classWeightsOf,
  resolveClassWeighting,
  type ClassWeighting,
  type TrainOptions,
  type TrainProgress,
} from './train-teacher';
