import { Command } from 'commander';

export function runtimeCommand(): Command {
  return new Command('runtime')
    .description('run one ORS runtime process (a primary or backup of one node)')
    .action(() => {
      // Filled in by its issue; until then say so plainly instead of pretending.
      process.stderr.write('ors runtime: not implemented yet\n');
      process.exitCode = 2;
    });
}
