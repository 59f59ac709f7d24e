// Guest side: are the frames captured from the virtual camera the clip's frames? For each
// captured YUYV frame, finds the closest frame of the .y4m clip by mean |ΔY| over a sparse grid
// (the clip went YUV → RGB → YUV, so a few levels of difference are expected). Prints JSON.
//   node check-clip.mjs CAPTURE.yuyv CLIP.y4m
import { readFileSync } from 'node:fs'

const [capFile, clipFile] = process.argv.slice(2)
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
const frames = Math.floor(cap.length / frameBytes)
const diffs = []
const matches = []
for (let f = 0; f < frames; f++) {
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
console.log(JSON.stringify({ width: w, height: h, clipFrames: lumas.length, frames, meanAbsDiff: diffs, matchedClipFrame: matches, maxMeanAbsDiff: Math.max(...diffs) }))
