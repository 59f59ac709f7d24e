import { FlatbufferView, type TableView } from './flatbuffer-view.js'

/**
 * The part of TensorFlow Lite's schema.fbs (tensorflow/lite/schema/schema.fbs, Apache-2.0) that
 * the converter reads. Slots follow the schema's field order; a union takes two slots (type, value).
 */

/** TensorType. */
export const TensorType = { FLOAT32: 0, FLOAT16: 1, INT32: 2, UINT8: 3, INT64: 4, STRING: 5, BOOL: 6, INT16: 7, COMPLEX64: 8, INT8: 9, FLOAT64: 10 } as const
export const TENSOR_TYPE_NAMES: readonly string[] = ['FLOAT32', 'FLOAT16', 'INT32', 'UINT8', 'INT64', 'STRING', 'BOOL', 'INT16', 'COMPLEX64', 'INT8', 'FLOAT64']

/** BuiltinOperator names by code, for readable errors (schema.fbs order). */
const BUILTIN_NAMES = (
  'ADD AVERAGE_POOL_2D CONCATENATION CONV_2D DEPTHWISE_CONV_2D DEPTH_TO_SPACE DEQUANTIZE EMBEDDING_LOOKUP FLOOR ' +
  'FULLY_CONNECTED HASHTABLE_LOOKUP L2_NORMALIZATION L2_POOL_2D LOCAL_RESPONSE_NORMALIZATION LOGISTIC LSH_PROJECTION ' +
  'LSTM MAX_POOL_2D MUL RELU RELU_N1_TO_1 RELU6 RESHAPE RESIZE_BILINEAR RNN SOFTMAX SPACE_TO_DEPTH SVDF TANH ' +
  'CONCAT_EMBEDDINGS SKIP_GRAM CALL CUSTOM EMBEDDING_LOOKUP_SPARSE PAD UNIDIRECTIONAL_SEQUENCE_RNN GATHER ' +
  'BATCH_TO_SPACE_ND SPACE_TO_BATCH_ND TRANSPOSE MEAN SUB DIV SQUEEZE UNIDIRECTIONAL_SEQUENCE_LSTM STRIDED_SLICE ' +
  'BIDIRECTIONAL_SEQUENCE_RNN EXP TOPK_V2 SPLIT LOG_SOFTMAX DELEGATE BIDIRECTIONAL_SEQUENCE_LSTM CAST PRELU MAXIMUM ' +
  'ARG_MAX MINIMUM LESS NEG PADV2 GREATER GREATER_EQUAL LESS_EQUAL SELECT SLICE SIN TRANSPOSE_CONV SPARSE_TO_DENSE ' +
  'TILE EXPAND_DIMS EQUAL NOT_EQUAL LOG SUM SQRT RSQRT SHAPE POW ARG_MIN FAKE_QUANT REDUCE_PROD REDUCE_MAX PACK ' +
  'LOGICAL_OR ONE_HOT LOGICAL_AND LOGICAL_NOT UNPACK REDUCE_MIN FLOOR_DIV REDUCE_ANY SQUARE ZEROS_LIKE FILL ' +
  'FLOOR_MOD RANGE RESIZE_NEAREST_NEIGHBOR LEAKY_RELU SQUARED_DIFFERENCE MIRROR_PAD ABS SPLIT_V UNIQUE CEIL ' +
  'REVERSE_V2 ADD_N GATHER_ND COS WHERE RANK ELU REVERSE_SEQUENCE MATRIX_DIAG QUANTIZE MATRIX_SET_DIAG ROUND ' +
  'HARD_SWISH IF WHILE NON_MAX_SUPPRESSION_V4 NON_MAX_SUPPRESSION_V5 SCATTER_ND SELECT_V2 DENSIFY SEGMENT_SUM ' +
  'BATCH_MATMUL'
).split(' ')

export const BuiltinOp = {
  ADD: 0,
  AVERAGE_POOL_2D: 1,
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 4,
  DEQUANTIZE: 6,
  LOGISTIC: 14,
  MUL: 18,
  RELU: 19,
  RESIZE_BILINEAR: 23,
  CUSTOM: 32,
  MEAN: 40,
  HARD_SWISH: 117,
} as const

export function builtinOpName(code: number): string {
  return BUILTIN_NAMES[code] ?? `BUILTIN_OP_${code}`
}

export interface TfliteOperatorCode {
  builtinCode: number
  customCode: string | null
  version: number
}

export interface TfliteTensor {
  index: number
  name: string
  shape: number[]
  type: number
  buffer: number
  /** True when the tensor carries quantisation scales (the converter handles float models only). */
  isQuantized: boolean
}

export interface TfliteOperator {
  index: number
  opcodeIndex: number
  /** -1 marks an omitted optional input. */
  inputs: number[]
  outputs: number[]
  builtinOptionsType: number
  builtinOptions: TableView | null
  customOptions: Uint8Array | null
}

