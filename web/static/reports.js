// reports.js: the Báo cáo page: proof of play over a chosen period (and
// campaign) summed by campaign, theme, unit, screen, content and day, as
// tables, two charts and CSV files, and an A4 print view of the same.
'use strict';

pano.start(async () => {
  const { t, api, el, time, duration } = pano;
  const lang = document.body.dataset.lang === 'en' ? 'en' : 'vi';
  const form = document.getElementById('report-filter');
  const box = document.getElementById('reports');
  const groupings = ['campaign', 'theme', 'unit', 'display', 'media', 'day'];

  // Dates are calendar days in the display time zone: YYYY-MM-DD.
  const { today, addDays, midnight: startOf } = pano.dates;
  const showDay = (ymd) => pano.day(startOf(ymd));

  function setRange(kind) {
    const to = today();
    let from = addDays(to, -6);
    if (kind === '30') from = addDays(to, -29);
    if (kind === 'month') from = to.slice(0, 8) + '01';
    form.elements.from.value = from;
    form.elements.to.value = to;
  }

  // The filters live in the page's URL, so a report can be bookmarked and
  // the print view reloaded.
  const params = new URLSearchParams(location.search);
  setRange('7');
  if (/^\d{4}-\d\d-\d\d$/.test(params.get('from') || '')) form.elements.from.value = params.get('from');
  if (/^\d{4}-\d\d-\d\d$/.test(params.get('to') || '')) form.elements.to.value = params.get('to');

  const camps = await api('GET', '/campaigns');
  const campSel = form.elements.campaign_id;
  campSel.append(...camps.data.items.map((c) => el('option', { value: c.id }, c.name)));
  if (params.get('campaign_id')) campSel.value = params.get('campaign_id');

  const units = await api('GET', '/units');
  const leadUnit = units.data.items.find((u) => u.lead);
  document.querySelector('#print-head .site').textContent = document.body.dataset.site || (leadUnit ? leadUnit.name : '');

  // filter is the API query of the form's period and campaign.
  function filter() {
    const f = form.elements;
    const q = new URLSearchParams({ from: startOf(f.from.value), to: startOf(addDays(f.to.value, 1)) });
    if (f.campaign_id.value) q.set('campaign_id', f.campaign_id.value);
    return q;
  }

  const NS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, ...kids) {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const k of kids) e.append(k);
    return e;
  }

  // dayChart draws airtime per day as columns, every day of the period
  // (a gap is a day with nothing played), with the plays above each.
  function dayChart(rows, from, to) {
    const byDay = new Map(rows.map((r) => [r.key, r]));
    const days = [];
    for (let d = from; d <= to && days.length < 366; d = addDays(d, 1)) days.push(d);
    const W = 760, H = 240, left = 64, bottom = 40, top = 20;
    const max = Math.max(1, ...days.map((d) => (byDay.get(d) || {}).seconds || 0));
    const bw = (W - left - 8) / days.length;
    const g = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'chart', 'aria-label': t('rep_chart_day') });
    for (const f of [0, 0.5, 1]) {
      const y = H - bottom - f * (H - bottom - top);
      g.append(svg('line', { x1: left, x2: W, y1: y, y2: y, class: 'grid' }), svg('text', { x: left - 6, y: y + 4, class: 'axis end' }, duration(max * f)));
    }
    const every = Math.ceil(days.length / 15);
    days.forEach((d, i) => {
      const r = byDay.get(d);
      const x = left + i * bw;
      if (r) {
        const h = (r.seconds / max) * (H - bottom - top);
        const bar = svg('rect', { x: x + bw * 0.15, y: H - bottom - h, width: bw * 0.7, height: h, class: 'bar' });
        bar.append(svg('title', {}, showDay(d) + ': ' + r.plays + ' ' + t('col_plays').toLowerCase() + ', ' + duration(r.seconds)));
        g.append(bar);
        if (days.length <= 31) g.append(svg('text', { x: x + bw / 2, y: H - bottom - h - 4, class: 'axis mid' }, String(r.plays)));
      }
      if (i % every === 0) g.append(svg('text', { x: x + bw / 2, y: H - bottom + 16, class: 'axis mid' }, showDay(d).slice(0, 5)));
    });
    return el('figure', {}, g, el('figcaption', {}, t('rep_chart_day')));
  }

  // barChart draws airtime per screen as horizontal bars.
  function barChart(rows) {
    const W = 760, row = 26, left = 200;
    const H = rows.length * row + 8;
    const max = Math.max(1, ...rows.map((r) => r.seconds));
    const g = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'chart', 'aria-label': t('rep_chart_display') });
    rows.forEach((r, i) => {
      const y = 4 + i * row;
      const w = (r.seconds / max) * (W - left - 120);
      g.append(svg('text', { x: left - 8, y: y + 16, class: 'axis end' }, name('display', r).slice(0, 28)),
        svg('rect', { x: left, y: y + 3, width: Math.max(1, w), height: row - 8, class: 'bar' }),
        svg('text', { x: left + w + 6, y: y + 16, class: 'axis' }, duration(r.seconds) + ' · ' + r.plays));
    });
    return el('figure', {}, g, el('figcaption', {}, t('rep_chart_display')));
  }

  // name is a row's name: plays of no campaign, theme or unit (key "") are
  // named in words; a screen or content deleted since says so, with its
  // number.
  const name = (by, x) => {
    if (by === 'day') return showDay(x.key);
    if (x.key === '') return t('rep_none_' + by);
    return x.label || t(by === 'display' ? 'rep_deleted_display' : 'rep_deleted') + ' #' + x.key;
  };

  function table(by, items) {
    const csv = el('a', { href: '/api/v1/reports/plays?' + new URLSearchParams({ group_by: by, format: 'csv', lang }) + '&' + filter(), className: 'csv noprint' }, t('download_csv'));
    csv.setAttribute('download', '');
    const s = el('section', { className: 'report' }, el('h3', {}, t('by_' + by)), csv);
    s.dataset.by = by;
    // The print view is a campaign's report: its totals by theme and by
    // screen, and the chart; the other tables stay on the screen.
    if (by !== 'theme' && by !== 'display') s.classList.add('noprint');
    if (items.length === 0) {
      s.append(el('p', {}, t('no_plays')));
      return s;
    }
    const head = el('tr', {}, ...['col_name', 'col_plays', 'col_airtime', 'col_first', 'col_last'].map((k) => el('th', {}, t(k))));
    const rows = items.map((x) => el('tr', {},
      el('td', {}, name(by, x)),
      el('td', { className: 'num' }, x.plays),
      el('td', { className: 'num' }, duration(x.seconds)),
      el('td', {}, time(x.first)), el('td', {}, time(x.last))));
    s.append(el('table', {}, el('thead', {}, head), el('tbody', {}, ...rows)));
    return s;
  }

  // One answer shown at a time: a load started later (another period, a
  // campaign) wins over one still under way.
  let loading = 0;
  async function load() {
    const seq = ++loading;
    const f = form.elements;
    if (f.from.value > f.to.value) {
      pano.say(t('rep_bad_range'), 'error');
      return;
    }
    pano.say('');
    const q = new URLSearchParams({ from: f.from.value, to: f.to.value });
    if (f.campaign_id.value) q.set('campaign_id', f.campaign_id.value);
    history.replaceState(null, '', location.pathname + '?' + q);
    const res = await Promise.all(groupings.map((by) => api('GET', '/reports/plays?group_by=' + by + '&' + filter())));
    if (seq !== loading) return; // a newer load is under way
    const data = Object.fromEntries(groupings.map((by, i) => [by, res[i].data.items]));
    const scope = res[0].data.scope;
    document.getElementById('scope').replaceChildren(scope.all ? t('rep_scope_all')
      : t('rep_scope_unit') + ' ' + scope.unit_name + '. ' + t('rep_scope_why'));

    const camp = camps.data.items.find((c) => String(c.id) === f.campaign_id.value);
    document.querySelector('#print-head .campaign').textContent = camp ? t('rep_campaign') + ': ' + camp.name : t('rep_all_campaigns');
    document.querySelector('#print-head .period').textContent = t('rep_period') + ': ' + showDay(f.from.value) + ' ' + t('rep_period_to') + ' ' + showDay(f.to.value);
    document.getElementById('printed').textContent = t('rep_printed') + ' ' + time(new Date().toISOString());

    const plays = data.day.reduce((n, r) => n + r.plays, 0);
    const secs = data.day.reduce((n, r) => n + r.seconds, 0);
    const stat = (k, v) => el('div', { className: 'stat' }, el('span', {}, t(k)), el('strong', {}, v));
    document.getElementById('totals').replaceChildren(stat('rep_total_plays', plays.toLocaleString(pano.locale)),
      stat('rep_total_airtime', duration(secs)), stat('rep_total_screens', String(data.display.length)));
    const charts = document.getElementById('charts');
    charts.replaceChildren(...(plays ? [dayChart(data.day, f.from.value, f.to.value), barChart(data.display)] : []));
    box.replaceChildren(...groupings.map((by) => table(by, data[by])));
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    load().catch(pano.fail);
  });
  for (const b of form.querySelectorAll('button[data-range]')) {
    b.addEventListener('click', () => {
      setRange(b.dataset.range);
      load().catch(pano.fail);
    });
  }
  document.getElementById('print').addEventListener('click', () => window.print());
  await load();
});
