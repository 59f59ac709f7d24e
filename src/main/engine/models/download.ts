/**
 * Verified, resumable downloads. Bytes go to `<dest>.part`; only a complete file whose SHA-256
 * (and size) check out is renamed into place, so a half-written file is never used as a model.
 */
import { createHash, type Hash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, readFile, rename, rm, stat, statfs, type FileHandle } from 'node:fs/promises'
import http, { type IncomingMessage } from 'node:http'
import https from 'node:https'
import type { Socket } from 'node:net'
import path from 'node:path'
import tls from 'node:tls'
import { PortsegError } from '../../../shared/errors.js'

export const PART_SUFFIX = '.part'

export interface DownloadProgress {
  /** Bytes of the file on disk so far, including what an earlier attempt left. */
  receivedBytes: number
  /** Full file size when known. */
  totalBytes: number | null
  /** Recent transfer rate, bytes per second. */
  bytesPerSecond: number
  /** Where this attempt started (0 for a fresh download). */
  resumedFromBytes: number
  done: boolean
}

export interface DownloadOptions {
  url: string
  /** Final path; the .part file sits beside it. */
  dest: string
  /** Lowercase hex. null: trust on first use (the hash is computed and returned, not checked). */
  expectedSha256: string | null
  expectedSize?: number | null
  onProgress?: (p: DownloadProgress) => void
  signal?: AbortSignal
  /** No bytes for this long → MODEL_DOWNLOAD_TIMEOUT (the .part is kept for resume). */
  stallTimeoutMs?: number
  /** Automatic resumes after a dropped connection or stall, within this call. */
  retries?: number
  /** Label used in messages, e.g. the model id. */
  label?: string
  /** Extra request headers (tests, mirrors). */
  headers?: Record<string, string>
  /**
   * HTTP proxy URL (http://[user:pass@]host:port), tunnelled with CONNECT. undefined: from
   * HTTPS_PROXY / HTTP_PROXY / ALL_PROXY, honouring NO_PROXY (never for localhost); null: none.
   */
  proxy?: string | null
  env?: NodeJS.ProcessEnv
}

export interface DownloadResult {
  path: string
  sha256: string
  bytes: number
  /** True when bytes from an earlier .part were kept. */
  resumed: boolean
  /** Number of HTTP attempts this call made. */
  attempts: number
}

const DEFAULT_STALL_MS = 30_000
const MAX_REDIRECTS = 5
const PROGRESS_INTERVAL_MS = 100

/** Thrown inside an attempt when the stream may be resumed (connection lost or stalled). */
class TransientError extends Error {
  constructor(
    message: string,
    readonly kind: 'stall' | 'dropped',
  ) {
    super(message)
  }
}

export async function downloadFile(opts: DownloadOptions): Promise<DownloadResult> {
  const label = opts.label ?? path.basename(opts.dest)
  const part = opts.dest + PART_SUFFIX
  const retries = opts.retries ?? 2
  await mkdir(path.dirname(opts.dest), { recursive: true })
  const release = await acquireLock(opts.dest, label)
  try {
    return await downloadLocked(opts, part, label, retries)
  } finally {
    await release()
  }
}

async function downloadLocked(opts: DownloadOptions, part: string, label: string, retries: number): Promise<DownloadResult> {
  await checkFreeSpace(path.dirname(opts.dest), (opts.expectedSize ?? 0) - (await fileSize(part)), label)
  let attempts = 0
  let resumed = false
  let lastError: TransientError | null = null
  for (let attempt = 0; attempt <= retries; attempt++) {
    throwIfAborted(opts.signal, label, part)
    attempts++
    try {
      const r = await attemptDownload(opts, part, label)
      resumed ||= r.resumedFromBytes > 0
      return await finish(opts, part, label, { resumed, attempts })
    } catch (e) {
      if (!(e instanceof TransientError)) throw e
      lastError = e
      if (attempt < retries) await sleep(Math.min(250 * 2 ** attempt, 2000), opts.signal)
    }
  }
  const have = await fileSize(part)
  const resumeHint = have > 0 ? `Run the download again: it resumes from the ${formatBytes(have)} already saved in ${part}.` : 'Run the download again.'
  if (lastError?.kind === 'stall') {
    throw new PortsegError('MODEL_DOWNLOAD_TIMEOUT', `Download of ${label} stalled: ${lastError.message}`, {
      hints: [resumeHint, 'Check your network connection or proxy.'],
    })
  }
  throw new PortsegError('MODEL_DOWNLOAD_FAILED', `Download of ${label} failed: ${lastError?.message ?? 'unknown error'}`, {
    hints: [resumeHint, 'Check your network connection or proxy.'],
  })
}

