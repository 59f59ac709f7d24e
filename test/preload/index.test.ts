import { beforeAll, describe, expect, it, vi } from 'vitest'
import { EVENT_NAMES, FRAMES, INVOKE_NAMES } from '../../src/shared/ipc.js'

// The preload against a mocked electron module: what it exposes, and what it sends.
const exposed: Record<string, unknown> = {}
const sent: { channel: string; args: unknown[] }[] = []
const invoked: { channel: string; args: unknown[] }[] = []
const listeners = new Map<string, ((e: unknown, ...a: unknown[]) => void)[]>()
const posted: { message: unknown; origin: string; transfer: unknown[] }[] = []

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => void (exposed[key] = api) },
  ipcRenderer: {
    invoke: (channel: string, ...args: unknown[]) => (invoked.push({ channel, args }), Promise.resolve({ ok: true, value: null })),
    send: (channel: string, ...args: unknown[]) => void sent.push({ channel, args }),
    on: (channel: string, l: (e: unknown, ...a: unknown[]) => void) => void listeners.set(channel, [...(listeners.get(channel) ?? []), l]),
    removeListener: (channel: string, l: unknown) => void listeners.set(channel, (listeners.get(channel) ?? []).filter((x) => x !== l)),
  },
}))

type Bridge = Record<string, Record<string, (...a: unknown[]) => Promise<unknown>>> & {
  on: (e: string, l: (p: unknown) => void) => () => void
  frames: { connect: () => void }
}
let bridge: Bridge

beforeAll(async () => {
  ;(process as { contextIsolated?: boolean }).contextIsolated = true
  ;(globalThis as { window?: unknown }).window = { postMessage: (message: unknown, origin: string, transfer: unknown[]) => void posted.push({ message, origin, transfer }) }
  await import('../../src/preload/index.js')
  bridge = exposed.portseg as Bridge
})

describe('preload bridge', () => {
  it('exposes one method per contract entry, plus on() and frames.connect(), nothing else', () => {
    const methods = Object.entries(bridge)
      .filter(([k]) => k !== 'on' && k !== 'frames')
      .flatMap(([domain, fns]) => Object.keys(fns).map((verb) => `${domain}.${verb}`))
    expect(methods.sort()).toEqual([...INVOKE_NAMES].sort())
    expect(Object.keys(bridge).sort()).toEqual([...new Set(INVOKE_NAMES.map((n) => n.split('.')[0]!)), 'frames', 'on'].sort())
    expect(Object.isFrozen(bridge)).toBe(true)
    expect(JSON.stringify(Object.keys(exposed))).toBe('["portseg"]')
  })

  it('invokes the prefixed channel with the arguments as given', async () => {
    await bridge.settings!.update!({ blurStrength: 3 })
    expect(invoked.at(-1)).toEqual({ channel: 'portseg:settings.update', args: [{ blurStrength: 3 }] })
  })

  it('subscribes to known events only, without leaking the IPC event object, and unsubscribes', () => {
    const got: unknown[] = []
    const off = bridge.on('settings.changed', (p) => got.push(p))
    const l = listeners.get('portseg:settings.changed')!
    l[0]!({ sender: 'secret' }, { blurStrength: 9 })
    expect(got).toEqual([{ blurStrength: 9 }])
    off()
    expect(listeners.get('portseg:settings.changed')).toEqual([])
    expect(() => bridge.on('ELECTRON_BROWSER_REQUIRE', () => undefined)).toThrow(`portseg.on: event must be one of ${EVENT_NAMES.join(', ')} (got "ELECTRON_BROWSER_REQUIRE")`)
  })

  it('asks for a frame port and forwards it to the page as a window message', () => {
    bridge.frames.connect()
    expect(sent.at(-1)).toEqual({ channel: FRAMES.connect, args: [] })
    const port = { fake: 'port' }
    listeners.get(FRAMES.port)![0]!({ ports: [port] })
    expect(posted).toEqual([{ message: 'portseg:frames-port', origin: '*', transfer: [port] }])
  })
})
