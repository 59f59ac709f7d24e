/**
 * Import of a local model: an .onnx the engine can drive (checked by interface detection), or the
 * Robust Video Matting TF.js release (model.json), converted to ONNX. Files are copied into
 * <user-data>/models/imported; the original is never touched.
 */
import { createHash } from 'node:crypto'
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { PortsegError, isPortsegError } from '../../../shared/errors.js'
import { detectModelInterface } from '../model-interface.js'
import type { ModelInterface } from '../types.js'
import { MODEL_ID_PATTERN, isPermissive, type ModelLicense } from './catalogue.js'
import { PART_SUFFIX } from './download.js'
import { UNKNOWN_LICENSE, declaredLicense, findLicense } from './license.js'
import { IMPORTED_DIR, type InstalledRecord } from './manifest.js'
import { licenseNotAccepted, listModels, loadUserManifest, putRecord, resolveStore, type ModelInfo, type StoreOptions } from './store.js'

export type ImportPrecision = 'fp32' | 'fp16' | 'both'

export interface ImportOptions extends StoreOptions {
  /** Registry id for the imported model (default: from the file or folder name). */
  id?: string
  name?: string
  /** SPDX id declared by the user; otherwise taken from a LICENSE* file beside the model. */
  license?: string
  /** Required when the license is not permissive or unknown; the caller has shown it. */
  acceptLicense?: boolean
  /** TF.js imports: which ONNX precision(s) to store (default fp32). */
  precision?: ImportPrecision
}

export interface ImportPlan {
  kind: 'onnx' | 'tfjs'
  source: string
  /** Ids that will be created (two for a TF.js import with precision 'both'). */
  ids: string[]
  license: ModelLicense
  needsAcceptance: boolean
  /** Detected for .onnx; TF.js imports are RVM, checked again after conversion. */
  interface: ModelInterface['kind']
}

/** Checks the source and works out ids and license, without writing anything (for the prompt). */
export async function planImport(file: string, opts: ImportOptions = {}): Promise<ImportPlan> {
  const source = path.resolve(file)
  const kind = await sourceKind(source)
  const license = opts.license !== undefined ? declaredLicense(opts.license) : ((await findLicense(source))?.license ?? UNKNOWN_LICENSE)
  const base = opts.id ?? defaultId(source, kind)
  if (!MODEL_ID_PATTERN.test(base)) {
    throw new PortsegError('BAD_ARGUMENT', `importModel: id must be lowercase letters, digits and dashes, at most 64 characters (got ${JSON.stringify(base)})`)
  }
  const precision = opts.precision ?? 'fp32'
  const ids = kind === 'onnx' ? [base] : precision === 'both' ? [base, `${base}-fp16`] : [precision === 'fp16' ? `${base}-fp16` : base]
  const store = resolveStore(opts)
  const { manifest } = await loadUserManifest(store)
  for (const id of ids) {
    if (store.catalogue.some((e) => e.id === id) || manifest.models.some((r) => r.id === id)) {
      throw refused(source, `the id "${id}" is already in use`, [`Choose another with --id, or remove the existing one: portseg models remove ${id}`])
    }
  }
  // Refuse a file that is not a drivable model before asking anyone to accept a license for it.
  const detected = kind === 'onnx' ? detect(await readFile(source), source).kind : 'recurrent-matting'
  return { kind, source, ids, license, needsAcceptance: !isPermissive(license), interface: detected }
}

export async function importModel(file: string, opts: ImportOptions = {}): Promise<ModelInfo[]> {
  const plan = await planImport(file, opts)
  if (plan.needsAcceptance && opts.acceptLicense !== true) throw licenseNotAccepted(path.basename(plan.source), plan.license, 'import')
  const store = resolveStore(opts)
  const outputs: { id: string; bytes: Uint8Array; iface: ModelInterface }[] = []
  if (plan.kind === 'onnx') {
    const bytes = await readFile(plan.source)
    outputs.push({ id: plan.ids[0] ?? '', bytes, iface: detect(bytes, plan.source) })
  } else {
    const precisions: ('fp32' | 'fp16')[] = opts.precision === 'both' ? ['fp32', 'fp16'] : [opts.precision ?? 'fp32']
    const convertRvmTfjs = await loadTfjsConverter()
    for (const [i, precision] of precisions.entries()) {
      let onnx: Uint8Array
      try {
        onnx = (await convertRvmTfjs(plan.source, { precision })).onnx
      } catch (e) {
        throw refused(plan.source, `the TF.js model could not be converted (${e instanceof Error ? e.message : String(e)})`, [], e)
      }
      const iface = detect(onnx, plan.source)
      if (iface.kind !== 'recurrent-matting') throw refused(plan.source, 'the converted TF.js model is not a recurrent matting model', [])
      outputs.push({ id: plan.ids[i] ?? '', bytes: onnx, iface })
    }
  }
  const infos: ModelInfo[] = []
  const dir = path.join(store.modelsDir, IMPORTED_DIR)
  await mkdir(dir, { recursive: true })
  for (const out of outputs) {
    const dest = path.join(dir, `${out.id}.onnx`)
    await writeFileAtomic(dest, out.bytes)
    const precision = out.iface.kind === 'recurrent-matting' ? out.iface.precision : undefined
    const rec: InstalledRecord = {
      id: out.id,
      name: opts.name !== undefined ? (precision === 'fp16' && outputs.length > 1 ? `${opts.name} (fp16)` : opts.name) : defaultName(plan, out.id, precision),
      origin: 'imported',
      interface: out.iface.kind,
      ...(precision === undefined ? {} : { precision }),
      file: `${IMPORTED_DIR}/${out.id}.onnx`,
      sha256: createHash('sha256').update(out.bytes).digest('hex'),
      size: out.bytes.byteLength,
      hashConfirmed: false,
      license: plan.license,
      source: { kind: 'file', path: plan.source },
      installedAt: new Date().toISOString(),
      ...(out.iface.kind === 'segmentation' ? { recommendedResolution: { width: out.iface.width, height: out.iface.height } } : {}),
    }
    await putRecord(store, rec)
    const info = (await listModels(opts)).find((m) => m.id === out.id)
    if (info !== undefined) infos.push(info)
  }
  return infos
}

