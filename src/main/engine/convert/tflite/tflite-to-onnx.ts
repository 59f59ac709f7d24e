import { PortsegError } from '../../../../shared/errors.js'
import {
  attr,
  DataType,
  encodeModel,
  float16BitsToFloat32,
  model as onnxModel,
  valueInfo,
  type AttributeProto,
} from '../../onnx/onnx-proto.js'
import {
  broadcastBinary,
  GraphBuilder,
  NHWC_TO_NCHW_AXIS,
  PERM_NCHW_TO_NHWC,
  PERM_NHWC_TO_NCHW,
  permute,
  samePadding,
  sizeOf,
} from '../shared/index.js'
import type { TableView } from './flatbuffer-view.js'
import {
  BuiltinOp,
  builtinOpName,
  operatorName,
  readTfliteModel,
  TENSOR_TYPE_NAMES,
  TensorType,
  type TfliteModel,
  type TfliteOperator,
  type TfliteSubGraph,
  type TfliteTensor,
} from './tflite-model.js'

/** Bump when the emitted ONNX changes, so `npm run models` rebuilds. */
export const TFLITE_CONVERTER_VERSION = '1.0.0'
export const ONNX_OPSET = 17

const CUSTOM_TRANSPOSE_CONV = 'Convolution2DTransposeBias'

/** Builtin ops the converter handles (exactly those of MediaPipe's selfie segmentation models). */
const SUPPORTED_BUILTINS: ReadonlySet<number> = new Set(Object.values(BuiltinOp).filter((c) => c !== BuiltinOp.CUSTOM))
const SUPPORTED_CUSTOM: ReadonlySet<string> = new Set([CUSTOM_TRANSPOSE_CONV])

export const SUPPORTED_TFLITE_OPS: readonly string[] = [
  ...[...SUPPORTED_BUILTINS].map(builtinOpName),
  ...SUPPORTED_CUSTOM,
]

// BuiltinOptions union members used here (schema.fbs order, 1-based).
const Options = { Conv2D: 1, DepthwiseConv2D: 2, Pool2D: 5, Add: 11, ResizeBilinear: 15, Mul: 21, Reducer: 27 } as const
// ActivationFunctionType and Padding.
const Act = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3, TANH: 4 } as const
const PAD_SAME = 0
const PAD_VALID = 1

export interface TensorSpec {
  name: string
  /** TFLite layout (NHWC for images). */
  shape: number[]
}

export interface TfliteConversion {
  onnx: Uint8Array
  inputs: TensorSpec[]
  outputs: TensorSpec[]
  /** How many TFLite operators of each kind the model had. */
  operatorCounts: Record<string, number>
  /** ONNX nodes emitted after folding constants. */
  nodeCount: number
}

export interface ConvertTfliteOptions {
  /** Names the model in error messages, e.g. the file name. */
  label?: string
  /** Extra ONNX metadata_props (must be deterministic). */
  metadata?: Record<string, string>
}

type Value =
  | { kind: 'const'; shape: number[]; data: Float32Array | Int32Array }
  // nchw: a rank-4 activation held transposed; otherwise the layout is TFLite's own.
  | { kind: 'dyn'; name: string; shape: number[]; nchw: boolean }

/**
 * Converts a TFLite flatbuffer to ONNX. Activations run in NCHW inside the graph (weights are
 * re-laid out here), with one Transpose at each image input and output, so the ONNX model keeps
 * the TFLite interface: same names, NHWC shapes, float32.
 */
export function convertTflite(bytes: Uint8Array, options: ConvertTfliteOptions = {}): TfliteConversion {
  const label = options.label ?? 'The model'
  const tfl = readTfliteModel(bytes, label)
  return new Converter(tfl, label).run(options.metadata ?? {})
}

class Converter {
  private readonly sg: TfliteSubGraph
  private readonly g = new GraphBuilder()
  private readonly values = new Map<number, Value>()

  constructor(
    private readonly tfl: TfliteModel,
    private readonly label: string,
  ) {
    this.sg = tfl.subgraphs[0]!
  }

