// `portseg vcam` alone, for the guest. The full CLI takes ~50 s to start under TCG emulation
// (it loads sharp and every command); this entry registers only the vcam command, through the
// same registerVcam() and the same error printing as src/main/cli/index.ts. Bundled by
// test/e2e/vcam.test.ts with esbuild; the guest still runs the real `node bin/portseg.js` once.
import { Command, CommanderError } from 'commander'
import { registerVcam } from '../../../src/main/cli/commands/vcam.js'
import { isPortsegError } from '../../../src/shared/errors.js'

const program = new Command().name('portseg').exitOverride()
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
