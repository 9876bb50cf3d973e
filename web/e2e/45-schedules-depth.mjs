// Scheduling in depth, as the ward says it: "this rotation on main-street
// screens weekdays 06:30–08:30 and 16:30–19:00, school rotation in school
// hours, screens off 23:00–05:30, 40 % after sunset", and see it in the
// calendar. A technician adds a screen with its coordinates, gives its
// group a power window and the screen day/night levels of its own (and is
// told which screens lack coordinates when asking that of the group); an
// approver adds the two entries with several time windows and a share;
// an editor gives a notice validity dates. Then on a 768×1024 tablet.
import { base, step, login, logout, apiAs, shot, run, uniq } from './lib.mjs';

const tag = uniq();
const groupName = 'Tuyến phố ' + tag;
const screen = 'pho-' + tag;
const bare = 'pho-chua-toa-do-' + tag;
const streetRotation = 'Nghị quyết 57 – tuyến đường chính';
const schoolRotation = 'Chuyển đổi số – trường học';

// Set-up outside the roles under test: the group, and a second screen in
// it without coordinates.
const tech = await apiAs('technician');
const group = await tech.call('POST', '/groups', { name: groupName });
await tech.call('POST', '/displays', { name: bare, width: 128, height: 64, profile: 'virtual', group_id: group.id });
const ap = await apiAs('approver');

// This week's Monday in Asia/Ho_Chi_Minh (UTC+7, no daylight saving).
const local = new Date(Date.now() + 7 * 3600e3);
const monday = new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() - ((local.getUTCDay() + 6) % 7))).toISOString().slice(0, 10);
const addDays = (ymd, n) => new Date(Date.parse(ymd + 'T00:00:00Z') + n * 86400e3).toISOString().slice(0, 10);
const week = `from=${encodeURIComponent(monday + 'T00:00:00+07:00')}&to=${encodeURIComponent(addDays(monday, 7) + 'T00:00:00+07:00')}`;

let display; // the screen with coordinates, once added
let ids = {}; // rotation name → schedule entry id

