/** Frame validation at the engine's boundary: bad frames get FRAME_INVALID, never a crash. */
import { PortsegError } from '../../shared/errors.js'
import type { Frame } from './types.js'

/** Smallest side the models can run on (RVM halves the frame four times). */
export const MIN_FRAME_SIDE_PX = 16
/** Largest side accepted (8K); larger frames are almost certainly a wrong width/height. */
export const MAX_FRAME_SIDE_PX = 8192

function invalid(message: string): PortsegError {
  return new PortsegError('FRAME_INVALID', message, {
    hints: ['Check the width, height and pixel format the frame source reports; the engine keeps serving other frames.'],
  })
}

/** Throws FRAME_INVALID describing the first problem found. */
export function checkFrame(frame: Frame): void {
  if (frame === null || typeof frame !== 'object') throw invalid(`Frame rejected: expected a frame object (got ${String(frame)}).`)
  const { width, height, format, data, seq } = frame
  const id = typeof seq === 'number' ? `Frame ${seq}` : 'Frame'
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw invalid(`${id} rejected: width and height must be positive integers (got ${String(width)}x${String(height)}).`)
  }
  if (width < MIN_FRAME_SIDE_PX || height < MIN_FRAME_SIDE_PX || width > MAX_FRAME_SIDE_PX || height > MAX_FRAME_SIDE_PX) {
    throw invalid(
      `${id} rejected: ${width}x${height} is outside the supported size (${MIN_FRAME_SIDE_PX}..${MAX_FRAME_SIDE_PX} px per side).`,
    )
  }
  if (format !== 'RGBA' && format !== 'RGB') throw invalid(`${id} rejected: format must be 'RGBA' or 'RGB' (got ${JSON.stringify(format)}).`)
  if (!(data instanceof Uint8Array)) throw invalid(`${id} rejected: data must be a Uint8Array (got ${data === null ? 'null' : typeof data}).`)
  const expected = width * height * (format === 'RGBA' ? 4 : 3)
  if (data.byteLength !== expected) {
    const detached = data.byteLength === 0 ? ' The buffer is empty: it may have been transferred to the engine by an earlier call (frames are transferred, not copied).' : ''
    throw invalid(
      `${id} rejected: a ${width}x${height} ${format} frame needs ${expected} bytes, the buffer has ${data.byteLength}.${detached}`,
    )
  }
  if (!Number.isFinite(frame.captureTimeUs)) throw invalid(`${id} rejected: captureTimeUs must be a finite number (got ${String(frame.captureTimeUs)}).`)
}
