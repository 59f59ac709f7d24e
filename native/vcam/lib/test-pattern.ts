/**
 * A moving test pattern that carries its own frame counter, so a user (or a test) can see that a
 * meeting app really receives PortSeg's frames, in order.
 *
 * Layout for a W x H frame (W, H even):
 * - counter band, rows [0, bandHeight): 32 blocks of blockWidth px, MSB first; white = 1,
 *   black = 0 (large flat blocks survive YUV conversion and chroma subsampling);
 * - colour bars below it: 8 bars of barWidth px (white, yellow, cyan, green, magenta, red,
 *   blue, black), rotated left by counter % 8 so the picture visibly moves.
 * Block and bar edges fall on even columns, so no 2x2 chroma cell straddles two colours.
 */
import type { RgbaFrame } from './convert.js'

export const PATTERN_BITS = 32
export const PATTERN_BARS: readonly (readonly [number, number, number])[] = [
  [255, 255, 255],
  [255, 255, 0],
  [0, 255, 255],
  [0, 255, 0],
  [255, 0, 255],
  [255, 0, 0],
  [0, 0, 255],
  [0, 0, 0],
]

export interface PatternGeometry {
  blockWidth: number
  bandHeight: number
  barWidth: number
}

const even = (n: number): number => Math.max(2, Math.floor(n / 2) * 2)

export function patternGeometry(width: number, height: number): PatternGeometry {
  return { blockWidth: even(width / PATTERN_BITS), bandHeight: even(height / 8), barWidth: even(width / PATTERN_BARS.length) }
}

/** Index of the bar shown at bar position `i` for frame `counter`. */
export function barAt(i: number, counter: number): number {
  return (i + counter) % PATTERN_BARS.length
}

/** Draws frame `counter` into `out` (RGBA, width*height*4), allocating when not given. */
export function drawTestPattern(width: number, height: number, counter: number, out?: Uint8Array): RgbaFrame {
  const data = out ?? new Uint8Array(width * height * 4)
  const { blockWidth, bandHeight, barWidth } = patternGeometry(width, height)
  const row = new Uint8Array(width * 4)
  // counter band: build one row, copy it down
  row.fill(0)
  for (let x = 0; x < width; x++) {
    const bit = Math.floor(x / blockWidth)
    const on = bit < PATTERN_BITS && ((counter >>> (PATTERN_BITS - 1 - bit)) & 1) === 1
    const v = on ? 255 : 0
    row[x * 4] = v
    row[x * 4 + 1] = v
    row[x * 4 + 2] = v
    row[x * 4 + 3] = 255
  }
  for (let y = 0; y < bandHeight; y++) data.set(row, y * width * 4)
  for (let x = 0; x < width; x++) {
    const bar = Math.min(PATTERN_BARS.length - 1, Math.floor(x / barWidth))
    const c = PATTERN_BARS[barAt(bar, counter)] ?? [0, 0, 0]
    row[x * 4] = c[0]
    row[x * 4 + 1] = c[1]
    row[x * 4 + 2] = c[2]
    row[x * 4 + 3] = 255
  }
  for (let y = bandHeight; y < height; y++) data.set(row, y * width * 4)
  return { width, height, data }
}

/** Reads the counter back from an RGBA picture of the pattern (centre of each block, threshold at mid-grey). */
export function decodeTestPatternRgba(frame: RgbaFrame): number {
  const { blockWidth, bandHeight } = patternGeometry(frame.width, frame.height)
  const y = Math.floor(bandHeight / 2)
  let n = 0
  for (let bit = 0; bit < PATTERN_BITS; bit++) {
    const x = bit * blockWidth + Math.floor(blockWidth / 2)
    const i = (y * frame.width + x) * 4
    const luma = ((frame.data[i] ?? 0) + (frame.data[i + 1] ?? 0) + (frame.data[i + 2] ?? 0)) / 3
    n = n * 2 + (luma > 128 ? 1 : 0)
  }
  return n >>> 0
}
