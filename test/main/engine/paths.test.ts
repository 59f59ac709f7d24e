import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { builtInModelsDir, findProjectRoot, userDataDir, userModelsDir } from '../../../src/main/engine/paths.js'
import { ROOT } from '../../support/paths.js'

describe('paths', () => {
  it('uses the folder Electron picks for productName "PortSeg Camera" on each OS', () => {
    expect(userDataDir({ env: {}, platform: 'linux', homedir: '/home/ann' })).toBe('/home/ann/.config/PortSeg Camera')
    expect(userDataDir({ env: { XDG_CONFIG_HOME: '/x/cfg' }, platform: 'linux', homedir: '/home/ann' })).toBe('/x/cfg/PortSeg Camera')
    expect(userDataDir({ env: {}, platform: 'darwin', homedir: '/Users/ann' })).toBe('/Users/ann/Library/Application Support/PortSeg Camera')
    expect(userDataDir({ env: { APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' }, platform: 'win32', homedir: 'C:\\Users\\ann' })).toBe(
      'C:\\Users\\ann\\AppData\\Roaming\\PortSeg Camera',
    )
  })

  it('lets PORTSEG_HOME override the user-data folder', () => {
    expect(userDataDir({ env: { PORTSEG_HOME: '/tmp/ph' }, platform: 'linux', homedir: '/home/ann' })).toBe('/tmp/ph')
    expect(userModelsDir('/tmp/ph')).toBe(path.join('/tmp/ph', 'models'))
  })

  it('finds the project root by walking up to our package.json, from source or from a bundle folder', () => {
    expect(findProjectRoot(path.join(ROOT, 'src', 'main', 'engine'))).toBe(path.resolve(ROOT))
    expect(findProjectRoot(path.join(ROOT, 'out', 'cli'))).toBe(path.resolve(ROOT))
    // another project's package.json on the way up is skipped
    const other = mkdtempSync(path.join(os.tmpdir(), 'portseg-paths-'))
    mkdirSync(path.join(other, 'deep'), { recursive: true })
    writeFileSync(path.join(other, 'package.json'), '{"name":"someone-else"}')
    expect(findProjectRoot(path.join(other, 'deep'))).toBe(null)
  })

  it('puts built-in models in <repo>/models unless PORTSEG_MODELS_DIR says otherwise', () => {
    expect(builtInModelsDir({ env: {} })).toBe(path.join(path.resolve(ROOT), 'models'))
    expect(builtInModelsDir({ env: { PORTSEG_MODELS_DIR: '/opt/portseg/models' } })).toBe('/opt/portseg/models')
  })
})
