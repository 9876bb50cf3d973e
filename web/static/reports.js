// reports.js: the Báo cáo page: proof of play summed by campaign, day and
// display, each with its CSV download.
'use strict';

pano.start(async () => {
  const { t, api, el, time, day } = pano;
  const box = document.getElementById('reports');

  async function section(by) {
    const url = '/reports/plays?group_by=' + by;
    const r = await api('GET', url);
    const csv = el('a', { href: '/api/v1' + url + '&format=csv', className: 'csv' }, t('download_csv'));
    csv.setAttribute('download', '');
    const s = el('section', { className: 'report' }, el('h3', {}, t('by_' + by)), csv);
    s.dataset.by = by;
    if (r.data.items.length === 0) {
      s.append(el('p', {}, t('no_plays')));
      return s;
    }
    const head = el('tr', {}, ...['col_name', 'col_plays', 'col_seconds', 'col_first', 'col_last'].map((k) => el('th', {}, t(k))));
    const rows = r.data.items.map((x) => el('tr', {},
      el('td', {}, by === 'day' ? day(x.key + 'T12:00:00Z') : x.label || x.key),
      el('td', { className: 'num' }, x.plays),
      el('td', { className: 'num' }, x.seconds.toFixed(0)),
      el('td', {}, time(x.first)), el('td', {}, time(x.last))));
    s.append(el('table', {}, el('thead', {}, head), el('tbody', {}, ...rows)));
    return s;
  }

  const parts = await Promise.all(['campaign', 'day', 'display'].map(section));
  box.replaceChildren(...parts);
});
