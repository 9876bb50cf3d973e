// The schedules page: the approver adds weekday mornings for a demo
// rotation on the school group by dragging over the week calendar, sees it
// win over the demo's all-day entry (shown hatched as overlapped), changes
// and deletes it; the timeline JSON agrees; an editor reads only. On a
// touch tablet, the approver adds an entry over several hours and days
// with two taps.
import { base, step, login, logout, apiAs, shot, run } from './lib.mjs';

const groupName = 'Trường học';
const rotationName = 'Nghị quyết 57 – tuyến đường chính';
const demoRotationName = 'Chuyển đổi số – trường học';
const weekdays = ['Thứ Hai', 'Thứ Ba', 'Thứ Tư', 'Thứ Năm', 'Thứ Sáu', 'Thứ Bảy', 'Chủ Nhật'];

// Look up what the demo seeded (read only).
const ap = await apiAs('approver');
const group = (await ap.call('GET', '/groups')).items.find((g) => g.name === groupName);
const display = (await ap.call('GET', '/displays')).items.find((d) => d.name === 'truong-hoc');
const demoRotation = (await ap.call('GET', '/playlists?limit=500')).items.find((p) => p.name === demoRotationName);
const demo = (await ap.call('GET', '/schedules?group_id=' + group.id)).items.find((s) => s.playlist_id === demoRotation.id);
if (!group || !display || !demo) throw new Error('demo data missing');

// This week's Monday in Asia/Ho_Chi_Minh (UTC+7, no daylight saving).
const local = new Date(Date.now() + 7 * 3600e3);
const monday = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() - ((local.getUTCDay() + 6) % 7))).toISOString().slice(0, 10);
const at = (hhmm, days = 0) => {
  const d = new Date(Date.parse(monday + 'T00:00:00Z') + days * 86400e3).toISOString().slice(0, 10);
  return Date.parse(d + 'T' + hhmm + ':00+07:00');
};

const near = (a, b) => Math.abs(a - b) <= 2;

