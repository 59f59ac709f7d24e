/**
 * Shared harness for the RVM TF.js import tests and scripts/compare-rvm-tfjs.ts: runs the original
 * model.json in @tensorflow/tfjs and the converted ONNX in onnxruntime-node, on the same frames,
 * with recurrent state carried in each. TF.js runs on its pure JS CPU backend (the reference the
 * issue names) or on its WebAssembly backend (XNNPACK kernels, ~8x faster here), which the parity
 * test first checks against the CPU backend.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import * as ort from 'onnxruntime-node'
import { readY4m } from '../../../../../src/main/engine/io/index.js'

export interface RgbFrame {
  width: number
  height: number
  /** packed RGB, 0..255 */
  data: Uint8Array
}

export interface RvmOutputs {
  /** [H,W] alpha 0..1 (TF's NHWC and ONNX's NCHW agree for one channel) */
  pha: Float32Array
  /** NCHW [3,H,W] */
  fgr: Float32Array
  /** state channel counts and sizes, NCHW dims */
  stateDims: number[][]
  /** r1o..r4o, NCHW */
  states: Float32Array[]
}

export type TfjsBackend = 'cpu' | 'wasm'

let tfReady: Promise<void> | undefined
export function tfjsCpu(): Promise<void> {
  tfReady ??= (async () => {
    // the .wasm files beside the package's own dist (vitest's module transform hides its location)
    setWasmPaths(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep)
    await tf.setBackend('cpu')
    await tf.ready()
  })()
  return tfReady
}

