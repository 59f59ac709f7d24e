// Guest side: checks raw YUYV frames captured from the virtual camera (v4l2-ctl --stream-to).
// An independent reading of the pattern spec in native/vcam/lib/test-pattern.ts: 32 counter
// blocks (white = 1) in the top band, 8 colour bars below rotated by counter % 8, converted with
// BT.601 limited range. Prints one JSON object.
//   node check-frames.mjs FILE WIDTH HEIGHT
import { readFileSync } from 'node:fs'

const [file, w, h] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])]
const BARS = [[255, 255, 255], [255, 255, 0], [0, 255, 255], [0, 255, 0], [255, 0, 255], [255, 0, 0], [0, 0, 255], [0, 0, 0]]
const even = (n) => Math.max(2, Math.floor(n / 2) * 2)
const blockWidth = even(w / 32), bandHeight = even(h / 8), barWidth = even(w / 8)
// BT.601 limited range, floating point (the reference the C++ fixed point must match)
const yuv = ([r, g, b]) => {
  const y = 0.299 * r + 0.587 * g + 0.114 * b
  return [16 + (219 * y) / 255, 128 + (224 * (b - y)) / (255 * 1.772), 128 + (224 * (r - y)) / (255 * 1.402)].map(Math.round)
}
const frameBytes = w * h * 2
const data = readFileSync(file)
const frames = Math.floor(data.length / frameBytes)
const at = (f, x, y) => { // Y, U, V at pixel (x, y) of frame f (YUYV: Y0 U Y1 V per pixel pair)
  const base = f * frameBytes + y * w * 2 + Math.floor(x / 2) * 4
  return [data[base + (x % 2) * 2], data[base + 1], data[base + 3]]
}
const result = { file, width: w, height: h, frames, bytes: data.length, placeholderFrames: 0, tornFrames: [], counters: [], maxBlockError: 0, maxBarError: 0, worst: null }
// The camera shows a flat dark-grey placeholder until its first frame; a consumer that starts
// at once may get it first. Leading placeholder frames are counted, not decoded.
const isPlaceholder = (f) => {
  const [y0] = at(f, 1, 1)
  for (let y = 1; y < h; y += 37) for (let x = 1; x < w; x += 41) if (at(f, x, y)[0] !== y0 || y0 === 16 || y0 === 235) return false
  return true
}
let start = 0
while (start < frames && isPlaceholder(start)) start++
result.placeholderFrames = start
for (let f = start; f < frames; f++) {
  let counter = 0, blockError = 0
  for (let bit = 0; bit < 32; bit++) {
    const [y, u, v] = at(f, bit * blockWidth + blockWidth / 2, bandHeight / 2)
    const one = y > 128
    counter = counter * 2 + (one ? 1 : 0)
    blockError = Math.max(blockError, Math.abs(y - (one ? 235 : 16)), Math.abs(u - 128), Math.abs(v - 128))
  }
  let barError = 0
  for (let i = 0; i < 8; i++) {
    const want = yuv(BARS[(i + counter) % 8])
    const got = at(f, i * barWidth + barWidth / 2, bandHeight + Math.floor((h - bandHeight) / 2))
    barError = Math.max(barError, ...got.map((g, k) => Math.abs(g - want[k])))
  }
  // A frame torn across the band and the bars: v4l2loopback lets the producer overwrite the ring
  // buffer a lagging reader holds (seen once in emulated guests under host load). Its bars are
  // exact for a nearby counter; counted apart, never averaged into the colour check.
  if (barError > 1) {
    const near = [1, -1, 2, -2, 3, -3, 4, -4].find((k) => BARS.every((_, i) => {
      const want = yuv(BARS[(((i + counter + k) % 8) + 8) % 8])
      const got = at(f, i * barWidth + barWidth / 2, bandHeight + Math.floor((h - bandHeight) / 2))
      return got.every((g, j) => Math.abs(g - want[j]) <= 1)
    }))
    if (near !== undefined) {
      result.tornFrames.push({ frame: f, counter, barsOfCounter: counter + near })
      result.counters.push(counter)
      continue
    }
  }
  result.counters.push(counter)
  if (blockError > result.maxBlockError || barError > result.maxBarError) result.worst = { frame: f, counter, blockError, barError }
  result.maxBlockError = Math.max(result.maxBlockError, blockError)
  result.maxBarError = Math.max(result.maxBarError, barError)
}
const c = result.counters
result.decoded = c.length
result.isNonDecreasing = c.every((n, i) => i === 0 || n >= c[i - 1])
result.distinct = new Set(c).size
result.first = c[0] ?? null
result.last = c[c.length - 1] ?? null
console.log(JSON.stringify(result))
