// PKCS#12 loading. node-forge only parses and decrypts the container (it supports both the legacy 3DES/RC2
// PBE and PBES2/AES files agencies have); the key becomes a Node KeyObject once and all signing is native.
import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { KysoError } from '../../errors.ts';

export interface KeyMaterial {
  privateKey: KeyObject;
  /** DER of the certificate matching the private key. */
  certificate: Uint8Array;
  /** DER of the other certificates in the container, ordered issuer-first from the signer upward where possible. */
  chain: Uint8Array[];
}

export function loadPkcs12(p12: Uint8Array, password: string): KeyMaterial {
  let pfx: forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(p12).toString('binary')));
    pfx = forge.pkcs12.pkcs12FromAsn1(asn1, false, password);
  } catch (e) {
    const msg = String((e as Error).message ?? e);
    if (/MAC could not be verified|Invalid password|wrong password|decrypt/i.test(msg)) {
      throw new KysoError('WRONG_PASSWORD', 'Sai mật khẩu tệp khóa PKCS#12', 'Wrong PKCS#12 password', { cause: e });
    }
    throw new KysoError('KEYSTORE_INVALID', 'Tệp khóa PKCS#12 không hợp lệ hoặc bị hỏng', `Invalid or corrupt PKCS#12 file: ${msg}`, { cause: e });
  }

  const keys: KeyObject[] = [];
  const certs: Uint8Array[] = [];
  for (const sc of pfx.safeContents) {
    for (const bag of sc.safeBags) {
      const b = bag as forge.pkcs12.Bag & { asn1?: forge.asn1.Asn1 };
      if (bag.type === forge.pki.oids.pkcs8ShroudedKeyBag || bag.type === forge.pki.oids.keyBag) {
        // forge decodes only RSA keys; for EC it hands back the PrivateKeyInfo ASN.1, which Node reads directly.
        const info = bag.key ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key)) : b.asn1;
        if (!info) continue;
        keys.push(createPrivateKey({ key: Buffer.from(forge.asn1.toDer(info).getBytes(), 'binary'), format: 'der', type: 'pkcs8' }));
      } else if (bag.type === forge.pki.oids.certBag) {
        const asn1 = bag.cert ? forge.pki.certificateToAsn1(bag.cert) : b.asn1;
        if (asn1) certs.push(Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'));
      }
    }
  }
  if (keys.length !== 1) {
    throw new KysoError('KEYSTORE_INVALID', `Tệp PKCS#12 phải chứa đúng một khóa bí mật (có ${keys.length})`, `The PKCS#12 file must hold exactly one private key (found ${keys.length})`);
  }
  return fromKeyAndCertificates(keys[0], certs);
}

/** Picks the certificate matching the key and orders the rest as a chain. */
export function fromKeyAndCertificates(privateKey: KeyObject, certs: Uint8Array[]): KeyMaterial {
  const parsed = certs.map((der) => ({ der, x: new X509Certificate(der) }));
  const own = parsed.find((c) => c.x.checkPrivateKey(privateKey));
  if (!own) {
    throw new KysoError('KEY_CERT_MISMATCH', 'Không có chứng thư số nào khớp với khóa bí mật', 'No certificate matches the private key');
  }
  const chain: Uint8Array[] = [];
  let cur = own.x;
  const rest = parsed.filter((c) => c !== own);
  for (;;) {
    const issuer = rest.find((c) => !chain.includes(c.der) && cur.checkIssued(c.x) && c.x !== cur);
    if (!issuer || issuer.x.fingerprint256 === cur.fingerprint256) break;
    chain.push(issuer.der);
    cur = issuer.x;
  }
  for (const c of rest) if (!chain.includes(c.der)) chain.push(c.der);
  return { privateKey, certificate: own.der, chain };
}
