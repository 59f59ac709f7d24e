/** STUB (engine owner implements): detects how to drive a model from its inputs/outputs. */
import type { ModelInterface } from './types.js'

export interface TensorIO {
  name: string
  /** 'float32' | 'float16' | 'int64' | … */
  type: string
  /** numbers for fixed dims, strings for symbolic ones */
  shape: (number | string)[]
}

/** Throws PortsegError MODEL_INTERFACE_UNSUPPORTED saying what was expected. */
export function detectInterface(_inputs: TensorIO[], _outputs: TensorIO[]): ModelInterface {
  throw new Error('detectInterface: not implemented yet')
}

/** Reads inputs/outputs from ONNX bytes (no session needed). Throws MODEL_CORRUPT on bad bytes. */
export function readModelIO(_onnx: Uint8Array, _label?: string): { inputs: TensorIO[]; outputs: TensorIO[] } {
  throw new Error('readModelIO: not implemented yet')
}

export function detectModelInterface(onnx: Uint8Array, label?: string): ModelInterface {
  const io = readModelIO(onnx, label)
  return detectInterface(io.inputs, io.outputs)
}
