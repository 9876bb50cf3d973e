// displays.js: the Màn hình page, one card per display, refreshed every 10 s
// from GET /displays; technicians get the remote commands.
'use strict';

pano.start(async (user) => {
  const { t, api, el, time } = pano;
  const box = document.getElementById('displays');
  const cards = new Map(); // display id → {root, fields, …}
  const commands = ['identify', 'blank', 'unblank', 'test_pattern', 'screenshot'];
  const rows = ['last_heartbeat', 'playing', 'plan_revision', 'fps', 'frozen', 'driver_state', 'clock_offset', 'sync', 'temperature', 'storage_error'];
  let groups = new Map();

  // loadShot fetches the latest screenshot past the browser's cache (the
  // API takes no cache-busting query) and shows it as a blob: URL.
  async function loadShot(c) {
    let r;
    try {
      r = await fetch('/api/v1/displays/' + c.id + '/screenshot', { credentials: 'same-origin', cache: 'no-store' });
    } catch {
      return;
    }
    if (!r.ok) {
      c.shot.hidden = true;
      c.noShot.hidden = false;
      return;
    }
    const old = c.shot.src;
    c.shot.src = URL.createObjectURL(await r.blob());
    if (old) URL.revokeObjectURL(old);
  }

  async function command(c, name, btn) {
    const label = t('cmd_' + name);
    c.buttons.forEach((b) => { b.disabled = true; });
    c.msg.className = 'cardmsg';
    c.msg.textContent = label + '…';
    try {
      const r = await api('POST', '/displays/' + c.id + '/commands', { name, args: {} });
      if (r.data.pending) c.msg.textContent = label + ': ' + t('cmd_pending');
      else if (r.data.ok) {
        c.msg.textContent = label + ': ' + t('cmd_ok');
        c.msg.className = 'cardmsg ok';
        if (name === 'screenshot') await loadShot(c);
      } else {
        c.msg.textContent = label + ': ' + t('cmd_failed') + ' (' + r.data.error + ')';
        c.msg.className = 'cardmsg error';
      }
    } catch (err) {
      c.msg.textContent = label + ': ' + (err.code === 'offline' ? t('cmd_offline') : t('cmd_failed') + ' (' + err.message + ')');
      c.msg.className = 'cardmsg error';
    } finally {
      c.buttons.forEach((b) => { b.disabled = false; });
      btn.focus();
    }
  }

  function card(d) {
    const c = { id: d.id, fields: new Map(), buttons: [] };
    c.state = el('span', { className: 'state' });
    c.where = el('p', { className: 'where' });
    c.alert = el('p', { className: 'alert' });
    c.shot = el('img', { className: 'shot', alt: t('screenshot_alt'), hidden: true });
    c.noShot = el('p', { className: 'noshot' }, t('no_screenshot'));
    c.shot.addEventListener('load', () => { c.shot.hidden = false; c.noShot.hidden = true; });
    c.shot.addEventListener('error', () => { c.shot.hidden = true; c.noShot.hidden = false; });
    const dl = el('dl');
    for (const key of rows) {
      const dd = el('dd');
      dl.append(el('dt', {}, t(key)), dd);
      c.fields.set(key, dd);
    }
    c.bar = el('progress', { max: 1, value: 0 });
    c.msg = el('p', { className: 'cardmsg' });
    c.msg.setAttribute('role', 'status');
    c.root = el('article', { className: 'card' }, el('header', {}, el('h3', {}, d.name), c.state), c.alert, c.where, c.shot, c.noShot, dl);
    c.root.dataset.name = d.name;
    if (user.role === 'technician') {
      const bar = el('div', { className: 'actions' });
      for (const name of commands) {
        const b = el('button', { type: 'button' }, t('cmd_' + name));
        b.dataset.command = name;
        b.addEventListener('click', () => command(c, name, b));
        c.buttons.push(b);
        bar.append(b);
      }
      const enrol = el('button', { type: 'button' }, t('enrol_code'));
      enrol.addEventListener('click', async () => {
        try {
          const r = await api('POST', '/displays/' + c.id + '/enrollment-codes');
          c.msg.textContent = t('enrol_code') + ': ' + r.data.code + ' (' + t('enrol_code_valid') + ' ' + time(r.data.expires_at) + ')';
          c.msg.className = 'cardmsg ok code';
        } catch (err) {
          c.msg.textContent = t('enrol_code') + ': ' + err.message;
          c.msg.className = 'cardmsg error';
        }
      });
      bar.append(enrol);
      c.root.append(bar);
    }
    c.root.append(c.msg);
    loadShot(c);
    return c;
  }

  function update(c, d) {
    const a = d.agent;
    const h = (a && a.health) || null;
    c.state.textContent = d.online ? t('online') : t('offline');
    c.state.className = 'state ' + (d.online ? 'on' : 'off');
    const g = d.group_id ? groups.get(d.group_id) : '';
    c.where.textContent = t('location') + ': ' + (d.location || '—') + ' · ' + t('group') + ': ' + (g || t('no_group'));
    const f = (k, v) => { c.fields.get(k).textContent = v; };
    f('last_heartbeat', a ? time(a.last_heartbeat) : '—');
    if (!h) {
      for (const k of rows.slice(1)) f(k, '—');
      f('plan_revision', a ? String(a.plan_revision) : '—');
      return;
    }
    const why = { no_plan: t('fallback_no_plan'), no_entry: t('fallback_no_entry'), nothing_playable: t('fallback_nothing_playable') }[h.fallback_code];
    if (h.fallback) f('playing', t('fallback') + ': ' + (why || h.fallback));
    else if (h.current_item) f('playing', t('playing_item') + ' ' + h.current_item);
    else f('playing', t('none'));
    f('plan_revision', String(a.plan_revision));
    f('fps', h.achieved_fps.toFixed(1) + ' / ' + h.target_fps.toFixed(0));
    f('frozen', h.frozen ? t('yes') : t('no'));
    f('driver_state', h.driver_state + (h.driver_error ? ' (' + h.driver_error + ')' : ''));
    f('clock_offset', h.clock_offset_ms.toFixed(1) + ' ms');
    const sync = c.fields.get('sync');
    const total = h.sync_total_bytes;
    c.bar.max = total || 1;
    c.bar.value = total ? h.sync_done_bytes : 1;
    sync.replaceChildren(c.bar, ' ' + kib(h.sync_done_bytes) + ' / ' + kib(total));
    f('temperature', h.cpu_temp_c == null ? '—' : h.cpu_temp_c.toFixed(1) + ' °C');
    f('storage_error', h.storage_error || t('none'));
    c.fields.get('storage_error').className = h.storage_error ? 'error' : '';
  }

  const kib = (n) => (n / 1024).toFixed(0) + ' KiB';

  // showAlerts lists the open alerts above the cards and marks their cards.
  function showAlerts(items) {
    const open = items.filter((a) => !a.resolved);
    const box = document.getElementById('alerts');
    box.hidden = open.length === 0;
    box.querySelector('ul').replaceChildren(...open.map((a) =>
      el('li', {}, a.display + ': ' + t('alert_' + a.kind) + ' (' + t('alert_since') + ' ' + time(a.since) + ')')));
    for (const c of cards.values()) {
      const mine = open.filter((a) => a.display_id === c.id);
      c.root.classList.toggle('alerting', mine.length > 0);
      c.alert.textContent = mine.map((a) => t('alert_' + a.kind)).join(', ');
    }
  }

  async function refresh(first) {
    const [ds, gs, al] = await Promise.all([api('GET', '/displays'), api('GET', '/groups'), api('GET', '/alerts')]);
    groups = new Map(gs.data.items.map((g) => [g.id, g.name]));
    if (ds.data.items.length === 0) pano.say(t('no_displays'));
    for (const d of ds.data.items) {
      let c = cards.get(d.id);
      if (!c) {
        c = card(d);
        cards.set(d.id, c);
        box.append(c.root);
      } else if (!first) {
        loadShot(c);
      }
      update(c, d);
    }
    showAlerts(al.data.items);
  }

  if (user.role === 'technician') {
    const form = document.getElementById('display-form');
    const gs = await api('GET', '/groups');
    form.elements.group_id.replaceChildren(el('option', { value: '' }, t('no_group')),
      ...gs.data.items.map((g) => el('option', { value: g.id }, g.name)));
    form.hidden = false;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const f = new FormData(form);
      const d = { name: f.get('name'), location: f.get('location'), width: Number(f.get('width')), height: Number(f.get('height')), fit: f.get('fit'), profile: f.get('profile') };
      if (f.get('group_id')) d.group_id = Number(f.get('group_id'));
      try {
        await api('POST', '/displays', d);
        form.reset();
        pano.say(t('display_created') + ': ' + d.name, 'ok');
        await refresh(false);
      } catch (err) {
        pano.fail(err);
      }
    });
  }
  await refresh(true);
  setInterval(() => refresh(false).catch(pano.fail), 10000);
});
