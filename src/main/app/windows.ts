import { BrowserWindow } from 'electron'
import type { AppPaths } from './app-paths.js'

/**
 * The settings and preview window. Its renderer IS the pipeline (camera, compositor, output),
 * so closing the window only hides it, and it is never throttled in the background.
 */
export function createMainWindow(paths: AppPaths, opts: { isPackaged: boolean; show: boolean }): BrowserWindow {
  const win = new BrowserWindow({
    width: 1120,
    height: 780,
    minWidth: 820,
    minHeight: 560,
    show: false,
    title: 'PortSeg Camera',
    icon: paths.icon,
    backgroundColor: '#15171a',
    autoHideMenuBar: true,
    webPreferences: {
      preload: paths.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      // middle-click must not open links in new windows (Electron security checklist)
      disableBlinkFeatures: 'Auxclick',
      spellcheck: false,
      // the virtual camera must stay fed while the window is hidden or covered
      backgroundThrottling: false,
      devTools: !opts.isPackaged,
    },
  })
  win.once('ready-to-show', () => {
    if (opts.show) win.show()
  })
  if (paths.page.devServerUrl !== null) void win.loadURL(paths.page.devServerUrl)
  else void win.loadFile(paths.rendererIndex)
  return win
}
