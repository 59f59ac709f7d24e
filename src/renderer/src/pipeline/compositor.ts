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
  RGBFormat,
  RGFormat,
  Scene,
  ShaderMaterial,
  Texture,
  UnsignedByteType,
  VideoTexture,
  WebGLRenderer,
  WebGLRenderTarget,
  type PixelFormat,
  type TextureDataType,
} from 'three'
import { fitTransform, type UvTransform } from './fit.js'
import { ALPHA_SOURCE, BG_MODE, BLIT_FRAG, COMPOSITE_FRAG, DOWN_FRAG, EDGE_FRAG, FULLSCREEN_VERT, GUARD_DILATE_FRAG, GUARD_FRAG, PREP_FRAG, UP_FRAG } from './shaders.js'

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

type Uniforms = Record<string, { value: unknown }>
interface EdgePlan {
  width: number
  height: number
  isFeathered: boolean
  wrap: boolean
}
type Defines = Record<string, string | number>

/**
 * One shader in the variants its #defines select, compiled on first use (a settings change),
 * all sharing one set of uniforms.
 */
class ShaderVariants {
  readonly uniforms: Uniforms
  readonly #fragmentShader: string
  readonly #byKey = new Map<string, ShaderMaterial>()

  constructor(fragmentShader: string, uniforms: Uniforms) {
    this.#fragmentShader = fragmentShader
    this.uniforms = uniforms
  }

