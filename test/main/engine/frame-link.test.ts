import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { openEngine, type MattingEngine } from '../../../src/main/engine/index.js'
import { createFrameLink, epochMicros, type FrameLinkPort, type FrameLinkStats } from '../../../src/main/engine/frame-link.js'
import type { FrameSink } from '../../../src/main/engine/ports.js'
import type { ToRendererMessage } from '../../../src/shared/frame-protocol.js'
import { HAS_SHARED, WORKER_PATH, sharedFile } from '../../support/paths.js'

/** A port whose far end is the test: what the renderer would send and receive. */
function testPort(): FrameLinkPort & { sent: ToRendererMessage[]; transfers: ArrayBuffer[][]; deliver(m: unknown): void; isClosed: boolean } {
  let listener: ((m: unknown) => void) | null = null
  const port = {
    sent: [] as ToRendererMessage[],
    transfers: [] as ArrayBuffer[][],
    isClosed: false,
    postMessage(m: ToRendererMessage, transfer?: ArrayBuffer[]) {
      port.sent.push(m)
      port.transfers.push(transfer ?? [])
    },
    onMessage(cb: (m: unknown) => void) {
      listener = cb
    },
    close() {
      port.isClosed = true
    },
    deliver(m: unknown) {
      listener?.(m)
    },
  }
  return port
}

function recordingSink(width: number, height: number): FrameSink & { frames: Uint8Array[] } {
  const frames: Uint8Array[] = []
  return { width, height, frames, write: (f) => void frames.push(f.data.slice()), close: () => undefined }
}

async function waitFor(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 10))
  }
}

const W = 320
const H = 180

