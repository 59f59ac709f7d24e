import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import sharp from 'sharp'
import { afterAll, describe, expect, it } from 'vitest'
import { CLI_PATH, sharedFile } from '../../support/paths.js'

const run = promisify(execFile)
const tmp = mkdtempSync(path.join(tmpdir(), 'portseg-matte-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const GENERAL = sharedFile('models', 'reference-onnx', 'selfie_segmentation.onnx')

interface CliResult {
  code: number
  stdout: string
  stderr: string
}

async function portseg(...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI_PATH, ...args], { maxBuffer: 32 * 1024 * 1024 })
    return { code: 0, stdout, stderr }
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' }
  }
}

async function gray(file: string): Promise<{ data: Uint8Array; width: number; height: number; channels: number }> {
  const meta = await sharp(file).metadata()
  const data = await sharp(file).extractChannel(0).raw().toBuffer()
  return { data: new Uint8Array(data), width: meta.width!, height: meta.height!, channels: meta.channels! }
}

describe('portseg matte', () => {
  it('a single image → <name>.png at full size, IoU ≥ 0.93 against the golden mask; --json summary', async () => {
    const out = path.join(tmp, 'portrait')
    const r = await portseg('matte', '--model', GENERAL, '--input', sharedFile('media', 'portrait', 'portrait.jpg'), '--output', out, '--json')
    expect(r.stderr).not.toMatch(/unexpected error/)
    expect(r.code).toBe(0)
    const summary = JSON.parse(r.stdout) as Record<string, unknown>
    expect(summary).toMatchObject({ inputKind: 'image', frames: 1, provider: 'cpu', interface: 'segmentation', size: { width: 820, height: 1024 }, files: { count: 1, first: 'portrait.png' } })
    expect(readdirSync(out)).toEqual(['portrait.png'])
    const alpha = await gray(path.join(out, 'portrait.png'))
    expect([alpha.width, alpha.height, alpha.channels]).toEqual([820, 1024, 1])
    const blue = new Uint8Array(await sharp(sharedFile('media', 'portrait', 'portrait_segmentation.png')).extractChannel(2).raw().toBuffer())
    let inter = 0
    let union = 0
    for (let i = 0; i < blue.length; i++) {
      const a = alpha.data[i]! >= 128
      const t = blue[i]! >= 255
      if (a && t) inter++
      if (a || t) union++
    }
    console.log(`portseg matte portrait.jpg: IoU ${(inter / union).toFixed(4)}`)
    expect(inter / union).toBeGreaterThanOrEqual(0.93)
  })

  it('a directory of P3M portraits → 000000.png… in name order, each the size of its image, sensible alphas', async () => {
    const dir = sharedFile('media', 'p3m', 'original')
    const out = path.join(tmp, 'p3m')
    const r = await portseg('matte', '-m', GENERAL, '-i', dir, '-o', out)
    expect(r.code).toBe(0)
    expect(r.stderr).toContain('provider: cpu')
    expect(r.stdout).toMatch(/^15 frames → /)
    expect(r.stdout).toMatch(/ms\/frame overall/)
    const names = readdirSync(dir).sort(new Intl.Collator('en', { numeric: true, sensitivity: 'base' }).compare)
    const outs = readdirSync(out).sort()
    expect(outs).toEqual(names.map((_, i) => `${String(i).padStart(6, '0')}.png`))
    let mad = 0
    for (let i = 0; i < names.length; i++) {
      const alpha = await gray(path.join(out, outs[i]!))
      const truth = await gray(sharedFile('media', 'p3m', 'alpha', names[i]!.replace(/\.jpg$/, '.png')))
      expect([alpha.width, alpha.height, alpha.channels]).toEqual([truth.width, truth.height, 1])
      let s = 0
      for (let k = 0; k < truth.data.length; k++) s += Math.abs(alpha.data[k]! - truth.data[k]!)
      mad += s / truth.data.length
    }
    mad /= names.length
    console.log(`portseg matte p3m/original (15 images, MediaPipe general): MAD vs P3M alphas ${mad.toFixed(2)} / 255`)
    expect(mad).toBeLessThan(15)
  })

  it('the y4m clip → 60 alphas of 640x360 with the default built-in model', async () => {
    const out = path.join(tmp, 'y4m')
    const r = await portseg('matte', '-i', sharedFile('media', 'video', 's18_640x360_15fps_4s.y4m'), '-o', out, '--json')
    expect(r.code).toBe(0)
    const summary = JSON.parse(r.stdout) as { frames: number; model: string; files: { first: string; last: string } }
    expect(summary).toMatchObject({ frames: 60, model: 'mediapipe-selfie-landscape', files: { first: '000000.png', last: '000059.png' } })
    const outs = readdirSync(out).sort()
    expect(outs).toHaveLength(60)
    for (const name of [outs[0]!, outs[30]!, outs[59]!]) {
      const a = await gray(path.join(out, name))
      expect([a.width, a.height, a.channels]).toEqual([640, 360, 1])
      // a head-and-shoulders shot: a real share of person, and not everything
      const person = a.data.reduce((n, v) => n + (v >= 128 ? 1 : 0), 0) / a.data.length
      expect(person).toBeGreaterThan(0.1)
      expect(person).toBeLessThan(0.8)
    }
  })

  describe('bad input: exit code 2 with the error code and a message that says what to do', () => {
    it('a missing input', async () => {
      const r = await portseg('matte', '-m', GENERAL, '-i', path.join(tmp, 'nope.jpg'), '-o', path.join(tmp, 'o1'), '--json')
      expect(r.code).toBe(2)
      expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'INPUT_NOT_FOUND' } })
      expect(r.stderr).toMatch(/portseg: Cannot read .*nope\.jpg: it does not exist/)
    })

    it('an unsupported extension', async () => {
      const f = path.join(tmp, 'notes.txt')
      writeFileSync(f, 'hello')
      const r = await portseg('matte', '-m', GENERAL, '-i', f, '-o', path.join(tmp, 'o2'), '--json')
      expect(r.code).toBe(2)
      expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'INPUT_UNSUPPORTED' } })
      expect(r.stderr).toContain('".txt" is not a supported input')
      expect(r.stderr).toContain('.y4m')
    })

    it('a corrupt image', async () => {
      const f = path.join(tmp, 'broken.jpg')
      writeFileSync(f, Buffer.alloc(2000, 0x42))
      const r = await portseg('matte', '-m', GENERAL, '-i', f, '-o', path.join(tmp, 'o3'), '--json')
      expect(r.code).toBe(2)
      expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'INPUT_CORRUPT' } })
      expect(r.stderr).toContain('not a valid image')
    })

    it('a corrupt model', async () => {
      const f = path.join(tmp, 'broken.onnx')
      writeFileSync(f, Buffer.alloc(4096, 0x13))
      const r = await portseg('matte', '-m', f, '-i', sharedFile('media', 'portrait', 'portrait.jpg'), '-o', path.join(tmp, 'o4'), '--json')
      expect(r.code).toBe(2)
      expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'MODEL_CORRUPT' } })
      expect(r.stderr).toContain('broken.onnx')
      // nothing was written: the model is checked before any output
      expect(existsSync(path.join(tmp, 'o4')) ? readdirSync(path.join(tmp, 'o4')) : []).toEqual([])
    })

    it('a bad option value', async () => {
      const r = await portseg('matte', '-m', GENERAL, '-i', sharedFile('media', 'portrait', 'portrait.jpg'), '-o', path.join(tmp, 'o5'), '--downsample-ratio', '3')
      expect(r.code).toBe(2)
      expect(r.stderr).toContain("portseg matte: --downsample-ratio must be 'auto' or a number in (0, 1] (got \"3\")")
    })
  })
})
