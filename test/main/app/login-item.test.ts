import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { autostartDesktopEntry, HIDDEN_ARG, setStartAtLogin } from '../../../src/main/app/login-item.js'

describe('start at login', () => {
  it('writes and removes an XDG autostart entry on Linux that starts hidden', async () => {
    const configHome = await mkdtemp(path.join(os.tmpdir(), 'portseg-login-'))
    const calls: unknown[] = []
    const target = { platform: 'linux' as const, execPath: '/opt/PortSeg Camera/portseg-camera', args: [], configHome, setLoginItemSettings: (s: unknown) => void calls.push(s) }
    await setStartAtLogin(true, target)
    const file = path.join(configHome, 'autostart', 'portseg-camera.desktop')
    const text = await readFile(file, 'utf8')
    expect(text).toContain('Exec="/opt/PortSeg Camera/portseg-camera" --hidden\n')
    expect(text).toContain('[Desktop Entry]\nType=Application\nName=PortSeg Camera\n')
    await setStartAtLogin(false, target)
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' })
    expect(calls).toEqual([])
    await rm(configHome, { recursive: true, force: true })
  })

  it('uses Electron login items elsewhere', async () => {
    const calls: unknown[] = []
    await setStartAtLogin(true, { platform: 'win32', execPath: 'C:\\x.exe', args: [], configHome: '', setLoginItemSettings: (s) => void calls.push(s) })
    expect(calls).toEqual([{ openAtLogin: true, args: [HIDDEN_ARG] }])
  })

  it('quotes what the shell would split', () => {
    expect(autostartDesktopEntry('/usr/bin/electron', ['/home/me/my app', '--hidden'])).toContain('Exec=/usr/bin/electron "/home/me/my app" --hidden')
  })
})
