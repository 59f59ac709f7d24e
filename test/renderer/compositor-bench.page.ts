/**
 * Browser side of the compositor benchmark (test/renderer/compositor-bench.ts bundles it, once
 * per compared version): the real Compositor and FrameReader on a page in the same headless
 * Chromium (SwiftShader WebGL2) as the browser tests, driven through window.__bench.
 */
import { FrameReader } from '../../src/renderer/src/pipeline/camera.js'
import { Compositor, type CameraTexture, type CompositeParams, type MatteInput } from '../../src/renderer/src/pipeline/compositor.js'

export interface BenchScenario {
  name: string
  camW: number
  camH: number
  /** the matte has the camera frame's size (as the engine sends it); null: no matte (privacy, passthrough) */
  matte: boolean
  foreground: boolean
  params: CompositeParams
  preview: { width: number; height: number } | null
  frames: number
  /** wait for the GPU after every step and time it (slower overall; totals are from unprofiled runs) */
  profile: boolean
}

export interface BenchResult {
  /** render() + readOutput(), ms per frame: what the pipeline reports as compose ms */
  composeMs: number[]
  /** markCameraUpdated(), ms per frame (capture side, before the frame goes to the engine) */
  markMs: number[]
  /** per step, ms per frame (profile runs only) */
  steps: Record<string, number[]>
  /** the last output frame, RGBA, base64 */
  output: string
}

interface Fixture {
  cam: Uint8Array
  alpha: Uint8Array
}

const RING = 5
const fixtures = new Map<string, Fixture>()
let compositor: Compositor | null = null
let slots: CameraTexture[] = []

async function fixture(w: number, h: number): Promise<Fixture> {
  const key = `${w}x${h}`
  let f = fixtures.get(key)
  if (!f) {
    const get = async (kind: string): Promise<Uint8Array> => new Uint8Array(await (await fetch(`/fixture/${kind}-${key}`)).arrayBuffer())
    f = { cam: await get('cam'), alpha: await get('alpha') }
    fixtures.set(key, f)
  }
  return f
}

function nextFrame(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => resolve()))
}

function toBase64(data: Uint8Array): string {
  let s = ''
  for (let i = 0; i < data.length; i += 0x8000) s += String.fromCharCode(...data.subarray(i, i + 0x8000))
  return btoa(s)
}

async function run(sc: BenchScenario): Promise<BenchResult> {
  const canvas = document.querySelector('canvas')!
  if (!compositor) compositor = new Compositor(canvas, 1280, 720)
  const c = compositor
  c.setOutputSize(1280, 720)
  if (sc.preview) {
    canvas.style.width = `${sc.preview.width}px`
    canvas.style.height = `${sc.preview.height}px`
    c.setPreviewSize(sc.preview.width, sc.preview.height)
  }
  c.setPreviewVisible(sc.preview !== null)
  if (slots[0]?.width !== sc.camW || slots[0]?.height !== sc.camH) {
    for (const s of slots) s.texture.dispose()
    slots = Array.from({ length: RING }, () => c.createCameraTexture(sc.camW, sc.camH))
  }
  const fx = await fixture(sc.camW, sc.camH)
  let fgr: Uint8Array | undefined
  if (sc.foreground) {
    fgr = new Uint8Array(sc.camW * sc.camH * 3)
    for (let i = 0, j = 0; j < fgr.length; i += 4, j += 3) fgr.set(fx.cam.subarray(i, i + 3), j)
  }
  const gl = c.renderer.getContext()
  const px = new Uint8Array(4)
  const steps: Record<string, number[]> = {}
  let stepT = 0
  c.onStep = sc.profile
    ? (step) => {
        // readPixels waits for everything issued so far (uploads included)
        gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px)
        const t = performance.now()
        ;(steps[step] ??= []).push(t - stepT)
        stepT = t
      }
    : null
  const composeMs: number[] = []
  const markMs: number[] = []
  const warmup = 3
  let out: Uint8Array = new Uint8Array(0)
  for (let i = 0; i < warmup + sc.frames; i++) {
    if (i === warmup) for (const k of Object.keys(steps)) steps[k] = []
    const slot = slots[i % RING]!
    slot.data.set(fx.cam)
    // a new frame each time (the pipeline never composites the same pixels twice)
    slot.data[0] = i & 255
    const tm = performance.now()
    c.markCameraUpdated(slot)
    if (sc.profile) {
      gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px)
    }
    const t0 = performance.now()
    stepT = t0
    const matte: MatteInput | null = sc.matte ? { alpha: fx.alpha.slice(), width: sc.camW, height: sc.camH, ...(fgr ? { foreground: fgr.slice() } : {}) } : null
    const t1 = performance.now()
    stepT = t1
    c.render(slot, matte, sc.params)
    out = c.readOutput()
    const t2 = performance.now()
    if (i >= warmup) {
      markMs.push(t0 - tm)
      composeMs.push(t2 - t1)
    }
    await nextFrame()
  }
  c.onStep = null
  return { composeMs, markMs, steps, output: toBase64(out) }
}

/** FrameReader.read on the fake camera (the 1280x720 clip), ms per new video frame. */
async function frameReader(frames: number): Promise<{ readMs: number[]; copyMs: number[]; width: number; height: number }> {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720, frameRate: 30 }, audio: false })
  const video = document.createElement('video')
  video.muted = true
  video.srcObject = stream
  await video.play()
  const reader = new FrameReader()
  const readMs: number[] = []
  const copyMs: number[] = []
  const slot = new Uint8Array(video.videoWidth * video.videoHeight * 4)
  for (let i = 0; i < frames + 3; i++) {
    await new Promise<void>((resolve) => video.requestVideoFrameCallback(() => resolve()))
    const t0 = performance.now()
    const image = reader.read(video)
    const t1 = performance.now()
    if (image && image.data.length === slot.length) slot.set(image.data)
    const t2 = performance.now()
    if (i >= 3) {
      readMs.push(t1 - t0)
      copyMs.push(t2 - t1)
    }
  }
  const size = { width: video.videoWidth, height: video.videoHeight }
  for (const t of stream.getTracks()) t.stop()
  return { readMs, copyMs, ...size }
}

;(window as unknown as { __bench: unknown }).__bench = { run, frameReader }
