import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { CLI_PATH, sharedFile } from '../../support/paths.js'

const run = promisify(execFile)
const GENERAL = sharedFile('models', 'reference-onnx', 'selfie_segmentation.onnx')

describe('portseg bench', () => {
  it('--json prints exactly one object with the documented schema (reference MediaPipe, few frames)', async () => {
    const { stdout } = await run(process.execPath, [CLI_PATH, 'bench', '--model', GENERAL, '--size', '320x240', '--frames', '6', '--warmup', '2', '--provider', 'cpu', '--soak', '10', '--json'])
    const parsed = JSON.parse(stdout) as { results: Record<string, unknown>[] }
    expect(Object.keys(parsed)).toEqual(['results'])
    expect(parsed.results).toHaveLength(1)
    const r = parsed.results[0]! as {
      model: string
      size: string
      provider: string
      rawMs: { median: number; p95: number }
      engineMs: { median: number; p95: number }
      overhead: number
      fps: number
      cpuMsPerFrame: number
      rawCpuMsPerFrame: number
      cpuOverhead: number
      peakRssMb: number
      stagesMs: Record<string, number>
      frameSource: string
      soak: { frames: number; rssMb: { start: number; middle: number; end: number }; growthMb: number }
    }
    console.log(`bench 320x240 (6 frames): raw ${r.rawMs.median} ms, engine ${r.engineMs.median} ms, overhead ${r.overhead}x, cpu ${r.cpuMsPerFrame} ms/frame, peak RSS ${r.peakRssMb} MB`)
    expect(r).toMatchObject({ model: 'selfie_segmentation.onnx', size: '320x240', provider: 'cpu' })
    for (const v of [r.rawMs.median, r.rawMs.p95, r.engineMs.median, r.engineMs.p95, r.overhead, r.fps, r.cpuMsPerFrame, r.rawCpuMsPerFrame, r.cpuOverhead, r.peakRssMb]) {
      expect(typeof v).toBe('number')
      expect(v).toBeGreaterThan(0)
    }
    expect(r.rawMs.p95).toBeGreaterThanOrEqual(r.rawMs.median)
    expect(r.engineMs.p95).toBeGreaterThanOrEqual(r.engineMs.median)
    expect(r.overhead).toBeCloseTo(r.engineMs.median / r.rawMs.median, 1)
    expect(r.stagesMs.inference).toBeGreaterThan(0)
    expect(r.frameSource).toContain('s18')
    expect(r.soak.frames).toBe(10)
    expect(r.soak.rssMb.end).toBeGreaterThan(0)
  })

  it('without --json prints a table whose last line is a one-line summary', async () => {
    const { stdout } = await run(process.execPath, [CLI_PATH, 'bench', '-m', GENERAL, '-s', '256x144', '-n', '3', '-w', '1'])
    const lines = stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^model\s+size\s+provider\s+raw med/)
    expect(lines.at(-1)).toMatch(/^bench: 1 run on cpu; worst overhead [\d.]+x \(selfie_segmentation\.onnx @ 256x144\)/)
  })

  it('a bad size is a clear error with exit code 2', async () => {
    await expect(run(process.execPath, [CLI_PATH, 'bench', '-m', GENERAL, '--size', 'big'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('portseg bench: --size must be WIDTHxHEIGHT with sides 16..8192, e.g. 1280x720 (got "big")'),
    })
  })
})
