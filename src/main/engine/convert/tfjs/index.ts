import { PortsegError } from '../../../../shared/errors.js'
import { encodeModel, model } from '../../onnx/onnx-proto.js'
import { loadTfjsGraphModel } from './tfjs-model.js'
import { TfToOnnx, type ConvertStats, type GraphInputSpec, type GraphOutputSpec, type Precision } from './tf-to-onnx.js'

export type { Precision } from './tf-to-onnx.js'

export interface RvmTfjsConvertOptions {
  precision?: Precision
}

export interface RvmTfjsConvertReport {
  precision: Precision
  /** e.g. "TensorFlow.js Converter v3.7.0" */
  convertedBy: string
  /** float32 weights stored as uint8 with min/scale, dequantized as TF.js does */
  quantizedWeights: number
  tfNodes: number
  tfOps: Record<string, number>
  onnxNodes: number
  onnxOps: Record<string, number>
  initializers: number
  /** what the conversion fused or folded */
  fused: Omit<ConvertStats, 'tfOps'>
  bytes: number
  inputs: string[]
  outputs: string[]
}

const STATE_CHANNELS = [16, 20, 40, 64] as const

/** Signature key → graph node of the RVM TF.js release (see ../shared/models/README.md). */
const RVM_INPUTS = ['src', 'r1i', 'r2i', 'r3i', 'r4i', 'downsample_ratio'] as const
const RVM_OUTPUTS = ['fgr', 'pha', 'r1o', 'r2o', 'r3o', 'r4o'] as const

/**
 * Converts Robust Video Matting's TF.js graph model (model.json + shards) into ONNX with the
 * official RVM ONNX interface: src [B,3,H,W], r1i..r4i, downsample_ratio [1] (float32) →
 * fgr, pha, r1o..r4o, all NCHW. The fp16 variant keeps downsample_ratio and size arithmetic in fp32.
 */
export async function convertRvmTfjs(
  modelJsonPath: string,
  options: RvmTfjsConvertOptions = {},
): Promise<{ onnx: Uint8Array; report: RvmTfjsConvertReport }> {
  const precision = options.precision ?? 'fp32'
  if (precision !== 'fp32' && precision !== 'fp16') {
    throw new PortsegError('BAD_ARGUMENT', `convertRvmTfjs: options.precision must be "fp32" or "fp16" (got ${JSON.stringify(precision)})`)
  }
  const tf = await loadTfjsGraphModel(modelJsonPath)
  const missingIn = RVM_INPUTS.filter((k) => !tf.inputs[k])
  const missingOut = RVM_OUTPUTS.filter((k) => !tf.outputs[k])
  if (missingIn.length || missingOut.length) {
    throw new PortsegError(
      'MODEL_INTERFACE_UNSUPPORTED',
      `Cannot import ${modelJsonPath} as Robust Video Matting: its signature lacks ${[...missingIn.map((k) => `input ${k}`), ...missingOut.map((k) => `output ${k}`)].join(', ')}`,
      { hints: ['Only the RVM TF.js release (inputs src, r1i..r4i, downsample_ratio; outputs fgr, pha, r1o..r4o) can be imported.'] },
    )
  }
  const inputs: GraphInputSpec[] = [
    { tfName: tf.inputs.src!, onnxName: 'src', kind: 'float', rank: 4, dims: ['batch', 3, 'height', 'width'] },
    ...STATE_CHANNELS.map((_, i): GraphInputSpec => {
      const k = `r${i + 1}i`
      return { tfName: tf.inputs[k]!, onnxName: k, kind: 'float', rank: 4, dims: [`${k}_b`, `${k}_c`, `${k}_h`, `${k}_w`] }
    }),
    { tfName: tf.inputs.downsample_ratio!, onnxName: 'downsample_ratio', kind: 'meta', rank: 1, dims: [1] },
  ]
  const outputs: GraphOutputSpec[] = [
    { tfRef: tf.outputs.fgr!, onnxName: 'fgr', dims: ['batch', 3, 'height', 'width'] },
    { tfRef: tf.outputs.pha!, onnxName: 'pha', dims: ['batch', 1, 'height', 'width'] },
    ...STATE_CHANNELS.map((c, i): GraphOutputSpec => ({ tfRef: tf.outputs[`r${i + 1}o`]!, onnxName: `r${i + 1}o`, dims: ['batch', c, `r${i + 1}o_h`, `r${i + 1}o_w`] })),
  ]
  const conv = new TfToOnnx(tf.nodes, tf.weights, precision)
  const graph = conv.convert(inputs, outputs, `rvm_mobilenetv3_${precision}`)
  const m = model(graph, 17, 'portseg-tfjs-import', {
    'portseg.interface': 'rvm',
    'portseg.source': 'Robust Video Matting MobileNetV3, TF.js release (GPL-3.0)',
    'portseg.precision': precision,
    'portseg.converted_from': tf.convertedBy,
  })
  const onnx = encodeModel(m)
  const onnxOps: Record<string, number> = {}
  const count = (nodes: typeof graph.node): number => {
    let total = 0
    for (const n of nodes ?? []) {
      total++
      onnxOps[n.opType!] = (onnxOps[n.opType!] ?? 0) + 1
      for (const a of n.attribute ?? []) if (a.g) total += count(a.g.node)
    }
    return total
  }
  const onnxNodes = count(graph.node)
  const { tfOps, ...fused } = conv.stats
  return {
    onnx,
    report: {
      precision,
      convertedBy: tf.convertedBy,
      quantizedWeights: tf.quantizedWeights,
      tfNodes: tf.nodes.length,
      tfOps,
      onnxNodes,
      onnxOps,
      initializers: graph.initializer?.length ?? 0,
      fused,
      bytes: onnx.byteLength,
      inputs: inputs.map((i) => i.onnxName),
      outputs: outputs.map((o) => o.onnxName),
    },
  }
}
