import type { Command } from 'commander'

// Placeholder: the owner of this command replaces it.
export function registerMatte(program: Command): void {
  program.command('matte').description('(not implemented yet)').action(() => {
    process.stderr.write('portseg matte: not implemented yet\n')
    process.exitCode = 1
  })
}
