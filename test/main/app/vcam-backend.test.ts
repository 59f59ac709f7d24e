import { describe, expect, it } from 'vitest'
import { diagnose, type VcamDiagnosis } from '../../../native/vcam/lib/index.js'
import { statusFromDiagnosis } from '../../../src/main/app/vcam-backend.js'

const base: VcamDiagnosis = {
  platform: 'linux',
  isSupported: true,
  addon: { isLoaded: true, path: '/x/vcam.node' },
  isModuleLoaded: true,
  moduleParams: {},
  devices: [{ path: '/dev/video10', label: 'PortSeg Camera' } as VcamDiagnosis['devices'][number]],
  device: { path: '/dev/video10', label: 'PortSeg Camera' } as VcamDiagnosis['devices'][number],
  canOpen: true,
  isReady: true,
  problems: [],
  fixes: [],
}

describe('native vcam diagnosis → app status', () => {
  it('is ready when the labelled device is there and writable', () => {
    expect(statusFromDiagnosis(base, null)).toBeNull()
    expect(statusFromDiagnosis(base, '/dev/video10')).toBeNull()
  })

  it('names each setup problem with its fix', () => {
    expect(statusFromDiagnosis({ ...base, isModuleLoaded: false, problems: ['v4l2loopback is not loaded.'] }, null)).toMatchObject({ state: 'module-missing', message: 'v4l2loopback is not loaded.', fix: { canRunForUser: true } })
    expect(statusFromDiagnosis({ ...base, device: undefined, devices: [] }, null)).toMatchObject({ state: 'no-device', message: 'v4l2loopback is loaded but no device is labelled "PortSeg Camera".' })
    expect(statusFromDiagnosis(base, '/dev/video3')).toMatchObject({ state: 'no-device', message: 'The device "/dev/video3" does not exist.' })
    expect(statusFromDiagnosis({ ...base, canOpen: false }, null)).toMatchObject({ state: 'permission', device: '/dev/video10', fix: { command: 'sudo usermod -aG video "$USER"' } })
    expect(statusFromDiagnosis({ ...base, isSupported: false, platform: 'darwin' }, null)).toMatchObject({ state: 'unsupported', message: 'The virtual camera is not supported on darwin yet.' })
    expect(statusFromDiagnosis({ ...base, addon: { isLoaded: false, error: 'vcam.node not found\nTried: …' } }, null)).toMatchObject({ state: 'error', message: 'The virtual-camera addon could not be loaded. vcam.node not found' })
  })

  it('maps this machine\'s real diagnosis to a status with a message', () => {
    const s = statusFromDiagnosis(diagnose(), null)
    // whatever this machine has, the answer is either ready or a named problem with words for the user
    if (s !== null) expect(s.message.length).toBeGreaterThan(10)
  })
})
