/** Camera capture: getUserMedia for the chosen device, and RGBA read-back of its frames. */

export interface CameraRequest {
  deviceId: string | null
  width: number
  height: number
  fps: number
}

export interface OpenCamera {
  readonly video: HTMLVideoElement
  readonly stream: MediaStream
  /** Stable for this device + stream; a change tells main to reset recurrent state. */
  readonly sourceId: string
  readonly deviceId: string | null
  readonly label: string
  stop(): void
}

export class CameraError extends Error {
  constructor(
    readonly kind: 'denied' | 'not-found' | 'busy' | 'unsupported' | 'failed',
    message: string,
  ) {
    super(message)
    this.name = 'CameraError'
  }
}

let streamCounter = 0

export async function openCamera(req: CameraRequest): Promise<OpenCamera> {
  if (!navigator.mediaDevices?.getUserMedia) throw new CameraError('unsupported', 'This window cannot use cameras (no mediaDevices.getUserMedia).')
  const video: MediaTrackConstraints = {
    width: { ideal: req.width },
    height: { ideal: req.height },
    frameRate: { ideal: req.fps },
    ...(req.deviceId ? { deviceId: { exact: req.deviceId } } : {}),
  }
  let stream: MediaStream
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video, audio: false })
  } catch (e) {
    throw describeCameraError(e, req.deviceId)
  }
  const track = stream.getVideoTracks()[0]
  if (!track) throw new CameraError('failed', 'The camera opened but delivered no video track. Choose another camera in Settings → Camera.')
  const settings = track.getSettings()
  const el = document.createElement('video')
  el.muted = true
  el.playsInline = true
  el.srcObject = stream
  await el.play()
  if (el.videoWidth === 0) await new Promise<void>((resolve) => el.addEventListener('loadedmetadata', () => resolve(), { once: true }))
  streamCounter++
  return {
    video: el,
    stream,
    sourceId: `${settings.deviceId ?? 'default'}#${streamCounter}`,
    deviceId: settings.deviceId ?? null,
    label: track.label,
    stop() {
      for (const t of stream.getTracks()) t.stop()
      el.srcObject = null
    },
  }
}

function describeCameraError(e: unknown, deviceId: string | null): CameraError {
  const name = e instanceof DOMException ? e.name : ''
  const detail = e instanceof Error ? e.message : String(e)
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return new CameraError('denied', 'Camera access was refused. Allow PortSeg Camera to use the camera in your system privacy settings, then choose the camera again.')
    case 'NotFoundError':
    case 'OverconstrainedError':
      return new CameraError(
        'not-found',
        deviceId ? 'The chosen camera is not connected. Plug it in or choose another camera in Settings → Camera.' : 'No camera was found. Connect a camera, then choose it in Settings → Camera.',
      )
    case 'NotReadableError':
    case 'AbortError':
      return new CameraError('busy', `The camera is in use by another program or could not start (${detail}). Close the other program or choose another camera.`)
    default:
      return new CameraError('failed', `The camera could not be opened: ${detail}`)
  }
}

export async function listCameras(): Promise<MediaDeviceInfo[]> {
  if (!navigator.mediaDevices?.enumerateDevices) return []
  const all = await navigator.mediaDevices.enumerateDevices()
  return all.filter((d) => d.kind === 'videoinput')
}

/**
 * Reads video frames back as tightly packed RGBA (top row first). A 2D canvas with
 * willReadFrequently keeps the pixels CPU-side, which is what the transfer to main needs.
 */
export class FrameReader {
  readonly #canvas: OffscreenCanvas | HTMLCanvasElement
  readonly #ctx: OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D

  constructor() {
    this.#canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(2, 2) : document.createElement('canvas')
    const ctx = this.#canvas.getContext('2d', { willReadFrequently: true, alpha: false }) as OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null
    if (!ctx) throw new Error('FrameReader: this window has no 2D canvas')
    this.#ctx = ctx
  }

  /** null while the video has no frame yet. */
  read(video: HTMLVideoElement): ImageData | null {
    const w = video.videoWidth
    const h = video.videoHeight
    if (w < 2 || h < 2) return null
    if (this.#canvas.width !== w || this.#canvas.height !== h) {
      this.#canvas.width = w
      this.#canvas.height = h
    }
    this.#ctx.drawImage(video, 0, 0, w, h)
    return this.#ctx.getImageData(0, 0, w, h)
  }
}