interface AttemptResult {
  resumedFromBytes: number
}

async function attemptDownload(opts: DownloadOptions, part: string, label: string): Promise<AttemptResult> {
  let have = await fileSize(part)
  const expectedSize = opts.expectedSize ?? null
  // A .part larger than the file can't be a prefix of it.
  if (expectedSize !== null && have > expectedSize) {
    await rm(part, { force: true })
    have = 0
  }
  if (expectedSize !== null && have === expectedSize) return { resumedFromBytes: have }

  const res = await request(opts, have > 0 ? have : null, label)
  let start = 0
  let total: number | null = null
  if (res.statusCode === 206) {
    const range = parseContentRange(res.headers['content-range'])
    if (range === null || range.start !== have) {
      // The server sent a different range than asked for: start over rather than splice.
      res.destroy()
      await rm(part, { force: true })
      throw new TransientError(`the server answered the resume request with an unexpected range (${String(res.headers['content-range'])})`, 'dropped')
    }
    start = have
    total = range.total
  } else if (res.statusCode === 200) {
    start = 0 // no Range support (or it chose to send everything): restart
    const len = Number(res.headers['content-length'])
    total = Number.isFinite(len) && res.headers['content-length'] !== undefined ? len : null
  } else if (res.statusCode === 416 && have > 0) {
    res.resume()
    const range = parseContentRange(res.headers['content-range'])
    if (range?.total === have) return { resumedFromBytes: have } // already complete
    await rm(part, { force: true })
    throw new TransientError('the saved partial download did not match the file on the server; starting over', 'dropped')
  } else {
    res.resume()
    throw httpError(res.statusCode ?? 0, opts.url, label)
  }
  if (expectedSize !== null && total !== null && total !== expectedSize) {
    res.destroy()
    throw new PortsegError(
      'MODEL_DOWNLOAD_FAILED',
      `Download of ${label} failed: the server offers ${total} bytes but the registry expects ${expectedSize} (${opts.url}).`,
      { hints: ['The file at this address is not the expected model. Check the download address (or PORTSEG_MODELS_BASE_URL).'] },
    )
  }

  const fh = await open(part, start === 0 ? 'w' : 'r+')
  try {
    if (start > 0) await fh.truncate(start)
    await pump(res, fh, start, total ?? expectedSize, opts, label)
    await fh.sync()
  } finally {
    await fh.close()
  }
  return { resumedFromBytes: start }
}

async function pump(
  res: IncomingMessage,
  fh: FileHandle,
  start: number,
  total: number | null,
  opts: DownloadOptions,
  label: string,
): Promise<void> {
  const stallMs = opts.stallTimeoutMs ?? DEFAULT_STALL_MS
  let received = start
  let stalled = false
  let aborted = false
  let timer: NodeJS.Timeout | undefined
  const arm = (): void => {
    clearTimeout(timer)
    timer = setTimeout(() => {
      stalled = true
      res.destroy()
    }, stallMs)
  }
  const onAbort = (): void => {
    aborted = true
    res.destroy()
  }
  opts.signal?.addEventListener('abort', onAbort, { once: true })
  if (opts.signal?.aborted === true) onAbort()
  const rate = new RateMeter()
  let lastReport = 0
  const report = (done: boolean): void => {
    if (opts.onProgress === undefined) return
    const now = Date.now()
    if (!done && now - lastReport < PROGRESS_INTERVAL_MS) return
    lastReport = now
    opts.onProgress({ receivedBytes: received, totalBytes: total, bytesPerSecond: rate.bytesPerSecond(), resumedFromBytes: start, done })
  }
  arm()
  try {
    report(false)
    for await (const chunk of res as AsyncIterable<Buffer>) {
      arm()
      await fh.write(chunk, 0, chunk.length, received)
      received += chunk.length
      rate.add(chunk.length)
      report(false)
    }
  } catch (e) {
    if (aborted) throw cancelled(label, opts.dest + PART_SUFFIX)
    if (stalled) throw new TransientError(`no data for ${Math.round(stallMs / 1000)} s after ${formatBytes(received)}`, 'stall')
    throw new TransientError(`the connection was lost after ${formatBytes(received)}${total !== null ? ` of ${formatBytes(total)}` : ''} (${errorText(e)})`, 'dropped')
  } finally {
    clearTimeout(timer)
    opts.signal?.removeEventListener('abort', onAbort)
  }
  if (aborted) throw cancelled(label, opts.dest + PART_SUFFIX)
  if (stalled) throw new TransientError(`no data for ${Math.round(stallMs / 1000)} s after ${formatBytes(received)}`, 'stall')
  if (total !== null && received < total) {
    throw new TransientError(`the connection was closed after ${formatBytes(received)} of ${formatBytes(total)}`, 'dropped')
  }
  report(true)
}

