/**
 * Compositor benchmark: GPU compose + read-back cost at 1280x720 output in the browser tests'
 * headless Chromium (--disable-gpu: WebGL2 on SwiftShader), per scenario and, with --profile,
 * per step (uploads, prep, blur down/up, composite, preview blit, read-back), plus FrameReader.
 *
 *   npx tsx test/renderer/compositor-bench.ts [--against <git ref>|dir:<folder>] [--rounds 3] [--frames 8] [--profile] [--only <name,…>]
 *
 * --against bundles the pipeline files of that ref (or folder) too and alternates the two versions scenario
 * by scenario and round by round (interleaved A/B: the machine is shared, single runs lie). It
 * writes each version's last output per scenario to test-results/compositor-bench/ and prints
 * how far the two differ. A benchmark, not a test: it asserts nothing.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { build, type Plugin } from 'esbuild'
import { chromium, type Page } from 'playwright-core'
import sharp from 'sharp'
import { CHROMIUM_PATH, chromiumArgs, make720pClip } from '../support/browser.js'
import { ROOT, sharedFile } from '../support/paths.js'
import type { BenchResult, BenchScenario } from './compositor-bench.page.js'

const args = process.argv.slice(2)
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}
const against = opt('against')
const rounds = Number(opt('rounds') ?? 3)
const frames = Number(opt('frames') ?? 8)
const profile = args.includes('--profile')
const only = opt('only')?.split(',')
const OUT_DIR = path.join(ROOT, 'test-results', 'compositor-bench')
const BUILD_DIR = path.join(ROOT, 'out', 'compositor-bench')
const PIPELINE = 'src/renderer/src/pipeline'
const PIPELINE_FILES = ['compositor.ts', 'shaders.ts', 'fit.ts', 'camera.ts']

const edge = { feather: 30, contrast: 50, lightWrap: 20 }
const base = { color: '#2050c0', fit: 'crop' as const, ...edge }
/** the app's preview at the test viewport (1280 wide window, 380 px settings column) */
const preview = { width: 852, height: 479 }
const SCENARIOS: Omit<BenchScenario, 'frames' | 'profile'>[] = [
  { name: 'blur50-720p', camW: 1280, camH: 720, matte: true, foreground: false, params: { ...base, mode: 'blur', blurStrength: 50 }, preview },
  { name: 'blur50-720p-rvm', camW: 1280, camH: 720, matte: true, foreground: true, params: { ...base, mode: 'blur', blurStrength: 50 }, preview },
  { name: 'blur0-720p', camW: 1280, camH: 720, matte: true, foreground: false, params: { ...base, mode: 'blur', blurStrength: 0 }, preview },
  { name: 'blur100-720p', camW: 1280, camH: 720, matte: true, foreground: false, params: { ...base, mode: 'blur', blurStrength: 100 }, preview },
  { name: 'blur50-720p-nopreview', camW: 1280, camH: 720, matte: true, foreground: false, params: { ...base, mode: 'blur', blurStrength: 50 }, preview: null },
  { name: 'blur50-720p-hardedge', camW: 1280, camH: 720, matte: true, foreground: false, params: { ...base, mode: 'blur', blurStrength: 50, feather: 0, lightWrap: 0 }, preview },
  { name: 'color-720p', camW: 1280, camH: 720, matte: true, foreground: false, params: { ...base, mode: 'color', blurStrength: 50 }, preview },
  { name: 'privacy-720p', camW: 1280, camH: 720, matte: false, foreground: false, params: { ...base, mode: 'privacy', blurStrength: 50 }, preview },
  { name: 'passthrough-720p', camW: 1280, camH: 720, matte: false, foreground: false, params: { ...base, mode: 'passthrough', blurStrength: 50 }, preview },
  { name: 'blur50-720p-feather5', camW: 1280, camH: 720, matte: true, foreground: false, params: { ...base, mode: 'blur', blurStrength: 50, feather: 5 }, preview },
  { name: 'color-720p-wraponly', camW: 1280, camH: 720, matte: true, foreground: false, params: { ...base, mode: 'color', blurStrength: 50, feather: 0 }, preview },
  { name: 'blur50-4x3-pad', camW: 960, camH: 720, matte: true, foreground: false, params: { ...base, mode: 'blur', blurStrength: 50, fit: 'pad' }, preview },
  { name: 'blur60-360p', camW: 640, camH: 360, matte: true, foreground: false, params: { ...base, mode: 'blur', blurStrength: 60 }, preview },
]

