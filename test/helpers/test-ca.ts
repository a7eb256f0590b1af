/** A throwaway certificate authority for TLS tests (openssl CLI, EC P-256 keys): issues server and client certificates. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Issued {
  certFile: string;
  keyFile: string;
}

export interface TestCa {
  caFile: string;
  /** A certificate for `name` with these subject alternative names (DNS names and IP addresses), for servers and clients. */
  issue(name: string, altNames: { dns?: string[]; ip?: string[] }): Issued;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function createTestCa(dir: string, commonName = 'Recinto test CA'): TestCa {
  const slug = commonName.replace(/\W+/g, '-').toLowerCase();
  const caFile = join(dir, `${slug}.pem`);
  const caKey = join(dir, `${slug}-key.pem`);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', caKey, '-out', caFile, '-days', '2', '-subj', `/CN=${commonName}`]);
  let serial = 0;
  return {
    caFile,
    issue(name, altNames) {
      const base = join(dir, `${slug}-${name.replace(/\W+/g, '-')}-${++serial}`);
      const san = [...(altNames.dns ?? []).map((d) => `DNS:${d}`), ...(altNames.ip ?? []).map((i) => `IP:${i}`)].join(',');
      writeFileSync(`${base}.ext`, `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n`);
      openssl(['req', ...ec, '-keyout', `${base}-key.pem`, '-out', `${base}.csr`, '-subj', `/CN=${name}`]);
      openssl([
        'x509',
        '-req',
        '-in',
        `${base}.csr`,
        '-CA',
        caFile,
        '-CAkey',
        caKey,
        '-set_serial',
        String(serial),
        '-days',
        '2',
        '-extfile',
        `${base}.ext`,
        '-out',
        `${base}.pem`,
      ]);
      return { certFile: `${base}.pem`, keyFile: `${base}-key.pem` };
    },
  };
}
