/**
 * Browser-test harness: the built renderer (out/renderer) in Debian's Chromium under Playwright,
 * connected to the REAL main-side code in this Node process through a test transport that
 * implements the same `window.portseg` bridge type:
 *  - invokes → createIpcHandlers (the app's handlers) over the real SettingsStore,
 *    BackgroundsService, ModelsService, EngineController and VcamService;
 *  - events ← the same services' callbacks, emitted into the page;
 *  - the frame port → a MessagePort in the page bridged over a WebSocket to the REAL frame link
 *    and the REAL engine (inference worker from out/cli), with a recording FrameSink.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { WebSocketServer, type WebSocket as WsSocket } from 'ws'
import { createIpcHandlers, type AppServices } from '../../src/main/app/ipc-handlers.js'
import { BackgroundsService } from '../../src/main/app/backgrounds.js'
import { EngineController } from '../../src/main/app/engine-controller.js'
import { ModelsService } from '../../src/main/app/models-service.js'
import { SettingsStore } from '../../src/main/app/settings-store.js'
import { VcamService, type OpenedSink } from '../../src/main/app/vcam-service.js'
import { createFrameLink, type FrameLink, type FrameLinkPort, type FrameLinkStats } from '../../src/main/engine/frame-link.js'
import { openEngine } from '../../src/main/engine/index.js'
import { resolveModel } from '../../src/main/engine/models/index.js'
import { EVENT_NAMES, INVOKE_NAMES, type EventName, type EventPayload, type InvokeName, type Notice } from '../../src/shared/ipc.js'
import type { SettingsPatch } from '../../src/shared/settings.js'
import { ROOT, WORKER_PATH, sharedFile } from './paths.js'

export const CHROMIUM_PATH = process.env.PORTSEG_CHROMIUM ?? '/usr/bin/chromium'
export const HAS_CHROMIUM = existsSync(CHROMIUM_PATH)
export const RESULTS_DIR = path.join(ROOT, 'test-results', 'renderer')
const RENDERER_DIR = path.join(ROOT, 'out', 'renderer')

export function chromiumArgs(clipY4m: string): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${clipY4m}`,
    // the pipeline must keep running when the window is not focused (tray), as in the app
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
  ]
}

/** Builds out/renderer when it is missing (`npm run test:e2e` builds it first). */
export function ensureRendererBuilt(): void {
  if (existsSync(path.join(RENDERER_DIR, 'index.html'))) return
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: ROOT, stdio: 'inherit' })
}

/** A 1280x720 30 fps y4m made from ../shared/media/video/s18.mp4 with ffmpeg, cached under out/. */
export function make720pClip(seconds = 4): string | null {
  const out = path.join(ROOT, 'out', 'test-media', `s18_1280x720_30fps_${seconds}s.y4m`)
  if (existsSync(out) && statSync(out).size > 0) return out
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' })
  } catch {
    return null
  }
  execFileSync('mkdir', ['-p', path.dirname(out)])
  const tmp = `${out}.tmp.y4m`
  execFileSync('ffmpeg', ['-y', '-loglevel', 'error', '-i', sharedFile('media', 'video', 's18.mp4'), '-an', '-vf', 'fps=30,scale=1280:720:flags=bicubic', '-pix_fmt', 'yuv420p', '-frames:v', String(seconds * 30), '-f', 'yuv4mpegpipe', tmp])
  execFileSync('mv', [tmp, out])
  return out
}

// ---- frame transport codec (the page side is in installTestBridge below) ----------------

const BUFFER_KEYS = ['data', 'alpha', 'foreground'] as const

/** [u32 header length][JSON header][buffers…]: a message with its ArrayBuffers, over one WebSocket frame. */
export function encodeFrameMessage(msg: Record<string, unknown>): Buffer {
  const header: Record<string, unknown> = {}
  const parts: Buffer[] = []
  const lengths: [string, number][] = []
  for (const [k, v] of Object.entries(msg)) {
    if ((BUFFER_KEYS as readonly string[]).includes(k) && v instanceof ArrayBuffer) {
      parts.push(Buffer.from(v))
      lengths.push([k, v.byteLength])
    } else header[k] = v
  }
  header.__buffers = lengths
  const json = Buffer.from(JSON.stringify(header))
  const len = Buffer.alloc(4)
  len.writeUInt32LE(json.length)
  return Buffer.concat([len, json, ...parts])
}