  private fail(op: TfliteOperator | null, reason: string): PortsegError {
    const where = op ? ` at operator ${op.index} (${operatorName(this.tfl, op)})` : ''
    return new PortsegError('MODEL_CONVERT_FAILED', `Cannot convert ${this.label} to ONNX${where}: ${reason}.`, {
      hints: ['Convert the model with another tool (for example tf2onnx) and import the .onnx file instead.'],
    })
  }

  run(metadata: Record<string, string>): TfliteConversion {
    // TFLite itself refuses anything but schema version 3 (older layouts differ).
    if (this.tfl.version !== 3) throw this.fail(null, `it uses TFLite schema version ${this.tfl.version}; only version 3 is supported`)
    const operatorCounts: Record<string, number> = {}
    const unsupported: string[] = []
    for (const op of this.sg.operators) {
      const name = operatorName(this.tfl, op)
      operatorCounts[name] = (operatorCounts[name] ?? 0) + 1
      const code = this.tfl.operatorCodes[op.opcodeIndex]!
      const ok = code.builtinCode === BuiltinOp.CUSTOM ? SUPPORTED_CUSTOM.has(code.customCode ?? '') : SUPPORTED_BUILTINS.has(code.builtinCode)
      if (!ok && !unsupported.includes(name)) unsupported.push(name)
    }
    if (unsupported.length > 0) {
      throw new PortsegError(
        'MODEL_CONVERT_UNSUPPORTED_OP',
        `Cannot convert ${this.label} to ONNX: it uses ${unsupported.length === 1 ? 'an operator' : 'operators'} ` +
          `the TFLite converter does not support: ${unsupported.join(', ')}. Supported: ${SUPPORTED_TFLITE_OPS.join(', ')}.`,
        { hints: ['Convert the model with another tool (for example tf2onnx) and import the .onnx file instead.'] },
      )
    }

    // Interface names first, so internal tensors never take them.
    for (const i of [...this.sg.inputs, ...this.sg.outputs]) {
      const t = this.tensor(i)
      if (!this.g.reserve(t.name)) throw this.fail(null, `the tensor name ${JSON.stringify(t.name)} is used twice in the interface`)
    }
    this.loadConstants()

    const inputs: TensorSpec[] = []
    for (const i of this.sg.inputs) {
      const t = this.tensor(i)
      if (t.type !== TensorType.FLOAT32) throw this.fail(null, `input ${t.name} is ${this.typeName(t)}; only float32 inputs are supported`)
      inputs.push({ name: t.name, shape: [...t.shape] })
      if (t.shape.length === 4) {
        const internal = this.g.unique(`${t.name}_nchw`)
        this.g.addNode('Transpose', [t.name], [internal], [attr('perm', [...PERM_NHWC_TO_NCHW])])
        this.values.set(i, { kind: 'dyn', name: internal, shape: t.shape, nchw: true })
      } else {
        this.values.set(i, { kind: 'dyn', name: t.name, shape: t.shape, nchw: false })
      }
    }

    for (const op of this.sg.operators) this.convertOperator(op)

    const outputs: TensorSpec[] = []
    for (const i of this.sg.outputs) {
      const t = this.tensor(i)
      const v = this.values.get(i)
      if (!v) throw this.fail(null, `output ${t.name} is never computed`)
      if (v.kind === 'const') throw this.fail(null, `output ${t.name} is a constant`)
      outputs.push({ name: t.name, shape: [...t.shape] })
      if (v.nchw) this.g.addNode('Transpose', [v.name], [t.name], [attr('perm', [...PERM_NCHW_TO_NHWC])])
      else this.g.addNode('Identity', [v.name], [t.name])
    }

    const graph = {
      name: this.sg.name || 'tflite',
      node: this.g.nodes,
      initializer: this.g.initializers,
      input: inputs.map((s) => valueInfo(s.name, DataType.FLOAT, s.shape)),
      output: outputs.map((s) => valueInfo(s.name, DataType.FLOAT, s.shape)),
    }
    const meta = { converter: `portseg-tflite2onnx ${TFLITE_CONVERTER_VERSION}`, ...metadata }
    const onnx = encodeModel(onnxModel(graph, ONNX_OPSET, 'portseg-tflite2onnx', meta))
    return { onnx, inputs, outputs, operatorCounts, nodeCount: this.g.nodes.length }
  }

