import { z } from 'zod'
import { ErrorCodes } from './errors.js'
import type { EventName as EventNameList, InvokeName as InvokeNameList } from './ipc-names.js'
import { ProviderPreference, Settings, SettingsFields, SettingsPatch } from './settings.js'

/**
 * THE IPC contract between the renderer (through the preload bridge) and the main process.
 * Every channel is written once here; the preload generates one method per entry, the main
 * process parses arguments with `args` before any handler runs, and validates what it sends.
 *
 * Channel on the wire: `portseg:<domain>.<verb>` (invokes) and `portseg:<domain>.<pastTense>`
 * (events). Expected failures come back as values ({ ok: false, code, message }) because
 * Electron passes only an error's message through invoke.
 *
 * Video frames never use invoke: see FRAMES below and src/shared/frame-protocol.ts.
 */

export { CHANNEL_PREFIX, EVENT_NAMES, FRAMES, INVOKE_NAMES, eventChannel, invokeChannel, isPortsegChannel, splitInvokeName } from './ipc-names.js'

// ---- payload schemas -------------------------------------------------------------------

export const ErrorInfoSchema = z.object({
  code: z.union([z.enum(ErrorCodes), z.literal('INTERNAL')]),
  message: z.string(),
  hints: z.array(z.string()).optional(),
})
export type ErrorInfoPayload = z.infer<typeof ErrorInfoSchema>

export const AppInfo = z.object({
  version: z.string(),
  platform: z.string(),
  arch: z.string(),
  isPackaged: z.boolean(),
  electronVersion: z.string().nullable(),
})
export type AppInfo = z.infer<typeof AppInfo>

export const ModelInterfaceKind = z.enum(['recurrent-matting', 'segmentation'])

export const ModelInfo = z.object({
  id: z.string(),
  name: z.string(),
  interface: ModelInterfaceKind,
  precision: z.enum(['fp32', 'fp16']).nullable(),
  origin: z.enum(['built-in', 'downloaded', 'imported']),
  /** false for a downloadable model that isn't on disk yet */
  isInstalled: z.boolean(),
  /** SPDX id; licenseNotice is shown before download (and must be accepted when needsLicenseAcceptance) */
  license: z.string(),
  licenseNotice: z.string(),
  licenseUrl: z.string().nullable(),
  needsLicenseAcceptance: z.boolean(),
  sizeBytes: z.number().int().nonnegative().nullable(),
  /** e.g. "1280x720 at ratio 0.375" */
  recommendedResolution: z.string().nullable(),
  description: z.string().nullable(),
})
export type ModelInfo = z.infer<typeof ModelInfo>

/** registry ids only, never paths */
export const ModelId = SettingsFields.modelId

export const DownloadProgress = z.object({
  id: ModelId,
  state: z.enum(['downloading', 'verifying', 'done', 'failed', 'cancelled']),
  receivedBytes: z.number().int().nonnegative(),
  totalBytes: z.number().int().nonnegative().nullable(),
  error: ErrorInfoSchema.nullable(),
})
export type DownloadProgress = z.infer<typeof DownloadProgress>

export const BackgroundId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/)

/** A saved background as the renderer sees it: no file path, a URL it may load instead. */
export const BackgroundInfo = z.object({
  id: BackgroundId,
  kind: z.enum(['image', 'video']),
  name: z.string(),
  /** In the app: portseg-media://backgrounds/<id> (served by main, from user-data only). */
  url: z.string(),
})
export type BackgroundInfo = z.infer<typeof BackgroundInfo>

export const ProviderName = z.enum(['cuda', 'dml', 'coreml', 'webgpu', 'cpu'])
export const ProviderReport = z.object({
  selected: ProviderName,
  attempts: z.array(z.object({ provider: ProviderName, ok: z.boolean(), reason: z.string() })),
})

export const EngineState = z.enum(['idle', 'starting', 'running', 'failed', 'stopped'])
export type EngineState = z.infer<typeof EngineState>

