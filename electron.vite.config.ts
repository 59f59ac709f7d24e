import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'

// Convention over configuration (electron-vite's template): src/main/index.ts, src/preload/index.ts
// and src/renderer/index.html are the default entries. The engine's inference worker is an extra
// main-process entry so the app shell can hand its built path to the engine.
export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          'inference.worker': resolve(__dirname, 'src/main/engine/inference.worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      // a sandboxed preload can require only 'electron': bundle any dependency rather than require it
      externalizeDeps: false,
      rollupOptions: {
        // a sandboxed preload must be a single CommonJS file
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    resolve: { alias: { '@renderer': resolve(__dirname, 'src/renderer/src') } },
    plugins: [react()],
  },
})