export function decodeFrameMessage(buf: Buffer): Record<string, unknown> {
  const n = buf.readUInt32LE(0)
  const header = JSON.parse(buf.subarray(4, 4 + n).toString('utf8')) as Record<string, unknown> & { __buffers: [string, number][] }
  let off = 4 + n
  for (const [k, len] of header.__buffers) {
    // a fresh ArrayBuffer per field, as a transferred buffer would be
    header[k] = buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + len)
    off += len
  }
  delete (header as Record<string, unknown>).__buffers
  return header
}

/**
 * Runs in the page before its scripts (page.addInitScript): defines window.portseg with the
 * contract's methods (forwarded to Node through the exposed binding) and a frame port bridged to
 * the WebSocket. Self-contained: Playwright serialises it.
 */
function installTestBridge(cfg: { invokeNames: string[]; eventNames: string[]; wsPath: string; workerPath: string }): void {
  const w = window as unknown as Record<string, unknown>
  const listeners = new Map<string, Set<(p: unknown) => void>>()
  w.__portsegEmit = (event: string, payload: unknown) => {
    for (const l of listeners.get(event) ?? []) l(payload)
  }
  const bridge: Record<string, unknown> = {}
  for (const name of cfg.invokeNames) {
    const dot = name.indexOf('.')
    const domain = name.slice(0, dot)
    const verb = name.slice(dot + 1)
    const d = (bridge[domain] ??= {}) as Record<string, unknown>
    d[verb] = (...args: unknown[]) => (w.__portsegInvoke as (n: string, a: unknown[]) => Promise<unknown>)(name, args)
  }
  bridge.on = (event: string, listener: (p: unknown) => void) => {
    if (!cfg.eventNames.includes(event)) throw new Error(`portseg.on: event must be one of ${cfg.eventNames.join(', ')} (got ${JSON.stringify(event)})`)
    let set = listeners.get(event)
    if (!set) listeners.set(event, (set = new Set()))
    set.add(listener)
    return () => void set.delete(listener)
  }
  let worker: Worker | null = null
  bridge.frames = {
    connect() {
      // the socket lives in a worker: a main thread busy compositing must not stall the transport
      worker?.terminate()
      worker = new Worker(cfg.workerPath)
      const channel = new MessageChannel()
      worker.postMessage({ wsUrl: `${location.origin.replace(/^http/, 'ws')}${cfg.wsPath}` }, [channel.port1])
      window.postMessage('portseg:frames-port', '*', [channel.port2])
    },
  }
  Object.defineProperty(window, 'portseg', { value: Object.freeze(bridge), configurable: false, writable: false })
}

/** The page end of the frame socket, in a dedicated worker (same codec as encodeFrameMessage). */
const FRAMES_WORKER_JS = `
const BUFFER_KEYS = ['data', 'alpha', 'foreground']
function encode(msg) {
  const header = {}, parts = [], lengths = []
  for (const [k, v] of Object.entries(msg)) {
    if (BUFFER_KEYS.includes(k) && v instanceof ArrayBuffer) { parts.push(v); lengths.push([k, v.byteLength]) } else header[k] = v
  }
  header.__buffers = lengths
  const json = new TextEncoder().encode(JSON.stringify(header))
  const out = new Uint8Array(4 + json.length + parts.reduce((a, p) => a + p.byteLength, 0))
  new DataView(out.buffer).setUint32(0, json.length, true)
  out.set(json, 4)
  let off = 4 + json.length
  for (const p of parts) { out.set(new Uint8Array(p), off); off += p.byteLength }
  return out.buffer
}
function decode(buf) {
  const n = new DataView(buf).getUint32(0, true)
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, n)))
  let off = 4 + n
  const transfer = []
  for (const [k, len] of header.__buffers) { const b = buf.slice(off, off + len); header[k] = b; transfer.push(b); off += len }
  delete header.__buffers
  return { msg: header, transfer }
}
self.onmessage = (e) => {
  const port = e.ports[0]
  const ws = new WebSocket(e.data.wsUrl)
  ws.binaryType = 'arraybuffer'
  const queue = []
  ws.onopen = () => { for (const b of queue.splice(0)) ws.send(b) }
  ws.onclose = (ev) => { console.warn('test transport: frame socket closed (' + ev.code + ')'); port.close() }
  ws.onmessage = (ev) => { const { msg, transfer } = decode(ev.data); port.postMessage(msg, transfer) }
  port.onmessage = (ev) => {
    const b = encode(ev.data)
    if (ws.readyState === 1) ws.send(b)
    else if (ws.readyState === 0) queue.push(b)
  }
}
`

