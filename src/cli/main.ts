/**
 * The `hush` command's dispatcher (bin/hush.js calls main): one line per
 * command, each implemented in its own module.
 */
// Commands are imported on use, so `hush dev` does not load the controller and the other way round.

const usage = `usage: hush <command> [args]

commands:
  controller  run the secrets sync controllers against the current kubeconfig
  dev         run a local control plane (etcd, kube-apiserver, controller manager, OpenBao)
  render      render an ExternalSecret's Secret locally from a file of values (templates, no cluster)
  sops        encrypt/decrypt/edit SOPS files, compatible with sops and Flux
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'dev':
      return (await import('./dev.ts')).runDev(rest);
    case 'controller':
      return (await import('./controller.ts')).runController(rest);
    case 'render':
      return (await import('./render.ts')).runRender(rest);
    case 'sops':
      return (await import('./sops.ts')).runSops(rest);
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(usage);
      return 0;
    default:
      process.stderr.write(command === undefined ? usage : `hush: unknown command ${JSON.stringify(command)}\n\n${usage}`);
      return 2;
  }
}
