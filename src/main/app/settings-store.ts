/**
 * The settings file (Electron-free: it takes the folder). Loads schema-checked, key by key; a
 * corrupt file is backed up and replaced by defaults with a notice; writes are debounced and
 * atomic; keys written by a newer version are kept.
 */
import { copyFile, mkdir, readFile, rename } from 'node:fs/promises'
import path from 'node:path'
import { PortsegError } from '../../shared/errors.js'
import type { Notice } from '../../shared/ipc.js'
import {
  applySettingsPatch,
  DEFAULT_SETTINGS,
  repairSettings,
  Settings,
  settingsProblem,
  type SettingsPatch,
} from '../../shared/settings.js'
import { removeStaleTemps, writeFileAtomic, type AtomicWriteHooks } from './atomic-file.js'

export const SETTINGS_FILE = 'settings.json'

export interface SettingsStoreOptions {
  /** The folder that holds settings.json (app.getPath('userData') in the app). */
  dir: string
  /** Delay before a change is written, so a dragged slider writes once. */
  debounceMs?: number
  onNotice?: (notice: Notice) => void
  /** Test hook: runs between the temp write and the rename. */
  writeHooks?: AtomicWriteHooks
  now?: () => Date
}

export type SettingsChangeListener = (settings: Settings, previous: Settings) => void

let noticeCounter = 0
export function makeNotice(level: Notice['level'], code: string | null, message: string, detail: string | null = null): Notice {
  return { id: `n${Date.now().toString(36)}-${++noticeCounter}`, level, code, message, detail }
}

export class SettingsStore {
  readonly file: string
  #settings: Settings
  #unknown: Record<string, unknown>
  readonly #options: SettingsStoreOptions
  readonly #listeners = new Set<SettingsChangeListener>()
  #timer: NodeJS.Timeout | null = null
  #writing: Promise<void> = Promise.resolve()
  #isDirty = false
  #isClosed = false

  private constructor(options: SettingsStoreOptions, settings: Settings, unknown: Record<string, unknown>) {
    this.#options = options
    this.file = path.join(options.dir, SETTINGS_FILE)
    this.#settings = settings
    this.#unknown = unknown
  }

  /** Reads (or creates) the settings file. Never throws for bad content: it repairs and tells. */
  static async open(options: SettingsStoreOptions): Promise<SettingsStore> {
    const file = path.join(options.dir, SETTINGS_FILE)
    await mkdir(options.dir, { recursive: true })
    await removeStaleTemps(file)
    const notify = options.onNotice ?? (() => undefined)
    const stamp = (options.now ?? (() => new Date()))().toISOString().replace(/[:.]/g, '-')

    let text: string | null = null
    try {
      text = await readFile(file, 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        notify(makeNotice('error', 'SETTINGS_INVALID', `Could not read your settings file ${file} (${(e as Error).message}); using defaults for this session. Check the file's permissions.`))
        return new SettingsStore(options, structuredClone(DEFAULT_SETTINGS), {})
      }
    }
    if (text === null) {
      const store = new SettingsStore(options, structuredClone(DEFAULT_SETTINGS), {})
      await store.flush(true)
      return store
    }

    let raw: unknown
    try {
      raw = JSON.parse(text)
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('it is not a JSON object')
    } catch (e) {
      const backup = `${file}.corrupt-${stamp}`
      await rename(file, backup)
      notify(
        makeNotice(
          'warning',
          'SETTINGS_INVALID',
          `Your settings file was corrupt and was replaced with defaults; the old file is kept at ${backup}.`,
          `${file}: ${(e as Error).message}`,
        ),
      )
      const store = new SettingsStore(options, structuredClone(DEFAULT_SETTINGS), {})
      await store.flush(true)
      return store
    }

    const repaired = repairSettings(raw)
    const store = new SettingsStore(options, repaired.settings, repaired.unknown)
    if (repaired.resetKeys.length > 0) {
      const backup = `${file}.invalid-${stamp}`
      await copyFile(file, backup)
      notify(
        makeNotice(
          'warning',
          'SETTINGS_INVALID',
          `Some settings were invalid and were reset to their defaults: ${repaired.resetKeys.join(', ')}. The old file is kept at ${backup}.`,
        ),
      )
      await store.flush(true)
    }
    return store
  }

  get(): Settings {
    return this.#settings
  }

  /**
   * Applies a patch the caller has parsed with SettingsPatch. Throws SETTINGS_INVALID when the
   * result is inconsistent (e.g. an image background that names no saved image).
   */
  update(patch: SettingsPatch): Settings {
    return this.replace(applySettingsPatch(this.#settings, patch))
  }

  /** Main-process changes that a patch can't express (savedBackgrounds). Validated all the same. */
  replace(next: Settings): Settings {
    this.#assertOpen()
    const parsed = Settings.safeParse(next)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      throw new PortsegError('SETTINGS_INVALID', `Settings were not changed: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'they do not match the schema'}.`)
    }
    const problem = settingsProblem(parsed.data)
    if (problem !== null) throw new PortsegError('SETTINGS_INVALID', `Settings were not changed: ${problem}.`, { hints: ['Add the background first (Settings → Background → Add…).'] })
    const previous = this.#settings
    if (JSON.stringify(previous) === JSON.stringify(parsed.data)) return previous
    this.#settings = parsed.data
    this.#schedule()
    for (const l of this.#listeners) l(parsed.data, previous)
    return parsed.data
  }

  onChange(listener: SettingsChangeListener): () => void {
    this.#listeners.add(listener)
    return () => void this.#listeners.delete(listener)
  }

  /** Writes pending changes now (force: even if nothing changed). */
  async flush(force = false): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer)
      this.#timer = null
    }
    if (!this.#isDirty && !force) return this.#writing
    this.#isDirty = false
    // unknown keys first, so ours win if a newer version reused a name
    const text = `${JSON.stringify({ ...this.#unknown, ...this.#settings }, null, 2)}\n`
    this.#writing = this.#writing
      .then(() => writeFileAtomic(this.file, text, this.#options.writeHooks))
      .catch((e: unknown) => {
        this.#isDirty = true
        this.#options.onNotice?.(
          makeNotice('error', 'SETTINGS_WRITE_FAILED', `Could not save your settings to ${this.file} (${(e as Error).message}). They apply for this session; check that the folder is writable and has free space.`),
        )
      })
    return this.#writing
  }

  /** Flushes and stops accepting changes. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#isClosed) return this.#writing
    await this.flush()
    this.#isClosed = true
    this.#listeners.clear()
  }

  #schedule(): void {
    this.#isDirty = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => void this.flush(), this.#options.debounceMs ?? 300)
    this.#timer.unref?.()
  }

  #assertOpen(): void {
    if (this.#isClosed) throw new PortsegError('SETTINGS_WRITE_FAILED', 'Settings were not changed: the settings store is closed (the app is quitting).')
  }
}
