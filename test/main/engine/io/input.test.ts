import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openInput } from '../../../../src/main/engine/io/index.js'
import { sharedFile } from '../../../support/paths.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'portseg-input-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('openInput', () => {
  it('a directory of images is one sequence in name order', async () => {
    const input = await openInput(sharedFile('media', 'p3m', 'original'))
    expect(input.kind).toBe('image-sequence')
    expect(input.frameCount).toBe(15)
    const first = await input.frames().next()
    // natural order compares digit runs as numbers: p_09ba26b4 (9) sorts before p_015cd10e (15)
    expect(first.value).toMatchObject({ seq: 0, width: 1920, height: 1080 })
  })

  it('a .y4m is read by the y4m reader with its frame rate', async () => {
    const input = await openInput(sharedFile('media', 'video', 's18_640x360_15fps_4s.y4m'), { format: 'RGBA' })
    expect(input).toMatchObject({ kind: 'y4m', frameCount: 60, fps: 15 })
  })

  it('a single image is one frame', async () => {
    const input = await openInput(sharedFile('media', 'portrait', 'portrait.jpg'))
    const frames = []
    for await (const f of input.frames()) frames.push(f)
    expect(frames).toHaveLength(1)
    expect(input.kind).toBe('image')
  })

  it('unknown extensions are INPUT_UNSUPPORTED listing what is supported', async () => {
    const f = path.join(tmp, 'notes.txt')
    writeFileSync(f, 'x')
    await expect(openInput(f)).rejects.toMatchObject({ code: 'INPUT_UNSUPPORTED', message: expect.stringContaining('".txt" is not a supported input'), hints: expect.arrayContaining([expect.stringContaining('.y4m')]) })
  })

  it('a missing path is INPUT_NOT_FOUND', async () => {
    await expect(openInput(path.join(tmp, 'nope.jpg'))).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' })
  })
})
