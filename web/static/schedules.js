// schedules.js: the Lịch phát page. A week calendar (Monday to Sunday,
// hours down, in the display time zone) of what a group or a screen plays,
// from GET /groups/:id/timeline or /displays/:id/timeline: the controller
// evaluates the plan with the agents' own evaluator, so the calendar shows
// what wins where entries overlap, and what loses (hatched). Under it, the
// list of schedule entries (the accessible alternative to the grid).
// Approvers (and admins) add entries from hour cells: with a mouse, a
// click (one hour) or a drag across hours and days; with touch or a pen,
// a tap on the first hour and a tap on the last (two taps leave swiping
// free to scroll the page); from the keyboard, Enter on a cell. They edit
// or delete entries from their blocks.
'use strict';

pano.start(async (user) => {
  const { t, api, el } = pano;
  const canEdit = pano.may('createSchedule');
  const tz = pano.tz;
  const DAY = 86400000;

  // Dates are YYYY-MM-DD strings of the display time zone; instants are ms.
  const hmFmt = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const { ymd: ymdOf, addDays, midnight } = pano.dates;
  const hm = (ms) => hmFmt.format(new Date(ms));
  const parts = (ymd) => ymd.split('-').map(Number);
  const weekdayOf = (ymd) => { const [y, m, d] = parts(ymd); return (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7; }; // 0 = Monday
  const dayLabel = (ymd) => { const [y, m, d] = parts(ymd); return String(d).padStart(2, '0') + '/' + String(m).padStart(2, '0') + '/' + y; };
  const shortDay = (ymd) => dayLabel(ymd).slice(0, 5);
  const mondayOf = (ymd) => addDays(ymd, -weekdayOf(ymd));

  const targetSel = document.getElementById('sch-target');
  const cal = document.getElementById('sch-calendar');
  const weekTitle = document.getElementById('sch-week');
  const note = document.getElementById('sch-note');
  const tbody = document.querySelector('#sch-list tbody');
  const legend = document.getElementById('sch-legend-rotations');
  const pickNote = document.getElementById('sch-pick');
  document.getElementById('sch-hint').textContent = t(canEdit ? 'sch_hint_edit' : 'sch_hint_read');

  const [gr, dr, pr] = await Promise.all([api('GET', '/groups'), api('GET', '/displays?brief=true'), api('GET', '/playlists?limit=500')]);
  const groups = new Map(gr.data.items.map((g) => [g.id, g]));
  const displays = new Map(dr.data.items.map((d) => [d.id, d]));
  const playlists = new Map(pr.data.items.map((p) => [p.id, p]));
  const schedulable = pr.data.items.filter((p) => p.approved);

  // The target is "g:ID" or "d:ID"; the hash keeps it across reloads.
  const addTargets = (sel) => {
    sel.append(el('optgroup', { label: t('sch_groups') }, ...[...groups.values()].map((g) => el('option', { value: 'g:' + g.id }, g.name))),
      el('optgroup', { label: t('sch_displays') }, ...[...displays.values()].map((d) => el('option', { value: 'd:' + d.id }, d.name + (d.location ? ' — ' + d.location : '')))));
  };
  addTargets(targetSel);
  const fromHash = decodeURIComponent(location.hash.slice(1));
  if ([...targetSel.options].some((o) => o.value === fromHash)) targetSel.value = fromHash;
  let monday = mondayOf(ymdOf(Date.now()));
  let entries = new Map(); // schedule id → entry, for the list and the blocks

  const playlistName = (id, given) => given || playlists.get(id)?.name || t('sch_rotation_n') + id;
  const targetName = (x) => (x.group_id ? t('sch_target_group') + ': ' + (groups.get(x.group_id)?.name || t('sch_group_n') + x.group_id)
    : t('sch_target_display') + ': ' + (displays.get(x.display_id)?.name || t('sch_display_n') + x.display_id));
  const daysText = (mask) => {
    if (mask === 127) return t('sch_every_day');
    if (mask === 31) return t('sch_dshort_1') + '–' + t('sch_dshort_5');
    const out = [];
    for (let d = 0; d < 7; d++) if (mask & (1 << d)) out.push(t('sch_dshort_' + (d + 1)));
    return out.join(', ');
  };
  const colour = (id) => 'sch-c' + (((id % 8) + 8) % 8);
  // A window whose end is not after its start ends the next day.
  const crosses = (d) => d.until !== '24:00' && d.until <= d.from;
  const partText = (d) => d.from + '–' + d.until + (crosses(d) ? ' (' + t('sch_next_day') + ')' : '');
  const partsOf = (x) => (x.dayparts && x.dayparts.length ? x.dayparts : [{ from: x.start_time, until: x.end_time }]);
  const hoursText = (x) => partsOf(x).map(partText).join(', ');
  const weightOf = (x) => x.weight || 1;

  // ---- the calendar ----------------------------------------------------

  const dayCols = [];
  let cells = [];
  let focusCell = { day: 0, hour: 8 };

  function buildGrid() {
    cal.replaceChildren();
    dayCols.length = 0;
    cells = [];
    const head = el('div', { className: 'sch-head' }, el('div', { className: 'sch-corner' }));
    const hours = el('div', { className: 'sch-hours', ariaHidden: 'true' });
    for (let h = 0; h < 24; h++) hours.append(el('div', {}, String(h).padStart(2, '0') + ':00'));
    const body = el('div', { className: 'sch-body' }, hours);
    for (let k = 0; k < 7; k++) {
      const ymd = addDays(monday, k);
      const today = ymd === ymdOf(Date.now());
      head.append(el('div', { className: 'sch-dayhead' + (today ? ' today' : '') }, el('strong', {}, t('sch_day_' + (k + 1))), ' ', shortDay(ymd)));
      const col = el('div', { className: 'sch-day' + (today ? ' today' : '') });
      col.dataset.day = k;
      col.dataset.date = ymd;
      const row = [];
      for (let h = 0; h < 24; h++) {
        const label = t('sch_day_' + (k + 1)) + ' ' + shortDay(ymd) + ', ' + String(h).padStart(2, '0') + ':00–' + String(h + 1).padStart(2, '0') + ':00';
        const c = canEdit ? el('button', { type: 'button', className: 'sch-cell', tabIndex: -1, ariaLabel: label + ': ' + t('sch_add_here') })
          : el('div', { className: 'sch-cell' });
        c.dataset.day = k;
        c.dataset.hour = h;
        c.style.top = (h * 100) / 24 + '%';
        col.append(c);
        row.push(c);
      }
      cells.push(row);
      dayCols.push(col);
      body.append(col);
    }
    cal.append(head, body);
    if (canEdit) cells[focusCell.day][focusCell.hour].tabIndex = 0;
  }

  // place puts a node in day column k over [s, e) (clipped to the day).
  function place(k, node, s, e) {
    const ds = Date.parse(midnight(addDays(monday, k)));
    const de = Date.parse(midnight(addDays(monday, k + 1)));
    const a = Math.max(s, ds), b = Math.min(e, de);
    if (b <= a) return false;
    node.style.top = ((a - ds) * 100) / (de - ds) + '%';
    node.style.height = ((b - a) * 100) / (de - ds) + '%';
    node.dataset.day = k;
    node.dataset.start = hm(a);
    node.dataset.end = b === de ? '24:00' : hm(b);
    dayCols[k].append(node);
    return true;
  }
  const endLabel = (ms) => { const s = hm(ms); return s === '00:00' ? '24:00' : s; };
  const nameOf = (x) => (x.urgent_id ? x.playlist_name || t('sch_urgent') : playlistName(x.playlist_id, x.playlist_name));

  // drawLegend names the colour of every rotation on the calendar, so the
  // legend is true whatever colours this week's blocks have.
  function drawLegend(spans) {
    const seen = new Map();
    for (const s of spans) {
      for (const x of [s, ...(s.shares || []), ...s.overlapped]) {
        if (!x.urgent_id && !seen.has(x.playlist_id)) seen.set(x.playlist_id, nameOf(x));
      }
    }
    legend.replaceChildren(...[...seen].map(([id, name]) => {
      const li = el('li', {}, el('span', { className: 'sch-swatch ' + colour(id) }), name);
      li.dataset.playlist = id;
      return li;
    }));
    legend.hidden = seen.size === 0;
  }

  // The colours of .sch-c0 … .sch-c7, for a block that several rotations
  // share (a gradient of theirs).
  const palette = ['#bbdefb', '#c8e6c9', '#ffe0b2', '#e1bee7', '#b2ebf2', '#f0f4c3', '#ffccbc', '#d7ccc8'];
  const sharesOf = (s) => (s.shares && s.shares.length > 1 ? s.shares : null);
  // ratioText: "2 : 1" for the weights of the entries sharing a block.
  const ratioText = (shares) => shares.map((x) => x.weight || 1).join(' : ');

  function drawSpans(spans) {
    for (const s of spans) {
      const start = Date.parse(s.start), end = Date.parse(s.end);
      const lost = s.overlapped.map((o) => nameOf(o) + ' (' + t('sch_priority') + ' ' + o.priority + ')');
      const shares = sharesOf(s);
      for (let k = 0; k < 7; k++) {
        const b = el('button', { type: 'button', className: 'sch-block ' + (s.urgent_id ? 'urgent' : colour(s.playlist_id)) + (shares ? ' sch-shared' : '') },
          el('strong', {}, shares ? shares.map(nameOf).join(' + ') : nameOf(s)),
          el('span', {}, hm(Math.max(start, Date.parse(midnight(addDays(monday, k))))) + '–' + endLabel(Math.min(end, Date.parse(midnight(addDays(monday, k + 1))))) + ' · ' +
            (s.urgent_id ? t('sch_urgent') : t('sch_priority') + ' ' + s.priority)),
          shares ? el('span', { className: 'sch-ratio' }, t('sch_shared') + ' ' + ratioText(shares)) : '',
          // At most two lines, ending in … when longer: the block's dialog
          // lists every entry it plays instead of.
          lost.length ? el('span', { className: 'sch-over' }, t('sch_overrides') + ': ' + lost.join('; ')) : '');
        b.dataset.entry = s.urgent_id ? 'u' + s.urgent_id : s.entry;
        if (shares) {
          b.dataset.shares = shares.map((x) => x.entry).join(',');
          // Each rotation's colour as wide as its weight (its loops per turn).
          const total = shares.reduce((n, x) => n + (x.weight || 1), 0);
          let at = 0;
          const stops = shares.map((x) => {
            const c = palette[((x.playlist_id % 8) + 8) % 8], from = (at * 100) / total;
            at += x.weight || 1;
            return c + ' ' + from + '% ' + (at * 100) / total + '%';
          });
          b.style.backgroundImage = 'linear-gradient(90deg, ' + stops.join(', ') + ')';
        }
        if (!place(k, b, start, end)) continue;
        b.ariaLabel = [...b.children].map((c) => c.textContent).join('. ');
        b.title = b.ariaLabel;
        b.addEventListener('click', () => openSpan(s));
      }
      for (const o of s.overlapped) {
        const os = Date.parse(o.start), oe = Date.parse(o.end);
        for (let k = 0; k < 7; k++) {
          const strip = el('button', { type: 'button', className: 'sch-lost ' + (o.urgent_id ? 'urgent' : colour(o.playlist_id)) });
          strip.dataset.entry = o.urgent_id ? 'u' + o.urgent_id : o.entry;
          if (!place(k, strip, os, oe)) continue;
          strip.ariaLabel = t('sch_lost') + ': ' + nameOf(o) + ', ' + t('sch_priority') + ' ' + o.priority + ', ' + strip.dataset.start + '–' + strip.dataset.end;
          strip.title = strip.ariaLabel;
          strip.addEventListener('click', () => (o.urgent_id ? openSpan(o) : openEntry(o.entry)));
        }
      }
    }
  }

  // drawDevice adds what the screen itself does (timeline fields that may
  // be absent from an older controller): dark bands where it is switched
  // off, a band of its brightness level where the plan sets one, and the
  // sunrise and sunset of each day where the screen has a site.
  const deviceLegend = document.getElementById('sch-legend-device');
  function drawDevice(tl) {
    const seen = new Set();
    for (const p of tl.power || []) {
      if (p.on) continue;
      for (let k = 0; k < 7; k++) {
        const n = el('div', { className: 'sch-off' }, el('span', {}, t('sch_power_off')));
        if (place(k, n, Date.parse(p.start), Date.parse(p.end))) {
          n.title = t('sch_power_off') + ' ' + n.dataset.start + '–' + n.dataset.end;
          seen.add('off');
        }
      }
    }
    for (const b of tl.brightness || []) {
      if (b.percent === null || b.percent === undefined) continue;
      for (let k = 0; k < 7; k++) {
        const n = el('div', { className: 'sch-bright sch-bright-' + (b.source || 'window') }, el('span', {}, b.percent + ' %'));
        n.dataset.percent = b.percent;
        n.dataset.source = b.source || '';
        // Brighter levels are lighter: the band reads as a level at a glance.
        n.style.backgroundColor = 'hsl(45, 95%, ' + (35 + b.percent * 0.5) + '%)';
        if (place(k, n, Date.parse(b.start), Date.parse(b.end))) {
          n.title = t('sch_brightness') + ' ' + b.percent + ' % (' + t('sch_bright_src_' + (b.source || 'window')) + '), ' + n.dataset.start + '–' + n.dataset.end;
          seen.add('bright');
        }
      }
    }
    for (const d of tl.sun || []) {
      const k = dayCols.findIndex((c) => c.dataset.date === d.date);
      if (k < 0) continue;
      for (const [kind, at] of [['rise', d.sunrise], ['set', d.sunset]]) {
        if (!at) continue;
        const ms = Date.parse(at);
        const n = el('div', { className: 'sch-sun sch-sun' + kind }, el('span', {}, t('sch_sun' + kind) + ' ' + hm(ms)));
        if (place(k, n, ms, ms + 60000)) {
          n.style.height = '0';
          n.dataset.at = hm(ms);
          seen.add('sun');
        }
      }
    }
    const items = [];
    if (seen.has('off')) items.push(el('li', {}, el('span', { className: 'sch-swatch off' }), t('sch_power_off') + ' (' + t('sch_legend_off_urgent') + ')'));
    if (seen.has('bright')) items.push(el('li', {}, el('span', { className: 'sch-swatch bright' }), t('sch_legend_bright')));
    if (seen.has('sun')) items.push(el('li', {}, el('span', { className: 'sch-swatch sun' }), t('sch_legend_sun')));
    deviceLegend.replaceChildren(...items);
    deviceLegend.hidden = items.length === 0;
  }

  // ---- selecting hours to add an entry ---------------------------------

  let sel = null; // {d0, h0, d1, h1} while the mouse drags
  let pick = null; // {day, hour}: the first hour tapped with touch or a pen
  const overlay = [];
  function paintSel() {
    overlay.forEach((n) => n.remove());
    overlay.length = 0;
    const r = sel || (pick && { d0: pick.day, h0: pick.hour, d1: pick.day, h1: pick.hour });
    if (!r) return;
    const [da, db] = [Math.min(r.d0, r.d1), Math.max(r.d0, r.d1)];
    const [ha, hb] = [Math.min(r.h0, r.h1), Math.max(r.h0, r.h1)];
    for (let k = da; k <= db; k++) {
      const n = el('div', { className: 'sch-sel' });
      n.style.top = (ha * 100) / 24 + '%';
      n.style.height = ((hb - ha + 1) * 100) / 24 + '%';
      dayCols[k].append(n);
      overlay.push(n);
    }
  }
  const cellLabel = (day, hour) => t('sch_day_' + (day + 1)) + ' ' + shortDay(addDays(monday, day)) + ', ' + String(hour).padStart(2, '0') + ':00';
  // setPick marks (or, with null, forgets) the first hour of a touch
  // selection, and says what the next tap does.
  function setPick(p) {
    pick = p;
    pickNote.hidden = !p;
    if (p) pickNote.querySelector('span').textContent = t('sch_pick_from') + ' ' + cellLabel(p.day, p.hour) + '. ' + t('sch_pick_then');
    paintSel();
  }
  document.getElementById('sch-pick-cancel').addEventListener('click', () => setPick(null));
  function cellAt(x, y) {
    for (const col of dayCols) {
      const r = col.getBoundingClientRect();
      if (x >= r.left && x < r.right) {
        const h = Math.min(23, Math.max(0, Math.floor(((y - r.top) * 24) / r.height)));
        return { day: Number(col.dataset.day), hour: h };
      }
    }
    return null;
  }
  function fromSelection(d0, d1, h0, h1) {
    const [da, db] = [Math.min(d0, d1), Math.max(d0, d1)];
    const [ha, hb] = [Math.min(h0, h1), Math.max(h0, h1)];
    let mask = 0;
    for (let k = da; k <= db; k++) mask |= 1 << k;
    const starts = addDays(monday, da);
    return { weekdays: mask, start_time: String(ha).padStart(2, '0') + ':00', end_time: String(hb + 1).padStart(2, '0') + ':00', starts_on: starts, ends_on: addDays(starts, 30) };
  }
  if (canEdit) {
    let pointer = ''; // the kind of the last pointer pressed on the grid
    cal.addEventListener('pointerdown', (ev) => {
      pointer = ev.pointerType;
      const c = ev.target.closest('.sch-cell');
      if (!c || ev.pointerType !== 'mouse' || ev.button !== 0) return;
      ev.preventDefault(); // no text selection while dragging
      setPick(null);
      sel = { d0: +c.dataset.day, h0: +c.dataset.hour, d1: +c.dataset.day, h1: +c.dataset.hour };
      paintSel();
    });
    cal.addEventListener('pointermove', (ev) => {
      if (!sel) return;
      const c = cellAt(ev.clientX, ev.clientY);
      if (c && (c.day !== sel.d1 || c.hour !== sel.h1)) {
        sel.d1 = c.day;
        sel.h1 = c.hour;
        paintSel();
      }
    });
    window.addEventListener('pointerup', () => {
      if (!sel) return;
      const s = sel;
      sel = null;
      // A single cell is a click, handled below (as Enter on a cell is).
      if (s.d0 !== s.d1 || s.h0 !== s.h1) openForm(null, fromSelection(s.d0, s.d1, s.h0, s.h1)).finally(paintSel);
      else paintSel();
    });
    cal.addEventListener('click', (ev) => {
      const c = ev.target.closest('.sch-cell');
      if (!c) return;
      const day = +c.dataset.day, hour = +c.dataset.hour;
      // A keyboard's click has no detail; a touch or pen tap is the first
      // or the last hour of a selection.
      const kind = ev.detail === 0 ? 'keyboard' : ev.pointerType || pointer;
      if (kind === 'touch' || kind === 'pen') {
        if (!pick) { setPick({ day, hour }); return; }
        const p = pick;
        setPick(null);
        openForm(null, fromSelection(p.day, day, p.hour, hour));
        return;
      }
      setPick(null);
      openForm(null, fromSelection(day, day, hour, hour));
    });
    // Arrow keys move between hour cells (one tab stop for the grid).
    cal.addEventListener('keydown', (ev) => {
      const c = ev.target.closest('.sch-cell');
      if (!c) return;
      const moves = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };
      const m = moves[ev.key];
      if (!m) return;
      ev.preventDefault();
      const day = Math.min(6, Math.max(0, +c.dataset.day + m[0])), hour = Math.min(23, Math.max(0, +c.dataset.hour + m[1]));
      c.tabIndex = -1;
      focusCell = { day, hour };
      cells[day][hour].tabIndex = 0;
      cells[day][hour].focus();
    });
  }

  // ---- loading ----------------------------------------------------------

  // One answer shown at a time: a load started later (another group, the
  // next week) wins over one still under way.
  let loading = 0;
  async function load() {
    const seq = ++loading;
    const [kind, idText] = targetSel.value.split(':');
    const id = Number(idText);
    history.replaceState(null, '', '#' + targetSel.value);
    weekTitle.textContent = t('sch_week') + ' ' + dayLabel(monday) + ' – ' + dayLabel(addDays(monday, 6));
    const q = '?from=' + encodeURIComponent(midnight(monday)) + '&to=' + encodeURIComponent(midnight(addDays(monday, 7)));
    const path = (kind === 'g' ? '/groups/' : '/displays/') + id;
    const lists = [api('GET', '/schedules?' + (kind === 'g' ? 'group_id=' : 'display_id=') + id)];
    const d = displays.get(id);
    if (kind === 'd' && d && d.group_id) lists.push(api('GET', '/schedules?group_id=' + d.group_id));
    const [tl, ...ls] = await Promise.all([api('GET', path + '/timeline' + q), ...lists]);
    if (seq !== loading) return; // a newer load is under way
    entries = new Map(ls.flatMap((r) => r.data.items).map((x) => [x.id, x]));
    const shown = displays.get(tl.data.display_id);
    if (kind === 'g') note.textContent = (tl.data.display_id ? t('sch_group_note') + ' ' + t('sch_based_on') + ' ' + (shown ? shown.name : '#' + tl.data.display_id) + '.' : t('sch_group_empty'));
    else note.textContent = t('sch_display_note') + ' ' + t('sch_based_on') + ' ' + (shown ? shown.name : '') + '.';
    setPick(null);
    buildGrid();
    drawSpans(tl.data.spans);
    drawDevice(tl.data);
    drawLegend(tl.data.spans);
    document.getElementById('sch-truncated').hidden = !tl.data.truncated;
    document.getElementById('sch-empty').hidden = tl.data.spans.length > 0;
    drawList();
  }
  const reload = () => load().catch(pano.fail);

  function drawList() {
    const rows = [...entries.values()].sort((a, b) => b.priority - a.priority || a.id - b.id).map((x) => {
      const tr = el('tr', {},
        el('td', {}, playlistName(x.playlist_id)),
        el('td', {}, targetName(x)),
        el('td', {}, dayLabel(x.starts_on) + ' – ' + dayLabel(x.ends_on)),
        el('td', {}, daysText(x.weekdays)),
        el('td', {}, hoursText(x)),
        el('td', { className: 'num' }, String(x.priority) + (weightOf(x) > 1 ? ' · ' + t('sch_weight_short') + ' ' + weightOf(x) : '')),
        el('td', {}));
      tr.dataset.id = x.id;
      const open = el('button', { type: 'button' }, t(canEdit ? 'sch_edit' : 'sch_view'));
      open.addEventListener('click', () => openEntry(x.id));
      tr.lastChild.append(open);
      if (canEdit) {
        const del = el('button', { type: 'button', className: 'danger' }, t('sch_delete'));
        del.addEventListener('click', () => remove(x));
        tr.lastChild.append(' ', del);
      }
      return tr;
    });
    tbody.replaceChildren(...rows);
    document.getElementById('sch-none').hidden = rows.length > 0;
  }

  // ---- viewing, adding, changing, deleting ------------------------------

  async function openSpan(s) {
    if (s.urgent_id) {
      await pano.dialog(t('sch_urgent') + ': ' + nameOf(s), [el('p', {}, pano.time(s.start) + ' – ' + pano.time(s.end)), el('p', {}, t('sch_urgent_note'))], []);
      return;
    }
    await openEntry(s.entry, s);
  }

  async function openEntry(id, span) {
    let x = entries.get(id);
    if (!x) {
      try { x = (await api('GET', '/schedules/' + id)).data; } catch (err) { pano.fail(err); return; }
    }
    if (canEdit) { await openForm(x, null, span); return; }
    await pano.dialog(t('sch_form_view'), [describe(x), ...blockNotes(span)], []);
  }

  function describe(x) {
    const dl = el('dl', { className: 'sch-dl' });
    const row = (k, v) => dl.append(el('dt', {}, t(k)), el('dd', {}, v));
    row('sch_col_rotation', playlistName(x.playlist_id));
    row('sch_col_target', targetName(x));
    row('sch_col_dates', dayLabel(x.starts_on) + ' – ' + dayLabel(x.ends_on));
    row('sch_col_days', daysText(x.weekdays));
    row('sch_col_hours', hoursText(x));
    row('sch_col_priority', String(x.priority));
    row('sch_f_weight', String(weightOf(x)));
    return dl;
  }

  // blockNotes says, for a clicked block, what it won over.
  function blockNotes(span) {
    const shares = span && sharesOf(span);
    const shared = shares ? [el('p', { className: 'sch-sharenote' }, t('sch_shared_note') + ' ' + ratioText(shares) + ': ' + shares.map((x) => nameOf(x) + ' (' + t('sch_weight_short') + ' ' + (x.weight || 1) + ')').join(', ') + '.')] : [];
    if (!span || !span.overlapped.length) return shared;
    return [...shared,el('p', {}, t('sch_in_block') + ' (' + hm(Date.parse(span.start)) + '–' + endLabel(Date.parse(span.end)) + '), ' + t('sch_overrides').toLowerCase() + ':'),
      el('ul', {}, ...span.overlapped.map((o) => el('li', {}, nameOf(o) + ' — ' + t('sch_priority') + ' ' + o.priority + ', ' + hm(Date.parse(o.start)) + '–' + endLabel(Date.parse(o.end)))))];
  }

  let formSeq = 0;
  // openForm shows the entry form: x for an entry to change, or preset
  // values for a new one. The form checks itself, then saves; the dialog
  // stays open with the reason when the API refuses.
  async function openForm(x, preset, span) {
    const n = ++formSeq;
    const id = (name) => 'sch-f-' + name + '-' + n;
    const v = x || { playlist_id: 0, weekdays: 127, start_time: '06:00', end_time: '22:00', priority: 50, weight: 1, starts_on: ymdOf(Date.now()), ends_on: addDays(ymdOf(Date.now()), 30), ...preset };
    const field = (name, label, input, help) => {
      input.id = id(name);
      return el('div', { className: 'sch-field' }, el('label', { htmlFor: input.id }, t(label)), input, help ? el('p', { className: 'note' }, help) : '');
    };
    const rotation = el('select', {}, el('option', { value: '' }, t('sch_f_rotation_none')), ...schedulable.map((p) => el('option', { value: p.id }, p.name)));
    if (x && !schedulable.some((p) => p.id === x.playlist_id)) rotation.append(el('option', { value: x.playlist_id }, playlistName(x.playlist_id)));
    rotation.value = v.playlist_id ? String(v.playlist_id) : '';
    const target = el('select', {});
    addTargets(target);
    target.value = x ? (x.group_id ? 'g:' + x.group_id : 'd:' + x.display_id) : targetSel.value;
    const starts = el('input', { type: 'date', value: v.starts_on });
    const ends = el('input', { type: 'date', value: v.ends_on });
    const boxes = [];
    const days = el('fieldset', { className: 'sch-days' }, el('legend', {}, t('sch_f_days')));
    for (let d = 0; d < 7; d++) {
      const b = el('input', { type: 'checkbox', checked: Boolean(v.weekdays & (1 << d)) });
      boxes.push(b);
      days.append(el('label', {}, b, t('sch_day_' + (d + 1))));
    }
    const preset2 = (mask) => { boxes.forEach((b, d) => { b.checked = Boolean(mask & (1 << d)); }); };
    const work = el('button', { type: 'button' }, t('sch_f_workdays'));
    const all = el('button', { type: 'button' }, t('sch_f_alldays'));
    work.addEventListener('click', () => preset2(31));
    all.addEventListener('click', () => preset2(127));
    days.append(el('div', { className: 'actions' }, work, all));
    // Times are typed as HH:MM (24 h): a native time input shows AM/PM on
    // a browser set to English, which misleads here.
    const hhmm = (value) => el('input', { type: 'text', value, inputMode: 'numeric', maxLength: 5, placeholder: 'HH:MM', autocomplete: 'off', className: 'sch-time' });
    // Dayparts: one row per daily window (up to 8); a window whose end is
    // not after its start runs into the next day, and the row says so.
    const norm = (s) => { const m = /^(\d{1,2})[:h.](\d\d)$/.exec(s.trim()); return m ? m[1].padStart(2, '0') + ':' + m[2] : ''; };
    const MAX_PARTS = 8;
    const rows = [];
    const partsBox = el('div', { className: 'sch-parts' });
    const addPart = el('button', { type: 'button' }, t('sch_f_add_part'));
    const partsSet = el('fieldset', { className: 'sch-days sch-partset' }, el('legend', {}, t('sch_f_dayparts')), partsBox, el('div', { className: 'actions' }, addPart));
    function relabel() {
      rows.forEach((r, i) => {
        const suffix = rows.length > 1 ? ' (' + t('sch_f_part_n') + ' ' + (i + 1) + ')' : '';
        r.fromLabel.textContent = t('sch_f_from') + suffix;
        r.untilLabel.textContent = t('sch_f_until') + suffix;
        r.remove.hidden = rows.length < 2;
        r.remove.ariaLabel = t('sch_f_remove_part') + ' ' + (i + 1);
      });
      addPart.hidden = rows.length >= MAX_PARTS;
    }
    function partRow(d) {
      const k = rows.length + '-' + Math.random().toString(36).slice(2, 7);
      const f = hhmm(d.from), u = hhmm(d.until);
      f.id = id('from-' + k);
      u.id = id('until-' + k);
      const fromLabel = el('label', { htmlFor: f.id }), untilLabel = el('label', { htmlFor: u.id });
      const next = el('span', { className: 'sch-nextday note' });
      const remove = el('button', { type: 'button', className: 'danger' }, t('sch_f_remove_part_short'));
      const sayNext = () => {
        const a = norm(f.value), b = norm(u.value);
        const ok = (x) => /^([01]\d|2[0-3]):[0-5]\d$/.test(x);
        next.textContent = ok(a) && ok(b) && b !== '00:00' && b < a ? t('sch_f_until_next') + ' ' + b + ' ' + t('sch_next_day') : '';
      };
      f.addEventListener('input', sayNext);
      u.addEventListener('input', sayNext);
      const node = el('div', { className: 'sch-part' },
        el('div', { className: 'sch-field' }, fromLabel, f), el('div', { className: 'sch-field' }, untilLabel, u, next), remove);
      const r = { node, from: f, until: u, fromLabel, untilLabel, remove };
      remove.addEventListener('click', () => {
        const i = rows.indexOf(r);
        rows.splice(i, 1);
        node.remove();
        relabel();
        (rows[Math.max(0, i - 1)] || {}).from?.focus();
      });
      rows.push(r);
      partsBox.append(node);
      sayNext();
      return r;
    }
    addPart.addEventListener('click', () => {
      const r = partRow({ from: '', until: '' });
      relabel();
      r.from.focus();
    });
    for (const d of (x ? partsOf(x) : [{ from: v.start_time, until: v.end_time }])) partRow(d);
    relabel();
    const priority = el('input', { type: 'number', min: 0, max: 100, step: 1, value: v.priority });
    const weight = el('input', { type: 'number', min: 1, max: 100, step: 1, value: weightOf(v) });
    const errors = el('ul', { className: 'sch-errors error', role: 'alert' });
    const nodes = [
      schedulable.length ? '' : el('p', { className: 'error' }, t('sch_f_no_rotations')),
      field('rotation', 'sch_f_rotation', rotation),
      field('target', 'sch_f_target', target),
      el('div', { className: 'sch-pair' }, field('starts', 'sch_f_starts', starts), field('ends', 'sch_f_ends', ends)),
      days,
      partsSet,
      el('p', { className: 'note' }, t('sch_f_until_note')),
      el('div', { className: 'sch-pair' }, field('priority', 'sch_f_priority', priority), field('weight', 'sch_f_weight', weight)),
      el('p', { className: 'note' }, t('sch_f_priority_help')),
      el('p', { className: 'note' }, t('sch_f_weight_help')),
      ...blockNotes(span),
      errors,
    ];
    const buttons = [{ label: t('sch_save'), value: 'save', kind: 'submit' }];
    if (x) buttons.push({ label: t('sch_delete'), value: 'delete', kind: 'danger' });
    const done = pano.dialog(t(x ? 'sch_form_edit' : 'sch_form_new'), nodes, buttons);
    const form = errors.closest('form');
    const dlg = form.closest('dialog');
    dlg.classList.add('sch-dialog');
    form.noValidate = true; // the checks below speak Vietnamese; the browser's may not

    function check() {
      const bad = [];
      let mask = 0;
      boxes.forEach((b, d) => { if (b.checked) mask |= 1 << d; });
      const pr = priority.value.trim();
      const wt = weight.value.trim();
      const valid = (s, lastOK) => (/^([01]\d|2[0-3]):[0-5]\d$/.test(s) || (lastOK && s === '24:00'));
      const parts = [];
      const minutes = (s) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3));
      if (!rotation.value) bad.push([rotation, 'sch_v_rotation']);
      if (!target.value) bad.push([target, 'sch_v_target']);
      if (!starts.value || !ends.value) bad.push([starts.value ? ends : starts, 'sch_v_dates']);
      else if (ends.value < starts.value) bad.push([ends, 'sch_v_date_order']);
      if (!mask) bad.push([boxes[0], 'sch_v_days']);
      const used = new Array(1440).fill(-1);
      rows.forEach((r, i) => {
        const a = norm(r.from.value);
        let b = norm(r.until.value);
        if (b === '00:00') b = '24:00';
        if (!valid(a, false) || !valid(b, true)) { bad.push([valid(a, false) ? r.until : r.from, 'sch_v_hours']); return; }
        if (a === b) { bad.push([r.until, 'sch_v_hour_order']); return; }
        // Overlapping windows of one entry say the same hours twice.
        const s0 = minutes(a), e0 = b <= a ? minutes(b) + 1440 : minutes(b);
        for (let m = s0; m < e0; m++) {
          if (used[m % 1440] >= 0) { bad.push([r.from, 'sch_v_overlap']); return; }
          used[m % 1440] = i;
        }
        parts.push({ from: a, until: b });
      });
      if (!/^\d{1,3}$/.test(pr) || Number(pr) > 100) bad.push([priority, 'sch_v_priority']);
      if (!/^\d{1,3}$/.test(wt) || Number(wt) < 1 || Number(wt) > 100) bad.push([weight, 'sch_v_weight']);
      for (const i of [rotation, target, starts, ends, priority, weight, boxes[0], ...rows.flatMap((r) => [r.from, r.until])]) i.removeAttribute('aria-invalid');
      for (const [i] of bad) i.setAttribute('aria-invalid', 'true');
      errors.replaceChildren(...bad.map(([, k]) => el('li', {}, t(k))));
      if (bad.length) { bad[0][0].focus(); return null; }
      const [kind, tid] = target.value.split(':');
      // One window within a day goes as start/end (what every controller
      // reads); several, or one across midnight, as dayparts.
      const body = { playlist_id: Number(rotation.value), starts_on: starts.value, ends_on: ends.value, weekdays: mask, priority: Number(pr), weight: Number(wt) };
      if (parts.length === 1 && !crosses(parts[0])) Object.assign(body, { start_time: parts[0].from, end_time: parts[0].until });
      else body.dayparts = parts;
      body[kind === 'g' ? 'group_id' : 'display_id'] = Number(tid);
      return body;
    }

    // sending holds off a second save while one is on its way (a double
    // tap would otherwise create the entry twice).
    let sending = false;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (sending) return;
      const body = check();
      if (!body) return;
      sending = true;
      try {
        if (x) await api('PATCH', '/schedules/' + x.id, body);
        else await api('POST', '/schedules', body);
        dlg.returnValue = 'saved';
        dlg.close();
      } catch (err) {
        sending = false;
        // pano words every code the API sends (err_CODE); here only what
        // this form can say better, and the input at fault.
        let msg = err.message;
        if (err.code === 'media_not_approved') msg = t('sch_err_media');
        else if (!err.code || !pano.has('err_' + err.code)) msg = t('sch_err_save');
        errors.replaceChildren(el('li', {}, msg));
        const at = { playlist_id: rotation, group_id: target, display_id: target, starts_on: starts, ends_on: ends, weekdays: boxes[0],
          start_time: rows[0].from, end_time: rows[0].until, dayparts: rows[0].from, priority, weight }[err.field];
        if (at) { at.setAttribute('aria-invalid', 'true'); at.focus(); }
      }
    });

    const r = await done;
    if (r === 'saved') {
      pano.say(t(x ? 'sch_saved' : 'sch_created'), 'ok');
      await reload();
    } else if (r === 'delete') {
      await remove(x);
    }
  }

  async function remove(x) {
    if (!(await pano.confirm(t('sch_confirm_delete_t'), playlistName(x.playlist_id) + ' — ' + targetName(x) + '. ' + t('sch_confirm_delete'), t('sch_delete')))) return;
    try {
      await api('DELETE', '/schedules/' + x.id);
      pano.say(t('sch_deleted'), 'ok');
    } catch (err) {
      pano.fail(err);
    }
    await reload();
  }

  targetSel.addEventListener('change', reload);
  document.getElementById('sch-prev').addEventListener('click', () => { monday = addDays(monday, -7); reload(); });
  document.getElementById('sch-next').addEventListener('click', () => { monday = addDays(monday, 7); reload(); });
  document.getElementById('sch-today').addEventListener('click', () => { monday = mondayOf(ymdOf(Date.now())); reload(); });
  // Shown once it works: a click before the page has its data would do nothing.
  document.getElementById('sch-add').hidden = !canEdit;
  document.getElementById('sch-add').addEventListener('click', () => openForm(null, {}));
  await load();
});
