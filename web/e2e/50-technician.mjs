// The technician's day, through the UI only, on a desktop and on a tablet:
// screen states and what plays, brightness with an expiry, a test pattern
// started and stopped, blank and back, a new screen with its firmware
// profile and the enrol command, an agent enrolled with that very command
// coming online live (no reload), moved to another group, revoked (offline
// "since"), deleted; filters and the 24 h health charts.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base, step, login, apiAs, shot, uniq, run } from './lib.mjs';

const agentBin = process.env.PANO_AGENT_BIN;
if (!agentBin) throw new Error('set PANO_AGENT_BIN');

// A card's state badge says this, for the state named.
const since = /^Mất kết nối từ \d\d:\d\d:\d\d \d\d\/\d\d\/\d{4}$/;

async function flow(page, tag) {
  const name = ('ktv-' + tag + '-' + uniq()).toLowerCase();
  const groupName = 'Khối phố ' + tag + ' ' + uniq();
  step(tag + ': setup — a group to move the new screen to');
  const techAPI = await apiAs('technician');
  const group = await techAPI.call('POST', '/groups', { name: groupName });
  await techAPI.dispose();

  step(tag + ': technician sees states and what plays, by name');
  await page.goto(base + '/?lang=vi');
  await login(page, 'technician');
  const school = page.locator('article.card[data-name="truong-hoc"]');
  const street = page.locator('article.card[data-name="duong-chinh"]');
  const centre = page.locator('article.card[data-name="trung-tam-phuong"]');
  await page.locator('#display-live.on', { hasText: 'Cập nhật trực tiếp' }).waitFor();
  for (const c of [school, street, centre]) await c.locator('.state.on', { hasText: 'Trực tuyến' }).waitFor();
  const playing = centre.locator('.playing');
  await playing.filter({ hasText: /^Đang phát: .+ trong vòng phát .+$/ }).waitFor();
  const what = await playing.textContent();
  if (/mục số|item \d/.test(what)) throw new Error('now playing does not name the content: ' + what);
  await centre.locator('dd', { hasText: 'bình thường' }).waitFor(); // the driver state, translated
  if (await page.locator('article.card', { hasText: 'test_pattern' }).count()) throw new Error('a raw value on screen');

  step(tag + ': brightness 40 % for 2 hours');
  await street.getByRole('button', { name: 'Chỉnh độ sáng…' }).click();
  let dlg = page.getByRole('dialog');
  await dlg.getByLabel('Độ sáng (0–100 %)').fill('40');
  await dlg.getByLabel('Giữ mức này trong').selectOption({ label: '2 giờ' });
  await dlg.getByRole('button', { name: 'Áp dụng' }).click();
  await street.locator('.cardmsg.ok', { hasText: /^Chỉnh độ sáng: xong — độ sáng 40 % đến \d\d:\d\d:\d\d/ }).waitFor();
  // The card keeps saying so, from the screen's own health report.
  await street.locator('dd', { hasText: /^40 % · chỉnh tay đến \d\d:\d\d:\d\d/ }).waitFor();

  step(tag + ': a grid test pattern, seen live, then stopped');
  await centre.getByRole('button', { name: 'Chiếu mẫu kiểm tra…' }).click();
  dlg = page.getByRole('dialog');
  await dlg.getByLabel('Mẫu').selectOption({ label: 'Lưới ô và viền (kiểm tra cách đấu các tấm)' });
  await dlg.getByLabel('Trong bao lâu').selectOption({ label: '5 phút' });
  await dlg.getByRole('button', { name: 'Bắt đầu' }).click();
  await centre.locator('.cardmsg.ok', { hasText: 'Chiếu mẫu kiểm tra: xong' }).waitFor();
  await centre.locator('.state', { hasText: 'Đang chiếu mẫu kiểm tra' }).waitFor();
  await shot(page, 'technician-' + tag + '-test-pattern');
  await centre.getByRole('button', { name: 'Dừng mẫu kiểm tra' }).click();
  await centre.locator('.cardmsg.ok', { hasText: 'Dừng mẫu kiểm tra: xong' }).waitFor();
  await centre.locator('.state.on:not(.st-test_pattern)').waitFor();

  step(tag + ': blank (confirmed), then back');
  await school.getByRole('button', { name: 'Tạm tắt hình (màn đen)' }).click();
  dlg = page.getByRole('dialog');
  await dlg.getByText('Màn hình sẽ hiện màu đen').waitFor();
  await dlg.getByRole('button', { name: 'Tạm tắt hình (màn đen)' }).click();
  await school.locator('.state', { hasText: 'Đang tạm tắt hình (màn đen)' }).waitFor();
  await school.getByRole('button', { name: 'Bật lại hình' }).click();
  await school.locator('.state', { hasText: 'Trực tuyến' }).waitFor();

  step(tag + ': restart the player (confirmed), re-check content');
  await street.getByRole('button', { name: 'Khởi động lại trình phát' }).click();
  dlg = page.getByRole('dialog');
  await dlg.getByText('gián đoạn vài giây').waitFor();
  await dlg.getByRole('button', { name: 'Khởi động lại trình phát' }).click();
  await street.locator('.cardmsg.ok', { hasText: 'Khởi động lại trình phát: xong' }).waitFor();
  await street.getByRole('button', { name: 'Kiểm tra và tải lại nội dung' }).click();
  await street.locator('.cardmsg.ok', { hasText: 'Kiểm tra và tải lại nội dung: xong' }).waitFor();

  step(tag + ': add a screen with a firmware profile; the enrol command is shown');
  await page.getByRole('button', { name: 'Thêm màn hình…' }).click();
  dlg = page.getByRole('dialog');
  await dlg.getByLabel('Tên (chữ thường không dấu, số, gạch ngang)').fill(name);
  await dlg.getByLabel('Vị trí').fill('Nhà văn hóa khối phố ' + tag);
  await dlg.getByLabel('Chiều rộng (điểm ảnh)').fill('64');
  await dlg.getByLabel('Chiều cao (điểm ảnh)').fill('32');
  await dlg.getByLabel('Cấu hình phần cứng (loại card điều khiển)').selectOption('virtual');
  await dlg.getByRole('button', { name: 'Thêm', exact: true }).click();
  const cmdBox = page.getByRole('dialog').getByLabel('Lệnh đăng ký');
  await cmdBox.waitFor();
  const cmd = await cmdBox.inputValue();
  const host = new URL(base).host;
  const re = new RegExp('^pano-agent enroll --controller ws://' + host.replace(/\./g, '\\.') +
    ' --code [A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4} --state /var/lib/pano-agent --profile virtual --set width=64 --set height=32$');
  if (!re.test(cmd)) throw new Error('enrol command: ' + cmd);
  await page.getByRole('dialog').getByRole('button', { name: 'Sao chép lệnh' }).click();
  await page.getByRole('dialog').getByText('Đã sao chép').waitFor();
  await shot(page, 'technician-' + tag + '-enrol');
  await page.getByRole('dialog').getByRole('button', { name: 'Đóng' }).click();
  const mine = page.locator(`article.card[data-name="${name}"]`);
  await mine.locator('.state', { hasText: 'Chưa kết nối lần nào' }).waitFor();

  step(tag + ': edit its location');
  await mine.getByRole('button', { name: 'Sửa…' }).click();
  dlg = page.getByRole('dialog');
  await dlg.getByLabel('Vị trí').fill('Cổng chợ khối phố ' + tag);
  await dlg.getByRole('button', { name: 'Lưu' }).click();
  await mine.locator('.where', { hasText: 'Vị trí: Cổng chợ khối phố ' + tag }).waitFor();

  step(tag + ': filters — never connected, by name');
  const filters = page.locator('#display-filters');
  await filters.getByLabel('Trạng thái').selectOption('never_connected');
  await mine.waitFor();
  await school.waitFor({ state: 'detached' });
  await filters.getByLabel('Trạng thái').selectOption('');
  await school.waitFor();
  await filters.getByLabel('Tìm theo tên hoặc vị trí').fill(name);
  await school.waitFor({ state: 'detached' });
  if ((await page.locator('article.card').count()) !== 1) throw new Error('search by name shows more than one card');
  await filters.getByLabel('Tìm theo tên hoặc vị trí').fill('');
  await school.waitFor();

  step(tag + ': the agent is enrolled with the command shown and comes online live');
  await page.evaluate(() => { window.panoNoReload = true; });
  const state = mkdtempSync(join(tmpdir(), 'pano-agent-'));
  const args = cmd.split(' ').slice(1);
  args[args.indexOf('--state') + 1] = state;
  execFileSync(agentBin, args, { stdio: 'pipe' });
  const agent = spawn(agentBin, ['run', '--state', state], { stdio: 'ignore' });
  const exited = new Promise((resolve) => agent.on('exit', resolve));
  try {
    // An agent started on a busy machine: enrolled, connected, reporting.
    await mine.locator('.state.on', { hasText: 'Trực tuyến' }).waitFor({ timeout: 60000 });
    if (!(await page.evaluate(() => window.panoNoReload))) throw new Error('the page reloaded');
    await mine.locator('img.shot:not([hidden])').waitFor({ timeout: 60000 });

    step(tag + ': move it to the new group');
    await mine.getByRole('button', { name: 'Chuyển nhóm…' }).click();
    dlg = page.getByRole('dialog');
    await dlg.getByLabel('Nhóm mới').selectOption({ label: groupName });
    await dlg.getByRole('button', { name: 'Lưu' }).click();
    await mine.locator('.cardmsg.ok', { hasText: 'Đã chuyển nhóm: ' + groupName }).waitFor();
    await mine.locator('.where', { hasText: 'Nhóm: ' + groupName }).waitFor();
    await filters.getByLabel('Nhóm màn hình').selectOption({ label: groupName });
    await school.waitFor({ state: 'detached' });
    await mine.waitFor();
    await filters.getByLabel('Nhóm màn hình').selectOption('');

    step(tag + ': 24 h health charts');
    await mine.getByRole('button', { name: 'Lịch sử 24 giờ' }).click();
    dlg = page.getByRole('dialog');
    for (const h of ['Khung hình/giây', 'Lệch đồng hồ (ms)', 'Nội dung đã tải về (%)']) {
      const c = dlg.locator('.dsp-chart', { hasText: h });
      await c.locator('svg').waitFor(); // a new screen has a point or two: the line may have no length yet
      await c.locator('svg polyline').waitFor({ state: 'attached' });
    }
    await shot(page, 'technician-' + tag + '-health');
    await dlg.getByRole('button', { name: 'Đóng' }).click();

    step(tag + ': revoke it (explained, confirmed); it goes offline "since"');
    await mine.getByRole('button', { name: 'Thu hồi quyền kết nối…' }).click();
    dlg = page.getByRole('dialog');
    await dlg.getByText('không kết nối lại được nữa').waitFor();
    await dlg.getByRole('button', { name: 'Thu hồi', exact: true }).click();
    await mine.locator('.state.revoked', { hasText: 'Đã thu hồi quyền kết nối' }).waitFor();
    await mine.locator('.state.off', { hasText: since }).waitFor();
    const code = await exited;
    if (code === 0) throw new Error('the revoked agent exited with 0');
    await shot(page, 'technician-' + tag + '-revoked');
  } finally {
    if (agent.exitCode === null) agent.kill();
    rmSync(state, { recursive: true, force: true });
  }

  step(tag + ': delete it (confirmed)');
  await mine.getByRole('button', { name: 'Xóa màn hình…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Xóa', exact: true }).click();
  await mine.waitFor({ state: 'detached' });
  await page.locator('#msg.ok', { hasText: 'Đã xóa màn hình: ' + name }).waitFor();
  await shot(page, 'technician-' + tag);

  const cleanup = await apiAs('technician'); // the group was only for this test
  await cleanup.call('DELETE', '/groups/' + group.id);
  await cleanup.dispose();
}

