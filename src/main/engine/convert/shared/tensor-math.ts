/** Small, exact array helpers for converters: weight re-layout and constant folding. */

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}

function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1)
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!
  return s
}

/** out[i_perm...] = data[i...]: the same as numpy's transpose(perm). Returns the data and new shape. */
export function permute<T extends Float32Array | Int32Array>(data: T, shape: readonly number[], perm: readonly number[]): { data: T; shape: number[] } {
  const outShape = perm.map((p) => shape[p]!)
  const inStrides = stridesOf(shape)
  const srcStrides = perm.map((p) => inStrides[p]!)
  const out = new (data.constructor as new (n: number) => T)(data.length)
  const rank = outShape.length
  const idx = new Array<number>(rank).fill(0)
  for (let o = 0; o < out.length; o++) {
    let src = 0
    for (let d = 0; d < rank; d++) src += idx[d]! * srcStrides[d]!
    out[o] = data[src]!
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break
      idx[d] = 0
    }
  }
  return { data: out, shape: outShape }
}

/** Numpy-style broadcast shape, or null when the shapes do not broadcast. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const rank = Math.max(a.length, b.length)
  const out: number[] = []
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1
    const y = b[b.length - rank + i] ?? 1
    if (x !== y && x !== 1 && y !== 1) return null
    out.push(Math.max(x, y))
  }
  return out
}

/** Element-wise binary op with numpy broadcasting (for folding constant sub-graphs). */
export function broadcastBinary(
  a: Float32Array,
  aShape: readonly number[],
  b: Float32Array,
  bShape: readonly number[],
  fn: (x: number, y: number) => number,
): { data: Float32Array; shape: number[] } | null {
  const shape = broadcastShape(aShape, bShape)
  if (!shape) return null
  const rank = shape.length
  const pad = (s: readonly number[]): number[] => [...new Array<number>(rank - s.length).fill(1), ...s]
  const as = pad(aShape)
  const bs = pad(bShape)
  const aStr = stridesOf(as).map((st, i) => (as[i] === 1 ? 0 : st))
  const bStr = stridesOf(bs).map((st, i) => (bs[i] === 1 ? 0 : st))
  const out = new Float32Array(sizeOf(shape))
  const idx = new Array<number>(rank).fill(0)
  for (let o = 0; o < out.length; o++) {
    let ia = 0
    let ib = 0
    for (let d = 0; d < rank; d++) {
      ia += idx[d]! * aStr[d]!
      ib += idx[d]! * bStr[d]!
    }
    out[o] = fn(a[ia]!, b[ib]!)
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break
      idx[d] = 0
    }
  }
  return { data: out, shape }
}

/**
 * TensorFlow's SAME padding for one spatial axis: output = ceil(in / stride), the padding is
 * split with the odd pixel at the end. Returns [before, after].
 */
export function samePadding(inSize: number, kernel: number, stride: number, dilation = 1): [number, number] {
  const effKernel = (kernel - 1) * dilation + 1
  const outSize = Math.ceil(inSize / stride)
  const total = Math.max((outSize - 1) * stride + effKernel - inSize, 0)
  const before = Math.floor(total / 2)
  return [before, total - before]
}

/** NHWC axis → NCHW axis for rank-4 tensors. */
export const NHWC_TO_NCHW_AXIS: readonly number[] = [0, 2, 3, 1]
/** Transpose perms between the two layouts. */
export const PERM_NHWC_TO_NCHW: readonly number[] = [0, 3, 1, 2]
export const PERM_NCHW_TO_NHWC: readonly number[] = [0, 2, 3, 1]
