// The loader: one clear VCAM_ADDON_MISSING that lists every place tried and how to build it.
// The library is bundled into a folder outside the checkout, where no vcam.node can be found.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { build } from 'esbuild'
import { beforeAll, describe, expect, it } from 'vitest'
import { addonCandidates, loadedAddonPath, listDevices } from '../../../native/vcam/lib/index.js'
import { ROOT } from '../../support/paths.js'

let dir = ''
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'vcam-loader-'))
  await build({ entryPoints: [path.join(ROOT, 'native/vcam/lib/index.ts')], outfile: path.join(dir, 'vcam.mjs'), bundle: true, platform: 'node', format: 'esm', logLevel: 'warning' })
  writeFileSync(
    path.join(dir, 'probe.mjs'),
    `import { openVirtualCamera } from './vcam.mjs'
try { openVirtualCamera({ width: 640, height: 480 }); console.log('{}') }
catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, hints: e.hints })) }`,
  )
})

function probe(env: Record<string, string> = {}): { code: string; message: string; hints: string[] } {
  const out = execFileSync(process.execPath, [path.join(dir, 'probe.mjs')], { env: { ...process.env, PORTSEG_VCAM_ADDON: '', ...env } })
  return JSON.parse(out.toString()) as { code: string; message: string; hints: string[] }
}

describe('vcam.node loader', () => {
  it('finds the addon built in the checkout', () => {
    listDevices()
    expect(loadedAddonPath()).toBe(path.join(ROOT, 'native/vcam/build/Release/vcam.node'))
    expect(addonCandidates()).toContain(path.join(ROOT, 'native/vcam/build/Release/vcam.node'))
  })

  it('without an addon: VCAM_ADDON_MISSING naming each path tried and how to build it', () => {
    const e = probe()
    expect(e.code).toBe('VCAM_ADDON_MISSING')
    expect(e.message).toMatch(/^The virtual-camera addon \(vcam\.node\) could not be loaded on linux-x64, Node \d+\.\d+\.\d+\.\nTried:\n/)
    expect(e.message).toContain(`${path.join(dir, 'native/vcam/build/Release/vcam.node')}: not found`)
    expect(e.hints[0]).toBe('Build it: npm run build:native (needs cmake and a C++ compiler: sudo apt-get install cmake g++ make)')
  })

  it('a broken file at PORTSEG_VCAM_ADDON is reported with the loader error', () => {
    const bogus = path.join(dir, 'bogus.node')
    writeFileSync(bogus, 'not an ELF file')
    const e = probe({ PORTSEG_VCAM_ADDON: bogus })
    expect(e.code).toBe('VCAM_ADDON_MISSING')
    expect(e.message).toMatch(new RegExp(`${bogus.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .*(invalid ELF header|file too short)`))
  })
})
