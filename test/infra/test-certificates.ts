// A throwaway CA and a server certificate for 127.0.0.1 (openssl), as PEM files and a
// PKCS12 keystore for Java servers such as Cassandra.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestCertificates {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** PKCS12 with the server key and certificate. */
  serverKeystore: string;
  keystorePassword: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeTestCertificates(commonName = 'ors-test'): TestCertificates {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ors-certs-'));
  const password = 'ors-test-keystore';
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', `/CN=${commonName} CA`], dir);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${commonName}`], dir);
  writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'san.ext'], dir);
  openssl(['pkcs12', '-export', '-in', 'server.crt', '-inkey', 'server.key', '-name', 'server', '-out', 'server.p12', '-passout', `pass:${password}`], dir);
  return {
    dir,
    caCert: path.join(dir, 'ca.crt'),
    serverCert: path.join(dir, 'server.crt'),
    serverKey: path.join(dir, 'server.key'),
    serverKeystore: path.join(dir, 'server.p12'),
    keystorePassword: password,
  };
}
