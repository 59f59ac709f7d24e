/**
 * A virtual-camera backend for machines without v4l2loopback (tests, CI): PORTSEG_VCAM_SINK=file:/path
 * makes the app write a small JSON report of what reached the sink instead of a device.
 */
import { renameSync, writeFileSync } from 'node:fs'
import type { VcamBackend, VcamOpenOptions, OpenedSink } from './vcam-service.js'

export interface FileSinkReport {
  width: number
  height: number
  fps: number
  framesWritten: number
  /** mean of R, G and B over a sample of the last frame, 0–255 (proves frames aren't blank) */
  lastFrameMean: number | null
  firstWriteAt: string | null
  lastWriteAt: string | null
  isClosed: boolean
}

/** Parses PORTSEG_VCAM_SINK; returns the report path for 'file:<path>', else null. */
export function fileSinkPath(value: string | undefined): string | null {
  if (value === undefined || !value.startsWith('file:')) return null
  const p = value.slice('file:'.length)
  return p === '' ? null : p
}

export function createFileSinkBackend(reportPath: string): VcamBackend {
  return {
    name: `test sink ${reportPath}`,
    diagnose: () => Promise.resolve(null),
    open: (options: VcamOpenOptions) => Promise.resolve(openFileSink(reportPath, options)),
  }
}

function openFileSink(reportPath: string, options: VcamOpenOptions): OpenedSink {
  const report: FileSinkReport = { width: options.width, height: options.height, fps: options.fps, framesWritten: 0, lastFrameMean: null, firstWriteAt: null, lastWriteAt: null, isClosed: false }
  let lastFlushMs = 0
  const flush = (): void => {
    const temp = `${reportPath}.tmp`
    writeFileSync(temp, JSON.stringify(report))
    renameSync(temp, reportPath)
    lastFlushMs = Date.now()
  }
  flush()
  return {
    device: null,
    width: options.width,
    height: options.height,
    write(frame) {
      if (report.isClosed) throw new Error('the test sink is closed')
      report.framesWritten++
      const now = new Date().toISOString()
      report.firstWriteAt ??= now
      report.lastWriteAt = now
      let sum = 0
      let n = 0
      for (let i = 0; i + 3 < frame.data.length; i += 4 * 997) {
        sum += frame.data[i]! + frame.data[i + 1]! + frame.data[i + 2]!
        n += 3
      }
      report.lastFrameMean = n === 0 ? null : sum / n
      // a few reports a second are plenty for a test, and cheap at 30 fps
      if (Date.now() - lastFlushMs > 200) flush()
    },
    close() {
      report.isClosed = true
      flush()
    },
  }
}
