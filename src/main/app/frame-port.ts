import type { MessagePortMain } from 'electron'
import type { FrameLinkPort } from '../engine/frame-link.js'
import type { ToRendererMessage } from '../../shared/frame-protocol.js'

/**
 * Adapts Electron's MessagePortMain to the frame link's minimal port. Transferred ArrayBuffers
 * arrive intact in MessagePortMain's message events; outgoing ones are transferred, not copied.
 * (MessagePortMain.postMessage takes only MessagePortMain in its transfer list, so pixel
 * buffers going back are structured-cloned; mattes are 1 byte a pixel, so that is cheap.)
 */
export function wrapPortMain(port: MessagePortMain): FrameLinkPort {
  let isClosed = false
  return {
    postMessage(message: ToRendererMessage) {
      if (!isClosed) port.postMessage(message)
    },
    onMessage(listener) {
      port.on('message', (e) => listener(e.data))
      port.start()
    },
    close() {
      if (isClosed) return
      isClosed = true
      port.close()
    },
  }
}
