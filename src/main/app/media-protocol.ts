/**
 * portseg-media://backgrounds/<id>: serves the user's saved backgrounds to the page, only files
 * inside user-data/backgrounds, looked up by id (the page never names a path). Byte ranges are
 * honoured so <video> can seek and loop.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import type { SavedBackground } from '../../shared/settings.js'
import { MEDIA_SCHEME } from './security-policy.js'

const TYPES: Record<string, string> = {
  '.jpeg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp', '.gif': 'image/gif', '.bmp': 'image/bmp', '.avif': 'image/avif',
  '.mp4': 'video/mp4', '.mov': 'video/quicktime', '.webm': 'video/webm', '.ogv': 'video/ogg',
}

/** For protocol.registerSchemesAsPrivileged, before app 'ready'. */
export const MEDIA_SCHEME_PRIVILEGES = {
  scheme: MEDIA_SCHEME,
  // corsEnabled + Access-Control-Allow-Origin: WebGL may upload the pixels (crossOrigin='anonymous')
  privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true, corsEnabled: true },
}

export async function serveMedia(request: { url: string; headers: Headers }, lookup: (id: string) => SavedBackground | null): Promise<Response> {
  const notFound = (why: string): Response => new Response(why, { status: 404, headers: { 'content-type': 'text/plain' } })
  let url: URL
  try {
    url = new URL(request.url)
  } catch {
    return notFound('bad url')
  }
  if (url.host !== 'backgrounds') return notFound('unknown folder')
  const id = decodeURIComponent(url.pathname.replace(/^\//, ''))
  const entry = lookup(id)
  if (entry === null) return notFound(`no background ${id}`)
  let size: number
  try {
    size = (await stat(entry.path)).size
  } catch {
    return notFound(`background ${id} is missing on disk`)
  }
  const headers: Record<string, string> = {
    'content-type': TYPES[path.extname(entry.path).toLowerCase()] ?? 'application/octet-stream',
    'accept-ranges': 'bytes',
    'access-control-allow-origin': '*',
    'cache-control': 'no-cache',
  }
  const range = /^bytes=(\d*)-(\d*)$/.exec(request.headers.get('range') ?? '')
  if (range && (range[1] !== '' || range[2] !== '')) {
    const start = range[1] === '' ? Math.max(0, size - Number(range[2])) : Number(range[1])
    const end = range[1] === '' || range[2] === '' ? size - 1 : Math.min(size - 1, Number(range[2]))
    if (start > end || start >= size) return new Response(null, { status: 416, headers: { ...headers, 'content-range': `bytes */${size}` } })
    const body = Readable.toWeb(createReadStream(entry.path, { start, end })) as ReadableStream<Uint8Array>
    return new Response(body, { status: 206, headers: { ...headers, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': String(end - start + 1) } })
  }
  const body = Readable.toWeb(createReadStream(entry.path)) as ReadableStream<Uint8Array>
  return new Response(body, { status: 200, headers: { ...headers, 'content-length': String(size) } })
}