  private tensor(i: number): TfliteTensor {
    const t = this.sg.tensors[i]
    if (!t) throw this.fail(null, `tensor ${i} does not exist`)
    return t
  }

  private typeName(t: TfliteTensor): string {
    return TENSOR_TYPE_NAMES[t.type] ?? `type ${t.type}`
  }

  /** Tensors backed by a buffer are constants; copy them out (buffers may be unaligned). */
  private loadConstants(): void {
    for (const t of this.sg.tensors) {
      const buf = this.tfl.buffers[t.buffer]
      if (!buf || buf.length === 0) continue
      const n = sizeOf(t.shape)
      const expect = (bytesPer: number): void => {
        if (buf.length !== n * bytesPer) {
          throw new PortsegError('MODEL_CORRUPT', `${this.label} is not a valid TFLite model: constant ${t.name} holds ${buf.length} bytes, its shape [${t.shape.join(',')}] needs ${n * bytesPer}.`)
        }
      }
      // A real copy: Buffer#slice would share memory with the whole file.
      const copy = new Uint8Array(buf)
      if (t.type === TensorType.FLOAT32) {
        expect(4)
        this.values.set(t.index, { kind: 'const', shape: t.shape, data: new Float32Array(copy.buffer, 0, n) })
      } else if (t.type === TensorType.FLOAT16) {
        expect(2)
        this.values.set(t.index, { kind: 'const', shape: t.shape, data: float16BitsToFloat32(new Uint16Array(copy.buffer, 0, n)) })
      } else if (t.type === TensorType.INT32) {
        expect(4)
        this.values.set(t.index, { kind: 'const', shape: t.shape, data: new Int32Array(copy.buffer, 0, n) })
      }
      // Other constant types are rejected by the op that reads them.
    }
  }

  private input(op: TfliteOperator, k: number): Value {
    const i = op.inputs[k]
    if (i === undefined || i < 0) throw this.fail(op, `input ${k} is missing`)
    const v = this.values.get(i)
    if (!v) throw this.fail(op, `input ${this.tensor(i).name} (${this.typeName(this.tensor(i))}) has no value`)
    return v
  }

  private optionalInput(op: TfliteOperator, k: number): Value | null {
    const i = op.inputs[k]
    return i === undefined || i < 0 ? null : this.input(op, k)
  }

  private constFloat(op: TfliteOperator, k: number, what: string): { shape: number[]; data: Float32Array } {
    const v = this.input(op, k)
    if (v.kind !== 'const' || !(v.data instanceof Float32Array)) throw this.fail(op, `${what} must be a constant float tensor`)
    return { shape: v.shape, data: v.data }
  }

  private constInts(op: TfliteOperator, k: number, what: string): number[] {
    const v = this.input(op, k)
    if (v.kind !== 'const' || !(v.data instanceof Int32Array)) throw this.fail(op, `${what} must be a constant int32 tensor`)
    return Array.from(v.data)
  }

  /** The op's image input: a rank-4 activation in NCHW. */
  private image(op: TfliteOperator, k = 0): { name: string; shape: number[] } {
    const v = this.input(op, k)
    if (v.kind !== 'dyn' || !v.nchw) throw this.fail(op, `input ${k} must be a rank-4 float activation (NHWC), got shape [${v.shape.join(',')}]`)
    return { name: v.name, shape: v.shape }
  }

  private outTensor(op: TfliteOperator, k = 0): TfliteTensor {
    const i = op.outputs[k]
    if (i === undefined || i < 0) throw this.fail(op, `output ${k} is missing`)
    return this.tensor(i)
  }

