import { z } from 'zod'

/**
 * The app's settings: one schema shared by main (persistence, tray), preload and renderer.
 * Schemas carry no zod defaults on purpose: zod 4 applies defaults inside optional fields, which
 * would turn an empty patch into "reset everything". Defaults live in DEFAULT_SETTINGS instead.
 */

export const SETTINGS_SCHEMA_VERSION = 1

/** Copied from the engine's registry (DEFAULT_MODEL_ID): src/shared must not import the engine. */
export const DEFAULT_MODEL_ID = 'mediapipe-selfie-landscape'
export const DEFAULT_SHORTCUT = 'CommandOrControl+Shift+E'

export const OUTPUT_MODES = {
  '480p30': { width: 640, height: 480, fps: 30 },
  '720p30': { width: 1280, height: 720, fps: 30 },
  '720p60': { width: 1280, height: 720, fps: 60 },
  '1080p30': { width: 1920, height: 1080, fps: 30 },
  '1080p60': { width: 1920, height: 1080, fps: 60 },
} as const
export const OutputMode = z.enum(Object.keys(OUTPUT_MODES) as [keyof typeof OUTPUT_MODES, ...(keyof typeof OUTPUT_MODES)[]])
export type OutputMode = z.infer<typeof OutputMode>

export function outputModeSize(mode: OutputMode): { width: number; height: number; fps: number } {
  return OUTPUT_MODES[mode]
}

/** How the camera frame is fitted into the output size: never stretched. */
export const OutputFit = z.enum(['crop', 'pad'])
export type OutputFit = z.infer<typeof OutputFit>

export const ProviderPreference = z.enum(['auto', 'cuda', 'dml', 'coreml', 'webgpu', 'cpu'])
export type ProviderPreference = z.infer<typeof ProviderPreference>

/** 'auto' follows RVM's rule (downsampled long side ≈ 512 px); numbers are in (0, 1]. */
export const DownsampleRatioSetting = z.union([z.literal('auto'), z.number().gt(0).lte(1)])
export type DownsampleRatioSetting = z.infer<typeof DownsampleRatioSetting>

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'an id of letters, digits, . _ -')
const percent = z.number().min(0).max(100)

export const BackgroundKind = z.enum(['none', 'blur', 'image', 'video', 'color'])
export type BackgroundKind = z.infer<typeof BackgroundKind>

export const HexColor = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour like #1e90ff')

export const BackgroundFields = {
  kind: BackgroundKind,
  /** id of a savedBackgrounds entry of kind 'image' */
  imageId: id.nullable(),
  /** id of a savedBackgrounds entry of kind 'video' */
  videoId: id.nullable(),
  color: HexColor,
}
export const BackgroundSetting = z.object(BackgroundFields)
export type BackgroundSetting = z.infer<typeof BackgroundSetting>

/** Edge controls, 0–100 each: feather softens, contrast hardens the alpha ramp, lightWrap bleeds background light onto the edge. */
export const EdgeFields = { feather: percent, contrast: percent, lightWrap: percent }
export const EdgeSetting = z.object(EdgeFields)
export type EdgeSetting = z.infer<typeof EdgeSetting>

export const CameraFields = {
  /** MediaDeviceInfo.deviceId; null = the system default camera */
  deviceId: z.string().max(512).nullable(),
  /** Last known label, to find the camera again when its deviceId changes (it does across reinstalls). */
  label: z.string().max(256).nullable(),
}
export const CameraSetting = z.object(CameraFields)
export type CameraSetting = z.infer<typeof CameraSetting>

export const VcamFields = {
  enabled: z.boolean(),
  /** A device path (/dev/video10) or card label; null = the device labelled "PortSeg Camera". */
  device: z.string().max(256).nullable(),
}
export const VcamSetting = z.object(VcamFields)
export type VcamSetting = z.infer<typeof VcamSetting>

/** A user's image or video, copied by the main process into user-data (path is main's business). */
export const SavedBackground = z.object({
  id,
  kind: z.enum(['image', 'video']),
  name: z.string().min(1).max(256),
  path: z.string().min(1).max(4096),
})
export type SavedBackground = z.infer<typeof SavedBackground>

/** Electron accelerator, e.g. CommandOrControl+Shift+E ('' = no shortcut). */
export const Accelerator = z
  .string()
  .max(64)
  .regex(/^$|^((CommandOrControl|CmdOrCtrl|Command|Cmd|Control|Ctrl|Alt|Option|AltGr|Shift|Super|Meta)\+)+[A-Za-z0-9]$|^((CommandOrControl|CmdOrCtrl|Command|Cmd|Control|Ctrl|Alt|Option|AltGr|Shift|Super|Meta)\+)*F([1-9]|1[0-9]|2[0-4])$/, 'an accelerator like CommandOrControl+Shift+E')

export const SettingsFields = {
  schemaVersion: z.number().int().min(1),
  camera: CameraSetting,
  output: OutputMode,
  outputFit: OutputFit,
  /** a registry id (never a path: the renderer must not make main read arbitrary files) */
  modelId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a model id like mediapipe-selfie-landscape'),
  provider: ProviderPreference,
  downsampleRatio: DownsampleRatioSetting,
  effectsEnabled: z.boolean(),
  background: BackgroundSetting,
  blurStrength: percent,
  edge: EdgeSetting,
  mirrorPreview: z.boolean(),
  savedBackgrounds: z.array(SavedBackground).max(500),
  vcam: VcamSetting,
  startAtLogin: z.boolean(),
  shortcut: Accelerator,
}
export const Settings = z.object(SettingsFields)
export type Settings = z.infer<typeof Settings>
export type SettingsKey = keyof Settings

