/** Helpers shared by the model converters (TFLite, TF.js). */
export { GraphBuilder } from './graph-builder.js'
export {
  broadcastBinary,
  broadcastShape,
  NHWC_TO_NCHW_AXIS,
  PERM_NCHW_TO_NHWC,
  PERM_NHWC_TO_NCHW,
  permute,
  samePadding,
  sizeOf,
} from './tensor-math.js'