  private options(op: TfliteOperator, expectedType: number): TableView | null {
    if (op.builtinOptions && op.builtinOptionsType !== expectedType) {
      throw new PortsegError('MODEL_CORRUPT', `${this.label} is not a valid TFLite model: operator ${op.index} (${operatorName(this.tfl, op)}) carries options of type ${op.builtinOptionsType}, expected ${expectedType}.`)
    }
    return op.builtinOptions
  }

  /** Registers an activation output and returns the ONNX name to write it to. */
  private produce(op: TfliteOperator, nchw: boolean, k = 0): string {
    const t = this.outTensor(op, k)
    if (t.type !== TensorType.FLOAT32) throw this.fail(op, `output ${t.name} is ${this.typeName(t)}; only float32 activations are supported`)
    const name = this.g.unique(t.name)
    this.values.set(t.index, { kind: 'dyn', name, shape: t.shape, nchw: nchw && t.shape.length === 4 })
    return name
  }

  /** Emits `opType` with a fused activation after it when there is one. */
  private emitWithActivation(op: TfliteOperator, opType: string, inputs: string[], attributes: AttributeProto[], fused: number, nchw = true): void {
    const out = this.produce(op, nchw)
    if (fused === Act.NONE) {
      this.g.addNode(opType, inputs, [out], attributes)
      return
    }
    const pre = this.g.unique(`${out}_preact`)
    this.g.addNode(opType, inputs, [pre], attributes)
    this.emitActivation(op, fused, pre, out)
  }

  private emitActivation(op: TfliteOperator, fused: number, from: string, to: string): void {
    switch (fused) {
      case Act.RELU:
        return this.g.addNode('Relu', [from], [to])
      case Act.RELU6:
        return this.g.addNode('Clip', [from, this.scalar('zero', 0), this.scalar('six', 6)], [to])
      case Act.RELU_N1_TO_1:
        return this.g.addNode('Clip', [from, this.scalar('minus_one', -1), this.scalar('one', 1)], [to])
      case Act.TANH:
        return this.g.addNode('Tanh', [from], [to])
      default:
        throw this.fail(op, `fused activation ${fused} is not supported`)
    }
  }

  private readonly scalars = new Map<string, string>()
  private scalar(base: string, value: number): string {
    let name = this.scalars.get(base)
    if (!name) {
      name = this.g.addFloat(`const_${base}`, [], Float32Array.of(value))
      this.scalars.set(base, name)
    }
    return name
  }

  private convertOperator(op: TfliteOperator): void {
    const code = this.tfl.operatorCodes[op.opcodeIndex]!
    switch (code.builtinCode) {
      case BuiltinOp.DEQUANTIZE:
        return this.dequantize(op)
      case BuiltinOp.CONV_2D:
        return this.conv(op)
      case BuiltinOp.DEPTHWISE_CONV_2D:
        return this.depthwiseConv(op)
      case BuiltinOp.AVERAGE_POOL_2D:
        return this.averagePool(op)
      case BuiltinOp.MEAN:
        return this.mean(op)
      case BuiltinOp.ADD:
        return this.binary(op, 'Add', (x, y) => x + y, Options.Add)
      case BuiltinOp.MUL:
        return this.binary(op, 'Mul', (x, y) => x * y, Options.Mul)
      case BuiltinOp.RELU:
        return this.unary(op, 'Relu', (x) => Math.max(x, 0))
      case BuiltinOp.LOGISTIC:
        return this.unary(op, 'Sigmoid', (x) => 1 / (1 + Math.exp(-x)))
      case BuiltinOp.HARD_SWISH:
        return this.unary(op, 'HardSwish', (x) => (x * Math.min(Math.max(x + 3, 0), 6)) / 6)
      case BuiltinOp.RESIZE_BILINEAR:
        return this.resizeBilinear(op)
      case BuiltinOp.CUSTOM:
        return this.transposeConvBias(op)
      default:
        throw this.fail(op, 'the operator is not supported')
    }
  }

