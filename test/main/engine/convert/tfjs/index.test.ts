import { readFileSync } from 'node:fs'
import sharp from 'sharp'
import * as ort from 'onnxruntime-node'
import { beforeAll, describe, expect, it } from 'vitest'
import { convertRvmTfjs } from '../../../../../src/main/engine/convert/tfjs/index.js'
import { decodeModel, DataType, type ValueInfoProto } from '../../../../../src/main/engine/onnx/onnx-proto.js'
import { HAS_SHARED, sharedFile } from '../../../../support/paths.js'
import { rvmModelPath, rvmTfjsModelJson } from '../../../../support/rvm-model.js'
import { OnnxRvm, diffStats, readClip, type RgbFrame } from './rvm-harness.js'

const CLIP = 'video/s18_640x360_15fps_4s.y4m'

async function loadRgb(file: string, width?: number, height?: number): Promise<RgbFrame> {
  let img = sharp(file).removeAlpha()
  if (width && height) img = img.resize(width, height, { fit: 'fill' })
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true })
  return { width: info.width, height: info.height, data: new Uint8Array(data) }
}

describe.skipIf(!HAS_SHARED)('convertRvmTfjs: RVM TF.js release → ONNX with the official interface', () => {
  let fp32: OnnxRvm
  let frames: RgbFrame[]
  beforeAll(async () => {
    fp32 = await OnnxRvm.open(await rvmModelPath('fp32'))
    frames = await readClip(sharedFile('media', CLIP), 8)
  })

  it('declares the official RVM inputs and outputs (NCHW, dynamic sizes, downsample_ratio [1] float32)', async () => {
    const m = decodeModel(readFileSync(await rvmModelPath('fp32')))
    const g = m.graph!
    const dims = (v: ValueInfoProto): (string | number)[] => v.type!.tensorType!.shape!.dim!.map((d) => d.dimValue ?? d.dimParam ?? '?')
    expect(g.input!.map((i) => i.name)).toEqual(['src', 'r1i', 'r2i', 'r3i', 'r4i', 'downsample_ratio'])
    expect(g.output!.map((o) => o.name)).toEqual(['fgr', 'pha', 'r1o', 'r2o', 'r3o', 'r4o'])
    expect(dims(g.input![0]!)).toEqual(['batch', 3, 'height', 'width'])
    expect(dims(g.input![5]!)).toEqual([1])
    expect(g.input![5]!.type!.tensorType!.elemType).toBe(DataType.FLOAT)
    expect(dims(g.output![1]!)).toEqual(['batch', 1, 'height', 'width'])
    expect(g.output!.slice(2).map((o) => dims(o)[1])).toEqual([16, 20, 40, 64])
    // control flow became If (ratio 1 skips the downsample and the refiner), not a pair of computed branches
    expect(g.node!.filter((n) => n.opType === 'If')).toHaveLength(2)
    // no NHWC↔NCHW transposes inside: the layout is converted once, at conversion time
    expect(g.node!.filter((n) => n.opType === 'Transpose')).toHaveLength(0)
    expect(m.metadataProps).toContainEqual({ key: 'portseg.interface', value: 'rvm' })
  })

  it('returns pha [1,1,H,W] and states of 16/20/40/64 channels at 1/2..1/16 of the downsampled size; zeros [1,1,1,1] start', async () => {
    const f = frames[0]!
    for (const ratio of [0.25, 0.375, 0.5, 1]) {
      fp32.reset()
      const out = await fp32.step(f, ratio)
      const h = Math.floor(f.height * ratio)
      const w = Math.floor(f.width * ratio)
      expect(out.raw.pha!.dims).toEqual([1, 1, f.height, f.width])
      expect(out.raw.fgr!.dims).toEqual([1, 3, f.height, f.width])
      expect(out.stateDims).toEqual([16, 20, 40, 64].map((c, i) => [1, c, Math.ceil(h / 2 ** (i + 1)), Math.ceil(w / 2 ** (i + 1))]))
      let lo = Infinity
      let hi = -Infinity
      for (const v of out.pha) {
        lo = Math.min(lo, v)
        hi = Math.max(hi, v)
      }
      expect(lo).toBeGreaterThanOrEqual(0)
      expect(hi).toBeLessThanOrEqual(1)
      expect(hi - lo).toBeGreaterThan(0.9) // a person and a background in the clip
    }
  })

  it('carries state: the second frame differs from a fresh start on the same frame, and reset restores it', async () => {
    const f = frames[3]!
    fp32.reset()
    const fresh = await fp32.step(f, 0.5)
    fp32.reset()
    await fp32.step(frames[0]!, 0.5)
    await fp32.step(frames[1]!, 0.5)
    const carried = await fp32.step(f, 0.5)
    expect(diffStats(fresh.pha, carried.pha).max).toBeGreaterThan(1e-3)
    fp32.reset()
    const again = await fp32.step(f, 0.5)
    expect(diffStats(fresh.pha, again.pha).max).toBe(0)
  })

  it('fp16 variant: float16 src/states/outputs, float32 downsample_ratio, close to fp32', async () => {
    const m = decodeModel(readFileSync(await rvmModelPath('fp16')))
    const types = Object.fromEntries([...m.graph!.input!, ...m.graph!.output!].map((v) => [v.name, v.type!.tensorType!.elemType]))
    expect(types).toEqual({ src: 10, r1i: 10, r2i: 10, r3i: 10, r4i: 10, downsample_ratio: 1, fgr: 10, pha: 10, r1o: 10, r2o: 10, r3o: 10, r4o: 10 })
    const fp16 = await OnnxRvm.open(await rvmModelPath('fp16'), 'fp16')
    const worst: Record<string, { mean: number; max: number }> = {}
    for (const ratio of [0.5, 1]) {
      fp32.reset()
      fp16.reset()
      let mean = 0
      let max = 0
      for (const f of frames.slice(0, 3)) {
        const a = await fp32.step(f, ratio)
        const b = await fp16.step(f, ratio)
        expect(b.raw.pha!.type).toBe('float16')
        const d = diffStats(a.pha, b.pha)
        mean = Math.max(mean, d.mean)
        max = Math.max(max, d.max)
      }
      worst[ratio] = { mean, max }
      expect(mean).toBeLessThan(1e-3)
      expect(max).toBeLessThan(0.05)
    }
    console.info(`[rvm-tfjs] fp16 vs fp32 |Δ pha| over 3 frames: ${JSON.stringify(worst)}`)
  })

  it('quality: IoU ≥ 0.95 against the golden portrait mask at downsample_ratio 0.4 (full 820x1024)', async () => {
    const img = await loadRgb(sharedFile('media', 'portrait', 'portrait.jpg'))
    const mask = await loadRgb(sharedFile('media', 'portrait', 'portrait_segmentation.png'))
    fp32.reset()
    const { pha } = await fp32.step(img, 0.4)
    let inter = 0
    let union = 0
    for (let i = 0; i < pha.length; i++) {
      const a = pha[i]! >= 0.5
      const b = mask.data[i * 3 + 2] === 255 && mask.data[i * 3] === 0
      if (a && b) inter++
      if (a || b) union++
    }
    const iou = inter / union
    console.info(`[rvm-tfjs] portrait IoU at ratio 0.4, 820x1024: ${iou.toFixed(4)}`)
    expect(iou).toBeGreaterThanOrEqual(0.95)
  })

  it('quality: soft alphas on P3M portraits (MAD against the P3M mattes)', async () => {
    const names = ['p_07141906', 'p_22fc0130', 'p_d684dae3']
    const mads: Record<string, number> = {}
    for (const name of names) {
      const meta = await sharp(sharedFile('media', 'p3m', 'original', `${name}.jpg`)).metadata()
      // RVM's rule: downsampled long side ~512 px; run at 1/2 size to keep the test quick on 2 cores
      const width = Math.round(meta.width! / 2)
      const height = Math.round(meta.height! / 2)
      const img = await loadRgb(sharedFile('media', 'p3m', 'original', `${name}.jpg`), width, height)
      const { data: alpha } = await sharp(sharedFile('media', 'p3m', 'alpha', `${name}.png`)).resize(width, height, { fit: 'fill' }).greyscale().raw().toBuffer({ resolveWithObject: true })
      const ratio = Math.min(1, 512 / Math.max(width, height))
      fp32.reset()
      const { pha } = await fp32.step(img, ratio)
      let sum = 0
      let fractional = 0
      for (let i = 0; i < pha.length; i++) {
        sum += Math.abs(pha[i]! - alpha[i]! / 255)
        if (pha[i]! > 0.05 && pha[i]! < 0.95) fractional++
      }
      mads[name] = sum / pha.length
      expect(fractional / pha.length).toBeGreaterThan(0.002) // soft edges, not a hard mask
    }
    console.info(`[rvm-tfjs] P3M MAD (first frame, zero state): ${JSON.stringify(mads)}`)
    for (const v of Object.values(mads)) expect(v).toBeLessThan(0.05)
  })

  it('refuses an unknown precision with BAD_ARGUMENT', async () => {
    await expect(convertRvmTfjs(rvmTfjsModelJson(), { precision: 'int8' as 'fp16' })).rejects.toMatchObject({
      code: 'BAD_ARGUMENT',
      message: 'convertRvmTfjs: options.precision must be "fp32" or "fp16" (got "int8")',
    })
  })

  it('checks the ONNX runs in a fresh onnxruntime session from bytes (as the registry stores it)', async () => {
    const { onnx, report } = await convertRvmTfjs(rvmTfjsModelJson())
    expect(report.quantizedWeights).toBe(229)
    expect(report.fused.dilatedConvs).toBe(3)
    expect(report.fused.ifNodes).toBe(2)
    expect(report.onnxOps.Transpose).toBeUndefined()
    const s = await ort.InferenceSession.create(onnx, { logSeverityLevel: 3 })
    expect(s.inputNames).toEqual(['src', 'r1i', 'r2i', 'r3i', 'r4i', 'downsample_ratio'])
    await s.release()
  })
})
