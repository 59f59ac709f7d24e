/**
 * `npm run models`: converts the MediaPipe selfie segmentation TFLite files shipped in the npm
 * package @mediapipe/selfie_segmentation into the app's built-in ONNX models (models/<id>.onnx),
 * each with a generated sidecar models/<id>.json (hashes, interface, license, source).
 * Skips a model whose output is already up to date. Writes are atomic (temp file + rename).
 *
 *   tsx scripts/build-models.ts [--force] [--out <dir>]
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { convertTflite, ONNX_OPSET, TFLITE_CONVERTER_VERSION, type TensorSpec } from '../src/main/engine/convert/tflite/index.js'
import { isPortsegError, PortsegError } from '../src/shared/errors.js'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const MODELS_DIR = path.join(ROOT, 'models')
export const SOURCE_PACKAGE = '@mediapipe/selfie_segmentation'

export interface BuiltInModelSpec {
  id: string
  name: string
  /** File inside the npm package. */
  sourceFile: string
}

export const BUILT_IN_MODELS: readonly BuiltInModelSpec[] = [
  { id: 'mediapipe-selfie-general', name: 'MediaPipe Selfie Segmentation (general, 256x256)', sourceFile: 'selfie_segmentation.tflite' },
  { id: 'mediapipe-selfie-landscape', name: 'MediaPipe Selfie Segmentation (landscape, 256x144)', sourceFile: 'selfie_segmentation_landscape.tflite' },
]

/** The generated models/<id>.json. */
export interface BuiltInSidecar {
  id: string
  name: string
  file: string
  sha256: string
  size: number
  interface: 'segmentation'
  license: 'Apache-2.0'
  source: string
  sourceFile: string
  sourceSha256: string
  converter: 'portseg-tflite2onnx'
  converterVersion: string
  opset: number
  inputs: (TensorSpec & { dtype: 'float32'; layout: 'NHWC' })[]
  outputs: (TensorSpec & { dtype: 'float32'; layout: 'NHWC' })[]
}

export interface BuildResult {
  id: string
  path: string
  status: 'converted' | 'up-to-date'
  ms: number
  sidecar: BuiltInSidecar
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Finds the npm package; a missing or odd install is a clear error, not a stack trace. */
export function locateSourcePackage(): { dir: string; version: string } {
  const require = createRequire(import.meta.url)
  let pkgJson: string
  try {
    pkgJson = require.resolve(`${SOURCE_PACKAGE}/package.json`)
  } catch (e) {
    throw new PortsegError('MODEL_NOT_FOUND', `Cannot build the built-in models: the npm package ${SOURCE_PACKAGE} is not installed.`, {
      cause: e,
      hints: ['Run `npm ci` (or `npm install`) in the project folder, then `npm run models`.'],
    })
  }
  const version = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version?: unknown }).version
  if (typeof version !== 'string') throw new PortsegError('MODEL_CORRUPT', `${pkgJson} has no version; reinstall ${SOURCE_PACKAGE} with \`npm ci\`.`)
  return { dir: path.dirname(pkgJson), version }
}

async function readSidecar(file: string): Promise<Partial<BuiltInSidecar> | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Partial<BuiltInSidecar>
  } catch {
    return null
  }
}

