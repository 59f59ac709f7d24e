/**
 * GPU compositing with three.js (WebGL2): camera frame n + matte n → output frame, drawn into an
 * output render target (read back for the virtual camera) and blitted to the preview canvas.
 */
import {
  ClampToEdgeWrapping,
  DataTexture,
  HalfFloatType,
  LinearFilter,
  Mesh,
  OrthographicCamera,
  PlaneGeometry,
  RedFormat,
  RGBAFormat,
  Scene,
  ShaderMaterial,
  Texture,
  UnsignedByteType,
  VideoTexture,
  WebGLRenderer,
  WebGLRenderTarget,
  type TextureDataType,
} from 'three'
import { fitTransform, type UvTransform } from './fit.js'
import { BG_MODE, BLIT_FRAG, COMPOSITE_FRAG, DOWN_FRAG, FULLSCREEN_VERT, PREP_FRAG, UP_FRAG } from './shaders.js'

export type CompositeMode = keyof typeof BG_MODE

export interface CompositeParams {
  mode: CompositeMode
  /** 0–100; picks a level of the fixed blur pyramid (cost does not grow with strength). */
  blurStrength: number
  /** '#rrggbb' for mode 'color'. */
  color: string
  /** 0–100 each. */
  feather: number
  contrast: number
  lightWrap: number
  fit: 'crop' | 'pad'
}

/** A camera frame held on the GPU (the ring of recent frames keyed by seq). */
export interface CameraTexture {
  readonly texture: DataTexture
  readonly data: Uint8Array
  readonly width: number
  readonly height: number
}

export interface MatteInput {
  alpha: Uint8Array
  width: number
  height: number
  /** RVM foreground, RGB. */
  foreground?: Uint8Array
}

/** Levels of the blur pyramid below the first (half-resolution) one. */
export const BLUR_LEVELS = 6

export class Compositor {
  readonly renderer: WebGLRenderer
  #outW = 0
  #outH = 0
  #mirror = false
  #previewW = 0
  #previewH = 0
  #isPreviewVisible = true
  readonly #scene = new Scene()
  readonly #camera = new OrthographicCamera(-1, 1, 1, -1, 0, 1)
  readonly #quad: Mesh
  readonly #prep: ShaderMaterial
  readonly #down: ShaderMaterial
  readonly #up: ShaderMaterial
  readonly #composite: ShaderMaterial
  readonly #blit: ShaderMaterial
  readonly #blurType: TextureDataType
  #levels: WebGLRenderTarget[] = []
  #ups: WebGLRenderTarget[] = []
  #output: WebGLRenderTarget | null = null
  #alpha: DataTexture | null = null
  #fgr: DataTexture | null = null
  #fgrRgba: Uint8Array | null = null
  #bg: Texture | null = null
  #bgSize: { width: number; height: number } | null = null
  readonly #blank: DataTexture
  #isDisposed = false

