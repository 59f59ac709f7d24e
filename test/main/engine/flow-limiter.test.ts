import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { FlowLimiter } from '../../../src/main/engine/flow-limiter.js'
import { openEngine, type Frame, type MatteResult } from '../../../src/main/engine/index.js'
import { sharedFile, WORKER_PATH } from '../../support/paths.js'

describe('FlowLimiter', () => {
  function harness(): { limiter: FlowLimiter<number>; started: number[]; dropped: [number, string][] } {
    const started: number[] = []
    const dropped: [number, string][] = []
    const limiter = new FlowLimiter<number>({ start: (n) => started.push(n), drop: (n, why) => dropped.push([n, why]) })
    return { limiter, started, dropped }
  }

  it('keeps one in flight and the newest one queued; older queued items are superseded', () => {
    const { limiter, started, dropped } = harness()
    for (let i = 1; i <= 5; i++) limiter.push(i)
    expect(started).toEqual([1])
    expect(dropped).toEqual([[2, 'superseded'], [3, 'superseded'], [4, 'superseded']])
    limiter.done()
    expect(started).toEqual([1, 5])
    limiter.done()
    expect(limiter.isBusy).toBe(false)
    limiter.push(6)
    expect(started).toEqual([1, 5, 6])
  })

  it('drops the queued item as closed on close(), and everything pushed afterwards', () => {
    const { limiter, dropped } = harness()
    limiter.push(1)
    limiter.push(2)
    limiter.close()
    limiter.push(3)
    expect(dropped).toEqual([[2, 'closed'], [3, 'closed']])
  })
})

describe('the engine under load (frames submitted faster than it runs)', () => {
  it('stays bounded, the newest frame wins, and every seq gets exactly one result', async () => {
    const engine = await openEngine({ modelPath: sharedFile('models', 'sinet', 'SINet_Softmax.onnx'), workerPath: WORKER_PATH, provider: 'cpu' })
    try {
      const { data, info } = await sharp(sharedFile('media', 'portrait', 'portrait.jpg')).resize(640, 480).removeAlpha().raw().toBuffer({ resolveWithObject: true })
      const results: MatteResult[] = []
      let maxOutstanding = 0
      engine.onResult((r) => results.push(r))
      const N = 60
      for (let seq = 0; seq < N; seq++) {
        const frame: Frame = { seq, captureTimeUs: seq * 1000, width: info.width, height: info.height, format: 'RGB', data: new Uint8Array(data) }
        engine.submit(frame)
        // Outstanding = submitted minus resolved; bounded by 1 in flight + 1 queued (+ the one just dropped).
        maxOutstanding = Math.max(maxOutstanding, seq + 1 - results.length)
        await new Promise((r) => setTimeout(r, 1))
      }
      await new Promise<void>((resolve) => {
        const t = setInterval(() => results.length >= N && (clearInterval(t), resolve()), 5)
      })
      const seqs = results.map((r) => r.seq).sort((a, b) => a - b)
      expect(seqs).toEqual(Array.from({ length: N }, (_, i) => i))
      const ok = results.filter((r) => r.status === 'ok')
      const dropped = results.filter((r) => r.status === 'dropped')
      expect(ok.length).toBeGreaterThanOrEqual(2)
      expect(dropped.length).toBeGreaterThan(N / 2)
      for (const d of dropped) expect(d).toMatchObject({ reason: 'superseded', captureTimeUs: d.seq * 1000 })
      expect(maxOutstanding).toBeLessThanOrEqual(3)
      // The last frame submitted is never dropped: the newest one always gets matted.
      expect(results.find((r) => r.seq === N - 1)?.status).toBe('ok')
      // Results for matted frames come back in order.
      const okSeqs = ok.map((r) => r.seq)
      expect(okSeqs).toEqual([...okSeqs].sort((a, b) => a - b))
      expect(engine.status()).toMatchObject({ framesSubmitted: N, framesProcessed: ok.length, framesDropped: dropped.length, framesFailed: 0 })
    } finally {
      await engine.close()
    }
  })
})
