import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import http from 'node:http'
import net, { type AddressInfo, type Socket } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { downloadFile, type DownloadProgress } from '../../../../src/main/engine/models/download.js'
import { PortsegError } from '../../../../src/shared/errors.js'
import { sharedFile } from '../../../support/paths.js'
import { startModelServer, type ModelServer } from './model-server.js'

// A real model as the payload, so a resumed download is checked byte for byte.
const body = new Uint8Array(readFileSync(sharedFile('models', 'reference-onnx', 'selfie_segmentation.onnx')))
const sha = createHash('sha256').update(body).digest('hex')

let server: ModelServer
let dir: string

beforeAll(async () => {
  server = await startModelServer({
    '/ok.onnx': { body, behaviour: { kind: 'ok' }, chunkBytes: 16 * 1024 },
    '/cut.onnx': { body, behaviour: { kind: 'cut', afterBytes: 100_000, times: 1 } },
    '/cut-auto.onnx': { body, behaviour: { kind: 'cut', afterBytes: 150_000, times: 1 } },
    '/no-range.onnx': { body, behaviour: { kind: 'no-range' } },
    '/stall.onnx': { body, behaviour: { kind: 'stall', afterBytes: 50_000 } },
    '/missing.onnx': { body, behaviour: { kind: 'status', status: 404 } },
    '/broken.onnx': { body, behaviour: { kind: 'status', status: 500 } },
    '/moved.onnx': { body, behaviour: { kind: 'redirect', to: '/ok.onnx' } },
  })
})
afterAll(async () => server.close())

afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

async function tmp(): Promise<string> {
  dir = await mkdtemp(path.join(os.tmpdir(), 'portseg-dl-'))
  return dir
}

async function rejection(p: Promise<unknown>): Promise<PortsegError> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(PortsegError)
    return e as PortsegError
  }
  throw new Error('expected the download to fail')
}

