/**
 * Execution-provider probing. onnxruntime-node throws for a provider it cannot start instead of
 * falling back, so we create the session once per candidate, in order, keep the reason each one
 * failed, and report what runs. Order: CUDA (only when its libraries are present), DirectML
 * (Windows), CoreML (macOS), WebGPU, CPU.
 */
import { existsSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { execFileSync } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import * as ort from 'onnxruntime-node'
import { PortsegError } from '../../shared/errors.js'
import type { ProviderAttempt, ProviderName, ProviderPreference, ProviderReport } from './types.js'

export const PROVIDER_NAMES: readonly ProviderName[] = ['cuda', 'dml', 'coreml', 'webgpu', 'cpu']

export interface CpuTuning {
  /** intra-op threads; measured default in defaultCpuThreads(). */
  intraOpNumThreads: number
  /** Spin-waiting between ops burns a core for lower latency; measured, see README. */
  allowSpinning: boolean
}

/**
 * Measured on the 2-core CI machine (engine/README.md, "CPU threading"): all cores, no spinning.
 * Spinning gave no speed-up there and burns the core the worker's pre/post-processing needs.
 */
export function defaultCpuTuning(cores = os.availableParallelism()): CpuTuning {
  return { intraOpNumThreads: Math.max(1, Math.min(cores, 8)), allowSpinning: false }
}

function ortBinDir(): string | null {
  try {
    const require = createRequire(import.meta.url)
    const pkg = path.dirname(require.resolve('onnxruntime-node/package.json'))
    return path.join(pkg, 'bin', 'napi-v6', process.platform, process.arch)
  } catch {
    return null
  }
}

function findCudart(): string | null {
  const names = process.platform === 'win32' ? /^cudart64_\d+\.dll$/i : /^libcudart\.so(\.\d+)*$/
  const dirs = [
    ...(process.env[process.platform === 'win32' ? 'PATH' : 'LD_LIBRARY_PATH'] ?? '').split(path.delimiter),
    ...(process.env.CUDA_PATH ? [path.join(process.env.CUDA_PATH, process.platform === 'win32' ? 'bin' : 'lib64')] : []),
    '/usr/local/cuda/lib64',
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
  ].filter((d) => d !== '')
  for (const dir of dirs) {
    try {
      const hit = readdirSync(dir).find((f) => names.test(f))
      if (hit) return path.join(dir, hit)
    } catch {
      // not a readable directory
    }
  }
  if (process.platform === 'linux') {
    try {
      const out = execFileSync('ldconfig', ['-p'], { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] })
      const line = out.split('\n').find((l) => /libcudart\.so/.test(l))
      if (line) return line.split('=>').pop()!.trim()
    } catch {
      // no ldconfig
    }
  }
  return null
}

function hasVulkanDriver(): boolean {
  if (process.env.VK_DRIVER_FILES || process.env.VK_ICD_FILENAMES || process.env.VK_ADD_DRIVER_FILES) return true
  const dirs = ['/usr/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/etc/vulkan/icd.d']
  for (const dir of dirs) {
    try {
      if (readdirSync(dir).some((f) => f.endsWith('.json'))) return true
    } catch {
      // missing directory
    }
  }
  return false
}