await run((page) => flow(page, 'desktop'));
await run((page) => flow(page, 'tablet'), { viewport: { width: 768, height: 1024 } });

// Many screens: with 1,000 displays the page shows a page of them, pages
// on and filters by name. How fast is `make bench`'s (bench-displays.mjs):
// a timed test would fail on a busy machine. The displays are made through
// the API and removed at the end, whatever happens.
await run(async (page) => {
  const tech = await apiAs('technician');
  const tag = 'nhieu-' + uniq();
  const made = [];
  try {
    step('many: 1,000 displays in all');
    const have = (await tech.call('GET', '/displays?limit=1')).total;
    const names = Array.from({ length: Math.max(0, 1000 - have) }, (_, i) => tag + '-' + String(i).padStart(4, '0'));
    for (let i = 0; i < names.length; i += 25) {
      const batch = await Promise.all(names.slice(i, i + 25).map((n) => tech.call('POST', '/displays', { name: n, width: 64, height: 32, profile: 'virtual' })));
      made.push(...batch.map((d) => d.id));
    }

    step('many: the first page after logging in');
    await page.goto(base + '/?lang=vi');
    const began = Date.now();
    await login(page, 'technician');
    const range = page.locator('#display-pager .dsp-range', { hasText: /trên tổng số 1000$/ });
    await range.waitFor();
    await page.locator('article.card').nth(23).waitFor();
    const first = Date.now() - began;
    if ((await page.locator('article.card').count()) !== 24) throw new Error('want 24 cards on a page');
    await shot(page, 'technician-many');

    step('many: the next page and a name filter');
    await page.getByRole('button', { name: 'Trang sau' }).click();
    await page.locator('#display-pager .dsp-range', { hasText: 'Màn hình 25–48 trên tổng số 1000' }).waitFor();
    await page.getByLabel('Tìm theo tên hoặc vị trí').fill(tag + '-0500');
    await page.locator(`article.card[data-name="${tag}-0500"]`).waitFor();
    if ((await page.locator('article.card').count()) !== 1) throw new Error('the name filter shows more than one card');
    console.log(`first page ${first} ms (the figure: make bench)`);
  } finally {
    step('many: remove them');
    for (let i = 0; i < made.length; i += 25) {
      await Promise.all(made.slice(i, i + 25).map((id) => tech.call('DELETE', '/displays/' + id)));
    }
    await tech.dispose();
  }
});
