// Urgent notices composed on the spot, on the Nội dung page: the approver
// types a Vietnamese text, sees it drawn for every panel size, sends it to
// one screen until a chosen time; it is on that screen's plan at once,
// kept out of the content list, and stopped. A CAP alert waiting for an
// approver (a feed served by this script, mapped to a group of its own)
// is shown beside the live notices and dismissed there. Its own screens
// (no agent), so the demo screens never show its notices.
import http from 'node:http';
import { base, step, login, shot, run, uniq, apiAs } from './lib.mjs';

const u = uniq();
const title = 'Mất điện ' + u;
const text = 'Cắt điện khu vực chợ Đống Đa từ 14:00 đến 16:00 để sửa đường dây. Bà con chú ý.';
const screen = 'urg-' + u;
const groupName = 'Khu mưa lũ ' + u;
const place = 'Tổ dân phố ' + u;

// A time two hours ahead in the display time zone, as datetime-local takes it.
const later = new Date(Date.now() + 2 * 3600e3);
const local = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
  .format(later).replace(' ', 'T');

const iso = (d) => new Date(d.getTime() + 7 * 3600e3).toISOString().slice(0, 19) + '+07:00';
const flood = `<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>VN-FLOOD-${u}</identifier><sender>canhbao@thuyloi.example.vn</sender><sent>${iso(new Date())}</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info>
    <language>vi-VN</language><category>Met</category><event>Lũ</event>
    <urgency>Expected</urgency><severity>Severe</severity><certainty>Likely</certainty>
    <expires>${iso(later)}</expires><headline>Nguy cơ ngập lụt</headline>
    <description>Mưa lớn, nguy cơ ngập sâu ở vùng trũng.</description>
    <area><areaDesc>${place}</areaDesc></area>
  </info>
</alert>`;
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/cap+xml' });
  res.end(flood);
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));

const admin = await apiAs('admin');
const display = await admin.call('POST', '/displays', { name: screen, width: 64, height: 32, fit: 'contain', profile: 'virtual' });
const group = await admin.call('POST', '/groups', { name: groupName });
const feed = await admin.call('POST', '/cap-feeds', { name: 'Thủy lợi ' + u, url: 'http://127.0.0.1:' + server.address().port + '/cap.xml', interval_s: 30,
  areas: [{ kind: 'desc', value: place, group_id: group.id }] });
await admin.call('POST', '/cap-feeds/' + feed.id + '/poll');

