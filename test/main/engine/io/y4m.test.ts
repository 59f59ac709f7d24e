import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseY4mHeader, readY4m, readY4mHeader, validateFrame } from '../../../../src/main/engine/io/index.js'
import type { Frame } from '../../../../src/main/engine/types.js'
import { sharedFile } from '../../../support/paths.js'

const CLIP = sharedFile('media', 'video', 's18_640x360_15fps_4s.y4m')
const tmp = mkdtempSync(path.join(tmpdir(), 'portseg-y4m-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

/** A 2x2 y4m whose every pixel has the given Y/U/V. */
function solidY4m(name: string, header: string, y: number, u: number, v: number, frames = 1, w = 2, h = 2): string {
  const cw = Math.ceil(w / 2)
  const ch = Math.ceil(h / 2)
  const parts: Buffer[] = [Buffer.from(`${header}\n`)]
  for (let i = 0; i < frames; i++) {
    parts.push(Buffer.from('FRAME\n'), Buffer.alloc(w * h, y), Buffer.alloc(cw * ch, u), Buffer.alloc(cw * ch, v))
  }
  const file = path.join(tmp, name)
  writeFileSync(file, Buffer.concat(parts))
  return file
}

async function collect(it: AsyncIterable<Frame>): Promise<Frame[]> {
  const out: Frame[] = []
  for await (const f of it) out.push(f)
  return out
}

describe('readY4m on the real fake-webcam clip', () => {
  it('reads the header: 640x360, 15 fps, C420mpeg2, limited range, 60 frames', async () => {
    const h = await readY4mHeader(CLIP)
    expect(h).toMatchObject({ width: 640, height: 360, fpsNum: 15, fpsDen: 1, colorspace: 'C420mpeg2', chroma: '420', range: 'limited' })
    expect(h.frameCountEstimate).toBe(60)
  })

  it('yields 60 valid RGBA frames with seq and timestamps from the frame rate', async () => {
    const frames = await collect(readY4m(CLIP, { format: 'RGBA', sourceId: 'clip' }))
    expect(frames).toHaveLength(60)
    frames.forEach((f, i) => {
      validateFrame(f)
      expect(f.seq).toBe(i)
      expect(f.captureTimeUs).toBe(Math.round((i * 1e6) / 15))
      expect(f.sourceId).toBe('clip')
    })
    const f0 = frames[0]!
    // Alpha channel opaque; an indoor scene is neither black nor blown out, and has colour.
    let sum = 0
    let chromaSpread = 0
    let opaque = 0
    for (let p = 0; p < f0.data.length; p += 4) {
      if (f0.data[p + 3] === 255) opaque++
      sum += f0.data[p]! + f0.data[p + 1]! + f0.data[p + 2]!
      chromaSpread += Math.abs(f0.data[p]! - f0.data[p + 2]!)
    }
    const px = f0.width * f0.height
    expect(opaque).toBe(px)
    expect(sum / px / 3).toBeGreaterThan(40)
    expect(sum / px / 3).toBeLessThan(220)
    expect(chromaSpread / px).toBeGreaterThan(3)
    // Consecutive frames of a talking person differ, but only a little.
    let diff = 0
    for (let p = 0; p < f0.data.length; p++) diff += Math.abs(f0.data[p]! - frames[1]!.data[p]!)
    expect(diff / f0.data.length).toBeGreaterThan(0.1)
    expect(diff / f0.data.length).toBeLessThan(20)
  })

  it('RGB and RGBA carry the same colours; maxFrames and firstSeq are honoured', async () => {
    const rgb = await collect(readY4m(CLIP, { format: 'RGB', maxFrames: 2, firstSeq: 100 }))
    const rgba = await collect(readY4m(CLIP, { format: 'RGBA', maxFrames: 1 }))
    expect(rgb.map((f) => f.seq)).toEqual([100, 101])
    expect(rgb[0]!.data.length).toBe(640 * 360 * 3)
    for (let i = 0; i < 640 * 360; i += 997) {
      expect(rgb[0]!.data[i * 3]).toBe(rgba[0]!.data[i * 4])
      expect(rgb[0]!.data[i * 3 + 2]).toBe(rgba[0]!.data[i * 4 + 2])
    }
  })
})

describe('YUV → RGB conversion (BT.601)', () => {
  it('limited range: 16 is black, 235 is white, (81,90,240) is red', async () => {
    const black = (await collect(readY4m(solidY4m('black.y4m', 'YUV4MPEG2 W2 H2 F30:1 C420mpeg2', 16, 128, 128))))[0]!
    const white = (await collect(readY4m(solidY4m('white.y4m', 'YUV4MPEG2 W2 H2 F30:1 C420mpeg2', 235, 128, 128))))[0]!
    const red = (await collect(readY4m(solidY4m('red.y4m', 'YUV4MPEG2 W2 H2 F30:1 C420paldv', 81, 90, 240))))[0]!
    expect([...black.data.subarray(0, 3)]).toEqual([0, 0, 0])
    expect([...white.data.subarray(0, 3)]).toEqual([255, 255, 255])
    const [r, g, b] = red.data
    expect(r).toBeGreaterThanOrEqual(253)
    expect(g).toBeLessThanOrEqual(2)
    expect(b).toBeLessThanOrEqual(2)
  })

  it('full range (XCOLORRANGE=FULL): 0 is black, 255 white, (76,85,255) red', async () => {
    const h = 'YUV4MPEG2 W2 H2 F30:1 C420jpeg XCOLORRANGE=FULL'
    const black = (await collect(readY4m(solidY4m('fblack.y4m', h, 0, 128, 128))))[0]!
    const white = (await collect(readY4m(solidY4m('fwhite.y4m', h, 255, 128, 128))))[0]!
    const red = (await collect(readY4m(solidY4m('fred.y4m', h, 76, 85, 255))))[0]!
    expect([...black.data.subarray(0, 3)]).toEqual([0, 0, 0])
    expect([...white.data.subarray(0, 3)]).toEqual([255, 255, 255])
    expect(red.data[0]).toBeGreaterThanOrEqual(253)
    expect(red.data[1]).toBeLessThanOrEqual(2)
  })

  it('odd sizes round chroma up; frame lines with parameters are accepted', async () => {
    // 3x3 4:2:0 → chroma 2x2; second frame's line carries a parameter.
    const file = path.join(tmp, 'odd.y4m')
    const planes = Buffer.concat([Buffer.alloc(9, 235), Buffer.alloc(4, 128), Buffer.alloc(4, 128)])
    writeFileSync(file, Buffer.concat([Buffer.from('YUV4MPEG2 W3 H3 F25:1 C420\nFRAME\n'), planes, Buffer.from('FRAME Ip\n'), planes]))
    const frames = await collect(readY4m(file))
    expect(frames).toHaveLength(2)
    expect(frames[1]!.data.length).toBe(27)
    expect(frames[1]!.data.every((v) => v === 255)).toBe(true)
    expect(frames[1]!.captureTimeUs).toBe(40_000)
  })

  it('4:4:4 and mono', async () => {
    const f444 = path.join(tmp, 'c444.y4m')
    writeFileSync(f444, Buffer.concat([Buffer.from('YUV4MPEG2 W2 H1 F30:1 C444\nFRAME\n'), Buffer.from([81, 81, 90, 90, 240, 240])]))
    const [a] = await collect(readY4m(f444))
    expect(a!.data[3]).toBeGreaterThanOrEqual(253)
    const fm = path.join(tmp, 'mono.y4m')
    writeFileSync(fm, Buffer.concat([Buffer.from('YUV4MPEG2 W2 H1 F30:1 Cmono\nFRAME\n'), Buffer.from([16, 235])]))
    const [m] = await collect(readY4m(fm))
    expect([...m!.data]).toEqual([0, 0, 0, 255, 255, 255])
  })
})

describe('bad y4m input', () => {
  it('a missing file is INPUT_NOT_FOUND', async () => {
    await expect(collect(readY4m(path.join(tmp, 'nope.y4m')))).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND', message: expect.stringContaining('does not exist') })
  })

  it('a non-y4m file is INPUT_CORRUPT naming the magic', async () => {
    const f = path.join(tmp, 'notY4m.y4m')
    writeFileSync(f, 'hello world\n')
    await expect(readY4mHeader(f)).rejects.toMatchObject({ code: 'INPUT_CORRUPT', message: expect.stringContaining('YUV4MPEG2') })
  })

  it('a bad size or frame rate in the header is INPUT_CORRUPT', () => {
    expect(() => parseY4mHeader('YUV4MPEG2 W0 H2 F30:1')).toThrow(/invalid size W0 H2/)
    expect(() => parseY4mHeader('YUV4MPEG2 W2 H2 F30:0')).toThrow(/invalid frame rate/)
  })

  it('10-bit colourspaces are INPUT_UNSUPPORTED with a conversion hint', () => {
    try {
      parseY4mHeader('YUV4MPEG2 W2 H2 F30:1 C420p10', 'x.y4m')
      expect.unreachable()
    } catch (e) {
      expect(e).toMatchObject({ code: 'INPUT_UNSUPPORTED', message: expect.stringContaining('C420p10') })
      expect((e as { hints: string[] }).hints.join()).toContain('yuv420p')
    }
  })

  it('a truncated real clip yields the whole frames, then INPUT_CORRUPT naming the frame', async () => {
    const h = await readY4mHeader(CLIP)
    const cut = path.join(tmp, 'cut.y4m')
    writeFileSync(cut, readFileSync(CLIP).subarray(0, h.headerBytes + 2 * (h.frameBytes + 6) + 1000))
    const seen: number[] = []
    await expect(
      (async () => {
        for await (const f of readY4m(cut)) seen.push(f.seq)
      })(),
    ).rejects.toMatchObject({ code: 'INPUT_CORRUPT', message: expect.stringMatching(/frame 2 is truncated: 994 of 345600 bytes/) })
    expect(seen).toEqual([0, 1])
  })

  it('garbage where a frame should start is INPUT_CORRUPT', async () => {
    const f = path.join(tmp, 'garbage.y4m')
    writeFileSync(f, Buffer.concat([Buffer.from('YUV4MPEG2 W2 H2 F30:1\nFRAMX\n'), Buffer.alloc(6)]))
    await expect(collect(readY4m(f))).rejects.toMatchObject({ code: 'INPUT_CORRUPT', message: expect.stringContaining('does not start with "FRAME"') })
  })
})
