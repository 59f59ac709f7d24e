import { describe, expect, it } from 'vitest'
import { applySettingsPatch, DEFAULT_SETTINGS, repairSettings, Settings, SettingsPatch, settingsProblem } from '../../src/shared/settings.js'

describe('settings schema', () => {
  it('has valid defaults: 720p30, the built-in model, blur', () => {
    expect(Settings.parse(DEFAULT_SETTINGS)).toEqual(DEFAULT_SETTINGS)
    expect(DEFAULT_SETTINGS.output).toBe('720p30')
    expect(DEFAULT_SETTINGS.modelId).toBe('mediapipe-selfie-landscape')
    expect(DEFAULT_SETTINGS.shortcut).toBe('CommandOrControl+Shift+E')
  })

  it('accepts a deep partial patch and merges nested objects one level deep', () => {
    const patch = SettingsPatch.parse({ edge: { feather: 80 }, background: { kind: 'color', color: '#ff0000' } })
    const next = applySettingsPatch(DEFAULT_SETTINGS, patch)
    expect(next.edge).toEqual({ ...DEFAULT_SETTINGS.edge, feather: 80 })
    expect(next.background).toEqual({ ...DEFAULT_SETTINGS.background, kind: 'color', color: '#ff0000' })
    expect(next.blurStrength).toBe(DEFAULT_SETTINGS.blurStrength)
    // an empty patch changes nothing (no zod defaults sneak in)
    expect(applySettingsPatch(DEFAULT_SETTINGS, SettingsPatch.parse({}))).toEqual(DEFAULT_SETTINGS)
  })

  it('rejects bad values in a patch', () => {
    for (const bad of [{ blurStrength: -1 }, { output: '4k' }, { downsampleRatio: 0 }, { downsampleRatio: 1.5 }, { shortcut: 'rm -rf' }, { background: { color: 'red' } }, { extra: true }]) {
      expect(SettingsPatch.safeParse(bad).success, JSON.stringify(bad)).toBe(false)
    }
  })

  it('flags a background that names no saved background', () => {
    const s = applySettingsPatch(DEFAULT_SETTINGS, { background: { kind: 'image', imageId: 'nope' } })
    expect(settingsProblem(s)).toBe('background.imageId must name a saved image background (got "nope")')
    expect(settingsProblem(DEFAULT_SETTINGS)).toBeNull()
  })

  it('repairs stored JSON key by key and keeps unknown keys', () => {
    const r = repairSettings({ blurStrength: 'lots', output: '1080p30', edge: { feather: 999, contrast: 10 }, futureKey: { a: 1 }, savedBackgrounds: [{ id: 'x', kind: 'image', name: 'X', path: '/p' }, { id: '../bad' }] })
    expect(r.settings.blurStrength).toBe(DEFAULT_SETTINGS.blurStrength)
    expect(r.settings.output).toBe('1080p30')
    expect(r.settings.edge).toEqual({ feather: DEFAULT_SETTINGS.edge.feather, contrast: 10, lightWrap: DEFAULT_SETTINGS.edge.lightWrap })
    expect(r.settings.savedBackgrounds).toEqual([{ id: 'x', kind: 'image', name: 'X', path: '/p' }])
    expect(r.resetKeys.sort()).toEqual(['blurStrength', 'edge.feather', 'savedBackgrounds'])
    expect(r.unknown).toEqual({ futureKey: { a: 1 } })
    expect(Settings.safeParse(r.settings).success).toBe(true)
  })

  it('turns non-objects into defaults', () => {
    expect(repairSettings(null).settings).toEqual(DEFAULT_SETTINGS)
    expect(repairSettings([1, 2]).settings).toEqual(DEFAULT_SETTINGS)
  })
})