/** Makes `backend` the active one; the model's weights follow it on first use. */
export async function useTfjsBackend(backend: TfjsBackend): Promise<void> {
  await tfjsCpu()
  if (tf.getBackend() !== backend && !(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} did not initialise`)
}

/** Loads model.json + shards through an in-memory IOHandler (no fetch, no tfjs-node). */
export async function loadTfjsModel(modelJsonPath: string): Promise<tf.GraphModel> {
  await tfjsCpu()
  const json = JSON.parse(await readFile(modelJsonPath, 'utf8'))
  const dir = path.dirname(modelJsonPath)
  const weightSpecs: tf.io.WeightsManifestEntry[] = []
  const buffers: Buffer[] = []
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights)
    for (const p of group.paths) buffers.push(await readFile(path.join(dir, p)))
  }
  const all = Buffer.concat(buffers)
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer
  const handler: tf.io.IOHandler = {
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs,
      weightData,
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy,
      signature: json.signature,
    }),
  }
  return tf.loadGraphModel(handler)
}

export async function readClip(file: string, maxFrames: number): Promise<RgbFrame[]> {
  const frames: RgbFrame[] = []
  for await (const f of readY4m(file, { format: 'RGB', maxFrames })) frames.push({ width: f.width, height: f.height, data: f.data })
  return frames
}

/** Nearest-free box downscale by an integer factor, to make small test clips from the 640x360 one. */
export function downscale(frame: RgbFrame, factor: number): RgbFrame {
  const w = Math.floor(frame.width / factor)
  const h = Math.floor(frame.height / factor)
  const out = new Uint8Array(w * h * 3)
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0
        for (let dy = 0; dy < factor; dy++) for (let dx = 0; dx < factor; dx++) s += frame.data[((y * factor + dy) * frame.width + x * factor + dx) * 3 + c]!
        out[(y * w + x) * 3 + c] = Math.round(s / (factor * factor))
      }
  return { width: w, height: h, data: out }
}

export function toNchw(frame: RgbFrame): Float32Array {
  const { width: w, height: h, data } = frame
  const out = new Float32Array(3 * w * h)
  const plane = w * h
  for (let i = 0; i < plane; i++) {
    out[i] = data[i * 3]! / 255
    out[plane + i] = data[i * 3 + 1]! / 255
    out[2 * plane + i] = data[i * 3 + 2]! / 255
  }
  return out
}

const TF_OUTPUTS = ['Identity', 'Identity_1', 'Identity_2', 'Identity_3', 'Identity_4', 'Identity_5']

/** Runs frames through TF.js with state carried (scalar 0 first, as the official demo does). */
export class TfjsRvm {
  private state: tf.Tensor[] | undefined
  constructor(
    private readonly model: tf.GraphModel,
    private readonly backend: TfjsBackend = 'cpu',
  ) {}
  reset(): void {
    this.state?.forEach((t) => t.dispose())
    this.state = undefined
  }
  async step(frame: RgbFrame, ratio: number): Promise<RvmOutputs> {
    await useTfjsBackend(this.backend)
    const src = tf.tidy(() => tf.tensor(Float32Array.from(frame.data, (v) => v / 255), [1, frame.height, frame.width, 3]))
    const r = this.state ?? [tf.scalar(0), tf.scalar(0), tf.scalar(0), tf.scalar(0)]
    const ratioT = tf.scalar(ratio)
    const out = (await this.model.executeAsync({ src, r1i: r[0]!, r2i: r[1]!, r3i: r[2]!, r4i: r[3]!, downsample_ratio: ratioT }, TF_OUTPUTS)) as tf.Tensor[]
    src.dispose()
    ratioT.dispose()
    r.forEach((t) => t.dispose())
    const [fgrT, phaT, ...states] = out as [tf.Tensor, tf.Tensor, ...tf.Tensor[]]
    this.state = states
    const fgr = tf.tidy(() => fgrT.transpose([0, 3, 1, 2]).dataSync() as Float32Array)
    const nchw = states.map((s) => tf.tidy(() => Float32Array.from(s.transpose([0, 3, 1, 2]).dataSync() as Float32Array)))
    const pha = phaT.dataSync() as Float32Array
    fgrT.dispose()
    phaT.dispose()
    return { pha: Float32Array.from(pha), fgr: Float32Array.from(fgr), stateDims: states.map((s) => [s.shape[0]!, s.shape[3]!, s.shape[1]!, s.shape[2]!]), states: nchw }
  }
}

/** The converted ONNX in onnxruntime-node (CPU), state carried; zeros [1,1,1,1] first. */
export class OnnxRvm {
  private state: ort.Tensor[] | undefined
  private constructor(readonly session: ort.InferenceSession, private readonly dtype: 'float32' | 'float16') {}
  static async open(modelPath: string, precision: 'fp32' | 'fp16' = 'fp32', threads?: number): Promise<OnnxRvm> {
    const opts: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], logSeverityLevel: 3 }
    if (threads) opts.intraOpNumThreads = threads
    return new OnnxRvm(await ort.InferenceSession.create(modelPath, opts), precision === 'fp16' ? 'float16' : 'float32')
  }
  reset(): void {
    this.state = undefined
  }
  private tensor(data: Float32Array, dims: number[]): ort.Tensor {
    if (this.dtype === 'float32') return new ort.Tensor('float32', data, dims)
    return new ort.Tensor('float16', toHalf(data), dims)
  }
  async step(frame: RgbFrame, ratio: number): Promise<RvmOutputs & { raw: ort.InferenceSession.OnnxValueMapType }> {
    const zero = (): ort.Tensor => this.tensor(new Float32Array(1), [1, 1, 1, 1])
    const r = this.state ?? [zero(), zero(), zero(), zero()]
    const out = await this.session.run({
      src: this.tensor(toNchw(frame), [1, 3, frame.height, frame.width]),
      r1i: r[0]!,
      r2i: r[1]!,
      r3i: r[2]!,
      r4i: r[3]!,
      downsample_ratio: new ort.Tensor('float32', Float32Array.of(ratio), [1]),
    })
    this.state = [out.r1o!, out.r2o!, out.r3o!, out.r4o!]
    return { pha: asFloat32(out.pha!), fgr: asFloat32(out.fgr!), stateDims: this.state.map((s) => [...s.dims]), states: this.state.map(asFloat32), raw: out }
  }
}

export function asFloat32(t: ort.Tensor): Float32Array {
  if (t.type === 'float32') return t.data as Float32Array
  if (t.type === 'float16') {
    const d = t.data as unknown
    if (d instanceof Uint16Array) return fromHalf(d)
    return Float32Array.from(d as ArrayLike<number>)
  }
  throw new Error(`unexpected tensor type ${t.type}`)
}

function toHalf(f: Float32Array): Uint16Array {
  const out = new Uint16Array(f.length)
  const buf = new Float32Array(1)
  const u = new Uint32Array(buf.buffer)
  for (let i = 0; i < f.length; i++) {
    buf[0] = f[i]!
    const x = u[0]!
    const sign = (x >>> 16) & 0x8000
    const e = ((x >>> 23) & 0xff) - 112
    const m = x & 0x7fffff
    if (e <= 0) out[i] = sign
    else if (e >= 31) out[i] = sign | 0x7c00
    else out[i] = sign | (e << 10) | ((m + 0x1000) >>> 13)
  }
  return out
}
function fromHalf(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length)
  for (let i = 0; i < h.length; i++) {
    const v = h[i]!
    const e = (v >>> 10) & 0x1f
    const m = v & 0x3ff
    const s = v & 0x8000 ? -1 : 1
    out[i] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15)
  }
  return out
}

export function diffStats(a: Float32Array, b: Float32Array): { mean: number; max: number } {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`)
  let sum = 0
  let max = 0
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!)
    sum += d
    if (d > max) max = d
  }
  return { mean: sum / a.length, max }
}
