/**
 * Start at login. macOS and Windows: Electron's login items. Linux has no such API in Electron,
 * so we write (or remove) an XDG autostart entry, as desktop environments expect.
 */
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { writeFileAtomic } from './atomic-file.js'

/** Passed when launched at login: start in the tray, window hidden (the camera is still fed). */
export const HIDDEN_ARG = '--hidden'

export function autostartDesktopEntry(execPath: string, args: readonly string[]): string {
  const quote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `"${s.replace(/(["`$\\])/g, '\\$1')}"`)
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=PortSeg Camera',
    'Comment=Virtual camera with background blur and replacement',
    `Exec=${[execPath, ...args].map(quote).join(' ')}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n')
}

export interface LoginItemTarget {
  platform: NodeJS.Platform
  execPath: string
  /** extra args before HIDDEN_ARG (e.g. the app path when running unpackaged) */
  args: string[]
  /** ~/.config (XDG_CONFIG_HOME) */
  configHome: string
  /** Electron's app.setLoginItemSettings, for macOS and Windows */
  setLoginItemSettings: (s: { openAtLogin: boolean; args?: string[] }) => void
}

export async function setStartAtLogin(enabled: boolean, target: LoginItemTarget): Promise<void> {
  if (target.platform !== 'linux') {
    target.setLoginItemSettings({ openAtLogin: enabled, args: [...target.args, HIDDEN_ARG] })
    return
  }
  const file = path.join(target.configHome, 'autostart', 'portseg-camera.desktop')
  if (!enabled) {
    await rm(file, { force: true })
    return
  }
  await mkdir(path.dirname(file), { recursive: true })
  await writeFileAtomic(file, autostartDesktopEntry(target.execPath, [...target.args, HIDDEN_ARG]))
}
