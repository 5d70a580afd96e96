import { Command } from 'commander';

export function operatorCommand(): Command {
  return new Command('operator')
    .description('run the operator that reconciles OrsCluster resources')
    .action(() => {
      // Filled in by its issue; until then say so plainly instead of pretending.
      process.stderr.write('ors operator: not implemented yet\n');
      process.exitCode = 2;
    });
}
