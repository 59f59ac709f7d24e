// Each supported operator, with the options the MediaPipe models do NOT exercise (odd sizes,
// SAME padding with uneven splits, dilation, depth multiplier, fused activations, the three
// resize grids, broadcasting, constant folding), converted from a small TFLite file and run in
// onnxruntime against TFLite's reference kernels re-stated in plain TypeScript (NHWC).
import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { convertTflite } from '../../../../../src/main/engine/convert/tflite/index.js'
import { decodeModel, float32ToFloat16Bits } from '../../../../../src/main/engine/onnx/onnx-proto.js'
import { buildTflite, type OptionField, type TinyModel, type TinyTensor } from './tiny-tflite.js'

const OP = { ADD: 0, AVERAGE_POOL_2D: 1, CONV_2D: 3, DEPTHWISE_CONV_2D: 4, DEQUANTIZE: 6, LOGISTIC: 14, MUL: 18, RELU: 19, RESIZE_BILINEAR: 23, MEAN: 40, HARD_SWISH: 117 }
const OPT = { Conv2D: 1, DepthwiseConv2D: 2, Pool2D: 5, Add: 11, ResizeBilinear: 15, Mul: 21, Reducer: 27 }
const SAME = 0
const VALID = 1
const RELU6 = 3
const RELU = 1

/** Deterministic values in [-1, 1). */
function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 31 - 1
  })
}
const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1)

async function runTiny(model: TinyModel, input: Float32Array): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const { onnx } = convertTflite(buildTflite(model), { label: 'tiny.tflite' })
  const session = await ort.InferenceSession.create(onnx)
  try {
    const inShape = model.tensors[model.inputs[0]!]!.shape
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input, inShape) })
    const t = out[session.outputNames[0]!]!
    return { data: t.data as Float32Array, dims: t.dims }
  } finally {
    await session.release()
  }
}

function expectClose(actual: Float32Array, expected: Float32Array, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length)
  let max = 0
  for (let i = 0; i < actual.length; i++) max = Math.max(max, Math.abs(actual[i]! - expected[i]!))
  expect(max).toBeLessThanOrEqual(tol)
}

// ---- TFLite reference semantics (tensorflow/lite/kernels/internal/reference), NHWC ----------

const act = (v: number, fused: number): number => (fused === RELU ? Math.max(v, 0) : fused === RELU6 ? Math.min(Math.max(v, 0), 6) : v)

/** Output size and leading pad per TF: SAME → ceil(in/s), VALID → ceil((in - effK + 1)/s). */
function geometry(inSize: number, k: number, s: number, d: number, padding: number): { out: number; pad: number } {
  const eff = (k - 1) * d + 1
  const out = padding === SAME ? Math.ceil(inSize / s) : Math.ceil((inSize - eff + 1) / s)
  const pad = padding === SAME ? Math.floor(Math.max((out - 1) * s + eff - inSize, 0) / 2) : 0
  return { out, pad }
}

function convRef(x: Float32Array, xs: number[], w: Float32Array, ws: number[], b: Float32Array, o: { s: [number, number]; d: [number, number]; padding: number; fused: number; depthwise?: boolean }): { data: Float32Array; shape: number[] } {
  const [, H, W, C] = xs as [number, number, number, number]
  const kh = ws[1]!
  const kw = ws[2]!
  const gy = geometry(H, kh, o.s[0], o.d[0], o.padding)
  const gx = geometry(W, kw, o.s[1], o.d[1], o.padding)
  const outC = o.depthwise ? ws[3]! : ws[0]!
  const mult = outC / C
  const out = new Float32Array(gy.out * gx.out * outC)
  for (let oy = 0; oy < gy.out; oy++)
    for (let ox = 0; ox < gx.out; ox++)
      for (let oc = 0; oc < outC; oc++) {
        let acc = b[oc]!
        for (let fy = 0; fy < kh; fy++)
          for (let fx = 0; fx < kw; fx++) {
            const iy = oy * o.s[0] - gy.pad + fy * o.d[0]
            const ix = ox * o.s[1] - gx.pad + fx * o.d[1]
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue
            if (o.depthwise) {
              const ic = Math.floor(oc / mult)
              acc += x[(iy * W + ix) * C + ic]! * w[(fy * kw + fx) * outC + oc]!
            } else {
              for (let ic = 0; ic < C; ic++) acc += x[(iy * W + ix) * C + ic]! * w[((oc * kh + fy) * kw + fx) * C + ic]!
            }
          }
        out[(oy * gx.out + ox) * outC + oc] = act(acc, o.fused)
      }
  return { data: out, shape: [1, gy.out, gx.out, outC] }
}