  /** fp16 weights → float32 constants (folded); a dynamic fp16 tensor becomes a Cast. */
  private dequantize(op: TfliteOperator): void {
    const src = this.tensor(op.inputs[0] ?? -1)
    const v = this.input(op, 0)
    if (src.type !== TensorType.FLOAT16 && src.type !== TensorType.FLOAT32) {
      throw this.fail(op, `dequantizing ${this.typeName(src)} tensors (quantized models) is not supported; only fp16 weights are`)
    }
    if (v.kind === 'const') {
      this.values.set(this.outTensor(op).index, { kind: 'const', shape: this.outTensor(op).shape, data: v.data })
      return
    }
    const out = this.produce(op, v.nchw)
    this.g.addNode('Cast', [v.name], [out], [attr('to', DataType.FLOAT)])
  }

  private spatialPads(op: TfliteOperator, padding: number, inShape: number[], kernel: [number, number], strides: [number, number], dilations: [number, number]): number[] {
    if (padding === PAD_VALID) return [0, 0, 0, 0]
    if (padding !== PAD_SAME) throw this.fail(op, `padding ${padding} is not SAME or VALID`)
    const [t, b] = samePadding(inShape[1]!, kernel[0], strides[0], dilations[0])
    const [l, r] = samePadding(inShape[2]!, kernel[1], strides[1], dilations[1])
    return [t, l, b, r]
  }

  private positive(op: TfliteOperator, what: string, ...values: number[]): void {
    for (const v of values) if (!Number.isInteger(v) || v < 1) throw this.fail(op, `${what} must be ≥ 1 (got ${v})`)
  }

  private bias(op: TfliteOperator, k: number, channels: number, base: string): string[] {
    const v = this.optionalInput(op, k)
    if (!v) return []
    const b = this.constFloat(op, k, 'the bias')
    if (b.data.length !== channels) throw this.fail(op, `the bias has ${b.data.length} values for ${channels} output channels`)
    return [this.g.addFloat(`${base}_bias`, [channels], b.data)]
  }

  private conv(op: TfliteOperator): void {
    const o = this.options(op, Options.Conv2D)
    // Conv2DOptions: padding 0, stride_w 1, stride_h 2, fused_activation_function 3, dilation_w 4, dilation_h 5.
    const padding = o?.i8(0) ?? PAD_SAME
    const strides: [number, number] = [o?.i32(2) ?? 1, o?.i32(1) ?? 1]
    const dilations: [number, number] = [o?.i32(5, 1) ?? 1, o?.i32(4, 1) ?? 1]
    this.positive(op, 'strides and dilations', ...strides, ...dilations)
    const x = this.image(op)
    const w = this.constFloat(op, 1, 'the filter')
    if (w.shape.length !== 4 || w.shape[3] !== x.shape[3]) throw this.fail(op, `filter shape [${w.shape.join(',')}] does not fit input [${x.shape.join(',')}]`)
    const [outC, kh, kw] = w.shape as [number, number, number, number]
    const out = this.outTensor(op)
    const weight = permute(w.data, w.shape, [0, 3, 1, 2]) // OHWI → OIHW
    const inputs = [x.name, this.g.addFloat(`${out.name}_weight`, weight.shape, weight.data), ...this.bias(op, 2, outC, out.name)]
    const attrs = [
      attr('kernel_shape', [kh, kw]),
      attr('strides', strides),
      attr('dilations', dilations),
      attr('pads', this.spatialPads(op, padding, x.shape, [kh, kw], strides, dilations)),
      attr('group', 1),
    ]
    this.emitWithActivation(op, 'Conv', inputs, attrs, o?.i8(3) ?? Act.NONE)
  }

