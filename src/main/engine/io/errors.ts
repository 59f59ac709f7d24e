import { PortsegError } from '../../../shared/errors.js'

/** Maps a failed open/stat to INPUT_NOT_FOUND with the OS's reason. */
export function notFound(file: string, e: unknown): PortsegError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code
  const why = code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : (e as Error).message
  return new PortsegError('INPUT_NOT_FOUND', `Cannot read ${file}: ${why}`, { cause: e, hints: ['Check the path given to --input.'] })
}
