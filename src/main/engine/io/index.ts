/** Frame readers and alpha writers for the CLI and tests (public entry of engine/io). */
export { bytesPerPixel, validateFrame } from './frame.js'
export { parseY4mHeader, readY4m, readY4mHeader, yuvToRgb } from './y4m.js'
export type { ReadY4mOptions, Y4mChroma, Y4mHeader, YuvMatrix, YuvRange } from './y4m.js'
