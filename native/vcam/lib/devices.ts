/** Video devices as the virtual camera sees them, and how one is picked. */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { loadBinding, V4L2_CAP_VIDEO_CAPTURE, V4L2_CAP_VIDEO_OUTPUT } from './binding.js'
import { VcamError } from './errors.js'

export const DEFAULT_LABEL = 'PortSeg Camera'
export const SYS_MODULE = '/sys/module/v4l2loopback'
const SYS_V4L = '/sys/class/video4linux'

export interface VcamDevice {
  path: string
  /** Card label ('PortSeg Camera'); from sysfs when the node could not be opened. */
  label: string
  driver: string
  isLoopback: boolean
  /** Advertises Video Output now: a producer may open it. */
  acceptsOutput: boolean
  /** Advertises Video Capture now: with exclusive_caps=1 a producer is streaming into it. */
  isCapturing: boolean
  /** errno name when the node could not be opened ('EACCES' …). */
  openError?: string
}

/** Whether the v4l2loopback kernel module is loaded (Linux only). */
export function isLoopbackModuleLoaded(sysModule = SYS_MODULE): boolean {
  return existsSync(sysModule)
}

/** Card labels of /dev/videoN from sysfs; works without opening the nodes (no permission needed). */
export function sysfsLabels(): Map<string, string> {
  const labels = new Map<string, string>()
  if (!existsSync(SYS_V4L)) return labels
  for (const name of readdirSync(SYS_V4L)) {
    try {
      labels.set(`/dev/${name}`, readFileSync(path.join(SYS_V4L, name, 'name'), 'utf8').trim())
    } catch {
      // a node that vanished while we listed: skip it
    }
  }
  return labels
}

/** All /dev/video* nodes with their label and current capabilities. */
export function listDevices(): VcamDevice[] {
  const binding = loadBinding()
  if (!binding.platformSupported) return []
  const labels = sysfsLabels()
  return binding.listDevices().map((d) => {
    const device: VcamDevice = {
      path: d.path,
      label: d.card || labels.get(d.path) || '',
      driver: d.driver,
      // v4l2loopback reports driver "v4l2 loopback"; sysfs has no driver name, so fall back to the bus
      isLoopback: d.driver === 'v4l2 loopback' || d.bus.startsWith('platform:v4l2loopback'),
      acceptsOutput: (d.deviceCaps & V4L2_CAP_VIDEO_OUTPUT) !== 0,
      isCapturing: (d.deviceCaps & V4L2_CAP_VIDEO_CAPTURE) !== 0,
    }
    if (d.openError) device.openError = d.openError
    return device
  })
}

/** The fix for a missing device, as one shell line (see diagnostics.ts for the persistent form). */
export function modprobeCommand(label = DEFAULT_LABEL): string {
  return `pkexec modprobe v4l2loopback devices=1 exclusive_caps=1 max_buffers=8 card_label="${label}"`
}

/**
 * Picks the output device: `device` when given (a path), else the loopback device labelled
 * `label`. Throws VCAM_MODULE_MISSING / VCAM_NO_DEVICE with the exact fix.
 */
export function findDevice(options: { device?: string; label?: string } = {}): VcamDevice {
  const label = options.label ?? DEFAULT_LABEL
  const devices = listDevices()
  if (options.device !== undefined) {
    const found = devices.find((d) => d.path === options.device)
    if (found) return found
    throw new VcamError('VCAM_NO_DEVICE', `Cannot open virtual camera ${options.device}: no such video device.`, {
      hints: [
        devices.length > 0 ? `Video devices here: ${devices.map((d) => `${d.path} (${d.label || 'no label'})`).join(', ')}` : 'There are no /dev/video* devices.',
        `Leave the device unset to use the one labelled "${label}", or create it: ${modprobeCommand(label)}`,
      ],
    })
  }
  const labelled = devices.filter((d) => d.label === label)
  // prefer a device nobody is producing into; a busy one still gives the clearer VCAM_BUSY later
  const pick = labelled.find((d) => d.acceptsOutput) ?? labelled[0]
  if (pick) return pick
  if (!isLoopbackModuleLoaded()) {
    throw new VcamError('VCAM_MODULE_MISSING', `No "${label}" virtual camera: the v4l2loopback kernel module is not loaded.`, {
      hints: [
        `Load it (asks for your password): ${modprobeCommand(label)}`,
        'If modprobe says the module is not found, install it first: sudo apt install v4l2loopback-dkms (Debian/Ubuntu) or sudo dnf install v4l2loopback (Fedora, RPM Fusion)',
        'To load it at every boot, see `portseg vcam --status` or docs/virtual-camera.md',
      ],
    })
  }
  const loopbacks = devices.filter((d) => d.isLoopback)
  throw new VcamError('VCAM_NO_DEVICE', `No video device is labelled "${label}" (v4l2loopback is loaded, but with another label).`, {
    hints: [
      loopbacks.length > 0
        ? `Loopback devices here: ${loopbacks.map((d) => `${d.path} ("${d.label}")`).join(', ')}; pick one with --device, or reload the module:`
        : 'v4l2loopback is loaded but created no device; reload it:',
      `pkexec modprobe -r v4l2loopback && ${modprobeCommand(label)}`,
    ],
  })
}
