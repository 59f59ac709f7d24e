import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { AppPage } from './security-policy.js'

/**
 * Where the built app's pieces are. Everything hangs off app.getAppPath() (the project root in
 * development and `electron-vite preview`, resources/app.asar when packaged) rather than the
 * bundle's own location, which moves when Rollup splits chunks.
 */
export interface AppPaths {
  preload: string
  rendererIndex: string
  /** the engine's inference worker (an extra main entry in electron.vite.config.ts) */
  worker: string
  /** built-in .onnx models: resources/models when packaged, <root>/models otherwise */
  builtInModels: string
  icon: string
  trayIcon: string
  page: AppPage
}

export function appPaths(opts: { appPath: string; isPackaged: boolean; resourcesPath: string; devServerUrl?: string | undefined }): AppPaths {
  const out = path.join(opts.appPath, 'out')
  const rendererIndex = path.join(out, 'renderer', 'index.html')
  return {
    preload: path.join(out, 'preload', 'index.cjs'),
    rendererIndex,
    worker: path.join(out, 'main', 'inference.worker.js'),
    builtInModels: opts.isPackaged ? path.join(opts.resourcesPath, 'models') : path.join(opts.appPath, 'models'),
    icon: opts.isPackaged ? path.join(opts.resourcesPath, 'icon.png') : path.join(opts.appPath, 'build', 'icon.png'),
    trayIcon: opts.isPackaged ? path.join(opts.resourcesPath, 'tray.png') : path.join(opts.appPath, 'build', 'tray.png'),
    page: {
      fileUrl: pathToFileURL(rendererIndex).href,
      // the dev server only in development: a packaged app never trusts an http origin
      devServerUrl: !opts.isPackaged && opts.devServerUrl ? opts.devServerUrl : null,
    },
  }
}