describe('downloadFile', () => {
  it('downloads, verifies the SHA-256 and reports progress up to the full size', async () => {
    const dest = path.join(await tmp(), 'm.onnx')
    const progress: DownloadProgress[] = []
    const r = await downloadFile({ url: `${server.baseUrl}/ok.onnx`, dest, expectedSha256: sha, expectedSize: body.byteLength, onProgress: (p) => progress.push(p) })
    expect(r).toMatchObject({ path: dest, sha256: sha, bytes: body.byteLength, resumed: false })
    expect(Buffer.compare(await readFile(dest), Buffer.from(body))).toBe(0)
    expect(existsSync(dest + '.part')).toBe(false)
    expect(progress.length).toBeGreaterThanOrEqual(2)
    const last = progress[progress.length - 1]
    expect(last).toMatchObject({ receivedBytes: body.byteLength, totalBytes: body.byteLength, done: true })
    expect(last?.bytesPerSecond).toBeGreaterThan(0)
    // monotonic
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.receivedBytes).toBeGreaterThanOrEqual(progress[i - 1]!.receivedBytes)
  })

  it('follows redirects (GitHub sends release assets to another host)', async () => {
    const dest = path.join(await tmp(), 'm.onnx')
    const r = await downloadFile({ url: `${server.baseUrl}/moved.onnx`, dest, expectedSha256: sha })
    expect(r.sha256).toBe(sha)
  })

  it('resumes after a cut connection: the second attempt sends Range and the bytes are identical', async () => {
    const dest = path.join(await tmp(), 'm.onnx')
    const before = server.requests.length
    const e = await rejection(downloadFile({ url: `${server.baseUrl}/cut.onnx`, dest, expectedSha256: sha, expectedSize: body.byteLength, retries: 0 }))
    expect(e.code).toBe('MODEL_DOWNLOAD_FAILED')
    expect(e.message).toMatch(/connection was (lost|closed) after/)
    // The server cut at 100 000 bytes; what the client had read before the error is on disk.
    const kept = (await stat(dest + '.part')).size
    expect(kept).toBeGreaterThan(0)
    expect(kept).toBeLessThanOrEqual(100_000)
    expect(e.describe()).toContain(`already saved in ${dest}.part`)
    expect(existsSync(dest)).toBe(false)

    const r = await downloadFile({ url: `${server.baseUrl}/cut.onnx`, dest, expectedSha256: sha, expectedSize: body.byteLength, retries: 0 })
    expect(r.resumed).toBe(true)
    const reqs = server.requests.slice(before)
    expect(reqs.map((q) => q.range)).toEqual([undefined, `bytes=${kept}-`])
    expect(Buffer.compare(await readFile(dest), Buffer.from(body))).toBe(0)
    expect(existsSync(dest + '.part')).toBe(false)
  })

  it('resumes by itself within one call when retries are allowed', async () => {
    const dest = path.join(await tmp(), 'm.onnx')
    const before = server.requests.length
    const r = await downloadFile({ url: `${server.baseUrl}/cut-auto.onnx`, dest, expectedSha256: sha, retries: 2 })
    expect(r).toMatchObject({ sha256: sha, resumed: true, attempts: 2 })
    const ranges = server.requests.slice(before).map((q) => q.range)
    expect(ranges[0]).toBeUndefined()
    expect(ranges[1]).toMatch(/^bytes=\d+-$/)
    expect(Number(/\d+/.exec(ranges[1] ?? '')?.[0])).toBeGreaterThan(0)
    expect(Number(/\d+/.exec(ranges[1] ?? '')?.[0])).toBeLessThanOrEqual(150_000)
    expect(Buffer.compare(await readFile(dest), Buffer.from(body))).toBe(0)
  })

  it('restarts from zero when the server ignores Range (200 instead of 206)', async () => {
    const dest = path.join(await tmp(), 'm.onnx')
    writeFileSync(dest + '.part', Buffer.from(body.subarray(0, 1000)).fill(7)) // garbage prefix
    const r = await downloadFile({ url: `${server.baseUrl}/no-range.onnx`, dest, expectedSha256: sha })
    expect(r).toMatchObject({ sha256: sha, bytes: body.byteLength, resumed: false })
  })

  it('discards a file whose SHA-256 is wrong and installs nothing', async () => {
    const d = await tmp()
    const dest = path.join(d, 'm.onnx')
    const wrong = 'f'.repeat(64)
    const e = await rejection(downloadFile({ url: `${server.baseUrl}/ok.onnx`, dest, expectedSha256: wrong }))
    expect(e.code).toBe('MODEL_HASH_MISMATCH')
    expect(e.message).toContain(`SHA-256 is ${sha}, expected ${wrong}`)
    expect(e.message).toContain('The file was discarded; nothing was installed.')
    expect(await readdir(d)).toEqual([])
  })

  it('reports HTTP 404 and 500 with the status and what to do', async () => {
    const dest = path.join(await tmp(), 'm.onnx')
    const e404 = await rejection(downloadFile({ url: `${server.baseUrl}/missing.onnx`, dest, expectedSha256: sha }))
    expect(e404.code).toBe('MODEL_DOWNLOAD_FAILED')
    expect(e404.message).toContain('404 Not Found')
    expect(e404.hints.join(' ')).toMatch(/PORTSEG_MODELS_BASE_URL|import/)
    const e500 = await rejection(downloadFile({ url: `${server.baseUrl}/broken.onnx`, dest, expectedSha256: sha }))
    expect(e500.code).toBe('MODEL_DOWNLOAD_FAILED')
    expect(e500.message).toContain('HTTP 500')
    expect(e500.hints).toContain('Try again in a few minutes.')
    expect(existsSync(dest)).toBe(false)
  })

  it('times out on a stalled server within bounded time and keeps the .part for resume', async () => {
    const dest = path.join(await tmp(), 'm.onnx')
    const before = server.requests.length
    const t0 = Date.now()
    const e = await rejection(downloadFile({ url: `${server.baseUrl}/stall.onnx`, dest, expectedSha256: sha, stallTimeoutMs: 400, retries: 1 }))
    const elapsed = Date.now() - t0
    expect(e.code).toBe('MODEL_DOWNLOAD_TIMEOUT')
    expect(e.message).toMatch(/stalled: no data for 0 s after/)
    // two attempts of 400 ms each plus a 250 ms backoff; generous bound for a loaded machine
    expect(elapsed).toBeLessThan(10_000)
    // the retry resumed where the first stall left off, and stalled again 50 000 bytes later
    expect(server.requests.slice(before).map((q) => q.range)).toEqual([undefined, 'bytes=50000-'])
    expect((await stat(dest + '.part')).size).toBe(100_000)
    expect(existsSync(dest)).toBe(false)
  })

  it('can be cancelled with an AbortSignal; the .part stays for a later resume', async () => {
    const dest = path.join(await tmp(), 'm.onnx')
    const ac = new AbortController()
    const t0 = Date.now()
    // the server stalls after 50 000 bytes; cancel while it hangs, long before the 30 s stall timeout
    const p = downloadFile({ url: `${server.baseUrl}/stall.onnx`, dest, expectedSha256: sha, stallTimeoutMs: 30_000, signal: ac.signal })
    setTimeout(() => ac.abort(), 500)
    const e = await rejection(p)
    expect(Date.now() - t0).toBeLessThan(10_000)
    expect((await stat(dest + '.part')).size).toBe(50_000)
    expect(e.code).toBe('MODEL_DOWNLOAD_CANCELLED')
    expect(e.describe()).toContain('.part')
    expect(existsSync(dest)).toBe(false)
  })

  it('refuses a server that offers a different size than the registry expects', async () => {
    const dest = path.join(await tmp(), 'm.onnx')
    const e = await rejection(downloadFile({ url: `${server.baseUrl}/ok.onnx`, dest, expectedSha256: null, expectedSize: 1234 }))
    expect(e.code).toBe('MODEL_DOWNLOAD_FAILED')
    expect(e.message).toContain(`offers ${body.byteLength} bytes but the registry expects 1234`)
    expect(existsSync(dest)).toBe(false)
  })
})

