// The clerks' signing page: start a signing session with the document and the certificate, sign the data with
// the chosen adapter (adapter.js: a PKCS#12 file opened here with WebCrypto, or a local token plugin), complete
// the session, offer the signed file and show how kyso verified it. Vietnamese first, then English.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const K = window.KysoSigning;

  const OUTCOME = {
    TOTAL_PASSED: ['Hợp lệ', 'Valid', 'ok'],
    TOTAL_FAILED: ['Không hợp lệ', 'Invalid', 'bad'],
    INDETERMINATE: ['Chưa xác định được hiệu lực', 'Indeterminate', 'warn'],
  };

  const toB64 = (u8) => btoa(K.bytesToBinary(u8));
  const fromB64 = (s) => K.binaryToBytes(atob(s));
  const readFile = (input) => (input.files && input.files[0] ? input.files[0].arrayBuffer().then((b) => new Uint8Array(b)) : Promise.resolve(undefined));

  function step(vi, en) {
    const li = document.createElement('li');
    li.textContent = `${vi} — ${en}`;
    $('status').appendChild(li);
    return li;
  }

  function showError(vi, en) {
    const p = $('error');
    p.textContent = en && en !== vi ? `${vi} (${en})` : vi;
    p.hidden = false;
  }

  class ProblemError extends Error {
    constructor(p) {
      super(p.detail_en || p.detail || p.title);
      this.problem = p;
    }
  }

  async function api(path, body, apiKey) {
    const r = await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: `Bearer ${apiKey}` },
      body: JSON.stringify(body),
    });
    const json = await r.json().catch(() => ({ detail: `HTTP ${r.status}`, detail_en: `HTTP ${r.status}` }));
    if (!r.ok) throw new ProblemError(json);
    return json;
  }

  async function makeAdapter() {
    if ($('adapter').value === 'token') return new K.LocalTokenAdapter($('plugin-url').value);
    const p12 = await readFile($('p12'));
    if (!p12) throw new K.AdapterError('KEYSTORE_INVALID', 'Hãy chọn tệp khóa .p12/.pfx', 'Choose a .p12/.pfx key file');
    return new K.Pkcs12WebCryptoAdapter(p12, $('password').value);
  }

  function showResult(done) {
    const [vi, en, cls] = OUTCOME[done.verification.indication] || [done.verification.indication, done.verification.indication, 'warn'];
    const outcome = $('outcome');
    outcome.textContent = `${vi} (${en})`;
    outcome.className = `outcome ${cls}`;
    outcome.dataset.indication = done.verification.indication;
    const dl = $('details');
    dl.textContent = '';
    const sig = done.verification.signatures[done.verification.signatures.length - 1] || {};
    const rows = [
      ['Người ký', 'Signer', (sig.signer && sig.signer.commonName) || done.signer],
      ['Mức chữ ký', 'Level', sig.level || done.level],
      ['Thời điểm ký', 'Signing time', (sig.summary && sig.summary.signingTime) || done.completedAt],
      ['Tệp', 'File', done.fileName],
      ['SHA-256', 'SHA-256', done.signedSha256],
    ];
    for (const [vi2, en2, value] of rows) {
      if (!value) continue;
      const dt = document.createElement('dt');
      dt.textContent = `${vi2} (${en2})`;
      const dd = document.createElement('dd');
      dd.textContent = String(value);
      dl.append(dt, dd);
    }
    const blob = new Blob([fromB64(done.document)], { type: done.mediaType });
    const a = $('download');
    if (a.href.startsWith('blob:')) URL.revokeObjectURL(a.href);
    a.href = URL.createObjectURL(blob);
    a.download = done.fileName;
    $('result').hidden = false;
  }

  async function run(event) {
    event.preventDefault();
    $('status').textContent = '';
    $('error').hidden = true;
    $('result').hidden = true;
    $('sign').disabled = true;
    let adapter;
    try {
      const doc = await readFile($('document'));
      if (!doc) throw new K.AdapterError('INVALID_ARGUMENT', 'Hãy chọn tài liệu cần ký', 'Choose the document to sign');
      const apiKey = $('apikey').value.trim();

      step('Mở khóa ký', 'Opening the signing key');
      adapter = await makeAdapter();
      const identity = await adapter.getCertificate();

      step('Gửi tài liệu và chứng thư số, chuẩn bị dữ liệu cần ký', 'Sending the document and certificate, preparing the data to sign');
      const appearance = { kind: $('appearance').value };
      if (appearance.kind === 'stamp') appearance.numberSymbol = $('numberSymbol').value;
      if (appearance.kind === 'signer') {
        const image = await readFile($('image'));
        if (image) appearance.image = toB64(image);
      }
      const session = await api(
        '/api/v1/signing-sessions',
        {
          document: toB64(doc),
          fileName: $('document').files[0].name,
          certificate: toB64(identity.certificate),
          chain: identity.chain.map(toB64),
          level: $('level').value,
          appearance,
          reason: $('reason').value || undefined,
        },
        apiKey,
      );

      step(`Ký bằng khóa của bạn (${session.signatureAlgorithm}, ${session.digestAlgorithm})`, `Signing with your key (${session.signatureAlgorithm}, ${session.digestAlgorithm})`);
      const value = await adapter.sign({
        toBeSigned: fromB64(session.toBeSigned),
        dataToSign: fromB64(session.dataToSign),
        algorithm: { scheme: session.signatureAlgorithm, digest: session.digestAlgorithm, saltLength: session.webCrypto.saltLength },
      });

      step('Hoàn tất và kiểm tra chữ ký', 'Completing and verifying the signature');
      const done = await api(`/api/v1/signing-sessions/${session.id}/complete`, { signatureValue: toB64(value), chain: identity.chain.map(toB64) }, apiKey);
      step('Xong', 'Done').className = 'done';
      showResult(done);
    } catch (e) {
      if (e instanceof ProblemError) showError(e.problem.detail || e.problem.title, e.problem.detail_en || e.problem.title_en);
      else if (e && e.vi) showError(e.vi, e.en);
      else showError('Không ký được tài liệu', String((e && e.message) || e));
    } finally {
      if (adapter && adapter.close) adapter.close();
      $('sign').disabled = false;
    }
  }

  function syncFields() {
    $('stamp-fields').hidden = $('appearance').value !== 'stamp';
    $('image-fields').hidden = $('appearance').value !== 'signer';
    $('pkcs12-fields').hidden = $('adapter').value !== 'pkcs12';
    $('token-fields').hidden = $('adapter').value !== 'token';
  }

  $('appearance').addEventListener('change', syncFields);
  $('adapter').addEventListener('change', syncFields);
  $('sign-form').addEventListener('submit', run);
  syncFields();
})();
