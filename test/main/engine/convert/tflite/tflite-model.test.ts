import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { convertTflite, operatorName, readTfliteModel } from '../../../../../src/main/engine/convert/tflite/index.js'
import { PortsegError } from '../../../../../src/shared/errors.js'
import { sharedFile } from '../../../../support/paths.js'
import { buildTflite } from './tiny-tflite.js'

const GENERAL = sharedFile('models', 'reference-onnx', 'selfie_segmentation.tflite')

function catchError(fn: () => unknown): PortsegError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(PortsegError)
    return e as PortsegError
  }
  throw new Error('expected an error, none was thrown')
}

describe('readTfliteModel', () => {
  it('reads the operators, tensors and fp16 buffers of the official general model', () => {
    const m = readTfliteModel(readFileSync(GENERAL))
    const sg = m.subgraphs[0]!
    const counts: Record<string, number> = {}
    for (const op of sg.operators) counts[operatorName(m, op)] = (counts[operatorName(m, op)] ?? 0) + 1
    expect(counts).toEqual({
      DEQUANTIZE: 110,
      CONV_2D: 43,
      HARD_SWISH: 11,
      RELU: 22,
      DEPTHWISE_CONV_2D: 11,
      AVERAGE_POOL_2D: 10,
      LOGISTIC: 11,
      MUL: 10,
      ADD: 14,
      RESIZE_BILINEAR: 3,
      Convolution2DTransposeBias: 1,
    })
    const input = sg.tensors[sg.inputs[0]!]!
    expect(input).toMatchObject({ name: 'input_1', shape: [1, 256, 256, 3], type: 0 })
    expect(sg.tensors[sg.outputs[0]!]).toMatchObject({ name: 'activation_10', shape: [1, 256, 256, 1] })
    const kernel = sg.tensors.find((t) => t.name === 'conv2d/Kernel')!
    expect(kernel).toMatchObject({ type: 1, shape: [16, 3, 3, 3] })
    expect(m.buffers[kernel.buffer]!.length).toBe(16 * 3 * 3 * 3 * 2)
  })

  it('rejects a file that is not a TFLite flatbuffer with MODEL_CORRUPT', () => {
    const onnx = readFileSync(sharedFile('models', 'reference-onnx', 'selfie_segmentation.onnx'))
    const e = catchError(() => readTfliteModel(onnx, 'selfie_segmentation.onnx'))
    expect(e.code).toBe('MODEL_CORRUPT')
    expect(e.message).toMatch(/^selfie_segmentation\.onnx is not a valid TFLite model: the file identifier is ".*", expected "TFL3"\.$/)
    expect(catchError(() => readTfliteModel(new Uint8Array(3), 'x.tflite')).message).toBe('x.tflite is not a valid TFLite model: the file is only 3 bytes long.')
  })

  it('turns every truncation of the real model into MODEL_CORRUPT, never a crash or a garbage model', () => {
    const bytes = readFileSync(GENERAL)
    for (const length of [8, 12, 64, 1000, 20_000, bytes.length >> 1, bytes.length - 4096, bytes.length - 1]) {
      const e = catchError(() => convertTflite(bytes.subarray(0, length), { label: 'selfie_segmentation.tflite' }))
      expect(e.code, `truncated to ${length} bytes`).toBe('MODEL_CORRUPT')
      expect(e.message).toMatch(/^selfie_segmentation\.tflite is not a valid TFLite model: .*(outside the file|overruns|is only)/)
      expect(e.hints.join('\n')).toMatch(/truncated or damaged/)
    }
  })

  it('rejects a corrupted offset inside the file with MODEL_CORRUPT', () => {
    const bytes = new Uint8Array(readFileSync(GENERAL))
    // The root offset points past the end of the file.
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(0, bytes.length + 100, true)
    const e = catchError(() => readTfliteModel(bytes, 'patched.tflite'))
    expect(e.code).toBe('MODEL_CORRUPT')
    expect(e.message).toContain('lies outside the file')
  })
})

