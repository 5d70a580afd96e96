// Where `kubectl ors` talks to, chosen the way kubectl chooses: --kubeconfig, else
// KUBECONFIG (a path list, merged), else ~/.kube/config, else the in-cluster account;
// --context picks a context; the namespace is -n, else the context's, else "default".
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../../operator/controller/kube-client.ts';

export interface KubeTargetOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export interface KubeTarget {
  client: KubeClient;
  namespace: string;
}

export function connect(options: KubeTargetOptions): KubeTarget {
  const config = new KubeConfig();
  if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
  // true: the first KUBECONFIG file's current-context wins, as in kubectl (client-node's default is the last).
  else config.loadFromDefault({}, true);
  if (options.context) {
    if (!config.getContextObject(options.context)) throw new Error(`context "${options.context}" is not in the kubeconfig`);
    config.setCurrentContext(options.context);
  }
  const namespace = options.namespace ?? config.getContextObject(config.getCurrentContext())?.namespace ?? 'default';
  return { client: new KubeClient(config), namespace };
}
