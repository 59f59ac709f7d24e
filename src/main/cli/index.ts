import { Command, CommanderError } from 'commander'
import { isPortsegError } from '../../shared/errors.js'
import { registerMatte } from './commands/matte.js'
import { registerBench } from './commands/bench.js'
import { registerModels } from './commands/models.js'
import { registerVcam } from './commands/vcam.js'
import { PORTSEG_VERSION } from './version.js'

const program = new Command()
program
  .name('portseg')
  .description('PortSeg Camera: real-time portrait matting engine, model manager and virtual camera, from the command line.')
  .version(PORTSEG_VERSION)
  .showHelpAfterError()
  .exitOverride()

registerMatte(program)
registerBench(program)
registerModels(program)
registerVcam(program)

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
