// rotations.js: the Vòng phát page. Everyone lists rotations (playlists)
// and previews them at the size of a real panel; editors and approvers
// build them (pick media, reorder by drag or keyboard, set durations) and
// submit them; approvers approve or reject them with a reason.
//
// The preview is the controller's renditions: the exact pixels each panel
// shows (GET /media/{id}/preview; a video's frames from its rendition),
// drawn by panel.js as the Nội dung page draws them: scaled up without
// smoothing, or as round LED lamps.
'use strict';

pano.start(async (user) => {
  const { t, api, el, duration, say } = pano;
  const writer = pano.may('createPlaylist');
  const approver = pano.may('approvePlaylist');
  const $ = (id) => document.getElementById(id);

  const STATUS = { draft: t('rot_status_draft'), pending: t('rot_status_pending'), approved: t('rot_status_approved'), rejected: t('rot_status_rejected') };
  const KIND = { image: t('rot_kind_image'), video: t('rot_kind_video'), text: t('rot_kind_text'), program: t('kind_program') };
  const ERR = { bad_request: t('rot_err_bad'), not_found: t('rot_err_gone') };
  // Codes that say the rotation, or a media in it, changed under this page
  // (another person's decision): the list is reloaded to show it as it is.
  const RACE = new Set(['wrong_state', 'media_not_approved', 'playlist_empty', 'unknown_media', 'not_found']);
  const DEFAULT_SEC = 10;
  const MAX_SEC = 24 * 3600;

  // why is an API error in the page's language: the codes this page meets
  // have their own words here, the rest pano.api translated already.
  const why = (err) => (err && err.code && ERR[err.code]) || err.message;
  function oops(err) {
    const race = err && RACE.has(err.code);
    say(t('error') + ': ' + why(err) + (race ? ' ' + t('rot_reloaded') : ''), 'error');
    if (race) { state.sig = null; load().catch(() => {}); } // show the state it is in now
  }

  // announce tells screen readers what a keyboard move did.
  const live = $('rot-live');
  let flip = false;
  function announce(text) {
    flip = !flip;
    live.textContent = text + (flip ? '\u00a0' : ''); // a change even when the words repeat
  }

  const statusBadge = (status) => el('span', { className: 'status ' + status }, STATUS[status] || status);
  const cycleMS = (items) => items.reduce((s, it) => s + (Number(it.duration_ms) || 0), 0);
  const plural = (n) => n + ' ' + (n === 1 ? t('rot_item_one') : t('rot_item_many'));

  // Media are looked up by id for titles, kinds and states, and kept.
  const media = new Map();
  async function loadMedia(ids) {
    const missing = [...new Set(ids)].filter((id) => !media.has(id));
    await Promise.all(missing.map(async (id) => {
      try {
        media.set(id, (await api('GET', '/media/' + id)).data);
      } catch (err) {
        if (err.status !== 404) throw err;
        media.set(id, null); // deleted, or another unit's
      }
    }));
  }
  const titleOf = (id) => (media.get(id) ? media.get(id).title : t('rot_media_missing') + ' #' + id);
  // A program has no thumbnail of its own: it is drawn by the controller,
  // a few seconds into playing (tickers in), at a common panel size.
  function thumb(id) {
    const m = media.get(id);
    const src = m && m.kind === 'program' ? '/api/v1/media/' + id + '/preview?w=128&h=64&elapsed_ms=5000' : '/api/v1/media/' + id + '/thumbnail';
    const img = el('img', { className: 'thumb', alt: '', src, loading: 'lazy' });
    img.addEventListener('error', () => { img.replaceWith(el('span', { className: 'thumb rot-nothumb' }, '—')); });
    return img;
  }

  // Campaigns: for the filter, the editor and the list.
  const campaigns = new Map();
  try {
    for (const c of (await api('GET', '/campaigns')).data.items) campaigns.set(c.id, c);
  } catch (err) { oops(err); }
  for (const sel of [document.querySelector('#rot-filters [name=campaign_id]'), document.querySelector('#rot-form [name=campaign_id]')]) {
    for (const c of campaigns.values()) sel.append(el('option', { value: String(c.id) }, c.name));
  }

  // Units: editors and viewers see their own only; the others see every
  // unit's rotations, so the list names the unit and an approver picks it.
  const units = new Map();
  const allUnits = !pano.can(user, 'editor', 'viewer');
  try {
    for (const x of (await api('GET', '/units')).data.items) units.set(x.id, x);
  } catch (err) { oops(err); }
  const unitName = (id) => (units.get(id) ? units.get(id).name : '#' + id);
  {
    const sel = document.querySelector('#rot-form [name=unit_id]');
    for (const x of units.values()) sel.append(el('option', { value: String(x.id) }, x.name));
  }

  // ---- the list ----------------------------------------------------------

  const PAGE = 20;
  const filters = $('rot-filters');
  const state = { offset: 0, total: 0 };
  const tbody = document.querySelector('#rotations tbody');

  $('rot-readonly').hidden = writer;
  $('rot-new').hidden = !writer;
  $('rot-new').addEventListener('click', () => openEditor(null));

  let loading = 0;
  async function load() {
    const seq = ++loading;
    const f = new FormData(filters);
    const q = new URLSearchParams({ limit: String(PAGE), offset: String(state.offset), sort: 'created_at', order: 'desc' });
    for (const k of ['q', 'status', 'campaign_id']) if (f.get(k)) q.set(k, String(f.get(k)).trim());
    const r = await api('GET', '/playlists?' + q);
    if (seq !== loading) return; // a newer load is under way
    state.total = r.data.total;
    if (state.offset > 0 && state.offset >= state.total) { // the last row of a page went away
      state.offset = Math.max(0, state.offset - PAGE);
      return load();
    }
    // Redraw only what changed (the list refreshes itself), and keep the
    // focus on the row it was in.
    const sig = q + JSON.stringify(r.data);
    if (sig === state.sig) return;
    state.sig = sig;
    const focusedRow = document.activeElement && document.activeElement.closest && document.activeElement.closest('#rotations tbody tr');
    tbody.replaceChildren(...r.data.items.map(row));
    if (focusedRow) focusRow(focusedRow.dataset.id);
    $('rot-empty').hidden = r.data.items.length > 0;
    $('rot-range').textContent = state.total ? (state.offset + 1) + '–' + (state.offset + r.data.items.length) + ' ' + t('rot_of') + ' ' + state.total : '';
    $('rot-prev').disabled = state.offset === 0;
    $('rot-next').disabled = state.offset + PAGE >= state.total;
  }
  const reload = () => load().catch(oops);

  // Decisions made elsewhere (an approver's, an editor's) show up without
  // a reload, while the list is on screen.
  setInterval(() => {
    if (!$('rot-list').hidden && document.visibilityState === 'visible' && !document.querySelector('dialog[open]')) load().catch(() => {});
  }, 15000);

  let typing;
  filters.addEventListener('input', (ev) => {
    clearTimeout(typing);
    typing = setTimeout(() => { state.offset = 0; reload(); }, ev.target.name === 'q' ? 300 : 0);
  });
  filters.addEventListener('submit', (ev) => { ev.preventDefault(); state.offset = 0; reload(); });
  $('rot-prev').addEventListener('click', () => { state.offset = Math.max(0, state.offset - PAGE); reload(); });
  $('rot-next').addEventListener('click', () => { state.offset += PAGE; reload(); });

  function button(label, fn, className) {
    const b = el('button', { type: 'button', className: className || '' }, label);
    b.addEventListener('click', () => fn(b));
    return b;
  }

  function row(pl) {
    const items = pl.current.items;
    const status = el('td', { className: 'rot-state' }, statusBadge(pl.status));
    if (pl.status === 'rejected' && pl.current.reject_reason) {
      status.append(el('p', { className: 'rot-reason' }, el('strong', {}, t('rot_reason') + ': '), pl.current.reject_reason));
    }
    if (pl.approved && pl.approved.number !== pl.current.number) {
      status.append(el('p', { className: 'note' }, t('rot_approved_plays') + ' ' + pl.approved.number));
    }
    const c = pl.campaign_id && campaigns.get(pl.campaign_id);
    const acts = el('div', { className: 'actions' });
    acts.append(button(t('rot_preview'), (b) => openPreview(pl, b)));
    if (writer) {
      acts.append(button(t('rot_edit'), (b) => openEditor(pl, b)));
      if (pl.status === 'draft' || pl.status === 'rejected') acts.append(button(t('rot_submit'), () => decide(pl, 'submit')));
      if (pl.status === 'pending') acts.append(button(t('rot_withdraw'), () => decide(pl, 'withdraw')));
    }
    if (approver && pl.status === 'pending') {
      acts.append(button(t('rot_approve'), () => approve(pl), 'submit'), button(t('rot_reject'), () => reject(pl), 'danger'));
    }
    if (writer && (pl.status === 'draft' || pl.status === 'rejected')) acts.append(button(t('rot_delete'), () => remove(pl)));
    // data-label names a cell where the table is drawn as cards (tablets).
    const cell = (label, className, ...kids) => {
      const td = el('td', { className }, ...kids);
      td.dataset.label = label;
      return td;
    };
    status.dataset.label = t('rot_col_status');
    const tr = el('tr', {},
      el('th', { scope: 'row' }, pl.name, el('span', { className: 'note rot-rev' }, ' · ' + t('rot_revision') + ' ' + pl.current.number),
        allUnits ? el('span', { className: 'note rot-rev rot-unit-of' }, unitName(pl.unit_id)) : ''),
      status,
      cell(t('rot_col_campaign'), 'rot-campaign', el('span', { className: 'rot-clamp' }, c ? c.name : '—')),
      cell(t('rot_col_items'), 'num', String(items.length)),
      cell(t('rot_col_cycle'), 'num', duration(cycleMS(items) / 1000)),
      cell(t('rot_col_created'), '', pano.time(pl.created_at)),
      el('td', { className: 'rot-acts' }, acts));
    tr.dataset.id = pl.id;
    return tr;
  }

  const done = { submit: t('rot_done_submit'), withdraw: t('rot_done_withdraw'), approve: t('rot_done_approve'), reject: t('rot_done_reject') };

  // focusRow puts the focus back on a row's first button after the list
  // was redrawn under it.
  function focusRow(id) {
    const b = tbody.querySelector(`tr[data-id="${id}"] button`);
    if (b) b.focus();
  }

  async function decide(pl, action, payload) {
    if (action === 'submit' && pl.current.items.length === 0) {
      say(t('rot_err_empty'), 'error');
      return null;
    }
    const inList = !$('rot-list').hidden;
    try {
      const r = await api('POST', '/playlists/' + pl.id + '/' + action, payload);
      say(done[action] + ': ' + pl.name, 'ok');
      await load();
      if (inList) focusRow(pl.id);
      return r.data;
    } catch (err) {
      oops(err);
      return null;
    }
  }

  // unapproved lists the media of items that have no approved revision:
  // a rotation with one of them cannot be approved.
  const unapproved = (items) => [...new Set(items.map((it) => it.media_id))].filter((id) => !media.get(id) || !media.get(id).approved);

  async function approve(pl) {
    const ids = pl.current.items.map((it) => it.media_id);
    for (const id of ids) media.delete(id); // their state now, not when first seen
    try { await loadMedia(ids); } catch (err) { oops(err); return; }
    const bad = unapproved(pl.current.items);
    if (bad.length) {
      const why = (id) => { const m = media.get(id); return m && m.status ? ' (' + t('rot_status_' + m.status) + ')' : ''; };
      say(t('rot_cannot_approve') + ' ' + bad.map((id) => titleOf(id) + why(id)).join(', '), 'error');
      return;
    }
    await decide(pl, 'approve');
  }

  async function reject(pl) {
    const area = el('textarea', { name: 'reason', rows: 4, maxLength: 1000, required: true });
    area.addEventListener('input', () => area.setCustomValidity(area.value.trim() ? '' : t('rot_reason_needed')));
    area.setCustomValidity(t('rot_reason_needed'));
    const asked = pano.dialog(t('rot_reject_title') + ': ' + pl.name, [
      el('p', {}, t('rot_reject_help')),
      el('label', {}, t('rot_reason'), area),
    ], [{ label: t('rot_reject'), value: 'reject', kind: 'submit' }]);
    // a submit button (so the reason is required), coloured as what it does
    const ok = area.form && area.form.querySelector('button[value="reject"]');
    if (ok) ok.className = 'danger';
    const v = await asked;
    if (v !== 'reject') return;
    await decide(pl, 'reject', { reason: area.value.trim() });
  }

  async function remove(pl) {
    if (!(await pano.confirm(t('rot_delete_title'), t('rot_delete_text') + ' ' + pl.name, t('rot_delete')))) return;
    try {
      await api('DELETE', '/playlists/' + pl.id);
      say(t('rot_done_delete') + ': ' + pl.name, 'ok');
      await load();
    } catch (err) { oops(err); }
  }

  // ---- views: the list, the editor or the preview -------------------------

  let returnFocus = null;
  // view shows one of the three; what was said on the one left (an
  // announcement, a message) goes with it, unless keep: the message says
  // how the action that led here ended.
  function view(name, keep) {
    $('rot-list').hidden = name !== 'list';
    $('rot-editor').hidden = name !== 'editor';
    $('rot-preview').hidden = name !== 'preview';
    if (name !== 'preview') player.stop();
    live.textContent = '';
    if (!keep) say('', '');
  }
  function backToList(keep) {
    view('list', keep);
    const f = returnFocus && document.contains(returnFocus) ? returnFocus : (writer ? $('rot-new') : $('rot-filters').querySelector('input'));
    f.focus();
  }

  // ---- the editor ----------------------------------------------------------

  const form = $('rot-form');
  const list = $('rot-items');
  const ed = { pl: null, items: [], dirty: false, seq: 0 };
  const key = () => 'i' + (++ed.seq);

  async function openEditor(pl, from) {
    returnFocus = from || $('rot-new');
    if (pl) {
      try { pl = (await api('GET', '/playlists/' + pl.id)).data; } catch (err) { oops(err); return; }
    }
    ed.pl = pl;
    ed.items = pl ? pl.current.items.map((it) => ({ media_id: it.media_id, duration_ms: it.duration_ms, key: key() })) : [];
    ed.dirty = false;
    try { await loadMedia(ed.items.map((it) => it.media_id)); } catch (err) { oops(err); }
    form.elements.name.value = pl ? pl.name : '';
    form.elements.campaign_id.value = pl && pl.campaign_id ? String(pl.campaign_id) : '';
    // The unit is chosen once, when an approver creates a rotation.
    $('rot-unit-pick').hidden = !!pl || !allUnits;
    form.elements.unit_id.value = String(user.unit_id);
    $('rot-unit').textContent = $('rot-unit-pick').hidden ? t('rot_unit') + ': ' + unitName(pl ? pl.unit_id : user.unit_id) : '';
    showEditorState();
    renderItems();
    say('', '');
    view('editor');
    $('rot-editor-title').focus();
  }

  function showEditorState() {
    const pl = ed.pl;
    $('rot-editor-title').textContent = pl ? t('rot_edit_title') + ': ' + pl.name : t('rot_new');
    const box = $('rot-editor-state');
    box.replaceChildren();
    if (!pl) return;
    box.append(t('rot_col_status') + ': ', statusBadge(pl.status), ' · ' + t('rot_revision') + ' ' + pl.current.number);
    if (pl.status === 'rejected') box.append(el('p', { className: 'rot-reason' }, el('strong', {}, t('rot_reason') + ': '), pl.current.reject_reason));
    if (pl.status === 'approved') box.append(el('p', { className: 'note' }, t('rot_edit_approved')));
    if (pl.status === 'pending') box.append(el('p', { className: 'note' }, t('rot_edit_pending')));
    $('rot-save-submit').hidden = pl.status === 'pending' || pl.status === 'approved';
  }

  function touch() {
    ed.dirty = true;
    updateTotals();
  }

  function updateTotals() {
    $('rot-total').textContent = duration(cycleMS(ed.items) / 1000);
    $('rot-count').textContent = plural(ed.items.length);
    $('rot-no-items').hidden = ed.items.length > 0;
    const bad = unapproved(ed.items);
    const warn = $('rot-warn');
    warn.hidden = bad.length === 0;
    warn.textContent = bad.length ? t('rot_warn_unapproved') + ' ' + bad.map(titleOf).join(', ') : '';
  }

  // renderItems draws the item list; focusKey/focusRole put the focus back
  // on the same control of the same item after a move.
  function renderItems(focusKey, focusRole) {
    const n = ed.items.length;
    list.replaceChildren(...ed.items.map((it, i) => itemRow(it, i, n)));
    updateTotals();
    if (focusKey) {
      const li = list.querySelector(`li[data-key="${focusKey}"]`);
      let f = li && li.querySelector(`[data-role="${focusRole}"]`);
      if (f && f.disabled) f = li.querySelector(focusRole === 'up' ? '[data-role="down"]' : '[data-role="up"]');
      if (f && !f.disabled) f.focus(); else if (li) li.querySelector('[data-role="seconds"]').focus();
    }
  }

  function itemRow(it, i, n) {
    const m = media.get(it.media_id);
    const secs = el('input', { type: 'number', min: '1', max: String(MAX_SEC), step: '1', required: true, value: String(Math.round(it.duration_ms / 1000)) });
    secs.dataset.role = 'seconds';
    secs.addEventListener('input', () => {
      const v = Math.round(Number(secs.value));
      if (v >= 1 && v <= MAX_SEC) it.duration_ms = v * 1000;
      touch();
    });
    const name = titleOf(it.media_id);
    secs.setAttribute('aria-label', t('rot_seconds') + ': ' + name);
    const up = el('button', { type: 'button', className: 'rot-move', disabled: i === 0, title: t('rot_move_up') }, '↑');
    up.setAttribute('aria-label', t('rot_move_up') + ': ' + name);
    up.dataset.role = 'up';
    up.addEventListener('click', () => move(it, -1, 'up'));
    const down = el('button', { type: 'button', className: 'rot-move', disabled: i === n - 1, title: t('rot_move_down') }, '↓');
    down.setAttribute('aria-label', t('rot_move_down') + ': ' + name);
    down.dataset.role = 'down';
    down.addEventListener('click', () => move(it, 1, 'down'));
    const del = el('button', { type: 'button' }, t('rot_remove'));
    del.setAttribute('aria-label', t('rot_remove') + ': ' + name);
    del.addEventListener('click', () => {
      const at = ed.items.indexOf(it);
      ed.items.splice(at, 1);
      ed.dirty = true;
      renderItems();
      announce(t('rot_removed') + ': ' + name);
      const next = list.children[Math.min(at, ed.items.length - 1)];
      (next ? next.querySelector('[data-role="seconds"]') : $('rot-add')).focus();
    });
    const info = el('div', { className: 'rot-item-info' },
      el('span', { className: 'rot-item-title' }, name),
      el('span', { className: 'note' }, m ? KIND[m.kind] || '' : ''),
      m ? statusBadge(m.status) : '');
    if (m && m.kind === 'video' && m.current.duration_ms) info.append(el('span', { className: 'note' }, t('rot_video_length') + ' ' + duration(m.current.duration_ms / 1000)));
    if (m && m.current.processing === 'processing') info.append(el('span', { className: 'note' }, t('rot_media_processing') + ' ' + m.current.processing_progress + ' %'));
    const li = el('li', { className: 'rot-item', draggable: true },
      el('span', { className: 'rot-handle', title: t('rot_drag') }, '⠿'),
      el('span', { className: 'rot-pos' }, String(i + 1)),
      thumb(it.media_id),
      info,
      el('label', { className: 'rot-secs' }, t('rot_seconds'), secs),
      el('div', { className: 'actions' }, up, down, del));
    li.dataset.key = it.key;
    li.dataset.mediaId = it.media_id;
    li.setAttribute('aria-label', (i + 1) + '. ' + name);
    return li;
  }

  function move(it, by, role) {
    const from = ed.items.indexOf(it);
    const to = from + by;
    if (to < 0 || to >= ed.items.length) return;
    ed.items.splice(from, 1);
    ed.items.splice(to, 0, it);
    ed.dirty = true;
    renderItems(it.key, role);
    announce(t('rot_moved') + ': ' + titleOf(it.media_id) + ', ' + t('rot_position') + ' ' + (to + 1) + '/' + ed.items.length);
  }

  // Alt+Arrow moves the item the focus is in.
  list.addEventListener('keydown', (ev) => {
    if (!ev.altKey || (ev.key !== 'ArrowUp' && ev.key !== 'ArrowDown')) return;
    const li = ev.target.closest('li.rot-item');
    if (!li) return;
    ev.preventDefault();
    const it = ed.items.find((x) => x.key === li.dataset.key);
    move(it, ev.key === 'ArrowUp' ? -1 : 1, ev.target.dataset.role || 'seconds');
  });

  // Drag and drop: drop on an item puts the dragged one before or after it
  // (by which half the pointer is over).
  let dragKey = null;
  list.addEventListener('dragstart', (ev) => {
    const li = ev.target.closest && ev.target.closest('li.rot-item');
    if (!li) return;
    dragKey = li.dataset.key;
    ev.dataTransfer.effectAllowed = 'move';
    ev.dataTransfer.setData('text/plain', dragKey);
    li.classList.add('dragging');
  });
  const clearMarks = () => list.querySelectorAll('.drop-before, .drop-after, .dragging').forEach((x) => x.classList.remove('drop-before', 'drop-after', 'dragging'));
  list.addEventListener('dragend', () => { dragKey = null; clearMarks(); });
  const after = (li, ev) => { const r = li.getBoundingClientRect(); return ev.clientY > r.top + r.height / 2; };
  list.addEventListener('dragover', (ev) => {
    const li = ev.target.closest('li.rot-item');
    if (!dragKey || !li) return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = 'move';
    list.querySelectorAll('.drop-before, .drop-after').forEach((x) => x.classList.remove('drop-before', 'drop-after'));
    if (li.dataset.key !== dragKey) li.classList.add(after(li, ev) ? 'drop-after' : 'drop-before');
  });
  list.addEventListener('drop', (ev) => {
    const li = ev.target.closest('li.rot-item');
    if (!dragKey || !li) return;
    ev.preventDefault();
    const it = ed.items.find((x) => x.key === dragKey);
    const onto = ed.items.find((x) => x.key === li.dataset.key);
    dragKey = null;
    clearMarks();
    if (!it || !onto || it === onto) return;
    const below = after(li, ev);
    ed.items.splice(ed.items.indexOf(it), 1);
    ed.items.splice(ed.items.indexOf(onto) + (below ? 1 : 0), 0, it);
    ed.dirty = true;
    renderItems();
    announce(t('rot_moved') + ': ' + titleOf(it.media_id) + ', ' + t('rot_position') + ' ' + (ed.items.indexOf(it) + 1) + '/' + ed.items.length);
  });

  // The media picker: the media this user may use, with their state.
  $('rot-add').addEventListener('click', async () => {
    let all;
    try {
      all = (await api('GET', '/media?limit=500&sort=created_at&order=desc')).data.items;
    } catch (err) { oops(err); return; }
    for (const m of all) media.set(m.id, m);
    const usable = all.filter((m) => m.current.processing !== 'failed');
    const search = el('input', { type: 'search', name: 'pick-q' });
    const onlyApproved = el('input', { type: 'checkbox' });
    const grid = el('div', { className: 'rot-pick-grid' });
    const boxes = [];
    const order = []; // media in the order they were ticked
    for (const m of usable) {
      const cb = el('input', { type: 'checkbox', value: String(m.id) });
      cb.addEventListener('change', () => {
        const at = order.indexOf(m);
        if (cb.checked && at < 0) order.push(m);
        if (!cb.checked && at >= 0) order.splice(at, 1);
      });
      const card = el('label', { className: 'rot-pick' }, cb, thumb(m.id),
        el('span', { className: 'rot-item-title' }, m.title),
        el('span', { className: 'note' }, KIND[m.kind] || ''),
        statusBadge(m.status));
      if (m.kind === 'video' && m.current.duration_ms) card.append(el('span', { className: 'note' }, duration(m.current.duration_ms / 1000)));
      if (m.current.processing === 'processing') card.append(el('span', { className: 'note' }, t('rot_media_processing') + ' ' + m.current.processing_progress + ' %'));
      card.dataset.mediaId = m.id;
      boxes.push({ m, cb, card });
      grid.append(card);
    }
    const none = el('p', { className: 'note' }, t('rot_pick_none'));
    none.hidden = usable.length > 0;
    const filter = () => {
      const q = search.value.trim().toLowerCase();
      for (const b of boxes) b.card.hidden = (q && !b.m.title.toLowerCase().includes(q)) || (onlyApproved.checked && !b.m.approved);
    };
    search.addEventListener('input', filter);
    onlyApproved.addEventListener('change', filter);
    const v = await pano.dialog(t('rot_pick_title'), [
      el('p', { className: 'note' }, t('rot_pick_help')),
      el('div', { className: 'rot-pick-bar' },
        el('label', {}, t('rot_pick_search'), search),
        el('label', { className: 'rot-check' }, onlyApproved, ' ' + t('rot_pick_approved'))),
      none, grid,
    ], [{ label: t('rot_pick_add'), value: 'add', kind: 'submit' }]);
    if (v !== 'add') return;
    const picked = order.filter((m) => boxes.some((b) => b.m === m && b.cb.checked));
    for (const m of picked) {
      const natural = m.kind === 'video' && m.current.duration_ms >= 1000 ? Math.min(MAX_SEC, Math.round(m.current.duration_ms / 1000)) : DEFAULT_SEC;
      ed.items.push({ media_id: m.id, duration_ms: natural * 1000, key: key() });
    }
    if (picked.length) {
      ed.dirty = true;
      renderItems();
      announce(t('rot_added') + ': ' + picked.map((m) => m.title).join(', '));
      list.lastElementChild.querySelector('[data-role="seconds"]').focus();
    } else {
      $('rot-add').focus();
    }
  });

  // save stores the editor's rotation; it resolves to the playlist, or
  // null when it could not.
  // saving holds off a second save while one is on its way (a double
  // click would otherwise create the rotation twice).
  let saving = false;
  async function save() {
    if (saving || !form.reportValidity()) return null;
    saving = true;
    try {
      return await saveNow();
    } finally {
      saving = false;
    }
  }

  async function saveNow() {
    const name = form.elements.name.value.trim();
    const campaign = Number(form.elements.campaign_id.value) || 0;
    const items = ed.items.map((it) => ({ media_id: it.media_id, duration_ms: it.duration_ms }));
    const wasApproved = ed.pl && ed.pl.status === 'approved';
    try {
      let r;
      if (ed.pl) r = await api('PATCH', '/playlists/' + ed.pl.id, { name, items, campaign_id: campaign });
      else r = await api('POST', '/playlists', { name, items, campaign_id: campaign || null, unit_id: allUnits ? Number(form.elements.unit_id.value) : undefined });
      ed.pl = r.data;
      ed.dirty = false;
      showEditorState();
      say((wasApproved ? t('rot_saved_new_rev') : t('rot_saved')) + ': ' + ed.pl.name, 'ok');
      load().catch(oops);
      return ed.pl;
    } catch (err) {
      oops(err);
      return null;
    }
  }

  form.addEventListener('submit', (ev) => { ev.preventDefault(); save(); });
  form.addEventListener('input', (ev) => { if (ev.target.name === 'name' || ev.target.name === 'campaign_id') ed.dirty = true; });
  window.addEventListener('beforeunload', (ev) => {
    if (ed.dirty && !$('rot-editor').hidden) ev.preventDefault(); // the browser asks before unsaved changes are lost
  });
  $('rot-save-submit').addEventListener('click', async (ev) => {
    if (ed.items.length === 0) { say(t('rot_err_empty'), 'error'); return; }
    const btn = ev.currentTarget;
    if (btn.disabled) return;
    btn.disabled = true;
    try {
      const pl = await save();
      if (!pl) return;
      const r = await decide(pl, 'submit');
      if (r) backToList(true); // keeps "sent for approval"
    } finally {
      btn.disabled = false;
    }
  });
  $('rot-close').addEventListener('click', async () => {
    if (ed.dirty && !(await pano.confirm(t('rot_discard_title'), t('rot_discard_text'), t('rot_discard')))) return;
    backToList();
  });
  $('rot-preview-edit').addEventListener('click', () => {
    openPreview({ id: ed.pl && ed.pl.id, name: form.elements.name.value.trim() || t('rot_new'), current: { items: ed.items.map((it) => ({ ...it })) } }, $('rot-preview-edit'), 'editor');
  });

  // ---- the preview -----------------------------------------------------------

  // Panel sizes are those of the screens there are (a geometry is width,
  // height and fit), smallest first.
  let geoms = [];
  try {
    geoms = panoPanel.geometries((await api('GET', '/displays?brief=true')).data.items, Infinity);
  } catch (err) { oops(err); }
  if (!geoms.length) geoms = panoPanel.geometries([]);
  const FIT = { contain: t('rot_fit_contain'), cover: t('rot_fit_cover'), stretch: t('rot_fit_stretch') };
  for (const g of geoms) {
    const label = g.width + '×' + g.height + (g.fit !== 'contain' ? ' ' + (FIT[g.fit] || g.fit) : '') + (g.names.length ? ' (' + g.names.join(', ') + ')' : '');
    $('rot-geometry').append(el('option', { value: panoPanel.key(g) }, label));
  }

  const canvas = $('rot-canvas');
  const stage = $('rot-stage');
  panoPanel.bindDots($('rot-dots'));
  const player = {
    items: [], at: 0, left: 0, playing: true, timer: null, cur: null, view: null, last: 0, frames: new Map(), origin: 'list',
    geom() { return geoms.find((g) => panoPanel.key(g) === $('rot-geometry').value) || geoms[0]; },
    stop() {
      clearInterval(this.timer);
      this.timer = null;
      if (this.view) this.view.stop();
    },
    // shown is how long the current item has been on the panel (ms): a
    // ticker's scroll and a video's frame follow it, and stop on pause.
    shown() {
      const it = this.items[this.at];
      return it ? it.duration_ms - this.left + (this.playing ? performance.now() - this.last : 0) : 0;
    },
  };

  // frame fetches (once) what a media shows on a geometry: {bmp} (a
  // picture or a ticker strip), {frames, fps} (a video's rendition), or
  // {error}. A video whose frames cannot be had shows its first frame.
  function frame(id, g) {
    const k = id + '|' + panoPanel.key(g);
    if (!player.frames.has(k)) {
      const m = media.get(id);
      const still = () => pano.blob('/media/' + id + '/preview?' + panoPanel.query(g)).then((b) => createImageBitmap(b)).then((bmp) => ({ bmp }));
      const got = m && m.kind === 'video'
        ? panoPanel.video(id, g).catch((err) => (err.code === 'no_rendition' || err.code === 'processing' ? Promise.reject(err) : still().then((x) => ({ ...x, firstFrame: true }))))
        : still();
      player.frames.set(k, got.catch((err) => ({ error: err })));
    }
    return player.frames.get(k);
  }

  function scaleFor(g) {
    const room = Math.max(160, stage.clientWidth - 16);
    return Math.max(1, Math.floor(Math.min(room / g.width, 420 / g.height, 12)));
  }

  // draw shows the current item on the panel, as panel.js draws it: a
  // text too long for the panel comes as a ticker strip and scrolls as
  // the player scrolls it; a video plays its frames.
  async function draw() {
    const g = player.geom();
    const it = player.items[player.at];
    const s = scaleFor(g);
    const want = player.at + '|' + panoPanel.key(g) + '|' + s;
    canvas.dataset.want = want;
    const got = it ? await frame(it.media_id, g) : null;
    if (canvas.dataset.want !== want) return; // a newer draw started
    if (player.view) player.view.stop();
    player.view = panoPanel.view(g, s, { canvas, clock: () => player.shown() });
    canvas.dataset.panel = g.width + 'x' + g.height;
    const msg = $('rot-stage-msg');
    if (!got || got.error) {
      player.cur = null;
      player.view.blank();
      msg.hidden = false;
      msg.textContent = !it ? t('rot_no_items') : got.error.code === 'no_rendition' ? t('rot_no_rendition') : got.error.code === 'processing' ? t('rot_processing') : why(got.error);
      delete canvas.dataset.drawn;
      delete canvas.dataset.ticker;
      showNow();
      return;
    }
    msg.hidden = true;
    const m = media.get(it.media_id);
    if (got.frames) {
      player.view.show(null, { frames: got.frames, fps: got.fps });
    } else {
      player.view.show(got.bmp, { pps: (m && m.current.notice && m.current.notice.ticker_pixels_per_second) || 2 * g.height });
    }
    player.cur = { ticker: player.view.ticker, video: !!got.frames, firstFrame: !!got.firstFrame };
    canvas.dataset.drawn = it.media_id;
    if (player.cur.ticker) canvas.dataset.ticker = 'true'; else delete canvas.dataset.ticker;
    showNow();
    // fetch the next one while this one shows
    const next = player.items[(player.at + 1) % player.items.length];
    if (next) frame(next.media_id, g);
  }

  function showNow() {
    const it = player.items[player.at];
    const now = $('rot-now');
    if (!it) { now.replaceChildren(t('rot_no_items')); return; }
    const m = media.get(it.media_id);
    let item = $('rot-now-item');
    if (!item) {
      item = el('span', { id: 'rot-now-item' });
      item.setAttribute('aria-live', 'polite');
      now.replaceChildren(item, ' · ', el('span', { id: 'rot-now-left' }));
    }
    const text = t('rot_now') + ' ' + (player.at + 1) + '/' + player.items.length + ': ' + titleOf(it.media_id) +
      (player.cur && player.cur.firstFrame ? ' (' + t('rot_video_first_frame') + ')' : '') +
      (player.cur && player.cur.ticker ? ' (' + t('rot_ticker') + ')' : '');
    if (item.textContent !== text) item.textContent = text;
    $('rot-now-left').textContent = t('rot_left') + ' ' + duration(Math.ceil(player.left / 1000)) + (player.playing ? '' : ' · ' + t('rot_paused'));
    for (const li of $('rot-preview-items').children) {
      if (Number(li.dataset.index) === player.at) li.setAttribute('aria-current', 'true'); else li.removeAttribute('aria-current');
    }
  }

  function go(i) {
    const n = player.items.length;
    if (!n) return;
    player.at = ((i % n) + n) % n;
    player.left = player.items[player.at].duration_ms;
    player.cur = null; // until the new item's frame is drawn
    draw().catch(oops);
    showNow();
  }

  function tick() {
    const now = performance.now();
    const dt = now - player.last;
    player.last = now;
    if (!player.playing || !player.items.length) return;
    player.left -= dt;
    if (player.left <= 0) go(player.at + 1); else showNow();
  }

  // openPreview plays a rotation's newest revision; when screens still
  // play an earlier approved one, that one can be chosen to compare.
  async function openPreview(pl, from, origin) {
    player.origin = origin || 'list';
    if (player.origin === 'list') returnFocus = from;
    const revs = [pl.current];
    if (pl.approved && pl.approved.number !== pl.current.number) revs.push(pl.approved);
    const pick = $('rot-rev');
    pick.replaceChildren(...revs.map((r, i) => el('option', { value: String(i) },
      t('rot_revision') + ' ' + r.number + ' (' + (i === 0 ? STATUS[r.status] : t('rot_on_screens')) + ')')));
    $('rot-rev-pick').hidden = revs.length < 2;
    pick.onchange = () => play(pl.name, revs[Number(pick.value)].items).catch(oops);
    view('preview'); // first: the canvas is sized to the room it has
    await play(pl.name, pl.current.items);
    $('rot-preview-title').focus();
  }

  async function play(name, items) {
    player.stop();
    player.items = items.map((it) => ({ media_id: it.media_id, duration_ms: it.duration_ms }));
    try { await loadMedia(player.items.map((it) => it.media_id)); } catch (err) { oops(err); }
    $('rot-preview-title').textContent = t('rot_preview_title') + ': ' + name + ' · ' + t('rot_total') + ' ' + duration(cycleMS(player.items) / 1000);
    $('rot-preview-items').replaceChildren(...player.items.map((it, i) => {
      const b = el('button', { type: 'button', className: 'rot-jump' }, (i + 1) + '. ' + titleOf(it.media_id) + ' · ' + duration(it.duration_ms / 1000));
      b.addEventListener('click', () => go(i));
      const li = el('li', {}, b);
      li.dataset.index = i;
      return li;
    }));
    player.playing = true;
    $('rot-play').textContent = t('rot_pause');
    player.last = performance.now();
    go(0);
    player.timer = setInterval(tick, 200);
  }

  $('rot-geometry').addEventListener('change', () => draw().catch(oops));
  $('rot-play').addEventListener('click', () => {
    player.playing = !player.playing;
    player.last = performance.now();
    $('rot-play').textContent = player.playing ? t('rot_pause') : t('rot_play');
    showNow();
  });
  $('rot-prev-item').addEventListener('click', () => go(player.at - 1));
  $('rot-next-item').addEventListener('click', () => go(player.at + 1));
  $('rot-preview-close').addEventListener('click', () => {
    if (player.origin === 'editor') {
      view('editor');
      $('rot-preview-edit').focus();
    } else {
      backToList();
    }
  });
  let resized;
  window.addEventListener('resize', () => {
    clearTimeout(resized);
    resized = setTimeout(() => { if (!$('rot-preview').hidden) draw().catch(oops); }, 150);
  });

  view('list');
  await load();

  // /rotations#ID opens that rotation's preview (a link from elsewhere).
  const linked = /^#(\d+)$/.exec(location.hash);
  if (linked) {
    try {
      openPreview((await api('GET', '/playlists/' + linked[1])).data, null);
    } catch (err) { oops(err); }
  }
});
