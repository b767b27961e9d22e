/**
 * `hush dev up|env|down|status`: the local control plane for trying Hush and
 * for its end-to-end tests (see src/devenv). Progress goes to stderr; stdout
 * carries only what a script may consume (`env`'s export lines, `status`).
 */
import { parseArgs } from 'node:util';
import { describeError } from '../util/errors.ts';
import { DEV_EGRESS_ALLOW } from '../net/egress.ts';
import { down, loadEnv, status, up, type DevEnv } from '../devenv/index.ts';

const usage = `usage: hush dev <command> [--state-dir DIR]

commands:
  up      start etcd, kube-apiserver, kube-controller-manager and OpenBao
          (reuses what already runs; builds Kubernetes once per machine)
  env     print export lines for a shell: eval "$(hush dev env)"
  status  show each component's pid, port and health
  down    stop every process (add --purge to also delete the state dir)

The state dir (certificates, etcd data, logs) defaults to
\${XDG_STATE_HOME:-~/.local/state}/hush/dev.
`;

/** Quotes for a POSIX shell; the values are paths, URLs and tokens. */
function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The variables `hush dev env` exports. HUSH_EGRESS_ALLOW opens loopback to the
 * controller's egress policy: everything `hush dev up` starts (the API server,
 * OpenBao, moto) listens on 127.0.0.1, which the policy refuses by default.
 */
export function devEnvVars(env: DevEnv): [string, string][] {
  return [
    ['KUBECONFIG', env.kubeconfig],
    ['VAULT_ADDR', env.vaultAddr],
    ['VAULT_TOKEN', env.vaultToken],
    // For `hush controller --vault-audit-listen-addr "$HUSH_DEV_VAULT_AUDIT_ADDR"` (docs/vault-audit-socket.md).
    ...(env.vaultAuditAddr !== undefined ? ([['HUSH_DEV_VAULT_AUDIT_ADDR', env.vaultAuditAddr]] as [string, string][]) : []),
    ['HUSH_EGRESS_ALLOW', DEV_EGRESS_ALLOW],
  ];
}

export function envExports(env: DevEnv): string {
  const vars = devEnvVars(env);
  return vars.map(([k, v]) => `export ${k}=${shellQuote(v)}\n`).join('');
}

export async function runDev(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        'state-dir': { type: 'string' },
        purge: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`hush dev: ${describeError(err)}\n\n${usage}`);
    return 2;
  }
  const { positionals, values } = parsed;
  const command = positionals[0];
  if (values.help || command === undefined || positionals.length > 1) {
    process.stderr.write(usage);
    return values.help ? 0 : 2;
  }
  const stateDir = values['state-dir'];
  const progress = (line: string): void => void process.stderr.write(`hush dev: ${line}\n`);
  try {
    switch (command) {
      case 'up': {
        const t0 = Date.now();
        const env = await up({ stateDir, progress });
        progress(`ready in ${((Date.now() - t0) / 1000).toFixed(1)}s; state in ${env.stateDir}`);
        progress('use it from a shell with: eval "$(hush dev env' + (stateDir ? ` --state-dir ${shellQuote(stateDir)}` : '') + ')"');
        return 0;
      }
      case 'env':
        process.stdout.write(envExports(await loadEnv(stateDir)));
        return 0;
      case 'status': {
        const s = await status({ stateDir });
        if (!s.exists) {
          process.stdout.write(`no dev environment in ${s.stateDir}\n`);
          return 1;
        }
        process.stdout.write(`state dir: ${s.stateDir}\n`);
        for (const c of s.components) {
          const state = c.healthy ? 'healthy' : c.running ? 'unhealthy' : 'stopped';
          process.stdout.write(`${c.name.padEnd(24)} ${state.padEnd(10)} pid ${String(c.pid ?? '-').padEnd(8)} 127.0.0.1:${c.port}  log ${c.logFile}\n`);
        }
        return s.components.every((c) => c.healthy) ? 0 : 1;
      }
      case 'down':
        await down({ stateDir, progress, purge: values.purge });
        return 0;
      default:
        process.stderr.write(`hush dev: unknown command ${JSON.stringify(command)}\n\n${usage}`);
        return 2;
    }
  } catch (err) {
    process.stderr.write(`hush dev ${command}: ${describeError(err)}\n`);
    return 1;
  }
}
