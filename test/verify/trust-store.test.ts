// Trust anchors: files and directories, PEM and DER, demo and production modes, anchor identity by key.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testPki } from '../../certs-test/index.ts';
import { isKysoError } from '../../src/errors.ts';
import { certInfo } from '../../src/verify/cert-info.ts';
import { PRODUCTION_TRUST_DIR, TrustStore } from '../../src/verify/trust-store.ts';
import { openssl, tempDir, writeTemp } from '../pki/helpers.ts';
import { certDer } from './cms-test-helpers.ts';

const savedEnv = process.env.KYSO_TRUST_DIR;
afterEach(() => {
  if (savedEnv === undefined) delete process.env.KYSO_TRUST_DIR;
  else process.env.KYSO_TRUST_DIR = savedEnv;
  TrustStore.default({ reload: true });
});

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('TrustStore', () => {
  it('demo mode trusts exactly the test root', () => {
    const t = TrustStore.demo();
    expect(t.mode).toBe('demo');
    expect(t.anchors.map(hex)).toEqual([hex(certDer('root-ca'))]);
    expect(t.isAnchor(certDer('root-ca'))).toBe(true);
    expect(t.isAnchor(certDer('ca'))).toBe(false);
    expect(t.findIssuers(certDer('ca')).map((c) => hex(c.der))).toEqual([hex(certDer('root-ca'))]);
    expect(t.findIssuers(certDer('person-vpcp'))).toEqual([]);
    expect(TrustStore.demo()).toBe(t);
  });

  it('default() is demo while trust/production holds no certificate', () => {
    delete process.env.KYSO_TRUST_DIR;
    const t = TrustStore.default({ reload: true });
    expect(PRODUCTION_TRUST_DIR).toMatch(/trust[/\\]production$/);
    expect(t.mode).toBe('demo');
  });

  it('default() uses KYSO_TRUST_DIR when it holds certificates (production mode)', () => {
    const dir = tempDir('kyso-trust-');
    copyFileSync(testPki.caPem, join(dir, 'bcy.pem'));
    process.env.KYSO_TRUST_DIR = dir;
    const t = TrustStore.default({ reload: true });
    expect(t.mode).toBe('production');
    expect(t.anchors.map(hex)).toEqual([hex(certDer('ca'))]);
    expect(TrustStore.default()).toBe(t);
    process.env.KYSO_TRUST_DIR = tempDir('kyso-trust-empty-');
    expect(TrustStore.default({ reload: true }).mode).toBe('demo');
  });

  it('fromPaths reads PEM bundles and DER files, skips other files, removes duplicates', () => {
    const dir = tempDir('kyso-trust-');
    copyFileSync(testPki.chainPem, join(dir, 'chain.pem')); // ca + root
    writeTemp(dir, 'root.cer', certDer('root-ca')); // DER, same root again
    writeTemp(dir, 'README.md', '# not a certificate');
    mkdirSync(join(dir, 'sub.pem')); // a directory with a certificate-like name is not a file
    const t = TrustStore.fromPaths([dir]);
    expect(t.mode).toBe('custom');
    expect(t.size).toBe(2);
    expect(t.isAnchor(certDer('ca'))).toBe(true);
    expect(t.isAnchor(certDer('root-ca'))).toBe(true);
    const single = TrustStore.fromPaths([testPki.rootPem]);
    expect(single.size).toBe(1);
  });

  it('refuses a malformed file, a missing path and an empty directory with INVALID_ARGUMENT', () => {
    const dir = tempDir('kyso-trust-');
    const bad = writeTemp(dir, 'broken.pem', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    for (const paths of [[bad], [join(dir, 'missing.pem')], [tempDir('kyso-trust-empty-')]]) {
      let err: unknown;
      try {
        TrustStore.fromPaths(paths);
      } catch (e) {
        err = e;
      }
      expect(isKysoError(err, 'INVALID_ARGUMENT')).toBe(true);
    }
  });

  it('a re-issued root (same name and key, new certificate) is the same anchor', () => {
    const dir = tempDir('kyso-trust-');
    const out = join(dir, 'reissued.pem');
    const root = testPki.identity('root-ca');
    const r = openssl(['x509', '-in', root.cert, '-signkey', root.key, '-days', '100', '-out', out]);
    expect(r.status).toBe(0);
    const reissued = TrustStore.fromPaths([out]).anchors[0]!;
    expect(hex(reissued)).not.toBe(hex(certDer('root-ca')));
    expect(TrustStore.demo().isAnchor(reissued)).toBe(true);
    expect(TrustStore.demo().isAnchor(certInfo(reissued))).toBe(true);
  });
});
