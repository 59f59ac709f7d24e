import protobuf from 'protobufjs'
import { ONNX_PROTO } from './onnx-schema.js'
import { PortsegError } from '../../../shared/errors.js'

/** ONNX TensorProto.DataType values. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
} as const
export type DataTypeCode = (typeof DataType)[keyof typeof DataType]

export const AttributeType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const

// Plain-object shapes of the messages, as protobufjs produces them with {longs: Number}.
export interface TensorProto {
  name?: string
  dims?: number[]
  dataType?: number
  rawData?: Uint8Array
  floatData?: number[]
  int32Data?: number[]
  int64Data?: number[]
  doubleData?: number[]
}
export interface AttributeProto {
  name?: string
  type?: number
  f?: number
  i?: number
  s?: Uint8Array
  t?: TensorProto
  g?: GraphProto
  floats?: number[]
  ints?: number[]
  strings?: Uint8Array[]
}
export interface NodeProto {
  input?: string[]
  output?: string[]
  name?: string
  opType?: string
  domain?: string
  attribute?: AttributeProto[]
}
export interface TensorShapeDim {
  dimValue?: number
  dimParam?: string
}
export interface ValueInfoProto {
  name?: string
  type?: { tensorType?: { elemType?: number; shape?: { dim?: TensorShapeDim[] } } }
}
export interface GraphProto {
  name?: string
  node?: NodeProto[]
  initializer?: TensorProto[]
  input?: ValueInfoProto[]
  output?: ValueInfoProto[]
  valueInfo?: ValueInfoProto[]
}
export interface ModelProto {
  irVersion?: number
  opsetImport?: { domain?: string; version?: number }[]
  producerName?: string
  producerVersion?: string
  docString?: string
  graph?: GraphProto
  metadataProps?: { key?: string; value?: string }[]
}

let modelType: protobuf.Type | undefined
function ModelType(): protobuf.Type {
  modelType ??= protobuf.parse(ONNX_PROTO, { keepCase: false }).root.lookupType('onnx.ModelProto')
  return modelType
}

/** Serialises a model. Throws MODEL_CONVERT_FAILED if the object does not fit the schema. */
export function encodeModel(model: ModelProto): Uint8Array {
  const T = ModelType()
  const problem = T.verify(model)
  if (problem) throw new PortsegError('MODEL_CONVERT_FAILED', `Cannot write the ONNX model: ${problem}`)
  return T.encode(T.fromObject(model)).finish()
}

/** Parses ONNX bytes. Throws MODEL_CORRUPT with a readable reason. */
export function decodeModel(bytes: Uint8Array, label = 'model'): ModelProto {
  const T = ModelType()
  try {
    const msg = T.decode(bytes)
    return T.toObject(msg, { longs: Number, bytes: Uint8Array as unknown as StringConstructor, defaults: false, arrays: true }) as ModelProto
  } catch (e) {
    throw new PortsegError('MODEL_CORRUPT', `${label} is not a valid ONNX file: ${(e as Error).message}`, {
      cause: e,
      hints: ['Download or import the model again; the file may be truncated.'],
    })
  }
}

// ---- small builders, used by the converters and the test-model generator -------------------

export function tensorFromFloat32(name: string, dims: number[], data: Float32Array): TensorProto {
  return { name, dims, dataType: DataType.FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }
}
export function tensorFromFloat16Bits(name: string, dims: number[], bits: Uint16Array): TensorProto {
  return { name, dims, dataType: DataType.FLOAT16, rawData: new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength) }
}
export function tensorFromInt64(name: string, dims: number[], values: readonly number[]): TensorProto {
  const data = new BigInt64Array(values.map((v) => BigInt(v)))
  return { name, dims, dataType: DataType.INT64, rawData: new Uint8Array(data.buffer) }
}
export function tensorFromInt32(name: string, dims: number[], values: readonly number[]): TensorProto {
  const data = Int32Array.from(values)
  return { name, dims, dataType: DataType.INT32, rawData: new Uint8Array(data.buffer) }
}

export type AttrValue = number | string | number[] | TensorProto | { floats: number[] } | { graph: GraphProto }

/** Integers become INT/INTS; use {floats:[...]} or a non-integer number for FLOAT(S). */
export function attr(name: string, value: AttrValue, forceFloat = false): AttributeProto {
  if (typeof value === 'number') {
    return forceFloat || !Number.isInteger(value) ? { name, type: AttributeType.FLOAT, f: value } : { name, type: AttributeType.INT, i: value }
  }
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) }
  if (Array.isArray(value)) {
    return forceFloat ? { name, type: AttributeType.FLOATS, floats: value } : { name, type: AttributeType.INTS, ints: value }
  }
  if ('floats' in value) return { name, type: AttributeType.FLOATS, floats: value.floats }
  if ('graph' in value) return { name, type: AttributeType.GRAPH, g: value.graph }
  return { name, type: AttributeType.TENSOR, t: value }
}

export function node(
  opType: string,
  input: string[],
  output: string[],
  attributes: AttributeProto[] = [],
  name?: string,
  domain?: string,
): NodeProto {
  const n: NodeProto = { opType, input, output, attribute: attributes }
  if (name !== undefined) n.name = name
  if (domain !== undefined) n.domain = domain
  return n
}

/** dims: numbers are fixed, strings are symbolic (e.g. 'height'). */
export function valueInfo(name: string, elemType: number, dims: (number | string)[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  }
}

export function model(graph: GraphProto, opset = 17, producerName = 'portseg', meta: Record<string, string> = {}): ModelProto {
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    producerName,
    producerVersion: '0.1.0',
    graph,
    metadataProps: Object.entries(meta).map(([key, value]) => ({ key, value })),
  }
}

/** float32 → IEEE half bits (round to nearest even), for fp16 variants. */
export function float32ToFloat16Bits(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length)
  const f = new Float32Array(1)
  const u = new Uint32Array(f.buffer)
  for (let i = 0; i < src.length; i++) {
    f[0] = src[i]!
    const x = u[0]!
    const sign = (x >>> 16) & 0x8000
    let exp = ((x >>> 23) & 0xff) - 127 + 15
    let mant = x & 0x7fffff
    if (((x >>> 23) & 0xff) === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0)
      continue
    }
    if (exp >= 0x1f) {
      out[i] = sign | 0x7c00
      continue
    }
    if (exp <= 0) {
      if (exp < -10) {
        out[i] = sign
        continue
      }
      mant |= 0x800000
      const shift = 14 - exp
      let h = mant >>> shift
      const rem = mant & ((1 << shift) - 1)
      const half = 1 << (shift - 1)
      if (rem > half || (rem === half && h & 1)) h++
      out[i] = sign | h
      continue
    }
    let h = (exp << 10) | (mant >>> 13)
    const rem = mant & 0x1fff
    if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++
    out[i] = sign | h
    exp = 0
  }
  return out
}

/** IEEE half bits → float32. */
export function float16BitsToFloat32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length)
  for (let i = 0; i < src.length; i++) {
    const h = src[i]!
    const s = h & 0x8000 ? -1 : 1
    const e = (h >>> 10) & 0x1f
    const m = h & 0x3ff
    if (e === 0) out[i] = s * m * 2 ** -24
    else if (e === 0x1f) out[i] = m ? NaN : s * Infinity
    else out[i] = s * (1 + m / 1024) * 2 ** (e - 15)
  }
  return out
}
