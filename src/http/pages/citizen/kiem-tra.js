// Kiểm tra chữ ký số: uploads the chosen file to POST /api/v1/verify (multipart field "file") with
// XMLHttpRequest, which, unlike fetch, reports upload progress; then shows the report.
(function () {
  'use strict';
  const K = window.Kyso;
  const R = window.KysoReport;

  const $ = function (id) { return document.getElementById(id); };
  const form = $('verify-form');
  const input = $('file');
  const button = $('check');
  const progressBox = $('progress-box');
  const progress = $('progress');
  const progressLabel = $('progress-label');
  const status = $('verify-status');
  const errorBox = $('verify-error');
  const out = $('verify-report');

  // The server's default limit (KYSO_MAX_UPLOAD_MB may set another; the server then answers 413 itself).
  const MAX_BYTES = 50 * 1024 * 1024;

  function say(node, vi, en) {
    K.clear(node);
    if (!vi) return;
    node.appendChild(document.createTextNode(vi));
    if (en) node.appendChild(K.el('span', { class: 'en', lang: 'en' }, en));
  }

  function fail(err) {
    progressBox.hidden = true;
    say(status, '');
    K.showError(errorBox, err);
    errorBox.focus();
  }

  function problemFromXhr(xhr) {
    let p = null;
    try { p = JSON.parse(xhr.responseText); } catch (_) { p = null; }
    const join = function (a, b) { return [a, b].filter(Boolean).join(': '); };
    if (p && (p.title || p.detail)) return new K.ApiError(xhr.status, join(p.title, p.detail), join(p.title_en, p.detail_en), p.code);
    return new K.ApiError(xhr.status, 'Máy chủ trả lời lỗi ' + xhr.status + '.', 'The server answered with error ' + xhr.status + '.');
  }

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    K.hideError(errorBox);
    K.clear(out);
    out.hidden = true;
    const file = input.files && input.files[0];
    if (!file) return fail({ vi: 'Vui lòng chọn tệp PDF hoặc XML cần kiểm tra.', en: 'Please choose the PDF or XML file to check.' });
    if (file.size === 0) return fail({ vi: 'Tệp "' + file.name + '" rỗng.', en: 'The file "' + file.name + '" is empty.' });
    if (file.size > MAX_BYTES) return fail({ vi: 'Tệp "' + file.name + '" lớn hơn 50 MB.', en: 'The file "' + file.name + '" is larger than 50 MB.' });

    const data = new FormData();
    data.append('file', file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/verify');
    xhr.setRequestHeader('Accept', 'application/json');
    button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    progressBox.hidden = false;
    progress.value = 0;
    progressLabel.textContent = 'Đang tải tệp lên… (uploading)';
    say(status, 'Đang tải tệp lên…', 'Uploading…');

    xhr.upload.addEventListener('progress', function (e) {
      if (!e.lengthComputable) return;
      const pct = Math.round((e.loaded / e.total) * 100);
      progress.value = pct;
      progress.textContent = pct + '%';
    });
    xhr.upload.addEventListener('load', function () {
      // Uploaded; the server is now checking: an indeterminate bar.
      progress.removeAttribute('value');
      progressLabel.textContent = 'Đang kiểm tra chữ ký số… (checking)';
      say(status, 'Đã tải lên, đang kiểm tra chữ ký số…', 'Uploaded, checking the signatures…');
    });
    xhr.addEventListener('load', function () {
      button.disabled = false;
      form.setAttribute('aria-busy', 'false');
      if (xhr.status !== 200) return fail(problemFromXhr(xhr));
      let report;
      try { report = JSON.parse(xhr.responseText); } catch (_) {
        return fail({ vi: 'Máy chủ trả lời không đúng định dạng.', en: 'The server answered in an unexpected format.' });
      }
      progressBox.hidden = true;
      say(status, 'Đã kiểm tra xong.', 'Check complete.');
      const box = R.renderReport(out, report, { headingLevel: 2 });
      box.setAttribute('tabindex', '-1');
      box.focus();
    });
    const networkError = function () {
      button.disabled = false;
      form.setAttribute('aria-busy', 'false');
      fail({ vi: 'Không kết nối được với máy chủ. Vui lòng kiểm tra kết nối mạng và thử lại.', en: 'Could not reach the server. Please check your connection and try again.' });
    };
    xhr.addEventListener('error', networkError);
    xhr.addEventListener('abort', networkError);
    xhr.send(data);
  });
})();
