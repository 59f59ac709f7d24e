// `portseg vcam` as users run it (the bundled CLI). Streaming to a real device is covered in the
// vcam VM (test/e2e/vcam.test.ts); here: the parts that need no device.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CLI_PATH } from '../../../support/paths.js'

function portseg(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI_PATH, 'vcam', ...args], { encoding: 'utf8', timeout: 60_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

const HAS_MODULE = existsSync('/sys/module/v4l2loopback')

describe('portseg vcam', () => {
  it('--bench --json measures the conversion of every format', () => {
    const r = portseg('--bench', '--size', '320x240', '--frames', '5', '--json')
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as { rows: { size: string; format: string; convertMeanMs: number; writeSkipped?: string }[] }
    expect(out.rows.map((row) => row.format)).toEqual(['YUYV', 'NV12', 'I420'])
    for (const row of out.rows) {
      expect(row.size).toBe('320x240')
      expect(row.convertMeanMs).toBeGreaterThan(0)
    }
  })

  it.skipIf(HAS_MODULE)('--status says NOT ready, gives the modprobe line and exits 1 without the module', () => {
    const r = portseg('--status')
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('Virtual camera "PortSeg Camera": NOT ready')
    expect(r.stdout).toContain('pkexec modprobe v4l2loopback devices=1 exclusive_caps=1 max_buffers=8 card_label="PortSeg Camera"')
  })

  it.skipIf(HAS_MODULE)('--pattern without the module fails with the fix, exit 2', () => {
    const r = portseg('--pattern', '--seconds', '1')
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('portseg: No "PortSeg Camera" virtual camera: the v4l2loopback kernel module is not loaded.')
  })

  it('rejects bad arguments with the usual message shape', () => {
    expect(portseg('--pattern', '--size', '1280by720').stderr).toContain('portseg vcam: --size must be WIDTHxHEIGHT, e.g. 1280x720 (got "1280by720")')
    expect(portseg('--pattern', '--format', 'MJPG').stderr).toContain('portseg vcam: --format must be YUYV | NV12 | I420 (got "MJPG")')
    expect(portseg('--pattern', '--fps', '0').stderr).toContain('portseg vcam: --fps must be a positive integer (got "0")')
    const none = portseg()
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('portseg vcam: mode must be exactly one of --status, --list, --setup, --pattern, --input, --bench (got "none")')
  })
})
