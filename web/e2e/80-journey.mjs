// One notice's whole way, each role through the UI only: the editor writes
// it and puts it in a rotation; the approver approves both and schedules the
// rotation on the school group from the calendar; the school's simulated
// screen plays it, and the technician sees it named on the screen's card
// and its live picture equal, pixel for pixel, to the preview the approver
// approved.
import { base, step, login, logout, apiAs, shot, uniq, run } from './lib.mjs';

const u = uniq();
const title = 'Họp tổ dân phố ' + u;
const rotation = 'Lịch họp khu dân cư ' + u;

await run(async (page) => {
  const dialog = page.getByRole('dialog');

  step('editor writes a short notice and submits it');
  await page.goto(base + '/content?lang=vi');
  await login(page, 'editor');
  const form = page.locator('#notice-form');
  await form.getByLabel('Tiêu đề', { exact: true }).fill(title);
  await form.getByLabel('Nội dung thông báo').fill('Họp 19h');
  await form.getByLabel('Không hiện tiêu đề trên màn hình').check();
  await page.locator('#notice-preview figure[data-geom="64x32"][data-ticker="0"] canvas[data-ready="1"]').waitFor();
  await form.getByRole('button', { name: 'Tạo và gửi duyệt' }).click();
  await page.locator('#msg.ok', { hasText: 'Đã tạo và gửi duyệt thông báo chữ' }).waitFor();

  step('editor builds a rotation of it and submits it');
  await page.getByRole('link', { name: 'Vòng phát' }).click();
  await page.getByRole('button', { name: 'Tạo vòng phát mới' }).click();
  await page.getByLabel('Tên vòng phát').fill(rotation);
  await page.getByRole('button', { name: 'Thêm nội dung' }).click();
  await dialog.getByLabel('Tìm nội dung').fill(title);
  await dialog.locator('label.rot-pick', { hasText: title }).locator('input').check();
  await dialog.getByRole('button', { name: 'Thêm các mục đã chọn' }).click();
  // The picker hands its choice over when it has closed: save once it is in the list.
  await page.locator('#rot-items li.rot-item', { hasText: title }).waitFor();
  await page.getByRole('button', { name: 'Lưu và gửi duyệt' }).click();
  await page.locator('#msg.ok', { hasText: 'Đã gửi duyệt' }).waitFor();
  await logout(page);

  step('approver approves the notice, then the rotation');
  await login(page, 'approver');
  await page.getByRole('link', { name: 'Nội dung' }).click();
  const queued = page.locator('#queue article.ct-item', { hasText: title });
  await queued.getByRole('button', { name: 'Duyệt' }).click();
  await queued.waitFor({ state: 'detached' });
  await page.getByRole('link', { name: 'Vòng phát' }).click();
  const row = page.locator('#rotations tbody tr', { hasText: rotation });
  await row.getByRole('button', { name: 'Duyệt', exact: true }).click();
  await row.locator('.status', { hasText: 'đã duyệt' }).waitFor();

  step('approver schedules it on the school group, all day, above the demo entry');
  await page.getByRole('link', { name: 'Lịch phát' }).click();
  await page.getByLabel('Xem lịch của').selectOption({ label: 'Trường học' });
  await page.getByRole('button', { name: 'Thêm lịch phát', exact: true }).click();
  await dialog.getByLabel('Vòng phát (chỉ vòng phát đã duyệt)').selectOption({ label: rotation });
  for (const d of ['Thứ Hai', 'Thứ Ba', 'Thứ Tư', 'Thứ Năm', 'Thứ Sáu', 'Thứ Bảy', 'Chủ Nhật']) await dialog.getByLabel(d, { exact: true }).check();
  await dialog.getByLabel('Từ giờ', { exact: true }).fill('00:00');
  await dialog.getByLabel('Đến giờ', { exact: true }).fill('24:00');
  await dialog.getByLabel('Mức ưu tiên (0–100)').fill('95');
  await dialog.getByRole('button', { name: 'Lưu' }).click();
  await page.locator('#msg.ok', { hasText: 'Đã thêm lịch phát.' }).waitFor();
  const entry = page.locator('#sch-list tbody tr', { hasText: rotation });
  await entry.waitFor();
  const entryID = await entry.getAttribute('data-id');
  await shot(page, 'journey-schedule');
  await logout(page);

  step('the technician sees the school screen play it, by name, live');
  await login(page, 'technician');
  await page.getByRole('link', { name: 'Màn hình' }).click();
  const card = page.locator('article.card[data-name="truong-hoc"]');
  // The school's agent gets the new schedule, fetches the notice and plays
  // it: on a busy machine that takes a while.
  await card.locator('.playing', { hasText: `Đang phát: ${title} trong vòng phát ${rotation}` }).waitFor({ timeout: 60000 })
    .catch(async (e) => { throw new Error(e.message + '\ncard: ' + (await card.textContent())); });

  step('its live picture is the approved preview, pixel for pixel');
  await card.getByRole('button', { name: 'Chụp màn hình' }).click();
  await card.locator('.cardmsg.ok', { hasText: 'Chụp màn hình: xong' }).waitFor();
  await card.locator('img.shot:not([hidden])').waitFor();
  const tech = await apiAs('technician');
  const display = (await tech.call('GET', '/displays')).items.find((d) => d.name === 'truong-hoc');
  const media = (await tech.call('GET', '/media?q=' + encodeURIComponent(title))).items.find((m) => m.title === title);
  await tech.dispose();
  const diff = await page.evaluate(async ({ shotURL, previewURL }) => {
    const pixels = async (url) => {
      const res = await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
      if (!res.ok) throw new Error(url + ': ' + res.status);
      const bmp = await createImageBitmap(await res.blob());
      const c = new OffscreenCanvas(bmp.width, bmp.height);
      const g = c.getContext('2d');
      g.drawImage(bmp, 0, 0);
      return { w: bmp.width, h: bmp.height, d: g.getImageData(0, 0, bmp.width, bmp.height).data };
    };
    const [a, b] = [await pixels(shotURL), await pixels(previewURL)];
    if (a.w !== b.w || a.h !== b.h) return `sizes ${a.w}×${a.h} and ${b.w}×${b.h}`;
    let differ = 0, lit = 0;
    for (let i = 0; i < a.d.length; i += 4) {
      if (a.d[i] !== b.d[i] || a.d[i + 1] !== b.d[i + 1] || a.d[i + 2] !== b.d[i + 2]) differ++;
      if (b.d[i] + b.d[i + 1] + b.d[i + 2] > 0) lit++;
    }
    return differ === 0 && lit > 0 ? '' : `${differ} of ${a.w * a.h} pixels differ, ${lit} lit`;
  }, {
    shotURL: `/api/v1/displays/${display.id}/screenshot`,
    previewURL: `/api/v1/media/${media.id}/preview?w=${display.width}&h=${display.height}&fit=${display.fit}`,
  });
  if (diff) throw new Error('the screen does not show the approved pixels: ' + diff);
  await shot(page, 'journey-technician');

  step('clean up: the approver deletes the schedule entry');
  const ap = await apiAs('approver');
  await ap.call('DELETE', '/schedules/' + entryID);
  await ap.dispose();
});
