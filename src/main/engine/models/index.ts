/**
 * The model registry and manager (public entry). Built-in models ship with the app; the official
 * Robust Video Matting files are downloaded on request (verified); any drivable .onnx or the RVM
 * TF.js release can be imported. See catalogue.ts for the known models.
 */
export {
  CATALOGUE,
  MODEL_ID_PATTERN,
  PERMISSIVE_LICENSES,
  RVM_RELEASE_BASE_URL,
  findCatalogueEntry,
  isPermissive,
  type CatalogueEntry,
  type InterfaceKind,
  type ModelLicense,
  type ModelOrigin,
  type ModelSource,
  type RecommendedResolution,
} from './catalogue.js'
export { PART_SUFFIX, downloadFile, formatBytes, sha256File, type DownloadOptions, type DownloadProgress, type DownloadResult } from './download.js'
export { importModel, planImport, type ImportOptions, type ImportPlan, type ImportPrecision } from './import.js'
export { findLicense } from './license.js'
export { loadManifest, type InstalledRecord, type ManifestRecovery } from './manifest.js'
export {
  describeResolution,
  downloadModel,
  downloadTerms,
  listModels,
  removeModel,
  resolveModel,
  resolveStore,
  verifyModels,
  type DownloadModelOptions,
  type DownloadModelResult,
  type ListOptions,
  type ModelInfo,
  type ResolvedModel,
  type StoreOptions,
  type VerifyResult,
} from './store.js'

/** The id used when nothing is chosen: a built-in model, so first launch needs no download. One
 *  definition, shared with the settings schema. */
export { DEFAULT_MODEL_ID } from '../../../shared/settings.js'
