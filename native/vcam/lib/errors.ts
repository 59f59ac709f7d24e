/**
 * Typed errors of the virtual camera. native/vcam/lib is a leaf (it must not import src/), so it
 * has its own error class; the codes are the same strings as src/shared/errors.ts, so the app
 * can key on `code` without converting. `describe()` matches PortsegError's shape.
 */
export const VcamErrorCodes = [
  'BAD_ARGUMENT',
  'VCAM_NOT_SUPPORTED',
  'VCAM_MODULE_MISSING',
  'VCAM_NO_DEVICE',
  'VCAM_BUSY',
  'VCAM_PERMISSION',
  'VCAM_FORMAT_REJECTED',
  'VCAM_IO',
  'VCAM_CLOSED',
  'VCAM_ADDON_MISSING',
] as const

export type VcamErrorCode = (typeof VcamErrorCodes)[number]

export class VcamError extends Error {
  readonly code: VcamErrorCode
  /** One line per suggested fix. */
  readonly hints: readonly string[]
  /** errno name from the native call that failed ('EBUSY', 'EACCES' …), when there was one. */
  readonly errno?: string

  constructor(code: VcamErrorCode, message: string, options: { cause?: unknown; hints?: readonly string[]; errno?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'VcamError'
    this.code = code
    this.hints = options.hints ?? []
    if (options.errno !== undefined) this.errno = options.errno
  }

  describe(): string {
    return this.hints.length === 0 ? this.message : `${this.message}\n${this.hints.map((h) => `  - ${h}`).join('\n')}`
  }
}

export function isVcamError(e: unknown): e is VcamError {
  return e instanceof VcamError
}

/** `<api>.<method>: <param> must be <expected> (got <value>)` */
export function badArgument(where: string, param: string, expected: string, got: unknown): VcamError {
  const shown = typeof got === 'string' ? JSON.stringify(got) : got instanceof Uint8Array ? `${got.constructor.name}(${got.length})` : String(got)
  return new VcamError('BAD_ARGUMENT', `${where}: ${param} must be ${expected} (got ${shown})`)
}