describe('convertTflite: operators it does not support', () => {
  const tensors = [
    { name: 'input', shape: [1, 4, 4, 3] },
    { name: 'tanh', shape: [1, 4, 4, 3] },
    { name: 'output', shape: [1, 4, 4, 3] },
  ]

  it('names every unsupported builtin and custom op, and the model', () => {
    const tflite = buildTflite({
      tensors,
      ops: [
        { op: 28 /* TANH */, inputs: [0], outputs: [1] },
        { op: 'FlexErf', inputs: [1], outputs: [2] },
      ],
      inputs: [0],
      outputs: [2],
    })
    const e = catchError(() => convertTflite(tflite, { label: 'tiny.tflite' }))
    expect(e.code).toBe('MODEL_CONVERT_UNSUPPORTED_OP')
    expect(e.message).toMatch(/^Cannot convert tiny\.tflite to ONNX: it uses operators the TFLite converter does not support: TANH, FlexErf\. Supported: /)
    expect(e.message).toContain('Convolution2DTransposeBias')
  })

  it('refuses other schema versions with MODEL_CONVERT_FAILED', () => {
    const tflite = buildTflite({ tensors, ops: [{ op: 19, inputs: [0], outputs: [1] }], inputs: [0], outputs: [1], version: 2 })
    const e = catchError(() => convertTflite(tflite, { label: 'old.tflite' }))
    expect(e.code).toBe('MODEL_CONVERT_FAILED')
    expect(e.message).toBe('Cannot convert old.tflite to ONNX: it uses TFLite schema version 2; only version 3 is supported.')
  })

  it('names an op whose code only the newer builtin_code field carries (> 127)', () => {
    const tflite = buildTflite({
      tensors,
      ops: [
        { op: 19 /* RELU */, inputs: [0], outputs: [1] },
        { op: 126 /* BATCH_MATMUL */, inputs: [1, 1], outputs: [2] },
      ],
      inputs: [0],
      outputs: [2],
    })
    const e = catchError(() => convertTflite(tflite, { label: 'tiny.tflite' }))
    expect(e.code).toBe('MODEL_CONVERT_UNSUPPORTED_OP')
    expect(e.message).toContain('does not support: BATCH_MATMUL.')
  })

  it('flags an unsupported op patched into a copy of the official model', () => {
    const bytes = new Uint8Array(readFileSync(GENERAL))
    const m = readTfliteModel(bytes)
    const hardSwish = m.operatorCodes.findIndex((c) => c.builtinCode === 117)
    expect(hardSwish).toBeGreaterThanOrEqual(0)
    // Rewrite HARD_SWISH (117) as TANH (28) wherever the byte/int code sits in that OperatorCode table.
    const patched = patchOperatorCode(bytes, hardSwish, 28)
    const e = catchError(() => convertTflite(patched, { label: 'patched.tflite' }))
    expect(e.code).toBe('MODEL_CONVERT_UNSUPPORTED_OP')
    expect(e.message).toContain('patched.tflite')
    expect(e.message).toContain('does not support: TANH.')
  })
})

/** Finds OperatorCode #index through the flatbuffer offsets and rewrites its builtin code fields. */
function patchOperatorCode(bytes: Uint8Array, index: number, code: number): Uint8Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const table = (pos: number): { pos: number; field: (slot: number) => number } => {
    const vt = pos - dv.getInt32(pos, true)
    const vtSize = dv.getUint16(vt, true)
    return { pos, field: (slot) => (4 + 2 * slot < vtSize ? dv.getUint16(vt + 4 + 2 * slot, true) : 0) }
  }
  const deref = (p: number): number => p + dv.getUint32(p, true)
  const root = table(deref(0))
  const codes = deref(root.pos + root.field(1))
  const entry = table(deref(codes + 4 + 4 * index))
  const deprecated = entry.field(0)
  const builtin = entry.field(3)
  if (deprecated) dv.setInt8(entry.pos + deprecated, Math.min(code, 127))
  if (builtin) dv.setInt32(entry.pos + builtin, code, true)
  return bytes
}