describe.skipIf(!HAS_SHARED)('frame link (real engine, MediaPipe landscape reference model)', () => {
  let engine: MattingEngine
  let portrait: Uint8Array

  beforeAll(async () => {
    engine = await openEngine({
      modelPath: sharedFile('models', 'reference-onnx', 'selfie_segmentation_landscape.onnx'),
      workerPath: WORKER_PATH,
      provider: 'cpu',
    })
    const { data } = await sharp(sharedFile('media', 'portrait', 'portrait.jpg'))
      .resize(W, H, { fit: 'cover' })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true })
    portrait = new Uint8Array(data)
  })
  afterAll(async () => {
    await engine?.close()
  })

  const frameMsg = (seq: number, extra: Record<string, unknown> = {}) => ({
    type: 'frame',
    seq,
    width: W,
    height: H,
    captureTimeUs: epochMicros(),
    format: 'RGBA',
    sourceId: 'cam-a',
    data: portrait.slice().buffer,
    ...extra,
  })

  it('answers every frame with a matte for the same seq, alpha transferred, person found', async () => {
    const port = testPort()
    const link = createFrameLink({ port, engine })
    port.deliver(frameMsg(1))
    await waitFor(() => port.sent.length === 1)
    const m = port.sent[0]!
    expect(m.type).toBe('matte')
    if (m.type !== 'matte') return
    expect(m.seq).toBe(1)
    expect([m.width, m.height]).toEqual([W, H])
    expect(m.alpha.byteLength).toBe(W * H)
    expect(port.transfers[0]).toContain(m.alpha)
    // the portrait's centre column is the person, the top corners are the office
    const a = new Uint8Array(m.alpha)
    expect(a[Math.floor(H * 0.75) * W + W / 2]!).toBeGreaterThan(200)
    expect(a[2 * W + 2]!).toBeLessThan(60)
    expect(link.stats().mattesSent).toBe(1)
    link.close()
  })

  it('sends matte-missing for the frames the flow limiter drops, one answer per seq', async () => {
    const port = testPort()
    const link = createFrameLink({ port, engine })
    for (let seq = 10; seq < 16; seq++) port.deliver(frameMsg(seq))
    await waitFor(() => port.sent.length === 6)
    const bySeq = new Map(port.sent.map((m) => [m.seq, m]))
    expect([...bySeq.keys()].sort((a, b) => a - b)).toEqual([10, 11, 12, 13, 14, 15])
    const missing = port.sent.filter((m) => m.type === 'matte-missing')
    const mattes = port.sent.filter((m) => m.type === 'matte')
    // 1 in flight + newest 1 queued: the first and last get mattes, the middle ones are dropped
    expect(mattes.map((m) => m.seq)).toContain(10)
    expect(mattes.map((m) => m.seq)).toContain(15)
    expect(missing.length).toBeGreaterThanOrEqual(3)
    for (const m of missing) if (m.type === 'matte-missing') expect(['busy', 'superseded']).toContain(m.reason)
    expect(link.stats().framesDropped).toBe(missing.length)
    link.close()
  })

  it('refuses frames whose buffer does not match their size, and says why', async () => {
    const port = testPort()
    const rejected: string[] = []
    const link = createFrameLink({ port, engine, onRejected: (r) => rejected.push(r) })
    port.deliver(frameMsg(20, { data: new ArrayBuffer(W * H * 3) }))
    expect(port.sent).toHaveLength(1)
    const m = port.sent[0]!
    expect(m).toMatchObject({ type: 'matte-missing', seq: 20, reason: 'failed' })
    expect(rejected[0]).toBe(`refused camera frame 20: expected ${W * H * 4} bytes for ${W}x${H}, got ${W * H * 3}`)
    // not the protocol at all: counted and refused, nothing sent for an unknown seq
    port.deliver({ type: 'frame', seq: 21, width: W, height: H, format: 'BGRA', captureTimeUs: 0, data: new ArrayBuffer(4) })
    port.deliver('hello')
    expect(link.stats().framesRejected).toBe(3)
    expect(rejected[1]).toMatch(/^refused message for frame 21: format:/)
    expect(port.sent.filter((x) => x.seq === 21)).toHaveLength(1)
    link.close()
  })

  it('writes output frames to the sink and measures end-to-end latency', async () => {
    const port = testPort()
    const sink = recordingSink(W, H)
    const reports: FrameLinkStats[] = []
    const link = createFrameLink({ port, engine, sink, onStats: (s) => reports.push(s), statsIntervalMs: 50 })
    const captureTimeUs = epochMicros() - 40_000
    port.deliver({ type: 'output', seq: 30, width: W, height: H, captureTimeUs, format: 'RGBA', isFallback: false, data: portrait.slice().buffer })
    port.deliver({ type: 'output', seq: 31, width: W, height: H, captureTimeUs, format: 'RGBA', isFallback: true, data: portrait.slice().buffer })
    expect(sink.frames).toHaveLength(2)
    expect(Buffer.from(sink.frames[0]!).equals(Buffer.from(portrait))).toBe(true)
    // wrong size for the sink: refused, not written
    port.deliver({ type: 'output', seq: 32, width: 160, height: 90, captureTimeUs, format: 'RGBA', isFallback: false, data: new ArrayBuffer(160 * 90 * 4) })
    expect(sink.frames).toHaveLength(2)
    await waitFor(() => reports.length > 0)
    const s = link.stats()
    expect(s.outputsWritten).toBe(2)
    expect(s.outputsFallback).toBe(1)
    expect(s.outputsRejected).toBe(1)
    expect(s.endToEndMs!).toBeGreaterThanOrEqual(40)
    expect(s.endToEndMs!).toBeLessThan(1000)
    expect(s.lastRejection).toMatch(/expects 320x180/)
    link.close()
    expect(port.isClosed).toBe(true)
  })

  it('reports fps and inference time over a stream, and stops answering once closed', async () => {
    const port = testPort()
    const link = createFrameLink({ port, engine })
    for (let seq = 100; seq < 110; seq++) {
      port.deliver(frameMsg(seq))
      await waitFor(() => port.sent.some((m) => m.seq === seq))
    }
    const s = link.stats()
    expect(s.framesReceived).toBe(10)
    expect(s.mattesSent).toBe(10)
    expect(s.inputFps).toBeGreaterThan(0)
    expect(s.inferenceMs!).toBeGreaterThan(0)
    link.close()
    const before = port.sent.length
    port.deliver(frameMsg(200))
    await new Promise((r) => setTimeout(r, 200))
    expect(port.sent.length).toBe(before)
  })
})