/** Why a provider cannot even be tried here, or null when it is worth creating a session. */
export function providerPrecheck(name: ProviderName): string | null {
  switch (name) {
    case 'cuda': {
      if (process.platform !== 'linux' && process.platform !== 'win32') return `CUDA is not available on ${process.platform}`
      const dir = ortBinDir()
      const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so'
      if (!dir || !existsSync(path.join(dir, lib))) {
        return `onnxruntime-node was installed without its CUDA provider (${lib} is not in ${dir ?? 'onnxruntime-node/bin'}); run \`npm run setup:cuda\` to add it`
      }
      if (!findCudart()) return 'the CUDA runtime (libcudart) was not found; install the CUDA 12 runtime and cuDNN 9, or add them to LD_LIBRARY_PATH'
      return null
    }
    case 'dml':
      return process.platform === 'win32' ? null : 'DirectML exists only on Windows'
    case 'coreml':
      return process.platform === 'darwin' ? null : 'CoreML exists only on macOS'
    case 'webgpu':
      // On Linux, Dawn runs WebGPU on Vulkan: without an installed Vulkan driver the probe can
      // only fail (and the Vulkan loader prints warnings on stderr), so say why and skip it.
      return process.platform === 'linux' && !hasVulkanDriver()
        ? 'no Vulkan driver is installed (no ICD file in /usr/share/vulkan/icd.d, /etc/vulkan/icd.d or VK_DRIVER_FILES); install your GPU vendor\'s Vulkan driver'
        : null
    case 'cpu':
      return null
  }
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e)
  // onnxruntime prefixes its messages with a source location; keep what a person can read.
  let text = (msg.split('\n')[0] ?? msg).trim()
  // Drop a C++ assertion ("file.cc:136 fn() cond was false. ") in front of the readable part.
  const assert = / was false\. (.*)$/.exec(text)
  if (assert?.[1]) text = assert[1]
  text = text.replace(/^\/onnxruntime_src\/\S+ /, '')
  return text.length > 240 ? `${text.slice(0, 237)}...` : text
}

function sessionOptions(name: ProviderName, cpu: CpuTuning): ort.InferenceSession.SessionOptions {
  const opts: ort.InferenceSession.SessionOptions = {
    executionProviders: [name],
    graphOptimizationLevel: 'all',
    // 3 = errors only: SINet's "initializer appears in graph inputs" warnings are harmless noise.
    logSeverityLevel: 3,
    intraOpNumThreads: cpu.intraOpNumThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    extra: { session: { intra_op: { allow_spinning: cpu.allowSpinning ? '1' : '0' } } },
  }
  return opts
}

export interface OpenedSession {
  session: ort.InferenceSession
  report: ProviderReport
}

/** Creates the session on the best provider that starts. Throws ENGINE_PROVIDER_UNAVAILABLE / MODEL_CORRUPT. */
export async function createSessionWithFallback(
  model: Uint8Array,
  preference: ProviderPreference,
  cpu: CpuTuning,
  label: string,
): Promise<OpenedSession> {
  const candidates = preference === 'auto' ? PROVIDER_NAMES : [preference]
  const attempts: ProviderAttempt[] = []
  let lastError: unknown = null
  for (const name of candidates) {
    const skip = providerPrecheck(name)
    if (skip) {
      attempts.push({ provider: name, ok: false, reason: skip })
      continue
    }
    try {
      const session = await ort.InferenceSession.create(model, sessionOptions(name, cpu))
      attempts.push({ provider: name, ok: true, reason: name === 'cpu' ? `CPU, ${cpu.intraOpNumThreads} intra-op threads` : 'started' })
      return { session, report: { selected: name, attempts } }
    } catch (e) {
      lastError = e
      attempts.push({ provider: name, ok: false, reason: `failed to start: ${firstLine(e)}` })
      // The CPU provider failing means the model itself is bad, not the machine.
      if (name === 'cpu') {
        throw new PortsegError('MODEL_CORRUPT', `${label} could not be loaded by onnxruntime: ${firstLine(e)}.`, {
          cause: e,
          hints: ['Download or import the model again; if it is your own export, check it with onnx.checker.'],
        })
      }
    }
  }
  const tried = attempts.map((a) => `${a.provider}: ${a.reason}`)
  throw new PortsegError(
    'ENGINE_PROVIDER_UNAVAILABLE',
    `The ${preference} execution provider is not available on this machine: ${attempts.at(-1)?.reason ?? 'unknown reason'}.`,
    { cause: lastError, hints: [...tried, "Choose provider 'auto' to fall back to the best available one (the CPU always works)."] },
  )
}
