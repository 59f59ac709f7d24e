/** TFLite → ONNX: the converter behind the built-in models (`npm run models`). */
export {
  convertTflite,
  ONNX_OPSET,
  SUPPORTED_TFLITE_OPS,
  TFLITE_CONVERTER_VERSION,
  type ConvertTfliteOptions,
  type TensorSpec,
  type TfliteConversion,
} from './tflite-to-onnx.js'
export { builtinOpName, operatorName, readTfliteModel, type TfliteModel } from './tflite-model.js'