  private depthwiseConv(op: TfliteOperator): void {
    const o = this.options(op, Options.DepthwiseConv2D)
    // DepthwiseConv2DOptions: padding 0, stride_w 1, stride_h 2, depth_multiplier 3, fused 4, dilation_w 5, dilation_h 6.
    const padding = o?.i8(0) ?? PAD_SAME
    const strides: [number, number] = [o?.i32(2) ?? 1, o?.i32(1) ?? 1]
    const dilations: [number, number] = [o?.i32(6, 1) ?? 1, o?.i32(5, 1) ?? 1]
    this.positive(op, 'strides and dilations', ...strides, ...dilations)
    const x = this.image(op)
    const inC = x.shape[3]!
    const w = this.constFloat(op, 1, 'the filter')
    if (w.shape.length !== 4 || w.shape[0] !== 1 || w.shape[3]! % inC !== 0) {
      throw this.fail(op, `depthwise filter shape [${w.shape.join(',')}] does not fit input [${x.shape.join(',')}]`)
    }
    const [, kh, kw, outC] = w.shape as [number, number, number, number]
    // The stored multiplier is unreliable in old files; the filter's channel count is not.
    const multiplier = outC / inC
    const declared = o?.i32(3) ?? 0
    if (declared !== 0 && declared !== multiplier) throw this.fail(op, `depth_multiplier ${declared} does not match the filter (${multiplier})`)
    const out = this.outTensor(op)
    const weight = permute(w.data, w.shape, [3, 0, 1, 2]) // 1,H,W,C*M → C*M,1,H,W
    const inputs = [x.name, this.g.addFloat(`${out.name}_weight`, weight.shape, weight.data), ...this.bias(op, 2, outC, out.name)]
    const attrs = [
      attr('kernel_shape', [kh, kw]),
      attr('strides', strides),
      attr('dilations', dilations),
      attr('pads', this.spatialPads(op, padding, x.shape, [kh, kw], strides, dilations)),
      attr('group', inC),
    ]
    this.emitWithActivation(op, 'Conv', inputs, attrs, o?.i8(4) ?? Act.NONE)
  }

  private averagePool(op: TfliteOperator): void {
    const o = this.options(op, Options.Pool2D)
    if (!o) throw this.fail(op, 'the pooling options are missing')
    // Pool2DOptions: padding 0, stride_w 1, stride_h 2, filter_width 3, filter_height 4, fused 5.
    const padding = o.i8(0)
    const strides: [number, number] = [o.i32(2), o.i32(1)]
    const kernel: [number, number] = [o.i32(4), o.i32(3)]
    this.positive(op, 'strides and filter sizes', ...strides, ...kernel)
    const x = this.image(op)
    const fused = o.i8(5)
    // A window that covers the whole input once (no padding then, SAME or VALID) is a global mean.
    const out = this.outTensor(op)
    if (kernel[0] === x.shape[1] && kernel[1] === x.shape[2] && out.shape[1] === 1 && out.shape[2] === 1) {
      this.emitWithActivation(op, 'GlobalAveragePool', [x.name], [], fused)
      return
    }
    // TFLite divides by the number of valid (unpadded) pixels: count_include_pad = 0.
    const attrs = [
      attr('kernel_shape', kernel),
      attr('strides', strides),
      attr('pads', this.spatialPads(op, padding, x.shape, kernel, strides, [1, 1])),
      attr('count_include_pad', 0),
    ]
    this.emitWithActivation(op, 'AveragePool', [x.name], attrs, fused)
  }

