// The dashboard's basics: login, the display cards, a remote command, the
// language switch, logout, an approval, an upload and the reports.
import { base, password, step, login, apiAs, shot, run } from './lib.mjs';

const screens = ['truong-hoc', 'duong-chinh', 'trung-tam-phuong'];

await run(async (page) => {
  step('login form, wrong password');
  await page.goto(base + '/?lang=vi');
  await login(page, 'technician', 'wrong');
  await page.getByRole('alert').filter({ hasText: 'Sai tên đăng nhập hoặc mật khẩu.' }).waitFor();

  step('technician sees the three displays');
  await login(page, 'technician', password);
  for (const s of screens) await page.locator(`article.card[data-name="${s}"]`).waitFor();
  const card = page.locator('article.card[data-name="truong-hoc"]');
  await card.locator('.state.on', { hasText: 'Trực tuyến' }).waitFor();
  if ((await page.locator('article.card').count()) !== 3) throw new Error('want 3 display cards');

  step('identify');
  await card.getByRole('button', { name: 'Nháy để nhận diện màn hình' }).click();
  await card.locator('.cardmsg.ok', { hasText: 'Nháy để nhận diện màn hình: xong' }).waitFor();

  step('screenshot command, the card shows it');
  await card.getByRole('button', { name: 'Chụp màn hình' }).click();
  await card.locator('.cardmsg.ok', { hasText: 'Chụp màn hình: xong' }).waitFor();
  await card.locator('img.shot:not([hidden])').waitFor();
  await shot(page, 'displays');

  step('technician adds a display and gets its enrolment code');
  await page.getByRole('button', { name: 'Thêm màn hình…' }).click();
  const form = page.getByRole('dialog');
  await form.getByLabel('Tên (chữ thường không dấu, số, gạch ngang)').fill('cho-dem');
  await form.getByLabel('Chiều rộng (điểm ảnh)').fill('64');
  await form.getByLabel('Chiều cao (điểm ảnh)').fill('32');
  await form.getByRole('button', { name: 'Thêm', exact: true }).click();
  const code = page.getByRole('dialog').locator('.dsp-code');
  await code.waitFor();
  if (!/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/.test(await code.textContent())) throw new Error('no enrolment code shown: ' + (await code.textContent()));
  await page.getByRole('dialog').getByRole('button', { name: 'Đóng' }).click();
  const added = page.locator('article.card[data-name="cho-dem"]');
  await added.waitFor();
  await added.locator('.state.off', { hasText: 'Chưa kết nối lần nào' }).waitFor();

  step('English');
  await page.getByRole('link', { name: 'English' }).click();
  await page.getByRole('heading', { name: 'Screens', exact: true }).waitFor();
  await card.getByRole('button', { name: 'Flash to identify the screen' }).waitFor();
  await card.locator('.state', { hasText: 'online' }).waitFor();
  await page.locator('#display-live.on', { hasText: 'Live updates' }).waitFor();
  await shot(page, 'displays-en');
  await page.getByRole('link', { name: 'Content' }).waitFor();
  await page.getByRole('link', { name: 'Tiếng Việt' }).click();
  await page.getByRole('heading', { name: 'Màn hình', exact: true }).waitFor();

  step('logout');
  await page.getByRole('button', { name: 'Đăng xuất' }).click();
  await page.getByRole('heading', { name: 'Đăng nhập', exact: true }).waitFor();

  step('an editor submits a text notice through the API');
  const title = 'Thông báo thử nghiệm ' + Date.now();
  const editor = await apiAs('editor');
  const { id } = await editor.call('POST', '/media', { kind: 'text', title, body: 'Ủy ban phường thông báo: chuyển đổi số.' });
  await editor.call('POST', `/media/${id}/submit`);
  await editor.dispose();

  step('approver approves it');
  await login(page, 'approver', password);
  await page.getByRole('link', { name: 'Nội dung' }).click();
  const row = page.locator(`#queue article.ct-item[data-id="${id}"]`);
  await row.locator('.status', { hasText: 'chờ duyệt' }).waitFor();
  await row.getByRole('button', { name: 'Duyệt' }).click();
  await page.locator('#msg.ok', { hasText: 'Đã duyệt: ' + title }).waitFor();
  const item = page.locator(`#media article.ct-item[data-id="${id}"]`);
  await item.locator('.status', { hasText: 'đã duyệt' }).waitFor();

  step('approver sends it as urgent to every screen, then stops it');
  await item.getByRole('button', { name: 'Phát khẩn' }).click();
  await page.getByRole('dialog').getByLabel('Thời gian phát (phút, 1–1440)').fill('5');
  await page.getByRole('dialog').getByRole('button', { name: 'Tiếp tục' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Phát khẩn ngay' }).click();
  const live = page.locator('#urgent li', { hasText: title });
  await live.waitFor();
  await live.getByRole('button', { name: 'Dừng' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Dừng' }).click();
  await page.locator('#msg.ok', { hasText: 'Đã dừng thông báo khẩn' }).waitFor();
  await page.locator('#urgent').waitFor({ state: 'hidden' });

  step('approver uploads an image');
  // A 2×1 PNG: one red and one blue pixel.
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAADUlEQVR4nGP4zwAE/wEHAAH/4iOeWQAAAABJRU5ErkJggg==', 'base64');
  const name = 'ap-phich-' + Date.now();
  await page.locator('#up-files').setInputFiles({ name: name + '.png', mimeType: 'image/png', buffer: png });
  await page.locator('#up-list li', { hasText: name }).locator('.ct-up-state', { hasText: 'Đã tải lên và xử lý xong' }).waitFor();
  await page.locator('#media article.ct-item', { hasText: name }).locator('.status', { hasText: 'bản nháp' }).waitFor();
  await shot(page, 'content');

  step('reports');
  await page.getByRole('link', { name: 'Báo cáo' }).click();
  for (const h of ['Theo chiến dịch tuyên truyền', 'Theo ngày', 'Theo màn hình']) await page.getByRole('heading', { name: h, exact: true }).waitFor();
  const csv = await page.locator('section.report[data-by="campaign"] a.csv').getAttribute('href');
  if (!csv.startsWith('/api/v1/reports/plays?group_by=campaign&format=csv&lang=vi&from=')) throw new Error('csv link ' + csv);
  await shot(page, 'reports');

});
