// displays.js: the Màn hình page. One card per display of the current page
// (filtered and paged by the API), kept live by server-sent events from
// GET /events: a "display" event re-reads that card only, if it is shown; a
// "reload" event, and every reconnect, re-read the page and the alerts.
// Technicians (and admins) get the remote commands and manage screens
// through dialogs.
'use strict';

pano.start(async (user) => {
  const { t, api, el, time } = pano;
  const tech = pano.may('sendCommand');
  const box = document.getElementById('displays');
  // protocol.MaxPanelSide, from the page: the API refuses larger panels.
  const maxPanelSide = Number(box.dataset.maxPanelSide) || 8192;
  const filters = document.getElementById('display-filters');
  const pager = document.getElementById('display-pager');
  const live = document.getElementById('display-live');
  const PAGE = 24;
  const states = ['never_connected', 'online', 'offline', 'blanked', 'test_pattern', 'identify', 'urgent', 'panel_error', 'power_off', 'alert'];
  const drivers = ['ok', 'starting', 'blanked', 'test_pattern', 'identify', 'error'];
  const cards = new Map(); // display id → card
  let groups = new Map(); // id → name
  let offset = 0;
  let alertsOpen = [];

  // fmt fills {name} placeholders of a message.
  const fmt = (key, vars) => t(key).replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
  const plain = (key) => t(key).replace(/…$/, '');
  // bytes in the unit that says something: a notice is KiB, a video MiB.
  const kib = (n) => (n < 1048576 ? (n / 1024).toFixed(0) + ' KiB' : (n / 1048576).toFixed(1) + ' MiB');

  // ---- screenshots -------------------------------------------------------

  // loadShot fetches the latest screenshot past the browser's cache and
  // shows it as a blob: URL.
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

  // ---- remote commands ---------------------------------------------------

  function say(c, text, kind) {
    c.msg.textContent = text;
    c.msg.className = 'cardmsg ' + (kind || '');
  }

  // command sends a remote command and says how it went on the card.
  async function command(c, name, args, label, btn, done) {
    c.cmds.forEach((b) => { b.disabled = true; });
    say(c, label + '…');
    try {
      const r = await api('POST', '/displays/' + c.id + '/commands', { name, args: args || {} });
      if (r.data.pending) say(c, label + ': ' + t('dsp_cmd_pending'));
      else if (r.data.ok) {
        say(c, label + ': ' + t('dsp_cmd_ok') + (done ? ' — ' + done : ''), 'ok');
        if (name === 'screenshot') await loadShot(c);
      } else {
        // The agent's own words are technical (and English): in Vietnamese
        // a sentence, the agent's text under "details" for the technician.
        say(c, label + ': ' + t('dsp_cmd_failed') + ' — ' + t('dsp_cmd_agent_refused'), 'error');
        c.msg.append(' ', el('details', { className: 'cmd-detail' }, el('summary', {}, t('dsp_cmd_details')), el('code', {}, r.data.error)));
      }
    } catch (err) {
      say(c, label + ': ' + (err.code === 'offline' ? t('dsp_cmd_offline') : t('dsp_cmd_failed') + ' (' + err.message + ')'), 'error');
    } finally {
      enable(c);
      if (btn && !btn.hidden) btn.focus();
    }
  }

  const option = (value, label, selected) => el('option', { value, selected: !!selected }, label);
  const field = (label, input, hint) => el('label', {}, label, ' ', input, hint ? el('small', { className: 'hint' }, hint) : '');

  // info shows content with a Close button only (the shared dialog also
  // offers Cancel, which means nothing here).
  function info(title, nodes) {
    const done = pano.dialog(title, nodes, [{ label: t('dsp_close'), value: 'close', kind: 'submit' }]);
    const d = document.querySelector('body > dialog:last-of-type');
    if (d) d.querySelector('button.cancel').hidden = true;
    return done;
  }

  // danger asks before a command or change that cannot be taken back
  // lightly; it resolves to true when confirmed.
  const danger = (title, text, ok) => pano.dialog(title, [el('p', {}, text)], [{ label: ok, value: 'ok', kind: 'danger' }]).then((v) => v === 'ok');

  async function testPattern(c, btn) {
    const pattern = el('select', { name: 'pattern' },
      ...[['bars', 'bars'], ['grid', 'grid'], ['gradient', 'gradient'], ['walk', 'walk'],
        ['solid:#FF0000', 'red'], ['solid:#00FF00', 'green'], ['solid:#0000FF', 'blue'], ['solid:#FFFFFF', 'white']]
        .map(([v, k]) => option(v, t('dsp_pat_' + k))));
    const seconds = el('select', { name: 'seconds' },
      ...[[60, 1, 'dsp_minutes'], [300, 5, 'dsp_minutes'], [900, 15, 'dsp_minutes'], [1800, 30, 'dsp_minutes'], [3600, 1, 'dsp_hours']]
        .map(([s, n, u]) => option(s, n + ' ' + t(u), s === 300)));
    const v = await pano.dialog(t('dsp_pattern_title') + ': ' + c.d.name, [field(t('dsp_pattern'), pattern), field(t('dsp_pattern_for'), seconds)],
      [{ label: t('dsp_start'), value: 'start', kind: 'submit' }]);
    if (v !== 'start') return;
    await command(c, 'test_pattern', { pattern: pattern.value, seconds: seconds.value }, plain('dsp_cmd_test_pattern'), btn,
      pattern.selectedOptions[0].textContent);
  }

  async function brightness(c, btn) {
    const level = el('input', { name: 'percent', type: 'number', min: 0, max: 100, step: 1, value: 50, required: true });
    const seconds = el('select', { name: 'seconds' },
      ...[[900, 15, 'dsp_minutes'], [1800, 30, 'dsp_minutes'], [3600, 1, 'dsp_hours'], [7200, 2, 'dsp_hours'], [14400, 4, 'dsp_hours'],
        [28800, 8, 'dsp_hours'], [86400, 1, 'dsp_days'], [604800, 7, 'dsp_days']]
        .map(([s, n, u]) => option(s, n + ' ' + t(u), s === 3600)));
    const v = await pano.dialog(t('dsp_brightness_title') + ': ' + c.d.name,
      [field(t('dsp_brightness_level'), level), field(t('dsp_brightness_for'), seconds), el('p', { className: 'hint' }, t('dsp_brightness_note'))],
      [{ label: t('dsp_apply'), value: 'apply', kind: 'submit' }]);
    if (v !== 'apply') return;
    const until = new Date(Date.now() + Number(seconds.value) * 1000).toISOString();
    await command(c, 'brightness', { percent: String(Number(level.value)), seconds: seconds.value }, plain('dsp_cmd_brightness'), btn,
      fmt('dsp_brightness_set', { pct: Number(level.value), until: time(until) }));
  }

  // ---- managing screens --------------------------------------------------

  const groupSelect = (name, current) => el('select', { name },
    option('', t('no_group'), !current), ...[...groups].map(([id, n]) => option(id, n, id === current)));

  let profiles = null;
  async function profileSelect(current) {
    if (!profiles) profiles = (await api('GET', '/profiles')).data.items;
    const names = profiles.map((p) => p.name);
    const opts = profiles.map((p) => option(p.name, p.name + ' — ' + p.description, p.name === current));
    if (current && !names.includes(current)) opts.unshift(option(current, current, true)); // a profile of its own
    return el('select', { name: 'profile', required: true }, ...opts);
  }

  // displayFields are the inputs of the add and edit dialogs.
  async function displayFields(d) {
    const f = {
      name: el('input', { name: 'name', pattern: '[a-z0-9][a-z0-9\\-]{0,62}', required: true, value: d.name || '', autocomplete: 'off' }),
      location: el('input', { name: 'location', maxLength: 200, value: d.location || '' }),
      width: el('input', { name: 'width', type: 'number', min: 1, max: maxPanelSide, required: true, value: d.width || 128 }),
      height: el('input', { name: 'height', type: 'number', min: 1, max: maxPanelSide, required: true, value: d.height || 64 }),
      fit: el('select', { name: 'fit' }, ...['contain', 'cover', 'stretch'].map((x) => option(x, t('dsp_fit_' + x), x === (d.fit || 'contain')))),
      profile: await profileSelect(d.profile || 'virtual'),
      // Coordinates: decimal degrees, for sunrise and sunset (day/night
      // brightness). Typed as text: a number input would refuse a comma
      // and show the browser's own words.
      latitude: el('input', { name: 'latitude', inputMode: 'decimal', autocomplete: 'off', placeholder: '21.0285', value: d.latitude ?? '' }),
      longitude: el('input', { name: 'longitude', inputMode: 'decimal', autocomplete: 'off', placeholder: '105.8542', value: d.longitude ?? '' }),
    };
    const nodes = [field(t('dsp_name'), f.name, t('dsp_name_hint')), field(t('dsp_location'), f.location),
      el('div', { className: 'dsp-pair' }, field(t('dsp_width'), f.width), field(t('dsp_height'), f.height)),
      field(t('dsp_fit'), f.fit), field(t('dsp_profile'), f.profile),
      el('div', { className: 'dsp-pair' }, field(t('dsp_latitude'), f.latitude), field(t('dsp_longitude'), f.longitude)),
      el('small', { className: 'hint' }, t('dsp_site_hint'))];
    // Not a number goes as typed, for the controller to refuse: sent as
    // null it would clear the coordinate without a word.
    const coord = (input) => {
      const v = input.value.trim().replace(',', '.');
      return v === '' ? null : Number.isFinite(Number(v)) ? Number(v) : v;
    };
    const read = () => ({ name: f.name.value.trim(), location: f.location.value, width: Number(f.width.value), height: Number(f.height.value),
      fit: f.fit.value, profile: f.profile.value, latitude: coord(f.latitude), longitude: coord(f.longitude) });
    return { f, nodes, read };
  }

  // askDisplay shows the add or edit dialog until the controller takes
  // what was typed (send's answer is returned) or the user cancels (null):
  // a refusal is said in the dialog, over the values as typed, not after
  // it closed.
  async function askDisplay(title, start, withGroup, label, send) {
    let values = start, problem = '';
    for (;;) {
      const { nodes, read } = await displayFields(values);
      const group = withGroup ? groupSelect('group_id', values.group_id ?? null) : null;
      const top = problem ? [el('p', { className: 'msg error', role: 'alert' }, problem)] : [];
      const v = await pano.dialog(title, [...top, ...nodes, ...(group ? [field(t('dsp_group'), group)] : [])], [{ label, value: 'go', kind: 'submit' }]);
      if (v !== 'go') return null;
      const d = read();
      if (group && group.value) d.group_id = Number(group.value);
      try {
        return await send(d);
      } catch (err) {
        values = { ...values, ...d, latitude: d.latitude ?? '', longitude: d.longitude ?? '' };
        problem = t('error') + ': ' + err.message;
      }
    }
  }

  async function addDisplay() {
    const r = await askDisplay(t('dsp_add_title'), {}, true, t('dsp_create'), (d) => {
      if (d.latitude === null && d.longitude === null) { delete d.latitude; delete d.longitude; }
      return api('POST', '/displays', d);
    });
    if (!r) return;
    pano.say(t('dsp_created') + ': ' + r.data.name, 'ok');
    try {
      await load();
      await enrol(r.data);
    } catch (err) {
      pano.fail(err);
    }
  }

  async function editDisplay(c) {
    const r = await askDisplay(t('dsp_edit_title') + ': ' + c.d.name, c.d, false, t('dsp_save'), (d) => api('PATCH', '/displays/' + c.id, d));
    if (!r) return;
    update(c, r.data);
    say(c, t('dsp_saved'), 'ok');
  }

  async function moveDisplay(c) {
    const group = groupSelect('group_id', c.d.group_id);
    const v = await pano.dialog(t('dsp_move_title') + ': ' + c.d.name, [field(t('dsp_move_to'), group)], [{ label: t('dsp_save'), value: 'save', kind: 'submit' }]);
    if (v !== 'save') return;
    try {
      const r = await api('PATCH', '/displays/' + c.id, { group_id: Number(group.value || 0) });
      update(c, r.data);
      say(c, t('dsp_moved') + ': ' + (groups.get(r.data.group_id) || t('no_group')), 'ok');
    } catch (err) {
      say(c, t('error') + ': ' + err.message, 'error');
    }
  }

  // enrolCommand is what the technician runs on the agent box.
  const enrolCommand = (d, code) => ['pano-agent enroll', '--controller', (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host,
    '--code', code, '--state', '/var/lib/pano-agent', '--profile', d.profile, '--set', 'width=' + d.width, '--set', 'height=' + d.height].join(' ');

  async function copy(text, area) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Not a secure context (plain http on an intranet): select and copy.
      area.focus();
      area.select();
      try { return document.execCommand('copy'); } catch { return false; }
    }
  }

  // enrol makes a one-time enrolment code for d and shows the command.
  async function enrol(d) {
    let r;
    try {
      r = await api('POST', '/displays/' + d.id + '/enrollment-codes');
    } catch (err) {
      pano.fail(err);
      return;
    }
    const cmd = enrolCommand(d, r.data.code);
    const area = el('textarea', { className: 'dsp-command', readOnly: true, rows: 3, value: cmd, spellcheck: false });
    area.setAttribute('aria-label', t('dsp_enrol_command'));
    const said = el('span', { className: 'ok', role: 'status' });
    const btn = el('button', { type: 'button' }, t('dsp_copy'));
    btn.addEventListener('click', async () => {
      const ok = await copy(cmd, area);
      said.textContent = ok ? t('dsp_copied') : t('dsp_copy_failed');
      said.className = ok ? 'ok' : 'error';
    });
    await info(t('dsp_enrol_title') + ': ' + d.name, [
      el('p', {}, t('dsp_enrol_code') + ': ', el('strong', { className: 'dsp-code' }, r.data.code), ' (' + t('dsp_enrol_valid') + ' ' + time(r.data.expires_at) + ')'),
      el('p', {}, t('dsp_enrol_steps')), el('p', { className: 'dsp-cmdlabel' }, t('dsp_enrol_command')), area, el('div', { className: 'actions' }, btn, said)]);
  }

  async function revokeDisplay(c) {
    if (!await danger(t('dsp_revoke_title') + ' (' + c.d.name + ')', t('dsp_revoke_text'), t('dsp_revoke_ok'))) return;
    try {
      await api('POST', '/displays/' + c.id + '/revoke');
      say(c, t('dsp_revoked_done'), 'ok');
      await refreshCard(c);
    } catch (err) {
      say(c, t('error') + ': ' + err.message, 'error');
    }
  }

  async function deleteDisplay(c) {
    if (!await danger(t('dsp_delete_title') + ' (' + c.d.name + ')', t('dsp_delete_text'), t('dsp_delete_ok'))) return;
    try {
      await api('DELETE', '/displays/' + c.id);
      pano.say(t('dsp_deleted') + ': ' + c.d.name, 'ok');
      await load();
    } catch (err) {
      say(c, t('error') + ': ' + err.message, 'error');
    }
  }

  // ---- health history ----------------------------------------------------

  const svgNS = 'http://www.w3.org/2000/svg';
  const svg = (tag, attrs, ...kids) => {
    const e = document.createElementNS(svgNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const k of kids) e.append(k);
    return e;
  };
  const clock = new Intl.DateTimeFormat(pano.locale, { timeZone: pano.tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

  // chart draws one series as a small SVG line chart over [from, to].
  function chart(title, pts, from, to, digits) {
    const box = el('figure', { className: 'dsp-chart' }, el('h4', {}, title));
    if (pts.length === 0) {
      box.append(el('p', {}, t('dsp_history_none')));
      return box;
    }
    const W = 320, H = 110, L = 40, B = 16, T = 6, R = 6;
    let lo = Math.min(...pts.map((p) => p.v)), hi = Math.max(...pts.map((p) => p.v));
    if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
    const x = (ms) => L + (W - L - R) * (ms - from) / (to - from);
    const y = (v) => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
    const line = pts.map((p) => x(p.t).toFixed(1) + ',' + y(p.v).toFixed(1)).join(' ');
    const g = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title },
      svg('line', { class: 'axis', x1: L, y1: T, x2: L, y2: H - B }),
      svg('line', { class: 'axis', x1: L, y1: H - B, x2: W - R, y2: H - B }),
      svg('text', { x: L - 3, y: T + 8, 'text-anchor': 'end' }, hi.toFixed(digits)),
      svg('text', { x: L - 3, y: H - B, 'text-anchor': 'end' }, lo.toFixed(digits)),
      svg('text', { x: L, y: H - 3 }, clock.format(new Date(from))),
      svg('text', { x: W - R, y: H - 3, 'text-anchor': 'end' }, clock.format(new Date(to))),
      svg('polyline', { points: line }));
    if (pts.length < 4) for (const p of pts) g.append(svg('circle', { cx: x(p.t), cy: y(p.v), r: 2.5 }));
    const vs = pts.map((p) => p.v);
    box.append(g, el('p', {}, t('dsp_h_min') + ' ' + Math.min(...vs).toFixed(digits) + ' · ' + t('dsp_h_max') + ' ' + Math.max(...vs).toFixed(digits)));
    return box;
  }

  async function history(c) {
    let r;
    try {
      r = await api('GET', '/displays/' + c.id + '/health');
    } catch (err) {
      say(c, t('error') + ': ' + err.message, 'error');
      return;
    }
    const from = Date.parse(r.data.from), to = Date.parse(r.data.to);
    const s = r.data.items.map((h) => ({ ...h, t: Date.parse(h.at) }));
    const series = (f) => s.filter((h) => f(h) != null).map((h) => ({ t: h.t, v: f(h) }));
    const charts = el('div', { className: 'dsp-charts' },
      chart(t('dsp_h_fps'), series((h) => h.fps), from, to, 1),
      chart(t('dsp_h_clock'), series((h) => h.clock_offset_ms), from, to, 1),
      chart(t('dsp_h_temp'), series((h) => h.cpu_temp_c), from, to, 1),
      chart(t('dsp_h_sync'), series((h) => (h.sync_total_bytes ? 100 * h.sync_done_bytes / h.sync_total_bytes : 100)), from, to, 0),
      chart(t('dsp_h_errors'), series((h) => Number(h.frozen) + Number(h.storage_error) + Number(h.driver_error)), from, to, 0));
    await info(t('dsp_history_title') + ': ' + c.d.name, [charts]);
  }

  // ---- cards -------------------------------------------------------------

  const rows = ['last_seen', 'plan_revision', 'fps', 'frozen', 'driver_state', 'brightness', 'clock_offset', 'sync', 'temperature', 'storage_error'];

  function button(c, bar, label, onClick, opts) {
    const b = el('button', { type: 'button' }, label);
    Object.assign(b.dataset, opts || {});
    b.addEventListener('click', () => onClick(b));
    bar.append(b);
    return b;
  }

  function card(d) {
    const c = { id: d.id, d, fields: new Map(), cmds: [], shotAt: undefined };
    c.title = el('h3', {}, d.name);
    c.state = el('span', { className: 'state' });
    c.revoked = el('span', { className: 'state revoked', hidden: true }, t('dsp_revoked'));
    c.alert = el('p', { className: 'alert' });
    c.refused = el('p', { className: 'dsp-refused', hidden: true });
    c.reports = el('p', { className: 'dsp-reports', hidden: true });
    c.where = el('p', { className: 'where' });
    c.playing = el('p', { className: 'playing' });
    c.shot = el('img', { className: 'shot', alt: t('dsp_shot_alt'), hidden: true });
    c.noShot = el('p', { className: 'noshot' }, t('dsp_no_shot'));
    c.shot.addEventListener('load', () => { c.shot.hidden = false; c.noShot.hidden = true; });
    const dl = el('dl');
    c.terms = new Map();
    for (const key of rows) {
      const dd = el('dd'), dt = el('dt', {}, t('dsp_' + key));
      dl.append(dt, dd);
      c.fields.set(key, dd);
      c.terms.set(key, dt);
    }
    c.bar = el('progress', { max: 1, value: 0 });
    c.msg = el('p', { className: 'cardmsg' });
    c.msg.setAttribute('role', 'status');
    c.root = el('article', { className: 'card' }, el('header', {}, c.title, c.state, c.revoked), c.alert, c.refused, c.reports, c.where, c.playing, c.shot, c.noShot, dl);
    c.root.dataset.name = d.name;
    c.root.dataset.id = d.id;
    const info = el('div', { className: 'actions dsp-info' });
    button(c, info, t('dsp_history'), () => history(c));
    button(c, info, t('dsp_pb'), () => powerEditor({ kind: 'd', id: c.id, name: c.d.name, group: c.d.group_id }).catch(pano.fail));
    c.root.append(info);
    if (tech) {
      const cmds = c.cmdBar = el('div', { className: 'actions dsp-cmds' });
      const cmd = (name, args, confirmText) => async (b) => {
        if (confirmText && !await danger(t(confirmText[0]) + ' (' + c.d.name + ')', t(confirmText[1]), plain('dsp_cmd_' + name))) return;
        await command(c, name, args, plain('dsp_cmd_' + name), b);
      };
      c.cmds.push(
        button(c, cmds, t('dsp_cmd_identify'), cmd('identify', {}), { command: 'identify' }),
        button(c, cmds, t('dsp_cmd_test_pattern'), (b) => testPattern(c, b), { command: 'test_pattern' }),
        c.stopPattern = button(c, cmds, t('dsp_cmd_stop_pattern'), (b) => command(c, 'test_pattern', { seconds: '0' }, t('dsp_cmd_stop_pattern'), b), { command: 'stop_pattern' }),
        c.blank = button(c, cmds, t('dsp_cmd_blank'), cmd('blank', {}, ['dsp_blank_title', 'dsp_blank_text']), { command: 'blank' }),
        c.unblank = button(c, cmds, t('dsp_cmd_unblank'), cmd('unblank', {}), { command: 'unblank' }),
        button(c, cmds, t('dsp_cmd_brightness'), (b) => brightness(c, b), { command: 'brightness' }),
        button(c, cmds, t('dsp_cmd_restart_player'), cmd('restart_player', {}, ['dsp_restart_title', 'dsp_restart_text']), { command: 'restart_player' }),
        button(c, cmds, t('dsp_cmd_resync'), cmd('resync', {}), { command: 'resync' }),
        button(c, cmds, t('dsp_cmd_screenshot'), cmd('screenshot', {}), { command: 'screenshot' }));
      const manage = el('div', { className: 'actions dsp-manage' });
      button(c, manage, t('dsp_edit'), () => editDisplay(c));
      button(c, manage, t('dsp_move'), () => moveDisplay(c));
      button(c, manage, t('dsp_enrol'), () => enrol(c.d));
      c.revokeBtn = button(c, manage, t('dsp_revoke'), () => revokeDisplay(c));
      button(c, manage, t('dsp_delete'), () => deleteDisplay(c));
      c.root.append(cmds, el('p', { className: 'dsp-more' }, t('dsp_more')), manage);
    }
    c.root.append(c.msg);
    return c;
  }

  // enable turns the command buttons on for an online display, and shows
  // the blank or unblank button and the stop-pattern one as its state asks.
  function enable(c) {
    const d = c.d;
    for (const b of c.cmds) b.disabled = !d.online;
    if (!tech) return;
    c.cmdBar.hidden = !d.online; // commands cannot reach an offline screen
    c.unblank.hidden = d.state !== 'blanked';
    c.blank.hidden = d.state === 'blanked';
    c.stopPattern.hidden = !['test_pattern', 'identify'].includes(d.state);
  }

  // brightnessText is the level in use and where it comes from, as far as
  // the agent says (one older than brightness_source says the level only).
  function brightnessText(h) {
    if (h.brightness_override != null) {
      return h.brightness_override + ' % · ' + t('dsp_bsrc_override') + ' ' + t('dsp_brightness_until') + ' ' + time(h.brightness_until);
    }
    if (h.brightness == null) return t('dsp_brightness_profile');
    const src = h.brightness_source;
    return h.brightness + ' %' + (src && src !== 'override' && pano.has('dsp_bsrc_' + src) ? ' · ' + t('dsp_bsrc_' + src) : '');
  }

  // refusedText says why the agent keeps its old plan, and what to do: the
  // agent's own words (English) are in the title only.
  function refusedText(h) {
    const why = /schema/i.test(h.plan_refused) ? 'schema' : /panel/i.test(h.plan_refused) ? 'panel' : 'other';
    return fmt('dsp_refused', { rev: h.plan_refused_revision }) + ' ' + t('dsp_refused_' + why) + ' ' +
      (why === 'panel' ? t('dsp_refused_do_size') : t('dsp_refused_do_update'));
  }

  function stateText(d) {
    if (d.state === 'offline') return t('dsp_state_offline_since') + ' ' + time(d.last_seen);
    return t('dsp_state_' + d.state);
  }

  function update(c, d) {
    c.d = d;
    const a = d.agent;
    const h = (a && a.health) || null;
    c.title.textContent = d.name;
    c.root.dataset.name = d.name;
    c.root.dataset.state = d.state;
    c.state.textContent = stateText(d);
    c.state.className = 'state st-' + d.state + (d.online ? ' on' : ' off');
    c.revoked.hidden = d.enrolment !== 'revoked';
    if (c.revokeBtn) c.revokeBtn.hidden = d.enrolment === 'revoked'; // nothing left to revoke
    c.where.textContent = t('dsp_location') + ': ' + (d.location || '—') + ' · ' + t('dsp_group') + ': ' + (groups.get(d.group_id) || t('no_group')) +
      ' · ' + t('dsp_panel') + ': ' + d.width + '×' + d.height;
    const np = d.now_playing;
    if (np) {
      const what = el('strong', {}, np.title || t('dsp_playing_unknown'));
      if (np.urgent_id) c.playing.replaceChildren(t('dsp_playing') + ' ' + t('dsp_urgent_notice') + ': ', what);
      else c.playing.replaceChildren(t('dsp_playing') + ': ', what, ' ' + t('dsp_in_rotation') + ' ', el('strong', {}, np.playlist || '—'));
    } else if (d.state === 'power_off') {
      c.playing.replaceChildren(t('dsp_power_off_note'));
    } else if (d.online && h && h.fallback_code) {
      c.playing.replaceChildren(t('dsp_playing') + ': ' + t('dsp_fallback') + ' ' + (pano.has('dsp_fb_' + h.fallback_code) ? t('dsp_fb_' + h.fallback_code) : t('dsp_drv_other')));
    } else {
      c.playing.replaceChildren();
    }
    c.playing.hidden = !c.playing.textContent;
    const f = (k, v) => { c.fields.get(k).textContent = v; };
    f('last_seen', d.last_seen ? time(d.last_seen) : t('dsp_never'));
    f('plan_revision', a ? String(a.plan_revision) : '—');
    for (const k of rows.slice(1)) { // a screen that does not report shows when it last did, only
      c.fields.get(k).hidden = !h;
      c.terms.get(k).hidden = !h;
    }
    for (const k of rows.slice(2)) f(k, '—');
    c.fields.get('storage_error').className = '';
    if (h) {
      f('fps', h.power_off ? t('dsp_fps_off') : h.achieved_fps.toFixed(1) + ' / ' + h.target_fps.toFixed(0));
      f('frozen', h.frozen ? t('yes') : t('no'));
      // A video output (hdmi) also says what it drives: backend, device, mode.
      f('driver_state', t(drivers.includes(h.driver_state) ? 'dsp_drv_' + h.driver_state : 'dsp_drv_other') +
        (h.driver_mode ? ' · ' + h.driver_mode : ''));
      f('brightness', brightnessText(h));
      f('clock_offset', h.clock_offset_ms.toFixed(1) + ' ms');
      const total = h.sync_total_bytes;
      c.bar.max = total || 1;
      c.bar.value = total ? h.sync_done_bytes : 1;
      c.fields.get('sync').replaceChildren(...(total ? [c.bar, ' ' + kib(h.sync_done_bytes) + ' / ' + kib(total)] : [t('dsp_sync_nothing')]));
      f('temperature', h.cpu_temp_c == null ? t('dsp_no_sensor') : h.cpu_temp_c.toFixed(1) + ' °C');
      f('storage_error', h.storage_error ? t('yes') : t('none'));
      if (h.storage_error) c.fields.get('storage_error').title = h.storage_error;
      c.fields.get('storage_error').className = h.storage_error ? 'error' : '';
    }
    c.refused.hidden = !(d.online && h && h.plan_refused);
    c.refused.textContent = c.refused.hidden ? '' : refusedText(h);
    c.refused.title = c.refused.hidden ? '' : h.plan_refused;
    // Reports the controller refused: proof of play the display's plans
    // could not have played, or screenshots that are not pictures.
    const r = d.refused;
    c.reports.hidden = !(r && (r.play_records || r.screenshots));
    c.reports.textContent = c.reports.hidden ? '' : fmt('dsp_reports_refused', { records: r.play_records, shots: r.screenshots }) +
      (r.last_at ? ' ' + fmt('dsp_reports_last', { at: time(r.last_at) }) : '');
    c.reports.title = c.reports.hidden ? '' : r.last_reason || '';
    if (d.screenshot_at !== c.shotAt) {
      c.shotAt = d.screenshot_at;
      if (d.screenshot_at) loadShot(c);
    }
    markAlerts(c);
    enable(c);
  }

  // refreshCard reads one display again; a refresh asked for while one
  // runs is done once it ends.
  async function refreshCard(c) {
    if (c.busy) { c.again = true; return; }
    c.busy = true;
    try {
      do {
        c.again = false;
        const r = await api('GET', '/displays/' + c.id);
        if (cards.get(c.id) === c) update(c, r.data);
      } while (c.again);
    } catch (err) {
      if (err.status !== 404) pano.fail(err);
    } finally {
      c.busy = false;
    }
  }

  // ---- alerts ------------------------------------------------------------

  function markAlerts(c) {
    const mine = alertsOpen.filter((a) => a.display_id === c.id);
    c.root.classList.toggle('alerting', mine.length > 0);
    c.alert.textContent = mine.map((a) => t('dsp_alert_' + a.kind) + ' (' + (a.kind === 'offline' ? t('dsp_alert_dark_since') : t('dsp_alert_since')) + ' ' + time(a.since) + ')').join(', ');
  }

  async function loadAlerts() {
    const r = await api('GET', '/alerts');
    alertsOpen = r.data.items.filter((a) => !a.resolved);
    const sec = document.getElementById('alerts');
    sec.hidden = alertsOpen.length === 0;
    sec.querySelector('ul').replaceChildren(...alertsOpen.map((a) => {
      // The screen may be on another page: the button finds it by name.
      const show = el('button', { type: 'button', className: 'dsp-find' }, t('dsp_alert_show'));
      show.addEventListener('click', () => {
        filters.reset();
        filters.elements.q.value = a.display;
        offset = 0;
        load().catch(pano.fail);
      });
      return el('li', {}, a.display + ': ' + t('dsp_alert_' + a.kind) + ' (' + (a.kind === 'offline' ? t('dsp_alert_dark_since') : t('dsp_alert_since')) + ' ' + time(a.since) + ') ', show);
    }));
    for (const c of cards.values()) markAlerts(c);
  }

  // ---- the page: filters, paging -----------------------------------------

  function query() {
    const f = new FormData(filters);
    const q = new URLSearchParams({ limit: PAGE, offset });
    for (const k of ['group_id', 'state', 'q']) if (f.get(k)) q.set(k, f.get(k).trim());
    return q;
  }

  let loading = 0;
  async function load() {
    const mine = ++loading;
    const r = await api('GET', '/displays?' + query());
    if (mine !== loading) return; // a newer filter won
    const page = r.data;
    if (page.items.length === 0 && offset > 0 && page.total > 0) {
      offset = Math.max(0, Math.floor((page.total - 1) / PAGE) * PAGE);
      return load();
    }
    const keep = new Set(page.items.map((d) => d.id));
    for (const [id, c] of cards) {
      if (!keep.has(id)) {
        c.root.remove();
        cards.delete(id);
      }
    }
    for (const d of page.items) {
      let c = cards.get(d.id);
      if (!c) {
        c = card(d);
        cards.set(d.id, c);
      }
      box.append(c.root); // in the page's order
      update(c, d);
    }
    const sel = filters.elements.state;
    for (const o of sel.options) {
      if (o.value) o.textContent = (o.value === 'alert' ? t('dsp_filter_alert') : t('dsp_state_' + o.value)) + ' (' + (page.counts[o.value] || 0) + ')';
    }
    const filtered = [...new FormData(filters).values()].some((v) => v);
    if (page.total === 0) pano.say(filtered ? t('dsp_none_match') : t('dsp_none_yet'));
    else if (document.getElementById('msg').textContent === t('dsp_none_match') || document.getElementById('msg').textContent === t('dsp_none_yet')) pano.say('');
    pager.hidden = page.total <= PAGE && offset === 0;
    pager.querySelector('.dsp-range').textContent = fmt('dsp_page_of', { from: page.total ? offset + 1 : 0, to: offset + page.items.length, total: page.total });
    pager.querySelector('[data-go="prev"]').disabled = offset === 0;
    pager.querySelector('[data-go="next"]').disabled = offset + PAGE >= page.total;
  }

  pager.addEventListener('click', (ev) => {
    const go = ev.target.closest('button') && ev.target.closest('button').dataset.go;
    if (!go) return;
    offset = Math.max(0, offset + (go === 'next' ? PAGE : -PAGE));
    load().catch(pano.fail);
  });
  filters.addEventListener('submit', (ev) => ev.preventDefault());
  filters.addEventListener('change', (ev) => {
    if (ev.target.name === 'q') return;
    offset = 0;
    load().catch(pano.fail);
  });
  let typing;
  filters.elements.q.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => { offset = 0; load().catch(pano.fail); }, 300);
  });

  // ---- live updates ------------------------------------------------------

  // reloadAll reads the shown cards and the alerts again: after a reconnect
  // (changes made while the stream was down were not sent) and when the
  // server says too much changed at once to name it. One runs at a time; one
  // asked for meanwhile runs once it ends.
  let reloading = false;
  let reloadAgain = false;
  function reloadAll() {
    if (reloading) { reloadAgain = true; return; }
    reloading = true;
    Promise.all([load(), loadAlerts()]).catch(pano.fail).finally(() => {
      reloading = false;
      if (reloadAgain) { reloadAgain = false; reloadAll(); }
    });
  }

  let events;
  function listen() {
    let opened = false;
    events = new EventSource('/api/v1/events');
    events.addEventListener('open', () => {
      live.textContent = t('dsp_live_on');
      live.className = 'dsp-live on';
      if (opened) reloadAll();
      opened = true;
    });
    events.addEventListener('error', () => {
      live.textContent = t('dsp_live_off');
      live.className = 'dsp-live off';
    });
    events.addEventListener('display', (ev) => {
      const c = cards.get(JSON.parse(ev.data).display_id);
      if (c) refreshCard(c);
    });
    events.addEventListener('alerts', () => loadAlerts().catch(pano.fail));
    events.addEventListener('reload', reloadAll);
  }

  // ---- power and brightness ---------------------------------------------

  // powerEditor shows and (for technicians) edits when a group's or a
  // display's screens are on and how bright: power windows, brightness
  // windows, day/night levels by the sun. A display without its own
  // setting follows its group's; saving here gives it its own.
  async function powerEditor(target) {
    const path = (target.kind === 'g' ? '/groups/' : '/displays/') + target.id + '/power-brightness';
    const cur = (await api('GET', path)).data;
    const n = ++pbSeq;
    const days = [1, 2, 3, 4, 5, 6, 7];
    const norm = (s) => { const m = /^(\d{1,2})[:h.](\d\d)$/.exec(s.trim()); return m ? m[1].padStart(2, '0') + ':' + m[2] : ''; };
    const validHM = (s, end) => /^([01]\d|2[0-3]):[0-5]\d$/.test(s) || (end && s === '24:00');
    const hhmm = (value) => el('input', { type: 'text', value: value || '', inputMode: 'numeric', maxLength: 5, placeholder: 'HH:MM', autocomplete: 'off', className: 'pb-time' });
    const labelled = (text, input) => { input.id = 'pb-' + n + '-' + Math.random().toString(36).slice(2, 8); return el('span', { className: 'pb-field' }, el('label', { htmlFor: input.id }, text), input); };

    // windowList is one list of windows (power or brightness) with its rows.
    function windowList(kind, items) {
      const rows = [];
      const box = el('div', { className: 'pb-rows' });
      const add = el('button', { type: 'button' }, t('dsp_pb_add_' + kind));
      function relabel() {
        rows.forEach((r, i) => {
          const k = ' (' + t('dsp_pb_window') + ' ' + (i + 1) + ')';
          r.fromL.textContent = t('dsp_pb_' + kind + '_from') + k;
          r.untilL.textContent = t('dsp_pb_' + kind + '_until') + k;
          if (r.pctL) r.pctL.textContent = t('dsp_pb_percent') + k;
          r.days.querySelector('legend').textContent = t('dsp_pb_days') + k;
          r.remove.textContent = t('dsp_pb_remove') + k;
        });
        add.hidden = rows.length >= 28;
        empty.hidden = rows.length > 0;
      }
      const empty = el('p', { className: 'hint' }, t('dsp_pb_none_' + kind));
      function row(w) {
        const from = hhmm(w.from), until = hhmm(w.until);
        const chosen = w.weekdays && w.weekdays.length ? w.weekdays : days;
        const boxes = days.map((d) => el('input', { type: 'checkbox', checked: chosen.includes(d) }));
        const dayset = el('fieldset', { className: 'pb-days' }, el('legend', {}), ...boxes.map((b, i) => el('label', {}, b, t('dsp_pb_d' + days[i]))));
        const f1 = labelled('', from), f2 = labelled('', until);
        const next = el('small', { className: 'hint pb-next' });
        const sayNext = () => {
          const a = norm(from.value), b = norm(until.value);
          const ok = (x) => /^([01]\d|2[0-3]):[0-5]\d$/.test(x);
          next.textContent = ok(a) && ok(b) && b !== '00:00' && b < a ? t('dsp_pb_until_next') + ' ' + b + ' ' + t('dsp_pb_next_day') : '';
        };
        from.addEventListener('input', sayNext);
        until.addEventListener('input', sayNext);
        const r = { from, until, boxes, days: dayset, fromL: f1.firstChild, untilL: f2.firstChild };
        const parts = [dayset, el('div', { className: 'pb-hours' }, f1, f2)];
        if (kind === 'brightness') {
          r.pct = el('input', { type: 'number', min: 0, max: 100, step: 1, value: w.percent ?? 40, className: 'pb-pct' });
          const f3 = labelled('', r.pct);
          r.pctL = f3.firstChild;
          parts[1].append(f3);
        }
        parts[1].append(next);
        r.remove = el('button', { type: 'button', className: 'danger' });
        r.node = el('div', { className: 'pb-row' }, ...parts, r.remove);
        r.remove.addEventListener('click', () => { rows.splice(rows.indexOf(r), 1); r.node.remove(); relabel(); add.focus(); });
        if (!tech) for (const i of [from, until, r.pct, ...boxes, r.remove]) if (i) i.disabled = true;
        if (!tech) r.remove.hidden = true;
        rows.push(r);
        box.append(r.node);
        sayNext();
        return r;
      }
      for (const w of items) row(w);
      add.addEventListener('click', () => { const r = row(kind === 'power' ? { from: '05:30', until: '23:00' } : { from: '18:00', until: '06:00', percent: 40 }); relabel(); r.from.focus(); });
      add.hidden = !tech;
      relabel();
      if (!tech) add.hidden = true;
      const node = el('fieldset', { className: 'pb-set' }, el('legend', {}, t('dsp_pb_' + kind)), el('small', { className: 'hint' }, t('dsp_pb_' + kind + '_hint')), empty, box, add);
      // read returns the windows, or a list of [input, message key] faults.
      const read = () => {
        const out = [], bad = [];
        for (const r of rows) {
          const a = norm(r.from.value);
          let b = norm(r.until.value);
          if (b === '00:00') b = '24:00';
          const wd = days.filter((d, i) => r.boxes[i].checked);
          if (!wd.length) bad.push([r.boxes[0], 'dsp_pb_v_days']);
          if (!validHM(a, false) || !validHM(b, true)) { bad.push([validHM(a, false) ? r.until : r.from, 'dsp_pb_v_hours']); continue; }
          if (a === b) { bad.push([r.until, 'dsp_pb_v_same']); continue; }
          const w = { weekdays: wd.length === 7 ? [] : wd, from: a, until: b };
          if (r.pct) {
            const p = r.pct.value.trim();
            if (!/^\d{1,3}$/.test(p) || Number(p) > 100) { bad.push([r.pct, 'dsp_pb_v_percent']); continue; }
            w.percent = Number(p);
          }
          out.push(w);
        }
        return { out, bad };
      };
      return { node, read };
    }

    const power = windowList('power', cur.power || []);
    const bright = windowList('brightness', cur.brightness || []);
    const noSite = cur.displays_without_site || [];
    const sun = el('input', { type: 'checkbox', checked: !!cur.day_night });
    const dayPct = el('input', { type: 'number', min: 0, max: 100, step: 1, value: cur.day_night ? cur.day_night.day : 100, className: 'pb-pct' });
    const nightPct = el('input', { type: 'number', min: 0, max: 100, step: 1, value: cur.day_night ? cur.day_night.night : 40, className: 'pb-pct' });
    const sunId = 'pb-sun-' + n;
    sun.id = sunId;
    const levels = el('div', { className: 'pb-hours' }, labelled(t('dsp_pb_day'), dayPct), labelled(t('dsp_pb_night'), nightPct));
    const siteNote = el('p', { className: noSite.length ? 'hint warn' : 'hint' },
      noSite.length ? (target.kind === 'g' ? t('dsp_pb_group_no_site') + ' ' + noSite.map((d) => d.name).join(', ') + '.' : t('dsp_pb_no_site'))
        : t('dsp_pb_sun_hint'));
    const sunSet = el('fieldset', { className: 'pb-set' }, el('legend', {}, t('dsp_pb_sun')),
      el('label', { htmlFor: sunId, className: 'pb-check' }, sun, t('dsp_pb_sun_on')), levels, siteNote);
    const sayLevels = () => { levels.hidden = !sun.checked; };
    sun.addEventListener('change', sayLevels);
    sayLevels();
    if (!tech) for (const i of [sun, dayPct, nightPct]) i.disabled = true;

    let where;
    if (target.kind === 'g') where = cur.own ? t('dsp_pb_group_own') : t('dsp_pb_group_none');
    else if (cur.own) where = t('dsp_pb_display_own') + (target.group ? ' ' + t('dsp_pb_replaces') + ' ' + (groups.get(target.group) || '') : '') + '.';
    else if (cur.inherited_from_group) where = t('dsp_pb_inherited') + ' ' + (groups.get(cur.inherited_from_group) || '#' + cur.inherited_from_group) + '.' + (tech ? ' ' + t('dsp_pb_inherited_save') : '');
    else where = t('dsp_pb_display_none');
    const errors = el('ul', { className: 'pb-errors error', role: 'alert' });
    const buttons = tech ? [{ label: t('dsp_save'), value: 'save', kind: 'submit' }] : [];
    if (tech && target.kind === 'd' && cur.own) buttons.push({ label: t('dsp_pb_use_group'), value: 'inherit', kind: '' });
    if (tech && target.kind === 'g' && cur.own) buttons.push({ label: t('dsp_pb_clear'), value: 'clear', kind: 'danger' });
    const title = t('dsp_pb_title') + ': ' + (target.kind === 'g' ? t('dsp_group') + ' ' : '') + target.name;
    const done = pano.dialog(title, [el('p', { className: 'pb-where' }, where), power.node, bright.node, sunSet, errors], buttons);
    const form = errors.closest('form');
    const dlg = form.closest('dialog');
    dlg.classList.add('pb-dialog');
    form.noValidate = true;
    let sending = false;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (sending || !tech) return;
      const p = power.read(), b = bright.read();
      const bad = [...p.bad, ...b.bad];
      let dn = null;
      if (sun.checked) {
        const d = dayPct.value.trim(), nn = nightPct.value.trim();
        if (!/^\d{1,3}$/.test(d) || Number(d) > 100) bad.push([dayPct, 'dsp_pb_v_percent']);
        else if (!/^\d{1,3}$/.test(nn) || Number(nn) > 100) bad.push([nightPct, 'dsp_pb_v_percent']);
        else dn = { day: Number(d), night: Number(nn) };
      }
      form.querySelectorAll('[aria-invalid]').forEach((i) => i.removeAttribute('aria-invalid'));
      for (const [i] of bad) i.setAttribute('aria-invalid', 'true');
      errors.replaceChildren(...[...new Set(bad.map(([, k]) => k))].map((k) => el('li', {}, t(k))));
      if (bad.length) { bad[0][0].focus(); return; }
      sending = true;
      try {
        await api('PUT', path, { power: p.out, brightness: b.out, day_night: dn });
        dlg.returnValue = 'saved';
        dlg.close();
      } catch (err) {
        sending = false;
        errors.replaceChildren(el('li', {}, err.message));
        if (err.field === 'day_night') { sun.setAttribute('aria-invalid', 'true'); sun.focus(); }
      }
    });
    const v = await done;
    if (v === 'saved') pano.say(t('dsp_pb_saved') + ': ' + target.name, 'ok');
    else if (v === 'inherit' || v === 'clear') {
      try {
        await api('DELETE', path);
        pano.say(t(v === 'inherit' ? 'dsp_pb_inherit_done' : 'dsp_pb_cleared') + ': ' + target.name, 'ok');
      } catch (err) {
        pano.fail(err);
      }
    }
  }
  let pbSeq = 0;

  // groupPower asks which group (unless the filter names one) and opens its
  // power and brightness editor.
  async function groupPower() {
    let id = Number(filters.elements.group_id.value || 0);
    if (!id) {
      const sel = el('select', { name: 'group' }, ...[...groups].map(([gid, name]) => option(gid, name)));
      const v = await pano.dialog(t('dsp_pb_group_pick'), [field(t('dsp_group'), sel)], [{ label: t('dsp_pb_open'), value: 'open', kind: 'submit' }]);
      if (v !== 'open') return;
      id = Number(sel.value);
    }
    await powerEditor({ kind: 'g', id, name: groups.get(id) || '#' + id });
  }

  // ---- start -------------------------------------------------------------

  const gs = await api('GET', '/groups');
  groups = new Map(gs.data.items.map((g) => [g.id, g.name]));
  filters.elements.group_id.append(...gs.data.items.map((g) => option(g.id, g.name)));
  filters.elements.state.append(...states.map((s) => option(s, s === 'alert' ? t('dsp_filter_alert') : t('dsp_state_' + s))));
  if (tech) {
    const add = document.getElementById('display-add');
    add.hidden = false;
    add.addEventListener('click', () => addDisplay().catch(pano.fail));
  }
  const gpb = document.getElementById('display-group-pb');
  gpb.hidden = gs.data.items.length === 0;
  gpb.addEventListener('click', () => groupPower().catch(pano.fail));
  await loadAlerts();
  await load();
  listen();
  // Events carry every change; a page whose stream is down reads the
  // whole page now and then until it is back.
  setInterval(() => {
    if (events.readyState !== EventSource.OPEN) reloadAll();
  }, 30000);
});
