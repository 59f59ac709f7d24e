import { z } from 'zod'

/**
 * Messages on the frame MessagePort between the renderer and the main process. Pixel buffers
 * travel as transferred ArrayBuffers (never through invoke). Every message names the frame's
 * `seq`, so the compositor joins frame n with matte n and fails closed when matte n is missing.
 *
 * renderer → main: 'frame' (camera pixels to matte), 'output' (composited pixels for the virtual camera)
 * main → renderer: 'matte' (alpha for frame seq), 'matte-missing' (no alpha will come for seq)
 */
export const FRAME_PROTOCOL_VERSION = 1

const dims = {
  seq: z.number().int().nonnegative(),
  width: z.number().int().min(2).max(7680),
  height: z.number().int().min(2).max(4320),
}

export const CameraFrameMessage = z.object({
  type: z.literal('frame'),
  ...dims,
  captureTimeUs: z.number().nonnegative(),
  format: z.literal('RGBA'),
  sourceId: z.string().max(512).optional(),
  data: z.instanceof(ArrayBuffer),
})
export type CameraFrameMessage = z.infer<typeof CameraFrameMessage>

export const OutputFrameMessage = z.object({
  type: z.literal('output'),
  ...dims,
  captureTimeUs: z.number().nonnegative(),
  format: z.literal('RGBA'),
  /** true when this frame is the privacy frame / last good composite rather than a fresh one */
  isFallback: z.boolean(),
  data: z.instanceof(ArrayBuffer),
})
export type OutputFrameMessage = z.infer<typeof OutputFrameMessage>

export const MatteTimingsSchema = z.object({
  inferenceMs: z.number(),
  preprocessMs: z.number(),
  postprocessMs: z.number(),
  totalMs: z.number(),
  roundTripMs: z.number().optional(),
})

export const MatteMessage = z.object({
  type: z.literal('matte'),
  ...dims,
  captureTimeUs: z.number().nonnegative(),
  /** width*height bytes, 255 = person */
  alpha: z.instanceof(ArrayBuffer),
  /** width*height*3 RGB foreground (RVM), when available */
  foreground: z.instanceof(ArrayBuffer).optional(),
  timings: MatteTimingsSchema,
  stateReset: z.string().optional(),
})
export type MatteMessage = z.infer<typeof MatteMessage>

export const MatteMissingMessage = z.object({
  type: z.literal('matte-missing'),
  seq: z.number().int().nonnegative(),
  reason: z.enum(['busy', 'superseded', 'closed', 'failed', 'effects-off']),
  message: z.string().optional(),
})
export type MatteMissingMessage = z.infer<typeof MatteMissingMessage>

export const ToMainMessage = z.discriminatedUnion('type', [CameraFrameMessage, OutputFrameMessage])
export type ToMainMessage = z.infer<typeof ToMainMessage>
export const ToRendererMessage = z.discriminatedUnion('type', [MatteMessage, MatteMissingMessage])
export type ToRendererMessage = z.infer<typeof ToRendererMessage>

/** Checks buffer sizes that the schema alone cannot (RGBA = 4 bytes per pixel, alpha = 1). */
export function frameBufferProblem(m: { width: number; height: number; data: ArrayBuffer }, bytesPerPixel: number): string | null {
  const want = m.width * m.height * bytesPerPixel
  return m.data.byteLength === want ? null : `expected ${want} bytes for ${m.width}x${m.height}, got ${m.data.byteLength}`
}
