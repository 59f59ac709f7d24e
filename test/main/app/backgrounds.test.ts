import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BackgroundsService, sniffMedia } from '../../../src/main/app/backgrounds.js'
import { serveMedia } from '../../../src/main/app/media-protocol.js'
import { SettingsStore } from '../../../src/main/app/settings-store.js'
import { sharedFile } from '../../support/paths.js'

let dir: string
let store: SettingsStore
let svc: BackgroundsService
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'portseg-bg-'))
  store = await SettingsStore.open({ dir, debounceMs: 10 })
  svc = new BackgroundsService({ dir: path.join(dir, 'backgrounds'), store })
})
afterEach(async () => {
  await store.close()
  await rm(dir, { recursive: true, force: true })
})

const get = (url: string, range?: string) => serveMedia({ url, headers: new Headers(range ? { range } : {}) }, (id) => svc.fileFor(id))

describe('backgrounds', () => {
  it('copies a real image and a real video into user-data, by content type', async () => {
    const img = await svc.add(sharedFile('media', 'portrait', 'portrait.jpg'))
    const vid = await svc.add(sharedFile('media', 'video', 'd0.mp4'))
    expect(img).toMatchObject({ kind: 'image', name: 'portrait' })
    expect(vid).toMatchObject({ kind: 'video', name: 'd0' })
    expect((await readdir(path.join(dir, 'backgrounds'))).sort()).toEqual([`${img.id}.jpeg`, `${vid.id}.mp4`].sort())
    expect(store.get().savedBackgrounds.map((b) => b.id)).toEqual([img.id, vid.id])
  })

  it('refuses files that are not images or videos, whatever their name', async () => {
    const fake = path.join(dir, 'holiday.jpg')
    await writeFile(fake, '#!/bin/sh\necho not a picture\n')
    await expect(svc.add(fake)).rejects.toMatchObject({ code: 'BACKGROUND_INVALID', message: `Cannot use ${fake} as a background: it is not an image or video we can show.` })
    await expect(svc.add(path.join(dir, 'missing.png'))).rejects.toMatchObject({ code: 'BACKGROUND_INVALID', message: `Cannot use ${path.join(dir, 'missing.png')} as a background: it could not be read (ENOENT).` })
    await expect(svc.add(sharedFile('media', 'video', 'CiscoVT2people_160x96_6fps.yuv'))).rejects.toMatchObject({ code: 'BACKGROUND_INVALID' })
    expect(store.get().savedBackgrounds).toEqual([])
  })

  it('serves saved files by id only, with byte ranges for video', async () => {
    const vid = await svc.add(sharedFile('media', 'video', 'd0.mp4'))
    const full = await get(vid.url)
    expect(full.status).toBe(200)
    expect(full.headers.get('content-type')).toBe('video/mp4')
    const size = Number(full.headers.get('content-length'))
    expect((await full.arrayBuffer()).byteLength).toBe(size)
    const part = await get(vid.url, 'bytes=100-199')
    expect(part.status).toBe(206)
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${size}`)
    expect((await part.arrayBuffer()).byteLength).toBe(100)
    expect((await get(vid.url, `bytes=${size + 10}-`)).status).toBe(416)
    expect((await get('portseg-media://backgrounds/..%2F..%2Fsettings.json')).status).toBe(404)
    expect((await get('portseg-media://elsewhere/x')).status).toBe(404)
  })

  it('removing the background in use switches to blur and deletes our copy', async () => {
    const img = await svc.add(sharedFile('media', 'portrait', 'portrait.jpg'))
    store.update({ background: { kind: 'image', imageId: img.id } })
    await svc.remove(img.id)
    expect(store.get().background).toMatchObject({ kind: 'blur', imageId: null })
    expect(await readdir(path.join(dir, 'backgrounds'))).toEqual([])
    await expect(svc.remove(img.id)).rejects.toMatchObject({ code: 'BAD_ARGUMENT' })
  })

  it('sniffs formats from magic bytes', () => {
    const bytes = (s: string, at = 0) => { const b = new Uint8Array(16); for (let i = 0; i < s.length; i++) b[at + i] = s.charCodeAt(i); return b }
    expect(sniffMedia(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toEqual({ kind: 'image', format: 'png' })
    expect(sniffMedia(Uint8Array.from([0x1a, 0x45, 0xdf, 0xa3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toEqual({ kind: 'video', format: 'webm' })
    expect(sniffMedia(bytes('OggS'))).toEqual({ kind: 'video', format: 'ogv' })
    expect(sniffMedia(bytes('<svg'))).toBeNull()
  })
})
