import { readFileSync } from 'node:fs';
import https from 'node:https';

export interface TlsFiles {
  /** CA bundle file that signed the server certificate; without it the server is not verified. */
  ca?: string;
  /** Client certificate and key files. */
  cert?: string;
  key?: string;
}

/**
 * GET over HTTPS with files for trust and client authentication. Only for probing
 * loopback servers started by the tests: with no `ca` the server certificate is not
 * verified (kube-controller-manager serves a self-signed one).
 */
export function httpsGet(url: string, tls: TlsFiles, timeoutMs = 5_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      url,
      {
        ca: tls.ca ? readFileSync(tls.ca) : undefined,
        cert: tls.cert ? readFileSync(tls.cert) : undefined,
        key: tls.key ? readFileSync(tls.key) : undefined,
        rejectUnauthorized: tls.ca !== undefined,
        timeout: timeoutMs,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on('error', reject);
  });
}
