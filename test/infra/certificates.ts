import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr || (error as Error).message}`, { cause: error });
  }
}

export interface KeyPair {
  cert: string;
  key: string;
}

export interface Certificate {
  /** Subject: CN and, for client certificates, O (Kubernetes reads them as user and groups). */
  commonName: string;
  organizations?: string[];
  /** Server certificates: DNS names and IP addresses of subjectAltName. */
  dnsNames?: string[];
  ipAddresses?: string[];
  usage: 'server' | 'client';
}

/** openssl `-subj` for a certificate subject; `/` and `,` are escaped. */
export function subjectLine(commonName: string, organizations: readonly string[] = []): string {
  const escape = (value: string) => value.replace(/([/,\\=+])/g, '\\$1');
  return [...organizations.map((o) => `/O=${escape(o)}`), `/CN=${escape(commonName)}`].join('');
}

/** The x509 v3 extension section of a leaf certificate, as `openssl x509 -extfile` reads it. */
export function leafExtensions(certificate: Certificate): string {
  const lines = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${certificate.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
  ];
  const names = [
    ...(certificate.dnsNames ?? []).map((name) => `DNS:${name}`),
    ...(certificate.ipAddresses ?? []).map((ip) => `IP:${ip}`),
  ];
  if (names.length > 0) lines.push(`subjectAltName=${names.join(',')}`);
  return `${lines.join('\n')}\n`;
}

const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * A throw-away certificate authority for one control plane, in `dir`. Certificates
 * last two days: longer than any test run, short enough to be useless if leaked.
 */
export async function createCertificateAuthority(dir: string, name: string): Promise<KeyPair> {
  const pair = { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
  await openssl(
    ['req', '-x509', ...ecKey, '-keyout', pair.key, '-out', pair.cert, '-days', '2', '-subj', subjectLine(name)],
    dir,
  );
  return pair;
}

/** A leaf certificate (and its key) signed by `ca`, written as `<name>.crt` / `<name>.key` in `dir`. */
export async function issueCertificate(dir: string, name: string, ca: KeyPair, certificate: Certificate): Promise<KeyPair> {
  const pair = { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
  const csr = path.join(dir, `${name}.csr`);
  const extensions = path.join(dir, `${name}.ext`);
  await writeFile(extensions, leafExtensions(certificate));
  await openssl(
    ['req', '-new', ...ecKey, '-keyout', pair.key, '-out', csr, '-subj', subjectLine(certificate.commonName, certificate.organizations)],
    dir,
  );
  await openssl(
    // A random serial per certificate: -CAcreateserial would race on the CA's serial file
    // when certificates are issued in parallel.
    ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-out', pair.cert, '-days', '2', '-extfile', extensions],
    dir,
  );
  return pair;
}

/** An RSA key pair for signing service-account tokens: `<name>.key` (private) and `<name>.pub`. */
export async function createSigningKeyPair(dir: string, name: string): Promise<{ privateKey: string; publicKey: string }> {
  const privateKey = path.join(dir, `${name}.key`);
  const publicKey = path.join(dir, `${name}.pub`);
  await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', privateKey], dir);
  await openssl(['pkey', '-in', privateKey, '-pubout', '-out', publicKey], dir);
  return { privateKey, publicKey };
}