async function finish(opts: DownloadOptions, part: string, label: string, info: { resumed: boolean; attempts: number }): Promise<DownloadResult> {
  const bytes = await fileSize(part)
  const expectedSize = opts.expectedSize ?? null
  if (expectedSize !== null && bytes !== expectedSize) {
    await rm(part, { force: true })
    throw new PortsegError('MODEL_DOWNLOAD_FAILED', `Download of ${label} is ${bytes} bytes, but ${expectedSize} were expected; the file was discarded.`, {
      hints: ['Run the download again. If it keeps happening, the file at the source has changed: report it.'],
    })
  }
  const sha256 = await sha256File(part)
  if (opts.expectedSha256 !== null && sha256 !== opts.expectedSha256.toLowerCase()) {
    await rm(part, { force: true })
    throw new PortsegError(
      'MODEL_HASH_MISMATCH',
      `Download of ${label} failed verification: SHA-256 is ${sha256}, expected ${opts.expectedSha256}. The file was discarded; nothing was installed.`,
      { hints: ['Run the download again (a proxy or mirror may have altered the file).', 'If it keeps failing, the file at the source has changed: report it.'] },
    )
  }
  await rename(part, opts.dest)
  return { path: opts.dest, sha256, bytes, resumed: info.resumed, attempts: info.attempts }
}

function request(opts: DownloadOptions, from: number | null, label: string): Promise<IncomingMessage> {
  const stallMs = opts.stallTimeoutMs ?? DEFAULT_STALL_MS
  const go = async (url: string, redirectsLeft: number): Promise<IncomingMessage> => {
    let u: URL
    try {
      u = new URL(url)
    } catch {
      throw new PortsegError('MODEL_DOWNLOAD_FAILED', `Download of ${label} failed: ${JSON.stringify(url)} is not a valid URL.`)
    }
    const lib = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : null
    if (lib === null) {
      throw new PortsegError('MODEL_DOWNLOAD_FAILED', `Download of ${label} failed: only http(s) addresses are supported (got ${u.protocol}).`)
    }
    const headers: Record<string, string> = { 'user-agent': 'PortSeg-Camera', accept: 'application/octet-stream', ...opts.headers }
    if (from !== null) headers.range = `bytes=${from}-`
    // Each hop decides on the proxy again (GitHub redirects to another host).
    const proxy = proxyFor(u, opts)
    let socket: Socket | null = null
    try {
      socket = proxy === null ? null : await tunnel(proxy, u, stallMs, opts.signal)
    } catch (e) {
      throw opts.signal?.aborted === true ? cancelled(label, opts.dest + PART_SUFFIX) : e
    }
    const tunnelled = socket
    const connection =
      tunnelled === null
        ? {}
        : { agent: false as const, createConnection: () => (u.protocol === 'https:' ? tls.connect({ socket: tunnelled, servername: u.hostname }) : tunnelled) }
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = lib.get(u, { headers, signal: opts.signal, ...connection }, (r) => {
        req.setTimeout(0)
        resolve(r)
      })
      req.setTimeout(stallMs, () => {
        req.destroy(new TransientError(`no answer from ${u.host} within ${Math.round(stallMs / 1000)} s`, 'stall'))
      })
      req.on('error', (e) => {
        if (opts.signal?.aborted === true) reject(cancelled(label, opts.dest + PART_SUFFIX))
        else if (e instanceof TransientError) reject(e)
        else reject(new TransientError(`could not reach ${u.host} (${errorText(e)})`, 'dropped'))
      })
    })
    const status = res.statusCode ?? 0
    const location = res.headers.location
    if (status >= 300 && status < 400 && location !== undefined) {
      res.resume()
      if (redirectsLeft === 0) throw new PortsegError('MODEL_DOWNLOAD_FAILED', `Download of ${label} failed: too many redirects from ${opts.url}.`)
      // GitHub release assets redirect to an objects host; the Range header goes along.
      return go(new URL(location, u).toString(), redirectsLeft - 1)
    }
    return res
  }
  return go(opts.url, MAX_REDIRECTS)
}

