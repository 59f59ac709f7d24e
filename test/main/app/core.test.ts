import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { MessageChannel, type MessagePort } from 'node:worker_threads'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ToRendererMessage } from '../../../src/shared/frame-protocol.js'
import type { EventName } from '../../../src/shared/ipc.js'
import { createAppCore, type AppCore } from '../../../src/main/app/core.js'
import { epochMicros, type FrameLinkPort } from '../../../src/main/engine/frame-link.js'
import { createFileSinkBackend, type FileSinkReport } from '../../../src/main/app/test-sink.js'
import { ROOT, WORKER_PATH, sharedFile } from '../../support/paths.js'

// The app's core wiring with the REAL registry, engine (onnxruntime in its worker) and settings
// file; only the virtual camera is the file-counting test sink (no v4l2loopback here).

let dir: string
let core: AppCore
let sinkReport: string
const events: { name: EventName; payload: unknown }[] = []
const eventsNamed = (name: EventName): unknown[] => events.filter((e) => e.name === name).map((e) => e.payload)

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'portseg-core-'))
  sinkReport = path.join(dir, 'sink.json')
  core = await createAppCore({
    userDataDir: path.join(dir, 'user'),
    builtInModelsDir: path.join(ROOT, 'models'),
    workerPath: WORKER_PATH,
    vcamBackend: createFileSinkBackend(sinkReport),
    emit: (name, payload) => void events.push({ name, payload }),
    pickBackgroundFile: () => Promise.resolve(sharedFile('media', 'portrait', 'portrait.jpg')),
    settingsDebounceMs: 10,
  })
  await core.start()
})

afterAll(async () => {
  await core?.close()
  await rm(dir, { recursive: true, force: true })
})

function nodePort(port: MessagePort): FrameLinkPort {
  return {
    postMessage: (m, transfer) => port.postMessage(m, transfer ?? []),
    onMessage: (l) => void port.on('message', l),
    close: () => port.close(),
  }
}

async function portraitRgba(width: number, height: number): Promise<ArrayBuffer> {
  const { data } = await sharp(sharedFile('media', 'portrait', 'portrait.jpg')).resize(width, height, { fit: 'cover' }).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer
}

