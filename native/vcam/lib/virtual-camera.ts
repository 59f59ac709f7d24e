/**
 * VirtualCamera: the sink that feeds the OS virtual camera. It owns one open device, converts
 * RGBA frames to the device's YUV format and runs its own clock: when no new frame arrives
 * within a frame interval it repeats the last one, so meeting apps never see the camera stall.
 * Structurally it is the engine's FrameSink (src/main/engine/ports.ts).
 */
import { isRawSysError, loadBinding, type RawOpenResult, type VcamBinding } from './binding.js'
import { checkRgbaFrame, checkSize, frameBytes, RAW_FORMAT, RAW_MATRIX, VCAM_COLOR_SPACES, VCAM_FORMATS, type RgbaFrame, type VcamColorSpace, type VcamFormat } from './convert.js'
import { DEFAULT_LABEL, findDevice, listDevices, modprobeCommand } from './devices.js'
import { badArgument, VcamError } from './errors.js'

export interface VirtualCameraOptions {
  width: number
  height: number
  /** Negotiated frame rate; the pacer repeats frames at this rate (default 30). */
  fps?: number
  /** Device path (/dev/video10); default: the device labelled `label`. */
  device?: string
  label?: string
  format?: VcamFormat
  colorSpace?: VcamColorSpace
  /** Shown until the first write (default: a dark grey frame); never the raw camera. */
  placeholder?: RgbaFrame
  /** Repeat the last frame when idle (default true). false: write only what is given. */
  isPaced?: boolean
}

export interface VirtualCameraStats {
  /** Frames given to write()/writeRaw(). */
  framesSubmitted: number
  /** Device writes in total (fresh + repeated). */
  framesWritten: number
  /** Device writes the pacer made because no new frame had come. */
  framesRepeated: number
  /** writeAsync() frames skipped because the previous one was still converting. */
  framesDropped: number
  /** Times the device was reopened for a new input size. */
  reopens: number
  /** 'fit' when a consumer pinned the old size and frames are scaled into it. */
  sizeMode: 'exact' | 'fit'
  /** The driver accepted the frame interval (S_PARM) and STREAMON(OUTPUT) at the last open. */
  isFpsSet: boolean
  isStreamOn: boolean
  /** v4l2loopback's buffer ring was trimmed before the first write (driver race; see device_linux.cc). */
  isRingTrimmed: boolean
  lastError?: string
}

export type VirtualCameraErrorListener = (error: VcamError) => void

const CLOSE_ERRORS = new Set(['ENODEV', 'EBADF', 'EIO', 'ENXIO'])

// V4L2 FourCCs of our formats (I420 is V4L2's YUV420, 'YU12').
const V4L2_FOURCC: Record<VcamFormat, string> = { YUYV: 'YUYV', NV12: 'NV12', I420: 'YU12' }

function formatOfFourcc(fourcc: string): VcamFormat | undefined {
  return VCAM_FORMATS.find((f) => V4L2_FOURCC[f] === fourcc)
}

/** Maps a native failure to a typed error with what to do. */
function mapNativeError(e: unknown, path: string, label: string, format: VcamFormat, width: number, height: number): VcamError {
  if (!isRawSysError(e)) return new VcamError('VCAM_IO', `Virtual camera ${path}: ${String(e)}`, { cause: e })
  const errno = e.code
  const call = e.syscall ?? 'call'
  if (errno === 'ENOENT' || errno === 'ENODEV' || errno === 'ENXIO')
    return new VcamError('VCAM_NO_DEVICE', `Cannot open virtual camera ${path}: the device does not exist (any more).`, {
      cause: e,
      errno,
      hints: [`Create it: ${modprobeCommand(label)}`, 'Then start the camera again.'],
    })
  if (errno === 'EACCES' || errno === 'EPERM')
    return new VcamError('VCAM_PERMISSION', `Cannot open virtual camera ${path}: permission denied.`, {
      cause: e,
      errno,
      hints: [
        'Add yourself to the video group: sudo usermod -aG video "$USER", then log out and back in',
        `Check the node: ls -l ${path} (udev normally makes it root:video 0660)`,
      ],
    })
  if (errno === 'EBUSY')
    return new VcamError('VCAM_BUSY', `Cannot open virtual camera ${path}: the device is busy (another program is writing to it).`, {
      cause: e,
      errno,
      hints: ['Close that program (OBS virtual camera, another PortSeg) or choose another output device.'],
    })
  if (call === 'VIDIOC_S_FMT' || call === 'VIDIOC_QUERYCAP')
    return new VcamError('VCAM_FORMAT_REJECTED', `Virtual camera ${path} rejected ${width}x${height} ${format} (${call}: ${e.message}).`, {
      cause: e,
      errno,
      hints: [
        'If another program was writing to it with plain write() (ffmpeg -f v4l2), v4l2loopback 0.12 can be left unusable: reload it:',
        `pkexec modprobe -r v4l2loopback && ${modprobeCommand(label)}`,
      ],
    })
  return new VcamError('VCAM_IO', `Virtual camera ${path}: ${e.message}.`, { cause: e, errno, hints: ['Restart the camera; if it keeps failing, reload v4l2loopback.'] })
}

