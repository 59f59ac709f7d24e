/**
 * Binds the contract's handlers to ipcMain. The sender is checked before anything is parsed:
 * one of our windows, its top frame, on the app's own page. Refusals are logged as
 * "refused <what>: <why>" and answered with IPC_REFUSED.
 */
import type { IpcMain, IpcMainEvent, IpcMainInvokeEvent, WebContents } from 'electron'
import { Events, eventChannel, INVOKE_NAMES, invokeChannel, type EventName, type EventPayload, type IpcFailure } from '../../shared/ipc.js'
import type { IpcHandlers } from './ipc-handlers.js'
import { senderProblem, type AppPage, type SenderInfo } from './security-policy.js'

export interface BindIpcOptions {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler' | 'on' | 'removeListener'>
  handlers: IpcHandlers
  page: AppPage
  /** the app's own windows' webContents ids */
  isOwnWebContents: (contents: WebContents) => boolean
  log: (line: string) => void
}

export function senderInfo(event: IpcMainEvent | IpcMainInvokeEvent, isOwn: (c: WebContents) => boolean): SenderInfo {
  const frame = event.senderFrame
  return {
    frameUrl: frame?.url ?? null,
    isTopFrame: frame != null && frame.parent === null,
    isOwnWebContents: isOwn(event.sender),
  }
}

/** Registers every invoke channel; returns a dispose that removes them. */
export function bindIpc(options: BindIpcOptions): () => void {
  const { ipcMain, handlers, page, log } = options
  for (const name of INVOKE_NAMES) {
    const channel = invokeChannel(name)
    ipcMain.handle(channel, async (event, ...args: unknown[]) => {
      const why = senderProblem(senderInfo(event, options.isOwnWebContents), page)
      if (why !== null) {
        log(`refused ${channel}: ${why}`)
        const refused: IpcFailure = { ok: false, code: 'IPC_REFUSED', message: `refused ${name}: ${why}` }
        return refused
      }
      const result = await handlers[name](args)
      if (!result.ok && result.code === 'BAD_ARGUMENT') log(`refused ${channel}: ${result.message}`)
      return result
    })
  }
  return () => {
    for (const name of INVOKE_NAMES) ipcMain.removeHandler(invokeChannel(name))
  }
}

/** Listens on a send-only channel (the frame port request) with the same sender check. */
export function onCheckedSend(options: Omit<BindIpcOptions, 'handlers'>, channel: string, listener: (event: IpcMainEvent) => void): () => void {
  const wrapped = (event: IpcMainEvent): void => {
    const why = senderProblem(senderInfo(event, options.isOwnWebContents), options.page)
    if (why !== null) {
      options.log(`refused ${channel}: ${why}`)
      return
    }
    listener(event)
  }
  options.ipcMain.on(channel, wrapped)
  return () => void options.ipcMain.removeListener(channel, wrapped)
}

/** Sends an event to every given window, after checking the payload against the contract. */
export function createEmitter(targets: () => WebContents[], log: (line: string) => void) {
  return function emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    const parsed = Events[event].safeParse(payload)
    if (!parsed.success) {
      log(`not sent ${eventChannel(event)}: payload does not match the contract (${parsed.error.issues[0]?.message ?? 'invalid'})`)
      return
    }
    for (const contents of targets()) if (!contents.isDestroyed()) contents.send(eventChannel(event), parsed.data)
  }
}

export type Emit = ReturnType<typeof createEmitter>
