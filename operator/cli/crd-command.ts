import { Command } from 'commander';

export function crdCommand(): Command {
  return new Command('crd')
    .description('print the OrsCluster CustomResourceDefinition (YAML)')
    .action(() => {
      // Filled in by its issue; until then say so plainly instead of pretending.
      process.stderr.write('ors crd: not implemented yet\n');
      process.exitCode = 2;
    });
}
