// CAP emergency feeds on the Quản trị page: the admin adds a feed served
// by a small HTTP server this script runs on 127.0.0.1 (the demo
// controller fetches feeds on loopback: --cap-private auto allows them
// with --demo), with a place name mapped to a group of its own; polls it
// now; the storm alert waits for approval and is published to the group's
// screen; a Cancel ends it; a feed with an entity-expansion DOCTYPE is
// refused with the reason in Vietnamese; alerts of unknown levels or of
// Restricted scope are kept, not shown, in words. Its own group and screen (no
// agent), so the demo screens never show its notice.
import http from 'node:http';
import { base, step, login, shot, run, uniq, apiAs } from './lib.mjs';

const u = uniq();
const place = 'Phường Thử Nghiệm ' + u;
const groupName = 'Khu cảnh báo ' + u;
const feedName = 'Khí tượng ' + u;
const badName = 'Nguồn hỏng ' + u;

const iso = (d) => {
  // CAP times carry an explicit offset (§3.3.2): +07:00, never Z.
  const z = new Date(d.getTime() + 7 * 3600e3).toISOString().slice(0, 19);
  return z + '+07:00';
};
const now = new Date();
const sent = iso(now);
const expires = iso(new Date(now.getTime() + 2 * 3600e3));
const sender = 'canhbao@khituong.example.vn';
const ident = 'VN-STORM-' + u;
const storm = `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>${ident}</identifier><sender>${sender}</sender><sent>${sent}</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info>
    <language>en-US</language><category>Met</category><event>Storm</event>
    <urgency>Immediate</urgency><severity>Severe</severity><certainty>Observed</certainty>
    <expires>${expires}</expires><headline>Storm warning</headline>
    <area><areaDesc>Test ward ${u}</areaDesc></area>
  </info>
  <info>
    <language>vi-VN</language><category>Met</category><event>Bão</event>
    <urgency>Immediate</urgency><severity>Severe</severity><certainty>Observed</certainty>
    <expires>${expires}</expires><headline>Cảnh báo bão khẩn cấp</headline>
    <description>Gió mạnh cấp 10, mưa rất to. Người dân không ra khỏi nhà.</description>
    <area><areaDesc>${place}</areaDesc></area>
  </info>
</alert>`;
const cancel = `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>${ident}-C</identifier><sender>${sender}</sender><sent>${iso(new Date(now.getTime() + 60e3))}</sent>
  <status>Actual</status><msgType>Cancel</msgType><scope>Public</scope>
  <references>${sender},${ident},${sent}</references>
</alert>`;
const bomb = `<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&b;</identifier></alert>`;

// An Atom feed of two alerts not shown: one of unknown severity, urgency
// and certainty (below the feed's threshold), one Restricted.
const odd = (id, scope, [urg, sev, cert]) => `<entry><id>urn:${id}</id><title>${id}</title><updated>${sent}</updated><content type="application/cap+xml">
  <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
    <identifier>${id}</identifier><sender>${sender}</sender><sent>${sent}</sent>
    <status>Actual</status><msgType>Alert</msgType><scope>${scope}</scope>${scope === 'Restricted' ? '<restriction>chỉ cán bộ</restriction>' : ''}
    <info><language>vi-VN</language><category>Met</category><event>Sự kiện ${id}</event>
      <urgency>${urg}</urgency><severity>${sev}</severity><certainty>${cert}</certainty>
      <expires>${expires}</expires><headline>Tin ${id}</headline><area><areaDesc>${place}</areaDesc></area></info>
  </alert></content></entry>`;
const atom = `<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"><id>urn:odd-${u}</id><title>odd</title><updated>${sent}</updated>` +
  odd('UNK-' + u, 'Public', ['Unknown', 'Unknown', 'Unknown']) + odd('RST-' + u, 'Restricted', ['Immediate', 'Extreme', 'Observed']) + '</feed>';
const oddName = 'Nguồn lạ ' + u;

