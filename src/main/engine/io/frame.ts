import { PortsegError } from '../../../shared/errors.js'
import type { Frame, PixelFormat } from '../types.js'

/** Bytes per pixel of each frame format. */
export function bytesPerPixel(format: PixelFormat): 3 | 4 {
  return format === 'RGBA' ? 4 : 3
}

/**
 * Checks a frame's shape before anything indexes into it, so a bad buffer becomes a clear
 * FRAME_INVALID instead of garbage output or an out-of-range read.
 */
export function validateFrame(frame: Frame, where = 'frame'): void {
  const { width, height, format, data } = frame
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new PortsegError('FRAME_INVALID', `${where}: width and height must be positive integers (got ${String(width)}x${String(height)})`)
  }
  if (format !== 'RGB' && format !== 'RGBA') {
    throw new PortsegError('FRAME_INVALID', `${where}: format must be 'RGB' or 'RGBA' (got ${JSON.stringify(format)})`)
  }
  if (!(data instanceof Uint8Array)) {
    throw new PortsegError('FRAME_INVALID', `${where}: data must be a Uint8Array (got ${typeof data})`)
  }
  const expected = width * height * bytesPerPixel(format)
  if (data.length !== expected) {
    throw new PortsegError(
      'FRAME_INVALID',
      `${where}: data has ${data.length} bytes but a ${width}x${height} ${format} frame needs ${expected}`,
    )
  }
  if (!Number.isFinite(frame.seq) || !Number.isFinite(frame.captureTimeUs)) {
    throw new PortsegError('FRAME_INVALID', `${where}: seq and captureTimeUs must be finite numbers (got ${String(frame.seq)}, ${String(frame.captureTimeUs)})`)
  }
}
