import { afterEach, describe, expect, it } from 'vitest'
import { providerPrecheck } from '../../../src/main/engine/providers.js'

describe('providerPrecheck', () => {
  const saved = process.env.VK_DRIVER_FILES
  afterEach(() => {
    if (saved === undefined) delete process.env.VK_DRIVER_FILES
    else process.env.VK_DRIVER_FILES = saved
  })

  it.runIf(process.platform === 'linux')('tries WebGPU on Linux only when a Vulkan driver is declared or installed', () => {
    process.env.VK_DRIVER_FILES = '/opt/gpu/icd.json'
    expect(providerPrecheck('webgpu')).toBeNull()
    delete process.env.VK_DRIVER_FILES
    const reason = providerPrecheck('webgpu')
    // this machine may or may not have a driver; when it has none, the reason says what to install
    if (reason !== null) expect(reason).toMatch(/no Vulkan driver is installed .*install your GPU vendor's Vulkan driver/)
  })

  it('never pre-rejects the CPU, and names the platform for the OS-bound providers', () => {
    expect(providerPrecheck('cpu')).toBeNull()
    if (process.platform === 'linux') {
      expect(providerPrecheck('dml')).toBe('DirectML exists only on Windows')
      expect(providerPrecheck('coreml')).toBe('CoreML exists only on macOS')
    }
  })
})
