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
export async function httpsGet(url: string, tls: TlsFiles, timeoutMs = 5_000): Promise<{ status: number; body: string }> {
  const { status, body } = await httpsRequest('GET', url, tls, undefined, timeoutMs);
  return { status, body };
}

/** Any method over HTTPS with the same trust/client files, with an optional form body; headers too. */
export function httpsRequest(
  method: string,
  url: string,
  tls: TlsFiles,
  body?: string,
  timeoutMs = 5_000,
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      {
        method,
        ca: tls.ca ? readFileSync(tls.ca) : undefined,
        cert: tls.cert ? readFileSync(tls.cert) : undefined,
        key: tls.key ? readFileSync(tls.key) : undefined,
        rejectUnauthorized: tls.ca !== undefined,
        timeout: timeoutMs,
        headers: body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text, headers: response.headers }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${method} ${url} timed out`)));
    request.on('error', reject);
    request.end(body);
  });
}
