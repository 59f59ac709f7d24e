import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  CATALOGUE,
  DEFAULT_MODEL_ID,
  downloadModel,
  importModel,
  listModels,
  removeModel,
  resolveModel,
  verifyModels,
  type CatalogueEntry,
  type StoreOptions,
} from '../../../../src/main/engine/models/index.js'
import { PortsegError } from '../../../../src/shared/errors.js'
import { ROOT, sharedFile } from '../../../support/paths.js'
import { startModelServer, type ModelServer } from './model-server.js'

const BUILT_IN_DIR = path.join(ROOT, 'models')
const SELFIE = sharedFile('models', 'reference-onnx', 'selfie_segmentation.onnx')
const SINET = sharedFile('models', 'sinet', 'SINet_Softmax.onnx')
const sinetBytes = new Uint8Array(readFileSync(SINET))
const sinetSha = createHash('sha256').update(sinetBytes).digest('hex')

let server: ModelServer
let home: string
let warnings: string[]

beforeAll(async () => {
  const fp32 = CATALOGUE.find((e) => e.id === 'rvm-mobilenetv3-fp32')!
  server = await startModelServer({
    // Not the official bytes: the published hash must reject them.
    [`/${fp32.file}`]: { body: sinetBytes, behaviour: { kind: 'ok' } },
    '/unpinned.onnx': { body: sinetBytes, behaviour: { kind: 'ok' } },
    '/unpinned-cut.onnx': { body: sinetBytes, behaviour: { kind: 'cut', afterBytes: 200_000, times: 1 } },
  })
})
afterAll(async () => server.close())

beforeEach(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'portseg-home-'))
  warnings = []
})
afterEach(async () => {
  await rm(home, { recursive: true, force: true })
})

function opts<T extends object>(extra?: T): StoreOptions & T {
  return { home, builtInDir: BUILT_IN_DIR, baseUrl: server.baseUrl, onWarning: (m: string) => warnings.push(m), ...(extra ?? ({} as T)) }
}

/** A downloadable entry with no published hash (trust on first use), served by the test server. */
const unpinned = (file: string): CatalogueEntry => ({
  id: 'test-unpinned',
  name: 'Test model without a published hash',
  interface: 'segmentation',
  origin: 'downloaded',
  file,
  recommendedResolution: { width: 320, height: 320 },
  license: { spdx: 'MIT', notice: 'test' },
  size: sinetBytes.byteLength,
  source: { kind: 'url', url: 'https://example.invalid/unpinned.onnx' },
  sha256: null,
  hashNote: 'not published',
  description: 'test',
})

async function rejection(p: Promise<unknown>): Promise<PortsegError> {
  try {
    await p
  } catch (e) {
    if (!(e instanceof PortsegError)) throw e
    return e
  }
  throw new Error('expected a PortsegError')
}

