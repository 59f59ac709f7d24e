// Tests scripts/build-models.ts (`npm run models`), which turns the TFLite converter into the app's built-in models.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, describe, expect, it } from 'vitest'
import { BUILT_IN_MODELS, buildModel, buildModels, locateSourcePackage, type BuiltInSidecar } from '../../../../../scripts/build-models.js'
import { ROOT } from '../../../../support/paths.js'

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const tmpDirs: string[] = []
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'portseg-models-'))
  tmpDirs.push(d)
  return d
}
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true })
})

const EXPECTED = {
  'mediapipe-selfie-general': { input: ['input_1', [1, 256, 256, 3]], output: ['activation_10', [1, 256, 256, 1]], source: 'selfie_segmentation.tflite' },
  'mediapipe-selfie-landscape': { input: ['input_1', [1, 144, 256, 3]], output: ['segment_back', [1, 144, 256, 1]], source: 'selfie_segmentation_landscape.tflite' },
} as const

describe('npm run models', () => {
  it('leaves models/ with both built-in models whose sidecars match their bytes, and is a no-op when run again', async () => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
    execFileSync(npm, ['run', '--silent', 'models'], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' })
    const second = execFileSync(npm, ['run', '--silent', 'models'], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' })
    expect(second).toMatch(/models: models[\\/]mediapipe-selfie-general\.onnx up to date/)
    expect(second).toMatch(/models: models[\\/]mediapipe-selfie-landscape\.onnx up to date/)

    const { dir, version } = locateSourcePackage()
    expect(BUILT_IN_MODELS.map((m) => m.id).sort()).toEqual(Object.keys(EXPECTED).sort())
    for (const [id, want] of Object.entries(EXPECTED)) {
      const onnx = readFileSync(path.join(ROOT, 'models', `${id}.onnx`))
      const side = JSON.parse(readFileSync(path.join(ROOT, 'models', `${id}.json`), 'utf8')) as BuiltInSidecar
      expect(side).toMatchObject({
        id,
        file: `${id}.onnx`,
        sha256: sha256(onnx),
        size: onnx.length,
        interface: 'segmentation',
        license: 'Apache-2.0',
        source: `npm:@mediapipe/selfie_segmentation@${version}`,
        sourceFile: want.source,
        sourceSha256: sha256(readFileSync(path.join(dir, want.source))),
        converter: 'portseg-tflite2onnx',
        opset: 17,
        inputs: [{ name: want.input[0], shape: want.input[1], dtype: 'float32', layout: 'NHWC' }],
        outputs: [{ name: want.output[0], shape: want.output[1], dtype: 'float32', layout: 'NHWC' }],
      })
      const session = await ort.InferenceSession.create(onnx)
      try {
        expect(session.inputNames).toEqual([want.input[0]])
        expect(session.outputNames).toEqual([want.output[0]])
      } finally {
        await session.release()
      }
    }
  })

  it('converts once, then skips; rebuilds a tampered model or a stale sidecar; leaves no temp files', async () => {
    const out = tempDir()
    const first = await buildModels({ outDir: out })
    expect(first.map((r) => r.status)).toEqual(['converted', 'converted'])
    const again = await buildModels({ outDir: out })
    expect(again.map((r) => r.status)).toEqual(['up-to-date', 'up-to-date'])

    // Same bytes as the checkout's models/ (deterministic output).
    for (const r of first) expect(sha256(readFileSync(r.path))).toBe(r.sidecar.sha256)
    const general = path.join(out, 'mediapipe-selfie-general.onnx')
    const good = sha256(readFileSync(general))

    appendFileSync(general, 'x')
    const sidecarFile = path.join(out, 'mediapipe-selfie-landscape.json')
    const side = JSON.parse(readFileSync(sidecarFile, 'utf8')) as BuiltInSidecar
    writeFileSync(sidecarFile, JSON.stringify({ ...side, converterVersion: '0.0.0-old' }))
    const repaired = await buildModels({ outDir: out })
    expect(repaired.map((r) => r.status)).toEqual(['converted', 'converted'])
    expect(sha256(readFileSync(general))).toBe(good)

    expect((await buildModels({ outDir: out, force: true })).map((r) => r.status)).toEqual(['converted', 'converted'])
    expect(readdirSync(out).sort()).toEqual([
      'mediapipe-selfie-general.json',
      'mediapipe-selfie-general.onnx',
      'mediapipe-selfie-landscape.json',
      'mediapipe-selfie-landscape.onnx',
    ])
  })

  it('fails with OUTPUT_NOT_WRITABLE and a readable message when the output folder cannot be created', async () => {
    const blocker = path.join(tempDir(), 'not-a-folder')
    writeFileSync(blocker, 'a file where the models folder should be')
    await expect(buildModels({ outDir: path.join(blocker, 'models') })).rejects.toMatchObject({
      code: 'OUTPUT_NOT_WRITABLE',
      message: expect.stringMatching(/^Cannot write .*mediapipe-selfie-general\.onnx: /),
    })
  })

  it('leaves no model behind when the source is damaged, and names the file in the error', async () => {
    const { dir, version } = locateSourcePackage()
    const damaged = tempDir()
    const good = readFileSync(path.join(dir, 'selfie_segmentation.tflite'))
    writeFileSync(path.join(damaged, 'selfie_segmentation.tflite'), good.subarray(0, good.length >> 1))
    const out = tempDir()
    await expect(buildModel(BUILT_IN_MODELS[0]!, { outDir: out, source: { dir: damaged, version } })).rejects.toMatchObject({
      code: 'MODEL_CORRUPT',
      message: expect.stringMatching(/^@mediapipe\/selfie_segmentation\/selfie_segmentation\.tflite is not a valid TFLite model: /),
    })
    expect(readdirSync(out)).toEqual([])
    await expect(buildModel(BUILT_IN_MODELS[1]!, { outDir: out, source: { dir: damaged, version } })).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
      message: expect.stringContaining('selfie_segmentation_landscape.tflite is missing'),
    })
  })
})
