import {
  node,
  tensorFromFloat32,
  tensorFromInt64,
  type AttributeProto,
  type NodeProto,
  type TensorProto,
} from '../../onnx/onnx-proto.js'

/**
 * Collects ONNX nodes and initializers with unique, stable names. Converters walk their source
 * graph in order and call this; the output is deterministic because names depend only on the
 * source graph.
 */
export class GraphBuilder {
  readonly nodes: NodeProto[] = []
  readonly initializers: TensorProto[] = []
  private readonly names = new Set<string>()

  /** Claims a name exactly (graph inputs/outputs); returns false if it was taken. */
  reserve(name: string): boolean {
    if (this.names.has(name)) return false
    this.names.add(name)
    return true
  }

  /** A fresh name based on `base`. */
  unique(base: string): string {
    let name = base
    for (let i = 1; this.names.has(name); i++) name = `${base}__${i}`
    this.names.add(name)
    return name
  }

  addNode(opType: string, inputs: string[], outputs: string[], attributes: AttributeProto[] = []): void {
    this.nodes.push(node(opType, inputs, outputs, attributes, this.unique(`${opType}:${outputs[0] ?? ''}`)))
  }

  addFloat(base: string, dims: readonly number[], data: Float32Array): string {
    const name = this.unique(base)
    this.initializers.push(tensorFromFloat32(name, [...dims], data))
    return name
  }

  addInt64(base: string, values: readonly number[]): string {
    const name = this.unique(base)
    this.initializers.push(tensorFromInt64(name, [values.length], values))
    return name
  }
}
