import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { diagnoseLinux, MODPROBE_COMMAND, VcamService, type VcamBackend } from '../../../src/main/app/vcam-service.js'
import { createFileSinkBackend, fileSinkPath, type FileSinkReport } from '../../../src/main/app/test-sink.js'
import { DEFAULT_SETTINGS } from '../../../src/shared/settings.js'
import type { VcamStatus } from '../../../src/shared/ipc.js'

let dir: string
beforeEach(async () => void (dir = await mkdtemp(path.join(os.tmpdir(), 'portseg-vcam-'))))
afterEach(async () => rm(dir, { recursive: true, force: true }))

async function sysfs(devices: Record<string, string>, isModuleLoaded = true): Promise<string> {
  const root = path.join(dir, 'sys')
  if (isModuleLoaded) await mkdir(path.join(root, 'module', 'v4l2loopback'), { recursive: true })
  for (const [node, label] of Object.entries(devices)) {
    await mkdir(path.join(root, 'class', 'video4linux', node), { recursive: true })
    await writeFile(path.join(root, 'class', 'video4linux', node, 'name'), `${label}\n`)
  }
  return root
}

describe('diagnoseLinux', () => {
  it('says the module is missing and offers the pkexec modprobe fix', async () => {
    const d = await diagnoseLinux(null, await sysfs({}, false))
    expect(d).toMatchObject({ state: 'module-missing', fix: { command: MODPROBE_COMMAND, canRunForUser: true } })
    expect(d?.fix?.description).toContain('Key was rejected by service')
  })

  it('finds the device by label or path, and says when there is none', async () => {
    const root = await sysfs({ video0: 'Integrated Camera', video10: 'PortSeg Camera' })
    expect(await diagnoseLinux(null, root)).toBeNull()
    expect(await diagnoseLinux('/dev/video10', root)).toBeNull()
    const none = await diagnoseLinux('/dev/video99', root)
    expect(none).toMatchObject({ state: 'no-device', message: 'No video device "/dev/video99" exists (found: /dev/video0 "Integrated Camera", /dev/video10 "PortSeg Camera").' })
  })
})

describe('VcamService', () => {
  it('opens the sink at the output size, reopens on a size change, closes when disabled', async () => {
    const report = path.join(dir, 'sink.json')
    const statuses: VcamStatus[] = []
    const sinks: (unknown | null)[] = []
    const svc = new VcamService({ backend: createFileSinkBackend(report), onStatus: (s) => statuses.push(s), onSink: (s) => sinks.push(s) })
    const running = await svc.apply(DEFAULT_SETTINGS)
    expect(running).toMatchObject({ state: 'running', width: 1280, height: 720, fps: 30 })
    svc.sink!.write({ width: 1280, height: 720, data: new Uint8Array(1280 * 720 * 4).fill(200) })
    const again = await svc.apply({ ...DEFAULT_SETTINGS, output: '1080p30' })
    expect(again).toMatchObject({ state: 'running', width: 1920, height: 1080 })
    expect(svc.sink).toMatchObject({ width: 1920, height: 1080 })
    const off = await svc.apply({ ...DEFAULT_SETTINGS, output: '1080p30', vcam: { enabled: false, device: null } })
    expect(off.state).toBe('disabled')
    expect(svc.sink).toBeNull()
    expect(sinks.map((s) => (s === null ? null : 'sink'))).toEqual(['sink', null, 'sink', null])
    const r = JSON.parse(await readFile(report, 'utf8')) as FileSinkReport
    expect(r).toMatchObject({ width: 1920, height: 1080, framesWritten: 0, isClosed: true })
  })

  it('reports a setup problem with its fix, runs the confirmed fix and retries', async () => {
    let isLoaded = false
    const backend: VcamBackend = {
      name: 'fake-module',
      diagnose: () => Promise.resolve(isLoaded ? null : ({ state: 'module-missing', device: null, label: null, width: null, height: null, fps: null, message: 'not loaded', fix: { description: 'load it', command: MODPROBE_COMMAND, canRunForUser: true } } as VcamStatus)),
      open: (o) => Promise.resolve({ device: '/dev/video10', width: o.width, height: o.height, write: () => undefined, close: () => undefined }),
    }
    const runs: number[] = []
    const svc = new VcamService({ backend, runFix: () => (runs.push(1), (isLoaded = true), Promise.resolve('loaded')) })
    expect((await svc.apply(DEFAULT_SETTINGS)).state).toBe('module-missing')
    const fixed = await svc.fix()
    expect(runs).toHaveLength(1)
    expect(fixed).toMatchObject({ ran: true, output: 'loaded', status: { state: 'running', device: '/dev/video10' } })
    // nothing to fix any more: nothing runs
    expect(await svc.fix()).toMatchObject({ ran: false, output: 'Nothing to fix.' })
  })

  it('maps the addon\'s typed errors to states with fixes', async () => {
    const backend: VcamBackend = {
      name: 'busy',
      diagnose: () => Promise.resolve(null),
      open: () => Promise.reject(Object.assign(new Error('Cannot open virtual camera /dev/video10: the device is busy (another program is writing to it).'), { code: 'VCAM_BUSY' })),
    }
    const s = await new VcamService({ backend }).apply(DEFAULT_SETTINGS)
    expect(s).toMatchObject({ state: 'busy', message: 'Cannot open virtual camera /dev/video10: the device is busy (another program is writing to it).' })
    expect(s.fix?.description).toMatch(/^Another program is writing to the device/)
  })

  it('parses PORTSEG_VCAM_SINK', () => {
    expect(fileSinkPath('file:/tmp/x.json')).toBe('/tmp/x.json')
    expect(fileSinkPath('file:')).toBeNull()
    expect(fileSinkPath('/dev/video10')).toBeNull()
    expect(fileSinkPath(undefined)).toBeNull()
  })
})
