/**
 * The engine's public vocabulary. Everything here is plain data that can cross a worker
 * boundary or IPC (typed arrays transfer). See src/main/engine/README.md for the concepts.
 */

/** A camera frame, tightly packed, top row first. */
export interface Frame {
  /** Strictly increasing per source; the compositor joins frame n with matte n. */
  seq: number
  /** Capture time in microseconds on a monotonic clock (performance.now()*1000 or the camera's). */
  captureTimeUs: number
  width: number
  height: number
  /** 'RGBA' (4 bytes/px, what the renderer reads back) or 'RGB' (3 bytes/px, decoders). */
  format: PixelFormat
  data: Uint8Array
  /** Identifies the camera / stream; a change resets recurrent state. */
  sourceId?: string
}

export type PixelFormat = 'RGBA' | 'RGB'

/** A full-resolution alpha matte for one frame. */
export interface Matte {
  seq: number
  captureTimeUs: number
  width: number
  height: number
  /** width*height bytes, 255 = person. */
  alpha: Uint8Array
  /** RVM's predicted foreground colour, width*height*3 RGB, when the model provides it. */
  foreground?: Uint8Array
  timings: MatteTimings
  /** Set on the first frame after a recurrent-state reset. */
  stateReset?: ResetReason
}

export interface MatteTimings {
  /** Time spent in session.run only. */
  inferenceMs: number
  preprocessMs: number
  postprocessMs: number
  /** Whole engine step as seen by the worker (pre + inference + post + state). */
  totalMs: number
  /** From submit() on the caller's thread to the result arriving back there. */
  roundTripMs?: number
}

/**
 * What a consumer of mattes gets for every submitted frame. 'dropped' and 'failed' carry the
 * seq so the compositor can fail closed for exactly that frame.
 */
export type MatteResult =
  | { status: 'ok'; seq: number; matte: Matte }
  | { status: 'dropped'; seq: number; captureTimeUs?: number; reason: 'busy' | 'superseded' | 'closed' }
  | { status: 'failed'; seq: number; captureTimeUs?: number; error: { code: string; message: string } }

export type ResetReason =
  | 'start'
  | 'resolution-changed'
  | 'source-changed'
  | 'scene-cut'
  | 'pause'
  | 'requested'
  | 'model-changed'
  | 'ratio-changed'

export type DownsampleRatio = number | 'auto'

export type ProviderName = 'cuda' | 'dml' | 'coreml' | 'webgpu' | 'cpu'
export type ProviderPreference = 'auto' | ProviderName

export interface ProviderAttempt {
  provider: ProviderName
  ok: boolean
  /** Why it was skipped or failed, in words a user can act on. */
  reason: string
}

export interface ProviderReport {
  selected: ProviderName
  attempts: ProviderAttempt[]
}

/** How the engine drives a model, detected from its inputs and outputs (never its file name). */
export type ModelInterface = RecurrentMattingInterface | SegmentationInterface

export interface RecurrentMattingInterface {
  kind: 'recurrent-matting'
  /** fp16: src, states and outputs are float16; downsample_ratio stays float32. */
  precision: 'fp32' | 'fp16'
  inputNames: { src: string; r1i: string; r2i: string; r3i: string; r4i: string; downsampleRatio: string }
  outputNames: { fgr: string; pha: string; r1o: string; r2o: string; r3o: string; r4o: string }
}

export interface SegmentationInterface {
  kind: 'segmentation'
  layout: 'NHWC' | 'NCHW'
  /** Fixed network input size. */
  width: number
  height: number
  /** Size of the output mask when the model fixes it and it differs from the input; else the input size. */
  maskWidth?: number
  maskHeight?: number
  /** 'rgb01': RGB 0..1 stretched (MediaPipe). 'sinet': BGR, (x-mean)/(std*255). */
  preprocess: 'rgb01' | 'sinet'
  /** Output already a probability (sigmoid) or a 2-channel softmax whose channel 1 is person. */
  output: 'probability' | 'softmax2'
  inputName: string
  outputName: string
}

export interface EngineOptions {
  /** Path to an .onnx file (the CLI and app resolve registry ids first). */
  modelPath: string
  provider?: ProviderPreference
  downsampleRatio?: DownsampleRatio
  /** intra-op threads for the CPU provider; default chosen from measurements (engine/README.md). */
  cpuThreads?: number
  /** Let CPU threads spin between ops (lower latency, burns a core); default from measurements. */
  cpuSpinning?: boolean
  /** Return RVM's foreground colour (Matte.foreground) with each matte. Default false. */
  foreground?: boolean
  /** A gap in captureTimeUs longer than this resets the recurrent state. Default 1000. */
  pauseResetMs?: number
  /** Scene-cut sensitivity: mean block-luma change (0..255) that counts as a cut; 0 disables. Default 20. */
  sceneCutThreshold?: number
  /** Post-processing knobs for segmentation models. */
  refine?: RefineOptions
}

export interface RefineOptions {
  /** Edge-aware upsampling guided by the camera frame. */
  guidedFilter?: boolean
  /** Temporal smoothing that adapts to motion. */
  temporal?: boolean
}

/** Snapshot of what the engine is doing, for the status line and `portseg bench`. */
export interface EngineStatus {
  modelPath: string
  modelInterface: ModelInterface['kind']
  provider: ProviderReport
  downsampleRatio: number | null
  framesSubmitted: number
  framesProcessed: number
  framesDropped: number
  framesFailed: number
  lastInferenceMs: number | null
  lastTotalMs: number | null
  lastReset: ResetReason | null
  /** Set when the engine stopped serving (its worker died): every later frame fails with this. */
  failure?: { code: string; message: string } | null
  /** How often the inference worker was restarted after a crash. */
  workerRestarts?: number
}
