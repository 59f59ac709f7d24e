/**
 * `portseg matte`: one 8-bit grayscale PNG alpha (255 = person) per input frame, at the input's
 * full resolution. Sequences (directory, .y4m, video) run in order through one engine, so a
 * recurrent model's state carries from frame to frame.
 */
import { mkdir, access, constants } from 'node:fs/promises'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Command } from 'commander'
import { PortsegError, toErrorInfo } from '../../../shared/errors.js'
import { openEngine, type DownsampleRatio, type MattingEngine, type ProviderPreference } from '../../engine/index.js'
import { openInput, writeAlphaPng, type OpenedInput } from '../../engine/io/index.js'
import { DEFAULT_MODEL_ID, resolveModel } from '../../engine/models/index.js'
import { bundledWorkerPath, describeProvider, fmtMs, median, parsePositiveInt, parseProvider, parseRatio, quantile, round } from '../format.js'

interface MatteOptions {
  model: string
  input: string
  output: string
  downsampleRatio: string
  provider: string
  refine: boolean
  temporal: boolean
  maxFrames?: string
  json?: boolean
  quiet?: boolean
}

export function registerMatte(program: Command): void {
  program
    .command('matte')
    .description('Write one 8-bit grayscale PNG alpha (255 = person) per input frame, at full resolution.')
    .requiredOption('-i, --input <path>', 'an image, a directory of images (one sequence, in name order), a .y4m file, or a video (needs ffmpeg)')
    .requiredOption('-o, --output <dir>', 'folder for the alphas: 000000.png, 000001.png, … for a sequence; <name>.png for one image')
    .option('-m, --model <id|path.onnx>', 'model id (see `portseg models list`) or a path to an .onnx file', DEFAULT_MODEL_ID)
    .option('-r, --downsample-ratio <r|auto>', "recurrent models: 'auto' (short side ≈ 256–512 px) or a number in (0, 1]", 'auto')
    .option('-p, --provider <name>', 'auto | cpu | cuda | dml | coreml | webgpu', 'auto')
    .option('--no-refine', 'segmentation models: plain bilinear upsampling, no temporal smoothing')
    .option('--no-temporal', 'segmentation models: no temporal smoothing between frames')
    .option('--max-frames <n>', 'stop after n frames')
    .option('--json', 'print one JSON summary object on stdout (no progress)')
    .option('-q, --quiet', 'no progress lines')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  portseg matte -i photo.jpg -o out/                     # out/photo.png\n' +
        '  portseg matte -i clip.y4m -o alphas/ -m rvm-mobilenetv3-fp32\n' +
        '  portseg matte -i frames/ -o alphas/ --provider cpu --json',
    )
    .action(async (o: MatteOptions) => {
      try {
        await runMatte(o)
      } catch (e) {
        // --json callers get the error as data too; the CLI entry still prints it and exits 2
        if (o.json === true) process.stdout.write(JSON.stringify({ error: toErrorInfo(e) }, null, 2) + '\n')
        throw e
      }
    })
}

