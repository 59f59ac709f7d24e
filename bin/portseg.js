#!/usr/bin/env node
// Thin launcher: the CLI is bundled to out/cli by `npm run build:cli` (run by `npm ci` via prepare).
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

const entry = fileURLToPath(new URL('../out/cli/portseg.js', import.meta.url))
if (!existsSync(entry)) {
  process.stderr.write(`portseg: the CLI is not built (${entry} is missing).\n  - Run: npm run build:cli\n`)
  process.exit(1)
}
await import(pathToFileURL(entry).href)
