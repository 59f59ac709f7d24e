/**
 * The user's background images and videos (Electron-free). Files the user picks are checked by
 * their content and copied into user-data/backgrounds, so moving or deleting the original
 * never breaks a saved background, and the renderer only ever sees ids and media URLs.
 */
import { randomUUID } from 'node:crypto'
import { copyFile, mkdir, open, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { PortsegError } from '../../shared/errors.js'
import type { BackgroundInfo } from '../../shared/ipc.js'
import type { SavedBackground } from '../../shared/settings.js'
import { MEDIA_SCHEME } from './security-policy.js'
import type { SettingsStore } from './settings-store.js'

export const MAX_IMAGE_BYTES = 64 * 1024 * 1024
export const MAX_VIDEO_BYTES = 2 * 1024 * 1024 * 1024

export const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'gif', 'bmp', 'avif']
export const VIDEO_EXTENSIONS = ['mp4', 'm4v', 'webm', 'mkv', 'mov', 'ogv']

export function backgroundUrl(id: string): string {
  return `${MEDIA_SCHEME}://backgrounds/${encodeURIComponent(id)}`
}

/** What the file's first bytes say it is (extensions lie). */
export function sniffMedia(head: Uint8Array): { kind: 'image' | 'video'; format: string } | null {
  const ascii = (from: number, to: number): string => String.fromCharCode(...head.subarray(from, to))
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return { kind: 'image', format: 'jpeg' }
  if (head[0] === 0x89 && ascii(1, 4) === 'PNG') return { kind: 'image', format: 'png' }
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return { kind: 'image', format: 'webp' }
  if (ascii(0, 4) === 'GIF8') return { kind: 'image', format: 'gif' }
  if (ascii(0, 2) === 'BM') return { kind: 'image', format: 'bmp' }
  if (ascii(4, 8) === 'ftyp') {
    const brand = ascii(8, 12)
    if (brand === 'avif' || brand === 'avis') return { kind: 'image', format: 'avif' }
    return { kind: 'video', format: brand.startsWith('qt') ? 'mov' : 'mp4' }
  }
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return { kind: 'video', format: 'webm' }
  if (ascii(0, 4) === 'OggS') return { kind: 'video', format: 'ogv' }
  return null
}

export interface BackgroundsServiceOptions {
  /** user-data/backgrounds */
  dir: string
  store: SettingsStore
  /** The URL the renderer loads a background from (the app: portseg-media://…; tests: anything). */
  urlFor?: (id: string) => string
}

export class BackgroundsService {
  readonly #options: BackgroundsServiceOptions

  constructor(options: BackgroundsServiceOptions) {
    this.#options = options
  }

  list(): BackgroundInfo[] {
    const urlFor = this.#options.urlFor ?? backgroundUrl
    return this.#options.store.get().savedBackgrounds.map((b) => ({ id: b.id, kind: b.kind, name: b.name, url: urlFor(b.id) }))
  }

  /** The file behind an id, only if it lies inside our folder (for the media protocol). */
  fileFor(id: string): SavedBackground | null {
    const entry = this.#options.store.get().savedBackgrounds.find((b) => b.id === id)
    if (entry === undefined) return null
    const rel = path.relative(this.#options.dir, entry.path)
    return rel.startsWith('..') || path.isAbsolute(rel) ? null : entry
  }

  /** Checks and copies a user's file; refuses anything that isn't a supported image or video. */
  async add(source: string): Promise<BackgroundInfo> {
    const refuse = (why: string, hints: string[] = []): PortsegError =>
      new PortsegError('BACKGROUND_INVALID', `Cannot use ${source} as a background: ${why}.`, { hints })
    let size: number
    try {
      const st = await stat(source)
      if (!st.isFile()) throw refuse('it is not a file')
      size = st.size
    } catch (e) {
      if (e instanceof PortsegError) throw e
      throw refuse(`it could not be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`)
    }
    const head = new Uint8Array(16)
    const handle = await open(source, 'r')
    try {
      await handle.read(head, 0, 16, 0)
    } finally {
      await handle.close()
    }
    const media = sniffMedia(head)
    if (media === null) throw refuse('it is not an image or video we can show', [`Use an image (${IMAGE_EXTENSIONS.join(', ')}) or a video (${VIDEO_EXTENSIONS.join(', ')}).`])
    const limit = media.kind === 'image' ? MAX_IMAGE_BYTES : MAX_VIDEO_BYTES
    if (size > limit) throw refuse(`it is ${(size / 1e6).toFixed(0)} MB; ${media.kind}s may be at most ${(limit / 1e6).toFixed(0)} MB`)

    const id = `${media.kind}-${randomUUID().slice(0, 12)}`
    await mkdir(this.#options.dir, { recursive: true })
    const dest = path.join(this.#options.dir, `${id}.${media.format}`)
    await copyFile(source, dest)
    const name = path.basename(source, path.extname(source)).slice(0, 200) || id
    const entry: SavedBackground = { id, kind: media.kind, name, path: dest }
    const s = this.#options.store.get()
    try {
      this.#options.store.replace({ ...s, savedBackgrounds: [...s.savedBackgrounds, entry] })
    } catch (e) {
      await rm(dest, { force: true })
      throw e
    }
    return { id, kind: entry.kind, name, url: (this.#options.urlFor ?? backgroundUrl)(id) }
  }

  /** Forgets a background and deletes our copy; if it was in use, the background becomes blur. */
  async remove(id: string): Promise<void> {
    const s = this.#options.store.get()
    const entry = s.savedBackgrounds.find((b) => b.id === id)
    if (entry === undefined) throw new PortsegError('BAD_ARGUMENT', `backgrounds.remove: id must name a saved background (got ${JSON.stringify(id)})`)
    const inUse = (s.background.kind === 'image' && s.background.imageId === id) || (s.background.kind === 'video' && s.background.videoId === id)
    this.#options.store.replace({
      ...s,
      savedBackgrounds: s.savedBackgrounds.filter((b) => b.id !== id),
      background: {
        ...s.background,
        ...(inUse ? { kind: 'blur' as const } : {}),
        imageId: s.background.imageId === id ? null : s.background.imageId,
        videoId: s.background.videoId === id ? null : s.background.videoId,
      },
    })
    // delete only our own copy, never a file elsewhere that a hand-edited settings file points at
    if (path.dirname(path.resolve(entry.path)) === path.resolve(this.#options.dir)) await rm(entry.path, { force: true })
  }
}
