import { Builder } from 'flatbuffers'

/**
 * Writes small TFLite flatbuffers with the maintained flatbuffers Builder, following
 * schema.fbs's field order, so tests can exercise ops and corner cases that the two MediaPipe
 * models do not contain. Independent of the reader under test: it only shares the schema.
 */

export interface TinyTensor {
  name: string
  shape: number[]
  /** TensorType: 0 FLOAT32 (default), 1 FLOAT16, 2 INT32. */
  type?: number
  data?: Float32Array | Int32Array | Uint16Array
}

export type OptionField = [slot: number, kind: 'i8' | 'i32' | 'bool', value: number | boolean]

export interface TinyOp {
  /** A BuiltinOperator code, or a custom op's name. */
  op: number | string
  inputs: number[]
  outputs: number[]
  /** BuiltinOptions union type and fields. */
  options?: { type: number; fields: OptionField[] }
  customOptions?: Uint8Array
}

export interface TinyModel {
  tensors: TinyTensor[]
  ops: TinyOp[]
  inputs: number[]
  outputs: number[]
  /** Schema version written into the file (TFLite's is 3). */
  version?: number
}

function intVector(b: Builder, values: readonly number[]): number {
  b.startVector(4, values.length, 4)
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]!)
  return b.endVector()
}

function offsetVector(b: Builder, offsets: readonly number[]): number {
  b.startVector(4, offsets.length, 4)
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]!)
  return b.endVector()
}

export function buildTflite(m: TinyModel): Uint8Array {
  const b = new Builder(1024)

  // Operator codes, de-duplicated in order of first use.
  const codes: (number | string)[] = []
  for (const o of m.ops) if (!codes.includes(o.op)) codes.push(o.op)
  const codeOffsets = codes.map((c) => {
    const custom = typeof c === 'string' ? b.createString(c) : 0
    const builtin = typeof c === 'string' ? 32 : c
    b.startObject(4)
    b.addFieldInt8(0, Math.min(builtin, 127), 0) // deprecated_builtin_code
    if (custom) b.addFieldOffset(1, custom, 0)
    b.addFieldInt32(2, 1, 1) // version
    b.addFieldInt32(3, builtin, 0) // builtin_code
    return b.endObject()
  })

  // Buffers: 0 is the empty sentinel; one per constant tensor after it.
  const bufferOffsets: number[] = []
  b.startObject(3)
  bufferOffsets.push(b.endObject())
  const tensorBuffer = m.tensors.map((t) => {
    if (!t.data) return 0
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)
    const data = b.createByteVector(bytes)
    b.startObject(3)
    b.addFieldOffset(0, data, 0)
    bufferOffsets.push(b.endObject())
    return bufferOffsets.length - 1
  })

  const tensorOffsets = m.tensors.map((t, i) => {
    const name = b.createString(t.name)
    const shape = intVector(b, t.shape)
    b.startObject(5)
    b.addFieldOffset(0, shape, 0)
    b.addFieldInt8(1, t.type ?? 0, 0)
    b.addFieldInt32(2, tensorBuffer[i]!, 0)
    b.addFieldOffset(3, name, 0)
    return b.endObject()
  })

  const opOffsets = m.ops.map((o) => {
    const inputs = intVector(b, o.inputs)
    const outputs = intVector(b, o.outputs)
    let options = 0
    if (o.options) {
      const maxSlot = Math.max(0, ...o.options.fields.map(([s]) => s + 1))
      b.startObject(maxSlot)
      for (const [slot, kind, value] of o.options.fields) {
        if (kind === 'i32') b.addFieldInt32(slot, Number(value), null)
        else b.addFieldInt8(slot, Number(value), null)
      }
      options = b.endObject()
    }
    const custom = o.customOptions ? b.createByteVector(o.customOptions) : 0
    b.startObject(7)
    b.addFieldInt32(0, codes.indexOf(o.op), 0)
    b.addFieldOffset(1, inputs, 0)
    b.addFieldOffset(2, outputs, 0)
    if (o.options) {
      b.addFieldInt8(3, o.options.type, 0)
      b.addFieldOffset(4, options, 0)
    }
    if (custom) b.addFieldOffset(5, custom, 0)
    return b.endObject()
  })

  const tensors = offsetVector(b, tensorOffsets)
  const inputs = intVector(b, m.inputs)
  const outputs = intVector(b, m.outputs)
  const operators = offsetVector(b, opOffsets)
  const sgName = b.createString('main')
  b.startObject(5)
  b.addFieldOffset(0, tensors, 0)
  b.addFieldOffset(1, inputs, 0)
  b.addFieldOffset(2, outputs, 0)
  b.addFieldOffset(3, operators, 0)
  b.addFieldOffset(4, sgName, 0)
  const subgraph = b.endObject()

  const operatorCodes = offsetVector(b, codeOffsets)
  const subgraphs = offsetVector(b, [subgraph])
  const buffers = offsetVector(b, bufferOffsets)
  const description = b.createString('tiny test model')
  b.startObject(5)
  b.addFieldInt32(0, m.version ?? 3, 0)
  b.addFieldOffset(1, operatorCodes, 0)
  b.addFieldOffset(2, subgraphs, 0)
  b.addFieldOffset(3, description, 0)
  b.addFieldOffset(4, buffers, 0)
  b.finish(b.endObject(), 'TFL3')
  return b.asUint8Array()
}
