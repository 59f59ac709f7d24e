/**
 * Stable error codes. The UI and the CLI key on the code; people read the message.
 * Messages say what failed (with the concrete value), why if known, and what to do.
 */
export const ErrorCodes = [
  // arguments at public boundaries: "<Api>.<method>: <param> must be <expected> (got <value>)"
  'BAD_ARGUMENT',
  // models
  'MODEL_NOT_FOUND',
  'MODEL_CORRUPT',
  'MODEL_INTERFACE_UNSUPPORTED',
  'MODEL_UNKNOWN_ID',
  'MODEL_CONVERT_UNSUPPORTED_OP',
  'MODEL_CONVERT_FAILED',
  'MODEL_DOWNLOAD_FAILED',
  'MODEL_HASH_MISMATCH',
  'MODEL_DOWNLOAD_TIMEOUT',
  'MODEL_IMPORT_REFUSED',
  'MODEL_LICENSE_NOT_ACCEPTED',
  'MODEL_DOWNLOAD_CANCELLED',
  'MODEL_REMOVE_REFUSED',
  // engine
  'ENGINE_PROVIDER_UNAVAILABLE',
  'ENGINE_CLOSED',
  'ENGINE_WORKER_FAILED',
  'ENGINE_INFERENCE_FAILED',
  'FRAME_INVALID',
  // inputs for the CLI
  'INPUT_NOT_FOUND',
  'INPUT_UNSUPPORTED',
  'INPUT_CORRUPT',
  'FFMPEG_MISSING',
  'OUTPUT_NOT_WRITABLE',
  // virtual camera
  'VCAM_NOT_SUPPORTED',
  'VCAM_MODULE_MISSING',
  'VCAM_NO_DEVICE',
  'VCAM_BUSY',
  'VCAM_PERMISSION',
  'VCAM_FORMAT_REJECTED',
  'VCAM_IO',
  'VCAM_CLOSED',
  'VCAM_ADDON_MISSING',
  // app
  'SETTINGS_INVALID',
  'SETTINGS_WRITE_FAILED',
  'IPC_REFUSED',
  'BACKGROUND_INVALID',
] as const

export type ErrorCode = (typeof ErrorCodes)[number]

export class PortsegError extends Error {
  readonly code: ErrorCode
  /** One line per suggested fix, shown under the message. */
  readonly hints: readonly string[]

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; hints?: readonly string[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'PortsegError'
    this.code = code
    this.hints = options.hints ?? []
  }

  /** Message plus hints, for a terminal or a dialog. */
  describe(): string {
    return this.hints.length === 0 ? this.message : `${this.message}\n${this.hints.map((h) => `  - ${h}`).join('\n')}`
  }
}

export function isPortsegError(e: unknown): e is PortsegError {
  return e instanceof PortsegError
}

/** Plain-data form of an error, for IPC, worker messages and JSON output. */
export interface ErrorInfo {
  code: ErrorCode | 'INTERNAL'
  message: string
  hints?: string[]
}

export function toErrorInfo(e: unknown): ErrorInfo {
  if (isPortsegError(e)) return { code: e.code, message: e.message, hints: [...e.hints] }
  if (e instanceof Error) return { code: 'INTERNAL', message: e.message }
  return { code: 'INTERNAL', message: String(e) }
}

export function fromErrorInfo(info: ErrorInfo, cause?: unknown): PortsegError | Error {
  if (info.code === 'INTERNAL') return new Error(info.message, cause === undefined ? undefined : { cause })
  return new PortsegError(info.code, info.message, { hints: info.hints ?? [], cause })
}

/** `<api>.<method>: <param> must be <expected> (got <value>)` */
export function badArgument(where: string, param: string, expected: string, got: unknown): PortsegError {
  const shown = typeof got === 'string' ? JSON.stringify(got) : String(got)
  return new PortsegError('BAD_ARGUMENT', `${where}: ${param} must be ${expected} (got ${shown})`)
}
