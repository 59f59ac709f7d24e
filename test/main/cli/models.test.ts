import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { CLI_PATH, ROOT, sharedFile } from '../../support/paths.js'
import { startModelServer, type ModelServer } from '../engine/models/model-server.js'

interface Run {
  code: number
  stdout: string
  stderr: string
}

let home: string
let server: ModelServer

// Async spawn: the test's HTTP server must keep serving while the CLI runs.
function portseg(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_PATH, ...args],
      { cwd: ROOT, env: { ...process.env, PORTSEG_HOME: home, PORTSEG_MODELS_DIR: '', ...env }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1
        resolve({ code, stdout, stderr })
      },
    )
  })
}

const ListedModel = z.object({
  id: z.string(),
  name: z.string(),
  interface: z.enum(['recurrent-matting', 'segmentation']),
  origin: z.enum(['built-in', 'downloaded', 'imported']),
  license: z.string(),
  path: z.string().nullable(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
  installed: z.boolean(),
  size: z.number().nullable(),
})
const ListOutput = z.object({ models: z.array(ListedModel) }).strict()

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'portseg-cli-home-'))
  // The official size with the wrong bytes: the download completes and the hash must refuse it.
  server = await startModelServer({ '/rvm_mobilenetv3_fp16.onnx': { body: new Uint8Array(7_503_483), behaviour: { kind: 'ok' } } })
})
afterAll(async () => {
  await server.close()
  await rm(home, { recursive: true, force: true })
})