describe('downloadFile locking', () => {
  it('refuses a second concurrent download of the same file, and frees the lock afterwards', async () => {
    const dest = path.join(await tmp(), 'm.onnx')
    const ac = new AbortController()
    const first = downloadFile({ url: `${server.baseUrl}/stall.onnx`, dest, expectedSha256: sha, signal: ac.signal })
    await new Promise((r) => setTimeout(r, 200))
    const e = await rejection(downloadFile({ url: `${server.baseUrl}/ok.onnx`, dest, expectedSha256: sha }))
    expect(e.code).toBe('MODEL_DOWNLOAD_FAILED')
    expect(e.message).toBe(`m.onnx is already being downloaded (by process ${process.pid}, this one).`)
    ac.abort()
    expect((await rejection(first)).code).toBe('MODEL_DOWNLOAD_CANCELLED')
    expect(existsSync(dest + '.lock')).toBe(false)
    // the lock is gone: the next download resumes the .part and completes
    const r = await downloadFile({ url: `${server.baseUrl}/ok.onnx`, dest, expectedSha256: sha })
    expect(r).toMatchObject({ sha256: sha, resumed: true })
  })

  it('takes over a lock left by a process that no longer exists', async () => {
    const dest = path.join(await tmp(), 'm.onnx')
    writeFileSync(dest + '.lock', '999999999')
    const r = await downloadFile({ url: `${server.baseUrl}/ok.onnx`, dest, expectedSha256: sha })
    expect(r.sha256).toBe(sha)
    expect(existsSync(dest + '.lock')).toBe(false)
  })
})

describe('downloadFile through an HTTP proxy', () => {
  let proxy: http.Server
  let proxyUrl: string
  const connects: string[] = []
  const open = new Set<Socket>()

  beforeAll(async () => {
    // A real CONNECT proxy: refuses without credentials (407), tunnels with them.
    proxy = http.createServer((_req, res) => res.writeHead(405).end())
    proxy.on('connect', (req: http.IncomingMessage, client: Socket, head: Buffer) => {
      connects.push(req.url ?? '')
      if (req.headers['proxy-authorization'] !== `Basic ${Buffer.from('ann:s3cret').toString('base64')}`) {
        client.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n')
        return
      }
      const [host, port] = (req.url ?? '').split(':')
      const upstream = net.connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
        upstream.write(head)
        upstream.pipe(client)
        client.pipe(upstream)
      })
      open.add(upstream)
      upstream.on('error', () => client.destroy())
      client.on('error', () => upstream.destroy())
    })
    // CONNECT tunnels leave the server's bookkeeping: track raw sockets so close() can finish.
    proxy.on('connection', (sock: Socket) => open.add(sock))
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    for (const sock of open) sock.destroy()
    await new Promise((r) => proxy.close(r))
  })

  it('tunnels with CONNECT, sending the proxy credentials, and follows redirects through it', async () => {
    const dest = path.join(await tmp(), 'm.onnx')
    const withAuth = proxyUrl.replace('http://', 'http://ann:s3cret@')
    const r = await downloadFile({ url: `${server.baseUrl}/moved.onnx`, dest, expectedSha256: sha, proxy: withAuth })
    expect(r.sha256).toBe(sha)
    const target = new URL(server.baseUrl).host
    expect(connects.slice(-2)).toEqual([target, target])
  })

  it('explains a proxy that wants authentication', async () => {
    const dest = path.join(await tmp(), 'm.onnx')
    const e = await rejection(downloadFile({ url: `${server.baseUrl}/ok.onnx`, dest, expectedSha256: sha, proxy: proxyUrl }))
    expect(e.code).toBe('MODEL_DOWNLOAD_FAILED')
    expect(e.message).toContain('refused the connection to 127.0.0.1:')
    expect(e.message).toContain('HTTP 407, proxy authentication required')
  })

  it('takes HTTPS_PROXY / HTTP_PROXY from the environment but never for localhost or NO_PROXY hosts', async () => {
    const dest = path.join(await tmp(), 'm.onnx')
    const before = connects.length
    // localhost is always direct: the env proxy (which would refuse) is not used
    const r = await downloadFile({ url: `${server.baseUrl}/ok.onnx`, dest, expectedSha256: sha, env: { HTTP_PROXY: proxyUrl } })
    expect(r.sha256).toBe(sha)
    expect(connects.length).toBe(before)
    // an unsupported proxy scheme is reported, not ignored
    const e = await rejection(
      downloadFile({ url: 'http://models.example.invalid/m.onnx', dest: dest + '2', expectedSha256: sha, env: { HTTP_PROXY: 'socks5://127.0.0.1:1080' } }),
    )
    expect(e.message).toContain('only http:// proxies are supported (got socks5:)')
    // NO_PROXY matches the domain and its subdomains: no proxy, so the (unresolvable) host itself fails
    const e2 = await rejection(
      downloadFile({ url: 'http://cdn.example.invalid/m.onnx', dest: dest + '3', expectedSha256: sha, retries: 0, env: { HTTP_PROXY: 'socks5://x', NO_PROXY: 'example.invalid' } }),
    )
    expect(e2.message).toContain('could not reach cdn.example.invalid')
  })
})
