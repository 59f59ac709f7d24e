/**
 * The virtual camera in the app (Electron-free): opens the sink at the output size from the
 * settings, reopens it on a size change, closes it when disabled, diagnoses the setup and runs
 * the fix the user confirmed. The backend is native/vcam (or a file-counting test sink).
 */
import { execFile } from 'node:child_process'
import { access, constants, readdir, readFile } from 'node:fs/promises'
import type { VcamFixResult, VcamState, VcamStatus } from '../../shared/ipc.js'
import { outputModeSize, type Settings } from '../../shared/settings.js'
import type { FrameSink } from '../engine/ports.js'

export const VCAM_LABEL = 'PortSeg Camera'
export const MODPROBE_ARGS = ['v4l2loopback', 'devices=1', 'exclusive_caps=1', `card_label=${VCAM_LABEL}`, 'max_buffers=8']
export const MODPROBE_COMMAND = `pkexec modprobe v4l2loopback devices=1 exclusive_caps=1 card_label="${VCAM_LABEL}" max_buffers=8`

export interface OpenedSink extends FrameSink {
  /** e.g. /dev/video10 */
  readonly device: string | null
}

export interface VcamOpenOptions {
  width: number
  height: number
  fps: number
  /** device path or card label; undefined = the device labelled "PortSeg Camera" */
  device?: string
}

export interface VcamBackend {
  readonly name: string
  open(options: VcamOpenOptions): Promise<OpenedSink>
  /** What's wrong with the setup, if anything (null = ready). */
  diagnose(device: string | null): Promise<VcamStatus | null>
  /** Runs the setup fix (pkexec modprobe …); resolves with its output, rejects with an explained error. */
  fix?(): Promise<string>
}

export interface VcamServiceOptions {
  backend: VcamBackend | null
  /** Why there is no backend (shown as the status message). */
  backendProblem?: string
  onStatus?: (status: VcamStatus) => void
  onSink?: (sink: FrameSink | null) => void
  log?: (line: string) => void
  /** Runs the fix; default: the backend's, else pkexec modprobe (the desktop asks for the password). */
  runFix?: () => Promise<string>
}

type VcamSettings = Pick<Settings, 'vcam' | 'output'>

export class VcamService {
  readonly #options: VcamServiceOptions
  #sink: OpenedSink | null = null
  #status: VcamStatus
  #applied: VcamSettings | null = null
  #queue: Promise<unknown> = Promise.resolve()

  constructor(options: VcamServiceOptions) {
    this.#options = options
    this.#status = status('disabled', 'The virtual camera has not started yet.')
  }

  get sink(): FrameSink | null {
    return this.#sink
  }

  status(): VcamStatus {
    return this.#status
  }

  /** Opens, reopens (size, fps or device changed) or closes the sink to match the settings. */
  apply(settings: VcamSettings): Promise<VcamStatus> {
    return this.#enqueue(async () => {
      const prev = this.#applied
      this.#applied = { vcam: { ...settings.vcam }, output: settings.output }
      const same = prev !== null && prev.output === settings.output && prev.vcam.enabled === settings.vcam.enabled && prev.vcam.device === settings.vcam.device
      if (same && (this.#sink !== null || !settings.vcam.enabled)) return this.#status
      await this.#closeSink()
      if (!settings.vcam.enabled) return this.#set(status('disabled', 'The virtual camera is off. Turn it on in Settings → Virtual camera.'))
      return this.#open(this.#applied)
    })
  }

  /** Re-checks the setup and retries opening (after the user fixed something). */
  refresh(): Promise<VcamStatus> {
    return this.#enqueue(async () => {
      if (this.#sink !== null || this.#applied === null || !this.#applied.vcam.enabled) return this.#status
      return this.#open(this.#applied)
    })
  }

  /** Runs the setup fix the status offers (after the user confirmed it), then retries. */
  async fix(): Promise<VcamFixResult> {
    const fix = this.#status.fix
    if (fix === null || !fix.canRunForUser || fix.command === null) {
      return { ran: false, output: fix === null ? 'Nothing to fix.' : `This fix needs you to run it yourself: ${fix.command ?? fix.description}`, status: this.#status }
    }
    const backend = this.#options.backend
    // a fixed argv, never a shell string built from input
    const run = this.#options.runFix ?? (backend?.fix ? () => backend.fix!() : () => runCommand('pkexec', ['modprobe', ...MODPROBE_ARGS]))
    let output: string
    try {
      output = await run()
    } catch (e) {
      output = describeError(e)
    }
    const after = await this.refresh()
    return { ran: true, output, status: after }
  }

  /** Idempotent. */
  close(): Promise<void> {
    return this.#enqueue(async () => {
      this.#applied = null
      await this.#closeSink()
    })
  }

  async #open(settings: VcamSettings): Promise<VcamStatus> {
    const backend = this.#options.backend
    if (backend === null) return this.#set(status('unsupported', this.#options.backendProblem ?? 'The virtual camera is not available in this build.'))
    const size = outputModeSize(settings.output)
    const device = settings.vcam.device
    const problem = await backend.diagnose(device).catch(() => null)
    if (problem !== null) return this.#set(problem)
    try {
      this.#sink = await backend.open({ ...size, ...(device !== null ? { device } : {}) })
    } catch (e) {
      // native/vcam throws VcamError (same code strings as ours, its own class)
      const code = typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : 'INTERNAL'
      const message = e instanceof Error ? e.message : String(e)
      this.#log(`vcam: could not open (${code}): ${message}`)
      const state: VcamState = STATE_BY_CODE[code] ?? 'error'
      return this.#set({ ...status(state, message), fix: fixFor(state) })
    }
    this.#options.onSink?.(this.#sink)
    this.#log(`vcam: writing ${size.width}x${size.height}@${size.fps} to ${this.#sink.device ?? backend.name}`)
    return this.#set({
      state: 'running',
      device: this.#sink.device,
      label: VCAM_LABEL,
      width: size.width,
      height: size.height,
      fps: size.fps,
      message: `Meeting apps can pick "${VCAM_LABEL}"${this.#sink.device === null ? '' : ` (${this.#sink.device})`}: ${size.width}x${size.height} at ${size.fps} fps.`,
      fix: null,
    })
  }

  async #closeSink(): Promise<void> {
    const sink = this.#sink
    if (sink === null) return
    this.#sink = null
    this.#options.onSink?.(null)
    try {
      await sink.close()
    } catch (e) {
      this.#log(`vcam: close failed: ${(e as Error).message}`)
    }
  }

  #set(next: VcamStatus): VcamStatus {
    this.#status = next
    this.#options.onStatus?.(next)
    return next
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task)
    this.#queue = run.catch(() => undefined)
    return run
  }

  #log(line: string): void {
    this.#options.log?.(line)
  }
}

