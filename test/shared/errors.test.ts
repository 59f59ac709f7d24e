import { describe, expect, it } from 'vitest'
import { PortsegError, badArgument, fromErrorInfo, toErrorInfo } from '../../src/shared/errors.js'

describe('errors', () => {
  it('formats argument errors in one pattern', () => {
    const e = badArgument('Engine.open', 'downsampleRatio', 'a number in (0, 1] or "auto"', 2)
    expect(e.code).toBe('BAD_ARGUMENT')
    expect(e.message).toBe('Engine.open: downsampleRatio must be a number in (0, 1] or "auto" (got 2)')
  })
  it('round-trips through plain data with code and hints', () => {
    const e = new PortsegError('VCAM_BUSY', 'Device busy', { hints: ['Close the other program'] })
    const back = fromErrorInfo(toErrorInfo(e))
    expect(back).toBeInstanceOf(PortsegError)
    expect((back as PortsegError).code).toBe('VCAM_BUSY')
    expect((back as PortsegError).describe()).toBe('Device busy\n  - Close the other program')
    expect(toErrorInfo(new Error('x')).code).toBe('INTERNAL')
  })
})
