import type { Command } from 'commander'

// Placeholder: the owner of this command replaces it.
export function registerBench(program: Command): void {
  program.command('bench').description('(not implemented yet)').action(() => {
    process.stderr.write('portseg bench: not implemented yet\n')
    process.exitCode = 1
  })
}