type ConvertRvmTfjs = (modelJsonPath: string, options?: { precision?: 'fp32' | 'fp16' }) => Promise<{ onnx: Uint8Array }>

/** Loaded on demand so the registry works (and loads fast) without the converter. */
async function loadTfjsConverter(): Promise<ConvertRvmTfjs> {
  const mod: { convertRvmTfjs?: ConvertRvmTfjs } = await import('../convert/tfjs/index.js')
  if (typeof mod.convertRvmTfjs !== 'function') {
    throw new PortsegError('MODEL_IMPORT_REFUSED', 'This build cannot convert TF.js models (the converter is missing).', {
      hints: ['Import an .onnx file instead, e.g. an official RVM release file, or use `portseg models download`.'],
    })
  }
  return mod.convertRvmTfjs
}

function detect(bytes: Uint8Array, source: string): ModelInterface {
  try {
    return detectModelInterface(bytes, path.basename(source))
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e)
    throw refused(source, `PortSeg cannot drive this model: ${reason}`, isPortsegError(e) ? [...e.hints] : [], e)
  }
}

async function sourceKind(source: string): Promise<'onnx' | 'tfjs'> {
  let st
  try {
    st = await stat(source)
  } catch (e) {
    throw new PortsegError('MODEL_NOT_FOUND', `Cannot import ${source}: the file does not exist or cannot be read.`, {
      cause: e,
      hints: ['Check the path.'],
    })
  }
  if (!st.isFile()) throw refused(source, 'it is not a file', ['Pass an .onnx file, or the model.json of a TF.js model.'])
  if (source.endsWith(PART_SUFFIX)) throw refused(source, 'it is an unfinished download', [])
  const ext = path.extname(source).toLowerCase()
  if (ext === '.onnx') return 'onnx'
  if (ext === '.json') {
    let parsed: unknown
    try {
      parsed = JSON.parse(await readFile(source, 'utf8'))
    } catch (e) {
      throw refused(source, `it is not valid JSON (${e instanceof Error ? e.message : String(e)})`, [], e)
    }
    const p = parsed as { modelTopology?: unknown; weightsManifest?: unknown; format?: unknown }
    if (typeof p === 'object' && p !== null && p.modelTopology !== undefined && Array.isArray(p.weightsManifest)) return 'tfjs'
    throw refused(source, 'it is a JSON file but not a TensorFlow.js graph model (no modelTopology / weightsManifest)', [])
  }
  throw refused(source, `"${ext || path.basename(source)}" is not a model format PortSeg imports`, [
    'Pass an .onnx file, or the model.json of the Robust Video Matting TF.js release.',
  ])
}

function refused(source: string, why: string, hints: string[], cause?: unknown): PortsegError {
  return new PortsegError('MODEL_IMPORT_REFUSED', `Cannot import ${source}: ${why}.`, {
    ...(cause === undefined ? {} : { cause }),
    hints: hints.length > 0 ? hints : ['Import an .onnx with a recurrent-matting (RVM) or single-frame segmentation interface.'],
  })
}

function defaultId(source: string, kind: 'onnx' | 'tfjs'): string {
  const raw = kind === 'onnx' ? path.basename(source, path.extname(source)) : path.basename(path.dirname(source))
  const slug = raw
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 58)
  return slug === '' ? 'imported-model' : slug
}

function defaultName(plan: ImportPlan, id: string, precision: 'fp32' | 'fp16' | undefined): string {
  const base = plan.kind === 'tfjs' ? `Robust Video Matting (TF.js import, ${precision ?? 'fp32'})` : path.basename(plan.source)
  return plan.kind === 'tfjs' ? base : `${base} (imported as ${id})`
}

async function writeFileAtomic(dest: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${dest}.${process.pid}.tmp`
  try {
    const fh = await open(tmp, 'w')
    try {
      await fh.writeFile(bytes)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, dest)
  } catch (e) {
    await rm(tmp, { force: true })
    throw new PortsegError('OUTPUT_NOT_WRITABLE', `Could not write ${dest}: ${e instanceof Error ? e.message : String(e)}.`, {
      cause: e,
      hints: ['Check that the user-data folder is writable and the disk is not full.'],
    })
  }
}
