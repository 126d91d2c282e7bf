// A Signer over a Node KeyObject: the in-memory key store for PKCS#12/PEM files (demos, tests, servers that
// are allowed to hold a seal key in software). Signing is native OpenSSL through node:crypto.
import { constants, KeyObject, sign as nodeSign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { KysoError } from '../../errors.ts';
import type { KeyType, SignatureAlgorithm, Signer } from '../signer.ts';
import { digestLength, nodeDigestName } from '../signer.ts';
import { KeyMaterial, loadPkcs12 } from './pkcs12.ts';

export class KeyObjectSigner implements Signer {
  readonly keyType: KeyType;
  readonly keyBits: number;

  constructor(
    private readonly privateKey: KeyObject,
    readonly certificate: Uint8Array,
    readonly chain: readonly Uint8Array[] = [],
  ) {
    const t = privateKey.asymmetricKeyType;
    if (t === 'rsa') {
      this.keyType = 'RSA';
      this.keyBits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
    } else if (t === 'ec') {
      this.keyType = 'EC';
      const curve = privateKey.asymmetricKeyDetails?.namedCurve;
      this.keyBits = curve === 'prime256v1' ? 256 : curve === 'secp384r1' ? 384 : curve === 'secp521r1' ? 521 : 0;
    } else {
      throw new KysoError('ALGORITHM_UNSUPPORTED', `Loại khóa ${t} không được hỗ trợ`, `Unsupported key type ${t}`);
    }
    if (!new X509Certificate(certificate).checkPrivateKey(privateKey)) {
      throw new KysoError('KEY_CERT_MISMATCH', 'Khóa bí mật không khớp với chứng thư số', 'The private key does not match the certificate');
    }
  }

  static fromMaterial(m: KeyMaterial): KeyObjectSigner {
    return new KeyObjectSigner(m.privateKey, m.certificate, m.chain);
  }

  static fromPkcs12File(path: string, password: string): KeyObjectSigner {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      throw new KysoError('IO', `Không đọc được tệp khóa ${path}`, `Cannot read key file ${path}`, { cause: e });
    }
    return KeyObjectSigner.fromMaterial(loadPkcs12(bytes, password));
  }

  async sign(data: Uint8Array, algorithm: SignatureAlgorithm): Promise<Uint8Array> {
    return this.signSync(data, algorithm);
  }

  /** Synchronous variant for hot paths that own the key (no promise hop). */
  signSync(data: Uint8Array, algorithm: SignatureAlgorithm): Uint8Array {
    const md = nodeDigestName(algorithm.digest);
    switch (algorithm.scheme) {
      case 'RSASSA-PKCS1-v1_5':
        this.expect('RSA', algorithm);
        return nodeSign(md, data, this.privateKey);
      case 'RSASSA-PSS':
        this.expect('RSA', algorithm);
        return nodeSign(md, data, {
          key: this.privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: digestLength(algorithm.digest),
        });
      case 'ECDSA':
        this.expect('EC', algorithm);
        return nodeSign(md, data, { key: this.privateKey, dsaEncoding: 'der' });
    }
  }

  private expect(kind: KeyType, a: SignatureAlgorithm): void {
    if (this.keyType !== kind) {
      throw new KysoError('ALGORITHM_UNSUPPORTED', `Lược đồ ${a.scheme} không dùng được với khóa ${this.keyType}`, `Scheme ${a.scheme} does not fit a ${this.keyType} key`);
    }
  }
}
