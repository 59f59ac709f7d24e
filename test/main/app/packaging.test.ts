import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { FuseV1Options } from '@electron/fuses'
import { ROOT } from '../../support/paths.js'

const require = createRequire(import.meta.url)

describe('packaging', () => {
  it('flips every fuse, with the hardening ones set as required', () => {
    const { FUSES } = require(path.join(ROOT, 'build', 'after-pack.cjs')) as { FUSES: Record<string | number, unknown> }
    expect(FUSES.strictlyRequireAllFuses).toBe(true)
    expect(FUSES[FuseV1Options.RunAsNode]).toBe(false)
    expect(FUSES[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(false)
    expect(FUSES[FuseV1Options.EnableNodeCliInspectArguments]).toBe(false)
    expect(FUSES[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(true)
    expect(FUSES[FuseV1Options.OnlyLoadAppFromAsar]).toBe(true)
    expect(FUSES[FuseV1Options.EnableCookieEncryption]).toBe(true)
    // every fuse this @electron/fuses knows is decided
    const numeric = Object.values(FuseV1Options).filter((v) => typeof v === 'number')
    for (const f of numeric) expect(typeof FUSES[f], `fuse ${String(f)}`).toBe('boolean')
  })

  it('bundles only built-in (MediaPipe) models, never GPL weights, and unpacks native code', async () => {
    const yml = await readFile(path.join(ROOT, 'electron-builder.yml'), 'utf8')
    expect(yml).toMatch(/^npmRebuild: false$/m)
    expect(yml).toMatch(/^afterPack: build\/after-pack\.cjs$/m)
    expect(yml).toMatch(/^productName: PortSeg Camera$/m)
    expect(yml).toContain('- mediapipe-*.onnx')
    expect(yml).not.toMatch(/rvm/i)
    expect(yml).not.toMatch(/^\s*- (models\/)?\*\.onnx\s*$/m)
    expect(yml).toContain('- node_modules/onnxruntime-node/**')
    expect(yml).toContain('- native/vcam/build/Release/vcam.node')
  })
})
