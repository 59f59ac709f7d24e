import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import type { PortsegBridge } from '../shared/ipc.js'
import { EVENT_NAMES, FRAMES, INVOKE_NAMES, eventChannel, invokeChannel, isPortsegChannel, splitInvokeName, type EventName } from '../shared/ipc-names.js'

// The preload runs in the page's renderer but is type-checked with Node's libs (tsconfig.node).
declare const window: { postMessage(message: unknown, targetOrigin: string, transfer?: unknown[]): void }

// No logic here: one method per contract entry, no raw ipcRenderer on the bridge (Electron's
// context-isolation guide), and nothing off the `portseg:` prefix. Arguments are validated in main.

function invoke(channel: string, args: unknown[]): Promise<unknown> {
  if (!isPortsegChannel(channel)) return Promise.reject(new Error(`refused channel ${String(channel)}: not a portseg: channel`))
  return ipcRenderer.invoke(channel, ...args)
}

function buildBridge(): PortsegBridge {
  const domains: Record<string, Record<string, (...args: unknown[]) => Promise<unknown>>> = {}
  for (const name of INVOKE_NAMES) {
    const [domain, verb] = splitInvokeName(name)
    const channel = invokeChannel(name)
    ;(domains[domain] ??= {})[verb] = (...args: unknown[]) => invoke(channel, args)
  }
  const on = (event: EventName, listener: (payload: unknown) => void): (() => void) => {
    if (!(EVENT_NAMES as readonly string[]).includes(event)) throw new Error(`portseg.on: event must be one of ${EVENT_NAMES.join(', ')} (got ${JSON.stringify(event)})`)
    if (typeof listener !== 'function') throw new Error('portseg.on: listener must be a function')
    const channel = eventChannel(event)
    // never hand the IpcRendererEvent (it carries `sender`) to the page
    const wrapped = (_e: IpcRendererEvent, payload: unknown): void => listener(payload)
    ipcRenderer.on(channel, wrapped)
    return () => void ipcRenderer.removeListener(channel, wrapped)
  }
  const frames = { connect: (): void => ipcRenderer.send(FRAMES.connect) }
  return Object.freeze({ ...domains, on, frames }) as unknown as PortsegBridge
}

// MessagePorts can't cross contextBridge: forward the frame port to the page as a window message.
ipcRenderer.on(FRAMES.port, (e: IpcRendererEvent) => {
  window.postMessage(FRAMES.windowMessage, '*', [...e.ports])
})

if (process.contextIsolated) contextBridge.exposeInMainWorld('portseg', buildBridge())
else throw new Error('PortSeg Camera requires contextIsolation: the preload refuses to run without it.')
