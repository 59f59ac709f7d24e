import type { IpcFailure } from '../../shared/ipc.js'

/** Short titles for the stable error codes; the message from main says the specifics. */
const TITLES: Partial<Record<IpcFailure['code'], string>> = {
  BAD_ARGUMENT: 'That value is not accepted',
  MODEL_NOT_FOUND: 'Model file not found',
  MODEL_CORRUPT: 'The model file is damaged',
  MODEL_INTERFACE_UNSUPPORTED: 'This model is not a portrait-matting model PortSeg can run',
  MODEL_UNKNOWN_ID: 'Unknown model',
  MODEL_DOWNLOAD_FAILED: 'Model download failed',
  MODEL_HASH_MISMATCH: 'The downloaded model did not match its checksum',
  MODEL_DOWNLOAD_TIMEOUT: 'Model download timed out',
  MODEL_IMPORT_REFUSED: 'Model import refused',
  ENGINE_PROVIDER_UNAVAILABLE: 'The chosen accelerator is not available',
  ENGINE_CLOSED: 'The matting engine stopped',
  ENGINE_WORKER_FAILED: 'The matting engine crashed',
  ENGINE_INFERENCE_FAILED: 'Matting failed',
  FRAME_INVALID: 'A camera frame was refused',
  VCAM_NOT_SUPPORTED: 'Virtual camera not supported here',
  VCAM_MODULE_MISSING: 'The virtual-camera driver is not installed',
  VCAM_NO_DEVICE: 'No virtual-camera device',
  VCAM_BUSY: 'The virtual camera is busy',
  VCAM_PERMISSION: 'No permission to use the virtual camera',
  VCAM_FORMAT_REJECTED: 'The virtual camera refused the format',
  VCAM_IO: 'Writing to the virtual camera failed',
  VCAM_CLOSED: 'The virtual camera was closed',
  VCAM_ADDON_MISSING: 'The virtual-camera component is missing',
  SETTINGS_INVALID: 'Settings not saved',
  SETTINGS_WRITE_FAILED: 'Settings could not be written',
  IPC_REFUSED: 'Request refused',
  BACKGROUND_INVALID: 'Background not usable',
  INTERNAL: 'Something went wrong',
}

export function errorTitle(code: string | null | undefined): string {
  return (code && TITLES[code as IpcFailure['code']]) || 'Something went wrong'
}

export interface UiError {
  code: string
  title: string
  message: string
  hints: string[]
}

export function toUiError(f: { code: string; message: string; hints?: string[] }): UiError {
  return { code: f.code, title: errorTitle(f.code), message: f.message, hints: f.hints ?? [] }
}
