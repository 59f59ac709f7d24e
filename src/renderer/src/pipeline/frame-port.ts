import { FRAMES, type PortsegBridge } from '../../../shared/ipc.js'

/**
 * Asks main for the frame port and resolves with it. The port cannot cross contextBridge, so the
 * preload forwards it as a window message whose data is FRAMES.windowMessage.
 */
export function connectFramePort(bridge: Pick<PortsegBridge, 'frames'>, timeoutMs = 10_000): Promise<MessagePort> {
  return new Promise((resolve, reject) => {
    const onMessage = (e: MessageEvent): void => {
      if (e.source !== window || e.data !== FRAMES.windowMessage || !e.ports[0]) return
      window.removeEventListener('message', onMessage)
      clearTimeout(timer)
      resolve(e.ports[0])
    }
    const timer = setTimeout(() => {
      window.removeEventListener('message', onMessage)
      reject(new Error(`The main process did not hand over the frame port within ${timeoutMs / 1000} s. Restart PortSeg Camera; if it keeps happening, report it with the log.`))
    }, timeoutMs)
    window.addEventListener('message', onMessage)
    bridge.frames.connect()
  })
}
