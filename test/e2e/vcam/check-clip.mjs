// Guest side: are the frames captured from the virtual camera the clip's frames? For each
// captured YUYV frame, finds the closest frame of the .y4m clip by mean |ΔY| over a sparse grid
// (the clip went YUV → RGB → YUV, so a few levels of difference are expected). Prints JSON.
//   node check-clip.mjs CAPTURE.yuyv CLIP.y4m [--frames N] [--after-us US --buffers V4L2CTL.log]
// --after-us is the producer's first-frame event (monotonicUs) and --buffers the stderr of
// `v4l2-ctl --verbose`, which stamps each dequeued buffer (CLOCK_MONOTONIC, as the event).
// Buffers stamped at or before the event were written before the first clip frame (or are it):
// they are dropped, counted in skippedBeforeFirstFrame, and the next N frames are checked.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { frames: { type: 'string' }, 'after-us': { type: 'string' }, buffers: { type: 'string' } },
})
const [capFile, clipFile] = positionals
const clip = readFileSync(clipFile)
const headerEnd = clip.indexOf(0x0a)
const header = clip.subarray(0, headerEnd).toString()
const w = Number(/ W(\d+)/.exec(header)[1])
const h = Number(/ H(\d+)/.exec(header)[1])
const lumas = []
for (let pos = headerEnd + 1; pos < clip.length; ) {
  const lineEnd = clip.indexOf(0x0a, pos)
  lumas.push(clip.subarray(lineEnd + 1, lineEnd + 1 + w * h))
  pos = lineEnd + 1 + (w * h * 3) / 2
}
const cap = readFileSync(capFile)
const frameBytes = w * h * 2
const captured = Math.floor(cap.length / frameBytes)
const result = { width: w, height: h, clipFrames: lumas.length, captured }

let first = 0
if (values['after-us'] !== undefined) {
  const afterUs = BigInt(values['after-us'])
  // "cap dqbuf: 3 seq:     12 bytesused: 460800 ts: 30.382865 ..." (one per buffer, in order)
  const stamps = [...readFileSync(values.buffers, 'utf8').matchAll(/cap dqbuf:.*? ts: (\d+)\.(\d{6})/g)].map((m) => BigInt(m[1]) * 1000000n + BigInt(m[2]))
  if (stamps.length !== captured) result.error = `${values.buffers} has ${stamps.length} buffer timestamps for ${captured} captured frames`
  while (first < stamps.length && stamps[first] <= afterUs) first++
  Object.assign(result, { afterUs: Number(afterUs), stampsUs: stamps.map(Number) })
}
const count = Math.min(captured - first, values.frames === undefined ? Infinity : Number(values.frames))
const diffs = []
const matches = []
// the dropped frames too, for the record (the placeholder is ~78 levels from the clip)
for (let f = 0; f < first + count; f++) {
  let best = Infinity
  let bestIndex = -1
  lumas.forEach((y, i) => {
    let sum = 0
    let n = 0
    for (let py = 3; py < h; py += 11) {
      for (let px = 5; px < w; px += 13) {
        sum += Math.abs(cap[f * frameBytes + py * w * 2 + px * 2] - y[py * w + px])
        n++
      }
    }
    if (sum / n < best) [best, bestIndex] = [sum / n, i]
  })
  diffs.push(Number(best.toFixed(2)))
  matches.push(bestIndex)
}
const checked = diffs.slice(first)
console.log(JSON.stringify({ ...result, skippedBeforeFirstFrame: first, skippedMeanAbsDiff: diffs.slice(0, first), frames: count, meanAbsDiff: checked, matchedClipFrame: matches.slice(first), maxMeanAbsDiff: Math.max(...checked) }))