/** A real portrait with its (P3M) alpha, cover-fitted to each camera size. */
async function fixtures(): Promise<Map<string, Buffer>> {
  const img = sharedFile('media', 'p3m', 'original', 'p_09ba26b4.jpg')
  const alpha = sharedFile('media', 'p3m', 'alpha', 'p_09ba26b4.png')
  const m = new Map<string, Buffer>()
  for (const [w, h] of [
    [1280, 720],
    [640, 360],
    [960, 720],
  ] as const) {
    m.set(`cam-${w}x${h}`, await sharp(img).resize(w, h, { fit: 'cover' }).ensureAlpha().raw().toBuffer())
    m.set(`alpha-${w}x${h}`, await sharp(alpha).resize(w, h, { fit: 'cover' }).greyscale().extractChannel(0).raw().toBuffer())
  }
  return m
}

/** Bundles the page; for a git ref, with that ref's pipeline files instead of the working tree's. */
async function bundle(version: string, ref: string | null): Promise<string> {
  const plugins: Plugin[] = []
  if (ref) {
    const dir = path.join(BUILD_DIR, `${version}-src`)
    mkdirSync(dir, { recursive: true })
    // a git ref, or dir:<folder> holding copies of the pipeline files
    const read = (f: string): Buffer => (ref.startsWith('dir:') ? readFileSync(path.join(ref.slice(4), f)) : execFileSync('git', ['show', `${ref}:${PIPELINE}/${f}`], { cwd: ROOT }))
    for (const f of PIPELINE_FILES) writeFileSync(path.join(dir, f), read(f))
    plugins.push({
      name: 'pipeline-at-ref',
      setup(b) {
        b.onResolve({ filter: /pipeline\/(compositor|camera)\.js$/ }, (a) => ({ path: path.join(dir, path.basename(a.path).replace(/\.js$/, '.ts')) }))
      },
    })
  }
  const outfile = path.join(BUILD_DIR, version, 'bench.js')
  await build({ entryPoints: [path.join(ROOT, 'test', 'renderer', 'compositor-bench.page.ts')], bundle: true, format: 'iife', outfile, plugins, logLevel: 'warning', nodePaths: [path.join(ROOT, 'node_modules')] })
  return outfile
}

/** CPU ms used so far by the browser's processes, by kind (GPU process, renderers, the rest). */
function chromiumCpuMs(rootPid: number): { gpu: number; renderer: number; other: number } {
  const hz = 100
  const procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d))
  const parent = new Map<number, number>()
  const info = new Map<number, { ms: number; type: string }>()
  for (const d of procs) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      parent.set(Number(d), Number(f[1]))
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8')
      const type = /--type=([a-z-]+)/.exec(cmd)?.[1] ?? 'browser'
      info.set(Number(d), { ms: ((Number(f[11]) + Number(f[12])) * 1000) / hz, type })
    } catch {
      // the process ended meanwhile
    }
  }
  const isOurs = (pid: number): boolean => {
    for (let p = pid, n = 0; p > 1 && n < 20; p = parent.get(p) ?? 0, n++) if (p === rootPid) return true
    return false
  }
  const out = { gpu: 0, renderer: 0, other: 0 }
  for (const [pid, i] of info) {
    if (!isOurs(pid)) continue
    if (i.type === 'gpu-process') out.gpu += i.ms
    else if (i.type === 'renderer') out.renderer += i.ms
    else out.other += i.ms
  }
  return out
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? s[Math.floor(s.length / 2)]! : NaN
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN
}