export interface TfliteSubGraph {
  name: string
  tensors: TfliteTensor[]
  inputs: number[]
  outputs: number[]
  operators: TfliteOperator[]
}

export interface TfliteModel {
  version: number
  description: string
  operatorCodes: TfliteOperatorCode[]
  subgraphs: TfliteSubGraph[]
  /** Buffer data by index; buffer 0 is the empty sentinel. */
  buffers: Uint8Array[]
}

/** The operator's name: a builtin name, or the custom code for CUSTOM ops. */
export function operatorName(model: TfliteModel, op: TfliteOperator): string {
  const code = model.operatorCodes[op.opcodeIndex]
  if (!code) return `opcode #${op.opcodeIndex}`
  if (code.builtinCode === BuiltinOp.CUSTOM) return code.customCode ?? 'CUSTOM'
  return builtinOpName(code.builtinCode)
}

/** Parses a .tflite flatbuffer. Throws MODEL_CORRUPT for anything malformed. */
export function readTfliteModel(bytes: Uint8Array, label = 'The model'): TfliteModel {
  const view = new FlatbufferView(bytes, label)
  const root = view.root('TFL3')

  // Model: version 0, operator_codes 1, subgraphs 2, description 3, buffers 4.
  const operatorCodes = root.tables(1, 'operator code').map((t) => {
    // OperatorCode: deprecated_builtin_code:byte 0, custom_code 1, version 2, builtin_code:int 3.
    // Newer writers put codes > 127 in slot 3 only; TFLite takes the larger of the two.
    const builtinCode = Math.max(t.i8(0), t.i32(3))
    return { builtinCode, customCode: t.string(1), version: t.i32(2, 1) }
  })

  const buffers = root.tables(4, 'buffer').map((t, i) => {
    // Buffer: data 0, offset:ulong 1, size:ulong 2 (offset/size are used by >2 GB files).
    const data = t.bytes(0)
    if (data && data.length > 0) return data
    const offset = t.u64(1)
    const size = t.u64(2)
    if (offset > 1) {
      view.need(offset, size, `the data of buffer ${i}`)
      return bytes.subarray(offset, offset + size)
    }
    return new Uint8Array(0)
  })

  const subgraphs = root.tables(2, 'subgraph').map((sg, s) => {
    // SubGraph: tensors 0, inputs 1, outputs 2, operators 3, name 4.
    const tensors = sg.tables(0, `tensor of subgraph ${s}, number`).map((t, index) => {
      // Tensor: shape 0, type 1, buffer 2, name 3, quantization 4.
      const q = t.table(4, `the quantization of tensor ${index}`)
      const buffer = t.u32(2)
      if (buffer >= buffers.length) throw view.corrupt(`tensor ${index} refers to buffer ${buffer}, but there are ${buffers.length}`)
      const shape = t.int32s(0)
      if (shape.some((d) => d < 0)) throw view.corrupt(`tensor ${index} has a negative dimension (${shape.join('x')})`)
      return {
        index,
        name: t.string(3) ?? `tensor_${index}`,
        shape,
        type: t.i8(1),
        buffer,
        // QuantizationParameters: min 0, max 1, scale 2, zero_point 3.
        isQuantized: q !== null && (q.vector(2, 4)?.length ?? 0) > 0,
      }
    })
    const checkIndex = (i: number, where: string): void => {
      if (i !== -1 && (i < 0 || i >= tensors.length)) throw view.corrupt(`${where} refers to tensor ${i}, but subgraph ${s} has ${tensors.length}`)
    }
    const operators = sg.tables(3, `operator of subgraph ${s}, number`).map((o, index) => {
      // Operator: opcode_index 0, inputs 1, outputs 2, builtin_options_type 3, builtin_options 4, custom_options 5.
      const opcodeIndex = o.u32(0)
      if (opcodeIndex >= operatorCodes.length) throw view.corrupt(`operator ${index} uses opcode ${opcodeIndex}, but there are ${operatorCodes.length}`)
      const inputs = o.int32s(1)
      const outputs = o.int32s(2)
      for (const i of [...inputs, ...outputs]) checkIndex(i, `operator ${index}`)
      return {
        index,
        opcodeIndex,
        inputs,
        outputs,
        builtinOptionsType: o.u8(3),
        builtinOptions: o.table(4, `the options of operator ${index}`),
        customOptions: o.bytes(5),
      }
    })
    const inputs = sg.int32s(1)
    const outputs = sg.int32s(2)
    for (const i of [...inputs, ...outputs]) checkIndex(i, `the subgraph's inputs/outputs`)
    return { name: sg.string(4) ?? '', tensors, inputs, outputs, operators }
  })

  if (subgraphs.length === 0) throw view.corrupt('it has no subgraph')
  return { version: root.u32(0), description: root.string(3) ?? '', operatorCodes, subgraphs, buffers }
}
