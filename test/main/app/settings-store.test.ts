import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Notice } from '../../../src/shared/ipc.js'
import { DEFAULT_SETTINGS } from '../../../src/shared/settings.js'
import { SettingsStore } from '../../../src/main/app/settings-store.js'
import { writeFileAtomic } from '../../../src/main/app/atomic-file.js'

let dir: string
let notices: Notice[]
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'portseg-settings-'))
  notices = []
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const open = (extra: Partial<Parameters<typeof SettingsStore.open>[0]> = {}): Promise<SettingsStore> =>
  SettingsStore.open({ dir, debounceMs: 20, onNotice: (n) => notices.push(n), now: () => new Date('2026-01-02T03:04:05.678Z'), ...extra })
const readJson = async (): Promise<Record<string, unknown>> => JSON.parse(await readFile(path.join(dir, 'settings.json'), 'utf8')) as Record<string, unknown>

describe('SettingsStore', () => {
  it('creates the file with defaults on first start and persists changes across restarts', async () => {
    const a = await open()
    expect(a.get()).toEqual(DEFAULT_SETTINGS)
    expect(await readJson()).toEqual(DEFAULT_SETTINGS)
    a.update({ blurStrength: 80, edge: { feather: 5 } })
    a.update({ output: '1080p30' })
    await a.close()
    const b = await open()
    expect(b.get().blurStrength).toBe(80)
    expect(b.get().edge.feather).toBe(5)
    expect(b.get().output).toBe('1080p30')
    expect(notices).toEqual([])
  })

  it('debounces: many updates, one write after the delay', async () => {
    const s = await open({ debounceMs: 50 })
    for (let v = 0; v <= 100; v += 10) s.update({ blurStrength: v })
    expect((await readJson()).blurStrength).toBe(DEFAULT_SETTINGS.blurStrength)
    await new Promise((r) => setTimeout(r, 150))
    expect((await readJson()).blurStrength).toBe(100)
    await s.close()
  })

  it('survives a crash between the temp write and the rename: the old file is intact', async () => {
    const s = await open()
    s.update({ blurStrength: 11 })
    await s.flush()
    const before = await readFile(path.join(dir, 'settings.json'), 'utf8')
    const crashing = await open({ writeHooks: { beforeRename: () => { throw new Error('simulated power cut') } } })
    crashing.update({ blurStrength: 99 })
    await crashing.flush()
    expect(await readFile(path.join(dir, 'settings.json'), 'utf8')).toBe(before)
    expect(notices.map((n) => n.code)).toEqual(['SETTINGS_WRITE_FAILED'])
    expect(notices[0]!.message).toMatch(/^Could not save your settings to .*settings\.json \(simulated power cut\)/)
    // a temp file left by a real crash is cleared on the next start and never read
    await writeFile(path.join(dir, 'settings.json.tmp-123-1'), '{"blurStrength": 1')
    const after = await open()
    expect(after.get().blurStrength).toBe(11)
    expect((await readdir(dir)).filter((n) => n.includes('.tmp-'))).toEqual([])
  })

  it('writeFileAtomic leaves no temp file behind when the rename fails', async () => {
    const target = path.join(dir, 'x.json')
    await writeFile(target, 'old')
    await expect(writeFileAtomic(target, 'new', { beforeRename: () => { throw new Error('boom') } })).rejects.toThrow('boom')
    expect(await readFile(target, 'utf8')).toBe('old')
    expect(await readdir(dir)).toEqual(['x.json'])
  })

  it('backs up a corrupt file, starts from defaults and says where the backup is', async () => {
    await writeFile(path.join(dir, 'settings.json'), '{"blurStrength": 70, ')
    const s = await open()
    expect(s.get()).toEqual(DEFAULT_SETTINGS)
    const backup = path.join(dir, 'settings.json.corrupt-2026-01-02T03-04-05-678Z')
    expect(await readFile(backup, 'utf8')).toBe('{"blurStrength": 70, ')
    expect(notices).toHaveLength(1)
    expect(notices[0]).toMatchObject({ level: 'warning', code: 'SETTINGS_INVALID', message: `Your settings file was corrupt and was replaced with defaults; the old file is kept at ${backup}.` })
    expect(await readJson()).toEqual(DEFAULT_SETTINGS)
  })

  it('resets only invalid values, keeps the rest and keys from a newer version', async () => {
    await writeFile(path.join(dir, 'settings.json'), JSON.stringify({ blurStrength: 250, mirrorPreview: false, output: '720p60', newerFeature: { x: 1 } }))
    const s = await open()
    expect(s.get().blurStrength).toBe(DEFAULT_SETTINGS.blurStrength)
    expect(s.get().mirrorPreview).toBe(false)
    expect(s.get().output).toBe('720p60')
    expect(notices[0]!.message).toBe(`Some settings were invalid and were reset to their defaults: blurStrength. The old file is kept at ${path.join(dir, 'settings.json.invalid-2026-01-02T03-04-05-678Z')}.`)
    s.update({ blurStrength: 40 })
    await s.close()
    expect(await readJson()).toMatchObject({ blurStrength: 40, mirrorPreview: false, newerFeature: { x: 1 } })
  })

  it('refuses an inconsistent change with SETTINGS_INVALID and keeps the old settings', async () => {
    const s = await open()
    expect(() => s.update({ background: { kind: 'image', imageId: 'missing' } })).toThrow(expect.objectContaining({ code: 'SETTINGS_INVALID', message: 'Settings were not changed: background.imageId must name a saved image background (got "missing").' }))
    expect(s.get().background.kind).toBe('blur')
    await s.close()
    expect(() => s.update({ blurStrength: 1 })).toThrow(expect.objectContaining({ code: 'SETTINGS_WRITE_FAILED' }))
  })

  it('tells listeners about real changes only', async () => {
    const s = await open()
    const seen: number[] = []
    s.onChange((next) => seen.push(next.blurStrength))
    s.update({ blurStrength: 10 })
    s.update({ blurStrength: 10 })
    s.update({ blurStrength: 20 })
    expect(seen).toEqual([10, 20])
    await s.close()
  })
})
