/**
 * GLSL for the compositor. Every texture is stored top row first (flipY = false), and every
 * render target holds image row r at GL row r, so vUv is "image space" (v = 0 is the top row)
 * in every pass; only the final blit to the screen flips. readPixels then returns rows top first.
 *
 * Cost model (measured on SwiftShader, the software GL of the browser tests, which runs every
 * fragment shader on the CPU): each bilinear tap of a 1280x720 pass costs about as much as the
 * pass itself (~15 ms RGBA, ~10 ms R8). So the full-resolution composite takes as few taps as
 * possible, the matte's edge is worked out at a quarter of the pixels, and each shader is
 * compiled in variants (#defines) for the mode and edge settings in use, so that it holds only
 * the taps that setting needs.
 */

export const FULLSCREEN_VERT = /* glsl */ `
varying vec2 vUv;
void main() {
  vUv = uv;
  gl_Position = vec4(position.xy, 0.0, 1.0);
}`

/** Maps an output uv to a camera uv (crop = cover, pad = contain); outside [0,1] is padding. */
const CAM_UV = /* glsl */ `
uniform vec4 uCamXform; // xy scale, zw offset
vec2 camUv(vec2 uv) { return uv * uCamXform.xy + uCamXform.zw; }
bool inCam(vec2 c) { return all(greaterThanEqual(c, vec2(0.0))) && all(lessThanEqual(c, vec2(1.0))); }
`

/**
 * Where the matte is flat. GUARD_FRAG: per block of BLOCK x BLOCK matte pixels, 0 when every alpha
 * in it is 0, 1 when every one is 1, 0.5 otherwise (bilinear taps at texel corners average 2x2
 * texels exactly, so the mean is 0 or 1 only when all are). GUARD_DILATE_FRAG widens "otherwise"
 * by one block, so a flat guard texel means flat alpha within BLOCK pixels of any point in it.
 * The edge and prep passes then skip their many alpha taps wherever the matte is flat (most of
 * the frame): software GL skips the untaken side of a branch per block of pixels.
 */
export const GUARD_FRAG = /* glsl */ `
varying vec2 vUv;
uniform sampler2D tAlpha;
void main() {
  vec2 texel = 1.0 / vec2(textureSize(tAlpha, 0));
  vec2 origin = floor(gl_FragCoord.xy) * float(BLOCK) + 1.0;
  float s = 0.0;
  for (int y = 0; y < BLOCK; y += 2) {
    for (int x = 0; x < BLOCK; x += 2) s += textureLod(tAlpha, (origin + vec2(float(x), float(y))) * texel, 0.0).r;
  }
  float mean = s / float(BLOCK * BLOCK / 4);
  gl_FragColor = vec4(mean <= 0.0 ? 0.0 : mean >= 1.0 ? 1.0 : 0.5);
}`

export const GUARD_DILATE_FRAG = /* glsl */ `
varying vec2 vUv;
uniform sampler2D tGuard;
void main() {
  ivec2 last = textureSize(tGuard, 0) - 1;
  ivec2 p = ivec2(gl_FragCoord.xy);
  float lo = 1.0;
  float hi = 0.0;
  for (int y = -1; y <= 1; y++) {
    for (int x = -1; x <= 1; x++) {
      float g = texelFetch(tGuard, clamp(p + ivec2(x, y), ivec2(0), last), 0).r;
      lo = min(lo, g);
      hi = max(hi, g);
    }
  }
  gl_FragColor = vec4(hi <= 0.0 ? 0.0 : lo >= 1.0 ? 1.0 : 0.5);
}`

/** The dilated guard at camera uv c: 0 or 1 where the alpha is flat nearby, 0.5 near an edge. */
const GUARD_AT = /* glsl */ `
uniform sampler2D tGuard;
float guardAt(vec2 c) {
  ivec2 block = ivec2(c * vec2(textureSize(tAlpha, 0))) / BLOCK;
  return texelFetch(tGuard, clamp(block, ivec2(0), textureSize(tGuard, 0) - 1), 0).r;
}
bool isFlat(float g) { return g < 0.25 || g > 0.75; }
`

/**
 * The matte's edge, computed once at a reduced grid (at most half the output's pixels across the
 * camera frame, in camera space) instead of per output pixel: r = the feathered alpha (a 3x3 tent
 * over the feather radius), g = the wide alpha that light wrap needs. Both are smooth at the scale
 * of this grid, so the composite's bilinear sample of them matches a full-resolution evaluation.
 * Defines: FEATHER, WRAP, BLOCK (the guard's).
 */
