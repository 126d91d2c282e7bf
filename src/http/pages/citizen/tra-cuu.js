// Tra cứu hồ sơ: GET /api/v1/public/cases/{code} with the access key in the X-Access-Key header (never in a URL),
// then, once the answer is published, download it (GET …/answer, saved from memory) and check it with
// POST /api/v1/verify — the very bytes downloaded, compared with the SHA-256 the lookup published.
(function () {
  'use strict';
  const K = window.Kyso;
  const R = window.KysoReport;

  const $ = function (id) { return document.getElementById(id); };
  const form = $('lookup-form');
  const codeInput = $('code');
  const keyInput = $('key');
  const status = $('lookup-status');
  const errorBox = $('lookup-error');
  const caseBox = $('case');

  /** The case on screen: its code, key and published answer, and the answer's bytes once downloaded. */
  let current = null;

  const preset = new URLSearchParams(location.search).get('ma');
  if (preset) {
    codeInput.value = preset.trim().toUpperCase();
    keyInput.focus();
  }

  $('show-key').addEventListener('change', function (ev) {
    keyInput.type = ev.target.checked ? 'text' : 'password';
  });

  function say(node, vi, en) {
    K.clear(node);
    if (!vi) return;
    node.appendChild(document.createTextNode(vi));
    if (en) node.appendChild(K.el('span', { class: 'en', lang: 'en' }, en));
  }

  form.addEventListener('submit', async function (ev) {
    ev.preventDefault();
    K.hideError(errorBox);
    const code = codeInput.value.trim().toUpperCase();
    const key = keyInput.value.trim();
    codeInput.value = code;
    if (!code || !key) {
      K.showError(errorBox, { vi: 'Vui lòng nhập cả mã hồ sơ và mã truy cập.', en: 'Please enter both the case code and the access key.' });
      (code ? keyInput : codeInput).focus();
      return;
    }
    $('lookup').disabled = true;
    say(status, 'Đang tra cứu…', 'Looking up…');
    try {
      const c = await K.requestJson('/api/v1/public/cases/' + encodeURIComponent(code), { headers: { 'X-Access-Key': key, Accept: 'application/json' } });
      say(status, '');
      show(c, key);
    } catch (err) {
      say(status, '');
      caseBox.hidden = true;
      current = null;
      if (err.status === 404) {
        K.showError(errorBox, {
          vi: 'Không tìm thấy hồ sơ với mã hồ sơ và mã truy cập đã nhập. Vui lòng kiểm tra lại hai mã (mã truy cập phân biệt chữ hoa, chữ thường).',
          en: 'No case matches this case code and access key. Please check both (the access key is case-sensitive).',
        });
      } else {
        K.showError(errorBox, err);
      }
      errorBox.focus();
    } finally {
      $('lookup').disabled = false;
    }
  });

  function show(c, key) {
    current = { code: c.code, key: key, answer: c.answer, bytes: null, name: 'tra-loi-' + c.code + '.pdf' };
    $('case-code').textContent = c.code;
    $('case-title').textContent = c.title || '';
    $('case-state').textContent = (c.stateLabel && c.stateLabel.vi) || c.state;
    $('case-state-en').textContent = (c.stateLabel && c.stateLabel.en) || '';
    const agency = $('case-agency');
    K.clear(agency);
    if (c.agency) {
      agency.appendChild(document.createTextNode(c.agency.name));
      agency.appendChild(K.el('span', { class: 'muted' }, ' (mã định danh ' + c.agency.id + ')'));
    } else {
      agency.appendChild(document.createTextNode('Chưa chuyển đến cơ quan có thẩm quyền'));
      agency.appendChild(K.el('span', { class: 'en', lang: 'en' }, 'Not yet transferred to the competent agency'));
    }
    $('case-received').textContent = K.formatVnTime(c.receivedAt);
    K.showDue($('case-due'), c.answerDueAt, c.answerDueProvisional, c.answerDueNote);
    $('case-published').textContent = K.formatVnTime(c.publishedAt);
    $('case-published').hidden = $('case-published-term').hidden = !c.publishedAt;

    const hasAnswer = !!c.answer;
    $('answer').hidden = !hasAnswer;
    $('no-answer').hidden = hasAnswer;
    say($('answer-status'), '');
    K.hideError($('answer-error'));
    K.clear($('answer-report'));
    $('answer-report').hidden = true;
    if (hasAnswer) $('answer-sha256').textContent = c.answer.sha256;
    caseBox.hidden = false;
    caseBox.focus();
  }

  /** The answer's bytes (downloaded once per lookup). */
  async function answerBytes() {
    if (current.bytes) return current.bytes;
    const res = await K.request(current.answer.href, { headers: { 'X-Access-Key': current.key } });
    const cd = res.headers.get('content-disposition') || '';
    const m = /filename="([^"]+)"/.exec(cd);
    if (m) current.name = m[1];
    current.bytes = await res.arrayBuffer();
    return current.bytes;
  }

  async function withButton(button, work) {
    const errorBox2 = $('answer-error');
    K.hideError(errorBox2);
    button.disabled = true;
    try {
      await work();
    } catch (err) {
      say($('answer-status'), '');
      K.showError(errorBox2, err);
    } finally {
      button.disabled = false;
    }
  }

  $('download').addEventListener('click', function () {
    if (!current || !current.answer) return;
    const mine = current;
    withButton($('download'), async function () {
      say($('answer-status'), 'Đang tải văn bản trả lời…', 'Downloading the answer…');
      const bytes = await answerBytes();
      const got = await K.sha256Hex(bytes);
      K.saveBlob(new Blob([bytes], { type: 'application/pdf' }), mine.name);
      if (got && got !== mine.answer.sha256) {
        say($('answer-status'), 'Cảnh báo: tệp tải về khác với tệp đã công khai (mã băm không khớp).', 'Warning: the downloaded file differs from the published one (hash mismatch).');
      } else {
        say($('answer-status'), 'Đã tải ' + mine.name + ' (' + K.formatBytes(bytes.byteLength) + ').', 'Downloaded.');
      }
    });
  });

  $('verify').addEventListener('click', function () {
    if (!current || !current.answer) return;
    const mine = current;
    withButton($('verify'), async function () {
      say($('answer-status'), 'Đang kiểm tra chữ ký số…', 'Checking the signature…');
      const bytes = await answerBytes();
      const report = await K.requestJson('/api/v1/verify?name=' + encodeURIComponent(mine.name), {
        method: 'POST',
        headers: { 'Content-Type': 'application/pdf', Accept: 'application/json' },
        body: bytes,
      });
      if (current !== mine) return; // another case was looked up meanwhile
      say($('answer-status'), 'Đã kiểm tra xong.', 'Check complete.');
      const box = R.renderReport($('answer-report'), report, { headingLevel: 4, expectedSha256: mine.answer.sha256 });
      box.setAttribute('tabindex', '-1');
      box.focus();
    });
  });
})();
