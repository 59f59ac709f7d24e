import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { convertRvmTfjs } from '../../../../../src/main/engine/convert/tfjs/index.js'
import { HAS_SHARED } from '../../../../support/paths.js'
import { rvmTfjsModelJson } from '../../../../support/rvm-model.js'

interface ModelJson {
  modelTopology: { node: { name: string; op: string }[] }
  signature: { outputs: Record<string, unknown> }
}

describe.skipIf(!HAS_SHARED)('TF graph → ONNX: ops it cannot map fail clearly', () => {
  let dir: string
  let original: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'portseg-tf2onnx-'))
    original = await readFile(rvmTfjsModelJson(), 'utf8')
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  async function variant(name: string, edit: (j: ModelJson) => void): Promise<string> {
    const d = path.join(dir, name)
    await mkdir(d, { recursive: true })
    const j = JSON.parse(original) as ModelJson
    edit(j)
    await writeFile(path.join(d, 'model.json'), JSON.stringify(j))
    await copyFile(path.join(path.dirname(rvmTfjsModelJson()), 'group1-shard1of1.bin'), path.join(d, 'group1-shard1of1.bin'))
    return path.join(d, 'model.json')
  }

  it('names every unsupported op the outputs need (MODEL_CONVERT_UNSUPPORTED_OP)', async () => {
    const p = await variant('unsupported', (j) => {
      j.modelTopology.node.find((n) => n.op === 'Tanh')!.op = 'Erf'
      j.modelTopology.node.find((n) => n.op === 'Sigmoid')!.op = 'Softplus'
    })
    const err = await convertRvmTfjs(p).catch((e: unknown) => e)
    expect(err).toMatchObject({
      code: 'MODEL_CONVERT_UNSUPPORTED_OP',
      message: 'Cannot convert the TF.js graph to ONNX: it uses ops this importer does not support: Erf, Softplus',
    })
    expect((err as { hints: string[] }).hints.length).toBeGreaterThan(0)
  })

  it('a graph that is not RVM (signature without pha) → MODEL_INTERFACE_UNSUPPORTED', async () => {
    const p = await variant('not-rvm', (j) => {
      delete j.signature.outputs.pha
    })
    await expect(convertRvmTfjs(p)).rejects.toMatchObject({
      code: 'MODEL_INTERFACE_UNSUPPORTED',
      message: expect.stringContaining('as Robust Video Matting: its signature lacks output pha'),
    })
  })

  it('a dangling input reference → MODEL_CONVERT_FAILED naming the node', async () => {
    const p = await variant('dangling', (j) => {
      const n = j.modelTopology.node.find((x) => x.op === 'Tanh') as unknown as { input: string[] }
      n.input[0] = 'no/such/node'
    })
    await expect(convertRvmTfjs(p)).rejects.toMatchObject({ code: 'MODEL_CONVERT_FAILED', message: expect.stringContaining('node no/such/node is referenced but not defined') })
  })
})