await run(async (page) => {
  const dlg = page.getByRole('dialog');
  const filters = page.locator('#display-filters');

  step('technician adds a main-street screen with its coordinates');
  await page.goto(base + '/?lang=vi');
  await login(page, 'technician');
  await page.getByRole('button', { name: 'Thêm màn hình…' }).click();
  await dlg.getByLabel('Tên (chữ thường không dấu, số, gạch ngang)').fill(screen);
  await dlg.getByLabel('Vị trí').fill('Ngã tư đường chính ' + tag);
  await dlg.getByLabel('Chiều rộng (điểm ảnh)').fill('128');
  await dlg.getByLabel('Chiều cao (điểm ảnh)').fill('64');
  await dlg.getByLabel('Cấu hình phần cứng (loại card điều khiển)').selectOption('virtual');
  await dlg.getByText('Ví dụ Hà Nội: vĩ độ 21.0285, kinh độ 105.8542').waitFor();
  await dlg.getByLabel(/^Nhóm/).selectOption({ label: groupName });
  // A latitude out of range is refused in the dialog, which keeps what was typed.
  await dlg.getByLabel('Vĩ độ').fill('210.285');
  await dlg.getByLabel('Kinh độ').fill('105,8542'); // a comma, as typed on a Vietnamese keyboard
  await dlg.getByRole('button', { name: 'Thêm', exact: true }).click();
  await dlg.getByRole('alert').filter({ hasText: 'Vĩ độ phải từ -90 đến 90' }).waitFor();
  if ((await dlg.getByLabel('Tên (chữ thường không dấu, số, gạch ngang)').inputValue()) !== screen ||
    (await dlg.getByLabel('Kinh độ').inputValue()) !== '105.8542' || !(await dlg.getByLabel(/^Nhóm/).inputValue())) {
    throw new Error('the refused dialog lost what was typed');
  }
  await dlg.getByLabel('Vĩ độ').fill('21.0285');
  await dlg.getByRole('button', { name: 'Thêm', exact: true }).click();
  await page.getByRole('dialog').getByLabel('Lệnh đăng ký').waitFor();
  await page.getByRole('dialog').getByRole('button', { name: 'Đóng' }).click();
  display = (await tech.call('GET', '/displays?q=' + screen)).items.find((d) => d.name === screen);
  if (!display || display.latitude !== 21.0285 || display.longitude !== 105.8542 || display.group_id !== group.id) {
    throw new Error('display as stored: ' + JSON.stringify(display));
  }

  step('the group: screens off 23:00–05:30, i.e. on from 05:30 to 23:00');
  await filters.getByLabel('Nhóm màn hình').selectOption({ label: groupName });
  await page.locator(`article.card[data-name="${screen}"]`).waitFor();
  await page.getByRole('button', { name: 'Giờ bật/tắt & độ sáng theo nhóm' }).click();
  await dlg.getByRole('heading', { name: 'Giờ bật/tắt & độ sáng: Nhóm ' + groupName }).waitFor();
  await dlg.getByText('Nhóm chưa có cài đặt').waitFor();
  await dlg.getByText('Chưa có khung giờ bật: màn hình luôn bật.').waitFor();
  await dlg.getByText('Chưa có tọa độ: ' + bare).waitFor(); // said before anyone asks for day/night
  await dlg.getByRole('button', { name: 'Thêm khung giờ bật' }).click();
  for (const [label, want] of [['Bật từ (khung 1)', '05:30'], ['Tắt lúc (khung 1)', '23:00']]) {
    const got = await dlg.getByLabel(label).inputValue();
    if (got !== want) throw new Error(`${label}: ${got}`);
  }

  step('day/night for the whole group is refused: it names the screen without coordinates');
  await dlg.getByLabel('Đổi độ sáng lúc mặt trời mọc và lặn').check();
  await dlg.getByRole('button', { name: 'Lưu' }).click();
  await dlg.getByRole('alert').filter({ hasText: `1 màn hình chưa có: ${bare}.` }).waitFor();
  await shot(page, 'depth-group-power-refused');
  await dlg.getByLabel('Đổi độ sáng lúc mặt trời mọc và lặn').uncheck();
  await dlg.getByRole('button', { name: 'Lưu' }).click();
  await page.locator('#msg.ok', { hasText: 'Đã lưu giờ bật/tắt & độ sáng: ' + groupName }).waitFor();
  const gpb = await tech.call('GET', `/groups/${group.id}/power-brightness`);
  if (JSON.stringify(gpb.power) !== '[{"from":"05:30","until":"23:00"}]' || gpb.day_night !== null) throw new Error('group rule: ' + JSON.stringify(gpb));

  step('the screen inherits it; it gets 40 % after sunset of its own');
  const card = page.locator(`article.card[data-name="${screen}"]`);
  await card.getByRole('button', { name: 'Giờ bật/tắt & độ sáng' }).click();
  await dlg.locator('.pb-where', { hasText: 'Đang theo cài đặt của nhóm ' + groupName + '.' }).waitFor();
  if ((await dlg.getByLabel('Tắt lúc (khung 1)').inputValue()) !== '23:00') throw new Error('the inherited power window is not shown');
  await dlg.getByLabel('Đổi độ sáng lúc mặt trời mọc và lặn').check();
  await dlg.getByLabel('Ban ngày (%)').fill('100');
  await dlg.getByLabel('Sau khi mặt trời lặn (%)').fill('140');
  await dlg.getByRole('button', { name: 'Lưu' }).click();
  await dlg.getByRole('alert').filter({ hasText: 'Độ sáng là số nguyên từ 0 đến 100.' }).waitFor();
  await dlg.getByLabel('Sau khi mặt trời lặn (%)').fill('40');
  await shot(page, 'depth-display-power');
  await dlg.getByRole('button', { name: 'Lưu' }).click();
  await page.locator('#msg.ok', { hasText: 'Đã lưu giờ bật/tắt & độ sáng: ' + screen }).waitFor();
  await card.getByRole('button', { name: 'Giờ bật/tắt & độ sáng' }).click();
  await dlg.locator('.pb-where', { hasText: 'Màn hình này có cài đặt riêng thay cho cài đặt của nhóm ' + groupName + '.' }).waitFor();
  await dlg.getByRole('button', { name: 'Hủy' }).click();
  const dpb = await tech.call('GET', `/displays/${display.id}/power-brightness`);
  if (!dpb.own || JSON.stringify(dpb.day_night) !== '{"day":100,"night":40}' || dpb.power.length !== 1) throw new Error('display rule: ' + JSON.stringify(dpb));
  await logout(page);

  step('approver: the main-street rotation on weekdays 06:30–08:30 and 16:30–19:00, share 2');
  await page.goto(base + '/schedules?lang=vi');
  await login(page, 'approver');
  await page.getByLabel('Xem lịch của').selectOption({ label: groupName });
  const addEntry = async (rotation, parts, weight) => {
    await page.getByRole('button', { name: 'Thêm lịch phát', exact: true }).click();
    await dlg.getByRole('heading', { name: 'Thêm lịch phát' }).waitFor();
    await dlg.getByLabel('Vòng phát (chỉ vòng phát đã duyệt)').selectOption({ label: rotation });
    if ((await dlg.getByLabel('Áp dụng cho').inputValue()) !== 'g:' + group.id) throw new Error('the form does not target the group shown');
    await dlg.getByLabel('Từ ngày').fill(monday);
    await dlg.getByLabel('Đến ngày').fill(addDays(monday, 30));
    await dlg.getByRole('button', { name: 'Thứ Hai – Thứ Sáu' }).click();
    await dlg.getByLabel('Từ giờ', { exact: true }).fill(parts[0][0]);
    await dlg.getByLabel('Đến giờ', { exact: true }).fill(parts[0][1]);
    for (let i = 1; i < parts.length; i++) {
      await dlg.getByRole('button', { name: 'Thêm khung giờ' }).click();
      await dlg.getByLabel(`Từ giờ (khung ${i + 1})`).fill(parts[i][0]);
      await dlg.getByLabel(`Đến giờ (khung ${i + 1})`).fill(parts[i][1]);
    }
    await dlg.getByLabel('Mức ưu tiên (0–100)').fill('50');
    await dlg.getByLabel('Tỷ lệ phát (1–100)').fill(String(weight));
  };
  await addEntry(streetRotation, [['06:30', '08:30'], ['16:30', '19:00']], 2);
  await dlg.getByText('2 : 1 = phát 2 vòng của lịch này rồi 1 vòng của lịch kia').waitFor();

  step('a window across midnight says so; overlapping windows are refused; then the extra row goes');
  await dlg.getByRole('button', { name: 'Thêm khung giờ' }).click();
  await dlg.getByLabel('Từ giờ (khung 3)').fill('22:00');
  await dlg.getByLabel('Đến giờ (khung 3)').fill('02:00');
  await dlg.locator('.sch-nextday', { hasText: 'đến 02:00 hôm sau' }).waitFor();
  await dlg.getByLabel('Từ giờ (khung 3)').fill('18:00');
  await shot(page, 'depth-entry-form');
  await dlg.getByRole('button', { name: 'Lưu' }).click();
  await dlg.getByRole('alert').filter({ hasText: 'Hai khung giờ chồng lên nhau' }).waitFor();
  await dlg.getByRole('button', { name: 'Bỏ khung giờ 3' }).click();
  if ((await dlg.locator('.sch-part').count()) !== 2) throw new Error('the third window is still there');
  await dlg.getByRole('button', { name: 'Lưu' }).click();
  await page.locator('#msg.ok', { hasText: 'Đã thêm lịch phát.' }).waitFor();

  step('the school rotation in school hours (07:00–11:00, 13:30–17:00), share 1');
  await addEntry(schoolRotation, [['07:00', '11:00'], ['13:30', '17:00']], 1);
  await dlg.getByRole('button', { name: 'Lưu' }).click();
  await page.locator('#msg.ok', { hasText: 'Đã thêm lịch phát.' }).waitFor();

  step('the list says the windows and the share');
  const rowOf = (name) => page.locator('#sch-list tbody tr', { hasText: name });
  await rowOf(streetRotation).filter({ hasText: '06:30–08:30, 16:30–19:00' }).filter({ hasText: '50 · tỷ lệ 2' }).waitFor();
  await rowOf(schoolRotation).filter({ hasText: '07:00–11:00, 13:30–17:00' }).waitFor();
  ids = { street: Number(await rowOf(streetRotation).getAttribute('data-id')), school: Number(await rowOf(schoolRotation).getAttribute('data-id')) };
  const stored = await ap.call('GET', '/schedules/' + ids.street);
  if (JSON.stringify(stored.dayparts) !== '[{"from":"06:30","until":"08:30"},{"from":"16:30","until":"19:00"}]' || stored.weight !== 2 || stored.weekdays !== 31) {
    throw new Error('stored entry: ' + JSON.stringify(stored));
  }

  step('the calendar: both rotations in their windows on weekdays only');
  const cal = page.locator('#sch-calendar');
  const block = (entry, d, attrs = '') => cal.locator(`.sch-block[data-entry="${entry}"][data-day="${d}"]${attrs}`);
  for (let d = 0; d < 7; d++) {
    const n = await block(ids.street, d, '[data-start="06:30"]').count();
    if (n !== (d < 5 ? 1 : 0)) throw new Error(`day ${d}: ${n} blocks of the street rotation at 06:30`);
  }
  await block(ids.street, 0, '[data-end="19:00"]').waitFor();
  await block(ids.school, 0, '[data-start="08:30"][data-end="11:00"]').waitFor();
  await block(ids.school, 0, '[data-start="13:30"]').waitFor();
  if ((await cal.locator('.sch-block[data-start="05:00"], .sch-block[data-end="06:00"]').count()) !== 0) throw new Error('a block outside every window');

  // Share of voice and the screen's power come from the evaluator's
  // timeline (TIMELINE_JSON.md).
  step('shared windows show both rotations and their ratio');
  const gtl = await ap.call('GET', `/groups/${group.id}/timeline?${week}`);
  const sharedSpan = gtl.spans.find((sp) => sp.entry === ids.street && sp.shares && sp.shares.length === 2);
  if (!sharedSpan || JSON.stringify(sharedSpan.shares.map((x) => [x.entry, x.weight])) !== JSON.stringify([[ids.street, 2], [ids.school, 1]])) {
    throw new Error('no span shared 2 : 1 in the timeline: ' + JSON.stringify(gtl.spans.slice(0, 4)));
  }
  const shared = cal.locator('.sch-block.sch-shared[data-day="0"][data-start="07:00"][data-end="08:30"]');
  await shared.waitFor();
  const text = await shared.textContent();
  if (!text.includes(streetRotation + ' + ' + schoolRotation) || !text.includes('Chia giờ theo tỷ lệ 2 : 1')) throw new Error('shared block: ' + text);
  await cal.locator('.sch-block.sch-shared[data-day="4"][data-start="16:30"][data-end="17:00"]').waitFor();
  if ((await cal.locator('.sch-block.sch-shared').count()) !== 10) throw new Error('want two shared windows on each weekday');
  await shared.click();
  await dlg.getByText(`Các vòng phát cùng mức ưu tiên chia nhau khung giờ này theo tỷ lệ 2 : 1: ${streetRotation} (tỷ lệ 2), ${schoolRotation} (tỷ lệ 1).`).waitFor();
  await dlg.getByRole('button', { name: 'Hủy' }).click();

  step('the group calendar shows the screens off 23:00–05:30');
  await cal.locator('.sch-off[data-day="0"][data-start="23:00"][data-end="24:00"]', { hasText: 'Tắt màn hình' }).waitFor();
  await cal.locator('.sch-off[data-day="1"][data-start="00:00"][data-end="05:30"]').waitFor();
  if ((await cal.locator('.sch-off').count()) !== 14) throw new Error((await cal.locator('.sch-off').count()) + ' screen-off bands, want two a day');
  await page.locator('#sch-legend-device', { hasText: 'Tắt màn hình' }).waitFor();
  await shot(page, 'depth-calendar-group');

  step("the screen's own calendar");
  await page.getByLabel('Xem lịch của').selectOption('d:' + display.id);
  await block(ids.street, 0, '[data-start="06:30"]').waitFor();
  step('40 % after sunset, 100 % by day, and sunrise and sunset marked');
  await cal.locator('.sch-bright[data-day="0"][data-percent="40"][data-source="night"]', { hasText: '40 %' }).first().waitFor();
  await cal.locator('.sch-bright[data-day="0"][data-percent="100"][data-source="day"]').first().waitFor();
  const set = cal.locator('.sch-sun.sch-sunset[data-day="0"]');
  await set.waitFor();
  const sunset = await set.getAttribute('data-at'); // Hà Nội: 17:13–18:44 in the year
  if (!(sunset >= '17:10' && sunset <= '18:45')) throw new Error('sunset at ' + sunset);
  const rise = await cal.locator('.sch-sun.sch-sunrise[data-day="0"]').getAttribute('data-at');
  if (!(rise >= '05:10' && rise <= '06:40')) throw new Error('sunrise at ' + rise);
  // The night level starts at sunset on the calendar.
  if (!(await cal.locator(`.sch-bright[data-day="0"][data-source="night"][data-start="${sunset}"]`).count())) throw new Error('the night level does not start at sunset');
  for (const words of ['Tắt màn hình', 'Độ sáng màn hình (%)', 'Mặt trời mọc, lặn']) await page.locator('#sch-legend-device', { hasText: words }).waitFor();
  await shot(page, 'depth-calendar-display');

  await logout(page);

  step('editor: a notice valid for one day that has passed says it no longer plays');
  await page.goto(base + '/content?lang=vi');
  await login(page, 'editor');
  const form = page.locator('#notice-form');
  const title = 'Lịch tiêm chủng ' + tag;
  const yesterday = addDays(new Date(Date.now() + 7 * 3600e3).toISOString().slice(0, 10), -1);
  await form.getByLabel('Tiêu đề', { exact: true }).fill(title);
  await form.getByLabel('Nội dung thông báo', { exact: true }).fill('Tiêm chủng mở rộng tại trạm y tế phường, 7 giờ sáng.');
  await form.getByLabel('Phát từ ngày').fill(yesterday);
  await form.getByLabel('Phát đến hết ngày').fill(yesterday);
  await form.getByRole('button', { name: 'Tạo bản nháp' }).click();
  await page.locator('#msg.ok', { hasText: title }).waitFor();
  const dmy = yesterday.split('-').reverse().join('/');
  await page.locator('.ct-valid.expired', { hasText: `Hiệu lực ${dmy} – ${dmy} · đã hết hạn, không còn phát` }).first().waitFor();
  await shot(page, 'depth-content-validity');
});