const docs = { '/cap.xml': storm, '/bad.xml': bomb, '/odd.xml': atom };
const server = http.createServer((req, res) => {
  const body = docs[req.url];
  if (!body) { res.writeHead(404); res.end(); return; }
  res.writeHead(200, { 'Content-Type': 'application/cap+xml; charset=utf-8' });
  res.end(body);
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const feedBase = 'http://127.0.0.1:' + server.address().port;

// The group and its one screen, set up through the API.
const admin = await apiAs('admin');
const group = await admin.call('POST', '/groups', { name: groupName });
const display = await admin.call('POST', '/displays', { name: 'cap-' + u, width: 64, height: 32, fit: 'contain', profile: 'virtual', group_id: group.id });

async function capTab(page) {
  await page.getByRole('navigation', { name: 'Các phần quản trị' }).getByRole('link', { name: 'Cảnh báo khẩn cấp (CAP)', exact: true }).click();
  await page.getByRole('heading', { name: 'Nguồn cảnh báo', exact: true, level: 3 }).waitFor();
}

async function addFeed(page, name, url) {
  await page.getByRole('button', { name: 'Thêm nguồn cảnh báo' }).click();
  const d = page.getByRole('dialog');
  await d.getByLabel('Tên nguồn').fill(name);
  await d.getByLabel('Địa chỉ (URL) của nguồn').fill(url);
  await d.getByLabel('Chu kỳ kiểm tra (giây, tối thiểu 30)').fill('30');
  await d.getByLabel('Mức nghiêm trọng tối thiểu').selectOption({ label: 'Trung bình' });
  await d.getByRole('button', { name: 'Thêm khu vực' }).click();
  await d.getByLabel('Địa danh hoặc giá trị mã').fill(place);
  await d.getByLabel('Nhóm màn hình').selectOption({ label: groupName });
  await d.getByRole('button', { name: 'Tạo' }).click();
  await d.waitFor({ state: 'detached' });
  await page.locator('.cap-feeds tr', { hasText: name }).waitFor();
}

try {
  await run(async (page) => {
    step('admin opens the CAP tab');
    await page.goto(base + '/admin?lang=vi#cap');
    await login(page, 'admin');
    await capTab(page);
    await page.getByText('Được phép đọc nguồn cảnh báo ở địa chỉ nội bộ').waitFor();

    step('adds a feed that waits for an approver, with a place name mapped to a group');
    await addFeed(page, feedName, feedBase + '/cap.xml');
    const row = page.locator('.cap-feeds tr', { hasText: feedName });
    await row.getByText('Chờ người phê duyệt').waitFor();
    await row.getByRole('button', { name: 'Kiểm tra ngay' }).click();
    await page.locator('.cap-feeds tr', { hasText: feedName }).getByText('Thành công').waitFor();

    step('the storm waits, in Vietnamese, for the group\'s screen');
    const alert = page.locator('.cap-alerts tr', { hasText: 'Cảnh báo bão khẩn cấp' });
    await alert.getByText('Chờ phê duyệt').waitFor();
    await alert.getByText(groupName).waitFor();
    await alert.getByText('Nghiêm trọng').waitFor();
    await shot(page, '65-cap-waiting');

    step('publishes it: an urgent notice on the group\'s screen until it expires');
    await alert.getByRole('button', { name: 'Phát cảnh báo' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Phát cảnh báo' }).click();
    const published = page.locator('.cap-alerts tr', { hasText: 'Cảnh báo bão khẩn cấp' });
    await published.getByText('Đã phát').waitFor();
    await published.getByText(/Thông báo khẩn #\d+/).waitFor();
    const live = (await admin.call('GET', '/urgent-notices?live=true')).items.filter((n) => n.title === 'Cảnh báo bão khẩn cấp' && n.group_ids.includes(group.id));
    if (live.length !== 1 || live[0].displays !== 1 || !live[0].text.startsWith('Gió mạnh cấp 10')) throw new Error('urgent notice: ' + JSON.stringify(live));

    step('a Cancel in the feed ends it');
    docs['/cap.xml'] = cancel;
    await page.locator('.cap-feeds tr', { hasText: feedName }).getByRole('button', { name: 'Kiểm tra ngay' }).click();
    await page.locator('.cap-alerts tr', { hasText: 'Cảnh báo bão khẩn cấp' }).getByText('Đã hủy').waitFor();
    await page.locator('.cap-alerts tr', { hasText: 'Hủy: Cảnh báo bão khẩn cấp' }).getByText('Bản tin hủy').waitFor();
    const still = (await admin.call('GET', '/urgent-notices?live=true')).items.filter((n) => n.id === live[0].id);
    if (still.length) throw new Error('the cancelled alert is still on screens');

    step('a feed with entity expansion is refused, the reason in Vietnamese');
    await addFeed(page, badName, feedBase + '/bad.xml');
    await page.locator('.cap-feeds tr', { hasText: badName }).getByRole('button', { name: 'Kiểm tra ngay' }).click();
    const bad = page.locator('.cap-feeds tr', { hasText: badName });
    await bad.getByText('Lỗi', { exact: true }).waitFor();
    await bad.getByText('Tài liệu có khai báo DOCTYPE').waitFor();
    await shot(page, '65-cap-1366');

    step('unknown levels and a Restricted alert are kept, not shown, all in Vietnamese');
    await addFeed(page, oddName, feedBase + '/odd.xml');
    await page.locator('.cap-feeds tr', { hasText: oddName }).getByRole('button', { name: 'Kiểm tra ngay' }).click();
    const unk = page.locator('.cap-alerts tr', { hasText: 'Tin UNK-' + u });
    await unk.getByText('dưới ngưỡng đã đặt').waitFor();
    await unk.getByText('Mức nghiêm trọng chưa rõ · Mức khẩn cấp chưa rõ · Mức chắc chắn chưa rõ').waitFor();
    await page.locator('.cap-alerts tr', { hasText: 'RST-' + u }).getByText('không dành cho công chúng').waitFor();
    const rawVi = await page.locator('#cap td').evaluateAll((tds) => tds.map((td) => td.textContent)
      .filter((x) => /\b(Unknown|Restricted|not_public|below_threshold|skipped|published|waiting|Extreme)\b/.test(x)));
    if (rawVi.length) throw new Error('raw CAP words on the Vietnamese page: ' + rawVi);
    await page.getByRole('button', { name: 'Thêm nguồn cảnh báo' }).click();
    const nd = page.getByRole('dialog');
    await nd.getByRole('button', { name: 'Thêm khu vực' }).click();
    await nd.getByLabel('Loại').selectOption({ label: 'Mã địa lý' });
    if ((await nd.getByLabel('Tên mã (valueName)').getAttribute('placeholder')) !== 'tên mã, vd. province') throw new Error('the geocode name placeholder is not in Vietnamese');
    await nd.getByRole('button', { name: 'Hủy' }).click();
    await nd.waitFor({ state: 'detached' });

    step('edits the feed: auto-publish on, the areas kept');
    await page.locator('.cap-feeds tr', { hasText: feedName }).getByRole('button', { name: 'Sửa' }).click();
    const d = page.getByRole('dialog');
    if ((await d.getByLabel('Địa danh hoặc giá trị mã').inputValue()) !== place) throw new Error('the area was not kept in the form');
    await d.getByLabel('Tự động phát cảnh báo đủ điều kiện').check();
    await d.getByRole('button', { name: 'Lưu' }).click();
    await d.waitFor({ state: 'detached' });
    await page.locator('.cap-feeds tr', { hasText: feedName }).getByText('Tự động phát').waitFor();
  });

  await run(async (page) => {
    step('on a tablet, the tab reads and its form fits');
    await page.goto(base + '/admin?lang=vi#cap');
    await login(page, 'admin');
    await capTab(page);
    await page.locator('.cap-feeds tr', { hasText: feedName }).waitFor();
    await shot(page, '65-cap-tablet');
    await page.getByRole('button', { name: 'Thêm nguồn cảnh báo' }).click();
    const box = await page.getByRole('dialog').boundingBox();
    if (!box || box.width > 768) throw new Error('the feed dialog is wider than the tablet: ' + JSON.stringify(box));
    await shot(page, '65-cap-tablet-form');
    await page.getByRole('dialog').getByRole('button', { name: 'Hủy' }).click();

    step('in English: the same tab, its words, no codes');
    await page.goto(base + '/admin?lang=en#cap');
    await page.getByRole('heading', { name: 'Feeds', exact: true, level: 3 }).waitFor();
    await page.locator('.cap-feeds tr', { hasText: badName }).getByText('The document declares a DOCTYPE').waitFor();
    await page.locator('.cap-alerts tr', { hasText: 'Cảnh báo bão khẩn cấp' }).getByText('Cancelled', { exact: true }).waitFor();
    await page.locator('.cap-alerts tr', { hasText: 'Cancels: Cảnh báo bão khẩn cấp' }).getByText('Cancellation').waitFor();
    const raw = await page.locator('#cap td').evaluateAll((tds) => tds.map((td) => td.textContent).filter((x) => /\b(published|waiting|cancel|not_modified|doctype|below_threshold)\b/.test(x)));
    if (raw.length) throw new Error('raw API words on the page: ' + raw);
    await shot(page, '65-cap-en');
  }, { viewport: { width: 768, height: 1024 } });
} finally {
  // Leave nothing polling or on screens.
  for (const f of (await admin.call('GET', '/cap-feeds')).items.filter((x) => x.name.endsWith(u))) await admin.call('DELETE', '/cap-feeds/' + f.id);
  for (const n of (await admin.call('GET', '/urgent-notices?live=true')).items.filter((x) => x.group_ids.includes(group.id))) {
    await admin.call('POST', '/urgent-notices/' + n.id + '/cancel');
  }
  await admin.call('DELETE', '/displays/' + display.id);
  await admin.call('DELETE', '/groups/' + group.id);
  await admin.dispose();
  server.close();
}
