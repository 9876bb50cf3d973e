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
  // The operations the user may call (the API's operationIds), from the
  // route table through /me: pages ask may() rather than restate roles.
  let mayOps = new Set();

  const t = (key) => msgs[key] ?? key;
  const has = (key) => key in msgs;

  // fill puts an error answer's params (and its field) into the {name}s of
  // s, each value in words when there is a string errv_NAME_VALUE.
  function fill(s, e) {
    const params = { ...(e.params || {}), field: e.field };
    return s.replace(/\{([a-z_]+)\}/g, (_, k) => {
      if (params[k] === undefined || params[k] === null) return '…';
      const v = String(params[k]);
      return has('errv_' + k + '_' + v) ? t('errv_' + k + '_' + v) : v;
    });
  }

  // apiError makes the Error an API error answer throws: .status, .code,
  // .field (the input at fault), .params, .roles (for forbidden: the roles
  // that may) and a message in the page's language. The UI shows err_CODE
  // filled from the params; an untranslated code shows the API's English
  // message only on an English page, a generic message on a Vietnamese one.
  function apiError(res, data) {
    const e = (data && data.error) || {};
    const err = new Error(e.message || res.statusText);
    err.status = res.status;
    err.code = e.code;
    err.field = e.field;
    err.params = e.params || {};
    err.roles = e.roles;
    err.apiMessage = e.message || ''; // the API's own words (English), which may name what was wrong
    if (e.code && has('err_' + e.code)) {
      err.message = fill(t('err_' + e.code), e);
      if (e.code === 'forbidden' && Array.isArray(e.roles) && e.roles.length) {
        err.message += ' ' + t('err_needs_role') + ' ' + e.roles.map((r) => t('role_' + r)).join(' ' + t('or') + ' ') + '.';
      }
    } else if (body.dataset.lang !== 'en') {
      err.message = t(res.status >= 500 ? 'err_internal' : 'err_bad_request');
    }
    return err;
  }

  // netError is what a request that got no answer throws (fetch's own
  // TypeError would put English on the screen).
  const netError = () => Object.assign(new Error(t('err_network')), { status: 0, code: 'network' });

  // api calls the JSON API; it resolves to {status, data} and throws an
  // Error with .status and .code for an error answer. A request given an
  // AbortSignal (extra.signal) and aborted throws the AbortError.
  async function api(method, path, payload, extra) {
    const signal = extra && extra.signal;
    const opts = { method, credentials: 'same-origin', headers: { Accept: 'application/json' }, signal };
    if (method !== 'GET') opts.headers['X-CSRF-Token'] = csrf;
    if (payload !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(payload);
    }
    const res = await fetch('/api/v1' + path, opts).catch((e) => { throw signal && signal.aborted ? e : netError(); });
    let data = null;
    if (res.status !== 204) {
      try { data = await res.json(); } catch { data = null; }
    }
    if (res.status === 401 && path !== '/me' && path !== '/session') {
      // The session ended (expired, or logged out in another tab): back to
      // the login form, which then says why.
      sessionStorage.setItem('pano-session-ended', '1');
      location.reload();
    }
    if (!res.ok) throw apiError(res, data);
    return { status: res.status, data };
  }

  // upload posts a multipart form (fields first, the file last) to the
  // API. onProgress(sent, total) is called as the bytes go out: fetch
  // cannot tell upload progress, XMLHttpRequest can.
  function upload(path, form, onProgress) {
    return new Promise((resolve, reject) => {
      const x = new XMLHttpRequest();
      x.open('POST', '/api/v1' + path);
      x.setRequestHeader('X-CSRF-Token', csrf);
      x.setRequestHeader('Accept', 'application/json');
      x.responseType = 'json';
      if (onProgress) x.upload.addEventListener('progress', (ev) => onProgress(ev.loaded, ev.lengthComputable ? ev.total : 0));
      x.addEventListener('load', () => {
        const res = { status: x.status, statusText: x.statusText };
        if (x.status >= 200 && x.status < 300) resolve({ status: x.status, data: x.response });
        else reject(apiError(res, x.response));
      });
      x.addEventListener('error', () => reject(netError()));
      x.send(form);
    });
  }

  // blob fetches a file the API serves (a PNG), past the browser cache.
  async function blob(path) {
    const res = await fetch('/api/v1' + path, { credentials: 'same-origin', cache: 'no-store' }).catch(() => { throw netError(); });
    if (!res.ok) throw apiError(res, await res.json().catch(() => null));
    return res.blob();
  }

  // el makes an element: el('td', {className: 'x'}, 'text', child…).
  function el(tag, props, ...kids) {
    const e = document.createElement(tag);
    Object.assign(e, props || {});
    for (const k of kids) e.append(k instanceof Node ? k : String(k ?? ''));
    return e;
  }

  // Calendar days of the display time zone are YYYY-MM-DD strings.
  const ymdFmt = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' });
  const offFmt = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' });
  const offsetAt = (date) => {
    const m = /GMT([+-]\d\d:\d\d)/.exec(offFmt.formatToParts(date).find((p) => p.type === 'timeZoneName').value);
    return m ? m[1] : 'Z';
  };
  const dates = {
    ymd: (ms) => ymdFmt.format(new Date(ms)),
    today: () => ymdFmt.format(new Date()),
    // addDays counts calendar days, which UTC has no summer time to upset.
    addDays: (ymd, n) => {
      const d = new Date(ymd + 'T00:00:00Z');
      d.setUTCDate(d.getUTCDate() + n);
      return d.toISOString().slice(0, 10);
    },
    // midnight is when a day starts in the zone, as RFC 3339 with the
    // zone's offset at that midnight: the offset at noon first, then at
    // the midnight it gives, which is right also on a day the offset
    // changes.
    midnight: (ymd) => ymd + 'T00:00:00' + offsetAt(new Date(ymd + 'T00:00:00' + offsetAt(new Date(ymd + 'T12:00:00Z')))),
  };

  // duration shows seconds as h:mm:ss.
  function duration(sec) {
    const n = Math.max(0, Math.round(Number(sec) || 0));
    const h = Math.floor(n / 3600), m = Math.floor((n % 3600) / 60), s = n % 60;
    const p = (x) => String(x).padStart(2, '0');
    return h + ':' + p(m) + ':' + p(s);
  }

  // dialog shows a modal <dialog>: a title, content nodes and buttons
  // ({label, value, kind}); it resolves to the value of the button
  // pressed, or null when dismissed (Escape, Cancel). A button of kind
  // 'submit' submits the form inside, so required fields are checked first.
  function dialog(title, content, buttons) {
    return new Promise((resolve) => {
      const form = el('form', { method: 'dialog' }, el('h3', {}, title), ...content);
      const bar = el('div', { className: 'actions' });
      for (const b of buttons) {
        const btn = el('button', { type: b.kind === 'submit' ? 'submit' : 'button', value: b.value, className: b.kind || '' }, b.label);
        if (b.kind !== 'submit') btn.addEventListener('click', () => { d.returnValue = b.value ?? ''; d.close(); });
        bar.append(btn);
      }
      const cancel = el('button', { type: 'button', className: 'cancel' }, t('cancel'));
      cancel.addEventListener('click', () => { d.returnValue = ''; d.close(); });
      bar.append(cancel);
      form.append(bar);
      const d = el('dialog', {}, form);
      d.addEventListener('close', () => {
        const v = d.returnValue;
        d.remove();
        resolve(v === '' ? null : v);
      });
      document.body.append(d);
      d.returnValue = '';
      d.showModal();
      const first = form.querySelector('input, textarea, select');
      if (first) first.focus();
    });
  }

  // confirm asks a yes/no question in a dialog.
  const confirm = (title, text, okLabel) => dialog(title, [el('p', {}, text)], [{ label: okLabel, value: 'ok', kind: 'submit' }]).then((v) => v === 'ok');

  const isZero = (s) => !s || s.startsWith('0001-');
  const time = (s) => (isZero(s) ? '—' : fmt.format(new Date(s)));
  const day = (s) => (isZero(s) ? '—' : dayFmt.format(new Date(s)));

  // say shows a page message; kind is 'ok' or 'error'.
  function say(text, kind) {
    const m = document.getElementById('msg');
    m.textContent = text;
    m.className = 'msg ' + (kind || '');
    // An error said after a click far down the page is no use above it.
    if (kind === 'error' && text && m.scrollIntoView) m.scrollIntoView({ block: 'nearest' });
  }
  const fail = (err) => say(t('error') + ': ' + err.message, 'error');

  // can tells whether the user has one of the roles.
  const can = (user, ...roles) => roles.includes(user.role);
  const may = (op) => mayOps.has(op);

  // showUrgent puts a banner on every page while an urgent notice is on
  // screens; those who may stop it get a link to where they can.
  async function showUrgent() {
    const manages = may('cancelUrgentNotice');
    const banner = document.getElementById('urgent-banner');
    let r;
    try { r = await api('GET', '/urgent-notices?live=true'); } catch { return; }
    const items = r.data.items;
    const lines = items.map((n) => el('p', {}, t('urgent_banner') + ': ', el('strong', {}, n.title), ' (' + t('urgent_until') + ' ' + time(n.ends_at) + ') ',
      manages ? el('a', { href: '/content#urgent' }, t('urgent_manage')) : ''));
    // Emergency warnings waiting for an approver: whoever may decide is
    // told on every page, not only where the list is.
    if (may('publishCAPAlert')) {
      try {
        const w = (await api('GET', '/cap-alerts?state=waiting')).data.items;
        if (w.length) {
          lines.push(el('p', {}, t('cap_waiting_banner') + ' (' + w.length + '): ', el('strong', {}, w.map((a) => a.title || a.event || a.identifier).join('; ')), ' ',
            el('a', { href: '/content#cap-waiting' }, t('cap_waiting_open'))));
        }
      } catch { /* the urgent lines still show */ }
    }
    banner.hidden = lines.length === 0;
    banner.replaceChildren(...lines);
  }

  function show(user) {
    for (const a of document.querySelectorAll('#nav a')) a.hidden = !a.dataset.roles.split(' ').includes(user.role);
    showUrgent();
    setInterval(showUrgent, 30000);
    document.getElementById('login').hidden = true;
    document.getElementById('app').hidden = false;
    document.getElementById('nav').hidden = false;
    document.getElementById('logout').hidden = false;
    const who = document.getElementById('who');
    who.textContent = user.name + ' (' + t('role_' + user.role) + (user.unit_name ? ' · ' + user.unit_name : '') + ')';
    who.title = who.textContent; // the box may cut a long unit name
  }

  function askLogin(init) {
    const form = document.getElementById('login-form');
    const out = document.getElementById('login-error');
    document.getElementById('login').hidden = false;
    if (sessionStorage.getItem('pano-session-ended')) {
      sessionStorage.removeItem('pano-session-ended');
      out.textContent = t('login_ended');
    }
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      out.textContent = '';
      const f = new FormData(form);
      try {
        const r = await api('POST', '/session', { name: f.get('name'), password: f.get('password') });
        csrf = r.data.csrf_token;
        mayOps = new Set(r.data.may);
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

  // The language switch keeps the page's own query (a report's filters).
  const langLink = document.querySelector('header a.lang');
  langLink.addEventListener('click', () => {
    const u = new URL(location.href);
    u.searchParams.set('lang', new URL(langLink.href).searchParams.get('lang'));
    langLink.href = u.pathname + u.search + u.hash;
  });

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
    mayOps = new Set(r.data.may);
    show(r.data.user);
    try { await init(r.data.user); } catch (err) { fail(err); }
  }

  return { t, has, dates, api, upload, blob, el, time, day, duration, dialog, confirm, can, may, say, fail, start, showUrgent, locale, tz };
})();