await run(async (page) => {
  const dlg = page.getByRole('dialog');
  step('tablet: the approver reads the entry back with both windows and its share');
  await page.goto(base + '/schedules?lang=vi#g:' + group.id);
  await login(page, 'approver');
  await page.getByLabel('Xem lịch của').selectOption({ label: groupName });
  await page.locator(`#sch-calendar .sch-block[data-entry="${ids.street}"][data-day="0"][data-start="06:30"]`).waitFor();
  await shot(page, 'depth-tablet-calendar');
  await page.locator(`#sch-list tbody tr[data-id="${ids.street}"]`).getByRole('button', { name: 'Sửa' }).click();
  await dlg.getByRole('heading', { name: 'Sửa lịch phát' }).waitFor();
  for (const [label, want] of [['Từ giờ (khung 1)', '06:30'], ['Đến giờ (khung 1)', '08:30'], ['Từ giờ (khung 2)', '16:30'], ['Đến giờ (khung 2)', '19:00'], ['Tỷ lệ phát (1–100)', '2']]) {
    const got = await dlg.getByLabel(label).inputValue();
    if (got !== want) throw new Error(`${label}: ${got}, want ${want}`);
  }
  // The dialog fits the tablet's width.
  const box = await dlg.boundingBox();
  if (box.x < 0 || box.x + box.width > 768) throw new Error('dialog wider than the tablet: ' + JSON.stringify(box));
  await shot(page, 'depth-tablet-form');
  await dlg.getByRole('button', { name: 'Hủy' }).click();
  await logout(page);

  step('tablet: the technician reads the power & brightness of the screen');
  await page.goto(base + '/?lang=vi');
  await login(page, 'technician');
  await page.locator('#display-filters').getByLabel('Nhóm màn hình').selectOption({ label: groupName });
  await page.locator(`article.card[data-name="${screen}"]`).getByRole('button', { name: 'Giờ bật/tắt & độ sáng' }).click();
  await dlg.locator('.pb-where', { hasText: 'Màn hình này có cài đặt riêng' }).waitFor();
  if ((await dlg.getByLabel('Sau khi mặt trời lặn (%)').inputValue()) !== '40') throw new Error('night level not shown');
  const pbox = await dlg.boundingBox();
  if (pbox.x < 0 || pbox.x + pbox.width > 768) throw new Error('dialog wider than the tablet: ' + JSON.stringify(pbox));
  await shot(page, 'depth-tablet-power');
  await dlg.getByRole('button', { name: 'Dùng cài đặt của nhóm' }).click();
  await page.locator('#msg.ok', { hasText: 'Màn hình đã theo lại cài đặt của nhóm: ' + screen }).waitFor();
  const back = await tech.call('GET', `/displays/${display.id}/power-brightness`);
  if (back.own || back.inherited_from_group !== group.id) throw new Error('after "use the group\'s": ' + JSON.stringify(back));
}, { viewport: { width: 768, height: 1024 }, hasTouch: true });

// Leave the demo as it was: the entries go; the screens and group stay
// (other scripts never look at them).
for (const id of Object.values(ids)) await ap.call('DELETE', '/schedules/' + id);
await ap.dispose();
await tech.dispose();
