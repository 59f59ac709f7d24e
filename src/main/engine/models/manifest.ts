/**
 * The user's record of downloaded and imported models: <user-data>/models/manifest.json, with a
 * sidecar <id>.json beside every model file so a lost or corrupt manifest can be rebuilt.
 * Writes are atomic (temp file + rename). A corrupt manifest is backed up, rebuilt and reported;
 * it never stops the app.
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod'
import { PortsegError } from '../../../shared/errors.js'
import { CATALOGUE, type CatalogueEntry } from './catalogue.js'
import { sha256File } from './download.js'

export const MANIFEST_FILE = 'manifest.json'
export const DOWNLOADED_DIR = 'downloaded'
export const IMPORTED_DIR = 'imported'

const LicenseSchema = z.object({ spdx: z.string().min(1), notice: z.string(), url: z.string().optional() })
const SourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('npm'), package: z.string(), file: z.string() }),
  z.object({ kind: z.literal('url'), url: z.string() }),
  z.object({ kind: z.literal('file'), path: z.string() }),
])

export const InstalledRecordSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
  name: z.string(),
  origin: z.enum(['downloaded', 'imported']),
  interface: z.enum(['recurrent-matting', 'segmentation']),
  precision: z.enum(['fp32', 'fp16']).optional(),
  /** Relative to <user-data>/models, forward slashes. */
  file: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  /** true: matched a hash published in the catalogue; false: recorded on first use. */
  hashConfirmed: z.boolean(),
  license: LicenseSchema,
  source: SourceSchema,
  installedAt: z.string(),
  recommendedResolution: z
    .object({ width: z.number(), height: z.number(), downsampleRatio: z.number().optional(), note: z.string().optional() })
    .optional(),
})
export type InstalledRecord = z.infer<typeof InstalledRecordSchema>

const ManifestSchema = z.object({ version: z.literal(1), models: z.array(InstalledRecordSchema) })
export type Manifest = z.infer<typeof ManifestSchema>

export interface ManifestRecovery {
  /** Where the unreadable manifest was moved. */
  backupPath: string
  reason: string
  /** How many records the rebuild found from sidecars and files. */
  rebuiltCount: number
}

export interface LoadedManifest {
  manifest: Manifest
  recovered: ManifestRecovery | null
}

export function manifestPath(modelsDir: string): string {
  return path.join(modelsDir, MANIFEST_FILE)
}

export function recordPath(modelsDir: string, rec: Pick<InstalledRecord, 'file'>): string {
  return path.join(modelsDir, ...rec.file.split('/'))
}

export function sidecarPath(modelsDir: string, rec: Pick<InstalledRecord, 'id' | 'origin'>): string {
  return path.join(modelsDir, rec.origin === 'downloaded' ? DOWNLOADED_DIR : IMPORTED_DIR, `${rec.id}.json`)
}

