/**
 * The main side of the IPC contract, without Electron: channel → async (args) => IpcResult.
 * Arguments are parsed with the contract's schemas before any service runs, results are
 * checked on the way out (and stripped of anything the schema doesn't name), and expected
 * failures come back as values. src/main/app/ipc.ts binds these to ipcMain after its sender
 * check; the browser tests drive the very same handlers through their own transport.
 */
import { z } from 'zod'
import { toErrorInfo } from '../../shared/errors.js'
import {
  Invoke,
  INVOKE_NAMES,
  type AppInfo,
  type BackgroundInfo,
  type EngineStatusInfo,
  type InvokeName,
  type InvokeValue,
  type IpcFailure,
  type IpcResult,
  type ModelInfo,
  type Notice,
  type VcamFixResult,
  type VcamStatus,
} from '../../shared/ipc.js'
import { DEFAULT_SETTINGS, type Settings, type SettingsPatch } from '../../shared/settings.js'

/** What the handlers need; the app wires the real services, tests may wire the same ones. */
export interface AppServices {
  app: { info(): AppInfo; openSettings(): void; quit(): void }
  notices: { list(): Notice[]; dismiss(id: string): void }
  settings: { get(): Settings; update(patch: SettingsPatch): Settings; replace(next: Settings): Settings }
  models: {
    list(): Promise<ModelInfo[]>
    download(id: string, acceptLicense: boolean): Promise<ModelInfo>
    cancelDownload(id: string): void
    importFromDialog(): Promise<ModelInfo | null>
    remove(id: string): Promise<void>
  }
  backgrounds: {
    list(): BackgroundInfo[]
    add(file: string): Promise<BackgroundInfo>
    remove(id: string): Promise<void>
  }
  /** Main-process file dialog for backgrounds; null = cancelled. */
  pickBackgroundFile(): Promise<string | null>
  vcam: { refresh(): Promise<VcamStatus>; fix(): Promise<VcamFixResult> }
  engine: { status(): EngineStatusInfo; restart(): Promise<EngineStatusInfo> }
}

type Args<K extends InvokeName> = z.output<(typeof Invoke)[K]['args']>
type Impl<K extends InvokeName> = (...args: Args<K>) => Promise<InvokeValue<K>> | InvokeValue<K>
type Impls = { [K in InvokeName]: Impl<K> }

export type IpcHandler<K extends InvokeName = InvokeName> = (args: unknown) => Promise<IpcResult<InvokeValue<K>>>
export type IpcHandlers = { [K in InvokeName]: IpcHandler<K> }

function implementations(s: AppServices): Impls {
  return {
    'app.info': () => s.app.info(),
    'app.openSettings': () => (s.app.openSettings(), null),
    'app.quit': () => (s.app.quit(), null),
    'notices.list': () => s.notices.list(),
    'notices.dismiss': (id) => (s.notices.dismiss(id), null),
    'settings.get': () => s.settings.get(),
    'settings.update': (patch) => s.settings.update(patch),
    'settings.reset': () => s.settings.replace({ ...structuredClone(DEFAULT_SETTINGS), savedBackgrounds: s.settings.get().savedBackgrounds }),
    'models.list': () => s.models.list(),
    'models.download': (id, terms) => s.models.download(id, terms.acceptLicense),
    'models.cancelDownload': (id) => (s.models.cancelDownload(id), null),
    'models.import': () => s.models.importFromDialog(),
    'models.remove': async (id) => (await s.models.remove(id), null),
    'backgrounds.list': () => s.backgrounds.list(),
    'backgrounds.add': async () => {
      const file = await s.pickBackgroundFile()
      return file === null ? null : s.backgrounds.add(file)
    },
    'backgrounds.remove': async (id) => (await s.backgrounds.remove(id), null),
    'vcam.status': () => s.vcam.refresh(),
    'vcam.fix': () => s.vcam.fix(),
    'engine.status': () => s.engine.status(),
    'engine.restart': () => s.engine.restart(),
  }
}

/** `settings.update: args[0].blurStrength: Too big: expected number to be <=100 (got 400)` */
export function describeArgsProblem(name: string, error: z.ZodError, args: unknown): string {
  const issue = error.issues[0]
  if (issue === undefined) return `${name}: the arguments do not match the contract`
  const where = issue.path.length === 0 ? 'arguments' : `args${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`
  let got: unknown = args
  for (const p of issue.path) got = got !== null && typeof got === 'object' ? (got as Record<PropertyKey, unknown>)[p as PropertyKey] : undefined
  const shown = got === undefined ? 'nothing' : truncate(safeJson(got), 80)
  return `${name}: ${where}: ${issue.message} (got ${shown})`
}

export interface CreateIpcHandlersOptions {
  /** Called for unexpected failures (bugs), with the channel; expected ones are just returned. */
  onInternalError?: (name: InvokeName, error: unknown) => void
}

export function createIpcHandlers(services: AppServices, options: CreateIpcHandlersOptions = {}): IpcHandlers {
  const impls = implementations(services)
  const handlers: Record<string, (args: unknown) => Promise<IpcResult<unknown>>> = {}
  for (const name of INVOKE_NAMES) {
    const spec = Invoke[name] as { args: z.ZodType<unknown[]>; result: z.ZodType }
    const impl = impls[name] as (...args: unknown[]) => unknown
    handlers[name] = async (rawArgs: unknown): Promise<IpcResult<unknown>> => {
      const args = spec.args.safeParse(rawArgs)
      if (!args.success) return failure('BAD_ARGUMENT', describeArgsProblem(name, args.error, rawArgs))
      let value: unknown
      try {
        value = await impl(...args.data)
      } catch (e) {
        const info = toErrorInfo(e)
        if (info.code === 'INTERNAL') options.onInternalError?.(name, e)
        return { ok: false, code: info.code, message: info.message, ...(info.hints && info.hints.length > 0 ? { hints: info.hints } : {}) }
      }
      const out = spec.result.safeParse(value)
      if (!out.success) {
        options.onInternalError?.(name, out.error)
        return failure('INTERNAL', `${name}: the main process produced a result that does not match the contract (${out.error.issues[0]?.message ?? 'invalid'}). This is a bug; please report it.`)
      }
      return { ok: true, value: out.data }
    }
  }
  return handlers as unknown as IpcHandlers
}

function failure(code: IpcFailure['code'], message: string): IpcFailure {
  return { ok: false, code, message }
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v)
  } catch {
    return String(v)
  }
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`
}
