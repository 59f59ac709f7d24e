/** uv transforms for fitting one picture into another without stretching. */

/** scale (sx, sy) and offset (ox, oy): srcUv = dstUv * s + o. */
export type UvTransform = [sx: number, sy: number, ox: number, oy: number]

/**
 * 'crop' (cover): the source fills the destination, the overflow is cut evenly on both sides.
 * 'pad' (contain): the whole source shows; the destination's uvs outside [0,1] of the source are bars.
 */
export function fitTransform(srcW: number, srcH: number, dstW: number, dstH: number, fit: 'crop' | 'pad'): UvTransform {
  const srcAspect = srcW / srcH
  const dstAspect = dstW / dstH
  let sx = 1
  let sy = 1
  if (fit === 'crop') {
    if (srcAspect > dstAspect) sx = dstAspect / srcAspect
    else sy = srcAspect / dstAspect
  } else if (srcAspect > dstAspect) sy = srcAspect / dstAspect
  else sx = dstAspect / srcAspect
  return [sx, sy, (1 - sx) / 2, (1 - sy) / 2]
}
