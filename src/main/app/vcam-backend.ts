/**
 * Connects the app to native/vcam: opening the device, diagnosing the setup in the app's
 * terms (VcamStatus) and running the confirmed fix.
 */
import { DEFAULT_LABEL, diagnose, formatDiagnosis, openVirtualCamera, runFix, type VcamDiagnosis } from '../../../native/vcam/lib/index.js'
import type { VcamStatus } from '../../shared/ipc.js'
import { fixFor, type VcamBackend } from './vcam-service.js'

const empty = { device: null, label: null, width: null, height: null, fps: null }

/** The setup problem a diagnosis shows for the chosen device (null = ready to open). */
export function statusFromDiagnosis(d: VcamDiagnosis, device: string | null): VcamStatus | null {
  const details = d.problems.join(' ')
  if (!d.isSupported) return { ...empty, state: 'unsupported', message: `The virtual camera is not supported on ${d.platform} yet.`, fix: null }
  if (!d.addon.isLoaded) {
    return { ...empty, state: 'error', message: `The virtual-camera addon could not be loaded. ${d.addon.error?.split('\n')[0] ?? ''}`.trim(), fix: { description: 'Rebuild it: npm run build:native (needs cmake and a C++ compiler).', command: 'npm run build:native', canRunForUser: false } }
  }
  if (!d.isModuleLoaded) return { ...empty, state: 'module-missing', message: details || 'The v4l2loopback kernel module is not loaded.', fix: fixFor('module-missing') }
  const target = device === null ? d.device : d.devices.find((x) => x.path === device || x.label === device)
  if (target === undefined) {
    return { ...empty, state: 'no-device', message: device === null ? `v4l2loopback is loaded but no device is labelled "${DEFAULT_LABEL}".` : `The device "${device}" does not exist.`, fix: fixFor('no-device') }
  }
  if (device === null && d.canOpen === false) return { ...empty, state: 'permission', device: target.path, label: target.label, message: `${target.path} is not writable by your user.`, fix: fixFor('permission') }
  return null
}

export function createNativeVcamBackend(): VcamBackend {
  return {
    name: 'v4l2loopback',
    diagnose: (device) => Promise.resolve(statusFromDiagnosis(diagnose(), device)),
    open: (o) => {
      const cam = openVirtualCamera({ width: o.width, height: o.height, fps: o.fps, ...(o.device !== undefined ? (o.device.startsWith('/dev/') ? { device: o.device } : { label: o.device }) : {}) })
      return Promise.resolve({
        device: cam.devicePath,
        get width() {
          return cam.width
        },
        get height() {
          return cam.height
        },
        write: (frame) => cam.write(frame),
        close: () => cam.close(),
      })
    },
    fix: async () => {
      const r = await runFix()
      return `${r.command.join(' ')}: done${r.stderr ? `\n${r.stderr}` : ''}`
    },
  }
}

/** The backend for this machine, or why there is none (shown in Settings). */
export function loadVcamBackend(log: (line: string) => void): Promise<{ backend: VcamBackend | null; backendProblem?: string }> {
  const d = diagnose()
  log(`vcam: ${formatDiagnosis(d).split('\n').join(' | ')}`)
  if (!d.isSupported) return Promise.resolve({ backend: null, backendProblem: `The virtual camera is not supported on ${d.platform} yet.` })
  return Promise.resolve({ backend: createNativeVcamBackend() })
}