const STATE_BY_CODE: Record<string, VcamState> = {
  VCAM_BUSY: 'busy',
  VCAM_PERMISSION: 'permission',
  VCAM_NO_DEVICE: 'no-device',
  VCAM_MODULE_MISSING: 'module-missing',
  VCAM_NOT_SUPPORTED: 'unsupported',
}

function describeError(e: unknown): string {
  const hints = (e as { hints?: unknown }).hints
  const base = e instanceof Error ? e.message : String(e)
  return Array.isArray(hints) && hints.length > 0 ? `${base}\n${hints.map((h) => `  - ${String(h)}`).join('\n')}` : base
}

function status(state: VcamState, message: string): VcamStatus {
  return { state, device: null, label: null, width: null, height: null, fps: null, message, fix: null }
}

export function fixFor(state: VcamState): VcamStatus['fix'] {
  switch (state) {
    case 'module-missing':
      return { description: `Load the v4l2loopback module with a device labelled "${VCAM_LABEL}" (asks for your password). To keep it after a reboot, add the options to /etc/modprobe.d/portseg.conf and "v4l2loopback" to /etc/modules-load.d/portseg.conf. If it fails with "Key was rejected by service", Secure Boot blocks unsigned modules: sign the module (mokutil) or disable Secure Boot.`, command: MODPROBE_COMMAND, canRunForUser: true }
    case 'no-device':
      return { description: `v4l2loopback is loaded but has no device labelled "${VCAM_LABEL}". Reload it with our options (close apps that use another loopback camera first): sudo modprobe -r v4l2loopback && ${MODPROBE_COMMAND.replace('pkexec ', 'sudo ')}`, command: `sudo modprobe -r v4l2loopback && ${MODPROBE_COMMAND.replace('pkexec ', 'sudo ')}`, canRunForUser: false }
    case 'permission':
      return { description: 'Your user may not write to the camera device. Add yourself to the "video" group, then log out and in again.', command: 'sudo usermod -aG video "$USER"', canRunForUser: false }
    case 'busy':
      return { description: 'Another program is writing to the device (OBS\'s virtual camera, another PortSeg). Close it, or choose another device in Settings → Virtual camera.', command: null, canRunForUser: false }
    default:
      return null
  }
}

/** Linux setup check through sysfs: module loaded, device with our label, writable. */
export async function diagnoseLinux(device: string | null, sysfs = '/sys'): Promise<VcamStatus | null> {
  try {
    await access(`${sysfs}/module/v4l2loopback`)
  } catch {
    return { ...status('module-missing', 'The v4l2loopback kernel module is not loaded, so there is no virtual camera device.'), fix: fixFor('module-missing') }
  }
  let names: string[] = []
  try {
    names = (await readdir(`${sysfs}/class/video4linux`)).filter((n) => /^video\d+$/.test(n))
  } catch {
    // no video4linux class: treated as no device below
  }
  const devices = await Promise.all(names.map(async (n) => ({ path: `/dev/${n}`, label: (await readFile(`${sysfs}/class/video4linux/${n}/name`, 'utf8').catch(() => '')).trim() })))
  const wanted = device ?? VCAM_LABEL
  const found = devices.find((d) => d.path === wanted || d.label === wanted)
  if (found === undefined) {
    return { ...status('no-device', `No video device ${device === null ? `labelled "${VCAM_LABEL}"` : `"${device}"`} exists (found: ${devices.map((d) => `${d.path} "${d.label}"`).join(', ') || 'none'}).`), fix: fixFor('no-device') }
  }
  if (sysfs === '/sys') {
    try {
      await access(found.path, constants.W_OK)
    } catch {
      return { ...status('permission', `${found.path} is not writable by your user.`), device: found.path, label: found.label, fix: fixFor('permission') }
    }
  }
  return null
}

function runCommand(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 120_000 }, (error, stdout, stderr) => {
      const out = `${stdout}${stderr}`.trim()
      if (error) reject(new Error(out || error.message))
      else resolve(out)
    })
  })
}
