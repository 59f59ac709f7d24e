/**
 * `portseg models list|download|import|verify|remove`: the model manager from the command line.
 * Folders: PORTSEG_HOME (user data), PORTSEG_MODELS_DIR (built-ins), PORTSEG_MODELS_BASE_URL (mirror).
 */
import { createInterface } from 'node:readline/promises'
import type { Command } from 'commander'
import { PortsegError, badArgument } from '../../../shared/errors.js'
import {
  describeResolution,
  downloadModel,
  downloadTerms,
  formatBytes,
  importModel,
  listModels,
  planImport,
  removeModel,
  verifyModels,
  type DownloadProgress,
  type ImportPrecision,
  type ModelInfo,
  type ModelLicense,
} from '../../engine/models/index.js'

const out = (s: string): void => {
  process.stdout.write(s + '\n')
}
const err = (s: string): void => {
  process.stderr.write(s + '\n')
}
const warnings = { onWarning: (m: string): void => err(`warning: ${m}`) }

export function registerModels(program: Command): void {
  const models = program
    .command('models')
    .description('List, download, import, verify and remove matting models.')
    // `portseg models list | head` closes the pipe early: that is not an error.
    .hook('preAction', () => {
      process.stdout.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') process.exit(0)
        throw e
      })
    })
    .addHelpText(
      'after',
      '\nFolders: models are kept under the user-data folder (PORTSEG_HOME overrides it);\n' +
        'built-in models come from the app (PORTSEG_MODELS_DIR overrides). PORTSEG_MODELS_BASE_URL sets a download mirror.',
    )

  models
    .command('list')
    .description('List installed models (--all: also those available to download).')
    .option('--json', 'print { "models": [...] } as JSON')
    .option('--all', 'include downloadable models that are not installed')
    .action(async (o: { json?: boolean; all?: boolean }) => {
      const list = await listModels({ all: o.all === true, ...warnings })
      if (o.json === true) {
        out(JSON.stringify({ models: list }, null, 2))
        return
      }
      printTable(list)
    })

  models
    .command('info <id>')
    .description('Show everything the registry knows about one model: license, source, size, hash.')
    .option('--json', 'print the model as JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const m = (await listModels({ all: true, ...warnings })).find((x) => x.id === id)
      if (m === undefined) {
        throw new PortsegError('MODEL_UNKNOWN_ID', `There is no model with id "${id}".`, { hints: ['Run `portseg models list --all` to see every model.'] })
      }
      if (o.json === true) {
        out(JSON.stringify(m, null, 2))
        return
      }
      const rows: [string, string][] = [
        ['id', m.id],
        ['name', m.name],
        ['interface', `${m.interface}${m.precision === null ? '' : ` (${m.precision})`}`],
        ['origin', m.origin],
        ['installed', m.installed ? (m.path ?? 'yes') : 'no'],
        ['size', m.size === null ? 'unknown' : `${formatBytes(m.size)} (${m.size} bytes)`],
        ['sha256', `${m.sha256 ?? 'not published'}${m.hashConfirmed ? '' : ' (not confirmed by a published hash)'}`],
        ['source', m.source],
        ['resolution', describeResolution(m.recommendedResolution) ?? 'any'],
        ['license', `${m.license}${m.licenseUrl === null ? '' : ` ${m.licenseUrl}`}`],
        ['', m.licenseNotice],
      ]
      if (m.description !== null) rows.push(['about', m.description])
      if (m.hashNote !== null) rows.push(['note', m.hashNote])
      for (const [k, v] of rows) out(`${k.padEnd(11)}${v}`)
    })

  models
    .command('download <id>')
    .description('Download a model (verified by SHA-256; resumes an interrupted download).')
    .option('--accept-license', 'accept the model license without asking (needed when not on a terminal)')
    .option('--base-url <url>', 'download from this base URL instead of the official release')
    .option('--stall-timeout <seconds>', 'give up when no data arrives for this long', '30')
    .option('--force', 'download again even if an intact copy is installed')
    .action(async (id: string, o: { acceptLicense?: boolean; baseUrl?: string; stallTimeout: string; force?: boolean }) => {
      const stall = Number(o.stallTimeout)
      if (!Number.isFinite(stall) || stall <= 0) throw badArgument('portseg models download', '--stall-timeout', 'a positive number of seconds', o.stallTimeout)
      const base = o.baseUrl === undefined ? {} : { baseUrl: o.baseUrl }
      const terms = downloadTerms(id, base)
      out(`${terms.entry.name} (${terms.entry.id})`)
      out(`  from    ${terms.url}`)
      out(`  size    ${terms.entry.size === null ? 'unknown' : formatBytes(terms.entry.size)}`)
      if (terms.entry.sha256 === null) {
        out('  sha256  NOT CONFIRMED from a public source: the file is checked by size only, and its hash is')
        out('          recorded on this first download (trust on first use); `portseg models verify` checks it later.')
      } else {
        out(`  sha256  ${terms.entry.sha256}`)
      }
      const accepted = await confirmLicense(terms.entry.license, terms.needsAcceptance, o.acceptLicense === true)
      const controller = new AbortController()
      const onSigint = (): void => controller.abort()
      process.once('SIGINT', onSigint)
      const progress = progressPrinter()
      try {
        const r = await downloadModel(id, {
          ...base,
          ...warnings,
          acceptLicense: accepted,
          force: o.force === true,
          signal: controller.signal,
          stallTimeoutMs: stall * 1000,
          onProgress: progress.update,
        })
        progress.end()
        if (r.alreadyInstalled) {
          out(`${id} is already installed and intact: ${r.model.path ?? ''}`)
          return
        }
        out(`Installed ${id}: ${r.model.path ?? ''}${r.resumed ? ' (resumed)' : ''}`)
        out(`  sha256 ${r.model.sha256 ?? ''} ${r.trustOnFirstUse ? '(recorded now, trust on first use: no published hash to check against)' : '(verified against the published hash)'}`)
      } catch (e) {
        progress.end()
        throw e
      } finally {
        process.removeListener('SIGINT', onSigint)
      }
    })

  models
    .command('import <path>')
    .description('Import a local .onnx (checked by interface detection) or an RVM TF.js model.json (converted).')
    .option('--id <id>', 'registry id (default: from the file name)')
    .option('--name <name>', 'display name')
    .option('--license <spdx>', 'the license of the model, when no LICENSE file sits beside it')
    .option('--precision <p>', 'TF.js import: fp32, fp16 or both', 'fp32')
    .option('--accept-license', 'accept the model license without asking (needed when not on a terminal)')
    .action(async (file: string, o: { id?: string; name?: string; license?: string; precision: string; acceptLicense?: boolean }) => {
      if (!['fp32', 'fp16', 'both'].includes(o.precision)) throw badArgument('portseg models import', '--precision', 'fp32, fp16 or both', o.precision)
      const opts = {
        ...warnings,
        ...(o.id === undefined ? {} : { id: o.id }),
        ...(o.name === undefined ? {} : { name: o.name }),
        ...(o.license === undefined ? {} : { license: o.license }),
        precision: o.precision as ImportPrecision,
      }
      const plan = await planImport(file, opts)
      out(`Importing ${plan.source} (${plan.kind === 'tfjs' ? 'TF.js graph model, converted to ONNX' : 'ONNX'}) as ${plan.ids.join(', ')}`)
      const accepted = await confirmLicense(plan.license, plan.needsAcceptance, o.acceptLicense === true)
      const infos = await importModel(file, { ...opts, acceptLicense: accepted })
      for (const m of infos) out(`Imported ${m.id}: ${m.interface}${m.precision === null ? '' : ` ${m.precision}`}, ${formatBytes(m.size ?? 0)}, ${m.path ?? ''}`)
    })

  models
    .command('verify [id]')
    .description('Re-hash installed models against their published or recorded SHA-256.')
    .option('--json', 'print the results as JSON')
    .action(async (id: string | undefined, o: { json?: boolean }) => {
      const results = await verifyModels(id, warnings)
      if (o.json === true) out(JSON.stringify({ results }, null, 2))
      else for (const r of results) out(`${r.ok ? 'ok  ' : 'FAIL'}  ${r.id.padEnd(28)} ${r.message}`)
      const bad = results.filter((r) => !r.ok)
      if (bad.length > 0) {
        throw new PortsegError('MODEL_HASH_MISMATCH', `${bad.length} model(s) failed verification: ${bad.map((r) => r.id).join(', ')}.`, {
          hints: ['Remove and download (or import) them again: portseg models remove <id>'],
        })
      }
    })

  models
    .command('remove <id>')
    .description('Remove a downloaded or imported model (built-in models stay).')
    .action(async (id: string) => {
      const r = await removeModel(id, warnings)
      out(`Removed ${r.id} (${r.path})`)
    })
}