export const EDGE_FRAG = /* glsl */ `
varying vec2 vUv;
uniform sampler2D tAlpha;
uniform vec2 uAlphaTexel;
uniform float uFeatherPx;
${GUARD_AT}
// textureLod: the taps are under a branch, where derivatives (implicit LOD) are undefined
float alphaAt(vec2 c) { return textureLod(tAlpha, c, 0.0).r; }
void main() {
  vec2 c = vUv;
  float g = guardAt(c);
  if (isFlat(g)) {
    // flat nearby: feathered and wide alpha are that value
    float v = step(0.5, g);
    gl_FragColor = vec4(v, v, 0.0, 1.0);
    return;
  }
  float soft = 0.0;
#ifdef FEATHER
  vec2 d = uAlphaTexel * uFeatherPx;
  float a = alphaAt(c) * 4.0;
  a += (alphaAt(c + vec2(d.x, 0.0)) + alphaAt(c - vec2(d.x, 0.0)) + alphaAt(c + vec2(0.0, d.y)) + alphaAt(c - vec2(0.0, d.y))) * 2.0;
  a += alphaAt(c + d) + alphaAt(c - d) + alphaAt(c + vec2(d.x, -d.y)) + alphaAt(c + vec2(-d.x, d.y));
  soft = a / 16.0;
#endif
  float wide = 0.0;
#ifdef WRAP
  vec2 w = uAlphaTexel * 10.0;
  wide = (alphaAt(c + vec2(w.x, 0.0)) + alphaAt(c - vec2(w.x, 0.0)) + alphaAt(c + vec2(0.0, w.y)) + alphaAt(c - vec2(0.0, w.y))) * 0.25;
#endif
  gl_FragColor = vec4(soft, wide, 0.0, 1.0);
}`

/**
 * Background, premultiplied by its weight w = 1 - (dilated alpha), into the first blur level.
 * Blurring (rgb*w, w) and dividing afterwards means person pixels carry no weight: the person
 * never bleeds into the blurred background (mask-aware blur). Defines: MASK (else the whole
 * frame, for the privacy frame), BLOCK (the guard's).
 */
export const PREP_FRAG = /* glsl */ `
varying vec2 vUv;
uniform sampler2D tCam;
uniform sampler2D tAlpha;
uniform vec2 uAlphaTexel;
${CAM_UV}
#ifdef MASK
${GUARD_AT}
#endif
void main() {
  vec2 c = clamp(camUv(vUv), vec2(0.0), vec2(1.0));
  vec3 rgb = texture(tCam, c).rgb;
  float w = 1.0;
#ifdef MASK
  float g = guardAt(c);
  float a = step(0.5, g);
  if (!isFlat(g)) {
    // dilate: the largest alpha nearby, so soft edges of the person count as person too
    a = textureLod(tAlpha, c, 0.0).r;
    vec2 d = uAlphaTexel * 2.5;
    a = max(a, textureLod(tAlpha, c + vec2(d.x, 0.0), 0.0).r);
    a = max(a, textureLod(tAlpha, c - vec2(d.x, 0.0), 0.0).r);
    a = max(a, textureLod(tAlpha, c + vec2(0.0, d.y), 0.0).r);
    a = max(a, textureLod(tAlpha, c - vec2(0.0, d.y), 0.0).r);
  }
  w = 1.0 - smoothstep(0.04, 0.5, a);
#endif
  gl_FragColor = vec4(rgb * w, w);
}`

/** Dual-filter (Kawase) downsample: a fixed 5 taps per pass, half the size each level. */
export const DOWN_FRAG = /* glsl */ `
varying vec2 vUv;
uniform sampler2D tSrc;
uniform vec2 uSrcTexel;
void main() {
  vec2 h = uSrcTexel;
  vec4 s = texture(tSrc, vUv) * 4.0;
  s += texture(tSrc, vUv + vec2(-h.x, -h.y));
  s += texture(tSrc, vUv + vec2( h.x, -h.y));
  s += texture(tSrc, vUv + vec2(-h.x,  h.y));
  s += texture(tSrc, vUv + vec2( h.x,  h.y));
  gl_FragColor = s / 8.0;
}`

/**
 * Dual-filter upsample (8-tap tent), optionally blended with the same level's downsample (MIX):
 * uMix = 1 takes the upsampled (blurrier) image only, 0 the level itself. The strength slider
 * picks where the up chain starts and this blend, so the cost never grows with strength.
 * UP4: the last (largest) step takes only the tent's four diagonal taps, a smooth (quadratic
 * B-spline-like) 2x upsample at half the cost; the fine scale it drops is far below the blur.
 */