/** The engine as the settings window shows it: which model, on which provider and why. */
export const EngineStatusInfo = z.object({
  state: EngineState,
  modelId: z.string().nullable(),
  modelName: z.string().nullable(),
  modelInterface: ModelInterfaceKind.nullable(),
  providerPreference: ProviderPreference,
  /** selected provider plus every attempt with its reason (e.g. "webgpu: no adapter") */
  provider: ProviderReport.nullable(),
  /** the ratio actually in use (after 'auto' is resolved); null for segmentation models */
  downsampleRatio: z.number().nullable(),
  framesSubmitted: z.number().int().nonnegative(),
  framesProcessed: z.number().int().nonnegative(),
  framesDropped: z.number().int().nonnegative(),
  framesFailed: z.number().int().nonnegative(),
  lastInferenceMs: z.number().nullable(),
  lastTotalMs: z.number().nullable(),
  lastReset: z.string().nullable(),
  error: ErrorInfoSchema.nullable(),
})
export type EngineStatusInfo = z.infer<typeof EngineStatusInfo>

/**
 * Live numbers for the status line, emitted about once a second while frames flow. Mirrors the
 * frame link's stats (src/main/engine/frame-link.ts FrameLinkStats): rates over the last window,
 * totals since the link opened.
 */
export const PipelineStats = z.object({
  inputFps: z.number().nonnegative(),
  matteFps: z.number().nonnegative(),
  /** fresh (non-fallback) frames per second handed to the virtual camera */
  outputFps: z.number().nonnegative(),
  inferenceMs: z.number().nonnegative().nullable(),
  roundTripMs: z.number().nonnegative().nullable(),
  /** camera capture → frame handed to the virtual camera, mean and p95 */
  endToEndMs: z.number().nullable(),
  endToEndP95Ms: z.number().nullable(),
  framesReceived: z.number().int().nonnegative(),
  mattesSent: z.number().int().nonnegative(),
  framesDropped: z.number().int().nonnegative(),
  framesFailed: z.number().int().nonnegative(),
  framesRejected: z.number().int().nonnegative(),
  outputsWritten: z.number().int().nonnegative(),
  /** output frames that were the privacy frame / last good composite */
  outputsFallback: z.number().int().nonnegative(),
  outputsRejected: z.number().int().nonnegative(),
  lastRejection: z.string().nullable(),
})
export type PipelineStats = z.infer<typeof PipelineStats>

export const VcamState = z.enum(['running', 'ready', 'disabled', 'unsupported', 'module-missing', 'no-device', 'busy', 'permission', 'error'])
export type VcamState = z.infer<typeof VcamState>

export const VcamStatus = z.object({
  state: VcamState,
  /** e.g. /dev/video10 */
  device: z.string().nullable(),
  label: z.string().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  fps: z.number().nullable(),
  /** one sentence for the settings window */
  message: z.string(),
  /** how to fix a setup problem; canRunForUser: vcam.fix can run `command` (with pkexec) */
  fix: z
    .object({ description: z.string(), command: z.string().nullable(), canRunForUser: z.boolean() })
    .nullable(),
})
export type VcamStatus = z.infer<typeof VcamStatus>

export const VcamFixResult = z.object({ ran: z.boolean(), output: z.string(), status: VcamStatus })
export type VcamFixResult = z.infer<typeof VcamFixResult>

export const Notice = z.object({
  id: z.string(),
  level: z.enum(['info', 'warning', 'error']),
  code: z.string().nullable(),
  message: z.string(),
  detail: z.string().nullable(),
})
export type Notice = z.infer<typeof Notice>

export const EffectsToggled = z.object({ enabled: z.boolean(), source: z.enum(['tray', 'shortcut', 'settings']) })
export type EffectsToggled = z.infer<typeof EffectsToggled>

// ---- the contract ----------------------------------------------------------------------

interface InvokeSpec {
  args: z.ZodType<unknown[], unknown[]>
  result: z.ZodType
}