function printTable(list: ModelInfo[]): void {
  if (list.length === 0) {
    out('No models installed. Run `npm run models` for the built-ins, or `portseg models list --all` to see downloads.')
    return
  }
  const rows = list.map((m) => [
    m.id,
    m.interface,
    m.origin,
    m.license,
    m.installed ? (m.size === null ? 'installed' : formatBytes(m.size)) : `not installed${m.size === null ? '' : ` (${formatBytes(m.size)})`}`,
    m.name,
  ])
  const head = ['ID', 'INTERFACE', 'ORIGIN', 'LICENSE', 'STATUS', 'NAME']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')
  out(line(head))
  for (const r of rows) out(line(r))
  out('\nUse one with: portseg matte --model <id>' + (list.some((m) => !m.installed) ? '. Download: portseg models download <id>' : '. More: portseg models list --all'))
}

/** Shows the license; returns true when accepted (flag or y on a terminal). */
async function confirmLicense(license: ModelLicense, needsAcceptance: boolean, acceptedByFlag: boolean): Promise<boolean> {
  out(`  license ${license.spdx}: ${license.notice}`)
  if (license.url !== undefined) out(`          ${license.url}`)
  if (!needsAcceptance || acceptedByFlag) return acceptedByFlag || !needsAcceptance
  if (process.stdin.isTTY !== true || process.stdout.isTTY !== true) {
    throw new PortsegError('MODEL_LICENSE_NOT_ACCEPTED', `The ${license.spdx} license must be accepted first, and there is no terminal to ask on.`, {
      hints: ['Read the notice above, then run again with --accept-license.'],
    })
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout })
  try {
    const answer = (await rl.question(`Accept the ${license.spdx} license? [y/N] `)).trim().toLowerCase()
    if (answer === 'y' || answer === 'yes') return true
  } finally {
    rl.close()
  }
  throw new PortsegError('MODEL_LICENSE_NOT_ACCEPTED', `The ${license.spdx} license was not accepted; nothing was changed.`)
}

