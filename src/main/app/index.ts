import { app, BrowserWindow } from 'electron'
import { join } from 'node:path'

// Minimal shell; the app issue replaces this with windows, tray, IPC and settings.
export function startApp(): void {
  void app.whenReady().then(() => {
    const win = new BrowserWindow({
      width: 960,
      height: 640,
      title: 'PortSeg Camera',
      webPreferences: { preload: join(__dirname, '../preload/index.cjs'), contextIsolation: true, sandbox: true, nodeIntegration: false },
    })
    if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL)
    else void win.loadFile(join(__dirname, '../renderer/index.html'))
  })
  app.on('window-all-closed', () => app.quit())
}
