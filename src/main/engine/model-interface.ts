/**
 * Detects how to drive a model from its graph inputs and outputs — never from its file name.
 * Two interfaces are supported: recurrent matting (RVM) and single-frame segmentation
 * (MediaPipe selfie, SINet). Anything else is refused with an error that lists what was found.
 */
import { PortsegError } from '../../shared/errors.js'
import { DataType, decodeModel, type ValueInfoProto } from './onnx/onnx-proto.js'
import type { ModelInterface, RecurrentMattingInterface, SegmentationInterface } from './types.js'

export interface TensorIO {
  name: string
  /** 'float32' | 'float16' | 'int64' | … */
  type: string
  /** numbers for fixed dims, strings for symbolic ones */
  shape: (number | string)[]
}

const ELEM_TYPE_NAMES: Record<number, string> = {
  [DataType.FLOAT]: 'float32',
  [DataType.UINT8]: 'uint8',
  [DataType.INT8]: 'int8',
  [DataType.INT32]: 'int32',
  [DataType.INT64]: 'int64',
  [DataType.BOOL]: 'bool',
  [DataType.FLOAT16]: 'float16',
  [DataType.DOUBLE]: 'float64',
}

function toTensorIO(v: ValueInfoProto): TensorIO {
  const t = v.type?.tensorType
  const elem = t?.elemType ?? 0
  return {
    name: v.name ?? '',
    type: ELEM_TYPE_NAMES[elem] ?? `elem-type-${elem}`,
    shape: (t?.shape?.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue > 0 ? d.dimValue : (d.dimParam ?? '?'))),
  }
}

/** Reads inputs/outputs from ONNX bytes (no session needed). Throws MODEL_CORRUPT on bad bytes. */
export function readModelIO(onnx: Uint8Array, label = 'The model'): { inputs: TensorIO[]; outputs: TensorIO[] } {
  const corrupt = (why: string): PortsegError =>
    new PortsegError('MODEL_CORRUPT', `${label} is not a usable ONNX model: ${why}.`, {
      hints: ['Download or import the model again; the file may be truncated or not an ONNX model at all.'],
    })
  let model
  try {
    model = decodeModel(onnx, label)
  } catch (e) {
    const detail = e instanceof Error ? e.message.replace(/^.*?: /, '') : String(e)
    throw new PortsegError('MODEL_CORRUPT', `${label} is not a valid ONNX file (${onnx.byteLength} bytes): the protobuf data is damaged or ends early (${detail}).`, {
      cause: e,
      hints: ['Download or import the model again; the file may be truncated or not an ONNX model at all.'],
    })
  }
  const graph = model.graph
  if (!graph) throw corrupt('it has no graph')
  // Old exporters list initializers among the graph inputs (SINet); they are weights, not inputs.
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name))
  const inputs = (graph.input ?? []).filter((v) => !initializers.has(v.name)).map(toTensorIO)
  const outputs = (graph.output ?? []).map(toTensorIO)
  if (inputs.length === 0 || outputs.length === 0) throw corrupt(`it declares ${inputs.length} inputs and ${outputs.length} outputs`)
  if ((graph.node ?? []).length === 0) throw corrupt('its graph has no nodes')
  if ([...inputs, ...outputs].some((t) => t.name === '')) throw corrupt('a graph input or output has no name')
  return { inputs, outputs }
}

export function detectModelInterface(onnx: Uint8Array, label?: string): ModelInterface {
  const io = readModelIO(onnx, label)
  return detectInterface(io.inputs, io.outputs, label)
}

const RVM_INPUTS = ['src', 'r1i', 'r2i', 'r3i', 'r4i', 'downsample_ratio'] as const
const RVM_OUTPUTS = ['fgr', 'pha', 'r1o', 'r2o', 'r3o', 'r4o'] as const

function describe(list: TensorIO[]): string {
  return list.map((t) => `${t.name} ${t.type} [${t.shape.join(',')}]`).join(', ')
}

const EXPECTED = [
  'recurrent matting (RVM): inputs src [1,3,H,W] float32|float16, r1i..r4i, downsample_ratio float32 [1]; outputs fgr, pha, r1o..r4o',
  'segmentation, NHWC: one float32 input [1,H,W,3] (RGB 0..1, MediaPipe selfie) and a 1-channel probability output [1,H,W,1]',
  'segmentation, NCHW: one float32 input [1,3,H,W] and a [1,1,H,W] probability or [1,2,H,W] softmax output (SINet)',
]

/** Throws PortsegError MODEL_INTERFACE_UNSUPPORTED saying what was expected. */
export function detectInterface(inputs: TensorIO[], outputs: TensorIO[], label = 'The model'): ModelInterface {
  const problems: string[] = []
  const rvm = detectRecurrent(inputs, outputs, problems)
  if (rvm) return rvm
  const seg = detectSegmentation(inputs, outputs, problems)
  if (seg) return seg
  throw new PortsegError(
    'MODEL_INTERFACE_UNSUPPORTED',
    `${label} has an interface PortSeg cannot drive. It has inputs: ${describe(inputs)}; outputs: ${describe(outputs)}. ` +
      `Expected one of: ${EXPECTED.join('; ')}.` +
      (problems.length > 0 ? ` Closest match: ${problems.join('; ')}.` : ''),
    { hints: ['Use a built-in model (`portseg models list`), or convert your model to one of the interfaces above.'] },
  )
}