/** Reads the manifest; rebuilds it when it is corrupt (the bad file is kept as a backup). */
export async function loadManifest(modelsDir: string, catalogue: readonly CatalogueEntry[] = CATALOGUE): Promise<LoadedManifest> {
  const file = manifestPath(modelsDir)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    // No manifest yet: sidecars may still exist (an older manifest was deleted by hand).
    const models = await rebuildRecords(modelsDir, catalogue)
    return { manifest: { version: 1, models: models.filter(recordFileExists(modelsDir)) }, recovered: null }
  }
  let reason: string
  try {
    const parsed = ManifestSchema.safeParse(JSON.parse(text))
    if (parsed.success) {
      // Union with the sidecars: a record whose manifest update was lost (another process wrote
      // the manifest at the same moment) is still found.
      const listed = new Set(parsed.data.models.map((r) => r.id))
      const extra = (await readSidecars(modelsDir)).filter((r) => !listed.has(r.id))
      return { manifest: { version: 1, models: [...parsed.data.models, ...extra].filter(recordFileExists(modelsDir)) }, recovered: null }
    }
    reason = `it does not match the expected format (${parsed.error.issues[0]?.message ?? 'invalid'})`
  } catch (e) {
    reason = `it is not valid JSON (${e instanceof Error ? e.message : String(e)})`
  }
  const backupPath = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`
  await rename(file, backupPath)
  const models = (await rebuildRecords(modelsDir, catalogue)).filter(recordFileExists(modelsDir))
  const manifest: Manifest = { version: 1, models }
  await saveManifest(modelsDir, manifest)
  return { manifest, recovered: { backupPath, reason, rebuiltCount: models.length } }
}

export async function saveManifest(modelsDir: string, manifest: Manifest): Promise<void> {
  await writeJsonAtomic(manifestPath(modelsDir), manifest)
}

export async function writeSidecar(modelsDir: string, rec: InstalledRecord): Promise<void> {
  await writeJsonAtomic(sidecarPath(modelsDir, rec), rec)
}

/** Write to a temp file in the same folder, fsync, then rename over the target. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    const fh = await open(tmp, 'w')
    try {
      await fh.writeFile(JSON.stringify(value, null, 2) + '\n', 'utf8')
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, file)
  } catch (e) {
    await rm(tmp, { force: true })
    throw new PortsegError('OUTPUT_NOT_WRITABLE', `Could not write ${file}: ${e instanceof Error ? e.message : String(e)}.`, {
      cause: e,
      hints: ['Check that the folder is writable and the disk is not full.'],
    })
  }
}

function recordFileExists(modelsDir: string): (r: InstalledRecord) => boolean {
  return (r) => existsSync(recordPath(modelsDir, r))
}

const locks = new Map<string, Promise<unknown>>()

/** Runs manifest read-modify-write steps one at a time per folder (concurrent downloads in the app). */
export function withManifestLock<T>(modelsDir: string, fn: () => Promise<T>): Promise<T> {
  const prev = locks.get(modelsDir) ?? Promise.resolve()
  const next = prev.then(fn, fn)
  const settled = next.catch(() => undefined)
  locks.set(modelsDir, settled)
  void settled.then(() => {
    if (locks.get(modelsDir) === settled) locks.delete(modelsDir)
  })
  return next
}

async function readSidecars(modelsDir: string): Promise<InstalledRecord[]> {
  const out: InstalledRecord[] = []
  for (const sub of [DOWNLOADED_DIR, IMPORTED_DIR]) {
    const dir = path.join(modelsDir, sub)
    let names: string[]
    try {
      names = await readdir(dir)
    } catch {
      continue
    }
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      try {
        out.push(InstalledRecordSchema.parse(JSON.parse(await readFile(path.join(dir, name), 'utf8'))))
      } catch {
        // an unreadable sidecar: a downloaded model still shows up if the catalogue knows its file
      }
    }
  }
  return out
}

/** Rebuild from sidecars; downloaded files without a sidecar are matched to the catalogue by name. */
async function rebuildRecords(modelsDir: string, catalogue: readonly CatalogueEntry[]): Promise<InstalledRecord[]> {
  const out = new Map<string, InstalledRecord>((await readSidecars(modelsDir)).map((r) => [r.id, r]))
  const names = await readdir(path.join(modelsDir, DOWNLOADED_DIR)).catch(() => [] as string[])
  for (const name of names.filter((n) => n.endsWith('.onnx'))) {
    const entry = catalogue.find((e) => e.origin === 'downloaded' && e.file === name)
    if (entry === undefined || out.has(entry.id)) continue
    out.set(entry.id, await recordFromCatalogue(modelsDir, entry))
  }
  return [...out.values()]
}

async function recordFromCatalogue(modelsDir: string, entry: CatalogueEntry): Promise<InstalledRecord> {
  const file = `${DOWNLOADED_DIR}/${entry.file}`
  const full = path.join(modelsDir, DOWNLOADED_DIR, entry.file)
  const sha256 = await sha256File(full)
  return {
    id: entry.id,
    name: entry.name,
    origin: 'downloaded',
    interface: entry.interface,
    ...(entry.precision === undefined ? {} : { precision: entry.precision }),
    file,
    sha256,
    size: (await stat(full)).size,
    hashConfirmed: entry.sha256 !== null && entry.sha256 === sha256,
    license: entry.license,
    source: entry.source,
    installedAt: new Date().toISOString(),
    recommendedResolution: entry.recommendedResolution,
  }
}
