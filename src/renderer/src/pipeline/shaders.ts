/**
 * GLSL for the compositor. Every texture is stored top row first (flipY = false), and every
 * render target holds image row r at GL row r, so vUv is "image space" (v = 0 is the top row)
 * in every pass; only the final blit to the screen flips. readPixels then returns rows top first.
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
 * Background, premultiplied by its weight w = 1 - (dilated alpha), into the first blur level.
 * Blurring (rgb*w, w) and dividing afterwards means person pixels carry no weight: the person
 * never bleeds into the blurred background (mask-aware blur).
 */
export const PREP_FRAG = /* glsl */ `
varying vec2 vUv;
uniform sampler2D tCam;
uniform sampler2D tAlpha;
uniform vec2 uAlphaTexel;
uniform bool uIgnoreMask;
${CAM_UV}
void main() {
  vec2 c = clamp(camUv(vUv), vec2(0.0), vec2(1.0));
  vec3 rgb = texture(tCam, c).rgb;
  float w = 1.0;
  if (!uIgnoreMask) {
    // dilate: the largest alpha nearby, so soft edges of the person count as person too
    float a = texture(tAlpha, c).r;
    vec2 d = uAlphaTexel * 2.5;
    a = max(a, texture(tAlpha, c + vec2(d.x, 0.0)).r);
    a = max(a, texture(tAlpha, c - vec2(d.x, 0.0)).r);
    a = max(a, texture(tAlpha, c + vec2(0.0, d.y)).r);
    a = max(a, texture(tAlpha, c - vec2(0.0, d.y)).r);
    w = 1.0 - smoothstep(0.04, 0.5, a);
  }
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
 * Dual-filter upsample (8-tap tent), optionally blended with the same level's downsample:
 * uMix = 1 takes the upsampled (blurrier) image only, 0 the level itself. The strength slider
 * picks where the up chain starts and this blend, so the cost never grows with strength.
 */
export const UP_FRAG = /* glsl */ `
varying vec2 vUv;
uniform sampler2D tSrc;
uniform sampler2D tLevel;
uniform vec2 uSrcTexel;
uniform float uMix;
void main() {
  vec2 h = uSrcTexel * 0.5;
  vec4 s = texture(tSrc, vUv + vec2(-h.x * 2.0, 0.0));
  s += texture(tSrc, vUv + vec2(-h.x, h.y)) * 2.0;
  s += texture(tSrc, vUv + vec2(0.0, h.y * 2.0));
  s += texture(tSrc, vUv + vec2(h.x, h.y)) * 2.0;
  s += texture(tSrc, vUv + vec2(h.x * 2.0, 0.0));
  s += texture(tSrc, vUv + vec2(h.x, -h.y)) * 2.0;
  s += texture(tSrc, vUv + vec2(0.0, -h.y * 2.0));
  s += texture(tSrc, vUv + vec2(-h.x, -h.y)) * 2.0;
  vec4 up = s / 12.0;
  gl_FragColor = uMix >= 1.0 ? up : mix(texture(tLevel, vUv), up, uMix);
}`

/** Background modes of the final pass. */
export const BG_MODE = { blur: 0, texture: 1, color: 2, passthrough: 3, privacy: 4 } as const

/**
 * The composite: person (camera or RVM's foreground) over the chosen background, with feather,
 * contrast and light wrap on the alpha edge. Privacy mode shows the blurred background only.
 */
export const COMPOSITE_FRAG = /* glsl */ `
varying vec2 vUv;
uniform sampler2D tCam;
uniform sampler2D tAlpha;
uniform sampler2D tFgr;
uniform bool uHasFgr;
uniform sampler2D tBlur;
uniform sampler2D tBg;
uniform vec4 uBgXform;
uniform vec3 uColor;
uniform int uMode;
uniform vec2 uAlphaTexel;
uniform float uFeatherPx;
uniform float uContrast;
uniform float uLightWrap;
${CAM_UV}

float alphaAt(vec2 c) { return texture(tAlpha, c).r; }

float softAlpha(vec2 c) {
  if (uFeatherPx < 0.05) return alphaAt(c);
  // 3x3 tent over the feather radius: smooth, fixed cost
  vec2 d = uAlphaTexel * uFeatherPx;
  float a = alphaAt(c) * 4.0;
  a += (alphaAt(c + vec2(d.x, 0.0)) + alphaAt(c - vec2(d.x, 0.0)) + alphaAt(c + vec2(0.0, d.y)) + alphaAt(c - vec2(0.0, d.y))) * 2.0;
  a += alphaAt(c + d) + alphaAt(c - d) + alphaAt(c + vec2(d.x, -d.y)) + alphaAt(c + vec2(-d.x, d.y));
  return a / 16.0;
}

vec3 blurredBackground(vec2 uv) {
  vec4 b = texture(tBlur, uv);
  return b.rgb / max(b.a, 1e-3);
}

void main() {
  vec2 c = camUv(vUv);
  if (!inCam(c)) { gl_FragColor = vec4(0.0, 0.0, 0.0, 1.0); return; }
  vec3 cam = texture(tCam, c).rgb;
  if (uMode == 3) { gl_FragColor = vec4(cam, 1.0); return; }
  if (uMode == 4) { gl_FragColor = vec4(blurredBackground(vUv), 1.0); return; }

  float a = softAlpha(c);
  a = clamp((a - 0.5) * uContrast + 0.5, 0.0, 1.0);

  vec3 bg;
  if (uMode == 0) bg = blurredBackground(vUv);
  else if (uMode == 1) bg = texture(tBg, vUv * uBgXform.xy + uBgXform.zw).rgb;
  else bg = uColor;

  vec3 fg = uHasFgr ? texture(tFgr, c).rgb : cam;
  vec3 col = fg * a + bg * (1.0 - a);

  if (uLightWrap > 0.0) {
    // background light spills onto the person just inside the edge
    vec2 d = uAlphaTexel * 10.0;
    float wide = (alphaAt(c + vec2(d.x, 0.0)) + alphaAt(c - vec2(d.x, 0.0)) + alphaAt(c + vec2(0.0, d.y)) + alphaAt(c - vec2(0.0, d.y))) * 0.25;
    float wrap = uLightWrap * a * clamp(1.0 - wide, 0.0, 1.0);
    col = mix(col, bg, wrap * 0.7);
  }
  gl_FragColor = vec4(col, 1.0);
}`

/** Output render target → screen; the preview may be mirrored, the output never is. */
export const BLIT_FRAG = /* glsl */ `
varying vec2 vUv;
uniform sampler2D tSrc;
uniform bool uMirror;
void main() {
  vec2 uv = vec2(uMirror ? 1.0 - vUv.x : vUv.x, 1.0 - vUv.y);
  gl_FragColor = vec4(texture(tSrc, uv).rgb, 1.0);
}`