interface Opened {
  raw: RawOpenResult
  format: VcamFormat
}

export class VirtualCamera {
  readonly devicePath: string
  readonly label: string
  readonly fps: number
  readonly colorSpace: VcamColorSpace
  readonly isPaced: boolean
  #binding: VcamBinding
  #format: VcamFormat
  /** Size of the frames given to write(). */
  #width: number
  #height: number
  /** Size the device was set to (differs from the input in 'fit' mode). */
  #deviceWidth: number
  #deviceHeight: number
  #fd: number
  #yuv: Uint8Array
  #fitRgba: Uint8Array | undefined
  /** Second YUV buffer for writeAsync (converted into, then swapped with #yuv). */
  #spare: Uint8Array | undefined
  #isConverting = false
  #hasFrame = false
  #isClosed = false
  #lastWriteMs = 0
  #timer: NodeJS.Timeout | undefined
  #nextTickMs = 0
  #errorListeners = new Set<VirtualCameraErrorListener>()
  #stats: VirtualCameraStats = { framesSubmitted: 0, framesWritten: 0, framesRepeated: 0, framesDropped: 0, reopens: 0, sizeMode: 'exact', isFpsSet: false, isStreamOn: false, isRingTrimmed: false }

  /** Use openVirtualCamera(); the constructor takes an already opened device. */
  private constructor(binding: VcamBinding, path: string, label: string, opened: Opened, width: number, height: number, fps: number, colorSpace: VcamColorSpace, isPaced: boolean) {
    this.#binding = binding
    this.devicePath = path
    this.label = label
    this.fps = fps
    this.colorSpace = colorSpace
    this.isPaced = isPaced
    this.#format = opened.format
    this.#width = width
    this.#height = height
    this.#fd = opened.raw.fd
    this.#deviceWidth = opened.raw.width
    this.#deviceHeight = opened.raw.height
    this.#yuv = new Uint8Array(frameBytes(this.#format, this.#deviceWidth, this.#deviceHeight))
    this.#noteOpened(opened)
    this.#updateFitMode()
  }

