// VirtualCamera's error paths that need no device. The ones that need a real v4l2loopback
// device (busy, streaming, restart, stall, no module on a machine that had it) run in the VM:
// test/e2e/vcam.test.ts.
import { existsSync } from 'node:fs'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { isVcamError, openVirtualCamera, type VirtualCamera, type VirtualCameraOptions } from '../../../native/vcam/lib/index.js'
import type { FrameSink } from '../../../src/main/engine/ports.js'

function openError(options: VirtualCameraOptions): { code: string; message: string; hints: readonly string[] } {
  try {
    openVirtualCamera(options).close()
  } catch (e) {
    if (!isVcamError(e)) throw e
    return e
  }
  throw new Error('openVirtualCamera did not throw')
}

const HAS_MODULE = existsSync('/sys/module/v4l2loopback')

describe('VirtualCamera', () => {
  it('is the engine\'s FrameSink (structurally; native/vcam does not import the engine)', () => {
    expectTypeOf<VirtualCamera>().toMatchTypeOf<FrameSink>()
  })
})

describe('openVirtualCamera: arguments', () => {
  it('rejects an odd width before touching any device', () => {
    expect(openError({ width: 641, height: 480 })).toMatchObject({ code: 'BAD_ARGUMENT', message: 'VirtualCamera.open: width must be an even integer from 2 to 8192 (got 641)' })
  })
  it('rejects an odd height for NV12/I420 (4:2:0 needs 2x2 blocks) but not for YUYV validation', () => {
    expect(openError({ width: 640, height: 479, format: 'NV12' })).toMatchObject({ code: 'BAD_ARGUMENT', message: 'VirtualCamera.open: height must be an even integer from 2 to 8192 for NV12 (got 479)' })
  })
  it('rejects bad fps, format, colour space, label and device', () => {
    expect(openError({ width: 640, height: 480, fps: 0 }).message).toBe('VirtualCamera.open: fps must be an integer from 1 to 120 (got 0)')
    expect(openError({ width: 640, height: 480, fps: 29.97 }).message).toBe('VirtualCamera.open: fps must be an integer from 1 to 120 (got 29.97)')
    expect(openError({ width: 640, height: 480, format: 'MJPG' as never }).message).toBe('VirtualCamera.open: format must be one of YUYV, NV12, I420 (got "MJPG")')
    expect(openError({ width: 640, height: 480, colorSpace: 'srgb' as never }).message).toBe('VirtualCamera.open: colorSpace must be one of bt601, bt709 (got "srgb")')
    expect(openError({ width: 640, height: 480, label: '' }).message).toBe('VirtualCamera.open: label must be a non-empty string of at most 31 characters (got "")')
    expect(openError({ width: 640, height: 480, device: 'video10' }).message).toBe('VirtualCamera.open: device must be a device path like /dev/video10 (got "video10")')
  })
})

describe('openVirtualCamera: environment', () => {
  it.skipIf(HAS_MODULE)('without v4l2loopback loaded: VCAM_MODULE_MISSING with the exact modprobe line', () => {
    const e = openError({ width: 1280, height: 720 })
    expect(e.code).toBe('VCAM_MODULE_MISSING')
    expect(e.message).toBe('No "PortSeg Camera" virtual camera: the v4l2loopback kernel module is not loaded.')
    expect(e.hints[0]).toBe('Load it (asks for your password): pkexec modprobe v4l2loopback devices=1 exclusive_caps=1 max_buffers=8 card_label="PortSeg Camera"')
  })
  it('a device path that does not exist: VCAM_NO_DEVICE naming it', () => {
    const e = openError({ width: 1280, height: 720, device: '/dev/video987' })
    expect(e.code).toBe('VCAM_NO_DEVICE')
    expect(e.message).toBe('Cannot open virtual camera /dev/video987: no such video device.')
  })
})