describe('portseg models', () => {
  it('list --json prints { models: [...] } with the built-ins, as documented', async () => {
    const r = await portseg(['models', 'list', '--json'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const parsed = ListOutput.parse(JSON.parse(r.stdout))
    const builtIns = parsed.models.filter((m) => m.origin === 'built-in')
    expect(builtIns.map((m) => m.id).sort(), 'run `npm run models` to build the built-in models').toEqual(['mediapipe-selfie-general', 'mediapipe-selfie-landscape'])
    for (const m of parsed.models) expect(m).toMatchObject({ installed: true, path: expect.stringMatching(/\.onnx$/), sha256: expect.any(String) })
  })

  it('list --all adds the downloadable RVM models as not installed', async () => {
    const r = await portseg(['models', 'list', '--all', '--json'])
    const parsed = ListOutput.parse(JSON.parse(r.stdout))
    const rvm = parsed.models.filter((m) => m.origin === 'downloaded')
    expect(rvm.map((m) => m.id)).toEqual(['rvm-mobilenetv3-fp32', 'rvm-mobilenetv3-fp16', 'rvm-resnet50-fp32'])
    for (const m of rvm) expect(m).toMatchObject({ installed: false, path: null, license: 'GPL-3.0', interface: 'recurrent-matting' })
    const text = await portseg(['models', 'list', '--all'])
    expect(text.stdout).toMatch(/rvm-resnet50-fp32\s+recurrent-matting\s+downloaded\s+GPL-3.0\s+not installed \(102\.5 MiB\)/)
  })

  it('import, verify and remove an ONNX model; built-ins cannot be removed', async () => {
    const imp = await portseg(['models', 'import', sharedFile('models', 'sinet', 'SINet_Softmax.onnx'), '--id', 'sinet'])
    expect(imp.code, imp.stderr).toBe(0)
    expect(imp.stdout).toContain('license MIT')
    expect(imp.stdout).toMatch(/Imported sinet: segmentation, 428\.5 KiB, .*imported\/sinet\.onnx/)
    const list = ListOutput.parse(JSON.parse((await portseg(['models', 'list', '--json'])).stdout))
    expect(list.models.find((m) => m.id === 'sinet')).toMatchObject({ origin: 'imported', interface: 'segmentation', license: 'MIT' })

    const verify = await portseg(['models', 'verify'])
    expect(verify.code, verify.stderr).toBe(0)
    expect(verify.stdout).toMatch(/^ok\s+sinet\s+matches the hash recorded when it was installed/m)
    expect(verify.stdout).toMatch(/^ok\s+mediapipe-selfie-landscape\s+matches the hash recorded by the build/m)

    const builtIn = await portseg(['models', 'remove', 'mediapipe-selfie-landscape'])
    expect(builtIn.code).toBe(2)
    expect(builtIn.stderr).toContain('portseg: Model "mediapipe-selfie-landscape" is built into the app and cannot be removed.')

    const rm1 = await portseg(['models', 'remove', 'sinet'])
    expect(rm1.code, rm1.stderr).toBe(0)
    expect(rm1.stdout).toMatch(/^Removed sinet \(/)
  })

  it('refuses a non-model file with the reason', async () => {
    const r = await portseg(['models', 'import', sharedFile('media', 'portrait', 'portrait.jpg')])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/portseg: Cannot import .*portrait\.jpg: "\.jpg" is not a model format PortSeg imports\./)
  })

  it('download shows the GPL-3.0 notice and, with no terminal, needs --accept-license', async () => {
    const r = await portseg(['models', 'download', 'rvm-mobilenetv3-fp32'])
    expect(r.code).toBe(2)
    expect(r.stdout).toContain('license GPL-3.0: Robust Video Matting')
    expect(r.stdout).toContain('sha256  88d4531297118f595bf2fd60f6f566aec2e559393802d1f436c380f0cbbd2828')
    expect(r.stderr).toContain('The GPL-3.0 license must be accepted first, and there is no terminal to ask on.')
    expect(r.stderr).toContain('--accept-license')
  })

  it('download from a mirror prints progress lines and refuses bytes that fail the published hash', async () => {
    const r = await portseg(['models', 'download', 'rvm-mobilenetv3-fp16', '--accept-license'], { PORTSEG_MODELS_BASE_URL: server.baseUrl })
    expect(r.stdout).toContain(`from    ${server.baseUrl}/rvm_mobilenetv3_fp16.onnx`)
    expect(r.stderr).toMatch(/download: 100% 7\.2 MiB \/ 7\.2 MiB/)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('failed verification: SHA-256 is ')
    expect(r.stderr).toContain('expected 6a0d5ce6cc17702613be548559879b4521ed424cfe14ddc48d1acaa44d616f64. The file was discarded; nothing was installed.')
    const list = ListOutput.parse(JSON.parse((await portseg(['models', 'list', '--json'])).stdout))
    expect(list.models.some((m) => m.origin === 'downloaded')).toBe(false)
  })
})

describe('portseg models info', () => {
  it('shows license, source, size and hash of a downloadable model', async () => {
    const r = await portseg(['models', 'info', 'rvm-resnet50-fp32'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('installed  no')
    expect(r.stdout).toContain('size       102.5 MiB (107479165 bytes)')
    expect(r.stdout).toContain('sha256     25db300fcb6ee27f941a1b52c97856e8d1f13c7f35817f81a612f89af0e8a85c')
    expect(r.stdout).toContain('source     https://github.com/PeterL1n/RobustVideoMatting/releases/download/v1.0.0/rvm_resnet50_fp32.onnx')
    expect(r.stdout).toMatch(/license +GPL-3\.0 https:\/\//)
    const bad = await portseg(['models', 'info', 'nope'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('There is no model with id "nope".')
  })
})

// `script` gives the CLI a real terminal, so the y/N prompt and the progress bar are exercised.
const hasScript = existsSync('/usr/bin/script')

describe.skipIf(!hasScript)('portseg models download on a terminal (via util-linux script)', () => {
  function onTerminal(args: string[], answer: string, env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
    return new Promise((resolve) => {
      const cmd = [process.execPath, CLI_PATH, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ')
      const child = spawn('/usr/bin/script', ['-qec', cmd, '/dev/null'], { cwd: ROOT, env: { ...process.env, PORTSEG_HOME: home, ...env } })
      let output = ''
      let answered = false
      const onData = (d: Buffer): void => {
        output += d.toString()
        if (!answered && output.includes('[y/N]')) {
          answered = true
          child.stdin.write(answer + '\n')
        }
      }
      child.stdout.on('data', onData)
      child.stderr.on('data', onData)
      const timer = setTimeout(() => child.kill(), 60_000)
      child.on('close', (code) => {
        clearTimeout(timer)
        resolve({ code: code ?? 1, output })
      })
    })
  }

  it('asks before downloading; "n" changes nothing', async () => {
    const before = server.requests.length
    const r = await onTerminal(['models', 'download', 'rvm-mobilenetv3-fp16'], 'n', { PORTSEG_MODELS_BASE_URL: server.baseUrl })
    expect(r.output).toContain('Accept the GPL-3.0 license? [y/N]')
    expect(r.output).toContain('The GPL-3.0 license was not accepted; nothing was changed.')
    expect(r.code).toBe(2)
    expect(server.requests.length).toBe(before)
  })

  it('"y" downloads with a progress bar (and the wrong bytes are still refused)', async () => {
    const r = await onTerminal(['models', 'download', 'rvm-mobilenetv3-fp16'], 'y', { PORTSEG_MODELS_BASE_URL: server.baseUrl })
    expect(r.output).toMatch(/\[#{30}\] 100% 7\.2 MiB \/ 7\.2 MiB/)
    expect(r.output).toContain('failed verification')
    expect(r.code).toBe(2)
  })
})
