/** Messages between the engine (caller's thread) and inference.worker.ts. Pixel buffers are transferred. */
import type { ErrorInfo } from '../../shared/errors.js'
import type { DownsampleRatio, Frame, Matte, ModelInterface, ProviderPreference, ProviderReport, RefineOptions, ResetReason } from './types.js'

export interface WorkerOpenOptions {
  modelPath: string
  provider: ProviderPreference
  downsampleRatio: DownsampleRatio
  cpuThreads?: number
  cpuSpinning?: boolean
  refine: RefineOptions
  foreground: boolean
  sceneCutThreshold?: number
  pauseResetMs: number
}

export type ToWorker =
  | { type: 'open'; options: WorkerOpenOptions }
  | { type: 'frame'; id: number; frame: Frame }
  | { type: 'reset'; reason: ResetReason }
  | { type: 'set-ratio'; ratio: DownsampleRatio }
  | { type: 'close' }
  /** Test hook: the worker exits abruptly, as a native crash would end it. */
  | { type: 'crash' }

export type FromWorker =
  | { type: 'ready'; modelInterface: ModelInterface; provider: ProviderReport }
  | { type: 'open-failed'; error: ErrorInfo }
  | { type: 'result'; id: number; ok: true; matte: Matte; downsampleRatio: number | null }
  | { type: 'result'; id: number; ok: false; error: ErrorInfo }
  | { type: 'closed' }