  private mean(op: TfliteOperator): void {
    const o = this.options(op, Options.Reducer)
    const keepDims = o?.bool(0) ?? false
    const v = this.input(op, 0)
    if (v.kind !== 'dyn') throw this.fail(op, 'the input must not be constant')
    const rank = v.shape.length
    const axes = [...new Set(this.constInts(op, 1, 'the axes').map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b)
    if (axes.some((a) => a < 0 || a >= rank)) throw this.fail(op, `axes [${axes.join(',')}] are out of range for rank ${rank}`)
    if (!v.nchw) {
      this.g.addNode('ReduceMean', [v.name], [this.produce(op, false)], [attr('axes', axes), attr('keepdims', keepDims ? 1 : 0)])
      return
    }
    const nchwAxes = axes.map((a) => NHWC_TO_NCHW_AXIS[a]!).sort((a, b) => a - b)
    if (keepDims) {
      this.g.addNode('ReduceMean', [v.name], [this.produce(op, true)], [attr('axes', nchwAxes), attr('keepdims', 1)])
      return
    }
    // Dropping axes leaves TFLite's order only if we go back to NHWC first.
    const kept = this.g.unique(`${this.outTensor(op).name}_keepdims`)
    const nhwc = this.g.unique(`${this.outTensor(op).name}_nhwc`)
    this.g.addNode('ReduceMean', [v.name], [kept], [attr('axes', nchwAxes), attr('keepdims', 1)])
    this.g.addNode('Transpose', [kept], [nhwc], [attr('perm', [...PERM_NCHW_TO_NHWC])])
    this.g.addNode('Squeeze', [nhwc, this.g.addInt64(`${this.outTensor(op).name}_axes`, axes)], [this.produce(op, false)])
  }

  private unary(op: TfliteOperator, opType: string, fn: (x: number) => number): void {
    const v = this.input(op, 0)
    if (v.kind === 'const') {
      if (!(v.data instanceof Float32Array)) throw this.fail(op, 'the input must be float')
      this.values.set(this.outTensor(op).index, { kind: 'const', shape: v.shape, data: v.data.map(fn) })
      return
    }
    this.g.addNode(opType, [v.name], [this.produce(op, v.nchw)])
  }

  private binary(op: TfliteOperator, opType: string, fn: (x: number, y: number) => number, optionsType: number): void {
    const fused = this.options(op, optionsType)?.i8(0) ?? Act.NONE
    const a = this.input(op, 0)
    const b = this.input(op, 1)
    if (a.kind === 'const' && b.kind === 'const') {
      if (!(a.data instanceof Float32Array) || !(b.data instanceof Float32Array)) throw this.fail(op, 'the inputs must be float')
      const r = broadcastBinary(a.data, a.shape, b.data, b.shape, fn)
      if (!r) throw this.fail(op, `shapes [${a.shape.join(',')}] and [${b.shape.join(',')}] do not broadcast`)
      const act = (x: number): number =>
        fused === Act.RELU ? Math.max(x, 0) : fused === Act.RELU6 ? Math.min(Math.max(x, 0), 6) : fused === Act.RELU_N1_TO_1 ? Math.min(Math.max(x, -1), 1) : fused === Act.TANH ? Math.tanh(x) : x
      this.values.set(this.outTensor(op).index, { kind: 'const', shape: r.shape, data: r.data.map(act) })
      return
    }
    const out = this.outTensor(op)
    const nchw = out.shape.length === 4 && [a, b].some((v) => v.kind === 'dyn' && v.nchw)
    const operand = (v: Value, k: number): string => {
      if (v.kind === 'dyn') {
        if (!nchw || v.nchw) return v.name
        // A lower-rank activation broadcast against an image: lift it to NCHW.
        const padded = [...new Array<number>(4 - v.shape.length).fill(1), ...v.shape]
        const reshaped = this.g.unique(`${v.name}_4d`)
        const lifted = this.g.unique(`${v.name}_nchw`)
        this.g.addNode('Reshape', [v.name, this.g.addInt64(`${v.name}_shape4d`, padded)], [reshaped])
        this.g.addNode('Transpose', [reshaped], [lifted], [attr('perm', [...PERM_NHWC_TO_NCHW])])
        return lifted
      }
      if (!(v.data instanceof Float32Array)) throw this.fail(op, `input ${k} must be float`)
      if (!nchw) return this.g.addFloat(`${out.name}_operand${k}`, v.shape, v.data)
      if (v.shape.length > 4) throw this.fail(op, `constant of rank ${v.shape.length} cannot broadcast to rank 4`)
      const padded = [...new Array<number>(4 - v.shape.length).fill(1), ...v.shape]
      const t = permute(v.data, padded, PERM_NHWC_TO_NCHW)
      return this.g.addFloat(`${out.name}_operand${k}`, t.shape, t.data)
    }
    this.emitWithActivation(op, opType, [operand(a, 0), operand(b, 1)], [], fused, nchw)
  }

  private resizeBilinear(op: TfliteOperator): void {
    const o = this.options(op, Options.ResizeBilinear)
    // ResizeBilinearOptions: new_height 0 (deprecated), new_width 1 (deprecated), align_corners 2, half_pixel_centers 3.
    const alignCorners = o?.bool(2) ?? false
    const halfPixel = o?.bool(3) ?? false
    if (alignCorners && halfPixel) throw this.fail(op, 'align_corners and half_pixel_centers cannot both be set')
    const x = this.image(op)
    const size = this.constInts(op, 1, 'the output size')
    if (size.length !== 2 || size.some((d) => d < 1)) throw this.fail(op, `the output size must be [height, width] (got [${size.join(',')}])`)
    const out = this.outTensor(op)
    const sizes = this.g.addInt64(`${out.name}_sizes`, [x.shape[0]!, x.shape[3]!, size[0]!, size[1]!])
    // TFLite's three sampling grids map one-to-one onto ONNX's coordinate transformations.
    const mode = alignCorners ? 'align_corners' : halfPixel ? 'half_pixel' : 'asymmetric'
    this.g.addNode('Resize', [x.name, '', '', sizes], [this.produce(op, true)], [
      attr('mode', 'linear'),
      attr('coordinate_transformation_mode', mode),
    ])
  }

  /**
   * MediaPipe's Convolution2DTransposeBias (mediapipe/util/tflite/operations/transpose_conv_bias.cc):
   * a transposed convolution plus bias. Its custom options are a raw TfLiteTransposeConvParams:
   * int32 padding (1 SAME, 2 VALID), stride_width, stride_height.
   */
  private transposeConvBias(op: TfliteOperator): void {
    const raw = op.customOptions
    if (!raw || raw.length < 12) throw this.fail(op, `its custom options hold ${raw?.length ?? 0} bytes, expected 12`)
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
    const padding = dv.getInt32(0, true)
    const strides: [number, number] = [dv.getInt32(8, true), dv.getInt32(4, true)]
    if (padding !== 1 && padding !== 2) throw this.fail(op, `padding ${padding} is not SAME (1) or VALID (2)`)
    this.positive(op, 'strides', ...strides)
    const x = this.image(op)
    const w = this.constFloat(op, 1, 'the filter')
    if (w.shape.length !== 4 || w.shape[3] !== x.shape[3]) throw this.fail(op, `filter shape [${w.shape.join(',')}] does not fit input [${x.shape.join(',')}]`)
    const [outC, kh, kw] = w.shape as [number, number, number, number]
    const out = this.outTensor(op)
    if (out.shape.length !== 4) throw this.fail(op, `the output shape [${out.shape.join(',')}] is not rank 4`)
    // MediaPipe's kernel sizes the output itself: SAME trims max(0, k - (in-1) % s - 1) pixels,
    // half of them (rounded down) at the start; VALID trims nothing.
    const pads = [0, 0, 0, 0]
    for (const [axis, k, s] of [
      [1, kh, strides[0]],
      [2, kw, strides[1]],
    ] as const) {
      const inSize = x.shape[axis]!
      const trim = padding === 1 ? Math.max(0, k - ((inSize - 1) % s) - 1) : 0
      const size = s * (inSize - 1) + k - trim
      if (out.shape[axis] !== size) throw this.fail(op, `the output tensor is [${out.shape.join(',')}], but the operator produces ${size} along axis ${axis}`)
      pads[axis - 1] = Math.floor(trim / 2)
      pads[axis + 1] = trim - Math.floor(trim / 2)
    }
    const weight = permute(w.data, w.shape, [3, 0, 1, 2]) // OHWI → IOHW
    const inputs = [x.name, this.g.addFloat(`${out.name}_weight`, weight.shape, weight.data), ...this.bias(op, 2, outC, out.name)]
    this.g.addNode('ConvTranspose', inputs, [this.produce(op, true)], [
      attr('kernel_shape', [kh, kw]),
      attr('strides', strides),
      attr('pads', pads),
    ])
  }
}
