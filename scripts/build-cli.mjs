// Bundles the plain-Node entry points (the `portseg` CLI and the engine's inference worker) into
// out/cli. Dependencies stay external and load from node_modules, as in the Electron build.
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const started = Date.now()
await build({
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
  // ESM bundles have no require(); some dependencies' CJS interop needs it.
  banner: { js: "import { createRequire as __portsegCreateRequire } from 'node:module'; const require = __portsegCreateRequire(import.meta.url);" },
})
console.log(`built out/cli in ${Date.now() - started} ms`)
