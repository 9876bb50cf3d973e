// programs.js: the program editor (issue 11). A program is a layout of
// windows ("ô") on the panel grid, in LED pixels: its first layout is the
// template, scaled to panels of other sizes; a later one is a panel size's
// own layout. Windows are placed on a grid at panel resolution by mouse,
// finger, keyboard or numbers, always whole pixels inside the panel.
// There is no local drawing of a program: every change is saved as a
// draft (created once, then PATCHed) and each panel size shows the
// controller's preview of it, drawn by the agent's own code, at the
// current second (so the clock ticks).
'use strict';

pano.start(async () => {
  const { t, api, el, say } = pano;
  const $ = (id) => document.getElementById(id);
  // Who may not change media (a viewer, a technician) sees the layout
  // and its previews only.
  const readOnly = !pano.may('updateMedia');
  const MAX_WINDOWS = 16;

  const fillIn = (s, v) => s.replace(/\{([a-z])\}/g, (_, k) => (v[k] ?? '…'));
  // A bad_program answer names the layout and window in its English
  // message; the page's own words say where.
  function errText(err) {
    if (!err) return '';
    let s = err.message;
    if (err.code === 'bad_program' && err.apiMessage) {
      const m = /layout (\d+)\b.*?window (\d+)/.exec(err.apiMessage);
      if (document.body.dataset.lang === 'en') s += ' (' + err.apiMessage + ')';
      else if (m) s += ' ' + fillIn(t('pg_err_where'), { l: m[1], n: m[2] });
    }
    return s;
  }
  const fail = (err) => say(t('error') + ': ' + errText(err), 'error');

  // ---- reference data: displays (their sizes), campaigns, media
  const [dr, cr] = await Promise.all([api('GET', '/displays?brief=true'), api('GET', '/campaigns')]);
  const displays = dr.data.items;
  const campaigns = cr.data.items;
  // sizes are the panel sizes of the displays (a program is drawn per
  // size; the fit is the media's business), most screens first for the
  // default, listed smallest first.
  const sizes = (() => {
    const m = new Map();
    for (const g of panoPanel.geometries(displays, 16)) {
      const k = g.width + 'x' + g.height;
      if (!m.has(k)) m.set(k, { width: g.width, height: g.height, fit: g.fit, names: [] });
      m.get(k).names.push(...g.names);
    }
    return [...m.values()];
  })();
  const commonest = [...sizes].sort((a, b) => b.names.length - a.names.length)[0];
  const sizeKey = (l) => l.width + 'x' + l.height;
  const sizeOf = (k) => sizes.find((s) => sizeKey(s) === k);

  let media = [], rotations = [];
  async function loadMedia() {
    const [r, p] = await Promise.all([api('GET', '/media?sort=created_at&order=desc&limit=200'), api('GET', '/playlists?limit=200')]);
    const all = r.data.items.filter((m) => m.kind !== 'program');
    // Approved first: only an approved one plays on screens.
    media = [...all.filter((m) => m.approved), ...all.filter((m) => !m.approved)];
    // A window may also play a rotation of its own.
    rotations = [...p.data.items.filter((x) => x.approved), ...p.data.items.filter((x) => !x.approved)];
  }

  // ---- the program being edited
  const st = {
    id: 0, status: '', approved: false,
    layouts: [{ width: commonest.width, height: commonest.height, background: '', windows: [] }],
    cur: 0, // the layout shown on the grid
    sel: -1, // the selected window of it
  };
  const L = () => st.layouts[st.cur];

  const params = new URLSearchParams(location.search);
  const openID = Number(params.get('id')) || 0;
  await loadMedia();

  // ---- campaign and theme
  const csel = $('pg-campaign'), tsel = $('pg-theme');
  function fillCampaigns(cid, tid) {
    csel.replaceChildren(el('option', { value: '' }, t('ct_no_campaign')), ...campaigns.map((c) => el('option', { value: c.id }, c.name)));
    csel.value = cid ? String(cid) : '';
    themes();
    if (tid) tsel.value = String(tid);
  }
  function themes() {
    const c = campaigns.find((x) => x.id === Number(csel.value));
    tsel.replaceChildren(el('option', { value: '' }, t('ct_no_theme')), ...(c ? c.themes : []).map((th) => el('option', { value: th.id }, th.title)));
    tsel.disabled = !c;
  }
  csel.addEventListener('change', () => { themes(); metaChanged(); });
  tsel.addEventListener('change', metaChanged);

  // ---- the list of programs to open
  async function fillOpen() {
    const r = await api('GET', '/media?kind=program&sort=created_at&order=desc&limit=200');
    const sel = $('pg-open');
    sel.replaceChildren(el('option', { value: '' }, t('pg_new')), ...r.data.items.map((m) => el('option', { value: m.id }, m.title + ' (' + t('status_' + m.status) + ')')));
    sel.value = st.id ? String(st.id) : '';
  }
  $('pg-open').addEventListener('change', (ev) => {
    const v = ev.target.value;
    location.href = '/programs' + (v ? '?id=' + v : '');
  });

  const titleIn = $('pg-title');
  if (openID) {
    const m = (await api('GET', '/media/' + openID)).data;
    if (m.kind !== 'program' || !m.current.program) {
      say(t('pg_not_a_program'), 'error');
      return;
    }
    st.id = m.id;
    showStatus(m);
    st.layouts = m.current.program.layouts.map((l) => ({ ...l, background: l.background || '', windows: (l.windows || []).map((w) => ({ ...w })) }));
    titleIn.value = m.title;
    fillCampaigns(m.campaign_id, m.theme_id);
  } else {
    fillCampaigns(0, 0);
  }
  await fillOpen();

  function showStatus(m) {
    st.status = m.status;
    st.approved = !!m.approved;
    const chip = $('pg-status');
    chip.className = 'status ' + m.status;
    chip.textContent = t('status_' + m.status);
    $('pg-submit').disabled = !(m.status === 'draft' || m.status === 'rejected');
    $('pg-approved-note').hidden = !m.approved;
  }

  // ---- geometry: clamping and scaling, in whole LED pixels
  const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, Math.round(Number(v) || 0)));
  // fitRect keeps a window inside its layout: moved (its size kept, then
  // its place) or resized (its place kept, then its size).
  function fitRect(w, l, resize) {
    if (resize) {
      w.x = clamp(w.x, 0, l.width - 1);
      w.y = clamp(w.y, 0, l.height - 1);
      w.w = clamp(w.w, 1, l.width - w.x);
      w.h = clamp(w.h, 1, l.height - w.y);
    } else {
      w.w = clamp(w.w, 1, l.width);
      w.h = clamp(w.h, 1, l.height);
      w.x = clamp(w.x, 0, l.width - w.w);
      w.y = clamp(w.y, 0, l.height - w.h);
    }
  }
  // scaled is layout l drawn on a w×h panel, as the controller scales the
  // template (store.ProgramLayouts.For): edges rounded to whole lamps, a
  // window too small to keep a lamp dropped.
  function scaled(l, w, h) {
    const sx = (x) => Math.floor((x * w + Math.floor(l.width / 2)) / l.width);
    const sy = (y) => Math.floor((y * h + Math.floor(l.height / 2)) / l.height);
    const out = { width: w, height: h, background: l.background, windows: [] };
    for (const win of l.windows) {
      const x0 = sx(win.x), y0 = sy(win.y), x1 = sx(win.x + win.w), y1 = sy(win.y + win.h);
      if (x1 <= x0 || y1 <= y0) continue;
      out.windows.push({ ...win, x: x0, y: y0, w: x1 - x0, h: y1 - y0 });
    }
    return out;
  }
  const ownFor = (k) => st.layouts.findIndex((l, i) => i > 0 && sizeKey(l) === k);

  // newWindow places a window of a kind where such windows usually go.
  function newWindow(kind, l) {
    const W = l.width, H = l.height, strip = Math.max(8, Math.round(H / 4));
    const w = { kind };
    switch (kind) {
      case 'media': Object.assign(w, { x: 0, y: 0, w: W, h: H - strip, media_id: 0, fit: 'contain' }); break;
      case 'ticker': Object.assign(w, { x: 0, y: H - strip, w: W, h: strip, text: '', color: '#ffc800' }); break;
      case 'clock': Object.assign(w, { x: W - Math.round(W / 3), y: 0, w: Math.round(W / 3), h: strip, format: '15:04', color: '#ffffff' }); break;
      case 'date': Object.assign(w, { x: 0, y: 0, w: Math.round(W * 2 / 3), h: strip, format: 'weekday', color: '#ffffff' }); break;
      case 'countdown': Object.assign(w, { x: 0, y: Math.max(0, H - 2 * strip), w: W, h: strip, text: '', color: '#ffffff' }); break;
    }
    fitRect(w, l, false);
    return w;
  }

  // ---- layout tabs: the template, and each size's own layout
  const tabs = $('pg-tabs');
  function renderTabs() {
    const bs = [];
    const tab = (label, idx, pressed) => {
      const b = el('button', { type: 'button', className: 'pg-tab' }, label);
      b.setAttribute('aria-pressed', String(pressed));
      b.addEventListener('click', () => { st.cur = idx; st.sel = -1; renderAll(); });
      return b;
    };
    bs.push(tab(t('pg_template') + ' · ' + sizeKey(st.layouts[0]).replace('x', '×'), 0, st.cur === 0));
    for (const s of sizes) {
      const k = sizeKey(s);
      if (k === sizeKey(st.layouts[0])) continue;
      const i = ownFor(k);
      if (i > 0) {
        bs.push(tab(t('pg_own_layout') + ' ' + k.replace('x', '×'), i, st.cur === i));
      } else if (!readOnly) {
        const b = el('button', { type: 'button', className: 'pg-tab pg-tab-add' }, '+ ' + t('pg_own_add') + ' ' + k.replace('x', '×'));
        b.addEventListener('click', () => {
          st.layouts.push(scaled(st.layouts[0], s.width, s.height));
          st.cur = st.layouts.length - 1;
          st.sel = -1;
          renderAll();
          changed();
        });
        bs.push(b);
      }
    }
    // A size's own layout made before its displays went away.
    st.layouts.forEach((l, i) => {
      if (i > 0 && !sizeOf(sizeKey(l))) bs.push(tab(t('pg_own_layout') + ' ' + sizeKey(l).replace('x', '×'), i, st.cur === i));
    });
    tabs.replaceChildren(...bs);
  }

  const sizeSel = $('pg-size');
  function renderTools() {
    const tpl = st.cur === 0;
    $('pg-size-label').hidden = !tpl;
    $('pg-own-remove').hidden = tpl || readOnly;
    const k0 = sizeKey(st.layouts[0]);
    const opts = sizes.map((s) => {
      const k = sizeKey(s);
      const own = ownFor(k) > 0;
      return el('option', { value: k, disabled: own }, k.replace('x', '×') + ' (' + s.names.length + ' ' + t('pg_size_screens') + (own ? ', ' + t('pg_size_own') : '') + ')');
    });
    if (!sizeOf(k0)) opts.push(el('option', { value: k0 }, k0.replace('x', '×')));
    sizeSel.replaceChildren(...opts);
    sizeSel.value = k0;
    $('pg-bg').value = L().background || '#000000';
  }
  sizeSel.addEventListener('change', () => {
    const [w, h] = sizeSel.value.split('x').map(Number);
    st.layouts[0] = scaled(st.layouts[0], w, h);
    st.sel = -1;
    renderAll();
    changed();
  });
  $('pg-bg').addEventListener('input', (ev) => {
    L().background = ev.target.value === '#000000' ? '' : ev.target.value;
    changed();
  });
  $('pg-own-remove').addEventListener('click', () => {
    if (st.cur === 0) return;
    st.layouts.splice(st.cur, 1);
    st.cur = 0;
    st.sel = -1;
    say(t('pg_own_removed'), 'ok');
    renderAll();
    changed();
  });

  // ---- the grid: the preview of this layout's size behind the windows
  const stage = $('pg-stage');
  const stageCanvas = el('canvas', { className: 'pg-canvas' });
  const grid = el('div', { className: 'pg-grid' });
  const winLayer = el('div', { className: 'pg-wins' });
  stage.append(stageCanvas, grid, winLayer);
  let k = 4, stageView = null, stageKey = '';
  function renderStage() {
    const l = L();
    const box = stage.parentElement;
    const avail = Math.max(160, box.clientWidth - 4);
    k = Math.max(2, Math.min(12, Math.floor(avail / l.width)));
    stage.style.width = l.width * k + 'px';
    stage.style.height = l.height * k + 'px';
    grid.style.backgroundSize = k + 'px ' + k + 'px';
    if (stageKey !== sizeKey(l) + '@' + k) {
      stageKey = sizeKey(l) + '@' + k;
      if (stageView) stageView.stop();
      stageView = panoPanel.view({ width: l.width, height: l.height }, k, { canvas: stageCanvas, label: t('ct_preview_at') + ' ' + sizeKey(l).replace('x', '×') });
      stageView.blank();
    }
    renderWindows();
  }
  const kindName = (kind) => t('pg_kind_' + kind);
  const winLabel = (w, i) => t('pg_window') + ' ' + (i + 1) + ': ' + kindName(w.kind) + ', ' + w.w + '×' + w.h + ' @ ' + w.x + ',' + w.y;
  function place(d, w, i) {
    d.style.left = w.x * k + 'px';
    d.style.top = w.y * k + 'px';
    d.style.width = w.w * k + 'px';
    d.style.height = w.h * k + 'px';
    d.setAttribute('aria-label', winLabel(w, i));
    d.dataset.rect = [w.x, w.y, w.w, w.h].join(',');
  }
  function renderWindows() {
    const l = L();
    const had = document.activeElement && document.activeElement.classList.contains('pg-w');
    winLayer.replaceChildren(...l.windows.map((w, i) => {
      const d = el('div', { className: 'pg-w pg-w-' + w.kind + (i === st.sel ? ' sel' : ''), tabIndex: 0 });
      d.setAttribute('role', 'button');
      d.setAttribute('aria-pressed', String(i === st.sel));
      d.dataset.index = String(i);
      d.dataset.kind = w.kind;
      d.append(el('span', { className: 'pg-wl' }, (i + 1) + ' · ' + kindName(w.kind)), el('span', { className: 'pg-handle', 'aria-hidden': 'true' }));
      place(d, w, i);
      d.addEventListener('pointerdown', (ev) => drag(ev, d, i));
      d.addEventListener('keydown', (ev) => keys(ev, i));
      d.addEventListener('focus', () => { if (st.sel !== i) select(i); });
      return d;
    }));
    if (had && st.sel >= 0) winLayer.children[st.sel]?.focus();
  }
  // moved redraws window i in place (its element keeps focus) and its form.
  function moved(i) {
    const d = winLayer.children[i];
    if (d) place(d, L().windows[i], i);
    if (i === st.sel) fillXYWH();
  }
  function select(i) {
    st.sel = i;
    winLayer.querySelectorAll('.pg-w').forEach((d, j) => {
      d.classList.toggle('sel', j === i);
      d.setAttribute('aria-pressed', String(j === i));
    });
    fillForm();
  }

  // drag moves a window, or resizes it from its corner handle, snapped to
  // whole lamps; the pointer is captured so a fast drag stays with it.
  function drag(ev, d, i) {
    if (ev.button !== 0) return;
    ev.preventDefault();
    d.focus();
    select(i);
    if (readOnly) return;
    const w = L().windows[i];
    const o = { x: w.x, y: w.y, w: w.w, h: w.h };
    const resize = ev.target.classList.contains('pg-handle');
    const sx = ev.clientX, sy = ev.clientY;
    let any = false;
    d.setPointerCapture(ev.pointerId);
    const move = (e) => {
      const dx = Math.round((e.clientX - sx) / k), dy = Math.round((e.clientY - sy) / k);
      if (resize) Object.assign(w, { x: o.x, y: o.y, w: o.w + dx, h: o.h + dy });
      else Object.assign(w, { x: o.x + dx, y: o.y + dy, w: o.w, h: o.h });
      fitRect(w, L(), resize);
      any = any || w.x !== o.x || w.y !== o.y || w.w !== o.w || w.h !== o.h;
      moved(i);
    };
    const up = () => {
      d.removeEventListener('pointermove', move);
      d.removeEventListener('pointerup', up);
      d.removeEventListener('pointercancel', up);
      if (any) changed();
    };
    d.addEventListener('pointermove', move);
    d.addEventListener('pointerup', up);
    d.addEventListener('pointercancel', up);
  }

  // keys: arrows move by a lamp, Shift + arrows resize, Delete removes.
  function keys(ev, i) {
    if (readOnly) return;
    const w = L().windows[i];
    const dir = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[ev.key];
    if (dir) {
      ev.preventDefault();
      if (ev.shiftKey) { w.w += dir[0]; w.h += dir[1]; } else { w.x += dir[0]; w.y += dir[1]; }
      fitRect(w, L(), ev.shiftKey);
      moved(i);
      changed();
    } else if (ev.key === 'Delete' || ev.key === 'Backspace') {
      ev.preventDefault();
      removeWindow(i);
    }
  }

  function removeWindow(i) {
    const l = L();
    const w = l.windows[i];
    l.windows.splice(i, 1);
    st.sel = Math.min(i, l.windows.length - 1);
    renderWindows();
    fillForm();
    if (st.sel >= 0) winLayer.children[st.sel].focus();
    say(t('pg_deleted') + ': ' + kindName(w.kind), 'ok');
    changed();
  }

  for (const b of document.querySelectorAll('[data-add]')) {
    b.addEventListener('click', () => {
      const l = L();
      if (l.windows.length >= MAX_WINDOWS) { say(t('pg_not_saved') + ' ' + t('pg_too_many'), 'error'); return; }
      l.windows.push(newWindow(b.dataset.add, l));
      st.sel = l.windows.length - 1;
      renderWindows();
      fillForm();
      winLayer.children[st.sel].focus();
      changed();
    });
  }

  // ---- the selected window's form
  const f = {
    none: $('pg-win-none'), fields: $('pg-win-fields'), legend: $('pg-win-legend'),
    x: $('pg-x'), y: $('pg-y'), w: $('pg-w'), h: $('pg-h'),
    media: $('pg-media'), fit: $('pg-fit'), text: $('pg-text'), notices: $('pg-notices'), speed: $('pg-speed'), direction: $('pg-direction'),
    clock: $('pg-clock-format'), date: $('pg-date-format'), cdText: $('pg-cd-text'), cdUntil: $('pg-cd-until'),
    color: $('pg-color'), ownBg: $('pg-own-bg'), bg: $('pg-wbg'),
  };
  $('pg-win').addEventListener('submit', (ev) => ev.preventDefault());
  const localFmt = new Intl.DateTimeFormat('sv-SE', { timeZone: pano.tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const toLocal = (iso) => (iso && !iso.startsWith('0001-') ? localFmt.format(new Date(iso)).replace(' ', 'T') : '');
  // fromLocal reads a datetime-local value as a time of the display zone.
  const fromLocal = (v) => (v ? v + ':00' + pano.dates.midnight(v.slice(0, 10)).slice(19) : '');

  function fillMedia(w) {
    const opt = (m) => el('option', { value: m.id }, m.title + ' (' + t('kind_' + m.kind) + (m.approved ? '' : ', ' + t('status_' + m.status)) + ')');
    const list = media.map(opt);
    if (w.media_id && !media.some((m) => m.id === w.media_id)) list.push(el('option', { value: w.media_id }, '#' + w.media_id));
    const rot = (x) => el('option', { value: 'p' + x.id }, x.name + (x.approved ? '' : ' (' + t('status_' + x.status) + ')'));
    f.media.replaceChildren(el('option', { value: '0' }, t('pg_media_pick')),
      el('optgroup', { label: t('pg_group_media') }, ...list),
      el('optgroup', { label: t('pg_group_rotations') }, ...rotations.map(rot)));
    f.media.value = w.playlist_id ? 'p' + w.playlist_id : String(w.media_id || 0);
  }
  function fillXYWH() {
    const w = L().windows[st.sel], l = L();
    f.x.value = w.x; f.y.value = w.y; f.w.value = w.w; f.h.value = w.h;
    f.x.max = l.width - 1; f.y.max = l.height - 1; f.w.max = l.width; f.h.max = l.height;
    f.legend.textContent = winLabel(w, st.sel);
  }
  function fillForm() {
    const w = L().windows[st.sel];
    f.none.hidden = !!w;
    f.fields.hidden = !w;
    if (!w) return;
    fillXYWH();
    for (const box of f.fields.querySelectorAll('[data-for]')) box.hidden = !box.dataset.for.split(' ').includes(w.kind);
    if (w.kind === 'media') { fillMedia(w); f.fit.value = w.fit || 'contain'; }
    if (w.kind === 'ticker') { f.text.value = w.text || ''; f.notices.checked = w.source === 'notices'; f.speed.value = w.speed || ''; f.direction.value = w.direction || 'left'; }
    if (w.kind === 'clock') f.clock.value = w.format || '15:04';
    if (w.kind === 'date') f.date.value = w.format || 'weekday';
    if (w.kind === 'countdown') { f.cdText.value = w.text || ''; f.cdUntil.value = toLocal(w.until); }
    f.color.value = w.color || '#ffffff';
    f.ownBg.checked = !!w.background;
    f.bg.value = w.background || '#000000';
    f.bg.disabled = readOnly || !w.background;
    $('pg-raise').disabled = readOnly || st.sel === L().windows.length - 1;
    $('pg-lower').disabled = readOnly || st.sel === 0;
  }
  const sel = () => L().windows[st.sel];
  for (const [inp, resize] of [[f.x, false], [f.y, false], [f.w, true], [f.h, true]]) {
    inp.addEventListener('change', () => {
      const w = sel();
      if (!w) return;
      Object.assign(w, { x: f.x.value, y: f.y.value, w: f.w.value, h: f.h.value });
      fitRect(w, L(), resize);
      moved(st.sel);
      changed();
    });
  }
  const on = (inp, evName, fn) => inp.addEventListener(evName, () => { const w = sel(); if (w) { fn(w); changed(); } });
  on(f.media, 'change', (w) => {
    const v = f.media.value;
    w.playlist_id = v.startsWith('p') ? Number(v.slice(1)) : 0;
    w.media_id = w.playlist_id ? 0 : Number(v) || 0;
  });
  on(f.fit, 'change', (w) => { w.fit = f.fit.value; });
  on(f.text, 'input', (w) => { w.text = f.text.value; });
  on(f.notices, 'change', (w) => { w.source = f.notices.checked ? 'notices' : ''; });
  on(f.speed, 'change', (w) => { w.speed = clamp(f.speed.value, 0, 2000); f.speed.value = w.speed || ''; });
  on(f.direction, 'change', (w) => { w.direction = f.direction.value; });
  on(f.clock, 'change', (w) => { w.format = f.clock.value; });
  on(f.date, 'change', (w) => { w.format = f.date.value; });
  on(f.cdText, 'input', (w) => { w.text = f.cdText.value; });
  on(f.cdUntil, 'change', (w) => { w.until = fromLocal(f.cdUntil.value); });
  on(f.color, 'input', (w) => { w.color = f.color.value; });
  on(f.ownBg, 'change', (w) => { w.background = f.ownBg.checked ? f.bg.value : ''; f.bg.disabled = !f.ownBg.checked; });
  on(f.bg, 'input', (w) => { if (f.ownBg.checked) w.background = f.bg.value; });
  $('pg-delete').addEventListener('click', () => { if (sel()) removeWindow(st.sel); });
  const reorder = (d) => {
    const l = L(), i = st.sel, j = i + d;
    if (i < 0 || j < 0 || j >= l.windows.length) return;
    [l.windows[i], l.windows[j]] = [l.windows[j], l.windows[i]];
    st.sel = j;
    renderWindows();
    fillForm();
    changed();
  };
  $('pg-raise').addEventListener('click', () => reorder(1));
  $('pg-lower').addEventListener('click', () => reorder(-1));

  // ---- saving: a draft, created once, then changed
  const saveLine = $('pg-save');
  // problem says, in the page's words, what keeps the program from being
  // saved (the API would refuse it), or ''.
  function problem() {
    for (let li = 0; li < st.layouts.length; li++) {
      const l = st.layouts[li];
      if (!l.windows.length) return fillIn(t('pg_need_window'), { l: li + 1 });
      if (l.windows.length > MAX_WINDOWS) return t('pg_too_many');
      for (let i = 0; i < l.windows.length; i++) {
        const w = l.windows[i], n = { n: i + 1 };
        const where = st.layouts.length > 1 ? t('pg_layouts') + ' ' + (li + 1) + ', ' : '';
        if (w.kind === 'media' && !w.media_id && !w.playlist_id) return where + fillIn(t('pg_need_media'), n);
        if (w.kind === 'ticker' && w.source !== 'notices' && !String(w.text || '').trim()) return where + fillIn(t('pg_need_text'), n);
        if (w.kind === 'countdown' && !w.until) return where + fillIn(t('pg_need_until'), n);
      }
    }
    return '';
  }
  // wire is a window as the API takes it: only its kind's fields.
  function wire(w) {
    const o = { kind: w.kind, x: w.x, y: w.y, w: w.w, h: w.h };
    if (w.kind === 'media') return Object.assign(o, w.playlist_id ? { playlist_id: w.playlist_id } : { media_id: w.media_id }, { fit: w.fit || 'contain' });
    if (w.color) o.color = w.color;
    if (w.background) o.background = w.background;
    if (w.kind === 'ticker') Object.assign(o, { text: w.text, direction: w.direction || 'left' }, w.speed ? { speed: w.speed } : {}, w.source ? { source: w.source } : {});
    if (w.kind === 'clock' || w.kind === 'date') o.format = w.format;
    if (w.kind === 'countdown') Object.assign(o, { text: w.text || '', until: w.until });
    return o;
  }
  const programBody = () => ({ layouts: st.layouts.map((l) => ({ width: l.width, height: l.height, background: l.background || undefined, windows: l.windows.map(wire) })) });

  const clockFmt = new Intl.DateTimeFormat(pano.locale, { timeZone: pano.tz, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  let saveTimer = 0, saving = null, again = false, metaDirty = false;
  function changed() {
    if (readOnly) return;
    clearTimeout(saveTimer);
    saveTimer = setTimeout(save, 400);
    renderTabsIfNeeded();
  }
  function metaChanged() {
    if (readOnly) return;
    metaDirty = true;
    clearTimeout(saveTimer);
    saveTimer = setTimeout(save, 400);
  }
  titleIn.addEventListener('input', metaChanged);
  let tabsShape = '';
  function renderTabsIfNeeded() {
    const shape = st.layouts.map(sizeKey).join(',') + '|' + st.cur;
    if (shape !== tabsShape) { tabsShape = shape; renderTabs(); }
  }

  async function save() {
    if (saving) { again = true; return saving; }
    const p = problem();
    if (p) {
      saveLine.className = 'pg-save error';
      saveLine.textContent = t('pg_not_saved') + ' ' + p;
      return null;
    }
    saveLine.className = 'pg-save';
    saveLine.textContent = t('pg_saving');
    saving = (async () => {
      try {
        let r;
        const title = titleIn.value.trim() || (t('pg_title_default') + ' ' + pano.time(new Date().toISOString()));
        if (!st.id) {
          r = await api('POST', '/media', { kind: 'program', title, program: programBody(),
            campaign_id: Number(csel.value) || null, theme_id: Number(tsel.value) || null });
          st.id = r.data.id;
          titleIn.value = r.data.title;
          const u = new URL(location.href);
          u.searchParams.set('id', String(st.id));
          history.replaceState(null, '', u.pathname + u.search);
          fillOpen().catch(() => {});
        } else {
          const body = { program: programBody() };
          if (metaDirty) Object.assign(body, { title, campaign_id: Number(csel.value) || 0, theme_id: Number(tsel.value) || 0 });
          r = await api('PATCH', '/media/' + st.id, body);
        }
        metaDirty = false;
        showStatus(r.data);
        saveLine.className = 'pg-save ok';
        saveLine.textContent = t('pg_saved_at') + ' ' + clockFmt.format(new Date());
        document.getElementById('app').dataset.saved = String(st.id);
        const m = $('msg');
        if (m.classList.contains('error')) say('');
        ensurePreviews();
        refreshAll();
      } catch (err) {
        saveLine.className = 'pg-save error';
        saveLine.textContent = t('pg_not_saved') + ' ' + errText(err);
      } finally {
        saving = null;
      }
      if (again) { again = false; await save(); }
    })();
    return saving;
  }

  // ---- previews: each panel size, and the grid's own size, every second
  panoPanel.bindDots($('dots'));
  const prevBox = $('pg-previews');
  const targets = new Map(); // size → {g, fig, note, view, busy}
  const usesOf = (k) => (k === sizeKey(st.layouts[0]) ? t('pg_is_template') : ownFor(k) > 0 ? t('pg_uses_own') : t('pg_uses_template'));
  // tooSmall names the live windows of size g too low for the smallest
  // letters that keep Vietnamese marks (13 lamps), or a clock too narrow
  // for "00:00": the screen shows their background only.
  const MIN_LINE = 13, MIN_CLOCK_W = 30;
  function tooSmall(g) {
    const k = sizeKey(g), i = ownFor(k);
    const l = k === sizeKey(st.layouts[0]) ? st.layouts[0] : i > 0 ? st.layouts[i] : scaled(st.layouts[0], g.width, g.height);
    const bad = [];
    l.windows.forEach((w, n) => {
      if (w.kind !== 'media' && (w.h < MIN_LINE || (w.kind === 'clock' && w.w < MIN_CLOCK_W))) bad.push(n + 1);
    });
    return bad.length ? fillIn(t('pg_too_small'), { n: bad.join(', '), s: k.replace('x', '×') }) : '';
  }
  let prevShape = '';
  function ensurePreviews() {
    if (!st.id) return;
    const shape = sizes.map(sizeKey).join(',') + '|' + st.layouts.map(sizeKey).join(',');
    if (shape === prevShape) {
      for (const [key, tg] of targets) {
        if (tg.uses) tg.uses.textContent = ' · ' + usesOf(key);
        if (tg.small) tg.small.textContent = tooSmall(tg.g);
      }
      return;
    }
    prevShape = shape;
    for (const tg of targets.values()) tg.view && tg.view.stop();
    targets.clear();
    const scale = panoPanel.sizer(sizes, 400, 200, 96);
    const figs = sizes.map((g) => {
      const key = sizeKey(g);
      const v = panoPanel.view(g, scale(g), { className: 'ct-panel', label: t('ct_preview_at') + ' ' + key.replace('x', '×') });
      v.blank();
      const note = el('span', { className: 'note ct-note' });
      const uses = el('span', { className: 'note' }, ' · ' + usesOf(key));
      const names = g.names.length ? el('span', { className: 'note' }, ' · ' + g.names.slice(0, 3).join(', ')) : '';
      const small = el('span', { className: 'ct-warn' }, tooSmall(g));
      const fig = el('figure', { className: 'ct-fig' }, v.canvas, el('figcaption', {}, key.replace('x', '×'), uses, names, note, small));
      fig.dataset.geom = key;
      targets.set(key, { g, fig, note, uses, small, view: v, busy: false });
      return fig;
    });
    prevBox.replaceChildren(...figs);
  }
  const t0 = Date.now();
  const extra = new Map(); // the grid's size when no display has it
  async function refresh(key, tg) {
    if (tg.busy || !st.id) return;
    tg.busy = true;
    try {
      const q = 'w=' + tg.g.width + '&h=' + tg.g.height + '&fit=' + (tg.g.fit || 'contain') + '&elapsed_ms=' + ((Date.now() - t0) % 86400000);
      const b = await pano.blob('/media/' + st.id + '/preview?' + q);
      const bmp = await createImageBitmap(b);
      if (tg.view) tg.view.show(bmp);
      if (key === sizeKey(L()) && stageView) stageView.show(bmp);
      if (tg.note) tg.note.textContent = '';
      if (tg.fig) tg.fig.dataset.shown = String(Date.now());
    } catch (err) {
      if (tg.note) tg.note.textContent = err.code === 'program_not_ready' ? t('pg_preview_pending') : errText(err);
    } finally {
      tg.busy = false;
    }
  }
  function refreshAll() {
    if (!st.id) return;
    for (const [key, tg] of targets) refresh(key, tg);
    const k0 = sizeKey(L());
    if (!targets.has(k0)) {
      const own = extra.get(k0) || { g: { width: L().width, height: L().height, fit: 'contain' }, busy: false };
      extra.set(k0, own);
      refresh(k0, own);
    }
  }
  // Each second, just after it turns: the clock shows the new second.
  (function tick() {
    setTimeout(() => {
      if (!document.hidden) refreshAll();
      tick();
    }, 1000 - (Date.now() % 1000) + 40);
  })();

  // ---- submit for approval
  $('pg-submit').addEventListener('click', async () => {
    clearTimeout(saveTimer);
    if (saving) await saving;
    if (problem() || !st.id) {
      await save();
      if (!st.id || problem()) { say(t('pg_not_saved') + ' ' + problem(), 'error'); return; }
    } else {
      await save();
    }
    try {
      const r = await api('POST', '/media/' + st.id + '/submit');
      showStatus(r.data);
      say(t('pg_submitted') + ': ' + r.data.title, 'ok');
      fillOpen().catch(() => {});
    } catch (err) {
      fail(err);
    }
  });

  function renderAll() {
    renderTabsIfNeeded();
    renderTools();
    renderStage();
    fillForm();
  }
  let resizeTimer = 0;
  window.addEventListener('resize', () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(renderStage, 150); });
  renderAll();
  ensurePreviews();
  refreshAll();
  if (readOnly) {
    for (const x of document.querySelectorAll('.pg-add button, #pg-own-remove, #pg-win input, #pg-win select, #pg-win textarea, #pg-win button, #pg-submit, #pg-title, #pg-campaign, #pg-theme, #pg-size, #pg-bg')) x.disabled = true;
  }
});
