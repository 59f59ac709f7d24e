import type { Command } from 'commander'

// Placeholder: the owner of this command replaces it.
export function registerModels(program: Command): void {
  program.command('models').description('(not implemented yet)').action(() => {
    process.stderr.write('portseg models: not implemented yet\n')
    process.exitCode = 1
  })
}
