import { describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import {
  Events,
  EVENT_NAMES,
  Invoke,
  INVOKE_NAMES,
  eventChannel,
  invokeChannel,
  isPortsegChannel,
  type EventPayload,
  type InvokeArgs,
  type InvokeValue,
  type IpcResult,
  type PortsegBridge,
} from '../../src/shared/ipc.js'
import { DEFAULT_SETTINGS, type Settings, type SettingsPatch } from '../../src/shared/settings.js'

describe('IPC contract', () => {
  it('gives every invoke an args tuple and a result schema, named <domain>.<verb>', () => {
    expect(INVOKE_NAMES.length).toBeGreaterThan(10)
    for (const name of INVOKE_NAMES) {
      expect(name).toMatch(/^[a-z]+\.[a-z][A-Za-z]*$/)
      const spec = Invoke[name]
      expect(spec.args).toBeInstanceOf(z.ZodTuple)
      expect(spec.result).toBeInstanceOf(z.ZodType)
      expect(invokeChannel(name)).toBe(`portseg:${name}`)
    }
  })

  it('gives every event a payload schema', () => {
    for (const name of EVENT_NAMES) {
      expect(Events[name]).toBeInstanceOf(z.ZodType)
      expect(isPortsegChannel(eventChannel(name))).toBe(true)
    }
  })

  it('rejects bad payloads and extra arguments at the schema', () => {
    expect(Invoke['settings.update'].args.safeParse([{ blurStrength: 40 }]).success).toBe(true)
    expect(Invoke['settings.update'].args.safeParse([{ blurStrength: 400 }]).success).toBe(false)
    expect(Invoke['settings.update'].args.safeParse([{ notAKey: 1 }]).success).toBe(false)
    // file paths are main's business: the renderer cannot write savedBackgrounds
    expect(Invoke['settings.update'].args.safeParse([{ savedBackgrounds: [] }]).success).toBe(false)
    expect(Invoke['settings.get'].args.safeParse([1]).success).toBe(false)
    expect(Invoke['models.download'].args.safeParse([]).success).toBe(false)
    expect(Invoke['backgrounds.remove'].args.safeParse(['../../etc/passwd']).success).toBe(false)
    expect(Invoke['settings.get'].result.safeParse(DEFAULT_SETTINGS).success).toBe(true)
  })

  it('refuses channels off the portseg: prefix', () => {
    expect(isPortsegChannel('portseg:settings.get')).toBe(true)
    expect(isPortsegChannel('settings.get')).toBe(false)
    expect(isPortsegChannel('ELECTRON_BROWSER_REQUIRE')).toBe(false)
    expect(isPortsegChannel(42)).toBe(false)
  })

  it('derives the bridge types from the schemas', () => {
    expectTypeOf<InvokeArgs<'settings.update'>>().toEqualTypeOf<[SettingsPatch]>()
    expectTypeOf<InvokeValue<'settings.update'>>().toEqualTypeOf<Settings>()
    expectTypeOf<EventPayload<'settings.changed'>>().toEqualTypeOf<Settings>()
    expectTypeOf<PortsegBridge['settings']['update']>().toEqualTypeOf<(patch: SettingsPatch) => Promise<IpcResult<Settings>>>()
    expectTypeOf<PortsegBridge['models']['download']>().parameters.toEqualTypeOf<[string, { acceptLicense: boolean }]>()
    expectTypeOf<PortsegBridge['on']>().toBeFunction()
    expectTypeOf<PortsegBridge['frames']['connect']>().returns.toEqualTypeOf<void>()
    // @ts-expect-error: no such domain
    expectTypeOf<PortsegBridge['fs']>().toBeObject()
  })
})