await run(async (page) => {
  const cal = page.locator('#sch-calendar');
  const cell = (d, h) => cal.locator(`.sch-cell[data-day="${d}"][data-hour="${h}"]`);
  const block = (entry, d) => cal.locator(`.sch-block[data-entry="${entry}"][data-day="${d}"]`);
  const lost = (entry, d) => cal.locator(`.sch-lost[data-entry="${entry}"][data-day="${d}"]`);
  const dialog = page.getByRole('dialog');

  step('approver opens the calendar of the school group');
  await page.goto(base + '/schedules?lang=vi');
  await login(page, 'approver');
  await page.getByLabel('Xem lịch của').selectOption({ label: groupName });
  await block(demo.id, 0).waitFor();
  if ((await page.locator('#sch-list tbody tr').count()) < 1) throw new Error('the list shows no entry');

  step('drag from Monday 07:00 to Friday 10:00 over the free part of the cells');
  await cell(0, 7).scrollIntoViewIfNeeded();
  const a = await cell(0, 7).boundingBox();
  const b = await cell(4, 10).boundingBox();
  await page.mouse.move(a.x + a.width - 5, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width - 5, b.y + b.height / 2, { steps: 10 });
  await page.mouse.up();
  await dialog.getByRole('heading', { name: 'Thêm lịch phát' }).waitFor();
  for (const [label, want] of [['Từ giờ', '07:00'], ['Đến giờ', '11:00']]) {
    const got = await dialog.getByLabel(label, { exact: true }).inputValue();
    if (got !== want) throw new Error(`${label}: ${got}, want ${want}`);
  }
  for (const [i, day] of weekdays.entries()) {
    const checked = await dialog.getByLabel(day, { exact: true }).isChecked();
    if (checked !== i < 5) throw new Error(`${day} checked=${checked}`);
  }
  if ((await dialog.getByLabel('Áp dụng cho').inputValue()) !== 'g:' + group.id) throw new Error('the form does not target the group shown');

  step('the form checks itself in Vietnamese');
  await dialog.getByLabel('Mức ưu tiên (0–100)').fill('150');
  await dialog.getByLabel('Đến giờ', { exact: true }).fill('07:00');
  await dialog.getByRole('button', { name: 'Lưu' }).click();
  const alert = dialog.getByRole('alert');
  for (const text of ['Hãy chọn một vòng phát đã duyệt.', 'Mức ưu tiên là số nguyên từ 0 đến 100.', 'Giờ kết thúc phải khác giờ bắt đầu']) {
    await alert.filter({ hasText: text }).waitFor();
  }
  if (await page.locator('#msg.ok').isVisible()) throw new Error('saved despite the errors');
  await dialog.getByLabel('Đến giờ', { exact: true }).fill('11:00');
  const options = await dialog.getByLabel('Vòng phát (chỉ vòng phát đã duyệt)').locator('option').allTextContents();
  if (!options.includes(rotationName)) throw new Error('approved rotation not offered: ' + options.join(' | '));

  step('choose the rotation and a priority above the demo entry, save');
  await dialog.getByLabel('Vòng phát (chỉ vòng phát đã duyệt)').selectOption({ label: rotationName });
  await dialog.getByLabel('Mức ưu tiên (0–100)').fill('80');
  await dialog.getByRole('button', { name: 'Lưu' }).click();
  await page.locator('#msg.ok', { hasText: 'Đã thêm lịch phát.' }).waitFor();
  const row = page.locator('#sch-list tbody tr', { hasText: rotationName }).filter({ hasText: '07:00–11:00' });
  await row.waitFor();
  const id = Number(await row.getAttribute('data-id'));
  if (!(await row.textContent()).includes('T2–T6')) throw new Error('list row: ' + (await row.textContent()));

  step('the block sits on Monday–Friday 07:00–11:00, the demo entry hatched beside it');
  for (let d = 0; d < 7; d++) {
    const n = await block(id, d).count();
    if (n !== (d < 5 ? 1 : 0)) throw new Error(`day ${d}: ${n} blocks of the new entry`);
  }
  const mon = block(id, 0);
  if ((await mon.getAttribute('data-start')) !== '07:00' || (await mon.getAttribute('data-end')) !== '11:00') throw new Error('block hours');
  const bb = await mon.boundingBox();
  const c7 = await cell(0, 7).boundingBox();
  const c10 = await cell(0, 10).boundingBox();
  if (!near(bb.y, c7.y) || !near(bb.y + bb.height, c10.y + c10.height)) throw new Error(`block at ${bb.y}–${bb.y + bb.height}, cells 07–11 at ${c7.y}–${c10.y + c10.height}`);
  if (!(await mon.textContent()).includes(`Phát thay cho: ${demoRotationName} (ưu tiên 10)`)) throw new Error('block text: ' + (await mon.textContent()));
  // The "plays instead of" line is inside the block, not cut off below it.
  const over = await mon.locator('.sch-over').boundingBox();
  if (!over || over.height < 8 || over.y + over.height > bb.y + bb.height + 0.5) throw new Error(`"Phát thay cho" line at ${JSON.stringify(over)}, block ends at ${bb.y + bb.height}`);
  const strip = lost(demo.id, 0);
  if ((await strip.getAttribute('data-start')) !== '07:00' || (await strip.getAttribute('data-end')) !== '11:00') throw new Error('overlapped strip hours');
  await shot(page, 'schedules-week');

  step('the display timeline JSON agrees');
  const tl = await ap.call('GET', `/displays/${display.id}/timeline?from=${encodeURIComponent(monday + 'T00:00:00+07:00')}&to=${encodeURIComponent(new Date(at('00:00', 7)).toISOString())}`);
  const spans = tl.spans.filter((s) => s.entry === id);
  if (spans.length !== 5) throw new Error(`${spans.length} spans of entry ${id} in the display's week`);
  for (const [d, s] of spans.entries()) {
    if (Date.parse(s.start) !== at('07:00', d) || Date.parse(s.end) !== at('11:00', d) || s.priority !== 80 || s.playlist_name !== rotationName) {
      throw new Error('span ' + JSON.stringify(s));
    }
    if (!s.overlapped.some((o) => o.entry === demo.id && o.priority === 10)) throw new Error('demo entry not overlapped: ' + JSON.stringify(s.overlapped));
  }

  step('change it from its block: 08:00 and priority 90');
  await mon.click();
  await dialog.getByRole('heading', { name: 'Sửa lịch phát' }).waitFor();
  await dialog.getByRole('listitem').filter({ hasText: `${demoRotationName} — ưu tiên 10, 07:00–11:00` }).waitFor();
  await dialog.getByLabel('Từ giờ', { exact: true }).fill('08:00');
  await dialog.getByLabel('Mức ưu tiên (0–100)').fill('90');
  await dialog.getByRole('button', { name: 'Lưu' }).click();
  await page.locator('#msg.ok', { hasText: 'Đã lưu lịch phát.' }).waitFor();
  await cal.locator(`.sch-block[data-entry="${id}"][data-day="0"][data-start="08:00"]`).waitFor();
  if (!(await block(id, 0).textContent()).includes('ưu tiên 90')) throw new Error('priority not shown');
  if ((await block(demo.id, 0).first().getAttribute('data-end')) !== '08:00') throw new Error('the demo entry does not play until 08:00 on Monday');

  step('delete it, confirmed');
  await block(id, 0).click();
  await dialog.getByRole('button', { name: 'Xóa' }).click();
  await dialog.getByRole('heading', { name: 'Xóa lịch phát?' }).waitFor();
  await dialog.getByRole('button', { name: 'Xóa' }).click();
  await page.locator('#msg.ok', { hasText: 'Đã xóa lịch phát.' }).waitFor();
  await cal.locator(`.sch-block[data-entry="${id}"]`).first().waitFor({ state: 'detached' });
  await row.waitFor({ state: 'detached' });
  const after = await ap.call('GET', '/schedules?group_id=' + group.id);
  if (after.items.some((s) => s.id === id)) throw new Error('the entry is still stored');

  step('an editor reads the calendar only');
  await logout(page);
  await login(page, 'editor');
  await page.getByLabel('Xem lịch của').selectOption({ label: groupName });
  await block(demo.id, 0).waitFor();
  if (await page.getByRole('button', { name: 'Thêm lịch phát', exact: true }).isVisible()) throw new Error('editor sees the add button');
  if ((await cal.locator('button.sch-cell').count()) !== 0) throw new Error('editor can pick hour cells');
  await block(demo.id, 0).click();
  await dialog.getByRole('heading', { name: 'Lịch phát', exact: true }).waitFor();
  if ((await dialog.getByRole('button', { name: 'Lưu' }).count()) !== 0 || (await dialog.getByRole('button', { name: 'Xóa' }).count()) !== 0) throw new Error('editor may edit');
  await shot(page, 'schedules-editor');
  await dialog.getByRole('button', { name: 'Hủy' }).click();
  if ((await page.locator('#sch-list button', { hasText: 'Xóa' }).count()) !== 0) throw new Error('editor list has delete buttons');

  step('in English too');
  await page.getByRole('link', { name: 'English' }).click();
  await page.getByLabel('Calendar of').waitFor();
  await page.getByRole('button', { name: 'Next week' }).click();
  await page.locator('#sch-week', { hasText: 'Week' }).waitFor();
  await page.getByRole('columnheader', { name: 'Priority' }).waitFor();
});

