import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { diagnose, explainModprobeFailure, formatDiagnosis, persistentConfig, runFix } from '../../../native/vcam/lib/index.js'

const HAS_MODULE = existsSync('/sys/module/v4l2loopback')

describe('diagnose', () => {
  it.skipIf(HAS_MODULE)('on a machine without v4l2loopback: not ready, says why and gives the exact fix', () => {
    const d = diagnose()
    expect(d.isReady).toBe(false)
    expect(d.addon.isLoaded).toBe(true)
    expect(d.isModuleLoaded).toBe(false)
    expect(d.problems).toContain('The v4l2loopback kernel module is not loaded, so there is no virtual camera device.')
    expect(d.fixes[0]).toBe('Load it now: pkexec modprobe v4l2loopback devices=1 exclusive_caps=1 max_buffers=8 card_label="PortSeg Camera"')
    const text = formatDiagnosis(d)
    expect(text).toContain('Virtual camera "PortSeg Camera": NOT ready')
    expect(text).toContain('/etc/modprobe.d/portseg-camera.conf:\n    options v4l2loopback devices=1 exclusive_caps=1 max_buffers=8 card_label="PortSeg Camera"')
  })

  it('persistent config: load at boot with our options', () => {
    expect(persistentConfig('PortSeg Camera')).toEqual([
      { path: '/etc/modules-load.d/portseg-camera.conf', contents: 'v4l2loopback\n' },
      { path: '/etc/modprobe.d/portseg-camera.conf', contents: 'options v4l2loopback devices=1 exclusive_caps=1 max_buffers=8 card_label="PortSeg Camera"\n' },
    ])
  })
})

describe('explainModprobeFailure', () => {
  it('recognises Secure Boot ("Key was rejected by service") and explains MOK enrollment', () => {
    const e = explainModprobeFailure("modprobe: ERROR: could not insert 'v4l2loopback': Key was rejected by service\n", 1)
    expect(e.code).toBe('VCAM_MODULE_MISSING')
    expect(e.message).toContain('Secure Boot is on')
    expect(e.hints.join('\n')).toContain('sudo mokutil --import /var/lib/dkms/mok.pub')
    expect(e.hints.join('\n')).toContain('disable Secure Boot')
  })
  it('recognises a module that is not installed', () => {
    const e = explainModprobeFailure('modprobe: FATAL: Module v4l2loopback not found in directory /lib/modules/6.1.0-50-amd64\n', 1)
    expect(e.message).toBe('v4l2loopback is not installed for the running kernel.')
    expect(e.hints[0]).toContain('sudo apt install v4l2loopback-dkms')
  })
  it('recognises a cancelled pkexec prompt', () => {
    expect(explainModprobeFailure('Error executing command as another user: Request dismissed\n', 126).code).toBe('VCAM_PERMISSION')
  })
})

describe('runFix', () => {
  // pkexec cannot run here; a stand-in with the same argv contract shows what runFix does with
  // modprobe's real outcomes.
  function fakePkexec(script: string): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vcam-pkexec-'))
    const file = path.join(dir, 'pkexec')
    writeFileSync(file, `#!/bin/sh\necho "$@" > "${dir}/argv"\n${script}\n`)
    chmodSync(file, 0o755)
    return file
  }
  it('passes the modprobe options and turns a Secure Boot rejection into the explained error', async () => {
    const pkexec = fakePkexec(`echo "modprobe: ERROR: could not insert 'v4l2loopback': Key was rejected by service" >&2; exit 1`)
    await expect(runFix({ pkexec })).rejects.toMatchObject({ code: 'VCAM_MODULE_MISSING', message: expect.stringContaining('Key was rejected by service') })
    const { readFileSync } = await import('node:fs')
    expect(readFileSync(path.join(path.dirname(pkexec), 'argv'), 'utf8').trim()).toBe('modprobe v4l2loopback devices=1 exclusive_caps=1 max_buffers=8 card_label=PortSeg Camera')
  })
  it('resolves when modprobe succeeds; with isPersistent writes both files in the same privileged call', async () => {
    const pkexec = fakePkexec('exit 0')
    const r = await runFix({ pkexec, isPersistent: true })
    expect(r.exitCode).toBe(0)
    expect(r.command[1]).toBe('sh')
    expect(r.command[3]).toContain("> '/etc/modprobe.d/portseg-camera.conf'")
    expect(r.command[3]).toContain("'modprobe' 'v4l2loopback' 'devices=1' 'exclusive_caps=1' 'max_buffers=8' 'card_label=PortSeg Camera'")
  })
  it('refuses a label that could break out of the command', async () => {
    await expect(runFix({ label: "x'; rm -rf /", pkexec: '/bin/false' })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' })
  })
})
