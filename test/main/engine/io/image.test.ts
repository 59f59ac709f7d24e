import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, describe, expect, it } from 'vitest'
import { listImages, readImage, readImageSequence, writeAlphaPng } from '../../../../src/main/engine/io/index.js'
import { sharedFile } from '../../../support/paths.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'portseg-img-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('readImage', () => {
  it('decodes a real JPEG to RGB and RGBA frames of its size', async () => {
    const rgb = await readImage(sharedFile('media', 'portrait', 'portrait.jpg'))
    expect(rgb).toMatchObject({ width: 820, height: 1024, format: 'RGB', seq: 0 })
    expect(rgb.data.length).toBe(820 * 1024 * 3)
    const rgba = await readImage(sharedFile('media', 'portrait', 'portrait.jpg'), { format: 'RGBA', seq: 7 })
    expect(rgba.data.length).toBe(820 * 1024 * 4)
    expect(rgba.seq).toBe(7)
    expect(rgba.data[3]).toBe(255)
    expect(rgba.data[100 * 4 + 1]).toBe(rgb.data[100 * 3 + 1])
  })

  it('applies EXIF orientation (a 90° tagged JPEG comes out upright, width and height swapped)', async () => {
    const src = sharedFile('media', 'portrait', 'portrait.jpg')
    const tagged = path.join(tmp, 'rotated.jpg')
    // stored sideways with orientation 6 (rotate 90° CW to display)
    await sharp(src).rotate(-90).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toFile(tagged)
    const meta = await sharp(tagged).metadata()
    expect([meta.width, meta.height, meta.orientation]).toEqual([1024, 820, 6])
    const f = await readImage(tagged)
    expect([f.width, f.height]).toEqual([820, 1024])
    // upright again: close to the original pixels
    const orig = await readImage(src)
    let diff = 0
    for (let i = 0; i < orig.data.length; i += 101) diff += Math.abs(orig.data[i]! - f.data[i]!)
    expect(diff / (orig.data.length / 101)).toBeLessThan(8)
  })

  it('reads grayscale and palette PNGs as RGB', async () => {
    const f = await readImage(sharedFile('media', 'portrait', 'pose_segmentation.png'))
    expect(f).toMatchObject({ width: 1000, height: 667, format: 'RGB' })
    const g = await readImage(sharedFile('media', 'p3m', 'alpha', 'p_07141906.png'))
    expect(g.data.length).toBe(1080 * 1080 * 3)
  })

  it('a missing file is INPUT_NOT_FOUND', async () => {
    await expect(readImage(path.join(tmp, 'missing.png'))).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND', message: expect.stringContaining('does not exist') })
  })

  it('garbage with an image extension is INPUT_CORRUPT', async () => {
    const f = path.join(tmp, 'garbage.png')
    writeFileSync(f, 'this is not a png')
    await expect(readImage(f)).rejects.toMatchObject({ code: 'INPUT_CORRUPT', message: expect.stringContaining('not a valid image') })
  })

  it('a truncated JPEG is INPUT_CORRUPT', async () => {
    const f = path.join(tmp, 'truncated.jpg')
    writeFileSync(f, readFileSync(sharedFile('media', 'portrait', 'portrait.jpg')).subarray(0, 40_000))
    await expect(readImage(f)).rejects.toMatchObject({ code: 'INPUT_CORRUPT', message: expect.stringContaining('damaged') })
  })

  it('an image above the pixel limit is refused with a clear error', async () => {
    await expect(readImage(sharedFile('media', 'portrait', 'portrait.jpg'), { maxPixels: 500_000 })).rejects.toMatchObject({
      code: 'INPUT_UNSUPPORTED',
      message: expect.stringContaining('more than 500,000 pixels'),
    })
  })
})

describe('image sequences', () => {
  it('lists images in natural order, skipping other files', async () => {
    const dir = path.join(tmp, 'seq')
    mkdirSync(dir)
    const png = await sharp({ create: { width: 4, height: 2, channels: 3, background: { r: 10, g: 20, b: 30 } } }).png().toBuffer()
    for (const n of ['frame10.png', 'frame2.png', 'frame1.png', 'notes.txt', '.hidden.png']) writeFileSync(path.join(dir, n), png)
    const files = await listImages(dir)
    expect(files.map((f) => path.basename(f))).toEqual(['frame1.png', 'frame2.png', 'frame10.png'])
    const frames = []
    for await (const f of readImageSequence(files, { fps: 25 })) frames.push(f)
    expect(frames.map((f) => [f.seq, f.captureTimeUs])).toEqual([
      [0, 0],
      [1, 40_000],
      [2, 80_000],
    ])
    expect([...frames[0]!.data.subarray(0, 3)]).toEqual([10, 20, 30])
  })

  it('a directory without images is INPUT_NOT_FOUND', async () => {
    const dir = path.join(tmp, 'empty')
    mkdirSync(dir)
    await expect(listImages(dir)).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND', message: expect.stringContaining('has no images') })
  })
})

describe('writeAlphaPng', () => {
  it('writes an 8-bit single-channel PNG that reads back byte for byte, leaving no temp files', async () => {
    const alpha = new Uint8Array(37 * 23)
    for (let i = 0; i < alpha.length; i++) alpha[i] = (i * 7) % 256
    const file = path.join(tmp, 'alpha.png')
    await writeAlphaPng(file, alpha, 37, 23)
    const meta = await sharp(file).metadata()
    expect(meta).toMatchObject({ format: 'png', width: 37, height: 23, channels: 1, depth: 'uchar' })
    // IHDR: bit depth 8, colour type 0 (grayscale)
    expect([...readFileSync(file).subarray(24, 26)]).toEqual([8, 0])
    const back = await sharp(file).extractChannel(0).raw().toBuffer()
    expect(Buffer.compare(back, Buffer.from(alpha))).toBe(0)
    expect(readdirSync(tmp).filter((n) => n.endsWith('.tmp'))).toEqual([])
  })

  it('an unwritable destination is OUTPUT_NOT_WRITABLE and leaves no temp file', async () => {
    await expect(writeAlphaPng(path.join(tmp, 'no-such-dir', 'a.png'), new Uint8Array(4), 2, 2)).rejects.toMatchObject({ code: 'OUTPUT_NOT_WRITABLE' })
    expect(() => readdirSync(path.join(tmp, 'no-such-dir'))).toThrow()
  })
})