// ---- the Node side -------------------------------------------------------------------

export interface RecordedFrame {
  seq: number
  width: number
  height: number
  captureTimeUs: number
  data: Uint8Array
  atMs: number
}
export interface RecordedOutput extends RecordedFrame {
  isFallback: boolean
}
export interface RecordedMatte {
  seq: number
  width: number
  height: number
  alpha: Uint8Array
  atMs: number
}

export interface HarnessOptions {
  clip: string
  /** Model for the engine; default: the registry's default (built-in) model, else the reference ONNX. */
  modelPath?: string
  settings?: SettingsPatch
  viewport?: { width: number; height: number }
  /** How many recent camera frames / outputs / mattes to keep. */
  keep?: number
}

export interface AppHarness {
  page: Page
  browser: Browser
  context: BrowserContext
  store: SettingsStore
  engine: EngineController
  vcam: VcamService
  frames: Map<number, RecordedFrame>
  outputs: RecordedOutput[]
  mattes: Map<number, RecordedMatte>
  /** Every sink write (the virtual camera's view). */
  sinkWrites: number
  link(): FrameLink | null
  linkStats: FrameLinkStats[]
  /** When true, 'matte' messages are swallowed on the way to the page (a matte that never comes). */
  dropMattes: boolean
  /** The next backgrounds.add dialog "picks" this file. */
  nextPickedFile: string | null
  pageErrors: string[]
  consoleLines: string[]
  nowUs(): number
  close(): Promise<void>
}

function recordingBackend(onWrite: () => void): { name: string; open: (o: { width: number; height: number }) => Promise<OpenedSink>; diagnose: () => Promise<null> } {
  return {
    name: 'recording sink',
    diagnose: () => Promise.resolve(null),
    open: ({ width, height }) =>
      Promise.resolve({
        width,
        height,
        device: null,
        write: (f: { width: number; height: number; data: Uint8Array }) => {
          if (f.data.length !== width * height * 4) throw new Error(`recording sink: ${f.data.length} bytes for ${width}x${height}`)
          onWrite()
        },
        close: () => undefined,
      }),
  }
}

