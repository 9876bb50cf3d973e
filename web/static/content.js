// content.js: the Nội dung page. Writers (editors, approvers) upload
// images and videos (several at once, with byte and processing progress),
// compose text notices with a live preview at every panel size, and
// withdraw, edit, replace or delete their content; approvers work through
// the queue of pending content, and send and stop urgent notices.
// Every preview is the rendition's own pixels, drawn by panel.js (shared
// with the Vòng phát page): scaled up without smoothing so each LED shows,
// optionally as round lamps; the panels of one card at one scale when
// their sizes allow, and a wider panel always drawn wider.
'use strict';

pano.start(async (user) => {
  const { t, api, el, time, say } = pano;
  const writer = pano.may('createMedia');
  const approver = pano.may('approveMedia');

  // Errors: the API's code in words (pano.api translates err_CODE; a few
  // generic codes get this page's wording).
  const errText = (err) => (err && err.code && pano.has('ct_err_' + err.code) ? t('ct_err_' + err.code) : err.message);
  // A decision that lost a race (someone else moved the item, or a
  // rotation uses it) reloads the lists, so the page shows the state now.
  const RACE = new Set(['wrong_state', 'not_ready', 'media_in_use', 'not_found', 'unknown_media']);
  const fail = (err) => {
    say(t('error') + ': ' + errText(err), 'error');
    if (err && RACE.has(err.code)) load().catch(() => {});
  };

  // ---- reference data: campaigns, groups, displays and their geometries
  let campaigns = [], groups = [], displays = [], geoms = [];
  async function loadRefs() {
    const [c, g, d] = await Promise.all([api('GET', '/campaigns'), api('GET', '/groups'), api('GET', '/displays?brief=true')]);
    campaigns = c.data.items;
    groups = g.data.items;
    displays = d.data.items;
    // The sizes most screens have, at most 16 (what a preview request
    // takes), smallest first.
    geoms = panoPanel.geometries(displays, 16);
  }
  const campaignOf = (id) => campaigns.find((c) => c.id === id);
  const geomLabel = (g) => g.width + '×' + g.height + (g.fit !== 'contain' ? ' (' + t('ct_fit_' + g.fit) + ')' : '');

  // fillCampaigns fills a campaign select and keeps its theme select
  // following it.
  function fillCampaigns(csel, tsel, campaignID, themeID) {
    csel.replaceChildren(el('option', { value: '' }, t('ct_no_campaign')), ...campaigns.map((c) => el('option', { value: c.id }, c.name)));
    csel.value = campaignID ? String(campaignID) : '';
    const themes = () => {
      const c = campaignOf(Number(csel.value));
      tsel.replaceChildren(el('option', { value: '' }, t('ct_no_theme')), ...(c ? c.themes : []).map((th) => el('option', { value: th.id }, th.title)));
      tsel.disabled = !c;
    };
    csel.addEventListener('change', themes);
    themes();
    if (themeID) tsel.value = String(themeID);
  }

  // ---- panels: drawn by panel.js; the lamp look is one switch for every
  // page.
  panoPanel.bindDots(document.getElementById('dots'));

  // figure is a panel with its caption (the geometry and its screens).
  function figure(g, scale, extra) {
    const v = panoPanel.view(g, scale, { className: 'ct-panel', label: t('ct_preview_at') + ' ' + geomLabel(g) });
    const names = g.names.length > 3 ? g.names.slice(0, 3).join(', ') + ' ' + t('ct_and_more').replace('N', g.names.length - 3) : g.names.join(', ');
    const cap = el('figcaption', {}, geomLabel(g), names ? el('span', { className: 'note' }, ' · ' + names) : '');
    if (extra) cap.append(extra);
    const f = el('figure', { className: 'ct-fig' }, v.canvas, cap);
    f.dataset.geom = g.width + 'x' + g.height;
    return { view: v, fig: f, cap };
  }

  const qs = panoPanel.query;
  const renditionOf = (m, g) => (m.current.renditions || []).find((r) => r.width === g.width && r.height === g.height && r.fit === g.fit);

  // showPreview loads a media's preview for g into the view; a note says
  // why there is none yet. A program is drawn by the controller at this
  // instant (it has no renditions of its own); while what its windows show
  // is still being made for their size it is not ready, and is asked again.
  // A program's card shows it some seconds into playing, when tickers
  // that scroll in from the edge have come in.
  const PROGRAM_SHOWN_MS = 5000;
  async function showPreview(m, g, view, note, tries = 0) {
    try {
      const b = await pano.blob('/media/' + m.id + '/preview?' + qs(g) + (m.kind === 'program' ? '&elapsed_ms=' + PROGRAM_SHOWN_MS : ''));
      const bmp = await createImageBitmap(b);
      const r = renditionOf(m, g);
      view.show(bmp, { pps: r && r.ticker_pixels_per_second ? r.ticker_pixels_per_second : 2 * g.height });
      if (note) note.textContent = m.kind === 'program' ? t('ct_program_now') : '';
    } catch (err) {
      if (err.code === 'program_not_ready' && tries < 20 && view.canvas.isConnected) {
        if (note) note.textContent = t('ct_program_retrying');
        setTimeout(() => showPreview(m, g, view, note, tries + 1), 1500);
        return;
      }
      if (note) note.textContent = errText(err);
    }
  }

  // Lazy: a card's previews load when it scrolls into view.
  const lazy = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (!e.isIntersecting) continue;
      lazy.unobserve(e.target);
      e.target.loadPreviews?.();
    }
  }, { rootMargin: '200px' });

  // ---- a video plays its rendition's frames (panel.js reads the ZIP).
  async function playVideo(m, g, view, note) {
    const vid = await panoPanel.video(m.id, g);
    view.show(null, { frames: vid.frames, fps: vid.fps });
    note.textContent = t('ct_video_playing') + ' ' + vid.fps + ' ' + t('ct_fps') + ', ' + pano.duration(vid.total / vid.fps) +
      (vid.cut ? ' — ' + t('ct_video_cut') : '');
  }

  // ---- the item card
  const statusChip = (m) => el('span', { className: 'status ' + m.status }, t('status_' + m.status));

  function metaLine(m) {
    const c = campaignOf(m.campaign_id);
    const th = c && c.themes.find((x) => x.id === m.theme_id);
    const parts = [t('kind_' + m.kind), time(m.created_at)];
    if (c) parts.push(t('ct_campaign') + ': ' + c.name + (th ? ' — ' + th.title : ''));
    const line = el('p', { className: 'note ct-meta' }, parts.join(' · '));
    const v = validityText(m);
    return v ? el('div', {}, line, v) : line;
  }

  // validityText says on an item the days it may play, and whether that
  // is over or still to come (dates in the display time zone).
  const dmy = (ymd) => ymd.split('-').reverse().join('/');
  function validityText(m) {
    if (!m.valid_from && !m.valid_until) return null;
    const today = pano.dates.ymd(Date.now());
    let text;
    if (m.valid_from && m.valid_until) text = t('ct_valid') + ' ' + dmy(m.valid_from) + ' – ' + dmy(m.valid_until);
    else if (m.valid_from) text = t('ct_valid_from_only') + ' ' + dmy(m.valid_from);
    else text = t('ct_valid_until_only') + ' ' + dmy(m.valid_until);
    let kind = '';
    if (m.valid_until && m.valid_until < today) { text += ' · ' + t('ct_expired'); kind = ' expired'; }
    else if (m.valid_from && m.valid_from > today) { text += ' · ' + t('ct_not_yet'); kind = ' later'; }
    return el('p', { className: 'note ct-valid' + kind }, text);
  }

  function reasonLine(m) {
    if (m.status !== 'rejected' || !m.current.reject_reason) return '';
    return el('p', { className: 'ct-reason' }, el('strong', {}, t('ct_reject_reason_is') + ' '), m.current.reject_reason);
  }

  // processingLine shows a video's processing progress and each panel's
  // rendition; it says whether it is done.
  function processingLine(m) {
    const cur = m.current;
    if (cur.processing === 'ready' || !cur.processing) return null;
    if (cur.processing === 'failed') {
      const why = (cur.renditions || []).find((r) => r.status === 'failed');
      return el('p', { className: 'error ct-proc' }, t('ct_processing_failed') + (why && why.error ? ': ' + why.error : ''));
    }
    const pr = el('progress', { max: 100, value: cur.processing_progress });
    const each = (cur.renditions || []).map((r) => r.width + '×' + r.height + ': ' + (r.status === 'ready' ? t('ct_done') : r.progress + ' %')).join(' · ');
    return el('div', { className: 'ct-proc' }, el('span', {}, t('ct_processing') + ' ' + cur.processing_progress + ' %'), pr, el('span', { className: 'note' }, each));
  }

  // watch polls a processing media until it is done, then calls done(m);
  // step(m) is called on each answer.
  const watching = new Map();
  function watch(id, step, done) {
    if (watching.has(id)) watching.get(id).push({ step, done });
    else watching.set(id, [{ step, done }]);
    if (watching.get(id).length > 1) return;
    const tick = async () => {
      let m;
      try {
        m = (await api('GET', '/media/' + id)).data;
      } catch (err) {
        for (const w of watching.get(id)) w.done(null, err);
        watching.delete(id);
        return;
      }
      const ws = watching.get(id);
      for (const w of ws) w.step(m);
      if (m.current.processing === 'processing') { setTimeout(tick, 1000); return; }
      watching.delete(id);
      for (const w of ws) w.done(m);
    };
    setTimeout(tick, 700);
  }

  function actionButton(label, action, onClick, kind) {
    const b = el('button', { type: 'button', className: kind || '' }, label);
    b.dataset.action = action;
    b.addEventListener('click', onClick);
    return b;
  }

  function card(m, big) {
    const art = el('article', { className: 'ct-item' + (big ? ' big' : '') });
    art.dataset.id = m.id;
    art.dataset.status = m.status;
    const title = el('h4', {}, m.title);
    const head = el('header', {}, title, statusChip(m));
    const previews = el('div', { className: 'ct-previews' });
    const proc = processingLine(m);
    const actions = el('div', { className: 'actions' });
    art.append(head, metaLine(m), reasonLine(m), previews);
    if (proc) art.append(proc);
    art.append(actions);

    // One scale for the card's panels (see panoPanel.sizer): a bigger
    // panel is drawn bigger.
    const scale = panoPanel.sizer(geoms, big ? 420 : 240, big ? 210 : 120, big ? 96 : 64);
    art.loadPreviews = () => {
      if (m.current.processing === 'processing' || m.current.processing === 'failed') return;
      for (const g of geoms) {
        const note = el('span', { className: 'note ct-note' });
        const f = figure(g, scale(g), note);
        previews.append(f.fig);
        showPreview(m, g, f.view, note);
      }
    };
    lazy.observe(art);
    if (m.current.processing === 'processing') {
      watch(m.id, (x) => { const p = processingLine(x); if (p) art.querySelector('.ct-proc')?.replaceWith(p); }, () => load().catch(fail));
    }

    const canWrite = writer;
    const s = m.status;
    actions.append(actionButton(t('ct_details'), 'details', () => details(m)));
    if (approver && s === 'pending') {
      actions.append(actionButton(t('approve'), 'approve', () => decide(m, 'approve'), 'submit'),
        actionButton(t('reject'), 'reject', () => rejectDialog(m), 'danger'));
    }
    if (canWrite && (s === 'draft' || s === 'rejected')) actions.append(actionButton(t('submit'), 'submit', () => decide(m, 'submit')));
    if (canWrite && s === 'pending') actions.append(actionButton(t('ct_withdraw'), 'withdraw', () => decide(m, 'withdraw')));
    if (canWrite) actions.append(actionButton(t('ct_edit'), 'edit', () => editDialog(m)));
    if (canWrite && m.kind === 'program') actions.append(el('a', { className: 'button', href: '/programs?id=' + m.id }, t('ct_program_edit')));
    if (canWrite && m.kind !== 'text' && m.kind !== 'program') actions.append(actionButton(t('ct_replace'), 'replace', () => replaceFile(m, art)));
    if (canWrite && (s === 'draft' || s === 'pending' || s === 'rejected')) actions.append(actionButton(t('ct_delete'), 'delete', () => remove(m)));
    if (approver && m.approved) actions.append(actionButton(t('urgent_send'), 'urgent', () => urgentDialog(m), 'urgent'));
    return art;
  }

  // ---- actions
  async function decide(m, action, payload) {
    try {
      await api('POST', '/media/' + m.id + '/' + action, payload);
      say(t('done_' + action) + ': ' + m.title, 'ok');
      await load();
    } catch (err) {
      fail(err);
    }
  }

  async function rejectDialog(m) {
    const reason = el('textarea', { name: 'reason', rows: 4, maxLength: 1000, required: true });
    const v = await pano.dialog(t('ct_reject_title') + ': ' + m.title, [
      el('p', { className: 'note' }, t('ct_reject_help')),
      el('label', {}, t('reject_reason'), reason),
    ], [{ label: t('reject'), value: 'reject', kind: 'submit' }]);
    if (v !== 'reject' || !reason.value.trim()) return;
    await decide(m, 'reject', { reason: reason.value.trim() });
  }

  async function remove(m) {
    if (!(await pano.confirm(t('ct_delete_title'), t('ct_delete_text') + ' «' + m.title + '»', t('ct_delete')))) return;
    try {
      await api('DELETE', '/media/' + m.id);
      say(t('ct_deleted') + ': ' + m.title, 'ok');
      await load();
    } catch (err) {
      fail(err);
    }
  }

  async function editDialog(m) {
    const title = el('input', { name: 'title', maxLength: 200, required: true, value: m.title });
    const csel = el('select', { name: 'campaign_id' }), tsel = el('select', { name: 'theme_id' });
    fillCampaigns(csel, tsel, m.campaign_id, m.theme_id);
    const vfrom = el('input', { type: 'date', name: 'valid_from', value: m.valid_from || '' });
    const vuntil = el('input', { type: 'date', name: 'valid_until', value: m.valid_until || '' });
    const nodes = [el('label', {}, t('notice_title'), title), el('label', {}, t('ct_campaign'), csel), el('label', {}, t('ct_theme'), tsel),
      el('div', { className: 'ct-row' }, el('label', {}, t('ct_valid_from'), vfrom), el('label', {}, t('ct_valid_until'), vuntil)),
      el('p', { className: 'note' }, t('ct_valid_hint'))];
    let body = null;
    if (m.kind === 'text') {
      body = el('textarea', { name: 'body', rows: 5, maxLength: 2000, required: true, value: m.current.body });
      nodes.push(el('label', {}, t('notice_body'), body));
    }
    if (m.status === 'approved') nodes.push(el('p', { className: 'note' }, t('ct_edit_approved')));
    const v = await pano.dialog(t('ct_edit') + ': ' + m.title, nodes, [{ label: t('ct_save'), value: 'save', kind: 'submit' }]);
    if (v !== 'save') return;
    const patch = { campaign_id: Number(csel.value) || 0, theme_id: Number(tsel.value) || 0 };
    if (vfrom.value !== (m.valid_from || '')) patch.valid_from = vfrom.value;
    if (vuntil.value !== (m.valid_until || '')) patch.valid_until = vuntil.value;
    if (title.value.trim() !== m.title) patch.title = title.value.trim();
    if (body && body.value.trim() !== m.current.body) patch.body = body.value.trim();
    try {
      await api('PATCH', '/media/' + m.id, patch);
      say(t('ct_saved') + ': ' + (patch.title || m.title), 'ok');
      await load();
    } catch (err) {
      fail(err);
    }
  }

  // replaceFile uploads a new file for an image or video, with its
  // progress in the card.
  function replaceFile(m, art) {
    const input = el('input', { type: 'file', accept: 'image/*,video/*', hidden: true });
    art.append(input);
    input.addEventListener('change', async () => {
      const f = input.files[0];
      input.remove();
      if (!f) return;
      const row = uploadRow(f, art);
      const form = new FormData();
      form.append('file', f);
      try {
        const r = await pano.upload('/media/' + m.id + '/file', form, row.progress);
        row.sent(r.data, () => load().catch(fail));
      } catch (err) {
        row.error(err);
      }
    });
    input.click();
  }

  // ---- upload: drop zone or picker, one row per file
  const upList = document.getElementById('up-list');
  const kb = (n) => (n < 1048576 ? Math.ceil(n / 1024) + ' KB' : (n / 1048576).toLocaleString(pano.locale, { maximumFractionDigits: 1 }) + ' MB');

  // uploadRow is the row of one file: bytes sent, then processing, then
  // done or an error in words.
  function uploadRow(file, into) {
    const bar = el('progress', { max: 100, value: 0 });
    const state = el('span', { className: 'ct-up-state' }, t('ct_sending') + ' 0 %');
    const li = el(into ? 'div' : 'li', { className: 'ct-up' }, el('strong', {}, file.name), ' ', el('span', { className: 'note' }, kb(file.size)), bar, state);
    li.dataset.file = file.name;
    (into || upList).append(li);
    return {
      li,
      progress(sent, total) {
        const pct = total ? Math.floor((sent / total) * 100) : 0;
        bar.value = pct;
        li.dataset.sent = String(sent);
        li.dataset.phase = 'sending';
        state.textContent = t('ct_sending') + ' ' + pct + ' % (' + kb(sent) + ' / ' + kb(total) + ')';
      },
      sent(m, after) {
        li.dataset.id = m.id;
        const finish = (x, err) => {
          if (err) { this.error(err); return; }
          if (x.current.processing === 'failed') {
            li.dataset.phase = 'error';
            li.classList.add('error');
            state.textContent = t('ct_processing_failed');
          } else {
            li.dataset.phase = 'done';
            bar.value = 100;
            state.textContent = t('ct_upload_done');
          }
          if (after) after(x);
        };
        if (m.current.processing !== 'processing') { finish(m); return; }
        li.dataset.phase = 'processing';
        const step = (x) => {
          bar.value = x.current.processing_progress;
          const each = (x.current.renditions || []).map((r) => r.width + '×' + r.height + ': ' + (r.status === 'ready' ? t('ct_done') : r.status === 'failed' ? t('ct_failed') : r.progress + ' %')).join(' · ');
          state.textContent = t('ct_processing') + ' ' + x.current.processing_progress + ' %' + (each ? ' — ' + each : '');
        };
        step(m);
        watch(m.id, step, finish);
      },
      error(err) {
        li.dataset.phase = 'error';
        li.classList.add('error');
        state.textContent = t('ct_upload_failed') + ': ' + errText(err);
      },
    };
  }

  async function uploadOne(file) {
    const row = uploadRow(file);
    const form = new FormData();
    // The API reads the fields before the file part.
    form.append('title', file.name.replace(/\.[^.]*$/, '') || file.name);
    const c = document.getElementById('up-campaign').value, th = document.getElementById('up-theme').value;
    if (c) form.append('campaign_id', c);
    if (th) form.append('theme_id', th);
    const vf = document.getElementById('up-valid-from').value, vu = document.getElementById('up-valid-until').value;
    if (vf) form.append('valid_from', vf);
    if (vu) form.append('valid_until', vu);
    form.append('file', file);
    try {
      const r = await pano.upload('/media', form, row.progress);
      row.progress(file.size, file.size);
      row.sent(r.data, () => load().catch(fail));
      await load();
    } catch (err) {
      row.error(err);
    }
  }

  // Two at a time: the controller checks and renders each while it waits.
  async function uploadAll(files) {
    const queue = [...files];
    const worker = async () => { while (queue.length) await uploadOne(queue.shift()); };
    await Promise.all([worker(), worker()]);
  }

  if (writer) {
    document.getElementById('program-tools').hidden = false;
    document.getElementById('upload').hidden = false;
    const drop = document.getElementById('drop');
    const pick = document.getElementById('up-files');
    pick.addEventListener('change', () => { const fs = [...pick.files]; pick.value = ''; uploadAll(fs); });
    // The browser's own file button would speak its own language.
    document.getElementById('up-pick').addEventListener('click', () => pick.click());
    drop.addEventListener('dragover', (ev) => { ev.preventDefault(); drop.classList.add('over'); });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (ev) => {
      ev.preventDefault();
      drop.classList.remove('over');
      uploadAll([...ev.dataTransfer.files]);
    });
  }

  // ---- the text-notice composer, with a live preview per panel
  const form = document.getElementById('notice-form');
  const previewBox = document.getElementById('notice-preview');
  function noticeStyle(f) {
    const s = { color: f.get('color'), title_color: f.get('title_color'), background: f.get('background'), align: f.get('align'), hide_title: f.get('hide_title') === 'on' };
    if (f.get('ticker') === 'on') s.ticker = { pixels_per_second: Number(f.get('pps')) || 0 };
    return s;
  }
  // One preview request at a time: a newer one aborts the one before,
  // so typing never piles up drawing work on the controller.
  let previewSeq = 0, previewTimer = 0, previewAbort = null;
  async function previewNotice() {
    const f = new FormData(form);
    const seq = ++previewSeq;
    if (previewAbort) previewAbort.abort();
    previewAbort = null;
    if (!String(f.get('body')).trim() && !String(f.get('title')).trim()) {
      previewBox.replaceChildren(el('p', { className: 'note' }, t('ct_preview_type')));
      return;
    }
    const ac = new AbortController();
    previewAbort = ac;
    let r;
    try {
      r = await api('POST', '/media/preview-text', {
        title: f.get('hide_title') === 'on' ? '' : f.get('title'), body: f.get('body'), style: noticeStyle(f),
        geometries: geoms.map((g) => ({ width: g.width, height: g.height, fit: g.fit })),
      }, { signal: ac.signal });
    } catch (err) {
      if (seq === previewSeq && !ac.signal.aborted) previewBox.replaceChildren(el('p', { className: 'error' }, errText(err)));
      return;
    } finally {
      if (previewAbort === ac) previewAbort = null;
    }
    if (seq !== previewSeq || !r.data) return; // a newer preview is on its way
    const figs = [];
    const scale = panoPanel.sizer(geoms, 400, 200, 96);
    for (let i = 0; i < r.data.items.length; i++) {
      const p = r.data.items[i], g = geoms[i];
      const warn = el('span', { className: 'ct-warn' }, previewWarning(p, true));
      const f2 = figure(g, scale(g), warn);
      f2.fig.dataset.ticker = p.ticker ? '1' : '0';
      f2.fig.dataset.small = p.small ? '1' : '0';
      figs.push(f2.fig);
      if (p.error) {
        f2.fig.dataset.error = p.error.code;
        f2.view.blank();
        continue;
      }
      f2.fig.dataset.paged = p.paged ? String(p.pages.length) : '0';
      showTextPreview(f2.view, p);
    }
    previewBox.replaceChildren(...figs);
  }
  if (writer) {
    form.hidden = false;
    form.addEventListener('input', () => {
      clearTimeout(previewTimer);
      previewTimer = setTimeout(previewNotice, 350);
      const m = document.getElementById('msg');
      if (m.classList.contains('error')) say(''); // an error about the text before this edit no longer holds
    });
    form.addEventListener('change', () => { clearTimeout(previewTimer); previewTimer = setTimeout(previewNotice, 150); });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const f = new FormData(form);
      const andSubmit = ev.submitter && ev.submitter.value === 'submit';
      const until = form.querySelector('[name=valid_until]');
      if (f.get('valid_from') && f.get('valid_until') && f.get('valid_until') < f.get('valid_from')) {
        until.setAttribute('aria-invalid', 'true');
        until.focus();
        say(t('error') + ': ' + t('ct_v_valid_order'), 'error');
        return;
      }
      until.removeAttribute('aria-invalid');
      try {
        const r = await api('POST', '/media', {
          kind: 'text', title: f.get('title'), body: f.get('body'), style: noticeStyle(f),
          campaign_id: Number(f.get('campaign_id')) || null, theme_id: Number(f.get('theme_id')) || null,
          valid_from: f.get('valid_from') || '', valid_until: f.get('valid_until') || '',
        });
        if (andSubmit) await api('POST', '/media/' + r.data.id + '/submit');
        form.reset();
        form.querySelector('select[name=campaign_id]').dispatchEvent(new Event('change'));
        previewBox.replaceChildren(el('p', { className: 'note' }, t('ct_preview_type')));
        say((andSubmit ? t('ct_notice_submitted') : t('notice_created')) + ': ' + r.data.title, 'ok');
        await load();
      } catch (err) {
        fail(err);
      }
    });
  }

  // liveProgram shows a program as the panel shows it now, asked of the
  // controller each second (its clock turns, its tickers move) while the
  // view is on the page.
  function liveProgram(m, g, view, note) {
    const t0 = Date.now();
    let busy = false;
    const step = async () => {
      if (!view.canvas.isConnected && Date.now() - t0 > 3000) return;
      if (!busy && view.canvas.isConnected) {
        busy = true;
        try {
          const b = await pano.blob('/media/' + m.id + '/preview?' + qs(g) + '&elapsed_ms=' + ((Date.now() - t0) % 86400000));
          view.show(await createImageBitmap(b));
          note.textContent = t('ct_program_live');
        } catch (err) {
          note.textContent = err.code === 'program_not_ready' ? t('ct_program_retrying') : errText(err);
        } finally {
          busy = false;
        }
      }
      setTimeout(step, 1000 - (Date.now() % 1000) + 40);
    };
    step();
  }

  // ---- details: every panel's preview, larger; videos play
  async function details(m) {
    let full = m;
    try { full = (await api('GET', '/media/' + m.id)).data; } catch (err) { fail(err); return; }
    const box = el('div', { className: 'ct-previews big' });
    const views2 = [];
    const scale = panoPanel.sizer(geoms, 560, 280, 128);
    for (const g of geoms) {
      const note = el('span', { className: 'note ct-note' });
      const f = figure(g, scale(g), note);
      views2.push(f.view);
      box.append(f.fig);
      if (full.kind === 'program') {
        liveProgram(full, g, f.view, note);
      } else if (full.kind === 'video' && full.current.processing === 'ready') {
        playVideo(full, g, f.view, note).catch(async (err) => {
          await showPreview(full, g, f.view, note);
          note.textContent = t('ct_video_first_frame') + (err.status ? ' (' + errText(err) + ')' : '');
        });
      } else {
        showPreview(full, g, f.view, note);
      }
    }
    const info = el('dl', { className: 'ct-info' },
      el('dt', {}, t('col_status')), el('dd', {}, statusChip(full)),
      el('dt', {}, t('col_kind')), el('dd', {}, t('kind_' + full.kind)),
      el('dt', {}, t('col_created')), el('dd', {}, time(full.created_at)));
    if (full.kind !== 'text' && full.current.original_name) info.append(el('dt', {}, t('ct_file')), el('dd', {}, full.current.original_name + ' · ' + kb(full.current.bytes)));
    if (full.current.duration_ms) info.append(el('dt', {}, t('ct_duration')), el('dd', {}, pano.duration(full.current.duration_ms / 1000)));
    const d = el('dialog', { className: 'ct-details' });
    const close = el('button', { type: 'button' }, t('ct_close'));
    close.addEventListener('click', () => d.close());
    d.append(el('h3', {}, full.title), info, reasonLine(full), full.kind === 'text' ? el('p', { className: 'ct-body' }, full.current.body) : '', box,
      el('div', { className: 'actions' }, close));
    d.addEventListener('close', () => { for (const v of views2) v.stop(); d.remove(); });
    document.body.append(d);
    d.showModal();
    close.focus();
  }

  // ---- urgent notices
  function targetChoice(name, items, label) {
    const boxes = items.map((x) => el('label', { className: 'ct-check' }, el('input', { type: 'checkbox', name, value: x.id }), ' ', label(x)));
    return el('fieldset', { className: 'ct-targets', hidden: true }, ...boxes);
  }

  function reachOf(mode, ids) {
    if (mode === 'all') return displays;
    if (mode === 'groups') return displays.filter((d) => d.group_id && ids.includes(d.group_id));
    return displays.filter((d) => ids.includes(d.id));
  }

  // urgentStyle is how a notice typed for an urgent notice is drawn: white
  // on dark red, the title amber (as CAP alerts are).
  const urgentStyle = { color: '#ffffff', title_color: '#ffd200', background: '#8b0000', align: 'center' };

  // urgentPreview draws what the screens will show into box: a text typed
  // now (through the text preview, as the pipeline will draw it) or an
  // approved media's renditions.
  let urgentSeq = 0;
  async function urgentPreview(box, src) {
    const seq = ++urgentSeq;
    const scale = panoPanel.sizer(geoms, 240, 120, 64);
    if (src.media) {
      box.replaceChildren(...geoms.map((g) => {
        const f = figure(g, scale(g));
        showPreview(src.media, g, f.view);
        return f.fig;
      }));
      return;
    }
    if (!src.body.trim()) {
      box.replaceChildren(el('p', { className: 'note' }, t('ct_preview_type')));
      return;
    }
    let r;
    try {
      r = await api('POST', '/media/preview-text', { title: src.title, body: src.body, style: urgentStyle,
        geometries: geoms.map((g) => ({ width: g.width, height: g.height, fit: g.fit })) });
    } catch (err) {
      if (seq === urgentSeq) box.replaceChildren(el('p', { className: 'error' }, errText(err)));
      return;
    }
    if (seq !== urgentSeq) return; // a newer text is being drawn
    box.replaceChildren(...r.data.items.map((p, i) => {
      const g = geoms[i];
      const warn = el('span', { className: 'ct-warn' }, previewWarning(p, false));
      const f = figure(g, scale(g), warn);
      if (!p.error) showTextPreview(f.view, p);
      else f.view.blank();
      return f.fig;
    }));
  }

  // previewWarning says what a text will do on one panel: page, scroll,
  // or stand in the smallest letters (ticker: also say a chosen ticker).
  function previewWarning(p, ticker) {
    if (p.error) return pano.has('err_' + p.error.code) ? t('err_' + p.error.code) : t('err_error');
    if (p.paged) {
      const secs = p.page_seconds.reduce((a, b) => a + b, 0);
      return t('ct_warn_pages').replace('{n}', p.pages.length).replace('{s}', secs);
    }
    if (p.auto_ticker) return t('ct_warn_ticker');
    if (p.small) return t('ct_warn_small') + ' (' + p.text_px + ' ' + t('ct_px') + ')';
    if (ticker && p.ticker) return t('ct_is_ticker');
    return '';
  }

  // showTextPreview shows a text preview on a panel view: a still, a ticker
  // strip, or pages (each held for its seconds, one frame a second).
  async function showTextPreview(view, p) {
    const bitmap = (b64) => createImageBitmap(new Blob([Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0))], { type: 'image/png' }));
    if (p.paged) {
      const pages = await Promise.all(p.pages.map(bitmap));
      const frames = [];
      pages.forEach((pg, i) => { for (let k = 0; k < p.page_seconds[i]; k++) frames.push(pg); });
      view.show(null, { frames, fps: 1 });
      return;
    }
    view.show(await bitmap(p.png), { pps: p.ticker_pixels_per_second });
  }

  // endsAt reads a datetime-local value as a time of the display time zone.
  const endsAt = (v) => v + ':00' + pano.dates.midnight(v.slice(0, 10)).slice(19);

  // urgentDialog sends an urgent notice: media m, or (m null) a text the
  // approver types now or an approved media picked here; to every screen,
  // some groups or some screens (one is enough); for some minutes or until
  // a time.
  async function urgentDialog(m) {
    let mode = 'all', chosen = [], minutes = 30, how = 'minutes', until = '';
    let src = m ? 'media' : 'text', title = '', body = '', pick = m ? m.id : 0;
    const approved = m ? [m] : (await api('GET', '/media?status=approved&sort=created_at&order=desc&limit=200')).data.items;
    for (;;) {
      const radios = ['all', 'groups', 'displays'].map((v) => {
        const r = el('input', { type: 'radio', name: 'target', value: v, checked: v === mode });
        return { v, r, l: el('label', { className: 'ct-check' }, r, ' ', t('ct_target_' + v)) };
      });
      const groupSet = targetChoice('group', groups, (g) => g.name + ' (' + displays.filter((d) => d.group_id === g.id).length + ' ' + t('ct_screens') + ')');
      const displaySet = targetChoice('display', displays, (d) => d.name + ' (' + d.width + '×' + d.height + ')');
      const sets = { groups: groupSet, displays: displaySet };
      for (const [k, s] of Object.entries(sets)) {
        for (const cb of s.querySelectorAll('input')) cb.checked = mode === k && chosen.includes(Number(cb.value));
      }
      const sync = () => {
        const v = radios.find((x) => x.r.checked).v;
        groupSet.hidden = v !== 'groups';
        displaySet.hidden = v !== 'displays';
      };
      for (const x of radios) x.r.addEventListener('change', sync);
      sync();

      // What: a text typed now, or approved content.
      const prev = el('div', { className: 'ct-previews' });
      const titleIn = el('input', { name: 'urgent_title', maxLength: 200, value: title, autocomplete: 'off' });
      const bodyIn = el('textarea', { name: 'urgent_text', rows: 3, maxLength: 2000, value: body });
      const mediaSel = el('select', { name: 'urgent_media' }, el('option', { value: '' }, t('ct_urgent_pick_none')),
        ...approved.map((x) => el('option', { value: x.id, selected: x.id === pick }, x.title)));
      const srcRadios = ['text', 'media'].map((v) => {
        const r = el('input', { type: 'radio', name: 'urgent_src', value: v, checked: v === src });
        return { v, r, l: el('label', { className: 'ct-check' }, r, ' ', t('ct_urgent_src_' + v)) };
      });
      const textBox = el('div', { className: 'ct-urgent-text' }, el('label', {}, t('ct_urgent_text_title'), titleIn), el('label', {}, t('ct_urgent_text'), bodyIn));
      const mediaBox = el('label', { className: 'ct-urgent-media' }, t('ct_urgent_pick'), mediaSel);
      const current = () => {
        const s2 = srcRadios.find((x) => x.r.checked).v;
        return s2 === 'media' ? { media: approved.find((x) => x.id === Number(mediaSel.value)) || null, title: '', body: '' }
          : { media: null, title: titleIn.value.trim(), body: bodyIn.value };
      };
      let timer = 0;
      const redraw = (wait) => {
        clearTimeout(timer);
        const c = current();
        timer = setTimeout(() => {
          if (c.media === null && srcRadios.find((x) => x.r.checked).v === 'media') prev.replaceChildren(el('p', { className: 'note' }, t('ct_urgent_pick_none')));
          else urgentPreview(prev, c).catch(() => {});
        }, wait);
      };
      const syncSrc = () => {
        const s2 = srcRadios.find((x) => x.r.checked).v;
        textBox.hidden = s2 !== 'text';
        mediaBox.hidden = s2 !== 'media';
        redraw(0);
      };
      for (const x of srcRadios) x.r.addEventListener('change', syncSrc);
      titleIn.addEventListener('input', () => redraw(350));
      bodyIn.addEventListener('input', () => redraw(350));
      mediaSel.addEventListener('change', () => redraw(0));
      syncSrc();
      const what = m ? [] : [el('fieldset', {}, el('legend', {}, t('ct_urgent_what')), ...srcRadios.map((x) => x.l)), textBox, mediaBox];

      // How long: minutes, or until a time.
      const mins = el('input', { type: 'number', name: 'minutes', min: 1, max: 1440, value: minutes });
      const untilIn = el('input', { type: 'datetime-local', name: 'until', value: until });
      const howRadios = ['minutes', 'until'].map((v) => {
        const r = el('input', { type: 'radio', name: 'urgent_how', value: v, checked: v === how });
        return { v, r };
      });
      const syncHow = () => {
        const h = howRadios.find((x) => x.r.checked).v;
        mins.disabled = h !== 'minutes';
        untilIn.disabled = h !== 'until';
      };
      for (const x of howRadios) x.r.addEventListener('change', syncHow);
      syncHow();
      mins.setAttribute('aria-label', t('ct_minutes'));
      untilIn.setAttribute('aria-label', t('ct_urgent_until_at'));
      const howSet = el('fieldset', { className: 'ct-urgent-how' }, el('legend', {}, t('ct_urgent_how')),
        el('label', { className: 'ct-check' }, howRadios[0].r, ' ', t('ct_urgent_for_minutes')), mins,
        el('label', { className: 'ct-check' }, howRadios[1].r, ' ', t('ct_urgent_until_at')), untilIn);

      const err = el('p', { className: 'error', role: 'alert' });
      if (mode !== 'all' && chosen.length === 0 && minutes) err.textContent = t('ct_target_none');
      const v = await pano.dialog(m ? t('ct_urgent_title') + ': ' + m.title : t('ct_urgent_title'), [
        ...what,
        el('fieldset', {}, el('legend', {}, t('ct_target')), ...radios.map((x) => x.l)), groupSet, displaySet,
        howSet, el('h4', {}, t('ct_urgent_preview')), prev, err,
      ], [{ label: t('ct_next'), value: 'next', kind: 'submit' }]);
      clearTimeout(timer);
      urgentSeq++;
      if (v !== 'next') return;
      mode = radios.find((x) => x.r.checked).v;
      src = srcRadios.find((x) => x.r.checked).v;
      title = titleIn.value.trim();
      body = bodyIn.value.trim();
      pick = Number(mediaSel.value) || 0;
      how = howRadios.find((x) => x.r.checked).v;
      minutes = Number(mins.value);
      until = untilIn.value;
      chosen = mode === 'all' ? [] : [...sets[mode].querySelectorAll('input:checked')].map((cb) => Number(cb.value));
      if (mode !== 'all' && chosen.length === 0) continue;
      if (src === 'text' && !body) { say(t('ct_urgent_text_none'), 'error'); continue; }
      if (src === 'media' && !pick) { say(t('ct_urgent_pick_none'), 'error'); continue; }
      if (how === 'until' && !until) { say(t('ct_urgent_until_none'), 'error'); continue; }
      if (how === 'minutes' && !(minutes >= 1 && minutes <= 1440)) { say(t('err_minutes_range').replace('{min}', 1).replace('{max}', 1440), 'error'); continue; }
      say('');
      const reach = reachOf(mode, chosen);
      const endISO = how === 'until' ? endsAt(until) : new Date(Date.now() + minutes * 60000).toISOString();
      const label = src === 'text' ? (title || body.slice(0, 60)) : (approved.find((x) => x.id === pick) || { title: '' }).title;
      const ok = await pano.dialog(t('ct_urgent_confirm'), [
        el('p', { className: 'ct-confirm' }, t('ct_urgent_will') + ' ', el('strong', {}, String(reach.length) + ' ' + t('ct_screens')), ' ' + t('urgent_until') + ' ' + time(endISO) + '.'),
        el('p', { className: 'note' }, reach.map((d) => d.name).join(', ') || t('ct_urgent_nobody')),
        el('p', {}, '«' + label + '»'),
      ], [{ label: t('ct_urgent_go'), value: 'go', kind: 'danger' }]);
      if (ok !== 'go') return;
      const req = { every_display: mode === 'all' };
      if (src === 'text') Object.assign(req, { text: body, title, style: urgentStyle });
      else req.media_id = pick;
      if (how === 'until') req.ends_at = endISO;
      else req.minutes = minutes;
      if (mode === 'groups') req.group_ids = chosen;
      if (mode === 'displays') req.display_ids = chosen;
      try {
        await api('POST', '/urgent-notices', req);
        say(t('urgent_sent') + ': ' + label, 'ok');
        await loadUrgent();
        pano.showUrgent();
      } catch (e) {
        fail(e);
      }
      return;
    }
  }

  function targetText(n) {
    if (n.every_display) return t('ct_target_all');
    const parts = [];
    if (n.group_ids.length) parts.push(t('group') + ': ' + n.group_ids.map((id) => (groups.find((g) => g.id === id) || { name: '#' + id }).name).join(', '));
    if (n.display_ids.length) parts.push(t('ct_screens_named') + ': ' + n.display_ids.map((id) => (displays.find((d) => d.id === id) || { name: '#' + id }).name).join(', '));
    return parts.join('; ');
  }

  // loadUrgent lists the urgent notices on screens now; approvers stop
  // them, compose new ones, and publish or dismiss CAP alerts waiting for
  // them.
  async function loadUrgent() {
    const r = await api('GET', '/urgent-notices?live=true');
    const box = document.getElementById('urgent');
    box.hidden = r.data.items.length === 0;
    box.querySelector('ul').replaceChildren(...r.data.items.map((n) => {
      const name = n.title || n.text;
      const li = el('li', {}, el('strong', {}, name), ' — ' + targetText(n) + ' (' + n.displays + ' ' + t('ct_screens') + ', ' + t('urgent_until') + ' ' + time(n.ends_at) + ') ');
      if (n.title && n.text) li.append(el('span', { className: 'note ct-urgent-text' }, n.text.length > 120 ? n.text.slice(0, 119) + '…' : n.text), ' ');
      li.dataset.id = n.id;
      if (approver) {
        const b = el('button', { type: 'button', className: 'danger' }, t('urgent_cancel'));
        b.addEventListener('click', async () => {
          if (!(await pano.confirm(t('ct_stop_title'), t('ct_stop_text') + ' «' + name + '»', t('urgent_cancel')))) return;
          try {
            await api('POST', '/urgent-notices/' + n.id + '/cancel');
            say(t('urgent_cancelled') + ': ' + name, 'ok');
            await loadUrgent();
            pano.showUrgent();
          } catch (err) {
            fail(err);
          }
        });
        li.append(b);
      }
      return li;
    }));
    if (pano.may('listCAPAlerts')) await loadWaiting();
  }

  // loadWaiting lists the CAP alerts waiting for an approver.
  const capWord = (prefix, v) => (!v ? '' : pano.has(prefix + v) ? t(prefix + v) : t('cap_unknown'));
  async function loadWaiting() {
    const r = await api('GET', '/cap-alerts?state=waiting');
    const box = document.getElementById('cap-waiting');
    box.hidden = r.data.items.length === 0;
    box.querySelector('ul').replaceChildren(...r.data.items.map((a) => {
      const where = [...a.group_ids.map((id) => (groups.find((g) => g.id === id) || { name: '#' + id }).name),
        ...a.display_ids.map((id) => (displays.find((d) => d.id === id) || { name: '#' + id }).name)].join(', ');
      const name = a.title || a.event;
      const li = el('li', {}, el('strong', {}, name), ' — ' + a.body + ' ',
        el('span', { className: 'note' }, '(' + [capWord('cap_sev_', a.severity), where, a.expires_at ? t('cap_until') + ' ' + time(a.expires_at) : ''].filter(Boolean).join(' · ') + ') '));
      li.dataset.id = a.id;
      const decide = async (how) => {
        if (how === 'publish' && !(await pano.confirm(t('cap_publish_q'), name + ' → ' + where, t('cap_publish')))) return;
        try {
          await api('POST', '/cap-alerts/' + a.id + '/' + how);
          say(t(how === 'publish' ? 'cap_published' : 'cap_dismissed') + ': ' + name, 'ok');
          await loadUrgent();
          pano.showUrgent();
        } catch (err) {
          fail(err);
        }
      };
      const pub = el('button', { type: 'button', className: 'danger' }, t('cap_publish'));
      pub.addEventListener('click', () => decide('publish'));
      const dis = el('button', { type: 'button' }, t('cap_dismiss'));
      dis.addEventListener('click', () => decide('dismiss'));
      li.append(pub, ' ', dis);
      return li;
    }));
  }

  if (approver) {
    document.getElementById('urgent-tools').hidden = false;
    document.getElementById('urgent-compose').addEventListener('click', () => urgentDialog(null).catch(fail));
  }

  // ---- lists
  const filter = document.getElementById('filter-status');
  filter.addEventListener('change', () => load().catch(fail));

  async function load() {
    loadUrgent().catch(fail);
    const st = filter.value;
    const r = await api('GET', '/media?sort=created_at&order=desc&limit=200' + (st ? '&status=' + st : ''));
    const lib = document.getElementById('media');
    lib.replaceChildren(...r.data.items.map((m) => card(m, false)));
    if (r.data.items.length === 0) lib.append(el('p', { className: 'note' }, t('no_media')));
    if (approver) {
      const q = await api('GET', '/media?status=pending&sort=created_at&order=asc&limit=200');
      const sec = document.getElementById('queue');
      sec.hidden = false;
      const items = sec.querySelector('.ct-items');
      items.replaceChildren(...q.data.items.map((m) => card(m, true)));
      if (q.data.items.length === 0) items.append(el('p', { className: 'note' }, t('ct_queue_empty')));
    }
  }

  await loadRefs();
  for (const csel of document.querySelectorAll('select.ct-campaign')) {
    fillCampaigns(csel, csel.closest('.ct-row').querySelector('select.ct-theme'));
  }
  // Text typed before the panel sizes were known was previewed on none.
  if (writer) previewNotice().catch(fail);
  await load();
  if (location.hash === '#urgent') document.getElementById('urgent').scrollIntoView();
});
