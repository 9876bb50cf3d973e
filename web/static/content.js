// content.js: the Nội dung page: media with their approval state; approvers
// approve or reject pending ones, editors compose text notices and submit.
'use strict';

pano.start(async (user) => {
  const { t, api, el, time, say } = pano;
  const tbody = document.querySelector('#media tbody');
  const writer = user.role === 'editor' || user.role === 'approver';
  const approver = user.role === 'approver';

  async function act(m, action) {
    let payload;
    if (action === 'reject') {
      const reason = window.prompt(t('reject_reason'));
      if (reason === null || reason.trim() === '') return;
      payload = { reason: reason.trim() };
    }
    try {
      await api('POST', '/media/' + m.id + '/' + action, payload);
      say(t('done_' + action) + ': ' + m.title, 'ok');
      await load();
    } catch (err) {
      pano.fail(err);
    }
  }

  function button(m, action) {
    const b = el('button', { type: 'button' }, t(action));
    b.dataset.action = action;
    b.addEventListener('click', () => act(m, action));
    return b;
  }

  function row(m) {
    const img = el('img', { className: 'thumb', alt: '', src: '/api/v1/media/' + m.id + '/thumbnail' });
    img.addEventListener('error', () => { img.hidden = true; });
    const status = el('span', { className: 'status ' + m.status }, t('status_' + m.status));
    if (m.status === 'rejected' && m.current.reject_reason) status.title = m.current.reject_reason;
    const actions = el('td', { className: 'actions' });
    if (approver && m.status === 'pending') actions.append(button(m, 'approve'), button(m, 'reject'));
    if (approver && m.approved) {
      const b = el('button', { type: 'button', className: 'urgent' }, t('urgent_send'));
      b.addEventListener('click', () => sendUrgent(m));
      actions.append(b);
    }
    if (writer && (m.status === 'draft' || m.status === 'rejected')) actions.append(button(m, 'submit'));
    const tr = el('tr', {}, el('td', {}, img), el('td', {}, m.title), el('td', {}, t('kind_' + m.kind)),
      el('td', {}, status), el('td', {}, time(m.created_at)), actions);
    tr.dataset.id = m.id;
    return tr;
  }

  async function sendUrgent(m) {
    const minutes = window.prompt(t('urgent_minutes'), '30');
    if (minutes === null) return;
    try {
      await api('POST', '/urgent-notices', { media_id: m.id, minutes: Number(minutes) });
      say(t('urgent_sent') + ': ' + m.title, 'ok');
      await loadUrgent();
    } catch (err) {
      pano.fail(err);
    }
  }

  // loadUrgent lists the urgent notices on screens now; approvers can stop them.
  async function loadUrgent() {
    const r = await api('GET', '/urgent-notices?live=true');
    const box = document.getElementById('urgent');
    box.hidden = r.data.items.length === 0;
    box.querySelector('ul').replaceChildren(...r.data.items.map((n) => {
      const li = el('li', {}, n.title + ' (' + t('urgent_until') + ' ' + time(n.ends_at) + ') ');
      if (approver) {
        const b = el('button', { type: 'button' }, t('urgent_cancel'));
        b.addEventListener('click', async () => {
          try {
            await api('POST', '/urgent-notices/' + n.id + '/cancel');
            say(t('urgent_cancelled') + ': ' + n.title, 'ok');
            await loadUrgent();
          } catch (err) {
            pano.fail(err);
          }
        });
        li.append(b);
      }
      return li;
    }));
  }

  async function load() {
    loadUrgent().catch(pano.fail);
    const r = await api('GET', '/media?sort=created_at&order=desc&limit=200');
    tbody.replaceChildren(...r.data.items.map(row));
    if (r.data.items.length === 0) tbody.append(el('tr', {}, el('td', { colSpan: 6 }, t('no_media'))));
  }

  if (writer) {
    const form = document.getElementById('notice-form');
    form.hidden = false;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const f = new FormData(form);
      try {
        await api('POST', '/media', { kind: 'text', title: f.get('title'), body: f.get('body') });
        form.reset();
        say(t('notice_created'), 'ok');
        await load();
      } catch (err) {
        pano.fail(err);
      }
    });
  }
  if (writer) {
    const up = document.getElementById('upload-form');
    up.hidden = false;
    up.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const f = new FormData(up);
      // The API wants the fields before the file part.
      const body = new FormData();
      body.append('title', f.get('title'));
      body.append('file', f.get('file'));
      const btn = up.querySelector('button');
      btn.disabled = true;
      try {
        await pano.upload('/media', body);
        up.reset();
        say(t('uploaded'), 'ok');
        await load();
      } catch (err) {
        pano.fail(err);
      } finally {
        btn.disabled = false;
      }
    });
  }
  await load();
});