/** One download per destination at a time, across processes (the app and the CLI share the folder). */
async function acquireLock(dest: string, label: string): Promise<() => Promise<void>> {
  const lock = dest + '.lock'
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(lock, 'wx')
      try {
        await fh.writeFile(String(process.pid))
      } finally {
        await fh.close()
      }
      return () => rm(lock, { force: true })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      const pid = Number((await readFile(lock, 'utf8').catch(() => '')).trim())
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new PortsegError('MODEL_DOWNLOAD_FAILED', `${label} is already being downloaded (by process ${pid}${pid === process.pid ? ', this one' : ''}).`, {
          hints: ['Wait for that download to finish; it installs the model for both.'],
        })
      }
      await rm(lock, { force: true }) // left behind by a process that died
    }
  }
  throw new PortsegError('MODEL_DOWNLOAD_FAILED', `Could not lock ${lock} for the download of ${label}.`, { hints: [`Delete ${lock} and try again.`] })
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function checkFreeSpace(dir: string, neededBytes: number, label: string): Promise<void> {
  if (neededBytes <= 0) return
  let free: number
  try {
    const s = await statfs(dir)
    free = s.bavail * s.bsize
  } catch {
    return // not knowable here (some network file systems): let the write fail if it must
  }
  // Keep a margin so the download doesn't fill the disk to the last byte.
  if (free < neededBytes + 64 * 1024 * 1024) {
    throw new PortsegError('MODEL_DOWNLOAD_FAILED', `Not enough disk space for ${label}: it needs ${formatBytes(neededBytes)}, ${formatBytes(free)} is free in ${dir}.`, {
      hints: ['Free some disk space, or set PORTSEG_HOME to a folder on a disk with more room.'],
    })
  }
}

function proxyFor(u: URL, opts: DownloadOptions): URL | null {
  let raw: string | undefined
  if (opts.proxy === null) return null
  if (opts.proxy !== undefined) raw = opts.proxy
  else {
    const env = opts.env ?? process.env
    const host = u.hostname.toLowerCase()
    if (host === 'localhost' || host === '127.0.0.1' || host === '[::1]') return null
    const noProxy = (env.NO_PROXY ?? env.no_proxy ?? '').split(',').map((x) => x.trim().toLowerCase()).filter((x) => x !== '')
    const bypass = noProxy.some((n) => {
      if (n === '*') return true
      const d = n.replace(/^\*?\./, '').replace(/:\d+$/, '')
      return host === d || host.endsWith('.' + d)
    })
    if (bypass) return null
    raw = u.protocol === 'https:' ? (env.HTTPS_PROXY ?? env.https_proxy ?? env.ALL_PROXY ?? env.all_proxy) : (env.HTTP_PROXY ?? env.http_proxy ?? env.ALL_PROXY ?? env.all_proxy)
  }
  if (raw === undefined || raw === '') return null
  let p: URL
  try {
    p = new URL(raw.includes('://') ? raw : `http://${raw}`)
  } catch {
    throw new PortsegError('MODEL_DOWNLOAD_FAILED', `The proxy setting ${JSON.stringify(raw)} is not a valid URL.`, { hints: ['Fix HTTPS_PROXY (e.g. http://proxy.example:3128), or unset it.'] })
  }
  if (p.protocol !== 'http:') {
    throw new PortsegError('MODEL_DOWNLOAD_FAILED', `Proxy ${p.host}: only http:// proxies are supported (got ${p.protocol}).`, { hints: ['Use an http:// proxy URL in HTTPS_PROXY; the download itself stays encrypted inside the tunnel.'] })
  }
  return p
}