function detectRecurrent(inputs: TensorIO[], outputs: TensorIO[], problems: string[]): RecurrentMattingInterface | null {
  const inByName = new Map(inputs.map((t) => [t.name, t]))
  const outNames = new Set(outputs.map((t) => t.name))
  const presentIn = RVM_INPUTS.filter((n) => inByName.has(n))
  if (presentIn.length === 0) return null
  const missing = [...RVM_INPUTS.filter((n) => !inByName.has(n)), ...RVM_OUTPUTS.filter((n) => !outNames.has(n))]
  if (missing.length > 0) {
    problems.push(`recurrent matting, but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing`)
    return null
  }
  const src = inByName.get('src')!
  const precision = src.type === 'float32' ? 'fp32' : src.type === 'float16' ? 'fp16' : null
  if (!precision) {
    problems.push(`recurrent matting, but src is ${src.type} (expected float32 or float16)`)
    return null
  }
  if (src.shape.length !== 4 || (typeof src.shape[1] === 'number' && src.shape[1] !== 3)) {
    problems.push(`recurrent matting, but src is [${src.shape.join(',')}] (expected NCHW [B,3,H,W])`)
    return null
  }
  const ratio = inByName.get('downsample_ratio')!
  if (ratio.type !== 'float32') {
    problems.push(`recurrent matting, but downsample_ratio is ${ratio.type} (expected float32)`)
    return null
  }
  const srcType = src.type
  const badState = (['r1i', 'r2i', 'r3i', 'r4i'] as const).find((n) => inByName.get(n)!.type !== srcType)
  if (badState) {
    problems.push(`recurrent matting, but ${badState} is ${inByName.get(badState)!.type} while src is ${srcType}`)
    return null
  }
  return {
    kind: 'recurrent-matting',
    precision,
    inputNames: { src: 'src', r1i: 'r1i', r2i: 'r2i', r3i: 'r3i', r4i: 'r4i', downsampleRatio: 'downsample_ratio' },
    outputNames: { fgr: 'fgr', pha: 'pha', r1o: 'r1o', r2o: 'r2o', r3o: 'r3o', r4o: 'r4o' },
  }
}

function fixedDim(d: number | string | undefined): number | null {
  return typeof d === 'number' && d > 0 ? d : null
}

function detectSegmentation(inputs: TensorIO[], outputs: TensorIO[], problems: string[]): SegmentationInterface | null {
  if (inputs.length !== 1) return null
  const input = inputs[0]!
  if (input.type !== 'float32' || input.shape.length !== 4) {
    problems.push(`segmentation, but the input is ${input.type} [${input.shape.join(',')}] (expected float32, rank 4)`)
    return null
  }
  const [, d1, d2, d3] = input.shape
  let layout: 'NHWC' | 'NCHW'
  let width: number | null
  let height: number | null
  if (d3 === 3 && d1 !== 3) {
    layout = 'NHWC'
    height = fixedDim(d1)
    width = fixedDim(d2)
  } else if (d1 === 3) {
    layout = 'NCHW'
    height = fixedDim(d2)
    width = fixedDim(d3)
  } else {
    problems.push(`segmentation, but input ${input.name} [${input.shape.join(',')}] has no 3-channel axis`)
    return null
  }
  if (width === null || height === null) {
    problems.push(`segmentation, but input ${input.name} [${input.shape.join(',')}] has no fixed height and width`)
    return null
  }
  // The mask output: rank 4 float32 with 1 (probability) or 2 (softmax: background, person) channels.
  for (const out of outputs) {
    if (out.type !== 'float32' || out.shape.length !== 4) continue
    const ch = layout === 'NHWC' ? out.shape[3] : out.shape[1]
    if (ch !== 1 && ch !== 2) continue
    const output = ch === 1 ? 'probability' : 'softmax2'
    const outH = fixedDim(layout === 'NHWC' ? out.shape[1] : out.shape[2])
    const outW = fixedDim(layout === 'NHWC' ? out.shape[2] : out.shape[3])
    const seg: SegmentationInterface = {
      kind: 'segmentation',
      layout,
      width,
      height,
      // SINet's softmax head comes with its BGR / mean-std preprocessing (../shared/models/README.md).
      preprocess: layout === 'NCHW' && output === 'softmax2' ? 'sinet' : 'rgb01',
      output,
      inputName: input.name,
      outputName: out.name,
    }
    if (outW !== null && outH !== null && (outW !== width || outH !== height)) {
      seg.maskWidth = outW
      seg.maskHeight = outH
    }
    return seg
  }
  problems.push(`segmentation input ${input.name}, but no output is a float32 rank-4 mask with 1 or 2 channels`)
  return null
}