async function main(): Promise<void> {
  mkdirSync(OUT_DIR, { recursive: true })
  const versions: [string, string | null][] = [['work', null]]
  if (against) versions.push([`ref-${path.basename(against).replace(/[^A-Za-z0-9._-]/g, '_')}`, against])
  const bundles = new Map<string, string>()
  for (const [v, ref] of versions) bundles.set(v, await bundle(v, ref))
  const fx = await fixtures()

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const f = /^\/fixture\/(.+)$/.exec(url.pathname)
    if (f && fx.has(f[1]!)) return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(fx.get(f[1]!))
    const js = /^\/([^/]+)\/bench\.js$/.exec(url.pathname)
    if (js && bundles.has(js[1]!)) return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(bundles.get(js[1]!)!))
    const html = /^\/([^/]+)\/$/.exec(url.pathname)
    if (html && bundles.has(html[1]!)) return void res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><body style="margin:0"><canvas></canvas><script src="bench.js"></script></body>`)
    res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const addr = server.address()
  const origin = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`
  const clip = make720pClip(4)
  if (!clip) throw new Error('ffmpeg is needed for the 1280x720 fake camera clip')
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: chromiumArgs(clip), headless: true })
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 })
    await context.grantPermissions(['camera'], { origin })
    const pages = new Map<string, Page>()
    for (const [v] of versions) {
      const page = await context.newPage()
      page.on('pageerror', (e) => console.error(`[${v}] page error: ${e.message}`))
      await page.goto(`${origin}/${v}/`)
      await page.waitForFunction(() => '__bench' in window)
      pages.set(v, page)
    }
    const renderer = await pages.get('work')!.evaluate(() => {
      const gl = document.createElement('canvas').getContext('webgl2')
      const info = gl?.getExtension('WEBGL_debug_renderer_info')
      return gl && info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : 'no WebGL2'
    })
    console.log(`WebGL2 renderer: ${renderer}; ${rounds} rounds x ${frames} frames per scenario and version${profile ? ', profiled' : ''}`)

    // the browser is a child of this process
    const rootPid = process.pid
    type Acc = { compose: number[]; mark: number[]; gpuCpu: number[]; rendererCpu: number[]; steps: Record<string, number[]>; output: string }
    const acc = new Map<string, Acc>()
    const scenarios = SCENARIOS.filter((s) => !only || only.includes(s.name))
    for (const sc of scenarios) {
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 === 0 ? versions : [...versions].reverse()
        for (const [v] of order) {
          const key = `${v}|${sc.name}`
          const a = acc.get(key) ?? { compose: [], mark: [], gpuCpu: [], rendererCpu: [], steps: {}, output: '' }
          const cpu0 = chromiumCpuMs(rootPid)
          const res: BenchResult = await pages.get(v)!.evaluate((s) => (window as unknown as { __bench: { run(s: BenchScenario): Promise<BenchResult> } }).__bench.run(s), { ...sc, frames, profile: false })
          const cpu1 = chromiumCpuMs(rootPid)
          // per frame, warm-up frames included (they do the same work)
          const n = res.composeMs.length + 3
          a.gpuCpu.push((cpu1.gpu - cpu0.gpu) / n)
          a.rendererCpu.push((cpu1.renderer - cpu0.renderer) / n)
          a.compose.push(...res.composeMs)
          a.mark.push(...res.markMs)
          a.output = res.output
          if (profile) {
            const p: BenchResult = await pages.get(v)!.evaluate((s) => (window as unknown as { __bench: { run(s: BenchScenario): Promise<BenchResult> } }).__bench.run(s), { ...sc, frames, profile: true })
            for (const [k, xs] of Object.entries(p.steps)) (a.steps[k] ??= []).push(...xs)
          }
          acc.set(key, a)
        }
      }
      const line = versions.map(([v]) => {
        const a = acc.get(`${v}|${sc.name}`)!
        return `${v}: compose ${median(a.compose).toFixed(1)} ms (mean ${mean(a.compose).toFixed(1)}), mark ${median(a.mark).toFixed(1)} ms, CPU/frame GPU process ${median(a.gpuCpu).toFixed(0)} ms renderer ${median(a.rendererCpu).toFixed(0)} ms`
      })
      console.log(`${sc.name.padEnd(24)} ${line.join(' | ')}`)
      if (profile) {
        for (const [v] of versions) {
          const s = acc.get(`${v}|${sc.name}`)!.steps
          const parts = Object.entries(s).map(([k, xs]) => `${k} ${median(xs).toFixed(1)}/${Math.min(...xs).toFixed(1)}`)
          const total = Object.values(s).reduce((t, xs) => t + median(xs), 0)
          const totalMin = Object.values(s).reduce((t, xs) => t + Math.min(...xs), 0)
          console.log(`${''.padEnd(24)}   ${v} steps (median/min ms): ${parts.join(', ')}; sum ${total.toFixed(1)}/${totalMin.toFixed(1)}`)
        }
      }
      // the last outputs as PNGs, and how far the versions differ
      const outs = versions.map(([v]) => Buffer.from(acc.get(`${v}|${sc.name}`)!.output, 'base64'))
      for (let i = 0; i < versions.length; i++) await sharp(outs[i]!, { raw: { width: 1280, height: 720, channels: 4 } }).png().toFile(path.join(OUT_DIR, `${versions[i]![0]}-${sc.name}.png`))
      if (outs.length === 2) {
        let sum = 0
        let max = 0
        for (let i = 0; i < outs[0]!.length; i += 4)
          for (let c = 0; c < 3; c++) {
            const d = Math.abs(outs[0]![i + c]! - outs[1]![i + c]!)
            sum += d
            if (d > max) max = d
          }
        console.log(`${''.padEnd(24)}   output |Δ| between versions: mean ${(sum / ((outs[0]!.length / 4) * 3)).toFixed(2)}, max ${max}`)
      }
    }

    if (!only || only.includes('framereader')) {
      for (let r = 0; r < rounds; r++)
        for (const [v] of versions) {
          const fr = await pages.get(v)!.evaluate((n) => (window as unknown as { __bench: { frameReader(n: number): Promise<{ readMs: number[]; copyMs: number[]; width: number; height: number }> } }).__bench.frameReader(n), frames)
          console.log(`FrameReader ${v} round ${r + 1}: ${fr.width}x${fr.height} read median ${median(fr.readMs).toFixed(1)} ms (mean ${mean(fr.readMs).toFixed(1)}), copy into the slot ${median(fr.copyMs).toFixed(1)} ms`)
        }
    }
  } finally {
    await browser.close()
    server.close()
  }
}

await main()