/** Opens a CONNECT tunnel through an HTTP proxy to the target's host and port. */
function tunnel(proxy: URL, target: URL, timeoutMs: number, signal: AbortSignal | undefined): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const port = target.port !== '' ? target.port : target.protocol === 'https:' ? '443' : '80'
    const authority = `${target.hostname}:${port}`
    const headers: Record<string, string> = { host: authority }
    if (proxy.username !== '') {
      const cred = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`
      headers['proxy-authorization'] = `Basic ${Buffer.from(cred).toString('base64')}`
    }
    const req = http.request({ host: proxy.hostname, port: proxy.port === '' ? 80 : Number(proxy.port), method: 'CONNECT', path: authority, headers, signal })
    req.setTimeout(timeoutMs, () => req.destroy(new TransientError(`no answer from the proxy ${proxy.host} within ${Math.round(timeoutMs / 1000)} s`, 'stall')))
    req.on('connect', (res, socket) => {
      req.setTimeout(0)
      if (res.statusCode !== 200) {
        socket.destroy()
        reject(
          new PortsegError('MODEL_DOWNLOAD_FAILED', `The proxy ${proxy.host} refused the connection to ${authority} (HTTP ${res.statusCode ?? 0}${res.statusCode === 407 ? ', proxy authentication required' : ''}).`, {
            hints: ['Check HTTPS_PROXY / NO_PROXY and the proxy credentials (http://user:password@host:port).'],
          }),
        )
        return
      }
      resolve(socket)
    })
    req.on('error', (e) => reject(e instanceof TransientError ? e : new TransientError(`could not reach the proxy ${proxy.host} (${errorText(e)})`, 'dropped')))
    req.end()
  })
}

function httpError(status: number, url: string, label: string): PortsegError {
  const why =
    status === 404
      ? 'the file is not there (404 Not Found)'
      : status === 403
        ? 'access was refused (403 Forbidden; the host may be rate-limiting)'
        : status >= 500
          ? `the server had an error (HTTP ${status})`
          : `the server answered HTTP ${status}`
  const hints =
    status >= 500 || status === 403 || status === 429
      ? ['Try again in a few minutes.', 'Check your network connection or proxy.']
      : ['Check the download address (PORTSEG_MODELS_BASE_URL if you set it), or import the file with `portseg models import <path>`.']
  return new PortsegError('MODEL_DOWNLOAD_FAILED', `Download of ${label} from ${url} failed: ${why}.`, { hints })
}

function cancelled(label: string, part: string): PortsegError {
  return new PortsegError('MODEL_DOWNLOAD_CANCELLED', `Download of ${label} was cancelled.`, {
    hints: [`What was received is kept in ${part}; downloading again resumes from there.`],
  })
}

function throwIfAborted(signal: AbortSignal | undefined, label: string, part: string): void {
  if (signal?.aborted === true) throw cancelled(label, part)
}

function parseContentRange(v: string | undefined): { start: number; end: number; total: number | null } | null {
  if (v === undefined) return null
  const m = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i.exec(v.trim())
  if (m === null) return null
  const total = m[3] === '*' || m[3] === undefined ? null : Number(m[3])
  if (m[1] === undefined || m[2] === undefined) return { start: -1, end: -1, total }
  return { start: Number(m[1]), end: Number(m[2]), total }
}

export async function sha256File(file: string): Promise<string> {
  const hash: Hash = createHash('sha256')
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) hash.update(chunk)
  return hash.digest('hex')
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size
  } catch {
    return 0
  }
}

class RateMeter {
  private samples: { t: number; n: number }[] = []
  add(n: number): void {
    const t = Date.now()
    this.samples.push({ t, n })
    while (this.samples.length > 0 && t - (this.samples[0]?.t ?? t) > 3000) this.samples.shift()
  }
  bytesPerSecond(): number {
    const first = this.samples[0]
    const last = this.samples[this.samples.length - 1]
    if (first === undefined || last === undefined) return 0
    const spanMs = Math.max(last.t - first.t, 250)
    return (this.samples.reduce((s, x) => s + x.n, 0) * 1000) / spanMs
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(t)
      resolve()
    }, { once: true })
  })
}

function errorText(e: unknown): string {
  if (e instanceof Error) return (e as NodeJS.ErrnoException).code ?? e.message
  return String(e)
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`
}
