/**
 * The contract's channel names without its schemas, for the sandboxed preload (which then needs
 * no zod). src/shared/ipc.ts checks at compile time that these lists match its maps exactly.
 */
export const CHANNEL_PREFIX = 'portseg:'

export const INVOKE_NAMES = [
  'app.info',
  'app.openSettings',
  'app.quit',
  'notices.list',
  'notices.dismiss',
  'settings.get',
  'settings.update',
  'settings.reset',
  'models.list',
  'models.download',
  'models.cancelDownload',
  'models.import',
  'models.remove',
  'backgrounds.list',
  'backgrounds.add',
  'backgrounds.remove',
  'vcam.status',
  'vcam.fix',
  'engine.status',
  'engine.restart',
] as const

export const EVENT_NAMES = [
  'settings.changed',
  'engine.statusChanged',
  'pipeline.statsUpdated',
  'models.downloadProgress',
  'effects.toggled',
  'vcam.statusChanged',
  'notice',
] as const

export type InvokeName = (typeof INVOKE_NAMES)[number]
export type EventName = (typeof EVENT_NAMES)[number]

/**
 * Frame port hand-off (not part of the generated methods: contextBridge cannot pass ports).
 * 1. renderer calls window.portseg.frames.connect() → preload sends FRAMES.connect;
 * 2. main (after the sender check) creates a MessageChannelMain, keeps one end for the frame link
 *    and posts the other to the renderer on FRAMES.port;
 * 3. the preload forwards it with window.postMessage(FRAMES.windowMessage, '*', [port]);
 * 4. the page takes event.ports[0] from the window 'message' event whose data is FRAMES.windowMessage.
 * A second connect() replaces the previous port (main closes the old one).
 */
export const FRAMES = {
  connect: 'portseg:frames.connect',
  port: 'portseg:frames.port',
  windowMessage: 'portseg:frames-port',
} as const

export function invokeChannel<K extends InvokeName>(name: K): `portseg:${K}` {
  return `${CHANNEL_PREFIX}${name}`
}
export function eventChannel<E extends EventName>(name: E): `portseg:${E}` {
  return `${CHANNEL_PREFIX}${name}`
}

/** Splits 'settings.update' into ['settings', 'update'] (the preload builds its methods with it). */
export function splitInvokeName(name: InvokeName): [string, string] {
  const dot = name.indexOf('.')
  return [name.slice(0, dot), name.slice(dot + 1)]
}

/** True for channels this app owns; everything else is refused on both sides. */
export function isPortsegChannel(channel: unknown): channel is string {
  return typeof channel === 'string' && channel.startsWith(CHANNEL_PREFIX) && channel.length < 128
}
