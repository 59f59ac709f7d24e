import type { Command } from 'commander'

// Placeholder: the owner of this command replaces it.
export function registerVcam(program: Command): void {
  program.command('vcam').description('(not implemented yet)').action(() => {
    process.stderr.write('portseg vcam: not implemented yet\n')
    process.exitCode = 1
  })
}
