/**
 * The inference worker: owns the onnxruntime session and every per-frame step, so the caller's
 * thread (Electron main, the CLI) never blocks on inference. Messages are handled strictly in
 * order; pixel buffers are transferred both ways. Errors cross as {code, message, hints}.
 */
import { parentPort } from 'node:worker_threads'
import { PortsegError, toErrorInfo } from '../../shared/errors.js'
import { MattingSession } from './matting-session.js'
import type { FromWorker, ToWorker } from './worker-protocol.js'

const port = parentPort
if (!port) throw new Error('inference.worker.js must run as a worker thread (the engine starts it).')

let session: MattingSession | null = null
let chain: Promise<void> = Promise.resolve()

function send(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer)
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'open':
      try {
        session = await MattingSession.open(msg.options)
        send({ type: 'ready', modelInterface: session.modelInterface, provider: session.provider })
      } catch (e) {
        send({ type: 'open-failed', error: toErrorInfo(e) })
      }
      return
    case 'frame': {
      try {
        if (!session) throw new PortsegError('ENGINE_CLOSED', 'The engine has no open model.')
        const matte = await session.step(msg.frame)
        const transfer: ArrayBuffer[] = [matte.alpha.buffer as ArrayBuffer]
        if (matte.foreground) transfer.push(matte.foreground.buffer as ArrayBuffer)
        send({ type: 'result', id: msg.id, ok: true, matte, downsampleRatio: session.downsampleRatio }, transfer)
      } catch (e) {
        send({ type: 'result', id: msg.id, ok: false, error: toErrorInfo(e) })
      }
      return
    }
    case 'reset':
      session?.resetState(msg.reason)
      return
    case 'set-ratio':
      try {
        session?.setDownsampleRatio(msg.ratio)
      } catch {
        // validated on the caller's side already
      }
      return
    case 'close':
      await session?.close()
      session = null
      send({ type: 'closed' })
      port!.close()
      return
    case 'crash':
      process.exit(70)
  }
}

port.on('message', (msg: ToWorker) => {
  // One step at a time: session.run is async, and the recurrent state needs frames in order.
  chain = chain.then(() => handle(msg)).catch(() => undefined)
})