await run(async (page) => {
  const cal = page.locator('#sch-calendar');
  const cell = (d, h) => cal.locator(`.sch-cell[data-day="${d}"][data-hour="${h}"]`);
  const dialog = page.getByRole('dialog');
  step('tablet: the approver\'s calendar, its legend true to the blocks\' colours');
  await page.goto(base + '/schedules?lang=vi');
  await login(page, 'approver');
  await page.getByLabel('Xem lịch của').selectOption({ label: groupName });
  const demoBlock = cal.locator(`.sch-block[data-entry="${demo.id}"][data-day="0"]`).first();
  await demoBlock.waitFor();
  const swatch = page.locator(`#sch-legend-rotations li[data-playlist="${demoRotation.id}"]`, { hasText: demoRotationName }).locator('.sch-swatch');
  const bg = (l) => l.evaluate((n) => getComputedStyle(n).backgroundColor);
  if ((await bg(swatch)) !== (await bg(demoBlock))) throw new Error(`legend swatch ${await bg(swatch)}, block ${await bg(demoBlock)}`);
  if (!/chạm/i.test(await page.locator('#sch-hint').textContent())) throw new Error('the help speaks of the mouse only');
  await shot(page, 'schedules-tablet');

  step('tablet: the free part of an hour cell is a finger wide');
  await cell(0, 7).scrollIntoViewIfNeeded();
  const c = await cell(0, 7).boundingBox();
  const blocked = await cal.locator('.sch-day[data-day="0"]').locator('.sch-block, .sch-lost')
    .evaluateAll((ns, y) => Math.max(...ns.map((n) => n.getBoundingClientRect()).filter((r) => r.top <= y && r.bottom > y).map((r) => r.right)), c.y + c.height / 2);
  const free = c.x + c.width - blocked;
  if (!(free >= 40)) throw new Error(`the free part of Monday 07:00 is ${free} px wide`);
  if (c.height < 30) throw new Error(`an hour is ${c.height} px high`);

  step('tablet: tap Monday 07:00, then Wednesday 10:00: a new entry over three mornings');
  const tapFree = (d, h) => cell(d, h).tap({ position: { x: c.width - free / 2, y: c.height / 2 } });
  await tapFree(0, 7);
  await page.locator('#sch-pick', { hasText: 'Bắt đầu từ Thứ Hai' }).waitFor();
  if (await dialog.isVisible()) throw new Error('one tap opened the form');
  await tapFree(2, 10);
  await dialog.getByRole('heading', { name: 'Thêm lịch phát' }).waitFor();
  if (await page.locator('#sch-pick').isVisible()) throw new Error('the first tap is still marked');
  for (const [label, want] of [['Từ giờ', '07:00'], ['Đến giờ', '11:00']]) {
    const got = await dialog.getByLabel(label, { exact: true }).inputValue();
    if (got !== want) throw new Error(`${label}: ${got}, want ${want}`);
  }
  for (const [i, day] of weekdays.entries()) {
    if ((await dialog.getByLabel(day, { exact: true }).isChecked()) !== i < 3) throw new Error(`${day} checked wrongly`);
  }
  await dialog.getByLabel('Vòng phát (chỉ vòng phát đã duyệt)').selectOption({ label: rotationName });
  await dialog.getByLabel('Mức ưu tiên (0–100)').fill('70');
  await page.screenshot({ path: process.env.PANO_OUT + '/schedules-tablet-form.png' });
  await dialog.getByRole('button', { name: 'Lưu' }).tap();
  await page.locator('#msg.ok', { hasText: 'Đã thêm lịch phát.' }).waitFor();
  const row = page.locator('#sch-list tbody tr', { hasText: rotationName }).filter({ hasText: '07:00–11:00' }).filter({ hasText: '70' });
  await row.waitFor();
  const id = Number(await row.getAttribute('data-id'));
  for (let d = 0; d < 7; d++) {
    const b = cal.locator(`.sch-block[data-entry="${id}"][data-day="${d}"]`);
    if ((await b.count()) !== (d < 3 ? 1 : 0)) throw new Error(`day ${d}: ${await b.count()} blocks of the new entry`);
    if (d < 3 && ((await b.getAttribute('data-start')) !== '07:00' || (await b.getAttribute('data-end')) !== '11:00')) throw new Error(`day ${d}: block hours`);
  }
  await shot(page, 'schedules-tablet-touch');

  step('tablet: tap its block: the dialog says what it plays instead of; delete it');
  await cal.locator(`.sch-block[data-entry="${id}"][data-day="1"]`).tap();
  await dialog.getByRole('heading', { name: 'Sửa lịch phát' }).waitFor();
  await dialog.getByRole('listitem').filter({ hasText: `${demoRotationName} — ưu tiên 10, 07:00–11:00` }).waitFor();
  await dialog.getByRole('button', { name: 'Xóa' }).tap();
  await dialog.getByRole('heading', { name: 'Xóa lịch phát?' }).waitFor();
  await dialog.getByRole('button', { name: 'Xóa' }).tap();
  await page.locator('#msg.ok', { hasText: 'Đã xóa lịch phát.' }).waitFor();
  await row.waitFor({ state: 'detached' });

  step('tablet: the calendar of one screen holds its group\'s entries');
  await page.getByLabel('Xem lịch của').selectOption('d:' + display.id);
  await page.locator('#sch-note', { hasText: 'Lịch của màn hình gồm lịch phát của nhóm' }).waitFor();
  await page.locator(`#sch-calendar .sch-block[data-entry="${demo.id}"][data-day="6"]`).waitFor();
  await page.locator(`#sch-list tr[data-id="${demo.id}"]`).waitFor();

  step('tablet: an answer cut short at the item budget is said so');
  if (await page.locator('#sch-truncated').isVisible()) throw new Error('truncated note without cause');
  await page.route(/\/timeline\?/, async (route) => {
    const r = await route.fetch();
    await route.fulfill({ response: r, json: { ...(await r.json()), truncated: true } });
  });
  await page.getByRole('button', { name: 'Tuần sau' }).tap();
  await page.locator('#sch-truncated', { hasText: 'quá nhiều mục nội dung' }).waitFor();
}, { viewport: { width: 768, height: 1024 }, hasTouch: true });

await ap.dispose();
