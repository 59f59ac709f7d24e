import type { PortsegBridge } from '../shared/ipc.js'

export type { PortsegBridge }

/**
 * `window.portseg`: the whole bridge the renderer gets (the sandboxed preload exposes nothing
 * else: no ipcRenderer, no Node). Generated from src/shared/ipc.ts.
 *
 * Invokes: one method per contract entry, grouped by domain, e.g.
 *   const r = await window.portseg.settings.update({ blurStrength: 70 })
 *   if (r.ok) use(r.value); else show(r.code, r.message)
 * Every method resolves to { ok: true, value } or { ok: false, code, message, hints? }; it
 * rejects only if the IPC itself breaks (the main process is gone).
 *
 * Events: `const off = window.portseg.on('settings.changed', (s) => …)`; call off() to unsubscribe.
 *
 * Frames: `window.portseg.frames.connect()` asks the main process for a frame port. The port
 * cannot cross contextBridge, so the preload forwards it as a window message:
 *   window.addEventListener('message', (e) => {
 *     if (e.source === window && e.data === 'portseg:frames-port') { const port = e.ports[0]; port.start(); … }
 *   })
 * (FRAMES.windowMessage in src/shared/ipc.ts). Messages on the port follow
 * src/shared/frame-protocol.ts: renderer → main 'frame' and 'output', main → renderer 'matte'
 * and 'matte-missing', with pixel buffers transferred. Calling connect() again replaces the
 * port (main closes the old one), e.g. after a reload.
 */
declare global {
  interface Window {
    portseg: PortsegBridge
  }
}
