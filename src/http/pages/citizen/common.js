// Shared by the citizens' pages: calling the API, turning its problem+json answers into Vietnamese (then
// English) messages, showing times as dd/MM/yyyy HH:mm:ss +07:00, and building DOM nodes without innerHTML
// (everything the user or the API supplies is written as text).
(function (global) {
  'use strict';

  /** An API error with the Vietnamese and English messages of its problem+json body. */
  class ApiError extends Error {
    constructor(status, vi, en, code) {
      super(vi);
      this.name = 'ApiError';
      this.status = status;
      this.vi = vi;
      this.en = en;
      this.code = code;
    }
  }

  const NETWORK_ERROR = {
    vi: 'Không kết nối được với máy chủ. Vui lòng kiểm tra kết nối mạng và thử lại.',
    en: 'Could not reach the server. Please check your connection and try again.',
  };

  function join(a, b) {
    return [a, b].filter(function (x) { return typeof x === 'string' && x.trim() !== ''; }).join(': ');
  }

  /** Turns a failed response (problem+json or not) into an ApiError. */
  async function problemOf(res) {
    let p = null;
    try {
      const type = res.headers.get('content-type') || '';
      if (/json/.test(type)) p = await res.json();
    } catch (_) {
      p = null;
    }
    if (p && (p.title || p.detail)) {
      return new ApiError(res.status, join(p.title, p.detail), join(p.title_en, p.detail_en), p.code);
    }
    return new ApiError(res.status, 'Máy chủ trả lời lỗi ' + res.status + '.', 'The server answered with error ' + res.status + '.');
  }

  /** fetch that throws ApiError (also for network failures). */
  async function request(url, init) {
    let res;
    try {
      res = await fetch(url, Object.assign({ credentials: 'same-origin', cache: 'no-store' }, init || {}));
    } catch (_) {
      throw new ApiError(0, NETWORK_ERROR.vi, NETWORK_ERROR.en, 'NETWORK');
    }
    if (!res.ok) throw await problemOf(res);
    return res;
  }

  async function requestJson(url, init) {
    const res = await request(url, init);
    return res.json();
  }

  // ---- times ----------------------------------------------------------------------------------------------

  const VN_PARTS = typeof Intl !== 'undefined'
    ? new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit',
        hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
      })
    : null;

  /**
   * "2026-03-12T10:15:30+07:00" → "12/03/2026 10:15:30 +07:00". The API already writes Vietnam time, so its
   * wall clock is kept as written; any other ISO time is converted to Asia/Ho_Chi_Minh (no DST: always +07:00).
   */
  function formatVnTime(iso) {
    if (!iso) return '—';
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?\+07:00$/.exec(iso);
    if (m) return m[3] + '/' + m[2] + '/' + m[1] + ' ' + m[4] + ':' + m[5] + ':' + m[6] + ' +07:00';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime()) || !VN_PARTS) return String(iso);
    const p = {};
    VN_PARTS.formatToParts(d).forEach(function (x) { p[x.type] = x.value; });
    return p.day + '/' + p.month + '/' + p.year + ' ' + p.hour + ':' + p.minute + ':' + p.second + ' +07:00';
  }

  // ---- DOM ------------------------------------------------------------------------------------------------

  /** el('p', {class: 'x'}, 'text', childNode, ...) — attributes set as attributes, strings as text nodes. */
  function el(tag, attrs) {
    const node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        const v = attrs[k];
        if (v === undefined || v === null || v === false) return;
        if (k === 'text') node.textContent = v;
        else node.setAttribute(k, v === true ? '' : String(v));
      });
    }
    for (let i = 2; i < arguments.length; i++) {
      const c = arguments[i];
      if (c === undefined || c === null || c === false) continue;
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return node;
  }

  /** Vietnamese text with its English translation under it. */
  function bilingual(tag, vi, en, attrs) {
    return el(tag, attrs || null, vi, en ? el('span', { class: 'en', lang: 'en' }, en) : null);
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  /** Shows an error box (role=alert) in `box`: Vietnamese first, English under it. */
  function showError(box, err) {
    clear(box);
    const vi = err && err.vi ? err.vi : (err && err.message) || 'Đã xảy ra lỗi.';
    const en = err && err.en ? err.en : 'Something went wrong.';
    box.appendChild(el('p', { class: 'error-vi' }, vi));
    box.appendChild(el('p', { class: 'en', lang: 'en' }, en));
    box.hidden = false;
  }

  function hideError(box) {
    clear(box);
    box.hidden = true;
  }

  /** Written after a deadline computed on a provisional holiday table (no official schedule for its year yet). */
  const PROVISIONAL_MARK = '(tạm tính — provisional)';

  /** A deadline in `dd`: the time (+07:00), marked tạm tính with the server's explanation when provisional. */
  function showDue(dd, iso, provisional, note) {
    clear(dd);
    dd.appendChild(document.createTextNode(formatVnTime(iso)));
    if (!provisional) return;
    dd.appendChild(document.createTextNode(' '));
    dd.appendChild(el('strong', { class: 'provisional' }, PROVISIONAL_MARK));
    if (note && note.vi) dd.appendChild(bilingual('span', note.vi, note.en, { class: 'muted provisional-note' }));
  }

  function formatBytes(n) {
    if (n >= 1024 * 1024) return (n / (1024 * 1024)).toFixed(1).replace('.', ',') + ' MB';
    if (n >= 1024) return Math.round(n / 1024) + ' KB';
    return n + ' byte';
  }

  /** Saves bytes as a file through a temporary object URL (no secret ever goes into a URL). */
  function saveBlob(blob, name) {
    const url = URL.createObjectURL(blob);
    const a = el('a', { href: url, download: name, class: 'visually-hidden' });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }

  /** SHA-256 (hex) of an ArrayBuffer, or null where the browser offers no WebCrypto (plain-HTTP origins). */
  async function sha256Hex(buf) {
    if (!global.crypto || !global.crypto.subtle) return null;
    const d = new Uint8Array(await global.crypto.subtle.digest('SHA-256', buf));
    let s = '';
    for (let i = 0; i < d.length; i++) s += d[i].toString(16).padStart(2, '0');
    return s;
  }

  global.Kyso = {
    ApiError: ApiError,
    request: request,
    requestJson: requestJson,
    formatVnTime: formatVnTime,
    PROVISIONAL_MARK: PROVISIONAL_MARK,
    showDue: showDue,
    el: el,
    bilingual: bilingual,
    clear: clear,
    showError: showError,
    hideError: hideError,
    formatBytes: formatBytes,
    saveBlob: saveBlob,
    sha256Hex: sha256Hex,
  };
})(window);
