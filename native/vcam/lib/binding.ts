/**
 * The only file that loads vcam.node, and the raw shape of what it exports (see
 * native/vcam/src/addon.cc for each function's contract). Nothing else touches the addon.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { VcamError } from './errors.js'

export interface RawDevice {
  path: string
  card: string
  driver: string
  bus: string
  capabilities: number
  deviceCaps: number
  /** errno when the node could not be opened or queried (0 when fine). */
  openErrno: number
  openError?: string
}

export interface RawOpenResult {
  fd: number
  width: number
  height: number
  fourcc: string
  bytesPerLine: number
  sizeImage: number
  deviceCaps: number
  fpsSet: boolean
  streamOn: boolean
  /** The driver's buffer ring was trimmed to 4 before the first write (v4l2loopback 0.12 race; see device_linux.cc). */
  buffersTrimmed: boolean
}

/** 0 = YUYV, 1 = NV12, 2 = I420 */
export type RawFormat = 0 | 1 | 2
/** 0 = BT.601, 1 = BT.709 */
export type RawMatrix = 0 | 1

/** Errors thrown by the addon: `code` is the errno name. */
export interface RawSysError extends Error {
  code: string
  errno?: number
  syscall?: string
  path?: string
}

export interface VcamBinding {
  readonly platformSupported: boolean
  listDevices(): RawDevice[]
  open(path: string, width: number, height: number, fourcc: string, fps: number, bt709: boolean): RawOpenResult
  write(fd: number, data: Uint8Array): void
  close(fd: number): void
  convert(src: Uint8Array, width: number, height: number, format: RawFormat, matrix: RawMatrix, dst: Uint8Array): void
  convertAsync(src: Uint8Array, width: number, height: number, format: RawFormat, matrix: RawMatrix, dst: Uint8Array): Promise<void>
  scaleFit(src: Uint8Array, srcWidth: number, srcHeight: number, dst: Uint8Array, dstWidth: number, dstHeight: number): void
}

export const V4L2_CAP_VIDEO_CAPTURE = 0x1
export const V4L2_CAP_VIDEO_OUTPUT = 0x2

const ADDON_RELATIVE = path.join('native', 'vcam', 'build', 'Release', 'vcam.node')

/** Where the addon may be, in order: explicit override, the checkout (from source or any bundle), a packaged app. */
export function addonCandidates(): string[] {
  const found: string[] = []
  const env = process.env.PORTSEG_VCAM_ADDON
  if (env) found.push(path.resolve(env))
  // Walk up from this module: native/vcam/lib (source), out/cli or out/main (bundles).
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    found.push(path.join(dir, ADDON_RELATIVE))
    const parent = path.dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  const resources = (process as { resourcesPath?: string }).resourcesPath
  if (resources) {
    found.push(path.join(resources, 'app.asar.unpacked', ADDON_RELATIVE))
    found.push(path.join(resources, 'vcam.node'))
  }
  return [...new Set(found)]
}

let loaded: { binding: VcamBinding; path: string } | undefined
let failure: VcamError | undefined

/** Loads vcam.node once; throws VCAM_ADDON_MISSING listing every place tried and how to build it. */
export function loadBinding(): VcamBinding {
  if (loaded) return loaded.binding
  if (failure) throw failure
  const require = createRequire(import.meta.url)
  const tried: string[] = []
  for (const candidate of addonCandidates()) {
    if (!existsSync(candidate)) {
      tried.push(`${candidate}: not found`)
      continue
    }
    try {
      loaded = { binding: require(candidate) as VcamBinding, path: candidate }
      return loaded.binding
    } catch (e) {
      tried.push(`${candidate}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`)
    }
  }
  failure = new VcamError(
    'VCAM_ADDON_MISSING',
    `The virtual-camera addon (vcam.node) could not be loaded on ${process.platform}-${process.arch}, Node ${process.versions.node}.\nTried:\n${tried.map((t) => `  ${t}`).join('\n')}`,
    {
      hints: [
        'Build it: npm run build:native (needs cmake and a C++ compiler: sudo apt-get install cmake g++ make)',
        'Or point PORTSEG_VCAM_ADDON at a built vcam.node',
        'See docs/virtual-camera.md',
      ],
    },
  )
  throw failure
}

/** Path of the loaded addon, or undefined when it has not loaded (yet). */
export function loadedAddonPath(): string | undefined {
  return loaded?.path
}

export function isRawSysError(e: unknown): e is RawSysError {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'string'
}
