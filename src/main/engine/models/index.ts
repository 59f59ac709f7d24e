/** STUB (model-registry owner implements): the model registry and manager. */
import type { ModelInterface } from '../types.js'

export type ModelOrigin = 'built-in' | 'downloaded' | 'imported'

export interface ResolvedModel {
  id: string | null
  name: string
  path: string
  interface: ModelInterface['kind']
  origin: ModelOrigin | 'file'
  license: string
}

/** Accepts a registry id or a path to an .onnx file. Throws MODEL_UNKNOWN_ID / MODEL_NOT_FOUND. */
export async function resolveModel(ref: string): Promise<ResolvedModel> {
  return { id: null, name: ref, path: ref, interface: 'segmentation', origin: 'file', license: 'unknown' }
}

/** The id used when nothing is chosen: a built-in model, so first launch needs no download. */
export const DEFAULT_MODEL_ID = 'mediapipe-selfie-landscape'