function avgPoolRef(x: Float32Array, xs: number[], k: [number, number], s: [number, number], padding: number, fused: number): Float32Array {
  const [, H, W, C] = xs as [number, number, number, number]
  const gy = geometry(H, k[0], s[0], 1, padding)
  const gx = geometry(W, k[1], s[1], 1, padding)
  const out = new Float32Array(gy.out * gx.out * C)
  for (let oy = 0; oy < gy.out; oy++)
    for (let ox = 0; ox < gx.out; ox++)
      for (let c = 0; c < C; c++) {
        let sum = 0
        let n = 0 // only pixels inside the input count
        for (let fy = 0; fy < k[0]; fy++)
          for (let fx = 0; fx < k[1]; fx++) {
            const iy = oy * s[0] - gy.pad + fy
            const ix = ox * s[1] - gx.pad + fx
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue
            sum += x[(iy * W + ix) * C + c]!
            n++
          }
        out[(oy * gx.out + ox) * C + c] = act(sum / n, fused)
      }
  return out
}

function resizeRef(x: Float32Array, xs: number[], oh: number, ow: number, alignCorners: boolean, halfPixel: boolean): Float32Array {
  const [, H, W, C] = xs as [number, number, number, number]
  const scale = (i: number, o: number): number => (alignCorners && o > 1 ? (i - 1) / (o - 1) : i / o)
  const sy = scale(H, oh)
  const sx = scale(W, ow)
  const interp = (v: number, sc: number, n: number): [number, number, number] => {
    const f = halfPixel ? (v + 0.5) * sc - 0.5 : v * sc
    const lo = Math.max(Math.floor(f), 0)
    const hi = Math.min(Math.ceil(f), n - 1)
    return [f, lo, hi]
  }
  const out = new Float32Array(oh * ow * C)
  for (let y = 0; y < oh; y++) {
    const [fy, y0, y1] = interp(y, sy, H)
    for (let xx = 0; xx < ow; xx++) {
      const [fx, x0, x1] = interp(xx, sx, W)
      for (let c = 0; c < C; c++) {
        const at = (yy: number, xv: number): number => x[(yy * W + xv) * C + c]!
        out[(y * ow + xx) * C + c] =
          at(y0, x0) * (1 - (fy - y0)) * (1 - (fx - x0)) +
          at(y1, x0) * (fy - y0) * (1 - (fx - x0)) +
          at(y0, x1) * (1 - (fy - y0)) * (fx - x0) +
          at(y1, x1) * (fy - y0) * (fx - x0)
      }
    }
  }
  return out
}

function transposeConvBiasRef(x: Float32Array, xs: number[], w: Float32Array, ws: number[], b: Float32Array, s: [number, number], same: boolean): { data: Float32Array; shape: number[] } {
  const [, H, W, C] = xs as [number, number, number, number]
  const [O, kh, kw] = ws as [number, number, number, number]
  const trimH = same ? Math.max(0, kh - ((H - 1) % s[0]) - 1) : 0
  const trimW = same ? Math.max(0, kw - ((W - 1) % s[1]) - 1) : 0
  const oh = s[0] * (H - 1) + kh - trimH
  const ow = s[1] * (W - 1) + kw - trimW
  const out = new Float32Array(oh * ow * O)
  for (let i = 0; i < oh * ow; i++) for (let o = 0; o < O; o++) out[i * O + o] = b[o]!
  for (let iy = 0; iy < H; iy++)
    for (let ix = 0; ix < W; ix++)
      for (let ic = 0; ic < C; ic++)
        for (let fy = 0; fy < kh; fy++)
          for (let fx = 0; fx < kw; fx++)
            for (let o = 0; o < O; o++) {
              const oy = iy * s[0] - Math.floor(trimH / 2) + fy
              const ox = ix * s[1] - Math.floor(trimW / 2) + fx
              if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue
              out[(oy * ow + ox) * O + o]! += x[(iy * W + ix) * C + ic]! * w[((o * kh + fy) * kw + fx) * C + ic]!
            }
  return { data: out, shape: [1, oh, ow, O] }
}

