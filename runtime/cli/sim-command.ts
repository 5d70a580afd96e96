import { Command } from 'commander';

export function simCommand(): Command {
  return new Command('sim')
    .description('run the telephony and interaction-server simulator and load generator')
    .action(() => {
      // Filled in by its issue; until then say so plainly instead of pretending.
      process.stderr.write('ors sim: not implemented yet\n');
      process.exitCode = 2;
    });
}