  get(defines: Defines = {}): ShaderMaterial {
    const key = JSON.stringify(defines)
    let m = this.#byKey.get(key)
    if (!m) {
      m = new ShaderMaterial({ vertexShader: FULLSCREEN_VERT, fragmentShader: this.#fragmentShader, uniforms: this.uniforms, defines, depthTest: false, depthWrite: false })
      this.#byKey.set(key, m)
    }
    return m
  }

  dispose(): void {
    for (const m of this.#byKey.values()) m.dispose()
    this.#byKey.clear()
  }
}

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
  readonly #guard: ShaderVariants
  readonly #guardDilate: ShaderVariants
  readonly #edge: ShaderVariants
  readonly #prep: ShaderVariants
  readonly #down: ShaderVariants
  readonly #up: ShaderVariants
  readonly #composite: ShaderVariants
  readonly #blit: ShaderVariants
  readonly #blurType: TextureDataType
  #levels: WebGLRenderTarget[] = []
  #ups: WebGLRenderTarget[] = []
  #output: WebGLRenderTarget | null = null
  /** the edge pass's target (feathered + wide alpha), sized for the current matte and output */
  #edgeTarget: WebGLRenderTarget | null = null
  /** where the matte is flat, per block (see GUARD_FRAG), before and after dilation */
  #guardTargets: [WebGLRenderTarget, WebGLRenderTarget] | null = null
  #alpha: DataTexture | null = null
  #fgr: DataTexture | null = null
  #bg: Texture | null = null
  #bgSize: { width: number; height: number } | null = null
  readonly #blank: DataTexture
  #isDisposed = false
  /** Benchmarks only: called after each GPU step with its name (the callee may wait for the GPU to time it). */
  onStep: ((step: string) => void) | null = null

  constructor(canvas: HTMLCanvasElement, outW: number, outH: number) {
    this.renderer = new WebGLRenderer({ canvas, antialias: false, alpha: false, depth: false, stencil: false, powerPreference: 'high-performance' })
    this.renderer.autoClear = false
    // 8-bit blur levels: measured as precise enough after normalisation and cheaper on software GL;
    // ?halfFloat (a debugging switch) uses half-float levels where the GPU can render to them
    this.#blurType =
      new URLSearchParams(location.search).has('halfFloat') && (this.renderer.extensions.has('EXT_color_buffer_float') || this.renderer.extensions.has('EXT_color_buffer_half_float'))
        ? HalfFloatType
        : UnsignedByteType
    this.#blank = new DataTexture(new Uint8Array([0, 0, 0, 255]), 1, 1, RGBAFormat)
    this.#blank.needsUpdate = true
    this.#guard = new ShaderVariants(GUARD_FRAG, { tAlpha: { value: this.#blank } })
    this.#guardDilate = new ShaderVariants(GUARD_DILATE_FRAG, { tGuard: { value: this.#blank } })
    this.#edge = new ShaderVariants(EDGE_FRAG, { tAlpha: { value: this.#blank }, tGuard: { value: this.#blank }, uAlphaTexel: { value: [1, 1] }, uFeatherPx: { value: 0 } })
    this.#prep = new ShaderVariants(PREP_FRAG, {
      tCam: { value: this.#blank },
      tAlpha: { value: this.#blank },
      tGuard: { value: this.#blank },
      uAlphaTexel: { value: [1, 1] },
      uCamXform: { value: [1, 1, 0, 0] },
    })
    this.#down = new ShaderVariants(DOWN_FRAG, { tSrc: { value: null }, uSrcTexel: { value: [1, 1] } })
    this.#up = new ShaderVariants(UP_FRAG, { tSrc: { value: null }, tLevel: { value: this.#blank }, uSrcTexel: { value: [1, 1] }, uMix: { value: 1 } })
    this.#composite = new ShaderVariants(COMPOSITE_FRAG, {
      tCam: { value: this.#blank },
      tAlpha: { value: this.#blank },
      tEdge: { value: this.#blank },
      tFgr: { value: this.#blank },
      tBlur: { value: this.#blank },
      tBg: { value: this.#blank },
      uBgXform: { value: [1, 1, 0, 0] },
      uColor: { value: [0, 0, 0] },
      uAlphaTexel: { value: [1, 1] },
      uFeatherPx: { value: 0 },
      uContrast: { value: 1 },
      uLightWrap: { value: 0 },
      uCamXform: { value: [1, 1, 0, 0] },
    })
    this.#blit = new ShaderVariants(BLIT_FRAG, { tSrc: { value: null }, uXform: { value: [1, -1, 0, 1] } })
    this.#quad = new Mesh(new PlaneGeometry(2, 2), this.#blit.get())
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

  /**
   * The pixels in data changed: upload them now (a sub-image update of the texture), while the
   * frame is with the engine, so compositing it later does not wait for the copy.
   */
  markCameraUpdated(cam: CameraTexture): void {
    if (this.#isDisposed) return
    cam.texture.needsUpdate = true
    this.renderer.initTexture(cam.texture)
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
    // a no-op when markCameraUpdated already uploaded it
    this.renderer.initTexture(cam.texture)
    this.onStep?.('upload camera')
    if (matte && needsMatte) this.#uploadMatte(matte)
    this.onStep?.('upload matte')
    const mode = params.mode === 'texture' && !this.#bg ? 'color' : params.mode
    const alphaTexel = matte ? [1 / matte.width, 1 / matte.height] : [1, 1]
    // feather radius in matte pixels (up to 6 at 640 wide, scaled with the matte)
    const featherPx = clamp01(params.feather / 100) * 6 * Math.max(1, (matte?.width ?? 640) / 640)
    const lightWrap = clamp01(params.lightWrap / 100)

    const defines: Defines = { MODE: BG_MODE[mode], ALPHA: ALPHA_SOURCE.raw }
    if (params.fit === 'pad') defines.PAD = ''
    const u = this.#composite.uniforms
    if (matte && needsMatte) {
      const edge = this.#edgePlan(matte, camXform, featherPx, lightWrap > 0)
      // the guard's block must cover every alpha tap around a point: feather, light wrap (10), dilation (2.5)
      let block = 16
      while (block < Math.max(featherPx, 10) + 2) block *= 2
      if (edge || mode === 'blur') this.#guardPass(matte, block)
      if (edge) u.tEdge!.value = this.#edgePass(matte, edge, featherPx, block)
      if (featherPx >= 0.05) defines.ALPHA = edge?.isFeathered ? ALPHA_SOURCE.edge : ALPHA_SOURCE.feather4
      if (lightWrap > 0) defines.WRAP = ''
      if (matte.foreground && this.#fgr) defines.FGR = ''
      if (mode === 'blur') u.tBlur!.value = this.#blur(cam, camXform, alphaTexel, params.blurStrength, block)
    } else if (mode === 'privacy') u.tBlur!.value = this.#blur(cam, camXform, alphaTexel, 100, null)

    u.tCam!.value = cam.texture
    u.tAlpha!.value = matte && needsMatte ? this.#alpha : this.#blank
    u.tFgr!.value = this.#fgr ?? this.#blank
    if (this.#bg && this.#bgSize) {
      u.tBg!.value = this.#bg
      u.uBgXform!.value = fitTransform(this.#bgSize.width, this.#bgSize.height, this.#outW, this.#outH, 'crop')
    }
    u.uColor!.value = hexToRgb(params.color)
    u.uAlphaTexel!.value = alphaTexel
    u.uFeatherPx!.value = featherPx
    // contrast as a gain around 0.5 (50 = unchanged)
    u.uContrast!.value = Math.pow(2, (clamp(params.contrast, 0, 100) - 50) / 25)
    u.uLightWrap!.value = lightWrap
    u.uCamXform!.value = camXform
    this.#pass(this.#composite.get(defines), this.#output)
    this.onStep?.('composite')

    if (!this.#isPreviewVisible) return
    this.#blit.uniforms.tSrc!.value = this.#output!.texture
    // the screen's rows go bottom up; the mirror flips x
    this.#blit.uniforms.uXform!.value = this.#mirror ? [-1, -1, 1, 1] : [1, -1, 0, 1]
    this.#pass(this.#blit.get(), null)
    this.onStep?.('preview blit')
  }

  /** Reads the last composite back, RGBA, top row first. */
  readOutput(into?: Uint8Array): Uint8Array {
    const buf = into ?? new Uint8Array(this.#outW * this.#outH * 4)
    this.renderer.readRenderTargetPixels(this.#output!, 0, 0, this.#outW, this.#outH, buf)
    this.onStep?.('read back')
    return buf
  }

  dispose(): void {
    if (this.#isDisposed) return
    this.#isDisposed = true
    for (const t of [...this.#levels, ...this.#ups]) t.dispose()
    this.#output?.dispose()
    this.#edgeTarget?.dispose()
    this.#alpha?.dispose()
    this.#fgr?.dispose()
    this.#bg?.dispose()
    this.#blank.dispose()
    for (const t of this.#guardTargets ?? []) t.dispose()
    for (const m of [this.#guard, this.#guardDilate, this.#edge, this.#prep, this.#down, this.#up, this.#composite, this.#blit]) m.dispose()
    this.#quad.geometry.dispose()
    this.renderer.dispose()
  }

  /**
   * The edge pass's grid: the matte's, but at most half the output's pixels across the camera frame
   * (where the feathered edge is smooth anyway), in camera space; null when no edge pass is needed.
   * A feather under one texel of this grid is done in the composite instead (at full resolution).
   */
  #edgePlan(matte: MatteInput, camXform: UvTransform, featherPx: number, wrap: boolean): EdgePlan | null {
    const width = Math.min(matte.width, Math.ceil(this.#outW / camXform[0] / 2))
    const height = Math.min(matte.height, Math.ceil(this.#outH / camXform[1] / 2))
    const texelPx = Math.max(matte.width / width, matte.height / height)
    const isFeathered = featherPx >= 0.05 && featherPx >= texelPx
    return isFeathered || wrap ? { width, height, isFeathered, wrap } : null
  }

  /** Where the matte is flat (for the edge and prep passes to skip their alpha taps there). */
  #guardPass(matte: MatteInput, block: number): void {
    const w = Math.ceil(matte.width / block)
    const h = Math.ceil(matte.height / block)
    if (!this.#guardTargets || this.#guardTargets[0].width !== w || this.#guardTargets[0].height !== h) {
      for (const t of this.#guardTargets ?? []) t.dispose()
      this.#guardTargets = [this.#target(w, h, UnsignedByteType, RedFormat), this.#target(w, h, UnsignedByteType, RedFormat)]
    }
    const [flat, dilated] = this.#guardTargets
    this.#guard.uniforms.tAlpha!.value = this.#alpha
    this.#pass(this.#guard.get({ BLOCK: block }), flat)
    this.#guardDilate.uniforms.tGuard!.value = flat.texture
    this.#pass(this.#guardDilate.get(), dilated)
    this.#edge.uniforms.tGuard!.value = dilated.texture
    this.#prep.uniforms.tGuard!.value = dilated.texture
    this.onStep?.('guard')
  }

  /** The feathered and wide alpha into the edge target. */
  #edgePass(matte: MatteInput, plan: EdgePlan, featherPx: number, block: number): Texture {
    if (!this.#edgeTarget || this.#edgeTarget.width !== plan.width || this.#edgeTarget.height !== plan.height) {
      this.#edgeTarget?.dispose()
      this.#edgeTarget = this.#target(plan.width, plan.height, UnsignedByteType, RGFormat)
    }
    const e = this.#edge.uniforms
    e.tAlpha!.value = this.#alpha
    e.uAlphaTexel!.value = [1 / matte.width, 1 / matte.height]
    e.uFeatherPx!.value = featherPx
    const defines: Defines = { BLOCK: block }
    if (plan.isFeathered) defines.FEATHER = ''
    if (plan.wrap) defines.WRAP = ''
    this.#pass(this.#edge.get(defines), this.#edgeTarget)
    this.onStep?.('edge')
    return this.#edgeTarget.texture
  }

  /**
   * The blurred background (premultiplied by its weight) for this strength; cost independent of it.
   * guardBlock: the guard's block size when the matte masks the person out; null blurs everything.
   */
  #blur(cam: CameraTexture, camXform: UvTransform, alphaTexel: number[], strength: number, guardBlock: number | null): Texture {
    const p = this.#prep.uniforms
    p.tCam!.value = cam.texture
    p.tAlpha!.value = guardBlock === null ? this.#blank : this.#alpha
    p.uAlphaTexel!.value = alphaTexel
    p.uCamXform!.value = camXform
    this.#pass(this.#prep.get(guardBlock === null ? {} : { MASK: '', BLOCK: guardBlock }), this.#levels[0]!)
    this.onStep?.('prep')

    // strength → a continuous level in [0, BLUR_LEVELS]; all passes are at most one chain down and up
    const level = clamp01(strength / 100) * BLUR_LEVELS
    const top = Math.ceil(level)
    for (let i = 1; i <= top; i++) {
      this.#down.uniforms.tSrc!.value = this.#levels[i - 1]!.texture
      this.#down.uniforms.uSrcTexel!.value = texel(this.#levels[i - 1]!)
      this.#pass(this.#down.get(), this.#levels[i]!)
    }
    this.onStep?.('blur down')
    const floor = Math.floor(level)
    const frac = level - floor
    // strength 0: the first level as is
    let src = this.#levels[top]!
    for (let i = top - 1; i >= 0; i--) {
      const uu = this.#up.uniforms
      uu.tSrc!.value = src.texture
      uu.uSrcTexel!.value = texel(src)
      uu.tLevel!.value = this.#levels[i]!.texture
      // the first step up blends with the level below the target, giving a continuous strength
      const isMix = i === floor && frac > 0
      uu.uMix!.value = isMix ? frac : 1
      const defines: Defines = {}
      if (isMix) defines.MIX = ''
      if (i === 0) defines.UP4 = ''
      this.#pass(this.#up.get(defines), this.#ups[i]!)
      src = this.#ups[i]!
    }
    this.onStep?.('blur up')
    return src.texture
  }

  #uploadMatte(m: MatteInput): void {
    if (!this.#alpha || this.#alpha.image.width !== m.width || this.#alpha.image.height !== m.height) {
      this.#alpha?.dispose()
      this.#alpha = new DataTexture(m.alpha, m.width, m.height, RedFormat, UnsignedByteType)
      setupTexture(this.#alpha)
    } else this.#alpha.image.data = m.alpha
    this.#alpha.needsUpdate = true
    this.renderer.initTexture(this.#alpha)
    if (m.foreground) {
      // RGB as it comes (the driver expands it); three needs the sized format named for texStorage
      if (!this.#fgr || this.#fgr.image.width !== m.width || this.#fgr.image.height !== m.height) {
        this.#fgr?.dispose()
        this.#fgr = new DataTexture(m.foreground, m.width, m.height, RGBFormat, UnsignedByteType)
        this.#fgr.internalFormat = 'RGB8'
        setupTexture(this.#fgr)
      } else this.#fgr.image.data = m.foreground
      this.#fgr.needsUpdate = true
      this.renderer.initTexture(this.#fgr)
    }
  }

  #target(width: number, height: number, type: TextureDataType, format: PixelFormat = RGBAFormat): WebGLRenderTarget {
    const t = new WebGLRenderTarget(width, height, { type, format, depthBuffer: false, stencilBuffer: false, minFilter: LinearFilter, magFilter: LinearFilter, generateMipmaps: false })
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
