import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

/** Repository root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** ../shared beside the checkout: real models and media (never committed). */
export const SHARED = process.env.PORTSEG_SHARED ?? path.resolve(ROOT, '..', 'shared')
export const SHARED_MODELS = path.join(SHARED, 'models')
export const SHARED_MEDIA = path.join(SHARED, 'media')
export const HAS_SHARED = existsSync(path.join(SHARED_MODELS, 'README.md'))
/** The bundled inference worker built by test/support/global-setup.ts. */
export const WORKER_PATH = path.join(ROOT, 'out', 'cli', 'inference.worker.js')
/** The bundled CLI: spawn `node CLI_PATH ...` to test `portseg` as users run it. */
export const CLI_PATH = path.join(ROOT, 'bin', 'portseg.js')

export function sharedFile(...parts: string[]): string {
  const p = path.join(SHARED, ...parts)
  if (!existsSync(p)) throw new Error(`Test material missing: ${p}. The tests need ../shared beside the checkout (or PORTSEG_SHARED).`)
  return p
}
