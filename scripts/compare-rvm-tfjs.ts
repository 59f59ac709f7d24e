/**
 * Per-frame CPU cost of RVM imported from its TF.js release: the converted ONNX in onnxruntime-node
 * (CPU) against the same model.json in @tensorflow/tfjs's pure JS CPU backend, states carried.
 *
 *   npx tsx scripts/compare-rvm-tfjs.ts [--model ../shared/models/rvm-tfjs/model.json] [--frames 5]
 *        [--sizes 640x360:0.5,1280x720:0.375] [--threads 1]
 *
 * Prints median wall time and process CPU time per frame (CPU time counts every thread).
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import * as ort from 'onnxruntime-node'
import sharp from 'sharp'
import { convertRvmTfjs } from '../src/main/engine/convert/tfjs/index.js'
import { readY4m } from '../src/main/engine/io/index.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: path.resolve(ROOT, '..', 'shared', 'models', 'rvm-tfjs', 'model.json') },
    clip: { type: 'string', default: path.resolve(ROOT, '..', 'shared', 'media', 'video', 's18_640x360_15fps_4s.y4m') },
    frames: { type: 'string', default: '5' },
    sizes: { type: 'string', default: '640x360:0.5,1280x720:0.375' },
    threads: { type: 'string', default: '0' },
    'skip-tfjs': { type: 'boolean', default: false },
  },
})
const N = Number(args.frames)

interface Rgb {
  width: number
  height: number
  data: Uint8Array
}
interface Timing {
  wallMs: number
  cpuMs: number
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

async function frames(width: number, height: number, count: number): Promise<Rgb[]> {
  const out: Rgb[] = []
  for await (const f of readY4m(args.clip, { format: 'RGB', maxFrames: count })) {
    if (f.width === width && f.height === height) out.push({ width, height, data: f.data })
    else {
      const data = await sharp(f.data, { raw: { width: f.width, height: f.height, channels: 3 } }).resize(width, height, { fit: 'fill' }).raw().toBuffer()
      out.push({ width, height, data: new Uint8Array(data) })
    }
  }
  return out
}

async function timeEach(items: Rgb[], step: (f: Rgb) => Promise<void>): Promise<Timing> {
  await step(items[0]!) // warm-up (first run plans kernels / allocates)
  const wall: number[] = []
  const cpu: number[] = []
  for (const f of items.slice(1)) {
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    await step(f)
    wall.push(performance.now() - t0)
    const c = process.cpuUsage(c0)
    cpu.push((c.user + c.system) / 1000)
  }
  return { wallMs: median(wall), cpuMs: median(cpu) }
}

async function onnxRunner(onnx: Uint8Array, ratio: number): Promise<(f: Rgb) => Promise<void>> {
  const opts: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], logSeverityLevel: 3 }
  if (Number(args.threads) > 0) opts.intraOpNumThreads = Number(args.threads)
  const session = await ort.InferenceSession.create(onnx, opts)
  const zero = new ort.Tensor('float32', new Float32Array(1), [1, 1, 1, 1])
  let r: ort.Tensor[] = [zero, zero, zero, zero]
  const ratioT = new ort.Tensor('float32', Float32Array.of(ratio), [1])
  return async (f) => {
    const plane = f.width * f.height
    const src = new Float32Array(3 * plane)
    for (let i = 0; i < plane; i++) {
      src[i] = f.data[i * 3]! / 255
      src[plane + i] = f.data[i * 3 + 1]! / 255
      src[2 * plane + i] = f.data[i * 3 + 2]! / 255
    }
    const out = await session.run({ src: new ort.Tensor('float32', src, [1, 3, f.height, f.width]), r1i: r[0]!, r2i: r[1]!, r3i: r[2]!, r4i: r[3]!, downsample_ratio: ratioT })
    r = [out.r1o!, out.r2o!, out.r3o!, out.r4o!]
  }
}

async function tfjsRunner(ratio: number): Promise<(f: Rgb) => Promise<void>> {
  await tf.setBackend('cpu')
  const json = JSON.parse(await readFile(args.model, 'utf8'))
  const dir = path.dirname(args.model)
  const bins: Buffer[] = []
  for (const g of json.weightsManifest) for (const p of g.paths) bins.push(await readFile(path.join(dir, p)))
  const all = Buffer.concat(bins)
  const model = await tf.loadGraphModel({
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g: { weights: tf.io.WeightsManifestEntry[] }) => g.weights),
      weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer,
      format: json.format,
      signature: json.signature,
    }),
  })
  let r: tf.Tensor[] = [tf.scalar(0), tf.scalar(0), tf.scalar(0), tf.scalar(0)]
  const ratioT = tf.scalar(ratio)
  return async (f) => {
    const src = tf.tensor(Float32Array.from(f.data, (v) => v / 255), [1, f.height, f.width, 3])
    const out = (await model.executeAsync({ src, r1i: r[0]!, r2i: r[1]!, r3i: r[2]!, r4i: r[3]!, downsample_ratio: ratioT }, ['Identity', 'Identity_1', 'Identity_2', 'Identity_3', 'Identity_4', 'Identity_5'])) as tf.Tensor[]
    await out[1]!.data() // the matte is what a caller waits for
    src.dispose()
    r.forEach((t) => t.dispose())
    out[0]!.dispose()
    out[1]!.dispose()
    r = out.slice(2)
  }
}

const { onnx, report } = await convertRvmTfjs(args.model)
console.log(`converted ${path.basename(args.model)}: ${report.onnxNodes} ONNX nodes, ${(report.bytes / 1e6).toFixed(1)} MB; ort threads: ${Number(args.threads) || 'default'}; ${N - 1} timed frames after 1 warm-up\n`)
const rows: string[][] = [['size', 'ratio', 'ONNX wall ms', 'ONNX CPU ms', 'TF.js wall ms', 'TF.js CPU ms', 'ONNX faster (wall)', 'ONNX faster (CPU)']]
for (const spec of args.sizes.split(',')) {
  const [size, ratioText] = spec.split(':') as [string, string]
  const [w, h] = size.split('x').map(Number) as [number, number]
  const ratio = Number(ratioText)
  const items = await frames(w, h, N)
  const o = await timeEach(items, await onnxRunner(onnx, ratio))
  const t = args['skip-tfjs'] ? undefined : await timeEach(items, await tfjsRunner(ratio))
  rows.push([size, String(ratio), o.wallMs.toFixed(1), o.cpuMs.toFixed(1), t ? t.wallMs.toFixed(0) : '-', t ? t.cpuMs.toFixed(0) : '-', t ? `${(t.wallMs / o.wallMs).toFixed(1)}x` : '-', t ? `${(t.cpuMs / o.cpuMs).toFixed(1)}x` : '-'])
  console.log(rows[rows.length - 1]!.join('\t'))
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
console.log(`\n${rows.map((r) => r.map((c, i) => c.padStart(widths[i]!)).join('  ')).join('\n')}`)