/** Writes via a temp file in the same folder and a rename, so readers never see half a file. */
async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`
  try {
    await mkdir(path.dirname(file), { recursive: true })
    await writeFile(tmp, data)
    await rename(tmp, file)
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined)
    throw new PortsegError('OUTPUT_NOT_WRITABLE', `Cannot write ${file}: ${(e as Error).message}.`, {
      cause: e,
      hints: ['Check that the models folder is writable and the disk is not full.'],
    })
  }
}

function describe(spec: TensorSpec): TensorSpec & { dtype: 'float32'; layout: 'NHWC' } {
  return { name: spec.name, shape: spec.shape, dtype: 'float32', layout: 'NHWC' }
}

export interface BuildOptions {
  /** Default: models/ in the checkout. */
  outDir?: string
  /** Rebuild even when up to date. */
  force?: boolean
  /** Use another copy of the package (tests); default: the installed one. */
  source?: { dir: string; version: string }
}

export async function buildModel(spec: BuiltInModelSpec, opts: BuildOptions = {}): Promise<BuildResult> {
  const started = performance.now()
  const outDir = opts.outDir ?? MODELS_DIR
  const { dir, version } = opts.source ?? locateSourcePackage()
  const sourcePath = path.join(dir, spec.sourceFile)
  if (!existsSync(sourcePath)) {
    throw new PortsegError('MODEL_NOT_FOUND', `Cannot build ${spec.id}: ${sourcePath} is missing from ${SOURCE_PACKAGE}@${version}.`, {
      hints: [`Reinstall the package with \`npm ci\`; the project expects ${SOURCE_PACKAGE} to ship ${spec.sourceFile}.`],
    })
  }
  const source = await readFile(sourcePath)
  const sourceSha256 = sha256(source)
  const onnxPath = path.join(outDir, `${spec.id}.onnx`)
  const sidecarPath = path.join(outDir, `${spec.id}.json`)

  if (opts.force !== true) {
    const prev = await readSidecar(sidecarPath)
    if (
      prev?.sourceSha256 === sourceSha256 &&
      prev.converterVersion === TFLITE_CONVERTER_VERSION &&
      existsSync(onnxPath) &&
      sha256(await readFile(onnxPath)) === prev.sha256
    ) {
      return { id: spec.id, path: onnxPath, status: 'up-to-date', ms: performance.now() - started, sidecar: prev as BuiltInSidecar }
    }
  }

  const sourceRef = `npm:${SOURCE_PACKAGE}@${version}`
  const result = convertTflite(source, {
    label: `${SOURCE_PACKAGE}/${spec.sourceFile}`,
    metadata: { 'portseg.model_id': spec.id, source: `${sourceRef}/${spec.sourceFile}`, license: 'Apache-2.0' },
  })
  const sidecar: BuiltInSidecar = {
    id: spec.id,
    name: spec.name,
    file: `${spec.id}.onnx`,
    sha256: sha256(result.onnx),
    size: result.onnx.length,
    interface: 'segmentation',
    license: 'Apache-2.0',
    source: sourceRef,
    sourceFile: spec.sourceFile,
    sourceSha256,
    converter: 'portseg-tflite2onnx',
    converterVersion: TFLITE_CONVERTER_VERSION,
    opset: ONNX_OPSET,
    inputs: result.inputs.map(describe),
    outputs: result.outputs.map(describe),
  }
  // Model first, sidecar second: a crash in between leaves a stale sidecar, which forces a rebuild.
  await writeAtomic(onnxPath, result.onnx)
  await writeAtomic(sidecarPath, `${JSON.stringify(sidecar, null, 2)}\n`)
  return { id: spec.id, path: onnxPath, status: 'converted', ms: performance.now() - started, sidecar }
}

export async function buildModels(opts: BuildOptions = {}): Promise<BuildResult[]> {
  const out: BuildResult[] = []
  for (const spec of BUILT_IN_MODELS) out.push(await buildModel(spec, opts))
  return out
}

async function main(argv: string[]): Promise<void> {
  const force = argv.includes('--force')
  const outAt = argv.indexOf('--out')
  const outDir = outAt >= 0 ? path.resolve(argv[outAt + 1] ?? '') : MODELS_DIR
  try {
    for (const r of await buildModels({ outDir, force })) {
      const rel = path.relative(process.cwd(), r.path) || r.path
      const what = r.status === 'converted' ? `converted from ${r.sidecar.source}/${r.sidecar.sourceFile}` : 'up to date'
      console.log(`models: ${rel} ${what} (${r.sidecar.size} bytes, sha256 ${r.sidecar.sha256.slice(0, 12)}…, ${Math.round(r.ms)} ms)`)
    }
  } catch (e) {
    console.error(`models: ${isPortsegError(e) ? e.describe() : (e as Error).stack ?? String(e)}`)
    process.exitCode = 1
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await main(process.argv.slice(2))
}
