import sharp, { type Sharp } from 'sharp'
import { describe, expect, it } from 'vitest'
import { SceneCutDetector } from '../../../src/main/engine/scene-cut.js'
import type { Frame } from '../../../src/main/engine/types.js'
import { sharedFile } from '../../support/paths.js'

/** A 640x360 view of the photo stretched to 664x360, panned `panPx` to the right (a camera pan). */
async function frameOf(file: string, transform: (s: Sharp) => Sharp = (s) => s, panPx = 0): Promise<Frame> {
  const wide = await sharp(file).resize(664, 360, { fit: 'fill' }).removeAlpha().toBuffer()
  const data = await transform(sharp(wide).extract({ left: panPx, top: 0, width: 640, height: 360 })).raw().toBuffer()
  return { seq: 0, captureTimeUs: 0, width: 640, height: 360, format: 'RGB', data: new Uint8Array(data) }
}

describe('SceneCutDetector', () => {
  it('does not fire on the same scene, a small shift or a mild exposure change; fires on a different scene', async () => {
    const portrait = await frameOf(sharedFile('media', 'portrait', 'portrait.jpg'))
    const darker = await frameOf(sharedFile('media', 'portrait', 'portrait.jpg'), (s) => s.linear(0.9, 0))
    const shifted = await frameOf(sharedFile('media', 'portrait', 'portrait.jpg'), (s) => s, 12)
    const other = await frameOf(sharedFile('media', 'portrait', 'three_people.jpg'))
    const d = new SceneCutDetector()
    expect(d.update(portrait)).toBe(false) // no reference yet
    expect(d.update(portrait)).toBe(false)
    expect(d.lastScore).toBe(0)
    expect(d.update(darker)).toBe(false)
    expect(d.update(portrait)).toBe(false)
    expect(d.update(shifted)).toBe(false)
    expect(d.update(other)).toBe(true)
    expect(d.lastScore).toBeGreaterThan(20)
    d.reset()
    expect(d.update(portrait)).toBe(false)
  })
})
