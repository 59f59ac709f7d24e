/**
 * The engine's public API (STUB: signatures agreed between teams; the engine owner implements).
 * Pure Node: no Electron. The Electron main process, the `portseg` CLI and the tests all use it.
 */
import type {
  DownsampleRatio,
  EngineOptions,
  EngineStatus,
  Frame,
  Matte,
  MatteResult,
  ModelInterface,
  ProviderReport,
  ResetReason,
} from './types.js'

export * from './types.js'

export interface OpenEngineOptions extends EngineOptions {
  /** Built inference worker (out/cli/inference.worker.js for the CLI/tests, out/main/… for the app). */
  workerPath: string
}

export interface MattingEngine {
  readonly modelInterface: ModelInterface
  readonly provider: ProviderReport
  /** Sequential use (CLI, tests): every frame is processed, in order; never drops. */
  process(frame: Frame): Promise<Matte>
  /** Real-time use: flow-limited (1 in flight, newest 1 queued, older ones dropped); never throws. */
  submit(frame: Frame): void
  /** Every submitted frame produces exactly one result: ok, dropped or failed. Returns an unsubscribe. */
  onResult(listener: (result: MatteResult) => void): () => void
  resetState(reason: ResetReason): void
  setDownsampleRatio(ratio: DownsampleRatio): void
  status(): EngineStatus
  /** Idempotent. */
  close(): Promise<void>
}

export async function openEngine(_options: OpenEngineOptions): Promise<MattingEngine> {
  throw new Error('openEngine: not implemented yet')
}
