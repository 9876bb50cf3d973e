// pano.js: what every dashboard page shares. The session is the API's
// HttpOnly cookie; unsafe requests carry the CSRF token from /me or login.
// Each page script calls pano.start(init) with what to do once logged in.
'use strict';

const pano = (() => {
  const body = document.body;
  const msgs = JSON.parse(document.getElementById('messages').textContent);
  const tz = body.dataset.tz || 'Asia/Ho_Chi_Minh';
  const locale = body.dataset.lang === 'en' ? 'en-GB' : 'vi-VN';
  const dayOpts = { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' };
  const fmt = new Intl.DateTimeFormat(locale, { ...dayOpts, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  const dayFmt = new Intl.DateTimeFormat(locale, dayOpts);
  let csrf = '';

  const t = (key) => msgs[key] ?? key;

  // api calls the JSON API; it resolves to {status, data} and throws an
  // Error with .status and .code for an error answer.
  async function api(method, path, payload) {
    const opts = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (method !== 'GET') opts.headers['X-CSRF-Token'] = csrf;
    if (payload !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(payload);
    }
    const res = await fetch('/api/v1' + path, opts);
    let data = null;
    if (res.status !== 204) {
      try { data = await res.json(); } catch { data = null; }
    }
    if (res.status === 401 && path !== '/me' && path !== '/session') {
      location.reload(); // the session expired: back to the login form
    }
    if (!res.ok) {
      const err = new Error((data && data.error && data.error.message) || res.statusText);
      err.status = res.status;
      err.code = data && data.error && data.error.code;
      throw err;
    }
    return { status: res.status, data };
  }

  // upload posts a multipart form (a file) to the API.
  async function upload(path, form) {
    const res = await fetch('/api/v1' + path, { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf, Accept: 'application/json' }, body: form });
    const data = await res.json().catch(() => null);
    if (!res.ok) {
      const err = new Error((data && data.error && data.error.message) || res.statusText);
      err.status = res.status;
      throw err;
    }
    return { status: res.status, data };
  }

  // el makes an element: el('td', {className: 'x'}, 'text', child…).
  function el(tag, props, ...kids) {
    const e = document.createElement(tag);
    Object.assign(e, props || {});
    for (const k of kids) e.append(k instanceof Node ? k : String(k ?? ''));
    return e;
  }

  const isZero = (s) => !s || s.startsWith('0001-');
  const time = (s) => (isZero(s) ? '—' : fmt.format(new Date(s)));
  const day = (s) => (isZero(s) ? '—' : dayFmt.format(new Date(s)));

  // say shows a page message; kind is 'ok' or 'error'.
  function say(text, kind) {
    const m = document.getElementById('msg');
    m.textContent = text;
    m.className = 'msg ' + (kind || '');
  }
  const fail = (err) => say(t('error') + ': ' + err.message, 'error');

  function show(user) {
    document.getElementById('login').hidden = true;
    document.getElementById('app').hidden = false;
    document.getElementById('nav').hidden = false;
    document.getElementById('logout').hidden = false;
    document.getElementById('who').textContent = user.name + ' (' + t('role_' + user.role) + ')';
  }

  function askLogin(init) {
    const form = document.getElementById('login-form');
    const out = document.getElementById('login-error');
    document.getElementById('login').hidden = false;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      out.textContent = '';
      const f = new FormData(form);
      try {
        const r = await api('POST', '/session', { name: f.get('name'), password: f.get('password') });
        csrf = r.data.csrf_token;
        form.reset();
        show(r.data.user);
        await init(r.data.user);
      } catch (err) {
        if (err.status === 401) out.textContent = t('login_failed');
        else if (err.status === 429) out.textContent = t('login_throttled');
        else out.textContent = t('error') + ': ' + err.message;
      }
    });
  }

  document.getElementById('logout').addEventListener('click', async () => {
    try { await api('DELETE', '/session'); } catch (err) { if (err.status !== 401) { fail(err); return; } }
    location.reload();
  });

  // start asks who is logged in and runs init(user), or shows the login form.
  async function start(init) {
    let r;
    try {
      r = await api('GET', '/me');
    } catch (err) {
      if (err.status === 401) { askLogin(init); return; }
      document.getElementById('app').hidden = false;
      fail(err);
      return;
    }
    csrf = r.data.csrf_token;
    show(r.data.user);
    try { await init(r.data.user); } catch (err) { fail(err); }
  }

  return { t, api, upload, el, time, day, say, fail, start };
})();