describe('model registry', () => {
  it('lists the two built-in models converted by `npm run models`, with hashes from their sidecars', async () => {
    const missing = ['mediapipe-selfie-landscape.onnx', 'mediapipe-selfie-general.onnx'].filter((f) => !existsSync(path.join(BUILT_IN_DIR, f)))
    expect(missing, `built-in models missing from ${BUILT_IN_DIR}: run \`npm run models\` first`).toEqual([])
    const list = await listModels(opts())
    const builtIns = list.filter((m) => m.origin === 'built-in')
    expect(builtIns.map((m) => m.id).sort()).toEqual(['mediapipe-selfie-general', 'mediapipe-selfie-landscape'])
    for (const m of builtIns) {
      expect(m).toMatchObject({ interface: 'segmentation', license: 'Apache-2.0', installed: true, needsLicenseAcceptance: false })
      expect(m.sha256).toBe(createHash('sha256').update(readFileSync(m.path!)).digest('hex'))
    }
    expect(DEFAULT_MODEL_ID).toBe('mediapipe-selfie-landscape')
    // The default resolves with no files from ../shared and nothing downloaded.
    const def = await resolveModel(DEFAULT_MODEL_ID, opts())
    expect(def).toMatchObject({ id: DEFAULT_MODEL_ID, origin: 'built-in', interface: 'segmentation' })
    // Downloadables appear only with `all`, as not installed, with their published size and hash.
    expect(list.some((m) => m.origin === 'downloaded')).toBe(false)
    const all = await listModels({ ...opts(), all: true })
    const rvm = all.find((m) => m.id === 'rvm-mobilenetv3-fp32')
    expect(rvm).toMatchObject({ installed: false, path: null, license: 'GPL-3.0', needsLicenseAcceptance: true, size: 14_975_696 })
    expect(rvm?.sha256).toBe('88d4531297118f595bf2fd60f6f566aec2e559393802d1f436c380f0cbbd2828')
  })

  it('imports reference ONNX models with the detected interface and the license found beside them', async () => {
    const [selfie] = await importModel(SELFIE, opts())
    expect(selfie).toMatchObject({ id: 'selfie-segmentation', origin: 'imported', interface: 'segmentation', license: 'Apache-2.0', installed: true })
    expect(selfie!.path).toBe(path.join(home, 'models', 'imported', 'selfie-segmentation.onnx'))
    expect(readFileSync(selfie!.path!).equals(readFileSync(SELFIE))).toBe(true)

    const [sinet] = await importModel(SINET, opts({ id: 'sinet', name: 'SINet portrait' }))
    expect(sinet).toMatchObject({ id: 'sinet', name: 'SINet portrait', interface: 'segmentation', license: 'MIT', sha256: sinetSha })

    const list = await listModels(opts())
    expect(list.filter((m) => m.origin === 'imported').map((m) => m.id).sort()).toEqual(['selfie-segmentation', 'sinet'])
    expect(await resolveModel('sinet', opts())).toMatchObject({ id: 'sinet', origin: 'imported', interface: 'segmentation', path: sinet!.path })

    // Same id twice: refused with a way out.
    const dup = await rejection(importModel(SINET, opts({ id: 'sinet' })))
    expect(dup.code).toBe('MODEL_IMPORT_REFUSED')
    expect(dup.message).toContain('the id "sinet" is already in use')
  })

  it('refuses files that are not models, with the reason', async () => {
    const jpg = sharedFile('media', 'portrait', 'portrait.jpg')
    const e1 = await rejection(importModel(jpg, opts()))
    expect(e1.code).toBe('MODEL_IMPORT_REFUSED')
    expect(e1.message).toContain('".jpg" is not a model format PortSeg imports')

    // A JPEG renamed .onnx reaches the detector, which says why it is not a model.
    const fake = path.join(home, 'fake.onnx')
    copyFileSync(jpg, fake)
    const e2 = await rejection(importModel(fake, opts()))
    expect(e2.code).toBe('MODEL_IMPORT_REFUSED')
    expect(e2.message).toMatch(/^Cannot import .*fake\.onnx: PortSeg cannot drive this model: /)
    expect((e2.cause as PortsegError).code).toMatch(/MODEL_CORRUPT|MODEL_INTERFACE_UNSUPPORTED/)

    const json = path.join(home, 'settings.json')
    writeFileSync(json, '{"a":1}')
    const e3 = await rejection(importModel(json, opts()))
    expect(e3.message).toContain('not a TensorFlow.js graph model')
    expect(await listModels(opts())).not.toContainEqual(expect.objectContaining({ origin: 'imported' }))
  })

  it('rebuilds a corrupt manifest from the model files, keeps a backup and never crashes', async () => {
    await importModel(SINET, opts({ id: 'sinet' }))
    const manifest = path.join(home, 'models', 'manifest.json')
    await writeFile(manifest, '{"version": 1, "models": [ {"id": "sin')
    const list = await listModels(opts())
    expect(list.find((m) => m.id === 'sinet')).toMatchObject({ origin: 'imported', license: 'MIT', sha256: sinetSha })
    expect(warnings.join('\n')).toMatch(/model list was unreadable \(it is not valid JSON.*rebuilt from the model files \(1 found\)/)
    const files = await readdir(path.join(home, 'models'))
    expect(files.some((f) => f.startsWith('manifest.json.corrupt-'))).toBe(true)
    expect(JSON.parse(await readFile(manifest, 'utf8')).models).toHaveLength(1)

    // Valid JSON, wrong shape: same recovery.
    await writeFile(manifest, '{"version": 7}')
    expect((await listModels(opts())).some((m) => m.id === 'sinet')).toBe(true)
    expect(warnings[1]).toMatch(/does not match the expected format/)
  })

  it('keeps every record when models are added at the same time, or a manifest update was lost', async () => {
    const [a, b] = await Promise.all([importModel(SINET, opts({ id: 'one' })), importModel(SELFIE, opts({ id: 'two' }))])
    expect([a?.[0]?.id, b?.[0]?.id]).toEqual(['one', 'two'])
    const manifest = path.join(home, 'models', 'manifest.json')
    expect(JSON.parse(await readFile(manifest, 'utf8')).models.map((r: { id: string }) => r.id).sort()).toEqual(['one', 'two'])
    // Another process overwrote the manifest without "two": its sidecar still brings it back.
    const m = JSON.parse(await readFile(manifest, 'utf8'))
    m.models = m.models.filter((r: { id: string }) => r.id !== 'two')
    await writeFile(manifest, JSON.stringify(m))
    expect((await listModels(opts())).filter((x) => x.origin === 'imported').map((x) => x.id).sort()).toEqual(['one', 'two'])
    expect(warnings).toEqual([])
    // and a removal sticks
    await removeModel('two', opts())
    expect((await listModels(opts())).some((x) => x.id === 'two')).toBe(false)
  })

  it('refuses a download whose bytes do not match the published hash; nothing is installed', async () => {
    const e = await rejection(downloadModel('rvm-mobilenetv3-fp32', opts({ acceptLicense: true })))
    // SINet's bytes are not the 14 975 696 bytes the registry expects: refused before or after hashing.
    expect(['MODEL_DOWNLOAD_FAILED', 'MODEL_HASH_MISMATCH']).toContain(e.code)
    expect(existsSync(path.join(home, 'models', 'downloaded', 'rvm_mobilenetv3_fp32.onnx'))).toBe(false)
    expect((await listModels(opts())).some((m) => m.id === 'rvm-mobilenetv3-fp32')).toBe(false)
    await expect(resolveModel('rvm-mobilenetv3-fp32', opts())).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', message: 'Model "rvm-mobilenetv3-fp32" is not installed.' })
  })

  it('requires accepting the GPL-3.0 license before downloading RVM', async () => {
    const e = await rejection(downloadModel('rvm-mobilenetv3-fp16', opts()))
    expect(e.code).toBe('MODEL_LICENSE_NOT_ACCEPTED')
    expect(e.message).toContain('(GPL-3.0) must be accepted before downloading')
    expect(server.requests.some((r) => r.path.includes('fp16'))).toBe(false)
  })

  it('downloads a model without a published hash by size, records its hash (trust on first use) and verifies it later', async () => {
    const catalogue = [...CATALOGUE, unpinned('unpinned.onnx')]
    const r = await downloadModel('test-unpinned', opts({ catalogue }))
    expect(r).toMatchObject({ alreadyInstalled: false, trustOnFirstUse: true })
    expect(r.model).toMatchObject({ id: 'test-unpinned', origin: 'downloaded', installed: true, sha256: sinetSha, hashConfirmed: false })
    expect(await resolveModel('test-unpinned', opts({ catalogue }))).toMatchObject({ origin: 'downloaded', path: r.model.path })
    // second call: already there and intact
    expect((await downloadModel('test-unpinned', opts({ catalogue }))).alreadyInstalled).toBe(true)

    const ok = await verifyModels('test-unpinned', opts({ catalogue }))
    expect(ok).toEqual([expect.objectContaining({ ok: true, against: 'recorded', actual: sinetSha })])
    // tamper: verify must notice
    const buf = readFileSync(r.model.path!)
    buf[buf.length - 1] = (buf[buf.length - 1] ?? 0) ^ 0xff
    writeFileSync(r.model.path!, buf)
    const bad = await verifyModels('test-unpinned', opts({ catalogue }))
    expect(bad[0]).toMatchObject({ ok: false, expected: sinetSha })
    expect(bad[0]!.message).toContain('SHA-256 mismatch')

    await removeModel('test-unpinned', opts({ catalogue }))
    expect(existsSync(r.model.path!)).toBe(false)
    await expect(resolveModel('test-unpinned', opts({ catalogue }))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' })
  })

  it('never lists or resolves a partially downloaded file', async () => {
    const catalogue = [...CATALOGUE, unpinned('unpinned-cut.onnx')]
    const e = await rejection(downloadModel('test-unpinned', opts({ catalogue, retries: 0 })))
    expect(e.code).toBe('MODEL_DOWNLOAD_FAILED')
    const part = path.join(home, 'models', 'downloaded', 'unpinned-cut.onnx.part')
    expect(existsSync(part)).toBe(true)
    expect((await listModels({ ...opts({ catalogue }), all: true })).find((m) => m.id === 'test-unpinned')).toMatchObject({ installed: false, path: null })
    await expect(resolveModel('test-unpinned', opts({ catalogue }))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' })
    await expect(resolveModel(part, opts({ catalogue }))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', message: `${part} is an unfinished download, not a model.` })
    // A manifest rebuild doesn't pick it up either.
    await writeFile(path.join(home, 'models', 'manifest.json'), 'garbage')
    expect((await listModels(opts({ catalogue }))).some((m) => m.origin === 'downloaded')).toBe(false)
  })

  it('resolves paths to .onnx files and explains unknown ids', async () => {
    expect(await resolveModel(SINET, opts())).toMatchObject({ id: null, origin: 'file', interface: 'segmentation', path: SINET })
    const e = await rejection(resolveModel('no-such-model', opts()))
    expect(e.code).toBe('MODEL_UNKNOWN_ID')
    expect(e.message).toContain('There is no model with id "no-such-model". Known ids: mediapipe-selfie-landscape')
    await expect(resolveModel(path.join(home, 'nope.onnx'), opts())).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' })
  })

  it('never removes a built-in model', async () => {
    const e = await rejection(removeModel('mediapipe-selfie-landscape', opts()))
    expect(e.code).toBe('MODEL_REMOVE_REFUSED')
    expect(existsSync(path.join(BUILT_IN_DIR, 'mediapipe-selfie-landscape.onnx'))).toBe(true)
  })

  it('imports the RVM TF.js release as recurrent matting, GPL-3.0, after the license is accepted', async () => {
    const modelJson = sharedFile('models', 'rvm-tfjs', 'model.json')
    const refused = await rejection(importModel(modelJson, opts()))
    expect(refused.code).toBe('MODEL_LICENSE_NOT_ACCEPTED')
    expect(refused.message).toContain('(GPL-3.0) must be accepted before importing')
    const infos = await importModel(modelJson, opts({ acceptLicense: true, precision: 'both' as const }))
    expect(infos.map((m) => [m.id, m.interface, m.precision, m.license, m.origin])).toEqual([
      ['rvm-tfjs', 'recurrent-matting', 'fp32', 'GPL-3.0', 'imported'],
      ['rvm-tfjs-fp16', 'recurrent-matting', 'fp16', 'GPL-3.0', 'imported'],
    ])
    expect(await resolveModel('rvm-tfjs', opts())).toMatchObject({ interface: 'recurrent-matting', origin: 'imported' })
  }, 300_000)
})
