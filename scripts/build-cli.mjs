// Bundles the plain-Node entry points (the `portseg` CLI and the engine's inference worker) into
// out/cli. Dependencies stay external and load from node_modules, as in the Electron build.
import { build } from 'esbuild'
import { readdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const started = Date.now()
const result = await build({
  absWorkingDir: root,
  entryPoints: {
    portseg: 'src/main/cli/index.ts',
    'inference.worker': 'src/main/engine/inference.worker.ts',
  },
  outdir: 'out/cli',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // chunks per command, so a command loads only its own dependencies
  splitting: true,
  // chunks sit beside the entries: commands resolve ./inference.worker.js relative to themselves
  chunkNames: '[name]-[hash]',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
  metafile: true,
  // ESM bundles have no require(); some dependencies' CJS interop needs it.
  banner: { js: "import { createRequire as __portsegCreateRequire } from 'node:module'; const require = __portsegCreateRequire(import.meta.url);" },
})
// Chunk names carry content hashes: drop the ones this build no longer produced, so out/cli does
// not grow with every rebuild (deleting, not emptying first, keeps running CLIs working).
const produced = new Set(Object.keys(result.metafile.outputs).map((f) => path.resolve(root, f)))
const outDir = path.join(root, 'out', 'cli')
for (const f of readdirSync(outDir)) {
  if (!produced.has(path.join(outDir, f))) rmSync(path.join(outDir, f), { recursive: true, force: true })
}
console.log(`built out/cli in ${Date.now() - started} ms`)
