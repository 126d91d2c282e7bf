// Signing adapters for the clerks' page: where the clerk's key is and how it signs. The page only talks to the
// SigningAdapter interface below (docs/token-plugin-adapter.md is the contract for local USB-token plugins);
// the default implementation opens a PKCS#12 file in the page with node-forge (parsing only) and signs with
// WebCrypto. The key never leaves the browser: it is imported as a non-extractable CryptoKey for each signature,
// and nothing but the certificate and the signature value is sent to the server.
//
// interface SigningAdapter {
//   id: string;                                   // 'pkcs12-webcrypto', 'local-token', ...
//   getCertificate(): Promise<{ certificate: Uint8Array /* DER */, chain: Uint8Array[] /* DER, nearest first */ }>;
//   sign(request: {
//     toBeSigned: Uint8Array,   // the bytes the signature covers (CAdES signed attributes / canonical SignedInfo)
//     dataToSign: Uint8Array,   // their digest, for adapters that sign a hash (tokens: signHash)
//     algorithm: { scheme: 'RSASSA-PSS'|'RSASSA-PKCS1-v1_5'|'ECDSA', digest: 'SHA-256'|'SHA-384'|'SHA-512', saltLength?: number },
//   }): Promise<Uint8Array>;    // RSA: the signature; ECDSA: raw r||s or DER (the server accepts both)
//   close?(): void;
// }
//
// Errors are thrown as AdapterError with a stable code (docs/token-plugin-adapter.md lists them) and messages
// in Vietnamese, then English.
(function (global) {
  'use strict';

  class AdapterError extends Error {
    constructor(code, vi, en) {
      super(`${vi} (${en})`);
      this.name = 'AdapterError';
      this.code = code;
      this.vi = vi;
      this.en = en;
    }
  }

  const OID = {
    rsaEncryption: '1.2.840.113549.1.1.1',
    ecPublicKey: '1.2.840.10045.2.1',
    pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
    keyBag: '1.2.840.113549.1.12.10.1.1',
    certBag: '1.2.840.113549.1.12.10.1.3',
  };
  const CURVES = { '1.2.840.10045.3.1.7': 'P-256', '1.3.132.0.34': 'P-384', '1.3.132.0.35': 'P-521' };

  const bytesToBinary = (u8) => {
    let s = '';
    for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
    return s;
  };
  const binaryToBytes = (s) => {
    const u8 = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) u8[i] = s.charCodeAt(i) & 0xff;
    return u8;
  };
  const asn1Der = (asn1) => binaryToBytes(global.forge.asn1.toDer(asn1).getBytes());

  /** Key type and curve from a PKCS#8 PrivateKeyInfo. */
  function keyAlgorithm(pkcs8) {
    const forge = global.forge;
    const info = forge.asn1.fromDer(forge.util.createBuffer(bytesToBinary(pkcs8)));
    const alg = info.value[1].value;
    const oid = forge.asn1.derToOid(alg[0].value);
    if (oid === OID.rsaEncryption) return { keyType: 'RSA' };
    if (oid === OID.ecPublicKey) {
      const curve = CURVES[forge.asn1.derToOid(alg[1].value)];
      if (curve) return { keyType: 'EC', namedCurve: curve };
    }
    throw new AdapterError('ALGORITHM_UNSUPPORTED', 'Loại khóa trong tệp không được hỗ trợ', 'The key type in the file is not supported');
  }

  /** The SubjectPublicKeyInfo DER of a certificate (TBSCertificate field 7, after the optional [0] version). */
  function certificateSpki(certDer) {
    const forge = global.forge;
    const tbs = forge.asn1.fromDer(forge.util.createBuffer(bytesToBinary(certDer))).value[0];
    const offset = tbs.value[0].tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? 1 : 0;
    return asn1Der(tbs.value[offset + 5]);
  }

  function webCryptoParams(keyInfo, algorithm) {
    if (algorithm.scheme === 'ECDSA') {
      if (keyInfo.keyType !== 'EC') throw new AdapterError('ALGORITHM_UNSUPPORTED', 'Khóa RSA không ký được ECDSA', 'An RSA key cannot sign ECDSA');
      return { importAs: { name: 'ECDSA', namedCurve: keyInfo.namedCurve }, sign: { name: 'ECDSA', hash: algorithm.digest } };
    }
    if (keyInfo.keyType !== 'RSA') throw new AdapterError('ALGORITHM_UNSUPPORTED', 'Khóa EC chỉ ký được ECDSA', 'An EC key can only sign ECDSA');
    if (algorithm.scheme === 'RSASSA-PSS') {
      const saltLength = algorithm.saltLength ?? { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 }[algorithm.digest];
      return { importAs: { name: 'RSA-PSS', hash: algorithm.digest }, sign: { name: 'RSA-PSS', saltLength } };
    }
    return { importAs: { name: 'RSASSA-PKCS1-v1_5', hash: algorithm.digest }, sign: { name: 'RSASSA-PKCS1-v1_5' } };
  }

  /**
   * The default adapter: a PKCS#12 (.p12/.pfx) file opened in the page. node-forge only decrypts and parses the
   * container (legacy 3DES and PBES2/AES files); WebCrypto does all signing.
   */
  class Pkcs12WebCryptoAdapter {
    constructor(p12Bytes, password) {
      this.id = 'pkcs12-webcrypto';
      const forge = global.forge;
      if (!forge) throw new AdapterError('ADAPTER_UNAVAILABLE', 'Thiếu thư viện đọc PKCS#12', 'The PKCS#12 reader is not loaded');
      let p12;
      try {
        const asn1 = forge.asn1.fromDer(forge.util.createBuffer(bytesToBinary(p12Bytes)));
        p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, password);
      } catch (e) {
        const msg = String((e && e.message) || e);
        if (/MAC could not be verified|Invalid password|decrypt/i.test(msg)) throw new AdapterError('WRONG_PIN', 'Sai mật khẩu tệp khóa', 'Wrong key file password');
        throw new AdapterError('KEYSTORE_INVALID', 'Tệp khóa PKCS#12 không hợp lệ', 'Invalid PKCS#12 file');
      }
      const keys = [];
      const certs = [];
      for (const sc of p12.safeContents) {
        for (const bag of sc.safeBags) {
          if (bag.type === OID.pkcs8ShroudedKeyBag || bag.type === OID.keyBag) {
            // forge decodes RSA keys only; for EC it leaves the PrivateKeyInfo ASN.1 in bag.asn1.
            const info = bag.key ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key)) : bag.asn1;
            if (info) keys.push(asn1Der(info));
          } else if (bag.type === OID.certBag) {
            const asn1 = bag.cert ? forge.pki.certificateToAsn1(bag.cert) : bag.asn1;
            if (asn1) certs.push(asn1Der(asn1));
          }
        }
      }
      if (keys.length !== 1) throw new AdapterError('KEY_NOT_FOUND', `Tệp phải chứa đúng một khóa bí mật (có ${keys.length})`, `The file must hold exactly one private key (found ${keys.length})`);
      this._pkcs8 = keys[0];
      this._keyInfo = keyAlgorithm(this._pkcs8);
      this._certs = certs;
    }

    /** The certificate whose public key matches the private key (checked by a test signature), and the rest. */
    async getCertificate() {
      if (this._identity) return this._identity;
      const probe = new TextEncoder().encode('kyso: which certificate matches this key?');
      const algorithm = { scheme: this._keyInfo.keyType === 'EC' ? 'ECDSA' : 'RSASSA-PKCS1-v1_5', digest: 'SHA-256' };
      const p = webCryptoParams(this._keyInfo, algorithm);
      const key = await crypto.subtle.importKey('pkcs8', this._pkcs8, p.importAs, false, ['sign']);
      const sig = await crypto.subtle.sign(p.sign, key, probe);
      for (const der of this._certs) {
        try {
          const pub = await crypto.subtle.importKey('spki', certificateSpki(der), p.importAs, false, ['verify']);
          if (await crypto.subtle.verify(p.sign, pub, sig, probe)) {
            this._identity = { certificate: der, chain: this._certs.filter((c) => c !== der) };
            return this._identity;
          }
        } catch (e) {
          // another key type or curve: not this one
        }
      }
      throw new AdapterError('KEY_CERT_MISMATCH', 'Không có chứng thư số nào khớp với khóa bí mật trong tệp', 'No certificate in the file matches its private key');
    }

    async sign(request) {
      const p = webCryptoParams(this._keyInfo, request.algorithm);
      // Non-extractable, imported for this one signature: WebCrypto hashes toBeSigned itself.
      const key = await crypto.subtle.importKey('pkcs8', this._pkcs8, p.importAs, false, ['sign']);
      return new Uint8Array(await crypto.subtle.sign(p.sign, key, request.toBeSigned));
    }

    close() {
      if (this._pkcs8) this._pkcs8.fill(0);
      this._pkcs8 = undefined;
    }
  }

  /**
   * A local token plugin that follows docs/token-plugin-adapter.md (a signing service on 127.0.0.1 that holds the
   * USB token: VGCA/Viettel-CA style). It signs the digest (signHash); the PIN is asked by the plugin itself.
   */
  class LocalTokenAdapter {
    constructor(baseUrl, options = {}) {
      this.id = 'local-token';
      this.baseUrl = baseUrl.replace(/\/$/, '');
      this.certificateId = options.certificateId;
    }
    async _call(path, body) {
      let r;
      try {
        r = await fetch(this.baseUrl + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body ?? {}) });
      } catch (e) {
        throw new AdapterError('ADAPTER_UNAVAILABLE', 'Không kết nối được phần mềm ký trên máy (plugin)', 'The local signing plugin cannot be reached');
      }
      const json = await r.json().catch(() => ({}));
      if (!r.ok || json.error) {
        const e = json.error || {};
        throw new AdapterError(e.code || 'TOKEN_ERROR', e.message_vi || e.message || 'Lỗi thiết bị ký', e.message_en || e.message || 'Token error');
      }
      return json;
    }
    async getCertificate() {
      const j = await this._call('/v1/certificate', { certificateId: this.certificateId });
      const fromB64 = (s) => binaryToBytes(atob(s));
      this.certificateId = j.certificateId;
      return { certificate: fromB64(j.certificate), chain: (j.chain || []).map(fromB64) };
    }
    async sign(request) {
      const j = await this._call('/v1/sign-hash', {
        certificateId: this.certificateId,
        hash: btoa(bytesToBinary(request.dataToSign)),
        hashAlgorithm: request.algorithm.digest,
        signatureScheme: request.algorithm.scheme,
        ...(request.algorithm.scheme === 'RSASSA-PSS' ? { saltLength: request.algorithm.saltLength } : {}),
      });
      return binaryToBytes(atob(j.signature));
    }
  }

  global.KysoSigning = { AdapterError, Pkcs12WebCryptoAdapter, LocalTokenAdapter, bytesToBinary, binaryToBytes };
})(window);
