// The validation report as a citizen reads it: the outcome (Hợp lệ / Không hợp lệ / Chưa xác định được hiệu lực —
// an undetermined signature is never shown as valid), then per signature the seven fields Thông tư 15/2025
// Art. 6(4)(b) requires, as the server wrote them in Vietnamese (src/verify/tt15-summary.ts), and for an edXML
// package the files it carries, each with its own report. Used by /tra-cuu and /kiem-tra.
(function (global) {
  'use strict';
  const K = global.Kyso;

  const OUTCOME = {
    TOTAL_PASSED: { vi: 'Hợp lệ', en: 'Valid', cls: 'passed', mark: '✓' },
    TOTAL_FAILED: { vi: 'Không hợp lệ', en: 'Not valid', cls: 'failed', mark: '✗' },
    INDETERMINATE: { vi: 'Chưa xác định được hiệu lực', en: 'Indeterminate', cls: 'indeterminate', mark: '?' },
  };

  // The seven fields, in the order of the circular, with their English names.
  const FIELDS = [
    ['issuer', '1. Tổ chức cung cấp dịch vụ chứng thực chữ ký số', 'Certification service provider'],
    ['signer', '2. Thông tin người ký', 'Signer'],
    ['certificateManager', '3. Đơn vị quản lý chứng thư chữ ký số', 'Organisation managing the certificate'],
    ['signingTime', '4. Thời gian ký', 'Signing time'],
    ['timestamp', '4. Dấu thời gian', 'Timestamp'],
    ['integrity', '5. Tính toàn vẹn của thông điệp dữ liệu', 'Integrity of the data message'],
    ['validAtSigningTime', '6. Hiệu lực của chữ ký số tại thời điểm ký', 'Validity of the signature when signed'],
    ['certificateValidity', '7. Thời hạn hiệu lực của chứng thư chữ ký số', 'Certificate validity period'],
    ['result', 'Kết quả', 'Result'],
  ];

  function outcomeOf(indication) {
    return OUTCOME[indication] || OUTCOME.INDETERMINATE;
  }

  function verdict(tag, indication, attrs) {
    const o = outcomeOf(indication);
    return K.el(tag, Object.assign({ class: 'verdict verdict-' + o.cls }, attrs || {}),
      K.el('span', { class: 'mark', 'aria-hidden': 'true' }, o.mark),
      ' ',
      K.el('strong', { class: 'verdict-vi' }, o.vi),
      ' ',
      K.el('span', { class: 'en', lang: 'en' }, o.en));
  }

  function term(dl, vi, en, value, valueAttrs) {
    dl.appendChild(K.el('dt', null, vi, en ? K.el('span', { class: 'en', lang: 'en' }, en) : null));
    dl.appendChild(typeof value === 'string' ? K.el('dd', valueAttrs || null, value) : K.el('dd', valueAttrs || null, value));
  }

  function signatureCard(sig, index, level) {
    const isTimestamp = sig.kind === 'document-timestamp';
    const summary = sig.summary || sig.tt15 || {};
    const who = sig.signer && sig.signer.commonName ? ' — ' + sig.signer.commonName : '';
    const card = K.el('article', { class: 'signature signature-' + outcomeOf(sig.indication).cls, 'data-indication': sig.indication });
    card.appendChild(K.el('h' + level, null,
      (isTimestamp ? 'Dấu thời gian tài liệu ' : 'Chữ ký số ') + (index + 1) + who,
      K.el('span', { class: 'en', lang: 'en' }, (isTimestamp ? 'Document timestamp ' : 'Signature ') + (index + 1))));
    card.appendChild(verdict('p', sig.indication));
    const dl = K.el('dl', { class: 'tt15' });
    FIELDS.forEach(function (f) {
      const v = summary[f[0]];
      if (v === undefined || v === null || v === '') return;
      term(dl, f[1], f[2], String(v), { 'data-field': f[0] });
    });
    const format = [sig.format, sig.level ? 'mức ' + sig.level : null].filter(Boolean).join(', ');
    if (format) term(dl, 'Định dạng chữ ký', 'Signature format', format);
    card.appendChild(dl);
    return card;
  }

  /**
   * Renders `report` into `container` (replacing what was there). `opts.expectedSha256`: the SHA-256 the case
   * lookup published, compared with the checked file's; `opts.headingLevel` (default 2).
   */
  function renderReport(container, report, opts) {
    opts = opts || {};
    const level = opts.headingLevel || 2;
    K.clear(container);
    const o = outcomeOf(report.indication);
    const box = K.el('section', { class: 'report report-' + o.cls, 'data-indication': report.indication, 'aria-label': 'Kết quả kiểm tra chữ ký số' });
    box.appendChild(K.el('h' + level, null, 'Kết quả kiểm tra chữ ký số', K.el('span', { class: 'en', lang: 'en' }, 'Signature check result')));
    box.appendChild(verdict('p', report.indication, { id: opts.verdictId || null }));
    if (report.summary) {
      box.appendChild(K.el('p', { class: 'summary' }, report.summary.vi || ''));
      if (report.summary.en) box.appendChild(K.el('p', { class: 'en', lang: 'en' }, report.summary.en));
    }

    const doc = report.document || {};
    const facts = K.el('dl', { class: 'facts' });
    if (doc.name) term(facts, 'Tệp', 'File', doc.name);
    if (doc.format) term(facts, 'Loại tài liệu', 'Format', doc.format + (doc.size ? ' · ' + K.formatBytes(doc.size) : ''));
    if (doc.sha256) term(facts, 'Mã băm SHA-256', 'SHA-256', K.el('code', { class: 'hash' }, doc.sha256));
    if (opts.expectedSha256 && doc.sha256) {
      const same = opts.expectedSha256.toLowerCase() === doc.sha256.toLowerCase();
      term(facts, 'Trùng với văn bản đã công khai', 'Same as the published answer',
        same ? K.el('span', { class: 'ok' }, 'Có — đúng tệp cơ quan đã công khai', K.el('span', { class: 'en', lang: 'en' }, 'Yes — the very file published'))
             : K.el('span', { class: 'bad' }, 'Không — tệp khác với tệp đã công khai', K.el('span', { class: 'en', lang: 'en' }, 'No — a different file')));
    }
    if (report.validationTime) term(facts, 'Thời điểm kiểm tra', 'Checked at', K.formatVnTime(report.validationTime));
    box.appendChild(facts);

    const sigs = report.signatures || [];
    if (sigs.length === 0) {
      box.appendChild(K.bilingual('p', 'Tài liệu không có chữ ký số nào.', 'The document carries no digital signature.', { class: 'notice' }));
    }
    sigs.forEach(function (s, i) { box.appendChild(signatureCard(s, i, level + 1)); });

    (report.attachments || []).forEach(function (a) {
      const part = K.el('section', { class: 'attachment' });
      part.appendChild(K.el('h' + (level + 1), null, 'Tệp đính kèm: ' + a.name, K.el('span', { class: 'en', lang: 'en' }, 'Attached file')));
      if (a.report) {
        const inner = K.el('div');
        renderReport(inner, a.report, { headingLevel: Math.min(level + 2, 6) });
        part.appendChild(inner);
      } else if (a.problem) {
        part.appendChild(K.bilingual('p', a.problem.vi, a.problem.en, { class: 'notice' }));
      }
      box.appendChild(part);
    });
    container.appendChild(box);
    container.hidden = false;
    return box;
  }

  global.KysoReport = { renderReport: renderReport, outcomeOf: outcomeOf };
})(window);
