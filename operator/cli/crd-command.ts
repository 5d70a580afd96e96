import { Command } from 'commander';

export function crdCommand(): Command {
  return new Command('crd')
    .description('print the OrsCluster CustomResourceDefinition (YAML), generated from operator/api')
    .action(async () => {
      const { renderOrsClusterCrd } = await import('../api/crd.ts');
      process.stdout.write(renderOrsClusterCrd());
    });
}