function progressPrinter(): { update: (p: DownloadProgress) => void; end: () => void } {
  const tty = process.stderr.isTTY === true
  let lastDecile = -1
  let drawn = false
  return {
    update(p) {
      const pct = p.totalBytes === null || p.totalBytes === 0 ? null : Math.floor((p.receivedBytes / p.totalBytes) * 100)
      const rate = `${formatBytes(Math.round(p.bytesPerSecond))}/s`
      const amount = `${formatBytes(p.receivedBytes)}${p.totalBytes === null ? '' : ` / ${formatBytes(p.totalBytes)}`}`
      if (tty) {
        const width = 30
        const filled = pct === null ? 0 : Math.round((pct / 100) * width)
        const bar = pct === null ? '' : `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(pct).padStart(3)}% `
        process.stderr.write(`\r${bar}${amount}  ${rate}\x1b[K`)
        drawn = true
        return
      }
      const decile = pct === null ? -1 : Math.floor(pct / 10)
      if (p.done || (decile > lastDecile && decile >= 0)) {
        lastDecile = decile
        err(`download: ${pct === null ? '' : `${pct}% `}${amount} ${rate}${p.resumedFromBytes > 0 ? ` (resumed at ${formatBytes(p.resumedFromBytes)})` : ''}`)
      }
    },
    end() {
      if (tty && drawn) process.stderr.write('\n')
      drawn = false
    },
  }
}
