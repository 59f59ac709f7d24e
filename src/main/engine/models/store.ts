/**
 * The model manager: one view over built-in models (the app's models folder), downloaded ones
 * and imported ones (the user-data folder). Everything takes a StoreOptions so the app shell,
 * the CLI and tests can point it at their own folders.
 */
import { existsSync } from 'node:fs'
import { readFile, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { PortsegError } from '../../../shared/errors.js'
import { detectModelInterface } from '../model-interface.js'
import { builtInModelsDir, userDataDir, userModelsDir } from '../paths.js'
import {
  CATALOGUE,
  RVM_RELEASE_BASE_URL,
  isPermissive,
  type CatalogueEntry,
  type InterfaceKind,
  type ModelLicense,
  type ModelOrigin,
  type ModelSource,
  type RecommendedResolution,
} from './catalogue.js'
import { PART_SUFFIX, downloadFile, sha256File, type DownloadProgress } from './download.js'
import {
  DOWNLOADED_DIR,
  loadManifest,
  recordPath,
  saveManifest,
  sidecarPath,
  writeSidecar,
  type InstalledRecord,
  type ManifestRecovery,
  withManifestLock,
} from './manifest.js'

export interface StoreOptions {
  /** User-data folder (default: paths.userDataDir(), PORTSEG_HOME overrides). */
  home?: string
  /** The app's built-in models folder (default: paths.builtInModelsDir(), PORTSEG_MODELS_DIR overrides). */
  builtInDir?: string
  /** Base URL for downloadable files: `${baseUrl}/${file}` (env PORTSEG_MODELS_BASE_URL). */
  baseUrl?: string
  /** Replaces the built-in catalogue (tests). */
  catalogue?: readonly CatalogueEntry[]
  env?: NodeJS.ProcessEnv
  /** Called with problems that were repaired, e.g. a corrupt manifest that was rebuilt. */
  onWarning?: (message: string) => void
}

export interface ResolvedStore {
  home: string
  modelsDir: string
  builtInDir: string
  baseUrl: string
  catalogue: readonly CatalogueEntry[]
  warn: (message: string) => void
}

export function resolveStore(opts: StoreOptions = {}): ResolvedStore {
  const env = opts.env ?? process.env
  const home = opts.home ?? userDataDir({ env })
  const envBase = env.PORTSEG_MODELS_BASE_URL
  return {
    home,
    modelsDir: userModelsDir(home),
    builtInDir: opts.builtInDir ?? builtInModelsDir({ env }),
    baseUrl: (opts.baseUrl ?? (envBase !== undefined && envBase !== '' ? envBase : RVM_RELEASE_BASE_URL)).replace(/\/+$/, ''),
    catalogue: opts.catalogue ?? CATALOGUE,
    warn: opts.onWarning ?? ((m) => process.emitWarning(m, { code: 'PORTSEG_MODELS' })),
  }
}

/** One model as the CLI's `models list --json` and the settings window show it. */
export interface ModelInfo {
  id: string
  name: string
  interface: InterfaceKind
  precision: 'fp32' | 'fp16' | null
  origin: ModelOrigin
  /** SPDX id. */
  license: string
  licenseNotice: string
  licenseUrl: string | null
  /** Non-permissive (GPL-3.0) or unknown: the notice must be shown and accepted first. */
  needsLicenseAcceptance: boolean
  installed: boolean
  /** Absolute path of the model file; null when not installed. */
  path: string | null
  /** Of the installed file, else the expected one (null if unconfirmed). */
  sha256: string | null
  /** true when the hash matches one published in the catalogue (or the build's record for built-ins). */
  hashConfirmed: boolean
  size: number | null
  source: string
  recommendedResolution: RecommendedResolution | null
  description: string | null
  hashNote: string | null
}

export interface ListOptions {
  /** Include downloadable models that are not installed ("installed": false). */
  all?: boolean
}

export async function listModels(opts: StoreOptions & ListOptions = {}): Promise<ModelInfo[]> {
  const store = resolveStore(opts)
  const out: ModelInfo[] = []
  for (const entry of store.catalogue.filter((e) => e.origin === 'built-in')) {
    const info = await builtInInfo(store, entry)
    if (info.installed || opts.all === true) out.push(info)
  }
  const { manifest } = await loadUserManifest(store)
  const records = new Map(manifest.models.map((r) => [r.id, r]))
  for (const entry of store.catalogue.filter((e) => e.origin === 'downloaded')) {
    const rec = records.get(entry.id)
    if (rec !== undefined) out.push(recordInfo(store, rec, entry))
    else if (opts.all === true) out.push(catalogueInfo(store, entry))
  }
  for (const rec of manifest.models.filter((r) => r.origin === 'imported')) out.push(recordInfo(store, rec, undefined))
  return out
}

/** What a built-in's generated sidecar (models/<id>.json, written by `npm run models`) may hold. */
interface BuiltInSidecar {
  sha256?: unknown
  size?: unknown
  bytes?: unknown
}

async function builtInInfo(store: ResolvedStore, entry: CatalogueEntry): Promise<ModelInfo> {
  const file = path.join(store.builtInDir, entry.file)
  // Only the final file counts; a converter's temp file is never a model.
  if (!existsSync(file)) return { ...catalogueInfo(store, entry), path: null }
  const size = (await stat(file)).size
  const recorded = await readBuiltInSidecar(store, entry)
  const sha256 = recorded ?? (await sha256File(file))
  return { ...catalogueInfo(store, entry), installed: true, path: file, size, sha256, hashConfirmed: recorded !== null }
}

async function readBuiltInSidecar(store: ResolvedStore, entry: CatalogueEntry): Promise<string | null> {
  try {
    const side = JSON.parse(await readFile(path.join(store.builtInDir, `${entry.id}.json`), 'utf8')) as BuiltInSidecar
    return typeof side.sha256 === 'string' && /^[0-9a-f]{64}$/.test(side.sha256) ? side.sha256 : null
  } catch {
    return null
  }
}

function sourceText(source: ModelSource): string {
  if (source.kind === 'url') return source.url
  if (source.kind === 'npm') return `npm:${source.package}/${source.file}`
  return source.path
}

function catalogueInfo(store: ResolvedStore, entry: CatalogueEntry): ModelInfo {
  return {
    id: entry.id,
    name: entry.name,
    interface: entry.interface,
    precision: entry.precision ?? null,
    origin: entry.origin,
    license: entry.license.spdx,
    licenseNotice: entry.license.notice,
    licenseUrl: entry.license.url ?? null,
    needsLicenseAcceptance: !isPermissive(entry.license),
    installed: false,
    path: null,
    sha256: entry.sha256,
    hashConfirmed: entry.sha256 !== null,
    size: entry.size,
    source: entry.origin === 'downloaded' ? downloadUrl(store, entry) : sourceText(entry.source),
    recommendedResolution: entry.recommendedResolution,
    description: entry.description,
    hashNote: entry.hashNote,
  }
}

function recordInfo(store: ResolvedStore, rec: InstalledRecord, entry: CatalogueEntry | undefined): ModelInfo {
  return {
    id: rec.id,
    name: rec.name,
    interface: rec.interface,
    precision: rec.precision ?? null,
    origin: rec.origin,
    license: rec.license.spdx,
    licenseNotice: rec.license.notice,
    licenseUrl: rec.license.url ?? null,
    needsLicenseAcceptance: !isPermissive(rec.license),
    installed: true,
    path: recordPath(store.modelsDir, rec),
    sha256: rec.sha256,
    hashConfirmed: rec.hashConfirmed,
    size: rec.size,
    source: sourceText(rec.source),
    recommendedResolution: rec.recommendedResolution ?? entry?.recommendedResolution ?? null,
    description: entry?.description ?? null,
    hashNote: rec.hashConfirmed ? (entry?.hashNote ?? null) : 'SHA-256 recorded on first download or import (trust on first use).',
  }
}

export async function loadUserManifest(store: ResolvedStore): Promise<Awaited<ReturnType<typeof loadManifest>>> {
  const loaded = await loadManifest(store.modelsDir, store.catalogue)
  if (loaded.recovered !== null) store.warn(recoveryMessage(loaded.recovered))
  return loaded
}

function recoveryMessage(r: ManifestRecovery): string {
  return `The model list was unreadable (${r.reason}); it was rebuilt from the model files (${r.rebuiltCount} found) and the old file kept as ${r.backupPath}.`
}

/** "1280x720 at ratio 0.375" / "256x144": for the settings window and the CLI. */
export function describeResolution(r: RecommendedResolution | null): string | null {
  if (r === null) return null
  return r.downsampleRatio === undefined ? `${r.width}x${r.height}` : `${r.width}x${r.height} at ratio ${r.downsampleRatio}`
}

export function downloadUrl(store: ResolvedStore, entry: CatalogueEntry): string {
  // The official address, unless a base URL override (mirror, tests) is in effect.
  if (store.baseUrl === RVM_RELEASE_BASE_URL && entry.source.kind === 'url') return entry.source.url
  return `${store.baseUrl}/${entry.file}`
}

/** Everything needed to show the license before a download. */
export function downloadTerms(id: string, opts: StoreOptions = {}): { entry: CatalogueEntry; url: string; needsAcceptance: boolean } {
  const store = resolveStore(opts)
  const entry = catalogueEntryOrThrow(store, id)
  if (entry.origin !== 'downloaded') {
    throw new PortsegError('BAD_ARGUMENT', `Model "${id}" is built into the app; there is nothing to download.`, {
      hints: ['Run `portseg models list` to see the installed models.'],
    })
  }
  return { entry, url: downloadUrl(store, entry), needsAcceptance: !isPermissive(entry.license) }
}

export interface DownloadModelOptions extends StoreOptions {
  /** Required for non-permissive licenses (GPL-3.0 for RVM): the caller has shown the notice. */
  acceptLicense?: boolean
  onProgress?: (p: DownloadProgress) => void
  signal?: AbortSignal
  stallTimeoutMs?: number
  retries?: number
  /** Download again even when an intact copy is installed. */
  force?: boolean
}

export interface DownloadModelResult {
  model: ModelInfo
  /** Already installed and intact: nothing was downloaded. */
  alreadyInstalled: boolean
  resumed: boolean
  /** The catalogue has no confirmed hash: the recorded one is the file's own (trust on first use). */
  trustOnFirstUse: boolean
}

export async function downloadModel(id: string, opts: DownloadModelOptions = {}): Promise<DownloadModelResult> {
  const store = resolveStore(opts)
  const { entry, url, needsAcceptance } = downloadTerms(id, opts)
  if (needsAcceptance && opts.acceptLicense !== true) throw licenseNotAccepted(entry.id, entry.license, 'download')
  const { manifest } = await loadUserManifest(store)
  const existing = manifest.models.find((r) => r.id === entry.id)
  if (existing !== undefined && opts.force !== true) {
    const actual = await sha256File(recordPath(store.modelsDir, existing))
    if (actual === existing.sha256) {
      return { model: recordInfo(store, existing, entry), alreadyInstalled: true, resumed: false, trustOnFirstUse: !existing.hashConfirmed }
    }
  }
  const rel = `${DOWNLOADED_DIR}/${entry.file}`
  const dest = path.join(store.modelsDir, DOWNLOADED_DIR, entry.file)
  const result = await downloadFile({
    url,
    dest,
    expectedSha256: entry.sha256,
    expectedSize: entry.size,
    label: entry.id,
    ...(opts.onProgress === undefined ? {} : { onProgress: opts.onProgress }),
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    ...(opts.stallTimeoutMs === undefined ? {} : { stallTimeoutMs: opts.stallTimeoutMs }),
    ...(opts.retries === undefined ? {} : { retries: opts.retries }),
  })
  let iface = entry.interface
  if (entry.sha256 === null) {
    // Unconfirmed hash: at least make sure the engine can drive what arrived.
    try {
      iface = detectModelInterface(await readFile(dest), entry.id).kind
    } catch (e) {
      await rm(dest, { force: true })
      throw new PortsegError('MODEL_CORRUPT', `The file downloaded for ${entry.id} is not a model PortSeg can use; it was discarded. ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
        hints: ['Check the download address (PORTSEG_MODELS_BASE_URL if set).'],
      })
    }
  }
  const rec: InstalledRecord = {
    id: entry.id,
    name: entry.name,
    origin: 'downloaded',
    interface: iface,
    ...(entry.precision === undefined ? {} : { precision: entry.precision }),
    file: rel,
    sha256: result.sha256,
    size: result.bytes,
    hashConfirmed: entry.sha256 !== null,
    license: entry.license,
    source: { kind: 'url', url },
    installedAt: new Date().toISOString(),
    recommendedResolution: entry.recommendedResolution,
  }
  await putRecord(store, rec)
  return { model: recordInfo(store, rec, entry), alreadyInstalled: false, resumed: result.resumed, trustOnFirstUse: entry.sha256 === null }
}

/** Adds or replaces a record: sidecar first, then the manifest, both atomically. */
export async function putRecord(store: ResolvedStore, rec: InstalledRecord): Promise<void> {
  await withManifestLock(store.modelsDir, async () => {
    await writeSidecar(store.modelsDir, rec)
    const { manifest } = await loadUserManifest(store)
    manifest.models = [...manifest.models.filter((r) => r.id !== rec.id), rec]
    await saveManifest(store.modelsDir, manifest)
  })
}

export interface VerifyResult {
  id: string
  origin: ModelOrigin
  path: string
  ok: boolean
  expected: string | null
  actual: string
  /** Where `expected` comes from. */
  against: 'catalogue' | 'recorded' | 'build-sidecar' | 'none'
  message: string
}

/** Re-hashes installed models (one id, or all) against the catalogue, the manifest or the build's record. */
export async function verifyModels(id?: string, opts: StoreOptions = {}): Promise<VerifyResult[]> {
  const store = resolveStore(opts)
  const models = (await listModels(opts)).filter((m) => m.installed && (id === undefined || m.id === id))
  if (id !== undefined && models.length === 0) throw await notInstalledOrUnknown(store, id)
  const out: VerifyResult[] = []
  for (const m of models) {
    if (m.path === null) continue
    const actual = await sha256File(m.path)
    const entry = store.catalogue.find((e) => e.id === m.id)
    let expected: string | null
    let against: VerifyResult['against']
    if (m.origin === 'built-in') {
      expected = entry === undefined ? null : await readBuiltInSidecar(store, entry)
      against = expected === null ? 'none' : 'build-sidecar'
    } else if (entry?.sha256 != null) {
      expected = entry.sha256
      against = 'catalogue'
    } else {
      expected = m.sha256
      against = 'recorded'
    }
    const ok = expected === null || expected === actual
    const message = !ok
      ? `SHA-256 mismatch: the file is ${actual}, expected ${expected ?? ''}. It has changed since it was installed.`
      : against === 'none'
        ? 'no recorded hash to compare with (run `npm run models` to regenerate the built-ins)'
        : against === 'recorded'
          ? 'matches the hash recorded when it was installed (not confirmed by a published hash)'
          : against === 'catalogue'
            ? 'matches the published hash'
            : 'matches the hash recorded by the build'
    out.push({ id: m.id, origin: m.origin, path: m.path, ok, expected, actual, against, message })
  }
  return out
}

/** Removes a downloaded or imported model (file, sidecar, manifest entry). Built-ins are refused. */
export async function removeModel(id: string, opts: StoreOptions = {}): Promise<{ id: string; path: string }> {
  const store = resolveStore(opts)
  const entry = store.catalogue.find((e) => e.id === id)
  if (entry?.origin === 'built-in') {
    throw new PortsegError('MODEL_REMOVE_REFUSED', `Model "${id}" is built into the app and cannot be removed.`, {
      hints: ['Choose another model in Settings or with --model; the built-in stays available as the fallback.'],
    })
  }
  return withManifestLock(store.modelsDir, async () => {
    const { manifest } = await loadUserManifest(store)
    const rec = manifest.models.find((r) => r.id === id)
    if (rec === undefined) throw await notInstalledOrUnknown(store, id)
    const file = recordPath(store.modelsDir, rec)
    manifest.models = manifest.models.filter((r) => r.id !== id)
    // Sidecar first (it would bring the record back), then the manifest, then the file.
    await rm(sidecarPath(store.modelsDir, rec), { force: true })
    await saveManifest(store.modelsDir, manifest)
    await rm(file, { force: true })
    await rm(file + PART_SUFFIX, { force: true })
    return { id, path: file }
  })
}

/** What resolveModel returns: enough for the engine to open the model and the UI to label it. */
export interface ResolvedModel {
  id: string | null
  name: string
  path: string
  interface: InterfaceKind
  origin: ModelOrigin | 'file'
  license: string
  sha256?: string | null
}

/** Accepts an installed registry id or a path to an .onnx file. */
export async function resolveModel(ref: string, opts: StoreOptions = {}): Promise<ResolvedModel> {
  const store = resolveStore(opts)
  if (typeof ref !== 'string' || ref.trim() === '') {
    throw new PortsegError('BAD_ARGUMENT', `resolveModel: ref must be a model id or a path to an .onnx file (got ${JSON.stringify(ref)})`)
  }
  if (ref.endsWith(PART_SUFFIX)) {
    throw new PortsegError('MODEL_NOT_FOUND', `${ref} is an unfinished download, not a model.`, {
      hints: ['Finish it with `portseg models download <id>`, then use the model id.'],
    })
  }
  if (looksLikePath(ref)) return resolvePath(ref)
  const models = await listModels({ ...opts, all: true })
  const m = models.find((x) => x.id === ref)
  if (m === undefined) throw await notInstalledOrUnknown(store, ref)
  if (!m.installed || m.path === null) throw await notInstalledOrUnknown(store, ref)
  if (m.origin !== 'built-in' && m.size !== null) {
    // A cheap guard against a truncated or replaced file; `verify` does the full hash.
    const actual = (await stat(m.path)).size
    if (actual !== m.size) {
      throw new PortsegError('MODEL_CORRUPT', `Model "${m.id}" is damaged: ${m.path} is ${actual} bytes, but ${m.size} were installed.`, {
        hints: [`Remove it and install it again: portseg models remove ${m.id}`],
      })
    }
  }
  return { id: m.id, name: m.name, path: m.path, interface: m.interface, origin: m.origin, license: m.license, sha256: m.sha256 }
}

function looksLikePath(ref: string): boolean {
  return ref.includes('/') || ref.includes('\\') || ref.toLowerCase().endsWith('.onnx')
}

async function resolvePath(ref: string): Promise<ResolvedModel> {
  const file = path.resolve(ref)
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch (e) {
    throw new PortsegError('MODEL_NOT_FOUND', `Model file ${file} could not be read (${(e as NodeJS.ErrnoException).code ?? String(e)}).`, {
      cause: e,
      hints: ['Check the path, or use a model id from `portseg models list`.'],
    })
  }
  const iface = detectModelInterface(bytes, path.basename(file))
  return { id: null, name: path.basename(file), path: file, interface: iface.kind, origin: 'file', license: 'unknown', sha256: null }
}

function catalogueEntryOrThrow(store: ResolvedStore, id: string): CatalogueEntry {
  const entry = store.catalogue.find((e) => e.id === id)
  if (entry === undefined) throw unknownId(store, id, [])
  return entry
}

async function notInstalledOrUnknown(store: ResolvedStore, id: string): Promise<PortsegError> {
  const entry = store.catalogue.find((e) => e.id === id)
  if (entry?.origin === 'downloaded') {
    return new PortsegError('MODEL_NOT_FOUND', `Model "${id}" is not installed.`, {
      hints: [`Download it: portseg models download ${id}`, 'Or pick an installed model from `portseg models list`.'],
    })
  }
  if (entry?.origin === 'built-in') {
    return new PortsegError('MODEL_NOT_FOUND', `Built-in model "${id}" is missing from ${store.builtInDir}.`, {
      hints: ['Run `npm run models` to convert the built-in models (it runs as part of the install and build).'],
    })
  }
  const { manifest } = await loadUserManifest(store)
  return unknownId(store, id, manifest.models.map((r) => r.id))
}

function unknownId(store: ResolvedStore, id: string, imported: string[]): PortsegError {
  const known = [...store.catalogue.map((e) => e.id), ...imported]
  return new PortsegError('MODEL_UNKNOWN_ID', `There is no model with id "${id}". Known ids: ${known.join(', ')}.`, {
    hints: ['Run `portseg models list --all` to see every model, or pass a path to an .onnx file.'],
  })
}

export function licenseNotAccepted(what: string, license: ModelLicense, action: 'download' | 'import'): PortsegError {
  return new PortsegError(
    'MODEL_LICENSE_NOT_ACCEPTED',
    `The license of ${what} (${license.spdx}) must be accepted before ${action === 'download' ? 'downloading' : 'importing'} it. ${license.notice}`,
    { hints: [`Read the license${license.url === undefined ? '' : ` (${license.url})`}, then run again with --accept-license (or answer "y" when asked).`] },
  )
}