  #noteOpened(opened: Opened): void {
    this.#stats.isFpsSet = opened.raw.fpsSet
    this.#stats.isStreamOn = opened.raw.streamOn
    this.#stats.isRingTrimmed = opened.raw.buffersTrimmed
  }

  /** Opens the device and starts the pacer; the placeholder is on screen until the first write. */
  static open(options: VirtualCameraOptions): VirtualCamera {
    const where = 'VirtualCamera.open'
    if (typeof options !== 'object' || options === null) throw badArgument(where, 'options', 'an object { width, height, ... }', options)
    const format = options.format ?? 'YUYV'
    const colorSpace = options.colorSpace ?? 'bt601'
    const fps = options.fps ?? 30
    const label = options.label ?? DEFAULT_LABEL
    if (!VCAM_FORMATS.includes(format)) throw badArgument(where, 'format', `one of ${VCAM_FORMATS.join(', ')}`, format)
    if (!VCAM_COLOR_SPACES.includes(colorSpace)) throw badArgument(where, 'colorSpace', `one of ${VCAM_COLOR_SPACES.join(', ')}`, colorSpace)
    checkSize(where, options.width, options.height, format)
    if (typeof fps !== 'number' || !Number.isInteger(fps) || fps < 1 || fps > 120) throw badArgument(where, 'fps', 'an integer from 1 to 120', fps)
    if (typeof label !== 'string' || label.length === 0 || label.length > 31) throw badArgument(where, 'label', 'a non-empty string of at most 31 characters', label)
    if (options.device !== undefined && (typeof options.device !== 'string' || !options.device.startsWith('/dev/')))
      throw badArgument(where, 'device', 'a device path like /dev/video10', options.device)
    if (options.placeholder !== undefined) checkRgbaFrame(where, options.placeholder)

    const binding = loadBinding()
    if (!binding.platformSupported)
      throw new VcamError('VCAM_NOT_SUPPORTED', `The virtual camera is not supported on this platform (${process.platform}) yet.`, {
        hints: ['Linux (v4l2loopback) works today; Windows and macOS support is planned.'],
      })
    const device = findDevice({ ...(options.device !== undefined ? { device: options.device } : {}), label })
    if (device.isCapturing && !device.acceptsOutput)
      throw new VcamError('VCAM_BUSY', `Cannot open virtual camera ${device.path}: the device is busy (another program is writing to it).`, {
        hints: ['Close that program (OBS virtual camera, another PortSeg) or choose another output device.'],
      })
    const opened = VirtualCamera.#openDevice(binding, device.path, label, options.width, options.height, fps, format, colorSpace)
    const camera = new VirtualCamera(binding, device.path, label, opened, options.width, options.height, fps, colorSpace, options.isPaced ?? true)
    try {
      camera.#showPlaceholder(options.placeholder)
    } catch (e) {
      camera.close()
      throw e
    }
    camera.#startPacer()
    return camera
  }

  static #openDevice(binding: VcamBinding, path: string, label: string, width: number, height: number, fps: number, format: VcamFormat, colorSpace: VcamColorSpace): Opened {
    let raw: RawOpenResult
    try {
      raw = binding.open(path, width, height, V4L2_FOURCC[format], fps, colorSpace === 'bt709')
    } catch (e) {
      throw mapNativeError(e, path, label, format, width, height)
    }
    // v4l2loopback keeps the format a consumer still holds: adopt it when we can write it.
    const adopted = formatOfFourcc(raw.fourcc)
    if (adopted === undefined) {
      try {
        binding.close(raw.fd)
      } catch {
        // already failing; the format error is the one to report
      }
      throw new VcamError('VCAM_FORMAT_REJECTED', `Virtual camera ${path} answered ${format} with format ${JSON.stringify(raw.fourcc)}, which PortSeg cannot write (the driver lacks ${format}, or an app holds the device in another format).`, {
        hints: ['Use YUYV (every v4l2loopback supports it), or close the apps that use the camera and start it again.', `Or reload the module: pkexec modprobe -r v4l2loopback && ${modprobeCommand(label)}`],
      })
    }
    return { raw, format: adopted }
  }

  get width(): number {
    return this.#width
  }
  get height(): number {
    return this.#height
  }
  get format(): VcamFormat {
    return this.#format
  }
  /** Size the consumers see (equals width x height unless a consumer pinned an older size). */
  get deviceSize(): { width: number; height: number } {
    return { width: this.#deviceWidth, height: this.#deviceHeight }
  }
  get isOpen(): boolean {
    return !this.#isClosed
  }
  stats(): VirtualCameraStats {
    return { ...this.#stats }
  }

  /** Errors the pacer meets while writing on its own (e.g. the device vanished). */
  onError(listener: VirtualCameraErrorListener): () => void {
    this.#errorListeners.add(listener)
    return () => this.#errorListeners.delete(listener)
  }

  /** Sends one RGBA frame. A new size reopens the device at that size (see resize). */
  write(frame: RgbaFrame): void {
    const where = 'VirtualCamera.write'
    this.#assertOpen(where)
    checkRgbaFrame(where, frame)
    if (frame.width !== this.#width || frame.height !== this.#height) this.resize(frame.width, frame.height)
    let src = frame.data
    if (this.#fitRgba) {
      this.#binding.scaleFit(frame.data, frame.width, frame.height, this.#fitRgba, this.#deviceWidth, this.#deviceHeight)
      src = this.#fitRgba
    }
    this.#binding.convert(src, this.#deviceWidth, this.#deviceHeight, RAW_FORMAT[this.#format], RAW_MATRIX[this.colorSpace], this.#yuv)
    this.#stats.framesSubmitted++
    this.#hasFrame = true
    this.#writeDevice(false)
  }

  /**
   * Same as write(), but converts on a libuv worker thread so the JS thread stays free (about
   * 2-5 ms per 720p-1080p frame). At most one conversion is in flight: a frame that arrives
   * meanwhile is dropped (counted in stats().framesDropped) and the pacer keeps the output going.
   * Do not modify frame.data until the promise settles.
   */
  async writeAsync(frame: RgbaFrame): Promise<void> {
    const where = 'VirtualCamera.writeAsync'
    this.#assertOpen(where)
    checkRgbaFrame(where, frame)
    if (this.#isConverting) {
      this.#stats.framesDropped++
      return
    }
    if (frame.width !== this.#width || frame.height !== this.#height) this.resize(frame.width, frame.height)
    let src = frame.data
    if (this.#fitRgba) {
      this.#binding.scaleFit(frame.data, frame.width, frame.height, this.#fitRgba, this.#deviceWidth, this.#deviceHeight)
      src = this.#fitRgba
    }
    const out = this.#spare?.length === this.#yuv.length ? this.#spare : new Uint8Array(this.#yuv.length)
    this.#isConverting = true
    try {
      await this.#binding.convertAsync(src, this.#deviceWidth, this.#deviceHeight, RAW_FORMAT[this.#format], RAW_MATRIX[this.colorSpace], out)
    } finally {
      this.#isConverting = false
    }
    // closed or resized while converting: this frame no longer fits the device
    if (this.#isClosed || out.length !== this.#yuv.length) return
    this.#spare = this.#yuv
    this.#yuv = out
    this.#stats.framesSubmitted++
    this.#hasFrame = true
    this.#writeDevice(false)
  }

  /** Sends one frame already in the device's format (this.format, deviceSize), e.g. NV12 from a GPU readback. */
  writeRaw(data: Uint8Array): void {
    const where = 'VirtualCamera.writeRaw'
    this.#assertOpen(where)
    if (!(data instanceof Uint8Array) || data.length !== this.#yuv.length)
      throw badArgument(where, 'data', `a Uint8Array of ${this.#yuv.length} bytes (${this.#deviceWidth}x${this.#deviceHeight} ${this.#format})`, data)
    this.#yuv.set(data)
    this.#stats.framesSubmitted++
    this.#hasFrame = true
    this.#writeDevice(false)
  }

  /**
   * Changes the input size: closes and reopens the device at the new size. When a consumer still
   * holds the old size (v4l2loopback keeps a format while anyone has it open), the device stays
   * at that size and frames are scaled into it (letterboxed), so the consumer's stream never breaks.
   */
  resize(width: number, height: number): void {
    const where = 'VirtualCamera.resize'
    this.#assertOpen(where)
    checkSize(where, width, height, this.#format)
    if (width === this.#width && height === this.#height) return
    const last = this.#yuv
    try {
      this.#binding.close(this.#fd)
    } catch {
      // closing a device that errors is still closed
    }
    let opened: Opened
    try {
      opened = VirtualCamera.#openDevice(this.#binding, this.devicePath, this.label, width, height, this.fps, this.#format, this.colorSpace)
    } catch (e) {
      // keep consumers fed at the old size if we can; report the failure either way
      try {
        opened = VirtualCamera.#openDevice(this.#binding, this.devicePath, this.label, this.#deviceWidth, this.#deviceHeight, this.fps, this.#format, this.colorSpace)
        this.#fd = opened.raw.fd
        this.#writeDevice(false)
      } catch {
        this.#shutdown()
      }
      throw e
    }
    this.#stats.reopens++
    this.#noteOpened(opened)
    this.#fd = opened.raw.fd
    this.#format = opened.format
    this.#width = width
    this.#height = height
    const sameDeviceSize = opened.raw.width === this.#deviceWidth && opened.raw.height === this.#deviceHeight
    this.#deviceWidth = opened.raw.width
    this.#deviceHeight = opened.raw.height
    this.#yuv = sameDeviceSize ? last : new Uint8Array(frameBytes(this.#format, this.#deviceWidth, this.#deviceHeight))
    this.#updateFitMode()
    if (sameDeviceSize) this.#writeDevice(false) // consumer keeps its picture until the next frame
  }

  /** Stops the pacer and releases the device; the next open() finds it usable. Safe to call twice. */
  close(): void {
    if (this.#isClosed) return
    this.#shutdown()
  }

  #shutdown(): void {
    this.#isClosed = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    try {
      this.#binding.close(this.#fd)
    } catch {
      // the fd is gone either way
    }
  }

  #assertOpen(where: string): void {
    if (this.#isClosed)
      throw new VcamError('VCAM_CLOSED', `${where}: the virtual camera ${this.devicePath} is closed.`, { hints: ['Open it again with openVirtualCamera().'] })
  }

  #updateFitMode(): void {
    const fit = this.#deviceWidth !== this.#width || this.#deviceHeight !== this.#height
    this.#fitRgba = fit ? new Uint8Array(this.#deviceWidth * this.#deviceHeight * 4) : undefined
    this.#stats.sizeMode = fit ? 'fit' : 'exact'
  }

  #showPlaceholder(placeholder: RgbaFrame | undefined): void {
    const w = this.#deviceWidth
    const h = this.#deviceHeight
    let rgba: Uint8Array
    if (placeholder) {
      rgba = new Uint8Array(w * h * 4)
      this.#binding.scaleFit(placeholder.data, placeholder.width, placeholder.height, rgba, w, h)
    } else {
      rgba = new Uint8Array(w * h * 4).fill(40) // dark grey: obviously "no picture yet", never the room
    }
    this.#binding.convert(rgba, w, h, RAW_FORMAT[this.#format], RAW_MATRIX[this.colorSpace], this.#yuv)
    this.#writeDevice(false)
  }

  #writeDevice(isRepeat: boolean): void {
    try {
      this.#binding.write(this.#fd, this.#yuv)
    } catch (e) {
      const error = mapNativeError(e, this.devicePath, this.label, this.#format, this.#deviceWidth, this.#deviceHeight)
      this.#stats.lastError = error.message
      if (isRawSysError(e) && CLOSE_ERRORS.has(e.code)) this.#shutdown()
      throw error
    }
    this.#lastWriteMs = performance.now()
    this.#stats.framesWritten++
    if (isRepeat) this.#stats.framesRepeated++
  }

  // Drift-free clock at `fps`: each tick repeats the last frame unless a fresh one was written
  // within the last interval.
  #startPacer(): void {
    if (!this.isPaced) return
    const periodMs = 1000 / this.fps
    this.#nextTickMs = performance.now() + periodMs
    const tick = (): void => {
      if (this.#isClosed) return
      const now = performance.now()
      if (now - this.#lastWriteMs >= periodMs - 2) {
        try {
          this.#writeDevice(true)
        } catch (e) {
          const error = e instanceof VcamError ? e : new VcamError('VCAM_IO', String(e))
          for (const listener of this.#errorListeners) listener(error)
          if (this.#isClosed) return
        }
      }
      this.#nextTickMs += periodMs
      // after a long block (debugger, suspend) skip the missed ticks instead of bursting
      if (this.#nextTickMs < now) this.#nextTickMs = now + periodMs
      this.#timer = setTimeout(tick, Math.max(0, this.#nextTickMs - performance.now()))
    }
    this.#timer = setTimeout(tick, periodMs)
  }

  /** Whether a real frame (not the placeholder) has been written since open. */
  get hasFrame(): boolean {
    return this.#hasFrame
  }
}

/** Opens the virtual camera (see VirtualCameraOptions). */
export function openVirtualCamera(options: VirtualCameraOptions): VirtualCamera {
  return VirtualCamera.open(options)
}

export { listDevices }