async function runMatte(o: MatteOptions): Promise<void> {
  const where = 'portseg matte'
  const provider: ProviderPreference = parseProvider(where, o.provider)
  const ratio: DownsampleRatio = parseRatio(where, o.downsampleRatio)
  const maxFrames = o.maxFrames === undefined ? undefined : parsePositiveInt(where, '--max-frames', o.maxFrames)
  const json = o.json === true
  const log = (s: string): void => {
    if (!json) process.stderr.write(s + '\n')
  }

  const input = await openInput(o.input, { format: 'RGB', maxFrames })
  const model = await resolveModel(o.model)
  const outDir = path.resolve(o.output)
  await prepareOutput(outDir)
  const single = input.kind === 'image'
  const nameFor = (i: number): string => (single ? `${path.parse(input.path).name}.png` : `${String(i).padStart(6, '0')}.png`)
  if (single && path.resolve(outDir, nameFor(0)) === path.resolve(input.path)) {
    throw new PortsegError('OUTPUT_NOT_WRITABLE', `Refusing to write ${path.resolve(outDir, nameFor(0))}: it is the input image itself.`, {
      hints: ['Choose another --output folder.'],
    })
  }

  const engine = await openEngine({
    modelPath: model.path,
    workerPath: bundledWorkerPath(),
    provider,
    downsampleRatio: ratio,
    refine: { guidedFilter: o.refine, temporal: o.refine && o.temporal },
  })
  let stopRequested = false
  const onSigint = (): void => {
    stopRequested = true
    log('portseg matte: stopping after this frame (Ctrl+C again to abort)')
    process.once('SIGINT', () => process.exit(130))
  }
  process.once('SIGINT', onSigint)
  try {
    log(`model: ${model.name}${model.id === null ? '' : ` (${model.id})`}, ${engine.modelInterface.kind}; license ${model.license}`)
    for (const line of describeProvider(engine.provider)) log(line)
    log(`input: ${input.kind} ${input.path}${input.frameCount === null ? '' : `, ${input.frameCount} frame${input.frameCount === 1 ? '' : 's'}`}`)
    const result = await matteAll(engine, input, outDir, nameFor, {
      progress: json || o.quiet === true ? null : log,
      stop: () => stopRequested,
    })
    const summary = {
      model: model.id ?? model.name,
      modelPath: model.path,
      interface: engine.modelInterface.kind,
      provider: engine.provider.selected,
      providerAttempts: engine.provider.attempts,
      input: path.resolve(input.path),
      inputKind: input.kind,
      output: outDir,
      frames: result.frames,
      files: { count: result.files.length, first: result.files[0] ?? null, last: result.files.at(-1) ?? null },
      size: result.size,
      refine: o.refine,
      temporal: o.refine && o.temporal,
      downsampleRatio: engine.status().downsampleRatio,
      elapsedMs: round(result.elapsedMs, 1),
      msPerFrame: round(result.frames === 0 ? 0 : result.elapsedMs / result.frames),
      engineMs: { median: round(median(result.engineMs)), p95: round(quantile(result.engineMs, 0.95)) },
      inferenceMs: { median: round(median(result.inferenceMs)), p95: round(quantile(result.inferenceMs, 0.95)) },
      interrupted: result.interrupted,
    }
    if (json) {
      process.stdout.write(JSON.stringify(summary, null, 2) + '\n')
    } else {
      const files = result.files.length === 1 ? result.files[0]! : `${result.files[0] ?? '-'} … ${result.files.at(-1) ?? '-'}`
      process.stdout.write(
        `${result.frames} frame${result.frames === 1 ? '' : 's'} → ${outDir}/${files}${result.interrupted ? ' (interrupted)' : ''}\n` +
          `${fmtMs(summary.msPerFrame)} ms/frame overall (engine median ${fmtMs(summary.engineMs.median)} ms, inference ${fmtMs(summary.inferenceMs.median)} ms) on ${summary.provider}\n`,
      )
    }
    if (result.interrupted) process.exitCode = 130
  } finally {
    process.removeListener('SIGINT', onSigint)
    await engine.close()
  }
}

async function prepareOutput(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true })
    await access(dir, constants.W_OK)
  } catch (e) {
    throw new PortsegError('OUTPUT_NOT_WRITABLE', `Cannot write to ${dir}: ${(e as Error).message}`, {
      cause: e,
      hints: ['Choose an --output folder you can write to.'],
    })
  }
}

interface MatteRun {
  frames: number
  files: string[]
  size: { width: number; height: number } | null
  elapsedMs: number
  engineMs: number[]
  inferenceMs: number[]
  interrupted: boolean
}

async function matteAll(
  engine: MattingEngine,
  input: OpenedInput,
  outDir: string,
  nameFor: (i: number) => string,
  opts: { progress: ((s: string) => void) | null; stop: () => boolean },
): Promise<MatteRun> {
  const t0 = performance.now()
  const run: MatteRun = { frames: 0, files: [], size: null, elapsedMs: 0, engineMs: [], inferenceMs: [], interrupted: false }
  let lastProgress = t0
  // One PNG write in flight while the next frame is matted.
  let pendingWrite: Promise<void> = Promise.resolve()
  for await (const frame of input.frames()) {
    const { width, height } = frame
    const matte = await engine.process(frame)
    if (matte.width !== width || matte.height !== height) {
      throw new PortsegError('ENGINE_INFERENCE_FAILED', `The engine returned a ${matte.width}x${matte.height} matte for a ${width}x${height} frame (frame ${run.frames}).`)
    }
    run.engineMs.push(matte.timings.roundTripMs ?? matte.timings.totalMs)
    run.inferenceMs.push(matte.timings.inferenceMs)
    const name = nameFor(run.frames)
    await pendingWrite
    pendingWrite = writeAlphaPng(path.join(outDir, name), matte.alpha, width, height)
    run.files.push(name)
    run.size = { width, height }
    run.frames++
    const now = performance.now()
    if (opts.progress !== null && now - lastProgress > 1000) {
      lastProgress = now
      const total = input.frameCount === null ? '' : `/${input.frameCount}`
      opts.progress(`  ${run.frames}${total} frames, ${fmtMs((now - t0) / run.frames)} ms/frame`)
    }
    if (opts.stop()) {
      run.interrupted = true
      break
    }
  }
  await pendingWrite
  run.elapsedMs = performance.now() - t0
  return run
}
