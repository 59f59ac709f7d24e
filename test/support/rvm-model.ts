import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, readdir, rename, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { ROOT, sharedFile } from './paths.js'

/** ../shared/models/rvm-tfjs/model.json: RVM's official TF.js release (GPL-3.0, never copied into the repo). */
export function rvmTfjsModelJson(): string {
  return sharedFile('models', 'rvm-tfjs', 'model.json')
}

const CACHE_DIR = path.join(ROOT, 'out', 'test-models')
const CONVERTER_DIRS = [path.join(ROOT, 'src', 'main', 'engine', 'convert', 'tfjs'), path.join(ROOT, 'src', 'main', 'engine', 'onnx')]

/** Hash of the converter's sources and the model files, so an edited converter re-converts. */
async function cacheKey(precision: string): Promise<string> {
  const h = createHash('sha256').update(precision)
  for (const dir of CONVERTER_DIRS) {
    for (const f of (await readdir(dir)).filter((f) => f.endsWith('.ts')).sort()) {
      h.update(f).update(await readFile(path.join(dir, f)))
    }
  }
  const modelJson = rvmTfjsModelJson()
  for (const f of [modelJson, path.join(path.dirname(modelJson), 'group1-shard1of1.bin')]) {
    const s = await stat(f)
    h.update(`${f}:${s.size}:${s.mtimeMs}`)
  }
  return h.digest('hex').slice(0, 16)
}

const pending = new Map<string, Promise<string>>()

/**
 * Path to ../shared/models/rvm-tfjs converted to ONNX (official RVM interface) under out/test-models/.
 * Converted once per converter version; safe when several vitest workers ask at once (each writes a
 * temp file and renames it into place; the bytes are identical).
 */
export async function rvmModelPath(precision: 'fp32' | 'fp16' = 'fp32'): Promise<string> {
  let p = pending.get(precision)
  if (!p) {
    p = (async () => {
      const key = await cacheKey(precision)
      const file = path.join(CACHE_DIR, `rvm-tfjs-${precision}-${key}.onnx`)
      if (existsSync(file)) return file
      await mkdir(CACHE_DIR, { recursive: true })
      const { convertRvmTfjs } = await import('../../src/main/engine/convert/tfjs/index.js')
      const { onnx } = await convertRvmTfjs(rvmTfjsModelJson(), { precision })
      const tmp = `${file}.${process.pid}.${Date.now()}.tmp`
      await writeFile(tmp, onnx)
      await rename(tmp, file)
      return file
    })()
    pending.set(precision, p)
    p.catch(() => pending.delete(precision))
  }
  return p
}
