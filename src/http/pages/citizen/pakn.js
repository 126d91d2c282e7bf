// Gửi phản ánh, kiến nghị: checks the form as POST /api/v1/public/cases does (so most mistakes are shown next to
// the field before anything is sent), sends it as JSON with the attachments in base64, then shows the case code
// and the access key once.
(function () {
  'use strict';
  const K = window.Kyso;

  // The API's limits (src/exchange/pakn/cases.ts checkSubmission, case-service.ts submitCase, the 30 MiB body).
  const LIMITS = { name: 200, address: 500, phone: 30, email: 254, title: 300, content: 20000 };
  const MAX_FILES = 5;
  const MAX_FILE_BYTES = 10 * 1024 * 1024;
  // base64 grows by 4/3: 22 MiB of files stay under the API's 30 MiB JSON body with the text fields.
  const MAX_TOTAL_BYTES = 22 * 1024 * 1024;
  const TYPES = { 'application/pdf': 'PDF', 'image/jpeg': 'JPEG', 'image/png': 'PNG' };
  const BY_EXTENSION = { pdf: 'application/pdf', jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png' };
  const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

  const LABELS = {
    name: ['Họ và tên', 'Full name'],
    address: ['Địa chỉ', 'Address'],
    phone: ['Số điện thoại', 'Phone'],
    email: ['Thư điện tử', 'E-mail'],
    title: ['Tiêu đề', 'Subject'],
    content: ['Nội dung', 'Details'],
    attachments: ['Tệp đính kèm', 'Attachments'],
  };

  const form = document.getElementById('pakn-form');
  const summary = document.getElementById('error-summary');
  const list = document.getElementById('error-list');
  const status = document.getElementById('submit-status');
  const submit = document.getElementById('submit');
  const filesInput = document.getElementById('attachments');
  const fileList = document.getElementById('attachment-list');

  // One key per filled-in form: a double click or a retry after a lost answer returns the same case.
  let idempotencyKey = newKey();
  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') return 'pakn-' + window.crypto.randomUUID();
    return 'pakn-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2);
  }

  function mediaTypeOf(file) {
    if (TYPES[file.type]) return file.type;
    const ext = (file.name.split('.').pop() || '').toLowerCase();
    return BY_EXTENSION[ext] || file.type || '';
  }

  function textCheck(errors, field, value, required) {
    const v = value.trim();
    const label = LABELS[field];
    if (v === '') {
      if (required) errors.push({ field: field, vi: 'Vui lòng nhập ' + label[0].toLowerCase() + '.', en: label[1] + ' is required.' });
      return v;
    }
    if (v.length > LIMITS[field]) {
      errors.push({ field: field, vi: label[0] + ' dài quá ' + LIMITS[field].toLocaleString('vi-VN') + ' ký tự (hiện có ' + v.length.toLocaleString('vi-VN') + ').', en: label[1] + ' is longer than ' + LIMITS[field] + ' characters.' });
    } else if (CONTROL.test(v)) {
      errors.push({ field: field, vi: label[0] + ' chứa ký tự điều khiển không hợp lệ.', en: label[1] + ' contains control characters.' });
    }
    return v;
  }

  // By id: form.name and form.title are the form's own properties, not its fields.
  function value(id) {
    return document.getElementById(id).value;
  }

  /** The same checks as the API, field by field. */
  function validate() {
    const errors = [];
    const v = {
      name: textCheck(errors, 'name', value('name'), true),
      address: textCheck(errors, 'address', value('address'), true),
      phone: textCheck(errors, 'phone', value('phone'), true),
      email: textCheck(errors, 'email', value('email'), false),
      title: textCheck(errors, 'title', value('title'), true),
      content: textCheck(errors, 'content', value('content'), true),
    };
    if (v.phone && !errors.some(function (e) { return e.field === 'phone'; }) && !/^[0-9 +().-]{6,30}$/.test(v.phone)) {
      errors.push({ field: 'phone', vi: 'Số điện thoại không hợp lệ: chỉ gồm chữ số, dấu cách và + ( ) . -, từ 6 đến 30 ký tự.', en: 'Invalid phone number: digits, spaces and + ( ) . - only, 6 to 30 characters.' });
    }
    if (v.email && !errors.some(function (e) { return e.field === 'email'; }) && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v.email)) {
      errors.push({ field: 'email', vi: 'Địa chỉ thư điện tử không hợp lệ.', en: 'Invalid e-mail address.' });
    }
    const files = Array.prototype.slice.call(filesInput.files || []);
    if (files.length > MAX_FILES) {
      errors.push({ field: 'attachments', vi: 'Chỉ được đính kèm tối đa ' + MAX_FILES + ' tệp (đã chọn ' + files.length + ').', en: 'At most ' + MAX_FILES + ' attachments (' + files.length + ' selected).' });
    }
    let total = 0;
    files.forEach(function (f) {
      total += f.size;
      if (!TYPES[mediaTypeOf(f)]) errors.push({ field: 'attachments', vi: 'Tệp "' + f.name + '" không phải PDF, JPEG hoặc PNG.', en: 'File "' + f.name + '" is not a PDF, JPEG or PNG.' });
      else if (f.size > MAX_FILE_BYTES) errors.push({ field: 'attachments', vi: 'Tệp "' + f.name + '" lớn hơn 10 MB.', en: 'File "' + f.name + '" is larger than 10 MB.' });
      else if (f.size === 0) errors.push({ field: 'attachments', vi: 'Tệp "' + f.name + '" rỗng.', en: 'File "' + f.name + '" is empty.' });
    });
    if (total > MAX_TOTAL_BYTES) errors.push({ field: 'attachments', vi: 'Tổng dung lượng tệp đính kèm vượt quá 22 MB.', en: 'The attachments exceed 22 MB in total.' });
    return { errors: errors, values: v, files: files };
  }

  function clearErrors() {
    K.clear(list);
    summary.hidden = true;
    form.querySelectorAll('.field').forEach(function (f) {
      f.classList.remove('invalid');
      const input = f.querySelector('input, textarea');
      if (input) input.removeAttribute('aria-invalid');
      const msg = f.querySelector('.field-error');
      if (msg) { K.clear(msg); msg.hidden = true; }
    });
  }

  function showErrors(errors) {
    clearErrors();
    errors.forEach(function (e) {
      const field = form.querySelector('.field[data-field="' + e.field + '"]');
      if (field) {
        field.classList.add('invalid');
        const input = field.querySelector('input, textarea');
        if (input) input.setAttribute('aria-invalid', 'true');
        const msg = field.querySelector('.field-error');
        if (msg) {
          msg.appendChild(K.el('span', null, e.vi));
          msg.appendChild(K.el('span', { class: 'en', lang: 'en' }, e.en));
          msg.hidden = false;
        }
      }
      const target = field ? (field.querySelector('input, textarea') || {}).id : null;
      list.appendChild(K.el('li', null, target ? K.el('a', { href: '#' + target }, e.vi) : e.vi, K.el('span', { class: 'en', lang: 'en' }, e.en)));
    });
    summary.hidden = false;
    summary.focus();
  }

  // Links in the summary move the focus to the field (not just scroll to it).
  list.addEventListener('click', function (ev) {
    const a = ev.target.closest('a[href^="#"]');
    if (!a) return;
    const input = document.getElementById(a.getAttribute('href').slice(1));
    if (input) { ev.preventDefault(); input.focus(); }
  });

  filesInput.addEventListener('change', function () {
    K.clear(fileList);
    Array.prototype.forEach.call(filesInput.files || [], function (f) {
      fileList.appendChild(K.el('li', null, f.name + ' (' + K.formatBytes(f.size) + ')'));
    });
  });

  function readBase64(file) {
    return new Promise(function (resolve, reject) {
      const r = new FileReader();
      r.onload = function () {
        const s = String(r.result);
        resolve(s.slice(s.indexOf(',') + 1));
      };
      r.onerror = function () { reject(new K.ApiError(0, 'Không đọc được tệp "' + file.name + '".', 'Could not read the file "' + file.name + '".')); };
      r.readAsDataURL(file);
    });
  }

  function setBusy(busy, vi, en) {
    submit.disabled = busy;
    form.setAttribute('aria-busy', busy ? 'true' : 'false');
    K.clear(status);
    if (vi) {
      status.appendChild(document.createTextNode(vi));
      status.appendChild(K.el('span', { class: 'en', lang: 'en' }, en));
    }
  }

  function serverErrorField(err) {
    // The API names the field in its Vietnamese message ("Thiếu trường bắt buộc: submitter.phone", ...).
    const m = /(submitter\.)?(name|address|phone|email|title|content|attachments)/.exec(err.vi || '');
    if (/điện thoại/i.test(err.vi || '')) return 'phone';
    if (/thư điện tử/i.test(err.vi || '')) return 'email';
    if (/tệp/i.test(err.vi || '')) return 'attachments';
    return m ? m[2] : null;
  }

  form.addEventListener('submit', async function (ev) {
    ev.preventDefault();
    const checked = validate();
    if (checked.errors.length) {
      showErrors(checked.errors);
      return;
    }
    clearErrors();
    setBusy(true, 'Đang gửi…', 'Sending…');
    try {
      const attachments = [];
      for (const f of checked.files) {
        attachments.push({ name: f.name, mediaType: mediaTypeOf(f), contentBase64: await readBase64(f) });
      }
      const v = checked.values;
      const body = {
        submitter: Object.assign({ name: v.name, address: v.address, phone: v.phone }, v.email ? { email: v.email } : {}),
        title: v.title,
        content: v.content,
        attachments: attachments,
      };
      const r = await K.requestJson('/api/v1/public/cases', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey, Accept: 'application/json' },
        body: JSON.stringify(body),
      });
      showReceipt(r);
    } catch (err) {
      setBusy(false);
      const field = err.status === 400 ? serverErrorField(err) : null;
      showErrors([{ field: field || 'none', vi: err.vi || String(err), en: err.en || '' }]);
      // A refused request can be corrected and sent again under a new key.
      if (err.status >= 400 && err.status < 500) idempotencyKey = newKey();
    }
  });

  function showReceipt(r) {
    const receipt = document.getElementById('receipt');
    document.getElementById('receipt-code').textContent = r.code;
    document.getElementById('receipt-key').textContent = r.accessKey;
    document.getElementById('receipt-received').textContent = K.formatVnTime(r.receivedAt);
    K.showDue(document.getElementById('receipt-due'), r.answerDueAt, r.answerDueProvisional, r.answerDueNote);
    document.getElementById('lookup-link').setAttribute('href', '/tra-cuu?ma=' + encodeURIComponent(r.code));
    form.reset();
    form.hidden = true;
    document.getElementById('form-intro').hidden = true;
    K.clear(fileList);
    summary.hidden = true;
    receipt.hidden = false;
    receipt.focus();

    document.getElementById('save-receipt').addEventListener('click', function () {
      const text = [
        'Phản ánh, kiến nghị — thông tin tra cứu',
        'Mã hồ sơ (case code): ' + r.code,
        'Mã truy cập (access key): ' + r.accessKey,
        'Thời điểm tiếp nhận (received): ' + K.formatVnTime(r.receivedAt),
        'Hạn trả lời (answer due): ' + K.formatVnTime(r.answerDueAt) + (r.answerDueProvisional ? ' ' + K.PROVISIONAL_MARK : ''),
        'Tra cứu tại (look up at): ' + location.origin + '/tra-cuu',
        '',
        'Giữ bí mật mã truy cập. Keep the access key secret.',
        '',
      ].join('\r\n');
      K.saveBlob(new Blob(['\ufeff' + text], { type: 'text/plain;charset=utf-8' }), r.code + '.txt');
    });
    document.getElementById('print-receipt').addEventListener('click', function () { window.print(); });
  }

  // Copy buttons (the code and the key); where the clipboard is not available the text is selected instead.
  document.addEventListener('click', async function (ev) {
    const b = ev.target.closest('button.copy');
    if (!b) return;
    const source = document.getElementById(b.getAttribute('data-copy'));
    const out = document.getElementById('copy-status');
    K.clear(out);
    try {
      await navigator.clipboard.writeText(source.textContent);
      out.appendChild(document.createTextNode('Đã sao chép.'));
      out.appendChild(K.el('span', { class: 'en', lang: 'en' }, 'Copied.'));
    } catch (_) {
      const range = document.createRange();
      range.selectNodeContents(source);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      out.appendChild(document.createTextNode('Đã chọn: nhấn Ctrl+C (hoặc giữ để sao chép trên điện thoại).'));
      out.appendChild(K.el('span', { class: 'en', lang: 'en' }, 'Selected: press Ctrl+C (or long-press on a phone).'));
    }
  });
})();