export const DEFAULT_SETTINGS: Settings = Object.freeze({
  schemaVersion: SETTINGS_SCHEMA_VERSION,
  camera: { deviceId: null, label: null },
  output: '720p30',
  outputFit: 'crop',
  modelId: DEFAULT_MODEL_ID,
  provider: 'auto',
  downsampleRatio: 'auto',
  effectsEnabled: true,
  background: { kind: 'blur', imageId: null, videoId: null, color: '#1e7a4f' },
  blurStrength: 50,
  edge: { feather: 30, contrast: 50, lightWrap: 20 },
  mirrorPreview: true,
  savedBackgrounds: [],
  vcam: { enabled: true, device: null },
  startAtLogin: false,
  shortcut: DEFAULT_SHORTCUT,
}) as Settings

/** Blur presets offered by the tray (blurStrength values). */
export const BLUR_PRESETS = { light: 25, medium: 50, strong: 85 } as const
export type BlurPreset = keyof typeof BLUR_PRESETS

/**
 * What the renderer may change. Nested objects are partial too. savedBackgrounds is absent on
 * purpose: it holds file paths, which only the main process writes (backgrounds.add/remove).
 */
export const SettingsPatch = z
  .object({
    camera: CameraSetting.partial(),
    output: OutputMode,
    outputFit: OutputFit,
    modelId: SettingsFields.modelId,
    provider: ProviderPreference,
    downsampleRatio: DownsampleRatioSetting,
    effectsEnabled: z.boolean(),
    background: BackgroundSetting.partial(),
    blurStrength: percent,
    edge: EdgeSetting.partial(),
    mirrorPreview: z.boolean(),
    vcam: VcamSetting.partial(),
    startAtLogin: z.boolean(),
    shortcut: Accelerator,
  })
  .partial()
  .strict()
export type SettingsPatch = z.input<typeof SettingsPatch>

const NESTED = ['camera', 'background', 'edge', 'vcam'] as const

/** Applies a (validated) patch: nested objects merge one level deep, everything else replaces. */
export function applySettingsPatch(current: Settings, patch: SettingsPatch): Settings {
  const next: Record<string, unknown> = { ...current }
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue
    next[key] = (NESTED as readonly string[]).includes(key) ? { ...(current[key as (typeof NESTED)[number]] as object), ...(value as object) } : value
  }
  return next as Settings
}

/**
 * Cross-field checks a schema can't express. Returns a sentence for the user, or null.
 * A background that points at a missing saved background is the one that matters.
 */
export function settingsProblem(s: Settings): string | null {
  const bg = s.background
  const find = (bgId: string | null, kind: 'image' | 'video'): boolean => bgId !== null && s.savedBackgrounds.some((b) => b.id === bgId && b.kind === kind)
  if (bg.kind === 'image' && !find(bg.imageId, 'image')) return `background.imageId must name a saved image background (got ${JSON.stringify(bg.imageId)})`
  if (bg.kind === 'video' && !find(bg.videoId, 'video')) return `background.videoId must name a saved video background (got ${JSON.stringify(bg.videoId)})`
  return null
}

export interface RepairedSettings {
  settings: Settings
  /** Dotted keys whose stored value was missing or invalid and fell back to the default. */
  resetKeys: string[]
  /** Top-level keys this version doesn't know (a newer version wrote them); kept on save. */
  unknown: Record<string, unknown>
}

/**
 * Reads settings from untrusted JSON (a file from disk): each key that is invalid falls back to
 * its default on its own, so one bad value never costs the user the rest of their settings.
 */
export function repairSettings(raw: unknown): RepairedSettings {
  const input = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {}
  const out: Record<string, unknown> = {}
  const resetKeys: string[] = []
  const unknown: Record<string, unknown> = {}
  for (const key of Object.keys(input)) if (!(key in SettingsFields)) unknown[key] = input[key]

  for (const [key, schema] of Object.entries(SettingsFields)) {
    const value = input[key]
    const fallback = (DEFAULT_SETTINGS as Record<string, unknown>)[key]
    if (key === 'savedBackgrounds') {
      // keep each valid entry; drop only the broken ones
      const list: unknown[] = Array.isArray(value) ? value : []
      const kept = list.flatMap((b) => {
        const r = SavedBackground.safeParse(b)
        return r.success ? [r.data] : []
      })
      if (value !== undefined && (!Array.isArray(value) || kept.length !== list.length)) resetKeys.push(key)
      out[key] = kept
      continue
    }
    if ((NESTED as readonly string[]).includes(key) && fallback !== null && typeof fallback === 'object') {
      const nested = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
      if (value !== undefined && nested !== value) resetKeys.push(key)
      const shape = (schema as z.ZodObject).shape as Record<string, z.ZodType>
      const merged: Record<string, unknown> = {}
      for (const [sub, subSchema] of Object.entries(shape)) {
        const r = subSchema.safeParse(nested[sub])
        if (r.success) merged[sub] = r.data
        else {
          merged[sub] = (fallback as Record<string, unknown>)[sub]
          if (sub in nested) resetKeys.push(`${key}.${sub}`)
        }
      }
      out[key] = merged
      continue
    }
    const r = (schema as z.ZodType).safeParse(value)
    if (r.success) out[key] = r.data
    else {
      out[key] = fallback
      if (value !== undefined) resetKeys.push(key)
    }
  }
  const settings = out as Settings
  settings.schemaVersion = SETTINGS_SCHEMA_VERSION
  // a background that points at a removed file falls back to blur rather than failing later
  if (settingsProblem(settings) !== null) {
    settings.background = { ...settings.background, kind: 'blur' }
    resetKeys.push('background.kind')
  }
  return { settings, resetKeys, unknown }
}