export const UP_FRAG = /* glsl */ `
varying vec2 vUv;
uniform sampler2D tSrc;
uniform sampler2D tLevel;
uniform vec2 uSrcTexel;
uniform float uMix;
void main() {
  vec2 h = uSrcTexel * 0.5;
#ifdef UP4
  vec4 up = (texture(tSrc, vUv + vec2(-h.x, h.y)) + texture(tSrc, vUv + vec2(h.x, h.y)) + texture(tSrc, vUv + vec2(h.x, -h.y)) + texture(tSrc, vUv + vec2(-h.x, -h.y))) * 0.25;
#else
  vec4 s = texture(tSrc, vUv + vec2(-h.x * 2.0, 0.0));
  s += texture(tSrc, vUv + vec2(-h.x, h.y)) * 2.0;
  s += texture(tSrc, vUv + vec2(0.0, h.y * 2.0));
  s += texture(tSrc, vUv + vec2(h.x, h.y)) * 2.0;
  s += texture(tSrc, vUv + vec2(h.x * 2.0, 0.0));
  s += texture(tSrc, vUv + vec2(h.x, -h.y)) * 2.0;
  s += texture(tSrc, vUv + vec2(0.0, -h.y * 2.0));
  s += texture(tSrc, vUv + vec2(-h.x, -h.y)) * 2.0;
  vec4 up = s / 12.0;
#endif
#ifdef MIX
  up = mix(texture(tLevel, vUv), up, uMix);
#endif
  gl_FragColor = up;
}`

/** Background modes of the final pass. */
export const BG_MODE = { blur: 0, texture: 1, color: 2, passthrough: 3, privacy: 4 } as const

/** How the composite gets its alpha: the matte as is, a small feather of it here, or the edge pass's. */
export const ALPHA_SOURCE = { raw: 0, feather4: 1, edge: 2 } as const

/**
 * The composite: person (camera or RVM's foreground) over the chosen background, with feather,
 * contrast and light wrap on the alpha edge. Privacy mode shows the blurred background only.
 * Defines: MODE (BG_MODE), ALPHA (ALPHA_SOURCE), WRAP, FGR, PAD (letterbox bars outside the camera).
 */
export const COMPOSITE_FRAG = /* glsl */ `
varying vec2 vUv;
uniform sampler2D tCam;
uniform sampler2D tAlpha;
uniform sampler2D tEdge;
uniform sampler2D tFgr;
uniform sampler2D tBlur;
uniform sampler2D tBg;
uniform vec4 uBgXform;
uniform vec3 uColor;
uniform vec2 uAlphaTexel;
uniform float uFeatherPx;
uniform float uContrast;
uniform float uLightWrap;
${CAM_UV}

vec3 blurredBackground(vec2 uv) {
  vec4 b = texture(tBlur, uv);
  return b.rgb / max(b.a, 1e-3);
}

void main() {
  vec2 c = camUv(vUv);
#ifdef PAD
  if (!inCam(c)) { gl_FragColor = vec4(0.0, 0.0, 0.0, 1.0); return; }
#endif
#if MODE == 3
  gl_FragColor = vec4(texture(tCam, c).rgb, 1.0);
#elif MODE == 4
  gl_FragColor = vec4(blurredBackground(vUv), 1.0);
#else
#if ALPHA == 0
  float a = texture(tAlpha, c).r;
#elif ALPHA == 1
  // a feather below one edge-grid texel: a 2x2 box of bilinear taps (the tent's variance)
  vec2 d = uAlphaTexel * uFeatherPx * 0.7071;
  float a = (texture(tAlpha, c + d).r + texture(tAlpha, c - d).r + texture(tAlpha, c + vec2(d.x, -d.y)).r + texture(tAlpha, c + vec2(-d.x, d.y)).r) * 0.25;
#else
  vec2 edge = texture(tEdge, c).rg;
  float a = edge.r;
#endif
  a = clamp((a - 0.5) * uContrast + 0.5, 0.0, 1.0);

#if MODE == 0
  vec3 bg = blurredBackground(vUv);
#elif MODE == 1
  vec3 bg = texture(tBg, vUv * uBgXform.xy + uBgXform.zw).rgb;
#else
  vec3 bg = uColor;
#endif

#ifdef FGR
  vec3 fg = texture(tFgr, c).rgb;
#else
  vec3 fg = texture(tCam, c).rgb;
#endif
  vec3 col = fg * a + bg * (1.0 - a);

#ifdef WRAP
  // background light spills onto the person just inside the edge
#if ALPHA != 2
  vec2 edge = texture(tEdge, c).rg;
#endif
  float wrap = uLightWrap * a * clamp(1.0 - edge.g, 0.0, 1.0);
  col = mix(col, bg, wrap * 0.7);
#endif
  gl_FragColor = vec4(col, 1.0);
#endif
}`

/** Output render target → screen; the preview may be mirrored (uXform.x < 0), the output never is. */
export const BLIT_FRAG = /* glsl */ `
varying vec2 vUv;
uniform sampler2D tSrc;
uniform vec4 uXform;
void main() {
  gl_FragColor = vec4(texture(tSrc, vUv * uXform.xy + uXform.zw).rgb, 1.0);
}`