export async function startAppHarness(opts: HarnessOptions): Promise<AppHarness> {
  ensureRendererBuilt()
  const keep = opts.keep ?? 90
  const home = mkdtempSync(path.join(os.tmpdir(), 'portseg-e2e-'))
  const emitQueue: [EventName, unknown][] = []
  let page: Page | null = null
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>): void => {
    if (!page) {
      emitQueue.push([event, payload])
      return
    }
    page.evaluate(([e, p]) => (window as unknown as { __portsegEmit(e: string, p: unknown): void }).__portsegEmit(e, p), [event, payload] as [string, unknown]).catch(() => undefined)
  }

  const notices: Notice[] = []
  const store = await SettingsStore.open({
    dir: home,
    debounceMs: 50,
    onNotice: (n) => {
      notices.push(n)
      emit('notice', n)
    },
  })
  if (opts.settings) store.update(opts.settings)
  const backgrounds = new BackgroundsService({ dir: path.join(home, 'backgrounds'), store, urlFor: (id) => `/__media/backgrounds/${id}` })
  const modelStore = { home, builtInDir: path.join(ROOT, 'models') }
  const models = new ModelsService({ store: modelStore, settings: store, onProgress: (p) => emit('models.downloadProgress', p) })
  const referenceModel = sharedFile('models', 'reference-onnx', 'selfie_segmentation_landscape.onnx')
  const engine = new EngineController({
    workerPath: WORKER_PATH,
    openEngine,
    resolveModel: async (id) => {
      if (opts.modelPath) return { id, name: path.basename(opts.modelPath), path: opts.modelPath }
      try {
        const m = await resolveModel(id, modelStore)
        return { id: m.id, name: m.name, path: m.path }
      } catch {
        // the built-in models are built by `npm run models`; the reference conversion is the same network
        return { id, name: 'MediaPipe selfie (landscape, reference ONNX)', path: referenceModel }
      }
    },
    onStatus: (s) => emit('engine.statusChanged', s),
  })
  let link: FrameLink | null = null
  const h = {
    sinkWrites: 0,
    dropMattes: false,
    nextPickedFile: null as string | null,
  }
  const vcam = new VcamService({
    backend: recordingBackend(() => h.sinkWrites++),
    onStatus: (s) => emit('vcam.statusChanged', s),
    onSink: (sink) => link?.setSink(sink),
  })
  await engine.apply(store.get())
  await vcam.apply(store.get())
  store.onChange((s, prev) => {
    emit('settings.changed', s)
    void engine.apply(s)
    if (s.output !== prev.output || s.vcam.enabled !== prev.vcam.enabled) void vcam.apply(s)
  })

  const services: AppServices = {
    app: { info: () => ({ version: 'test', platform: process.platform, arch: process.arch, isPackaged: false, electronVersion: null }), openSettings: () => undefined, quit: () => undefined },
    notices: {
      list: () => [...notices],
      dismiss: (id) => void notices.splice(0, notices.length, ...notices.filter((n) => n.id !== id)),
    },
    settings: { get: () => store.get(), update: (p) => store.update(p), replace: (s) => store.replace(s) },
    models: {
      list: () => models.list(),
      download: (id, accept) => models.download(id, accept),
      cancelDownload: (id) => models.cancelDownload(id),
      importFromDialog: () => Promise.resolve(null),
      remove: (id) => models.remove(id),
    },
    backgrounds: { list: () => backgrounds.list(), add: (f) => backgrounds.add(f), remove: (id) => backgrounds.remove(id) },
    pickBackgroundFile: () => {
      const f = h.nextPickedFile
      h.nextPickedFile = null
      return Promise.resolve(f)
    },
    vcam: { refresh: () => vcam.refresh(), fix: () => vcam.fix() },
    engine: { status: () => engine.status(), restart: () => engine.restart() },
  }
  const handlers = createIpcHandlers(services)

  const frames = new Map<number, RecordedFrame>()
  const outputs: RecordedOutput[] = []
  const mattes = new Map<number, RecordedMatte>()
  const linkStats: FrameLinkStats[] = []
  const trim = <T>(m: Map<number, T>): void => {
    while (m.size > keep) m.delete(m.keys().next().value as number)
  }
  const nowUs = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000)

  // static files of the built renderer + the saved backgrounds + the frame WebSocket, one origin
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    if (url.pathname === '/__frames-worker.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(FRAMES_WORKER_JS)
      return
    }
    const media = /^\/__media\/backgrounds\/([A-Za-z0-9._-]+)$/.exec(url.pathname)
    let file: string | null
    if (media) file = backgrounds.fileFor(media[1]!)?.path ?? null
    else {
      const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1))
      file = path.join(RENDERER_DIR, rel)
      if (!file.startsWith(RENDERER_DIR)) file = null
    }
    if (!file || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found')
      return
    }
    const type = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.mp4': 'video/mp4', '.webm': 'video/webm' }[path.extname(file).toLowerCase()] ?? 'application/octet-stream'
    res.writeHead(200, { 'content-type': type }).end(readFileSync(file))
  })
  const wss = new WebSocketServer({ server, path: '/__frames', maxPayload: 256 * 1024 * 1024 })
  wss.on('connection', (ws: WsSocket) => {
    link?.close()
    let onMsg: ((m: unknown) => void) | null = null
    const port: FrameLinkPort = {
      postMessage(msg) {
        if (msg.type === 'matte') {
          mattes.set(msg.seq, { seq: msg.seq, width: msg.width, height: msg.height, alpha: new Uint8Array(msg.alpha.slice(0)), atMs: performance.now() })
          trim(mattes)
          if (h.dropMattes) return
        }
        if (ws.readyState === ws.OPEN) ws.send(encodeFrameMessage(msg as unknown as Record<string, unknown>))
      },
      onMessage(cb) {
        onMsg = cb
      },
      close() {
        ws.close()
      },
    }
    ws.on('error', (e) => console.error('test transport: socket error', e))
    ws.on('close', (code, reason) => console.error('test transport: socket closed', code, reason.toString()))
    ws.on('message', (data: Buffer) => {
      let msg: Record<string, unknown>
      try {
        msg = decodeFrameMessage(data)
      } catch (e) {
        console.error('decode failed', e, data.length)
        return
      }
      const rec = { seq: msg.seq as number, width: msg.width as number, height: msg.height as number, captureTimeUs: msg.captureTimeUs as number, atMs: performance.now() }
      if (msg.type === 'frame' && msg.data instanceof ArrayBuffer) {
        frames.set(rec.seq, { ...rec, data: new Uint8Array(msg.data.slice(0)) })
        trim(frames)
      } else if (msg.type === 'output' && msg.data instanceof ArrayBuffer) {
        outputs.push({ ...rec, isFallback: msg.isFallback === true, data: new Uint8Array(msg.data.slice(0)) })
        if (outputs.length > keep) outputs.splice(0, outputs.length - keep)
      }
      onMsg?.(msg)
    })
    link = createFrameLink({
      port,
      engine: engine.relay,
      sink: vcam.sink,
      onStats: (s) => {
        linkStats.push(s)
        emit('pipeline.statsUpdated', s)
      },
      statsIntervalMs: 1000,
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`

  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: chromiumArgs(opts.clip), headless: true })
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 }, deviceScaleFactor: 1 })
  await context.grantPermissions(['camera'], { origin })
  page = await context.newPage()
  const pageErrors: string[] = []
  const consoleLines: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`))
  await page.exposeBinding('__portsegInvoke', async (_source, name: string, args: unknown) => {
    const handler = (handlers as Record<string, (a: unknown) => Promise<unknown>>)[name]
    if (!handler) return { ok: false, code: 'IPC_REFUSED', message: `refused ${name}: not a contract channel` }
    return handler(args)
  })
  await page.addInitScript(installTestBridge, { invokeNames: [...INVOKE_NAMES], eventNames: [...EVENT_NAMES], wsPath: '/__frames', workerPath: '/__frames-worker.js' })
  await page.goto(`${origin}/index.html`)
  for (const [e, p] of emitQueue.splice(0)) emit(e, p as never)

  const result: AppHarness = {
    page,
    browser,
    context,
    store,
    engine,
    vcam,
    frames,
    outputs,
    mattes,
    get sinkWrites() {
      return h.sinkWrites
    },
    link: () => link,
    linkStats,
    get dropMattes() {
      return h.dropMattes
    },
    set dropMattes(v: boolean) {
      h.dropMattes = v
    },
    get nextPickedFile() {
      return h.nextPickedFile
    },
    set nextPickedFile(v: string | null) {
      h.nextPickedFile = v
    },
    pageErrors,
    consoleLines,
    nowUs,
    async close() {
      link?.close()
      await browser.close().catch(() => undefined)
      await new Promise<void>((resolve) => {
        wss.close(() => server.close(() => resolve()))
        server.closeAllConnections?.()
      })
      await engine.close()
      await vcam.close()
      await store.close()
      rmSync(home, { recursive: true, force: true })
    },
  }
  return result
}

export type { InvokeName }
