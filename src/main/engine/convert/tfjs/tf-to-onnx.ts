import { PortsegError } from '../../../../shared/errors.js'
import {
  DataType,
  attr,
  float32ToFloat16Bits,
  node as onnxNode,
  tensorFromFloat16Bits,
  tensorFromFloat32,
  tensorFromInt32,
  tensorFromInt64,
  type AttributeProto,
  type GraphProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from '../../onnx/onnx-proto.js'
import type { TfAttr, TfConst, TfNodeDef } from './tfjs-model.js'

/**
 * TF graph (NHWC, Switch/Merge control flow) → ONNX graph (NCHW, If).
 *
 * Every rank-4 float tensor is stored NCHW; shape vectors stay in TF's logical NHWC order, so the
 * int arithmetic the graph does on shapes is unchanged, and only the places where a shape meets a
 * tensor (Shape, Slice, BroadcastTo, Resize, Pad, axis attributes) permute.
 */

export type Precision = 'fp32' | 'fp16'

/** 'float' is image data (fp16 in the fp16 variant); 'meta' is float arithmetic on sizes (always fp32). */
type Kind = 'float' | 'meta' | 'int32' | 'int64' | 'bool'

interface Val {
  /** ONNX value name; empty for a constant that has not been written yet. */
  name: string
  kind: Kind
  rank: number | undefined
  /** rank-4 data stored as NCHW (logical NHWC) */
  nchw: boolean
  konst?: TfConst
}

interface Ctx {
  pred: string
  branch: boolean
}

interface Ref {
  node: string
  port: number
}

export interface GraphInputSpec {
  tfName: string
  onnxName: string
  kind: 'float' | 'meta'
  rank: number
  dims: (number | string)[]
}
export interface GraphOutputSpec {
  tfRef: string
  onnxName: string
  dims: (number | string)[]
}

export interface ConvertStats {
  tfOps: Record<string, number>
  convs: number
  foldedPads: number
  dilatedConvs: number
  hardSwish: number
  hardSigmoid: number
  ifNodes: number
}

const NHWC_TO_NCHW = [0, 3, 1, 2] // stored axis i holds logical axis NHWC_TO_NCHW[i]
const LOGICAL_TO_STORED = [0, 2, 3, 1] // logical axis a lives at stored axis LOGICAL_TO_STORED[a]
// Slice clamps ends to the dimension; a safe integer keeps the int64 encoding exact.
const INT64_MAX = Number.MAX_SAFE_INTEGER

const UNSUPPORTED_HINT = 'This importer handles the Robust Video Matting TF.js release; other TF.js graphs may use ops it does not map yet.'

function parseRef(s: string): Ref {
  const m = /^(.*?)(?::(\d+))?$/.exec(s)!
  return { node: m[1]!, port: m[2] === undefined ? 0 : Number(m[2]) }
}
function refKey(r: Ref): string {
  return `${r.node}:${r.port}`
}
function b64(s: string | undefined): string {
  return s === undefined ? '' : Buffer.from(s, 'base64').toString('latin1')
}
function ints(a: TfAttr | undefined): number[] {
  return (a?.list?.i ?? []).map(Number)
}
function int(a: TfAttr | undefined, dflt = 0): number {
  return a?.i === undefined ? dflt : Number(a.i)
}

export class TfToOnnx {
  readonly stats: ConvertStats = { tfOps: {}, convs: 0, foldedPads: 0, dilatedConvs: 0, hardSwish: 0, hardSigmoid: 0, ifNodes: 0 }
  private readonly byName = new Map<string, TfNodeDef>()
  private readonly consumers = new Map<string, number>()
  private readonly vals = new Map<string, Val>()
  private readonly ctxMemo = new Map<string, Ctx | null>()
  private readonly scopes = new Map<string, NodeProto[]>([['', []]])
  private readonly branchOutputs = new Map<string, ValueInfoProto[]>()
  private readonly initializers: TensorProto[] = []
  private readonly constCache = new Map<string, string>()
  private readonly used = new Set<string>()
  private readonly unsupported = new Set<string>()
  private cur = ''
  private counter = 0
  /** fp16 variant: conditional branches kept in fp32 (the guided filter's variance is cancellation-prone). */
  private readonly fp32Scopes = new Set<string>()
  private readonly castCache = new Map<string, string>()
  private readonly floatType: number

  constructor(
    nodes: TfNodeDef[],
    private readonly weights: Map<string, TfConst>,
    private readonly precision: Precision,
  ) {
    this.floatType = precision === 'fp16' ? DataType.FLOAT16 : DataType.FLOAT
    for (const n of nodes) {
      this.byName.set(n.name, n)
      this.stats.tfOps[n.op] = (this.stats.tfOps[n.op] ?? 0) + 1
      for (const i of n.input) if (!i.startsWith('^')) this.consumers.set(parseRef(i).node, (this.consumers.get(parseRef(i).node) ?? 0) + 1)
    }
    if (precision === 'fp16') {
      for (const n of nodes) {
        if (n.op !== 'RealDiv') continue
        const key = this.scopeKey(this.ctxOf(n))
        if (key) this.fp32Scopes.add(key)
      }
    }
  }

  /** Converts the part of the graph that the outputs need. */
  convert(inputs: GraphInputSpec[], outputs: GraphOutputSpec[], graphName: string): GraphProto {
    for (const inp of inputs) {
      if (!this.byName.has(inp.tfName)) throw this.fail(`the graph has no input named ${inp.tfName}`)
      this.vals.set(`${inp.tfName}:0`, { name: inp.onnxName, kind: inp.kind, rank: inp.rank, nchw: inp.rank === 4 && inp.kind === 'float' })
    }
    // Find every op the outputs need first, so an unsupported graph fails with the whole list.
    this.checkOps(outputs.map((o) => parseRef(o.tfRef)))
    const outNodes: NodeProto[] = []
    for (const o of outputs) {
      const v = this.get(parseRef(o.tfRef))
      this.cur = ''
      outNodes.push(onnxNode('Identity', [this.name(v)], [o.onnxName]))
    }
    this.scopes.get('')!.push(...outNodes)
    return {
      name: graphName,
      node: this.scopes.get('')!,
      initializer: this.initializers,
      input: inputs.map((i) => ({
        name: i.onnxName,
        type: { tensorType: { elemType: i.kind === 'meta' ? DataType.FLOAT : this.floatType, shape: { dim: i.dims.map(dimOf) } } },
      })),
      output: outputs.map((o) => ({
        name: o.onnxName,
        type: { tensorType: { elemType: this.floatType, shape: { dim: o.dims.map(dimOf) } } },
      })),
    }
  }

  private fail(why: string, cause?: unknown): PortsegError {
    return new PortsegError('MODEL_CONVERT_FAILED', `Cannot convert the TF.js graph to ONNX: ${why}`, { cause, hints: [UNSUPPORTED_HINT] })
  }

  // ---- graph walking ------------------------------------------------------------------------

  private static readonly SUPPORTED = new Set([
    'Placeholder', 'Const', 'Identity', 'Switch', 'Merge', 'Equal', 'Squeeze', 'Shape', 'StridedSlice', 'Cast', 'Mul', 'Sub',
    'AddV2', 'Add', 'RealDiv', 'Minimum', 'Maximum', 'Square', 'Sigmoid', 'Tanh', 'Relu', 'Relu6', 'ResizeBilinear', 'AvgPool',
    'Pack', 'Pad', '_FusedConv2D', 'Conv2D', 'FusedDepthwiseConv2dNative', 'DepthwiseConv2dNative', 'Mean', 'FloorMod',
    'SpaceToBatchND', 'BatchToSpaceND', 'Split', 'SplitV', 'BroadcastTo', 'ConcatV2', 'Slice',
  ])

  private readonly reachable = new Set<string>()

  private checkOps(roots: Ref[]): void {
    const seen = this.reachable
    const stack = roots.map((r) => r.node)
    while (stack.length) {
      const name = stack.pop()!
      if (seen.has(name)) continue
      seen.add(name)
      const n = this.byName.get(name)
      if (!n) throw this.fail(`node ${name} is referenced but not defined`)
      if (!TfToOnnx.SUPPORTED.has(n.op)) this.unsupported.add(n.op)
      for (const i of n.input) if (!i.startsWith('^')) stack.push(parseRef(i).node)
    }
    if (this.unsupported.size) {
      const ops = [...this.unsupported].sort()
      throw new PortsegError('MODEL_CONVERT_UNSUPPORTED_OP', `Cannot convert the TF.js graph to ONNX: it uses ${ops.length === 1 ? 'an op' : 'ops'} this importer does not support: ${ops.join(', ')}`, {
        hints: [UNSUPPORTED_HINT, 'Export the model to ONNX with tf2onnx instead, or open an issue with the model attached.'],
      })
    }
  }

  private node(name: string): TfNodeDef {
    const n = this.byName.get(name)
    if (!n) throw this.fail(`node ${name} is referenced but not defined`)
    return n
  }
  private dataInputs(n: TfNodeDef): Ref[] {
    return n.input.filter((i) => !i.startsWith('^')).map(parseRef)
  }

  private refCtx(r: Ref): Ctx | null {
    const n = this.node(r.node)
    if (n.op === 'Switch') return { pred: this.dataInputs(n)[1]!.node, branch: r.port === 1 }
    return this.ctxOf(n)
  }
  private ctxOf(n: TfNodeDef): Ctx | null {
    const memo = this.ctxMemo.get(n.name)
    if (memo !== undefined) return memo
    let ctx: Ctx | null = null
    if (n.op !== 'Merge' && n.op !== 'Const' && n.op !== 'Placeholder') {
      for (const r of this.dataInputs(n)) {
        const c = this.refCtx(r)
        if (!c) continue
        if (ctx && (ctx.pred !== c.pred || ctx.branch !== c.branch)) throw this.fail(`node ${n.name} mixes two conditional branches (nested control flow is not supported)`)
        ctx = c
      }
    }
    this.ctxMemo.set(n.name, ctx)
    return ctx
  }
  private scopeKey(c: Ctx | null): string {
    return c ? `${c.pred}|${c.branch ? 'then' : 'else'}` : ''
  }

  private get(r: Ref): Val {
    const key = refKey(r)
    const have = this.vals.get(key)
    if (have) return have
    const saved = this.cur
    const n = this.node(r.node)
    try {
      this.convertNode(n)
    } finally {
      this.cur = saved
    }
    const v = this.vals.get(key)
    if (!v) throw this.fail(`node ${n.name} (${n.op}) has no output ${r.port}`)
    return v
  }
  private input(n: TfNodeDef, i: number): Val {
    const r = this.dataInputs(n)[i]
    if (!r) throw this.fail(`node ${n.name} (${n.op}) lacks input ${i}`)
    return this.get(r)
  }
  private set(n: TfNodeDef, v: Val, port = 0): void {
    this.vals.set(`${n.name}:${port}`, this.inF32() && v.kind === 'float' ? { ...v, kind: 'meta' } : v)
  }
  private inF32(): boolean {
    return this.fp32Scopes.has(this.cur)
  }
  /** The kind of image data in the current scope. */
  private fk(): Kind {
    return this.inF32() ? 'meta' : 'float'
  }

  // ---- emission helpers ----------------------------------------------------------------------

  private fresh(base: string): string {
    const short = base.replace(/^StatefulPartitionedCall\/matting_network_wrapper\/StatefulPartitionedCall\//, '')
    return `${short}#${this.counter++}`
  }
  private emit(op: string, inputs: string[], outputs: string[], attrs: AttributeProto[] = []): void {
    let list = this.scopes.get(this.cur)
    if (!list) {
      list = []
      this.scopes.set(this.cur, list)
    }
    list.push(onnxNode(op, inputs, outputs, attrs))
  }
  /** One-output op; returns the output name. */
  private op(op: string, inputs: string[], base: string, attrs: AttributeProto[] = []): string {
    const out = this.fresh(`${base}/${op}`)
    this.emit(op, inputs, [out], attrs)
    return out
  }
  private constTensor(name: string, c: TfConst, kind: Kind): TensorProto {
    if (c.dtype === 'float32') {
      const f = c.data as Float32Array
      if (kind === 'float' && this.precision === 'fp16') return tensorFromFloat16Bits(name, c.shape, float32ToFloat16Bits(f))
      if (kind === 'int64') return tensorFromInt64(name, c.shape, Array.from(f))
      return tensorFromFloat32(name, c.shape, f)
    }
    if (c.dtype === 'int32') {
      if (kind === 'int64') return tensorFromInt64(name, c.shape, Array.from(c.data))
      return tensorFromInt32(name, c.shape, Array.from(c.data))
    }
    return { name, dims: c.shape, dataType: DataType.BOOL, rawData: new Uint8Array(c.data) }
  }
  private addInit(base: string, c: TfConst, kind: Kind): string {
    const name = this.fresh(base)
    this.initializers.push(this.constTensor(name, c, kind))
    return name
  }
  /** The ONNX name of a value, writing a constant on first use. */
  private name(v: Val, kind: Kind = v.kind): string {
    if (this.inF32() && kind === 'float') kind = 'meta'
    if (!v.konst) {
      if (this.inF32() && v.kind === 'float') {
        const key = `${this.cur}|${v.name}`
        let c = this.castCache.get(key)
        if (!c) {
          c = this.op('Cast', [v.name], v.name, [attr('to', DataType.FLOAT)])
          this.castCache.set(key, c)
        }
        return c
      }
      return v.name
    }
    const key = `${v.name || 'anon'}|${kind}`
    let nm = this.constCache.get(key)
    if (!nm) {
      nm = this.addInit(v.name || 'const', v.konst, kind)
      this.constCache.set(key, nm)
    }
    return nm
  }
  private i64(values: number[], base = 'i64'): string {
    const key = `i64:${values.join(',')}`
    let nm = this.constCache.get(key)
    if (!nm) {
      nm = this.fresh(base)
      this.initializers.push(tensorFromInt64(nm, [values.length], values))
      this.constCache.set(key, nm)
    }
    return nm
  }
  private scalarFloat(x: number, kind: Kind): string {
    const key = `f:${x}|${kind}`
    let nm = this.constCache.get(key)
    if (!nm) {
      nm = this.fresh('scalar')
      this.initializers.push(this.constTensor(nm, { dtype: 'float32', shape: [], data: Float32Array.of(x) }, kind))
      this.constCache.set(key, nm)
    }
    return nm
  }
  private toInt64(v: Val, base: string): string {
    if (v.konst) return this.name(v, 'int64')
    if (v.kind === 'int64') return v.name
    return this.op('Cast', [v.name], base, [attr('to', DataType.INT64)])
  }
  /** Logical (NHWC) shape vector → stored (NCHW) order, as int64. */
  private storedShape(shapeVal: Val, base: string): string {
    if (shapeVal.konst) {
      const d = Array.from(shapeVal.konst.data)
      return this.i64(NHWC_TO_NCHW.map((i) => d[i]!))
    }
    return this.op('Gather', [this.toInt64(shapeVal, base), this.i64(NHWC_TO_NCHW)], base, [attr('axis', 0)])
  }
  private constOf(v: Val, what: string, n: TfNodeDef): TfConst {
    if (!v.konst) throw this.fail(`${n.op} ${n.name}: ${what} must be a constant`)
    return v.konst
  }
  private weightVal(name: string): Val {
    const c = this.weights.get(name)
    if (!c) throw this.fail(`constant ${name} has no value in the weights manifest`)
    const kind: Kind = c.dtype === 'float32' ? 'float' : c.dtype === 'int32' ? 'int32' : 'bool'
    return { name, kind, rank: c.shape.length, nchw: false, konst: c }
  }

  // ---- nodes ---------------------------------------------------------------------------------

  private convertNode(n: TfNodeDef): void {
    if (n.op === 'Const') return void this.vals.set(`${n.name}:0`, this.weightVal(n.name))
    // Aliases keep the value as is (set() would retype it for the scope the caller is in).
    if (n.op === 'Identity') return void this.vals.set(`${n.name}:0`, this.input(n, 0))
    if (n.op === 'Switch') {
      // Both ports alias the data input; which branch a consumer lives in is its context.
      const v = this.input(n, 0)
      this.vals.set(`${n.name}:0`, v)
      this.vals.set(`${n.name}:1`, v)
      return
    }
    if (n.op === 'Merge') return this.convertCond(this.mergeCtxPred(n))
    if (n.op === 'Placeholder') throw this.fail(`graph input ${n.name} is not mapped to an ONNX input`)
    this.cur = this.scopeKey(this.ctxOf(n))
    const fn = this.ops[n.op]
    if (!fn) throw new PortsegError('MODEL_CONVERT_UNSUPPORTED_OP', `Cannot convert the TF.js graph to ONNX: op ${n.op} (${n.name}) is not supported`, { hints: [UNSUPPORTED_HINT] })
    fn.call(this, n)
  }

  private mergeCtxPred(n: TfNodeDef): string {
    for (const r of this.dataInputs(n)) {
      const c = this.refCtx(r)
      if (c) return c.pred
    }
    throw this.fail(`Merge ${n.name} has no conditional input`)
  }

  /** Switch/Merge around one predicate → one ONNX If with every live Merge as an output. */
  private convertCond(pred: string): void {
    const merges = [...this.byName.values()].filter((m) => m.op === 'Merge' && this.isLiveMerge(m) && this.mergeCtxPred(m) === pred)
    const predVal = this.get({ node: pred, port: 0 })
    const outerScope = this.scopeKey(this.ctxOf(this.node(pred)))
    const outs: string[] = []
    const branches: Record<'then' | 'else', { nodes: NodeProto[]; outputs: ValueInfoProto[] }> = {
      then: { nodes: [], outputs: [] },
      else: { nodes: [], outputs: [] },
    }
    const results: Val[] = []
    for (const m of merges) {
      const vals = (['then', 'else'] as const).map((branch) => {
        const r = this.dataInputs(m).find((ref) => {
          const c = this.refCtx(ref)
          return c !== null && c.pred === pred && c.branch === (branch === 'then')
        })
        if (!r) throw this.fail(`Merge ${m.name} has no ${branch} input`)
        return { branch, v: this.get(r) }
      })
      const kind: Kind = vals.some((x) => x.v.kind === 'float') ? 'float' : vals[0]!.v.kind
      for (const { branch, v } of vals) {
        this.cur = `${pred}|${branch}`
        const out = this.fresh(`${m.name}/${branch}`)
        const src = v.konst ? this.name(v, kind) : v.name
        // An fp32 branch hands image data back to the fp16 graph.
        if (kind === 'float' && v.kind === 'meta' && this.precision === 'fp16') this.emit('Cast', [src], [out], [attr('to', DataType.FLOAT16)])
        else this.emit('Identity', [src], [out])
        branches[branch].outputs.push({ name: out, type: { tensorType: { elemType: this.elemType(kind) } } })
        if (v.nchw !== vals[0]!.v.nchw) throw this.fail(`Merge ${m.name}: its branches produce different layouts`)
      }
      const name = this.fresh(m.name)
      outs.push(name)
      results.push({ name, kind, rank: vals[0]!.v.rank, nchw: vals[0]!.v.nchw })
    }
    for (const branch of ['then', 'else'] as const) branches[branch].nodes = this.scopes.get(`${pred}|${branch}`) ?? []
    this.cur = outerScope
    const g = (b: 'then' | 'else'): GraphProto => ({ name: `${this.fresh(pred)}_${b}`, node: branches[b].nodes, output: branches[b].outputs })
    this.emit('If', [this.name(predVal)], outs, [attr('then_branch', { graph: g('then') }), attr('else_branch', { graph: g('else') })])
    this.stats.ifNodes++
    merges.forEach((m, i) => this.set(m, results[i]!))
  }

  /** A Merge the outputs need through data edges (control-only ones like "branch_executed" are not). */
  private isLiveMerge(m: TfNodeDef): boolean {
    return this.reachable.has(m.name)
  }

  private elemType(kind: Kind): number {
    switch (kind) {
      case 'float':
        return this.floatType
      case 'meta':
        return DataType.FLOAT
      case 'int32':
        return DataType.INT32
      case 'int64':
        return DataType.INT64
      case 'bool':
        return DataType.BOOL
    }
  }

  // Per-op converters. `this` is the converter.
  private readonly ops: Record<string, (this: TfToOnnx, n: TfNodeDef) => void> = {
    Equal(n) {
      const [a, b] = [this.input(n, 0), this.input(n, 1)]
      const kind = a.konst ? b.kind : a.kind
      this.set(n, { name: this.op('Equal', [this.name(a, kind), this.name(b, kind)], n.name), kind: 'bool', rank: Math.max(a.rank ?? 0, b.rank ?? 0), nchw: false })
    },
    Squeeze(n) {
      const x = this.input(n, 0)
      const dims = ints(n.attr.squeeze_dims)
      if (x.nchw) throw this.fail(`Squeeze ${n.name} on image data is not supported`)
      const inputs = [this.name(x)]
      if (dims.length) inputs.push(this.i64(dims))
      this.set(n, { name: this.op('Squeeze', inputs, n.name), kind: x.kind, rank: dims.length && x.rank !== undefined ? x.rank - dims.length : undefined, nchw: false })
    },
    Shape(n) {
      const x = this.input(n, 0)
      let s = this.op('Shape', [this.name(x)], n.name)
      if (x.nchw) s = this.op('Gather', [s, this.i64(LOGICAL_TO_STORED)], n.name, [attr('axis', 0)])
      const outType = n.attr.out_type?.type === 'DT_INT64' ? 'int64' : 'int32'
      if (outType === 'int32') s = this.op('Cast', [s], n.name, [attr('to', DataType.INT32)])
      this.set(n, { name: s, kind: outType, rank: 1, nchw: false })
    },
    StridedSlice(n) {
      const x = this.input(n, 0)
      const begin = Array.from(this.constOf(this.input(n, 1), 'begin', n).data)
      const end = Array.from(this.constOf(this.input(n, 2), 'end', n).data)
      const strides = Array.from(this.constOf(this.input(n, 3), 'strides', n).data)
      if (int(n.attr.ellipsis_mask) || int(n.attr.new_axis_mask)) throw this.fail(`StridedSlice ${n.name} uses ellipsis/new-axis masks`)
      const bm = int(n.attr.begin_mask)
      const em = int(n.attr.end_mask)
      const sm = int(n.attr.shrink_axis_mask)
      const starts: number[] = []
      const ends: number[] = []
      const axes: number[] = []
      const steps: number[] = []
      const squeeze: number[] = []
      for (let a = 0; a < begin.length; a++) {
        const st = strides[a]!
        const axis = x.nchw ? LOGICAL_TO_STORED[a]! : a
        let b = begin[a]!
        let e = end[a]!
        if (bm & (1 << a)) b = st > 0 ? 0 : INT64_MAX
        if (em & (1 << a)) e = st > 0 ? INT64_MAX : -INT64_MAX
        if (sm & (1 << a)) {
          e = b === -1 ? INT64_MAX : b + 1
          squeeze.push(axis)
        }
        starts.push(b)
        ends.push(e)
        axes.push(axis)
        steps.push(st)
      }
      let out = this.op('Slice', [this.name(x), this.i64(starts), this.i64(ends), this.i64(axes), this.i64(steps)], n.name)
      if (squeeze.length) {
        if (x.nchw) throw this.fail(`StridedSlice ${n.name} drops an axis of image data`)
        out = this.op('Squeeze', [out, this.i64(squeeze)], n.name)
      }
      this.set(n, { name: out, kind: x.kind, rank: x.rank === undefined ? undefined : x.rank - squeeze.length, nchw: x.nchw })
    },
    Cast(n) {
      const x = this.input(n, 0)
      const dst = n.attr.DstT?.type
      let kind: Kind
      if (dst === 'DT_FLOAT') kind = x.kind === 'float' ? this.fk() : 'meta'
      else if (dst === 'DT_INT32') kind = 'int32'
      else if (dst === 'DT_INT64') kind = 'int64'
      else if (dst === 'DT_BOOL') kind = 'bool'
      else throw this.fail(`Cast ${n.name} to ${dst} is not supported`)
      this.set(n, { name: this.op('Cast', [this.name(x)], n.name, [attr('to', this.elemType(kind))]), kind, rank: x.rank, nchw: x.nchw })
    },
    Mul(n) {
      if (this.tryHardSwish(n) || this.tryHardSigmoid(n)) return
      this.binary(n, 'Mul')
    },
    Sub(n) {
      this.binary(n, 'Sub')
    },
    AddV2(n) {
      this.binary(n, 'Add')
    },
    Add(n) {
      this.binary(n, 'Add')
    },
    RealDiv(n) {
      this.binary(n, 'Div')
    },
    Minimum(n) {
      this.binary(n, 'Min')
    },
    Maximum(n) {
      this.binary(n, 'Max')
    },
    FloorMod(n) {
      this.binary(n, 'Mod')
    },
    Square(n) {
      const x = this.input(n, 0)
      this.set(n, { ...x, konst: undefined, name: this.op('Mul', [this.name(x), this.name(x)], n.name) })
    },
    Sigmoid(n) {
      this.unary(n, 'Sigmoid')
    },
    Tanh(n) {
      this.unary(n, 'Tanh')
    },
    Relu(n) {
      this.unary(n, 'Relu')
    },
    Relu6(n) {
      const x = this.input(n, 0)
      this.set(n, { ...x, konst: undefined, name: this.op('Clip', [this.name(x), this.scalarFloat(0, x.kind === 'float' ? this.fk() : x.kind), this.scalarFloat(6, x.kind === 'float' ? this.fk() : x.kind)], n.name) })
    },
    ResizeBilinear(n) {
      const x = this.input(n, 0)
      const size = this.input(n, 1)
      if (!x.nchw) throw this.fail(`ResizeBilinear ${n.name} expects a 4-D image`)
      const mode = n.attr.align_corners?.b ? 'align_corners' : n.attr.half_pixel_centers?.b ? 'half_pixel' : 'asymmetric'
      const xn = this.name(x)
      const nc = this.op('Slice', [this.op('Shape', [xn], n.name), this.i64([0]), this.i64([2])], n.name)
      const sizes = this.op('Concat', [nc, this.toInt64(size, n.name)], n.name, [attr('axis', 0)])
      const out = this.op('Resize', [xn, '', '', sizes], n.name, [
        attr('mode', 'linear'),
        attr('coordinate_transformation_mode', mode),
      ])
      this.set(n, { name: out, kind: x.kind, rank: 4, nchw: true })
    },
    AvgPool(n) {
      const x = this.input(n, 0)
      if (b64(n.attr.data_format?.s) !== 'NHWC' || !x.nchw) throw this.fail(`AvgPool ${n.name}: only NHWC pooling of a 4-D image is supported`)
      const k = ints(n.attr.ksize)
      const s = ints(n.attr.strides)
      const pad = b64(n.attr.padding?.s)
      const out = this.op('AveragePool', [this.name(x)], n.name, [
        attr('kernel_shape', [k[1]!, k[2]!]),
        attr('strides', [s[1]!, s[2]!]),
        attr('auto_pad', pad === 'SAME' ? 'SAME_UPPER' : 'VALID'),
        attr('count_include_pad', 0),
      ])
      this.set(n, { name: out, kind: x.kind, rank: 4, nchw: true })
    },
    Pack(n) {
      const axis = int(n.attr.axis)
      const parts = this.dataInputs(n).map((r) => this.get(r))
      const kind = parts.find((p) => !p.konst)?.kind ?? parts[0]!.kind
      if (parts.some((p) => p.nchw)) throw this.fail(`Pack ${n.name} of image data is not supported`)
      const rank = (parts[0]!.rank ?? 0) + 1
      const ax = axis < 0 ? axis + rank : axis
      const unsq = parts.map((p) => this.op('Unsqueeze', [this.name(p, kind), this.i64([ax])], n.name))
      this.set(n, { name: this.op('Concat', unsq, n.name, [attr('axis', ax)]), kind, rank, nchw: false })
    },
    Pad(n) {
      const x = this.input(n, 0)
      const p = this.constOf(this.input(n, 1), 'paddings', n)
      this.set(n, { name: this.op('Pad', [this.name(x), this.padsFor(x, Array.from(p.data))], n.name, [attr('mode', 'constant')]), kind: x.kind, rank: x.rank, nchw: x.nchw })
    },
    _FusedConv2D(n) {
      this.conv(n, false)
    },
    Conv2D(n) {
      this.conv(n, false)
    },
    FusedDepthwiseConv2dNative(n) {
      this.conv(n, true)
    },
    DepthwiseConv2dNative(n) {
      this.conv(n, true)
    },
    Mean(n) {
      const x = this.input(n, 0)
      const axesLogical = Array.from(this.constOf(this.input(n, 1), 'reduction_indices', n).data).map((a) => (a < 0 ? a + (x.rank ?? 0) : a))
      const keep = n.attr.keep_dims?.b ? 1 : 0
      const axes = x.nchw ? axesLogical.map((a) => LOGICAL_TO_STORED[a]!).sort() : axesLogical
      if (x.nchw && keep && axes.length === 2 && axes[0] === 2 && axes[1] === 3) {
        this.set(n, { name: this.op('GlobalAveragePool', [this.name(x)], n.name), kind: x.kind, rank: 4, nchw: true })
        return
      }
      if (x.nchw && !keep) throw this.fail(`Mean ${n.name} without keep_dims on image data is not supported`)
      this.set(n, {
        name: this.op('ReduceMean', [this.name(x)], n.name, [attr('axes', axes), attr('keepdims', keep)]),
        kind: x.kind,
        rank: keep ? x.rank : (x.rank ?? 0) - axes.length,
        nchw: x.nchw,
      })
    },
    SpaceToBatchND(n) {
      throw this.fail(`SpaceToBatchND ${n.name} is not part of a dilated convolution this importer recognises`)
    },
    BatchToSpaceND(n) {
      this.dilatedConv(n)
    },
    Split(n) {
      const axis = this.constOf(this.input(n, 0), 'split_dim', n).data[0]!
      const x = this.input(n, 1)
      const count = int(n.attr.num_split)
      const ax = this.axis(x, axis)
      const outs = Array.from({ length: count }, () => this.fresh(`${n.name}/Split`))
      this.emit('Split', [this.name(x)], outs, [attr('axis', ax)])
      outs.forEach((o, i) => this.set(n, { name: o, kind: x.kind, rank: x.rank, nchw: x.nchw }, i))
    },
    SplitV(n) {
      const x = this.input(n, 0)
      const sizes = Array.from(this.constOf(this.input(n, 1), 'size_splits', n).data)
      const axis = this.constOf(this.input(n, 2), 'split_dim', n).data[0]!
      if (sizes.some((s) => s < 0)) throw this.fail(`SplitV ${n.name} with an inferred size is not supported`)
      const outs = sizes.map(() => this.fresh(`${n.name}/Split`))
      this.emit('Split', [this.name(x), this.i64(sizes)], outs, [attr('axis', this.axis(x, axis))])
      outs.forEach((o, i) => this.set(n, { name: o, kind: x.kind, rank: x.rank, nchw: x.nchw }, i))
    },
    BroadcastTo(n) {
      const x = this.input(n, 0)
      const shape = this.input(n, 1)
      // The state inputs are declared 4-D NCHW; a [1,1,1,1] zero state broadcasts like TF's scalar 0.
      const target = x.nchw || x.rank === 4 ? this.storedShape(shape, n.name) : this.toInt64(shape, n.name)
      this.set(n, { name: this.op('Expand', [this.name(x), target], n.name), kind: x.kind, rank: 4, nchw: x.kind === 'float' })
    },
    ConcatV2(n) {
      const refs = this.dataInputs(n)
      const axisVal = this.get(refs[refs.length - 1]!)
      const parts = refs.slice(0, -1).map((r) => this.get(r))
      const like = parts.find((p) => !p.konst) ?? parts[0]!
      const axis = this.axis(like, this.constOf(axisVal, 'axis', n).data[0]!)
      this.set(n, { name: this.op('Concat', parts.map((p) => this.name(p, like.kind)), n.name, [attr('axis', axis)]), kind: like.kind, rank: like.rank, nchw: like.nchw })
    },
    Slice(n) {
      const x = this.input(n, 0)
      const begin = this.input(n, 1)
      const size = this.input(n, 2)
      const starts = x.nchw ? this.storedShape(begin, n.name) : this.toInt64(begin, n.name)
      const sizes = x.nchw ? this.storedShape(size, n.name) : this.toInt64(size, n.name)
      // size -1 means "to the end"
      const sum = this.op('Add', [starts, sizes], n.name)
      const neg = this.op('Less', [sizes, this.i64([0])], n.name)
      const ends = this.op('Where', [neg, this.i64([INT64_MAX]), sum], n.name)
      this.set(n, { name: this.op('Slice', [this.name(x), starts, ends], n.name), kind: x.kind, rank: x.rank, nchw: x.nchw })
    },
  }

  private axis(x: Val, a: number): number {
    const rank = x.rank ?? 0
    const logical = a < 0 ? a + rank : a
    return x.nchw ? LOGICAL_TO_STORED[logical]! : logical
  }

  private padsFor(x: Val, flat: number[]): string {
    const rank = flat.length / 2
    const before: number[] = []
    const after: number[] = []
    for (let i = 0; i < rank; i++) {
      const logical = x.nchw ? NHWC_TO_NCHW[i]! : i
      before.push(flat[logical * 2]!)
      after.push(flat[logical * 2 + 1]!)
    }
    return this.i64([...before, ...after])
  }

  private unary(n: TfNodeDef, op: string): void {
    const x = this.input(n, 0)
    this.set(n, { name: this.op(op, [this.name(x)], n.name), kind: x.kind, rank: x.rank, nchw: x.nchw })
  }

  private binary(n: TfNodeDef, op: string): void {
    const a = this.input(n, 0)
    const b = this.input(n, 1)
    const eff = (v: Val): Kind => (this.inF32() && v.kind === 'float' ? 'meta' : v.kind)
    const kind: Kind = !a.konst ? eff(a) : !b.konst ? eff(b) : eff(a)
    if (!a.konst && !b.konst && eff(a) !== eff(b)) throw this.fail(`${n.op} ${n.name} mixes ${a.kind} and ${b.kind} values`)
    const nchw = a.nchw || b.nchw
    const name = (v: Val): string => {
      if (!nchw || v.nchw) return this.name(v, kind)
      if (v.konst) return this.layoutConst(v, this.inF32() && kind === 'float' ? 'meta' : kind)
      if (v.rank === 0) return this.name(v, kind)
      throw this.fail(`${n.op} ${n.name} broadcasts a ${v.rank ?? '?'}-D tensor against image data`)
    }
    const out = this.op(op, [name(a), name(b)], n.name)
    this.set(n, { name: out, kind, rank: Math.max(a.rank ?? 0, b.rank ?? 0), nchw })
  }

  /** A constant that broadcasts against NHWC data, rewritten to broadcast against NCHW. */
  private layoutConst(v: Val, kind: Kind): string {
    const c = v.konst!
    if (c.shape.length === 0 || c.shape.every((d) => d === 1)) return this.addInit(v.name, { ...c, shape: [] }, kind)
    const shape4 = [...Array(4 - c.shape.length).fill(1), ...c.shape] as number[]
    const t = transposeNHWC(c, shape4)
    return this.addInit(v.name, t, kind)
  }

  // ---- fused patterns ------------------------------------------------------------------------

  private producer(r: Ref | undefined): TfNodeDef | undefined {
    return r ? this.byName.get(r.node) : undefined
  }
  private scalarConst(r: Ref | undefined): number | undefined {
    const n = this.producer(r)
    if (!n || n.op !== 'Const') return undefined
    const c = this.weights.get(n.name)
    if (!c || c.data.length !== 1) return undefined
    return c.data[0]
  }
  /** x * relu6(x + 3) * (1/6), as Keras writes hard-swish → one HardSwish. */
  private tryHardSwish(n: TfNodeDef): boolean {
    const ins = this.dataInputs(n)
    for (const [i, j] of [[0, 1], [1, 0]] as const) {
      const scaled = this.producer(ins[i])
      const relu = this.producer(ins[j])
      if (scaled?.op !== 'Mul' || relu?.op !== 'Relu6') continue
      const sIns = this.dataInputs(scaled)
      const k = sIns.findIndex((r) => Math.abs((this.scalarConst(r) ?? 0) - 1 / 6) < 1e-6)
      if (k < 0) continue
      const x = sIns[1 - k]!
      const add = this.producer(this.dataInputs(relu)[0])
      if (!add || (add.op !== 'AddV2' && add.op !== 'Add')) continue
      const aIns = this.dataInputs(add)
      const m = aIns.findIndex((r) => this.scalarConst(r) === 3)
      if (m < 0 || refKey(aIns[1 - m]!) !== refKey(x)) continue
      const xv = this.get(x)
      this.cur = this.scopeKey(this.ctxOf(n))
      this.set(n, { name: this.op('HardSwish', [this.name(xv)], n.name), kind: xv.kind, rank: xv.rank, nchw: xv.nchw })
      this.stats.hardSwish++
      return true
    }
    return false
  }
  /** relu6(x + 3) * (1/6) → HardSigmoid (the squeeze-excitation gate). */
  private tryHardSigmoid(n: TfNodeDef): boolean {
    const ins = this.dataInputs(n)
    for (const [i, j] of [[0, 1], [1, 0]] as const) {
      const k = this.scalarConst(ins[i])
      const relu = this.producer(ins[j])
      if (k === undefined || Math.abs(k - 1 / 6) > 1e-6 || relu?.op !== 'Relu6') continue
      const add = this.producer(this.dataInputs(relu)[0])
      if (!add || (add.op !== 'AddV2' && add.op !== 'Add')) continue
      const aIns = this.dataInputs(add)
      const m = aIns.findIndex((r) => this.scalarConst(r) === 3)
      if (m < 0) continue
      const xv = this.get(aIns[1 - m]!)
      if (xv.konst) continue
      this.cur = this.scopeKey(this.ctxOf(n))
      this.set(n, { name: this.op('HardSigmoid', [this.name(xv)], n.name, [attr('alpha', 1 / 6, true), attr('beta', 0.5, true)]), kind: xv.kind, rank: xv.rank, nchw: xv.nchw })
      this.stats.hardSigmoid++
      return true
    }
    return false
  }

  // ---- convolutions --------------------------------------------------------------------------

  private conv(n: TfNodeDef, depthwise: boolean, dilationOverride?: number[], inputOverride?: Ref): void {
    if (b64(n.attr.data_format?.s || Buffer.from('NHWC').toString('base64')) !== 'NHWC') throw this.fail(`${n.op} ${n.name}: only NHWC convolutions are supported`)
    const ins = this.dataInputs(n)
    let xRef = inputOverride ?? ins[0]!
    const w = this.constOf(this.get(ins[1]!), 'the filter', n)
    const strides = ints(n.attr.strides)
    const dil = dilationOverride ?? ints(n.attr.dilations)
    const padding = b64(n.attr.padding?.s)
    const [kh, kw, cin, cout] = w.shape as [number, number, number, number]
    const dh = dil[1] ?? 1
    const dw = dil[2] ?? 1
    let pads = [0, 0, 0, 0]
    let autoPad: string | undefined
    if (padding === 'SAME') {
      if ((strides[1] ?? 1) === 1 && (strides[2] ?? 1) === 1) {
        const th = (kh - 1) * dh
        const tw = (kw - 1) * dw
        pads = [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)]
      } else autoPad = 'SAME_UPPER'
    } else if (padding === 'EXPLICIT') {
      const e = ints(n.attr.explicit_paddings)
      pads = [e[2]!, e[4]!, e[3]!, e[5]!]
    } else if (padding !== 'VALID') throw this.fail(`${n.op} ${n.name}: padding ${padding} is not supported`)
    // Fold a zero Pad that feeds only this conv into the conv's own pads.
    const padNode = this.producer(xRef)
    // In the dilated pattern the Pad's other consumer is the (dropped) SpaceToBatch padding arithmetic.
    if (!autoPad && padNode?.op === 'Pad' && (this.consumers.get(padNode.name) === 1 || inputOverride !== undefined)) {
      const pv = this.get(this.dataInputs(padNode)[1]!)
      const p = pv.konst ? Array.from(pv.konst.data) : undefined
      if (p && p[0] === 0 && p[1] === 0 && p[6] === 0 && p[7] === 0) {
        pads = [pads[0]! + p[2]!, pads[1]! + p[4]!, pads[2]! + p[3]!, pads[3]! + p[5]!]
        xRef = this.dataInputs(padNode)[0]!
        this.stats.foldedPads++
      }
    }
    const x = this.get(xRef)
    if (!x.nchw) throw this.fail(`${n.op} ${n.name} expects a 4-D image input`)
    let weight: TfConst
    let group = 1
    if (depthwise) {
      // HWCM → (C·M)1HW; TF's output channel c·M+m
      const out = new Float32Array(cin * cout * kh * kw)
      const src = w.data as Float32Array
      for (let y = 0; y < kh; y++)
        for (let xx = 0; xx < kw; xx++)
          for (let c = 0; c < cin; c++)
            for (let m = 0; m < cout; m++) out[((c * cout + m) * kh + y) * kw + xx] = src[((y * kw + xx) * cin + c) * cout + m]!
      weight = { dtype: 'float32', shape: [cin * cout, 1, kh, kw], data: out }
      group = cin
    } else {
      const out = new Float32Array(cout * cin * kh * kw)
      const src = w.data as Float32Array
      for (let y = 0; y < kh; y++)
        for (let xx = 0; xx < kw; xx++)
          for (let c = 0; c < cin; c++)
            for (let o = 0; o < cout; o++) out[((o * cin + c) * kh + y) * kw + xx] = src[((y * kw + xx) * cin + c) * cout + o]!
      weight = { dtype: 'float32', shape: [cout, cin, kh, kw], data: out }
    }
    const fused = (n.attr.fused_ops?.list?.s ?? []).map(b64)
    let bias: TfConst | undefined
    let act: string | undefined
    for (const f of fused) {
      if (f === 'BiasAdd') bias = this.constOf(this.get(ins[2]!), 'the bias', n)
      else if (f === 'Relu' || f === 'Relu6' || f === 'Sigmoid' || f === 'Tanh' || f === 'Elu') act = f
      else if (f === 'LeakyRelu') act = f
      else throw new PortsegError('MODEL_CONVERT_UNSUPPORTED_OP', `Cannot convert the TF.js graph to ONNX: ${n.op} ${n.name} fuses ${f}, which is not supported`, { hints: [UNSUPPORTED_HINT] })
    }
    this.cur = this.scopeKey(this.ctxOf(n))
    const inputs = [this.name(x), this.addInit(`${n.name}/W`, weight, this.fk())]
    if (bias) inputs.push(this.addInit(`${n.name}/B`, bias, this.fk()))
    const attrs = [attr('strides', [strides[1] ?? 1, strides[2] ?? 1]), attr('dilations', [dh, dw]), attr('group', group), attr('kernel_shape', [kh, kw])]
    if (autoPad) attrs.push(attr('auto_pad', autoPad))
    else attrs.push(attr('pads', pads))
    let out = this.op('Conv', inputs, n.name, attrs)
    this.stats.convs++
    if (act === 'Relu6') out = this.op('Clip', [out, this.scalarFloat(0, this.fk()), this.scalarFloat(6, this.fk())], n.name)
    else if (act === 'LeakyRelu') out = this.op('LeakyRelu', [out], n.name, [attr('alpha', n.attr.leakyrelu_alpha?.f ?? 0.2, true)])
    else if (act) out = this.op(act, [out], n.name)
    this.set(n, { name: out, kind: this.fk(), rank: 4, nchw: true })
  }

  /**
   * SpaceToBatchND → conv(VALID, stride 1) → BatchToSpaceND is how TF writes a dilated conv; it is
   * one Conv with dilations when the paddings only round the size up and the crops remove them.
   */
  private dilatedConv(b2s: TfNodeDef): void {
    const [convRef, blockRef, cropsRef] = this.dataInputs(b2s)
    const conv = this.producer(convRef)
    const s2b = conv ? this.producer(this.dataInputs(conv)[0]) : undefined
    const ok =
      conv &&
      s2b?.op === 'SpaceToBatchND' &&
      ['Conv2D', '_FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative'].includes(conv.op) &&
      b64(conv.attr.padding?.s) === 'VALID' &&
      ints(conv.attr.strides).every((s) => s === 1) &&
      this.consumers.get(conv.name) === 1
    if (!ok || !s2b || !conv) throw this.fail(`BatchToSpaceND ${b2s.name} is not part of a dilated convolution this importer recognises`)
    const [xRef, s2bBlockRef, padsRef] = this.dataInputs(s2b)
    const block = Array.from(this.constOf(this.get(blockRef!), 'block_shape', b2s).data)
    const block2 = Array.from(this.constOf(this.get(s2bBlockRef!), 'block_shape', s2b).data)
    if (block.join() !== block2.join() || block.length !== 2) throw this.fail(`dilated convolution at ${b2s.name}: block shapes differ`)
    if (!this.leadingZeros(padsRef!) || !this.leadingZeros(cropsRef!)) {
      throw this.fail(`dilated convolution at ${b2s.name}: only paddings that round the size up (base padding 0) are supported`)
    }
    this.conv(conv, conv.op.includes('Depthwise'), [1, block[0]!, block[1]!, 1], xRef)
    this.set(b2s, this.vals.get(`${conv.name}:0`)!)
    this.stats.dilatedConvs++
  }

  /** paddings/crops [[b0,a0],[b1,a1]] whose "before" entries are constant 0 (as TF's required_space_to_batch_paddings builds them). */
  private leadingZeros(r: Ref): boolean {
    const n = this.producer(r)
    if (!n) return false
    if (n.op === 'Const') {
      const c = this.weights.get(n.name)
      return !!c && c.data[0] === 0 && c.data[2] === 0
    }
    if (n.op !== 'Pack') return false
    return this.dataInputs(n).every((row) => {
      const rn = this.producer(row)
      if (!rn) return false
      if (rn.op === 'Const') return this.weights.get(rn.name)?.data[0] === 0
      if (rn.op !== 'Pack') return false
      return this.scalarConst(this.dataInputs(rn)[0]) === 0
    })
  }
}

function dimOf(d: number | string): { dimValue?: number; dimParam?: string } {
  return typeof d === 'number' ? { dimValue: d } : { dimParam: d }
}

/** A constant shaped [.., H?, W?, C] (padded to 4-D) → NCHW. */
function transposeNHWC(c: TfConst, shape4: number[]): TfConst {
  const [n, h, w, ch] = shape4 as [number, number, number, number]
  const src = c.data
  const out = c.dtype === 'float32' ? new Float32Array(src.length) : c.dtype === 'int32' ? new Int32Array(src.length) : new Uint8Array(src.length)
  for (let a = 0; a < n; a++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) for (let k = 0; k < ch; k++) out[((a * ch + k) * h + y) * w + x] = src[((a * h + y) * w + x) * ch + k]!
  return { dtype: c.dtype, shape: [n, ch, h, w], data: out }
}
