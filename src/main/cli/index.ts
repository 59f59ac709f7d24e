import { Command, CommanderError } from 'commander'
import { isPortsegError } from '../../shared/errors.js'
import { PORTSEG_VERSION } from './version.js'

// `portseg … | head` closes our stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0)
  throw e
})

const program = new Command()
program
  .name('portseg')
  .description('PortSeg Camera: real-time portrait matting engine, model manager and virtual camera, from the command line.')
  .version(PORTSEG_VERSION)
  .showHelpAfterError()
  .exitOverride()

// Each command loads only when it runs (its chunk brings sharp, onnxruntime or the vcam addon),
// so `portseg vcam` starts fast even in an emulated guest; help and unknown commands load all.
const commands: Record<string, () => Promise<(program: Command) => void>> = {
  matte: async () => (await import('./commands/matte.js')).registerMatte,
  bench: async () => (await import('./commands/bench.js')).registerBench,
  models: async () => (await import('./commands/models.js')).registerModels,
  vcam: async () => (await import('./commands/vcam.js')).registerVcam,
}
const requested = process.argv[2]
const wanted = requested !== undefined && requested in commands ? [requested] : Object.keys(commands)
for (const name of wanted) (await commands[name]!())(program)

try {
  await program.parseAsync(process.argv)
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode)
  if (isPortsegError(e)) {
    process.stderr.write(`portseg: ${e.describe()}\n`)
    process.exit(2)
  }
  process.stderr.write(`portseg: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
  process.exit(1)
}
