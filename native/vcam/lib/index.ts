/** Public API of the virtual camera (native/vcam). The engine and the CLI import only this file. */
export { VcamError, VcamErrorCodes, isVcamError } from './errors.js'
export type { VcamErrorCode } from './errors.js'
export { VirtualCamera, openVirtualCamera } from './virtual-camera.js'
export type { VirtualCameraOptions, VirtualCameraStats, VirtualCameraErrorListener } from './virtual-camera.js'
export { listDevices, findDevice, isLoopbackModuleLoaded, modprobeCommand, DEFAULT_LABEL } from './devices.js'
export type { VcamDevice } from './devices.js'
export { convertRgba, convertRgbaAsync, frameBytes, VCAM_FORMATS, VCAM_COLOR_SPACES } from './convert.js'
export type { RgbaFrame, VcamFormat, VcamColorSpace } from './convert.js'
export { diagnose, formatDiagnosis, explainModprobeFailure, persistentConfig, runFix, MODPROBE_CONF_PATH, MODULES_LOAD_PATH } from './diagnostics.js'
export type { VcamDiagnosis, FixResult } from './diagnostics.js'
export { drawTestPattern, decodeTestPatternRgba, patternGeometry, barAt, PATTERN_BARS, PATTERN_BITS } from './test-pattern.js'
export { addonCandidates, loadedAddonPath } from './binding.js'

/** Opens the virtual camera: same as openVirtualCamera (the name the brief uses). */
export { openVirtualCamera as open } from './virtual-camera.js'