try {
  await run(async (page) => {
    step('the approver composes an urgent notice on the spot');
    await page.goto(base + '/content?lang=vi');
    await login(page, 'approver');
    await page.getByRole('button', { name: 'Soạn thông báo khẩn' }).click();
    const d = page.getByRole('dialog');
    await d.getByRole('heading', { name: 'Phát thông báo khẩn' }).waitFor();
    if (!(await d.getByLabel('Gõ chữ ngay').isChecked())) throw new Error('typing is not the default');
    await d.getByLabel('Tiêu đề (không bắt buộc)').fill(title);
    await d.getByLabel('Nội dung thông báo khẩn').fill(text);

    step('it is drawn for every panel size');
    for (const g of ['64x32', '128x64', '192x96']) await d.locator(`canvas[data-geom="${g}"][data-ready="1"]`).waitFor();

    step('to one screen, until a time');
    await d.getByLabel('các màn hình đã chọn').check();
    await d.getByLabel(new RegExp(screen)).check();
    await d.getByLabel('Đến thời điểm').first().check();
    await d.locator('input[type=datetime-local]').fill(local);
    await shot(page, '66-urgent-compose');
    await d.getByRole('button', { name: 'Tiếp tục' }).click();
    const cd = page.getByRole('dialog');
    await cd.getByRole('heading', { name: 'Xác nhận phát khẩn' }).waitFor();
    await cd.locator('.ct-confirm', { hasText: '1 màn hình' }).waitFor();
    await cd.getByText(screen).waitFor();
    await cd.getByRole('button', { name: 'Phát khẩn ngay' }).click();
    await page.locator('#msg.ok', { hasText: 'Đã phát thông báo khẩn' }).waitFor();
    const live = page.locator('#urgent li', { hasText: title });
    await live.getByText(screen).waitFor();

    step('the notice is the screen\'s, until that time, and on its plan at once');
    const n = (await admin.call('GET', '/urgent-notices?live=true')).items.find((x) => x.title === title);
    if (!n || n.text !== text || n.display_ids.length !== 1 || n.display_ids[0] !== display.id || n.displays !== 1 || n.every_display) throw new Error('notice: ' + JSON.stringify(n));
    const end = new Date(n.ends_at).getTime();
    if (Math.abs(end - later.getTime()) > 60e3) throw new Error('ends at ' + n.ends_at + ', asked ' + local);
    const until = Date.now() + 10000;
    for (;;) {
      const p = await admin.call('GET', '/displays/' + display.id + '/plan').catch(() => null);
      if (p && p.plan && (p.plan.entries || []).some((e) => e.id === -n.id)) break;
      if (Date.now() > until) throw new Error('not on the screen\'s plan: ' + JSON.stringify(p && p.plan));
      await new Promise((res) => setTimeout(res, 200)); // polling the API: the plan service has no event for a page
    }
    if (await page.locator('#media article.ct-item', { hasText: title }).count()) throw new Error('the notice\'s text is in the content list');

    step('an alert from a CAP feed waiting: the approver is told on every page');
    await page.getByRole('link', { name: 'Màn hình' }).click();
    const told = page.locator('#urgent-banner p', { hasText: 'Cảnh báo khẩn cấp (CAP) chờ phê duyệt' });
    await told.getByText('Nguy cơ ngập lụt').waitFor();
    await told.getByRole('link', { name: 'Xem và quyết định' }).click();

    step('it waits beside the live notices');
    const waiting = page.locator('#cap-waiting li', { hasText: 'Nguy cơ ngập lụt' });
    await waiting.getByText(groupName).waitFor();
    await shot(page, '66-urgent-live');
    await waiting.getByRole('button', { name: 'Bỏ qua' }).click();
    await page.locator('#msg.ok', { hasText: 'Đã bỏ qua cảnh báo' }).waitFor();
    await waiting.waitFor({ state: 'detached' });

    step('stop the notice');
    await live.getByRole('button', { name: 'Dừng' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Dừng' }).click();
    await page.locator('#msg.ok', { hasText: 'Đã dừng thông báo khẩn' }).waitFor();
    await live.waitFor({ state: 'detached' });
  });

  await run(async (page) => {
    step('on a tablet, the composer fits');
    await page.goto(base + '/content?lang=vi');
    await login(page, 'approver');
    await page.getByRole('button', { name: 'Soạn thông báo khẩn' }).click();
    const d = page.getByRole('dialog');
    await d.getByLabel('Nội dung thông báo khẩn').fill(text);
    await d.locator('canvas[data-geom="64x32"][data-ready="1"]').waitFor();
    const box = await d.boundingBox();
    if (!box || box.width > 768) throw new Error('the composer is wider than the tablet: ' + JSON.stringify(box));
    await shot(page, '66-urgent-tablet');
    await d.getByRole('button', { name: 'Hủy' }).click();
  }, { viewport: { width: 768, height: 1024 } });
} finally {
  for (const x of (await admin.call('GET', '/urgent-notices?live=true')).items.filter((x) => x.display_ids.includes(display.id))) {
    await admin.call('POST', '/urgent-notices/' + x.id + '/cancel');
  }
  await admin.call('DELETE', '/cap-feeds/' + feed.id);
  await admin.call('DELETE', '/displays/' + display.id);
  await admin.call('DELETE', '/groups/' + group.id);
  await admin.dispose();
  server.close();
}
