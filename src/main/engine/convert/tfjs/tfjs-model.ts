import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { PortsegError } from '../../../../shared/errors.js'

/** One TF NodeDef as the TF.js converter writes it (attr values keep TF's JSON shape). */
export interface TfNodeDef {
  name: string
  op: string
  input: string[]
  attr: Record<string, TfAttr>
}

export interface TfAttr {
  i?: string | number
  f?: number
  b?: boolean
  s?: string
  type?: string
  list?: { i?: (string | number)[]; s?: string[]; f?: number[] }
  shape?: unknown
  tensor?: unknown
}

export type TfDtype = 'float32' | 'int32' | 'bool'

/** A dequantized constant, in TF's own layout. */
export interface TfConst {
  dtype: TfDtype
  shape: number[]
  data: Float32Array | Int32Array | Uint8Array
}

export interface TfjsGraphModel {
  nodes: TfNodeDef[]
  weights: Map<string, TfConst>
  /** signature output key → "node:port" */
  outputs: Record<string, string>
  /** signature input key → placeholder node name */
  inputs: Record<string, string>
  convertedBy: string
  quantizedWeights: number
}

const AttrSchema = z.record(z.string(), z.any())
const NodeSchema = z.object({
  name: z.string(),
  op: z.string(),
  input: z.array(z.string()).optional(),
  attr: AttrSchema.optional(),
})
const QuantSchema = z.object({
  dtype: z.enum(['uint8', 'uint16', 'float16']),
  min: z.number().optional(),
  scale: z.number().optional(),
})
const WeightSchema = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.enum(['float32', 'int32', 'bool']),
  quantization: QuantSchema.optional(),
})
const ModelJsonSchema = z.object({
  format: z.literal('graph-model'),
  convertedBy: z.string().nullish(),
  signature: z
    .object({
      inputs: z.record(z.string(), z.object({ name: z.string() })),
      outputs: z.record(z.string(), z.object({ name: z.string() })),
    })
    .optional(),
  modelTopology: z.object({ node: z.array(NodeSchema) }),
  weightsManifest: z.array(z.object({ paths: z.array(z.string()), weights: z.array(WeightSchema) })),
})

function corrupt(file: string, why: string, cause?: unknown): PortsegError {
  return new PortsegError('MODEL_CORRUPT', `Cannot import ${file}: ${why}`, {
    cause,
    hints: ['Use the model.json and the .bin shard(s) exactly as published (TF.js graph-model format), in the same folder.'],
  })
}

/** Reads model.json and its shards, and dequantizes weights exactly as TF.js does. */
export async function loadTfjsGraphModel(modelJsonPath: string): Promise<TfjsGraphModel> {
  let text: string
  try {
    text = await readFile(modelJsonPath, 'utf8')
  } catch (e) {
    throw new PortsegError('MODEL_NOT_FOUND', `Cannot read ${modelJsonPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      cause: e,
      hints: ['Check the path to the TF.js model.json.'],
    })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    throw corrupt(modelJsonPath, `it is not valid JSON (${(e as Error).message})`, e)
  }
  const parsed = ModelJsonSchema.safeParse(json)
  if (!parsed.success) {
    const first = parsed.error.issues[0]
    throw corrupt(modelJsonPath, `it is not a TF.js graph model (${first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'schema mismatch'})`)
  }
  const mj = parsed.data
  const dir = path.dirname(modelJsonPath)
  const weights = new Map<string, TfConst>()
  let quantizedWeights = 0
  for (const group of mj.weightsManifest) {
    const parts: Buffer[] = []
    for (const p of group.paths) {
      const file = path.join(dir, p)
      try {
        parts.push(await readFile(file))
      } catch (e) {
        throw new PortsegError('MODEL_NOT_FOUND', `Cannot import ${modelJsonPath}: weight shard ${p} is missing (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`, {
          cause: e,
          hints: [`Put ${p} beside model.json (the manifest lists ${group.paths.join(', ')}).`],
        })
      }
    }
    const buf = Buffer.concat(parts)
    let offset = 0
    for (const w of group.weights) {
      const count = w.shape.reduce((a, b) => a * b, 1)
      const q = w.quantization
      const bytesPer = q ? (q.dtype === 'uint8' ? 1 : 2) : w.dtype === 'bool' ? 1 : 4
      const byteLen = count * bytesPer
      if (offset + byteLen > buf.length) {
        throw corrupt(modelJsonPath, `the weight shards hold ${buf.length} bytes but the manifest needs at least ${offset + byteLen} (at ${w.name}); a shard is truncated`)
      }
      const bytes = buf.subarray(offset, offset + byteLen)
      offset += byteLen
      weights.set(w.name, decodeWeight(w.name, w.dtype, w.shape, bytes, q, modelJsonPath))
      if (q) quantizedWeights++
    }
    if (offset !== buf.length) {
      throw corrupt(modelJsonPath, `the weight shards hold ${buf.length} bytes but the manifest describes ${offset}`)
    }
  }
  const nodes: TfNodeDef[] = mj.modelTopology.node.map((n) => ({ name: n.name, op: n.op, input: n.input ?? [], attr: (n.attr ?? {}) as Record<string, TfAttr> }))
  const outputs: Record<string, string> = {}
  const inputs: Record<string, string> = {}
  for (const [k, v] of Object.entries(mj.signature?.outputs ?? {})) outputs[k] = v.name
  for (const [k, v] of Object.entries(mj.signature?.inputs ?? {})) inputs[k.replace(/:0$/, '')] = v.name.replace(/:0$/, '')
  return { nodes, weights, outputs, inputs, convertedBy: mj.convertedBy ?? 'unknown', quantizedWeights }
}

function decodeWeight(
  name: string,
  dtype: TfDtype,
  shape: number[],
  bytes: Buffer,
  q: z.infer<typeof QuantSchema> | undefined,
  file: string,
): TfConst {
  const count = shape.reduce((a, b) => a * b, 1)
  if (q) {
    if (dtype !== 'float32') throw corrupt(file, `weight ${name} is quantized but its dtype is ${dtype}`)
    if (q.dtype === 'float16') throw corrupt(file, `weight ${name} uses float16 quantization, which this importer does not read`)
    const { min, scale } = q
    if (min === undefined || scale === undefined) throw corrupt(file, `weight ${name} has no quantization min/scale`)
    const src = q.dtype === 'uint8' ? new Uint8Array(bytes) : new Uint16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
    // TF.js: Float32Array.from(quantized, v => v * scale + min): computed in double, stored as float32.
    const data = new Float32Array(count)
    for (let i = 0; i < count; i++) data[i] = src[i]! * scale + min
    return { dtype, shape, data }
  }
  const copy = new Uint8Array(bytes) // own, aligned buffer
  if (dtype === 'float32') return { dtype, shape, data: new Float32Array(copy.buffer, 0, count) }
  if (dtype === 'int32') return { dtype, shape, data: new Int32Array(copy.buffer, 0, count) }
  return { dtype, shape, data: copy }
}
