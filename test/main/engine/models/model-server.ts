// A real HTTP server on 127.0.0.1 that serves model bytes the way release hosts do (Range, redirects)
// and misbehaves on request (cut connections, stalls, errors), for the downloader tests.
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export type Behaviour =
  | { kind: 'ok' }
  /** Ignores Range: always 200 with the whole body. */
  | { kind: 'no-range' }
  /** The first `times` requests send `afterBytes` bytes and then drop the connection. */
  | { kind: 'cut'; afterBytes: number; times: number }
  /** Sends headers and `afterBytes` bytes, then nothing (the socket stays open). */
  | { kind: 'stall'; afterBytes: number }
  | { kind: 'status'; status: number }
  | { kind: 'redirect'; to: string }

export interface ServedFile {
  body: Uint8Array
  behaviour: Behaviour
  /** Bytes per write; small chunks give the progress callback something to report. */
  chunkBytes?: number
}

export interface RequestLog {
  path: string
  range: string | undefined
}

export interface ModelServer {
  baseUrl: string
  requests: RequestLog[]
  files: Map<string, ServedFile>
  close(): Promise<void>
}

export async function startModelServer(files: Record<string, ServedFile>): Promise<ModelServer> {
  const map = new Map(Object.entries(files))
  const requests: RequestLog[] = []
  const cutCounts = new Map<string, number>()
  const sockets = new Set<import('node:net').Socket>()
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    requests.push({ path: url.pathname, range: req.headers.range })
    const file = map.get(url.pathname)
    if (file === undefined) {
      res.writeHead(404).end('not found')
      return
    }
    const b = file.behaviour
    if (b.kind === 'status') {
      res.writeHead(b.status).end(`status ${b.status}`)
      return
    }
    if (b.kind === 'redirect') {
      res.writeHead(302, { location: b.to }).end()
      return
    }
    const total = file.body.byteLength
    let start = 0
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '')
    if (m !== null && b.kind !== 'no-range') {
      start = Number(m[1])
      if (start >= total) {
        res.writeHead(416, { 'content-range': `bytes */${total}` }).end()
        return
      }
      res.writeHead(206, { 'content-length': String(total - start), 'content-range': `bytes ${start}-${total - 1}/${total}`, 'accept-ranges': 'bytes' })
    } else {
      res.writeHead(200, { 'content-length': String(total), 'accept-ranges': 'bytes' })
    }
    const body = file.body.subarray(start)
    let limit = body.byteLength
    let after: 'end' | 'cut' | 'stall' = 'end'
    if (b.kind === 'cut') {
      const n = cutCounts.get(url.pathname) ?? 0
      if (n < b.times) {
        cutCounts.set(url.pathname, n + 1)
        limit = Math.min(limit, b.afterBytes)
        after = 'cut'
      }
    } else if (b.kind === 'stall') {
      limit = Math.min(limit, b.afterBytes)
      after = 'stall'
    }
    const chunk = file.chunkBytes ?? 64 * 1024
    let off = 0
    const pump = (): void => {
      if (off >= limit) {
        if (after === 'end') res.end()
        else if (after === 'cut') res.socket?.destroy()
        return // stall: keep the socket open and silent
      }
      const n = Math.min(chunk, limit - off)
      off += n
      if (off >= limit && after === 'cut') {
        // Cut exactly here: flush what was written, then close the connection mid-body.
        res.write(body.subarray(off - n, off), () => res.socket?.end())
        return
      }
      res.write(body.subarray(off - n, off))
      setImmediate(pump)
    }
    pump()
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    files: map,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
