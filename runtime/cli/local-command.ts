import { Command } from 'commander';

export function localCommand(): Command {
  return new Command('local')
    .description('run a local cluster: N nodes x (primary, backup) runtime processes behind HAProxy')
    .action(() => {
      // Filled in by its issue; until then say so plainly instead of pretending.
      process.stderr.write('ors local: not implemented yet\n');
      process.exitCode = 2;
    });
}