  constructor(canvas: HTMLCanvasElement, outW: number, outH: number) {
    this.renderer = new WebGLRenderer({ canvas, antialias: false, alpha: false, depth: false, stencil: false, powerPreference: 'high-performance' })
    this.renderer.autoClear = false
    // 8-bit blur levels: measured as precise enough after normalisation and cheaper on software GL;
    // ?halfFloat (a debugging switch) uses half-float levels where the GPU can render to them
    this.#blurType =
      new URLSearchParams(location.search).has('halfFloat') && (this.renderer.extensions.has('EXT_color_buffer_float') || this.renderer.extensions.has('EXT_color_buffer_half_float'))
        ? HalfFloatType
        : UnsignedByteType
    const material = (fragmentShader: string, uniforms: Record<string, { value: unknown }>): ShaderMaterial =>
      new ShaderMaterial({ vertexShader: FULLSCREEN_VERT, fragmentShader, uniforms, depthTest: false, depthWrite: false })
    this.#blank = new DataTexture(new Uint8Array([0, 0, 0, 255]), 1, 1, RGBAFormat)
    this.#blank.needsUpdate = true
    this.#prep = material(PREP_FRAG, {
      tCam: { value: this.#blank },
      tAlpha: { value: this.#blank },
      uAlphaTexel: { value: [1, 1] },
      uIgnoreMask: { value: false },
      uCamXform: { value: [1, 1, 0, 0] },
    })
    this.#down = material(DOWN_FRAG, { tSrc: { value: null }, uSrcTexel: { value: [1, 1] } })
    this.#up = material(UP_FRAG, { tSrc: { value: null }, tLevel: { value: this.#blank }, uSrcTexel: { value: [1, 1] }, uMix: { value: 1 } })
    this.#composite = material(COMPOSITE_FRAG, {
      tCam: { value: this.#blank },
      tAlpha: { value: this.#blank },
      tFgr: { value: this.#blank },
      uHasFgr: { value: false },
      tBlur: { value: this.#blank },
      tBg: { value: this.#blank },
      uBgXform: { value: [1, 1, 0, 0] },
      uColor: { value: [0, 0, 0] },
      uMode: { value: 0 },
      uAlphaTexel: { value: [1, 1] },
      uFeatherPx: { value: 0 },
      uContrast: { value: 1 },
      uLightWrap: { value: 0 },
      uCamXform: { value: [1, 1, 0, 0] },
    })
    this.#blit = material(BLIT_FRAG, { tSrc: { value: null }, uMirror: { value: false } })
    this.#quad = new Mesh(new PlaneGeometry(2, 2), this.#prep)
    this.#quad.frustumCulled = false
    this.#scene.add(this.#quad)
    this.setOutputSize(outW, outH)
  }

  get outputWidth(): number {
    return this.#outW
  }
  get outputHeight(): number {
    return this.#outH
  }

  setOutputSize(width: number, height: number): void {
    if (width === this.#outW && height === this.#outH) return
    this.#outW = width
    this.#outH = height
    for (const t of [...this.#levels, ...this.#ups]) t.dispose()
    this.#output?.dispose()
    this.#levels = []
    this.#ups = []
    let w = Math.max(1, Math.round(width / 2))
    let h = Math.max(1, Math.round(height / 2))
    for (let i = 0; i <= BLUR_LEVELS; i++) {
      this.#levels.push(this.#target(w, h, this.#blurType))
      this.#ups.push(this.#target(w, h, this.#blurType))
      w = Math.max(1, Math.round(w / 2))
      h = Math.max(1, Math.round(h / 2))
    }
    this.#output = this.#target(width, height, UnsignedByteType)
    this.setPreviewSize(this.#previewW || width, this.#previewH || height)
  }

  /** The preview canvas's pixel size (its on-screen size), independent of the output size. */
  setPreviewSize(width: number, height: number): void {
    // never more pixels than the output has: the preview shows the output
    const scale = Math.min(1, this.#outW / Math.max(1, width), this.#outH / Math.max(1, height))
    const w = Math.max(2, Math.round(width * scale))
    const h = Math.max(2, Math.round(height * scale))
    // resizing a canvas reallocates its buffer: only when the size really changed
    if (w === this.#previewW && h === this.#previewH && this.renderer.domElement.width === w) return
    this.#previewW = w
    this.#previewH = h
    this.renderer.setSize(w, h, false)
  }

  /** A hidden window (closed to the tray) skips the preview; the output keeps going. */
  setPreviewVisible(isVisible: boolean): void {
    this.#isPreviewVisible = isVisible
  }

  setMirror(isMirrored: boolean): void {
    this.#mirror = isMirrored
  }

  createCameraTexture(width: number, height: number): CameraTexture {
    const data = new Uint8Array(width * height * 4)
    const texture = new DataTexture(data, width, height, RGBAFormat, UnsignedByteType)
    setupTexture(texture)
    return { texture, data, width, height }
  }

  /** The pixels in data changed: upload them on next use. */
  markCameraUpdated(cam: CameraTexture): void {
    cam.texture.needsUpdate = true
  }

  /** An image or looping video for mode 'texture'; null clears it. */
  setBackgroundSource(source: HTMLImageElement | HTMLVideoElement | ImageBitmap | null): void {
    this.#bg?.dispose()
    this.#bg = null
    this.#bgSize = null
    if (!source) return
    const texture = source instanceof HTMLVideoElement ? new VideoTexture(source) : new Texture(source)
    setupTexture(texture)
    texture.needsUpdate = true
    this.#bg = texture
    this.#bgSize =
      source instanceof HTMLVideoElement
        ? { width: source.videoWidth, height: source.videoHeight }
        : source instanceof HTMLImageElement
          ? { width: source.naturalWidth, height: source.naturalHeight }
          : { width: source.width, height: source.height }
  }

  get hasBackgroundSource(): boolean {
    return this.#bg !== null
  }

  /**
   * Composites one frame into the output target and the preview. matte is required for every mode
   * except 'passthrough' (the user turned effects off) and 'privacy' (fail-closed frame).
   */
  render(cam: CameraTexture, matte: MatteInput | null, params: CompositeParams): void {
    if (this.#isDisposed) return
    const needsMatte = params.mode !== 'passthrough' && params.mode !== 'privacy'
    if (needsMatte && !matte) throw new Error(`Compositor.render: mode '${params.mode}' needs the matte of this frame`)
    const camXform = fitTransform(cam.width, cam.height, this.#outW, this.#outH, params.fit)
    if (matte) this.#uploadMatte(matte)
    const alphaTexel = matte ? [1 / matte.width, 1 / matte.height] : [1, 1]

    if (params.mode === 'blur' || params.mode === 'privacy') {
      const isPrivacy = params.mode === 'privacy'
      this.#blur(cam, camXform, alphaTexel, isPrivacy ? 100 : params.blurStrength, isPrivacy)
    }

    const u = this.#composite.uniforms
    u.tCam!.value = cam.texture
    u.tAlpha!.value = matte ? this.#alpha : this.#blank
    u.tFgr!.value = matte?.foreground && this.#fgr ? this.#fgr : this.#blank
    u.uHasFgr!.value = Boolean(matte?.foreground)
    u.tBlur!.value = this.#ups[0]!.texture
    u.uMode!.value = params.mode === 'texture' && !this.#bg ? BG_MODE.color : BG_MODE[params.mode]
    if (this.#bg && this.#bgSize) {
      u.tBg!.value = this.#bg
      u.uBgXform!.value = fitTransform(this.#bgSize.width, this.#bgSize.height, this.#outW, this.#outH, 'crop')
    }
    u.uColor!.value = hexToRgb(params.color)
    u.uAlphaTexel!.value = alphaTexel
    // feather radius in matte pixels (up to 6 at 640 wide, scaled with the matte), contrast as a gain around 0.5 (50 = unchanged)
    u.uFeatherPx!.value = clamp01(params.feather / 100) * 6 * Math.max(1, (matte?.width ?? 640) / 640)
    u.uContrast!.value = Math.pow(2, (clamp(params.contrast, 0, 100) - 50) / 25)
    u.uLightWrap!.value = clamp01(params.lightWrap / 100)
    u.uCamXform!.value = camXform
    this.#pass(this.#composite, this.#output)

    if (!this.#isPreviewVisible) return
    this.#blit.uniforms.tSrc!.value = this.#output!.texture
    this.#blit.uniforms.uMirror!.value = this.#mirror
    this.#pass(this.#blit, null)
  }

  /** Reads the last composite back, RGBA, top row first. */
  readOutput(into?: Uint8Array): Uint8Array {
    const buf = into ?? new Uint8Array(this.#outW * this.#outH * 4)
    this.renderer.readRenderTargetPixels(this.#output!, 0, 0, this.#outW, this.#outH, buf)
    return buf
  }

  dispose(): void {
    if (this.#isDisposed) return
    this.#isDisposed = true
    for (const t of [...this.#levels, ...this.#ups]) t.dispose()
    this.#output?.dispose()
    this.#alpha?.dispose()
    this.#fgr?.dispose()
    this.#bg?.dispose()
    this.#blank.dispose()
    for (const m of [this.#prep, this.#down, this.#up, this.#composite, this.#blit]) m.dispose()
    this.#quad.geometry.dispose()
    this.renderer.dispose()
  }

  #blur(cam: CameraTexture, camXform: UvTransform, alphaTexel: number[], strength: number, ignoreMask: boolean): void {
    const p = this.#prep.uniforms
    p.tCam!.value = cam.texture
    p.tAlpha!.value = ignoreMask ? this.#blank : this.#alpha
    p.uAlphaTexel!.value = alphaTexel
    p.uIgnoreMask!.value = ignoreMask
    p.uCamXform!.value = camXform
    this.#pass(this.#prep, this.#levels[0]!)

    // strength → a continuous level in [0, BLUR_LEVELS]; all passes are at most one chain down and up
    const level = clamp01(strength / 100) * BLUR_LEVELS
    const top = Math.ceil(level)
    for (let i = 1; i <= top; i++) {
      this.#down.uniforms.tSrc!.value = this.#levels[i - 1]!.texture
      this.#down.uniforms.uSrcTexel!.value = texel(this.#levels[i - 1]!)
      this.#pass(this.#down, this.#levels[i]!)
    }
    const floor = Math.floor(level)
    const frac = level - floor
    let src = this.#levels[top]!
    for (let i = top - 1; i >= 0; i--) {
      const uu = this.#up.uniforms
      uu.tSrc!.value = src.texture
      uu.uSrcTexel!.value = texel(src)
      uu.tLevel!.value = this.#levels[i]!.texture
      // the first step up blends with the level below the target, giving a continuous strength
      uu.uMix!.value = i === floor && frac > 0 ? frac : 1
      this.#pass(this.#up, this.#ups[i]!)
      src = this.#ups[i]!
    }
    if (top === 0) {
      // strength 0: the first level as is
      this.#copyLevel0()
    }
  }

  #copyLevel0(): void {
    const uu = this.#up.uniforms
    uu.tSrc!.value = this.#levels[0]!.texture
    uu.uSrcTexel!.value = texel(this.#levels[0]!)
    uu.tLevel!.value = this.#levels[0]!.texture
    uu.uMix!.value = 0
    this.#pass(this.#up, this.#ups[0]!)
  }

  #uploadMatte(m: MatteInput): void {
    if (!this.#alpha || this.#alpha.image.width !== m.width || this.#alpha.image.height !== m.height) {
      this.#alpha?.dispose()
      this.#alpha = new DataTexture(m.alpha, m.width, m.height, RedFormat, UnsignedByteType)
      setupTexture(this.#alpha)
    } else this.#alpha.image.data = m.alpha
    this.#alpha.needsUpdate = true
    if (m.foreground) {
      const n = m.width * m.height
      if (!this.#fgrRgba || this.#fgrRgba.length !== n * 4) this.#fgrRgba = new Uint8Array(n * 4)
      const rgba = this.#fgrRgba
      const rgb = m.foreground
      for (let i = 0, j = 0; i < n; i++, j += 3) {
        rgba[i * 4] = rgb[j]!
        rgba[i * 4 + 1] = rgb[j + 1]!
        rgba[i * 4 + 2] = rgb[j + 2]!
        rgba[i * 4 + 3] = 255
      }
      if (!this.#fgr || this.#fgr.image.width !== m.width || this.#fgr.image.height !== m.height) {
        this.#fgr?.dispose()
        this.#fgr = new DataTexture(rgba, m.width, m.height, RGBAFormat, UnsignedByteType)
        setupTexture(this.#fgr)
      }
      this.#fgr.needsUpdate = true
    }
  }

  #target(width: number, height: number, type: TextureDataType): WebGLRenderTarget {
    const t = new WebGLRenderTarget(width, height, { type, format: RGBAFormat, depthBuffer: false, stencilBuffer: false, minFilter: LinearFilter, magFilter: LinearFilter, generateMipmaps: false })
    t.texture.wrapS = ClampToEdgeWrapping
    t.texture.wrapT = ClampToEdgeWrapping
    return t
  }

  #pass(material: ShaderMaterial, target: WebGLRenderTarget | null): void {
    this.#quad.material = material
    this.renderer.setRenderTarget(target)
    this.renderer.render(this.#scene, this.#camera)
  }
}

function setupTexture(t: Texture): void {
  // image space everywhere: row 0 is the top row (see shaders.ts)
  t.flipY = false
  t.unpackAlignment = 1
  t.generateMipmaps = false
  t.minFilter = LinearFilter
  t.magFilter = LinearFilter
  t.wrapS = ClampToEdgeWrapping
  t.wrapT = ClampToEdgeWrapping
}

function texel(t: WebGLRenderTarget): [number, number] {
  return [1 / t.width, 1 / t.height]
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Number.isFinite(x) ? x : lo))
}
function clamp01(x: number): number {
  return clamp(x, 0, 1)
}

export function hexToRgb(hex: string): [number, number, number] {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex)
  if (!m) return [0, 0, 0]
  return [parseInt(m[1]!, 16) / 255, parseInt(m[2]!, 16) / 255, parseInt(m[3]!, 16) / 255]
}
