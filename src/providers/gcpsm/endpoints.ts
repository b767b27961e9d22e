/**
 * Where the gcpsm provider sends its calls. Production defaults to Google's
 * endpoints; each can be moved by an environment variable, read when a store
 * connects, so tests (and air-gapped mirrors) can point the provider at local
 * servers without a field ESO does not have:
 *
 * - HUSH_GCPSM_ENDPOINT: Secret Manager's gRPC endpoint as a URL;
 *   `http://host:port` is plaintext (tests), `https://host[:port]` is TLS.
 *   Overrides the regional endpoint too.
 * - HUSH_GCP_SECURETOKEN_URL: the GKE identity binding token exchange (STS).
 * - HUSH_GCP_IAMCREDENTIALS_URL: IAM Credentials (service account impersonation).
 * - GCE_METADATA_HOST: the metadata server (the variable Google's libraries read).
 *
 * A service account key's own `token_uri` is honoured, as Google's libraries do.
 */
import { InvalidConfigError } from '../../util/errors.ts';

export interface GrpcEndpoint {
  host: string;
  port: number;
  /** Plaintext: only for local test servers. */
  insecure: boolean;
}

export interface GcpEndpoints {
  secretManager: GrpcEndpoint;
  secureTokenUrl: string;
  iamCredentialsUrl: string;
  metadataUrl: string;
}

export const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';

export function gcpEndpoints(location: string | undefined, env: NodeJS.ProcessEnv = process.env): GcpEndpoints {
  const override = env.HUSH_GCPSM_ENDPOINT;
  let secretManager: GrpcEndpoint;
  if (override) {
    let u: URL;
    try {
      u = new URL(override);
    } catch {
      throw new InvalidConfigError(`HUSH_GCPSM_ENDPOINT must be a URL such as https://secretmanager.example:443, got ${JSON.stringify(override)}`);
    }
    const insecure = u.protocol === 'http:';
    if (!insecure && u.protocol !== 'https:') throw new InvalidConfigError('HUSH_GCPSM_ENDPOINT must be an http:// or https:// URL');
    secretManager = { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : insecure ? 80 : 443, insecure };
  } else {
    // ESO: regional secrets live on the regional endpoint only.
    secretManager = { host: location ? `secretmanager.${location}.rep.googleapis.com` : 'secretmanager.googleapis.com', port: 443, insecure: false };
  }
  const metadataHost = env.GCE_METADATA_HOST || 'metadata.google.internal';
  return {
    secretManager,
    secureTokenUrl: env.HUSH_GCP_SECURETOKEN_URL || 'https://securetoken.googleapis.com/v1/identitybindingtoken',
    iamCredentialsUrl: (env.HUSH_GCP_IAMCREDENTIALS_URL || 'https://iamcredentials.googleapis.com').replace(/\/+$/, ''),
    metadataUrl: `http://${metadataHost}/computeMetadata/v1`,
  };
}
