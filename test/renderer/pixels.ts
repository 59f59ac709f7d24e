/** Pixel measures for the browser tests: regions from a matte, colour differences, sharpness. */
import sharp from 'sharp'

export interface Rgba {
  width: number
  height: number
  data: Uint8Array
}

/** Resizes RGBA to w×h (same aspect in these tests, so no crop is involved). */
export async function resizeRgba(img: Rgba, width: number, height: number): Promise<Rgba> {
  if (img.width === width && img.height === height) return img
  const data = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 4 } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer()
  return { width, height, data: new Uint8Array(data) }
}

export function flipX(img: Rgba): Rgba {
  const out = new Uint8Array(img.data.length)
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < img.width; x++) {
      const s = (y * img.width + x) * 4
      const d = (y * img.width + (img.width - 1 - x)) * 4
      out[d] = img.data[s]!
      out[d + 1] = img.data[s + 1]!
      out[d + 2] = img.data[s + 2]!
      out[d + 3] = img.data[s + 3]!
    }
  return { ...img, data: out }
}

/** Pixels where the predicate holds for every pixel within radius r (an eroded region). */
export function region(alpha: Uint8Array, width: number, height: number, test: (a: number) => boolean, r: number): Uint8Array {
  const base = new Uint8Array(width * height)
  for (let i = 0; i < base.length; i++) base[i] = test(alpha[i]!) ? 1 : 0
  // separable min filter (erosion) with a square window
  const tmp = new Uint8Array(base.length)
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let v = 1
      for (let k = -r; k <= r && v; k++) {
        const xx = x + k
        if (xx < 0 || xx >= width || !base[y * width + xx]) v = 0
      }
      tmp[y * width + x] = v
    }
  const out = new Uint8Array(base.length)
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let v = 1
      for (let k = -r; k <= r && v; k++) {
        const yy = y + k
        if (yy < 0 || yy >= height || !tmp[yy * width + x]) v = 0
      }
      out[y * width + x] = v
    }
  return out
}

export function count(mask: Uint8Array): number {
  let n = 0
  for (const v of mask) n += v
  return n
}

/** Mean absolute RGB difference over the mask, 0–255. */
export function meanAbsDiff(a: Rgba, b: Rgba, mask: Uint8Array): number {
  let sum = 0
  let n = 0
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue
    const j = i * 4
    sum += Math.abs(a.data[j]! - b.data[j]!) + Math.abs(a.data[j + 1]! - b.data[j + 1]!) + Math.abs(a.data[j + 2]! - b.data[j + 2]!)
    n += 3
  }
  return n === 0 ? NaN : sum / n
}

/** Mean absolute RGB difference from one colour over the mask. */
export function meanDiffFromColor(a: Rgba, rgb: [number, number, number], mask: Uint8Array): number {
  let sum = 0
  let n = 0
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue
    const j = i * 4
    sum += Math.abs(a.data[j]! - rgb[0]) + Math.abs(a.data[j + 1]! - rgb[1]) + Math.abs(a.data[j + 2]! - rgb[2])
    n += 3
  }
  return n === 0 ? NaN : sum / n
}

/** High-frequency energy: mean |Laplacian| of luma over the mask (sharp detail → high). */
export function hfEnergy(img: Rgba, mask: Uint8Array): number {
  const { width, height, data } = img
  const luma = (x: number, y: number): number => {
    const j = (y * width + x) * 4
    return 0.299 * data[j]! + 0.587 * data[j + 1]! + 0.114 * data[j + 2]!
  }
  let sum = 0
  let n = 0
  for (let y = 1; y < height - 1; y++)
    for (let x = 1; x < width - 1; x++) {
      if (!mask[y * width + x]) continue
      sum += Math.abs(4 * luma(x, y) - luma(x - 1, y) - luma(x + 1, y) - luma(x, y - 1) - luma(x, y + 1))
      n++
    }
  return n === 0 ? NaN : sum / n
}

export async function savePng(img: Rgba, file: string): Promise<void> {
  await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 4 } })
    .png()
    .toFile(file)
}

export async function decodePng(png: Buffer): Promise<Rgba> {
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  return { width: info.width, height: info.height, data: new Uint8Array(data) }
}

/**
 * Detail at a coarser scale than hfEnergy: mean |luma − box-blurred luma (radius r)| over the mask.
 * Keeps falling as a blur grows past the point where the Laplacian has flattened out.
 */
export function detailEnergy(img: Rgba, mask: Uint8Array, r = 8): number {
  const { width, height, data } = img
  const luma = new Float64Array(width * height)
  for (let i = 0; i < luma.length; i++) luma[i] = 0.299 * data[i * 4]! + 0.587 * data[i * 4 + 1]! + 0.114 * data[i * 4 + 2]!
  // integral image for O(1) box sums
  const w1 = width + 1
  const sat = new Float64Array(w1 * (height + 1))
  for (let y = 0; y < height; y++) {
    let row = 0
    for (let x = 0; x < width; x++) {
      row += luma[y * width + x]!
      sat[(y + 1) * w1 + x + 1] = sat[y * w1 + x + 1]! + row
    }
  }
  let sum = 0
  let n = 0
  for (let y = r; y < height - r; y++)
    for (let x = r; x < width - r; x++) {
      if (!mask[y * width + x]) continue
      const x0 = x - r
      const y0 = y - r
      const x1 = x + r + 1
      const y1 = y + r + 1
      const box = (sat[y1 * w1 + x1]! - sat[y0 * w1 + x1]! - sat[y1 * w1 + x0]! + sat[y0 * w1 + x0]!) / ((2 * r + 1) * (2 * r + 1))
      sum += Math.abs(luma[y * width + x]! - box)
      n++
    }
  return n === 0 ? NaN : sum / n
}
