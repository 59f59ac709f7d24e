/**
 * Where the engine keeps and finds files, in plain Node. The Electron shell may pass its own
 * folders (app.getPath('userData'), process.resourcesPath/models); the CLI and tests use these.
 */
import { existsSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** Electron derives userData from productName; keep it identical so CLI and app share models. */
export const PRODUCT_NAME = 'PortSeg Camera'
const PACKAGE_NAME = 'portseg-camera'

export interface PathEnv {
  env?: NodeJS.ProcessEnv
  platform?: NodeJS.Platform
  homedir?: string
}

/**
 * The per-user data folder: PORTSEG_HOME if set, else the folder Electron's
 * app.getPath('userData') gives for productName "PortSeg Camera":
 * Linux $XDG_CONFIG_HOME (or ~/.config), macOS ~/Library/Application Support, Windows %APPDATA%.
 */
export function userDataDir(opts: PathEnv = {}): string {
  const env = opts.env ?? process.env
  const override = env.PORTSEG_HOME
  if (override !== undefined && override !== '') return path.resolve(override)
  const platform = opts.platform ?? process.platform
  const home = opts.homedir ?? os.homedir()
  // path.win32/posix so the result is right for the platform asked about, not the one running.
  if (platform === 'win32') {
    const appData = env.APPDATA !== undefined && env.APPDATA !== '' ? env.APPDATA : path.win32.join(home, 'AppData', 'Roaming')
    return path.win32.join(appData, PRODUCT_NAME)
  }
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', PRODUCT_NAME)
  const xdg = env.XDG_CONFIG_HOME
  const config = xdg !== undefined && xdg !== '' && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(home, '.config')
  return path.posix.join(config, PRODUCT_NAME)
}

/** Folder for downloaded and imported models, below the user-data folder. */
export function userModelsDir(home: string = userDataDir()): string {
  return path.join(home, 'models')
}

/**
 * The project root: the nearest folder above `from` whose package.json is ours. Walking up works
 * whether this module runs from src/ (tsx, vitest), out/cli/portseg.js or out/main/index.js.
 */
export function findProjectRoot(from: string = path.dirname(fileURLToPath(import.meta.url))): string | null {
  let dir = path.resolve(from)
  for (;;) {
    const pkg = path.join(dir, 'package.json')
    if (existsSync(pkg)) {
      try {
        const parsed = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }
        if (parsed.name === PACKAGE_NAME) return dir
      } catch {
        // not ours or unreadable: keep walking
      }
    }
    const parent = path.dirname(dir)
    if (parent === dir) return null
    dir = parent
  }
}

/**
 * The app's built-in models folder: PORTSEG_MODELS_DIR if set, else <project root>/models.
 * A packaged app passes process.resourcesPath/models itself.
 */
export function builtInModelsDir(opts: { env?: NodeJS.ProcessEnv; from?: string } = {}): string {
  const env = opts.env ?? process.env
  const override = env.PORTSEG_MODELS_DIR
  if (override !== undefined && override !== '') return path.resolve(override)
  const root = findProjectRoot(opts.from)
  // Without a project root (an unusual install) fall back to the working directory's models/.
  return path.join(root ?? process.cwd(), 'models')
}
