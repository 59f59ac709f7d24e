import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadTfjsGraphModel } from '../../../../../src/main/engine/convert/tfjs/tfjs-model.js'
import { HAS_SHARED } from '../../../../support/paths.js'
import { rvmTfjsModelJson } from '../../../../support/rvm-model.js'

const SHARD = 'group1-shard1of1.bin'

describe.skipIf(!HAS_SHARED)('loadTfjsGraphModel', () => {
  let dir: string
  let json: { weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[]; [k: string]: unknown }
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'portseg-tfjs-'))
    json = JSON.parse(await readFile(rvmTfjsModelJson(), 'utf8'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  /** A model folder in the temp dir with the given model.json text and (optionally) the real shard. */
  async function variant(name: string, text: string, shard: 'copy' | 'missing' | 'truncated' = 'copy'): Promise<string> {
    const d = path.join(dir, name)
    await (await import('node:fs/promises')).mkdir(d, { recursive: true })
    await writeFile(path.join(d, 'model.json'), text)
    const real = path.join(path.dirname(rvmTfjsModelJson()), SHARD)
    if (shard === 'copy') await copyFile(real, path.join(d, SHARD))
    if (shard === 'truncated') await writeFile(path.join(d, SHARD), (await readFile(real)).subarray(0, 1000))
    return path.join(d, 'model.json')
  }

  it('dequantizes the uint8 weights bit-for-bit as TF.js does (value = q·scale + min, float32)', async () => {
    const m = await loadTfjsGraphModel(rvmTfjsModelJson())
    expect(m.quantizedWeights).toBe(229)
    expect(m.weights.size).toBe(425)
    const specs = json.weightsManifest.flatMap((g) => g.weights)
    const bin = await readFile(path.join(path.dirname(rvmTfjsModelJson()), SHARD))
    const decoded = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer, specs)
    let compared = 0
    for (const [name, t] of Object.entries(decoded)) {
      const ours = m.weights.get(name)!
      expect(ours.shape, name).toEqual(t.shape)
      const ref = t.dataSync()
      expect(ours.data.length).toBe(ref.length)
      for (let i = 0; i < ref.length; i++) if (ours.data[i] !== ref[i]) throw new Error(`${name}[${i}]: ${ours.data[i]} vs TF.js ${ref[i]}`)
      compared++
      t.dispose()
    }
    expect(compared).toBe(425)
    expect(m.outputs.pha).toBe('Identity_1:0')
    expect(m.inputs.downsample_ratio).toBe('downsample_ratio')
  })

  it('a model.json that is not JSON → MODEL_CORRUPT', async () => {
    const p = await variant('bad-json', '{"format": "graph-model", "modelTopology": {', 'copy')
    await expect(loadTfjsGraphModel(p)).rejects.toMatchObject({ code: 'MODEL_CORRUPT', message: expect.stringMatching(/^Cannot import .*model\.json: it is not valid JSON/) })
  })

  it('a JSON file that is not a graph model → MODEL_CORRUPT naming the field', async () => {
    const p = await variant('layers', JSON.stringify({ ...json, format: 'layers-model' }))
    await expect(loadTfjsGraphModel(p)).rejects.toMatchObject({ code: 'MODEL_CORRUPT', message: expect.stringContaining('it is not a TF.js graph model (format:') })
  })

  it('a missing weight shard → MODEL_NOT_FOUND naming the shard and where to put it', async () => {
    const p = await variant('no-shard', JSON.stringify(json), 'missing')
    const err = await loadTfjsGraphModel(p).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'MODEL_NOT_FOUND', message: expect.stringContaining(`weight shard ${SHARD} is missing (ENOENT)`) })
    expect((err as { hints: string[] }).hints[0]).toContain(`Put ${SHARD} beside model.json`)
  })

  it('a truncated shard → MODEL_CORRUPT with the byte counts', async () => {
    const p = await variant('short-shard', JSON.stringify(json), 'truncated')
    await expect(loadTfjsGraphModel(p)).rejects.toMatchObject({ code: 'MODEL_CORRUPT', message: expect.stringMatching(/the weight shards hold 1000 bytes but the manifest needs at least \d+ .*a shard is truncated/) })
  })

  it('a missing model.json → MODEL_NOT_FOUND', async () => {
    await expect(loadTfjsGraphModel(path.join(dir, 'nope', 'model.json'))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', message: expect.stringContaining('ENOENT') })
  })
})