describe('app core (real engine, registry and settings)', () => {
  it('opens the default built-in model on the CPU and reports why', async () => {
    const s = await core.handlers['engine.status']([])
    expect(s.ok).toBe(true)
    if (!s.ok) return
    expect(s.value).toMatchObject({ state: 'running', modelId: 'mediapipe-selfie-landscape', modelInterface: 'segmentation', error: null })
    expect(s.value.provider?.selected).toBe('cpu')
    expect(s.value.provider?.attempts.length).toBeGreaterThan(0)
    expect(eventsNamed('engine.statusChanged').length).toBeGreaterThan(0)
  })

  it('lists the built-in models as installed, RVM as downloadable with its GPL notice', async () => {
    const r = await core.handlers['models.list']([])
    expect(r.ok).toBe(true)
    if (!r.ok) return
    const ids = r.value.map((m) => m.id)
    expect(ids).toContain('mediapipe-selfie-landscape')
    expect(r.value.find((m) => m.id === 'mediapipe-selfie-landscape')).toMatchObject({ origin: 'built-in', isInstalled: true, needsLicenseAcceptance: false })
    const rvm = r.value.find((m) => m.id === 'rvm-mobilenetv3-fp32')
    expect(rvm).toMatchObject({ origin: 'downloaded', isInstalled: false, license: 'GPL-3.0', needsLicenseAcceptance: true })
  })

  it('refuses a GPL download without license acceptance, as a value', async () => {
    const r = await core.handlers['models.download'](['rvm-mobilenetv3-fp32', { acceptLicense: false }])
    expect(r).toMatchObject({ ok: false, code: 'MODEL_LICENSE_NOT_ACCEPTED' })
  })

  it('rejects bad payloads with BAD_ARGUMENT and a message naming the field', async () => {
    expect(await core.handlers['settings.update']([{ blurStrength: 400 }])).toEqual({
      ok: false,
      code: 'BAD_ARGUMENT',
      message: 'settings.update: args[0].blurStrength: Too big: expected number to be <=100 (got 400)',
    })
    expect(await core.handlers['settings.update']('not an array')).toMatchObject({ ok: false, code: 'BAD_ARGUMENT' })
    expect(await core.handlers['models.download'](['../../etc/passwd', { acceptLicense: true }])).toMatchObject({ ok: false, code: 'BAD_ARGUMENT' })
    expect(await core.handlers['settings.update']([{ modelId: '/tmp/evil.onnx' }])).toMatchObject({ ok: false, code: 'BAD_ARGUMENT' })
  })

  it('mattes a real frame sent over a frame port and writes output frames to the virtual camera', async () => {
    const { port1, port2 } = new MessageChannel()
    core.connectFrames(nodePort(port1))
    const got = new Promise<ToRendererMessage>((resolve) => port2.once('message', resolve))
    port2.postMessage({ type: 'frame', seq: 1, width: 640, height: 480, captureTimeUs: epochMicros(), format: 'RGBA', data: await portraitRgba(640, 480) })
    const m = await got
    expect(m.type).toBe('matte')
    if (m.type !== 'matte') return
    const alpha = new Uint8Array(m.alpha)
    expect(alpha.length).toBe(640 * 480)
    // the person is in the middle, the background at the top corners
    expect(alpha[240 * 640 + 320]).toBeGreaterThan(200)
    expect(alpha[5 * 640 + 5]).toBeLessThan(50)

    const out = await portraitRgba(1280, 720)
    port2.postMessage({ type: 'output', seq: 1, width: 1280, height: 720, captureTimeUs: epochMicros(), format: 'RGBA', isFallback: false, data: out })
    await expect.poll(() => core.frameLink()?.stats().outputsWritten, { timeout: 5000 }).toBe(1)
    await core.vcam.close()
    const report = JSON.parse(await readFile(sinkReport, 'utf8')) as FileSinkReport
    expect(report).toMatchObject({ width: 1280, height: 720, fps: 30, framesWritten: 1, isClosed: true })
    expect(report.lastFrameMean).toBeGreaterThan(20)
    port2.close()
    await core.vcam.apply(core.store.get())
  })

  it('reopens the engine on a model change and falls back to the built-in when a model is missing', async () => {
    const r = await core.handlers['settings.update']([{ modelId: 'mediapipe-selfie-general' }])
    expect(r.ok).toBe(true)
    await expect.poll(() => core.engine.status().modelId, { timeout: 60_000 }).toBe('mediapipe-selfie-general')
    await core.handlers['settings.update']([{ modelId: 'rvm-mobilenetv3-fp32' }])
    await expect.poll(() => core.engine.status().error?.message ?? null, { timeout: 60_000 }).toMatch(/^Could not open model "rvm-mobilenetv3-fp32" \(.*\); using the built-in model "mediapipe-selfie-landscape" instead\.$/)
    expect(core.engine.status()).toMatchObject({ state: 'running', modelId: 'mediapipe-selfie-landscape' })
    expect(core.notices().some((n) => n.message.startsWith('Could not open model "rvm-mobilenetv3-fp32"'))).toBe(true)
  })

  it('adds a background from the user\'s file (copied into user-data), selects and removes it', async () => {
    const added = await core.handlers['backgrounds.add']([])
    expect(added.ok).toBe(true)
    if (!added.ok || added.value === null) return
    expect(added.value).toMatchObject({ kind: 'image', name: 'portrait', url: `portseg-media://backgrounds/${added.value.id}` })
    const file = core.backgrounds.fileFor(added.value.id)
    expect(file?.path.startsWith(path.join(dir, 'user', 'backgrounds'))).toBe(true)
    expect((await core.handlers['settings.update']([{ background: { kind: 'image', imageId: added.value.id } }])).ok).toBe(true)
    expect((await core.handlers['backgrounds.remove']([added.value.id])).ok).toBe(true)
    expect(core.store.get().background).toMatchObject({ kind: 'blur', imageId: null })
    expect(core.backgrounds.list()).toEqual([])
  })

  it('emits settings.changed and effects.toggled with the source', async () => {
    core.applyPatch({ effectsEnabled: false }, 'tray')
    expect(eventsNamed('effects.toggled').at(-1)).toEqual({ enabled: false, source: 'tray' })
    expect((eventsNamed('settings.changed').at(-1) as { effectsEnabled: boolean }).effectsEnabled).toBe(false)
  })
})