export const Invoke = {
  'app.info': { args: z.tuple([]), result: AppInfo },
  /** shows and focuses the settings window */
  'app.openSettings': { args: z.tuple([]), result: z.null() },
  'app.quit': { args: z.tuple([]), result: z.null() },
  /** notices not yet dismissed, including those raised before the page subscribed (e.g. a corrupt settings file at start) */
  'notices.list': { args: z.tuple([]), result: z.array(Notice) },
  'notices.dismiss': { args: z.tuple([z.string().max(128)]), result: z.null() },

  'settings.get': { args: z.tuple([]), result: Settings },
  'settings.update': { args: z.tuple([SettingsPatch]), result: Settings },
  /** back to defaults; saved backgrounds are kept */
  'settings.reset': { args: z.tuple([]), result: Settings },

  'models.list': { args: z.tuple([]), result: z.array(ModelInfo) },
  /**
   * Resolves when downloaded and verified; progress arrives as models.downloadProgress. The UI
   * shows licenseNotice first; acceptLicense must be true when needsLicenseAcceptance (GPL RVM),
   * else the result is MODEL_LICENSE_NOT_ACCEPTED.
   */
  'models.download': { args: z.tuple([ModelId, z.object({ acceptLicense: z.boolean() }).strict()]), result: ModelInfo },
  'models.cancelDownload': { args: z.tuple([ModelId]), result: z.null() },
  /** opens a file dialog in main (and a license prompt when needed); null when the user cancels */
  'models.import': { args: z.tuple([]), result: ModelInfo.nullable() },
  'models.remove': { args: z.tuple([ModelId]), result: z.null() },

  'backgrounds.list': { args: z.tuple([]), result: z.array(BackgroundInfo) },
  /** opens a file dialog in main (images and videos), copies the file into user-data; null = cancelled */
  'backgrounds.add': { args: z.tuple([]), result: BackgroundInfo.nullable() },
  'backgrounds.remove': { args: z.tuple([BackgroundId]), result: z.null() },

  'vcam.status': { args: z.tuple([]), result: VcamStatus },
  /** runs the setup fix (pkexec modprobe …) after the user confirmed it in the UI */
  'vcam.fix': { args: z.tuple([]), result: VcamFixResult },

  'engine.status': { args: z.tuple([]), result: EngineStatusInfo },
  /** closes and reopens the engine with the current settings */
  'engine.restart': { args: z.tuple([]), result: EngineStatusInfo },
} as const satisfies Record<string, InvokeSpec>

export const Events = {
  'settings.changed': Settings,
  'engine.statusChanged': EngineStatusInfo,
  'pipeline.statsUpdated': PipelineStats,
  'models.downloadProgress': DownloadProgress,
  'effects.toggled': EffectsToggled,
  'vcam.statusChanged': VcamStatus,
  /** something the user should read (e.g. "settings file was corrupt and was replaced; backup at …") */
  notice: Notice,
} as const satisfies Record<string, z.ZodType>

// ---- derived types ---------------------------------------------------------------------

export type InvokeMap = typeof Invoke
export type InvokeName = keyof InvokeMap
export type EventMap = typeof Events
export type EventName = keyof EventMap

// the zod-free name lists (ipc-names.ts, used by the preload) must match the maps exactly
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const namesMatch: { invoke: Same<InvokeName, InvokeNameList>; events: Same<EventName, EventNameList> } = { invoke: true, events: true }
void namesMatch

/** What the caller passes (zod input types). */
export type InvokeArgs<K extends InvokeName> = z.input<InvokeMap[K]['args']>
/** What comes back on success (zod output types). */
export type InvokeValue<K extends InvokeName> = z.output<InvokeMap[K]['result']>
export type EventPayload<E extends EventName> = z.output<EventMap[E]>

export type IpcFailureCode = ErrorInfoPayload['code']
export interface IpcFailure {
  ok: false
  code: IpcFailureCode
  message: string
  hints?: string[]
}
export type IpcResult<T> = { ok: true; value: T } | IpcFailure

type DomainOf<K> = K extends `${infer D}.${string}` ? D : never
type VerbOf<K, D extends string> = K extends `${D}.${infer V}` ? V : never
export type InvokeDomain = DomainOf<InvokeName>

/** window.portseg's generated part: `portseg.settings.update(patch)` for 'settings.update'. */
export type InvokeApi = {
  [D in InvokeDomain]: {
    [K in InvokeName as VerbOf<K, D>]: (...args: InvokeArgs<K>) => Promise<IpcResult<InvokeValue<K>>>
  }
}

/** The whole `window.portseg` (typed for the renderer in src/preload/index.d.ts). */
export type PortsegBridge = InvokeApi & {
  /** Subscribes to a main → renderer event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void
  /** Asks main for a frame port; it arrives as a window message (see FRAMES). */
  frames: { connect(): void }
}
