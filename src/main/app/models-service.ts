/**
 * The model registry as the settings window uses it (Electron-free): list, download with
 * progress and cancel, import (the file dialog and license prompt are injected), remove.
 */
import { PortsegError, toErrorInfo } from '../../shared/errors.js'
import type { DownloadProgress, ModelInfo } from '../../shared/ipc.js'
import { DEFAULT_MODEL_ID } from '../../shared/settings.js'
import {
  downloadModel,
  importModel,
  isPermissive,
  listModels,
  planImport,
  removeModel,
  resolveModel,
  type ModelInfo as RegistryModelInfo,
  type ResolvedModel,
  type StoreOptions,
} from '../engine/models/index.js'
import type { SettingsStore } from './settings-store.js'

export interface ModelsServiceOptions {
  /** user-data folder and the app's built-in models folder */
  store: StoreOptions
  settings: SettingsStore
  onProgress?: (p: DownloadProgress) => void
  /** Main-process file dialog; null = cancelled. */
  pickModelFile?: () => Promise<string | null>
  /** Shows a license and asks to accept it; false = declined. */
  confirmLicense?: (what: { name: string; license: string; notice: string; url: string | null }) => Promise<boolean>
  log?: (line: string) => void
}

export function toModelInfo(m: RegistryModelInfo): ModelInfo {
  const r = m.recommendedResolution
  return {
    id: m.id,
    name: m.name,
    interface: m.interface,
    precision: m.precision,
    origin: m.origin,
    isInstalled: m.installed,
    license: m.license,
    licenseNotice: m.licenseNotice,
    licenseUrl: m.licenseUrl,
    needsLicenseAcceptance: m.origin === 'downloaded' && !m.installed && !isPermissive({ spdx: m.license, notice: m.licenseNotice }),
    sizeBytes: m.size,
    recommendedResolution: r === null ? null : `${r.width}x${r.height}${r.downsampleRatio === undefined ? '' : ` at ratio ${r.downsampleRatio}`}`,
    description: m.description,
  }
}

export class ModelsService {
  readonly #options: ModelsServiceOptions
  readonly #downloads = new Map<string, AbortController>()

  constructor(options: ModelsServiceOptions) {
    this.#options = options
  }

  async list(): Promise<ModelInfo[]> {
    return (await listModels({ ...this.#options.store, all: true })).map(toModelInfo)
  }

  resolve(id: string): Promise<ResolvedModel> {
    return resolveModel(id, this.#options.store)
  }

  async download(id: string, acceptLicense: boolean): Promise<ModelInfo> {
    if (this.#downloads.has(id)) throw new PortsegError('BAD_ARGUMENT', `models.download: "${id}" is already downloading; wait for it or cancel it first.`)
    const controller = new AbortController()
    this.#downloads.set(id, controller)
    const emit = this.#options.onProgress ?? (() => undefined)
    let last: { receivedBytes: number; totalBytes: number | null } = { receivedBytes: 0, totalBytes: null }
    let lastEmitMs = 0
    try {
      const result = await downloadModel(id, {
        ...this.#options.store,
        acceptLicense,
        signal: controller.signal,
        onProgress: (p) => {
          last = { receivedBytes: p.receivedBytes, totalBytes: p.totalBytes }
          const now = Date.now()
          // ~10 updates a second is smooth enough for a progress bar
          if (now - lastEmitMs < 100 && !p.done) return
          lastEmitMs = now
          emit({ id, state: p.done ? 'verifying' : 'downloading', ...last, error: null })
        },
      })
      emit({ id, state: 'done', ...last, receivedBytes: result.model.size ?? last.receivedBytes, error: null })
      this.#options.log?.(`models: ${id} ${result.alreadyInstalled ? 'was already installed' : 'downloaded and verified'}`)
      return toModelInfo(result.model)
    } catch (e) {
      const info = toErrorInfo(e)
      emit({ id, state: controller.signal.aborted ? 'cancelled' : 'failed', ...last, error: { ...info, hints: info.hints ?? [] } })
      throw e
    } finally {
      this.#downloads.delete(id)
    }
  }

  cancelDownload(id: string): void {
    this.#downloads.get(id)?.abort()
  }

  /** File dialog → license prompt when needed → import. null when the user cancels either. */
  async importFromDialog(): Promise<ModelInfo | null> {
    const file = await (this.#options.pickModelFile ?? (() => Promise.resolve(null)))()
    if (file === null) return null
    const plan = await planImport(file, this.#options.store)
    let accepted = !plan.needsAcceptance
    if (!accepted) {
      accepted = (await this.#options.confirmLicense?.({ name: file, license: plan.license.spdx, notice: plan.license.notice, url: plan.license.url ?? null })) === true
      if (!accepted) return null
    }
    const models = await importModel(file, { ...this.#options.store, acceptLicense: accepted })
    const first = models[0]
    if (first === undefined) throw new PortsegError('MODEL_IMPORT_REFUSED', `Importing ${file} produced no model.`)
    this.#options.log?.(`models: imported ${file} as ${models.map((m) => m.id).join(', ')}`)
    return toModelInfo(first)
  }

  /** Removes a downloaded or imported model; if it was selected, the built-in default takes over. */
  async remove(id: string): Promise<void> {
    const settings = this.#options.settings
    if (settings.get().modelId === id) settings.update({ modelId: DEFAULT_MODEL_ID })
    await removeModel(id, this.#options.store)
  }
}