// ---- tests ----------------------------------------------------------------------------------

function single(inShape: number[], outShape: number[], op: number | string, consts: TinyTensor[], options?: { type: number; fields: OptionField[] }, customOptions?: Uint8Array): TinyModel {
  const tensors: TinyTensor[] = [{ name: 'x', shape: inShape }, ...consts, { name: 'y', shape: outShape }]
  const inputs = [0, ...consts.map((_, i) => i + 1)]
  const op0 = { op, inputs, outputs: [tensors.length - 1], ...(options ? { options } : {}), ...(customOptions ? { customOptions } : {}) }
  return { tensors, ops: [op0], inputs: [0], outputs: [tensors.length - 1] }
}

describe('convertTflite operators vs TFLite reference semantics', () => {
  it('CONV_2D: SAME with an uneven split, stride 2, fused RELU6', async () => {
    const xs = [1, 7, 6, 3]
    const ws = [4, 3, 3, 3]
    const x = random(size(xs), 1).map((v) => v * 4)
    const w = random(size(ws), 2)
    const b = random(4, 3)
    const ref = convRef(x, xs, w, ws, b, { s: [2, 2], d: [1, 1], padding: SAME, fused: RELU6 })
    const model = single(xs, ref.shape, OP.CONV_2D, [{ name: 'w', shape: ws, data: w }, { name: 'b', shape: [4], data: b }], {
      type: OPT.Conv2D,
      fields: [[0, 'i8', SAME], [1, 'i32', 2], [2, 'i32', 2], [3, 'i8', RELU6]],
    })
    const out = await runTiny(model, x)
    expect(out.dims).toEqual([1, 4, 3, 4])
    expectClose(out.data, ref.data)
  })

  it('CONV_2D: VALID with dilation 2 and different strides per axis', async () => {
    const xs = [1, 9, 8, 2]
    const ws = [3, 3, 2, 2]
    const x = random(size(xs), 4)
    const w = random(size(ws), 5)
    const b = random(3, 6)
    const ref = convRef(x, xs, w, ws, b, { s: [1, 2], d: [2, 2], padding: VALID, fused: 0 })
    const model = single(xs, ref.shape, OP.CONV_2D, [{ name: 'w', shape: ws, data: w }, { name: 'b', shape: [3], data: b }], {
      type: OPT.Conv2D,
      fields: [[0, 'i8', VALID], [1, 'i32', 2], [2, 'i32', 1], [4, 'i32', 2], [5, 'i32', 2]],
    })
    expectClose((await runTiny(model, x)).data, ref.data)
  })

  it('DEPTHWISE_CONV_2D: depth multiplier 2, SAME, stride 2, fused RELU', async () => {
    const xs = [1, 5, 6, 3]
    const ws = [1, 3, 3, 6]
    const x = random(size(xs), 7)
    const w = random(size(ws), 8)
    const b = random(6, 9)
    const ref = convRef(x, xs, w, ws, b, { s: [2, 2], d: [1, 1], padding: SAME, fused: RELU, depthwise: true })
    const model = single(xs, ref.shape, OP.DEPTHWISE_CONV_2D, [{ name: 'w', shape: ws, data: w }, { name: 'b', shape: [6], data: b }], {
      type: OPT.DepthwiseConv2D,
      fields: [[0, 'i8', SAME], [1, 'i32', 2], [2, 'i32', 2], [3, 'i32', 2], [4, 'i8', RELU]],
    })
    expectClose((await runTiny(model, x)).data, ref.data)
  })

  it('AVERAGE_POOL_2D: SAME 3x3 stride 2 divides by the pixels inside the image', async () => {
    const xs = [1, 5, 6, 2]
    const x = random(size(xs), 10).map((v) => v * 8)
    const ref = avgPoolRef(x, xs, [3, 3], [2, 2], SAME, RELU6)
    const model = single(xs, [1, 3, 3, 2], OP.AVERAGE_POOL_2D, [], {
      type: OPT.Pool2D,
      fields: [[0, 'i8', SAME], [1, 'i32', 2], [2, 'i32', 2], [3, 'i32', 3], [4, 'i32', 3], [5, 'i8', RELU6]],
    })
    expectClose((await runTiny(model, x)).data, ref)
  })

  it('AVERAGE_POOL_2D over the whole image (as in the general model) is a global mean', async () => {
    const xs = [1, 4, 5, 3]
    const x = random(size(xs), 11)
    const model = single(xs, [1, 1, 1, 3], OP.AVERAGE_POOL_2D, [], {
      type: OPT.Pool2D,
      fields: [[0, 'i8', VALID], [1, 'i32', 1], [2, 'i32', 1], [3, 'i32', 5], [4, 'i32', 4]],
    })
    expectClose((await runTiny(model, x)).data, avgPoolRef(x, xs, [4, 5], [1, 1], VALID, 0))
  })

  it.each([
    ['asymmetric (default)', false, false],
    ['align_corners', true, false],
    ['half_pixel_centers', false, true],
  ])('RESIZE_BILINEAR %s, up and down', async (_name, alignCorners, halfPixel) => {
    const xs = [1, 3, 4, 2]
    const x = random(size(xs), 12)
    for (const [oh, ow] of [
      [5, 7],
      [2, 3],
    ] as const) {
      const model = single(xs, [1, oh, ow, 2], OP.RESIZE_BILINEAR, [{ name: 'size', shape: [2], type: 2, data: Int32Array.of(oh, ow) }], {
        type: OPT.ResizeBilinear,
        fields: [
          [2, 'bool', alignCorners],
          [3, 'bool', halfPixel],
        ],
      })
      expectClose((await runTiny(model, x)).data, resizeRef(x, xs, oh, ow, alignCorners, halfPixel))
    }
  })

  it.each([
    ['SAME, odd input (trims one pixel)', true, [1, 3, 4, 2], [2, 3, 3, 2], [2, 2]],
    ['SAME, k=2 s=2 (as in both models)', true, [1, 4, 5, 3], [1, 2, 2, 3], [2, 2]],
    ['VALID', false, [1, 3, 3, 2], [2, 3, 2, 2], [2, 1]],
  ] as const)('Convolution2DTransposeBias %s', async (_name, same, xs, ws, s) => {
    const x = random(size([...xs]), 13)
    const w = random(size([...ws]), 14)
    const b = random(ws[0], 15)
    const ref = transposeConvBiasRef(x, [...xs], w, [...ws], b, [s[0], s[1]], same)
    const opts = new Uint8Array(12)
    const dv = new DataView(opts.buffer)
    dv.setInt32(0, same ? 1 : 2, true)
    dv.setInt32(4, s[1], true)
    dv.setInt32(8, s[0], true)
    const model = single([...xs], ref.shape, 'Convolution2DTransposeBias', [{ name: 'w', shape: [...ws], data: w }, { name: 'b', shape: [ws[0]], data: b }], undefined, opts)
    const out = await runTiny(model, x)
    expect(out.dims).toEqual(ref.shape)
    expectClose(out.data, ref.data)
  })

  it('MEAN without keep_dims, broadcast back by MUL; ADD with a constant [C] and fused RELU; HARD_SWISH; LOGISTIC', async () => {
    const xs = [1, 3, 4, 5]
    const x = random(size(xs), 16).map((v) => v * 5)
    const bias = random(5, 17)
    const tensors: TinyTensor[] = [
      { name: 'x', shape: xs },
      { name: 'axes', shape: [2], type: 2, data: Int32Array.of(1, 2) },
      { name: 'mean', shape: [1, 5] },
      { name: 'scaled', shape: xs },
      { name: 'bias', shape: [5], data: bias },
      { name: 'biased', shape: xs },
      { name: 'hswish', shape: xs },
      { name: 'y', shape: xs },
    ]
    const model: TinyModel = {
      tensors,
      ops: [
        { op: OP.MEAN, inputs: [0, 1], outputs: [2], options: { type: OPT.Reducer, fields: [[0, 'bool', false]] } },
        { op: OP.MUL, inputs: [0, 2], outputs: [3], options: { type: OPT.Mul, fields: [[0, 'i8', 0]] } },
        { op: OP.ADD, inputs: [3, 4], outputs: [5], options: { type: OPT.Add, fields: [[0, 'i8', RELU]] } },
        { op: OP.HARD_SWISH, inputs: [5], outputs: [6] },
        { op: OP.LOGISTIC, inputs: [6], outputs: [7] },
      ],
      inputs: [0],
      outputs: [7],
    }
    const mean = new Float32Array(5)
    for (let i = 0; i < x.length; i++) mean[i % 5]! += x[i]! / 12
    const expected = x.map((v, i) => {
      const a = Math.max(v * mean[i % 5]! + bias[i % 5]!, 0)
      const h = (a * Math.min(Math.max(a + 3, 0), 6)) / 6
      return 1 / (1 + Math.exp(-h))
    })
    expectClose((await runTiny(model, x)).data, expected)
  })

  it('MEAN with keep_dims over channels returns an NHWC output of the right shape', async () => {
    const xs = [1, 2, 3, 4]
    const x = random(size(xs), 18)
    const model = single(xs, [1, 2, 3, 1], OP.MEAN, [{ name: 'axes', shape: [1], type: 2, data: Int32Array.of(-1) }], { type: OPT.Reducer, fields: [[0, 'bool', true]] })
    const out = await runTiny(model, x)
    expect(out.dims).toEqual([1, 2, 3, 1])
    expectClose(out.data, Float32Array.from({ length: 6 }, (_, p) => (x[p * 4]! + x[p * 4 + 1]! + x[p * 4 + 2]! + x[p * 4 + 3]!) / 4))
  })

  it('folds DEQUANTIZE(fp16) and constant-only ops into float32 initializers', async () => {
    const xs = [1, 2, 2, 3]
    const half = Float32Array.of(0.5, -1.25, 2)
    const tensors: TinyTensor[] = [
      { name: 'x', shape: xs },
      { name: 'scale16', shape: [3], type: 1, data: float32ToFloat16Bits(half) },
      { name: 'scale', shape: [3] },
      { name: 'scale_relu', shape: [3] },
      { name: 'y', shape: xs },
    ]
    const model: TinyModel = {
      tensors,
      ops: [
        { op: OP.DEQUANTIZE, inputs: [1], outputs: [2] },
        { op: OP.RELU, inputs: [2], outputs: [3] },
        { op: OP.MUL, inputs: [0, 3], outputs: [4] },
      ],
      inputs: [0],
      outputs: [4],
    }
    const onnx = decodeModel(convertTflite(buildTflite(model)).onnx)
    expect(onnx.graph!.node!.map((n) => n.opType)).toEqual(['Transpose', 'Mul', 'Transpose'])
    const x = random(size(xs), 19)
    expectClose((await runTiny(model, x)).data, x.map((v, i) => v * Math.max(half[i % 3]!, 0)))
  })

  it('refuses a transposed convolution whose declared output does not match what the kernel produces', () => {
    const opts = new Uint8Array(12)
    new DataView(opts.buffer).setInt32(0, 1, true)
    new DataView(opts.buffer).setInt32(4, 2, true)
    new DataView(opts.buffer).setInt32(8, 2, true)
    const model = single([1, 3, 3, 1], [1, 7, 7, 1], 'Convolution2DTransposeBias', [
      { name: 'w', shape: [1, 2, 2, 1], data: random(4, 20) },
      { name: 'b', shape: [1], data: Float32Array.of(0) },
    ], undefined, opts)
    expect(() => convertTflite(buildTflite(model), { label: 'tiny.tflite' })).toThrow(
      /^Cannot convert tiny\.tflite to ONNX at operator 0 \(Convolution2DTransposeBias\): the output tensor is \[1,7,7,1\], but the operator produces 5 along axis 1\.$/,
    )
  })
})
