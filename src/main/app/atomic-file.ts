import { open, readdir, rename, rm } from 'node:fs/promises'
import path from 'node:path'

export interface AtomicWriteHooks {
  /** Runs after the temp file is written and synced, before the rename (tests simulate a crash here). */
  beforeRename?: (tempPath: string) => void | Promise<void>
}

let counter = 0

/**
 * Writes a file so a reader sees either the old or the new content, never a torn one:
 * temp file in the same folder → fsync → rename over the target → fsync the folder.
 * A crash before the rename leaves the old file untouched and a stale temp file, which
 * removeStaleTemps() clears on the next start.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, hooks: AtomicWriteHooks = {}): Promise<void> {
  const temp = `${file}.tmp-${process.pid}-${++counter}`
  const handle = await open(temp, 'w', 0o600)
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await hooks.beforeRename?.(temp)
    await rename(temp, file)
  } catch (e) {
    await rm(temp, { force: true }).catch(() => undefined)
    throw e
  }
  await syncDir(path.dirname(file))
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename itself durable on Linux; Windows can't open folders, which is fine there.
  try {
    const handle = await open(dir, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {
    // best effort
  }
}

/** Removes `<file>.tmp-*` files left by a crash mid-write. Returns what it removed. */
export async function removeStaleTemps(file: string): Promise<string[]> {
  const dir = path.dirname(file)
  const prefix = `${path.basename(file)}.tmp-`
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return []
  }
  const stale = names.filter((n) => n.startsWith(prefix)).map((n) => path.join(dir, n))
  await Promise.all(stale.map((p) => rm(p, { force: true }).catch(() => undefined)))
  return stale
}
