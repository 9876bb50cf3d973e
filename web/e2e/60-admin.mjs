// The admin's tasks through the UI only: a unit, an editor in it, a
// campaign with two themes, a display group and an API token (its secret
// shown once); the editor disabled and enabled again; the audit log
// filtered to those actions; a unit in use refused with the reason; the
// new editor logs in and sees their unit; a viewer who opens the page is
// told which role it needs. Hostile names stay text. The audit log shows
// words and names, never codes; the header stays one row with a long unit.
import { request } from 'playwright-core';
import { join } from 'node:path';
import { base, out, step, login, logout, shot, run, uniq } from './lib.mjs';

const u = uniq();
// A long unit name: the header must still fit one row at 1366 px.
const unitName = 'Ban công tác Mặt trận khối phố <b>' + u + '</b> – tổ công nghệ số cộng đồng';
const editorName = 'bientap-' + u;
const editorPw = 'mat-khau-' + u;
const campaignName = 'Chuyển đổi số <img src=x> ' + u;
const themes = ['Dịch vụ công trực tuyến', 'Thanh toán số <i>an toàn</i>'];
const groupName = 'Chợ đêm <script>x</script> ' + u;
const tokenName = 'bao-cao-' + u;

// today is the date in the display time zone, as the date inputs take it.
const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(new Date());

// noCodes fails if the audit log shows an action as a code or a detail
// under its API key (lead, unit_id) rather than in words.
async function noCodes(page) {
  const codes = await page.locator('#audit tbody code').allTextContents();
  if (codes.length) throw new Error('the audit log shows codes: ' + codes);
  const keys = (await page.locator('#audit tbody dt').allTextContents()).filter((k) => /^[a-z_0-9]+$/.test(k));
  if (keys.length) throw new Error('the audit log shows raw keys: ' + keys);
}

async function noMarkup(page, where) {
  const n = await page.locator(`${where} b, ${where} i, ${where} img, ${where} script`).count();
  if (n) throw new Error(`${where}: a name became ${n} HTML element(s)`);
}

// oneRow fails unless the page header's visible parts share one row.
async function oneRow(page, where) {
  const boxes = await page.evaluate(() => [...document.querySelector('body > header').children]
    .filter((e) => e.offsetParent !== null).map((e) => { const r = e.getBoundingClientRect(); return [r.top, r.bottom]; }));
  if (Math.max(...boxes.map((b) => b[0])) >= Math.min(...boxes.map((b) => b[1]))) throw new Error(where + ': the header wraps: ' + JSON.stringify(boxes));
}

async function tab(page, name, sections = 'Các phần quản trị') {
  await page.getByRole('navigation', { name: sections }).getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { name, exact: true, level: 3 }).waitFor();
}

let secret = '';

await run(async (page, ctx) => {
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });

  step('admin logs in on the Quản trị page');
  await page.goto(base + '/admin?lang=vi');
  await login(page, 'admin');
  await page.getByRole('heading', { name: 'Người dùng', exact: true }).waitFor();
  await page.locator('#users tr', { hasText: 'technician' }).waitFor();
  await page.locator('#adm-me', { hasText: 'Bạn đăng nhập là admin, quản trị viên, thuộc Phòng Văn hóa – Xã hội.' }).waitFor();
  await oneRow(page, 'admin at 1366 px');
  for (const name of ['Đơn vị', 'Chiến dịch tuyên truyền', 'Nhóm màn hình', 'Mã truy cập API', 'Nhật ký hoạt động']) {
    await page.getByRole('link', { name, exact: true }).waitFor();
  }
  const dialog = page.getByRole('dialog');

  step('creates a unit');
  await tab(page, 'Đơn vị');
  await page.getByRole('button', { name: 'Thêm đơn vị' }).click();
  await dialog.getByLabel('Tên đơn vị').fill(unitName);
  await dialog.getByRole('button', { name: 'Tạo', exact: true }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.locator('#msg.ok', { hasText: 'Đã tạo đơn vị ' + unitName }).waitFor();
  await page.locator('#units tr', { hasText: unitName }).waitFor();
  await noMarkup(page, '#units');
  if (await page.locator('#units tr', { hasText: unitName }).getByText('đơn vị chủ trì').count()) throw new Error('a new unit leads');
  await page.locator('#units tr', { hasText: 'Phòng Văn hóa – Xã hội' }).getByText('đơn vị chủ trì').waitFor();
  // The demo's kinds are in Vietnamese (kind is free text, shown as typed).
  for (const [name, kind] of [['Phòng Văn hóa – Xã hội', 'phòng chuyên môn'], ['Ủy ban MTTQ Việt Nam phường', 'mặt trận'], ['Trường THCS phường', 'trường học'], ['Khối phố 1', 'khối phố']]) {
    await page.locator('#units tr', { hasText: name }).getByRole('cell', { name: new RegExp('^' + kind) }).waitFor();
  }

  step('creates an editor in it; two different passwords are refused first');
  await tab(page, 'Người dùng');
  await page.getByRole('button', { name: 'Thêm người dùng' }).click();
  await dialog.getByLabel('Tên đăng nhập').fill(editorName);
  // Roles from least to most power; a new user is an editor unless chosen.
  const roleLabels = await dialog.getByLabel('Vai trò').locator('option').allTextContents();
  if (JSON.stringify(roleLabels) !== JSON.stringify(['người xem', 'biên tập viên', 'kỹ thuật viên', 'người phê duyệt', 'quản trị viên'])) throw new Error('roles offered: ' + roleLabels);
  if ((await dialog.getByLabel('Vai trò').inputValue()) !== 'editor') throw new Error('a new user is not an editor by default');
  await dialog.getByText('Biên tập viên: tải lên và soạn nội dung').waitFor();
  await dialog.getByLabel('Vai trò').selectOption({ label: 'người xem' });
  await dialog.getByLabel('Vai trò').selectOption({ label: 'biên tập viên' });
  await dialog.getByText('Biên tập viên: tải lên và soạn nội dung').waitFor();
  await dialog.getByLabel('Đơn vị').selectOption({ label: unitName });
  await dialog.getByLabel('Mật khẩu (ít nhất 10 ký tự)').fill(editorPw);
  await dialog.getByLabel('Nhập lại mật khẩu').fill(editorPw + 'x');
  await dialog.getByRole('button', { name: 'Tạo', exact: true }).click();
  await dialog.getByRole('alert').filter({ hasText: 'Hai mật khẩu không khớp nhau.' }).waitFor();
  await dialog.getByLabel('Nhập lại mật khẩu').fill(editorPw);
  await dialog.getByRole('button', { name: 'Tạo', exact: true }).click();
  await dialog.waitFor({ state: 'detached' });
  const editorRow = page.locator('#users tr', { hasText: editorName });
  await editorRow.waitFor();
  for (const cell of ['biên tập viên', unitName, 'đang hoạt động']) await editorRow.getByRole('cell', { name: cell, exact: true }).waitFor();
  await shot(page, 'admin-users');

  step('a campaign with two themes, owned by the new unit');
  await tab(page, 'Chiến dịch tuyên truyền');
  await page.getByRole('button', { name: 'Thêm chiến dịch' }).click();
  await dialog.getByLabel('Tên chiến dịch').fill(campaignName);
  await dialog.getByLabel('Từ ngày').fill('2026-12-01');
  await dialog.getByLabel('Đến ngày').fill('2026-11-01');
  await dialog.getByLabel('Đơn vị chủ trì').selectOption({ label: unitName });
  for (const [i, th] of themes.entries()) {
    await dialog.getByRole('button', { name: 'Thêm chủ đề' }).click();
    await dialog.getByLabel('Chủ đề ' + (i + 1), { exact: true }).fill(th);
  }
  await dialog.getByRole('button', { name: 'Tạo', exact: true }).click();
  await dialog.getByRole('alert').filter({ hasText: 'Ngày kết thúc phải từ ngày bắt đầu trở đi.' }).waitFor();
  await dialog.getByLabel('Đến ngày').fill('2027-03-31');
  await shot(page, 'admin-campaign-dialog');
  await dialog.getByRole('button', { name: 'Tạo', exact: true }).click();
  await dialog.waitFor({ state: 'detached' });
  const campaignRow = page.locator('#campaigns tr', { hasText: campaignName });
  await campaignRow.waitFor();
  await campaignRow.getByRole('cell', { name: '01/12/2026 – 31/03/2027' }).waitFor();
  await campaignRow.getByRole('cell', { name: unitName, exact: true }).waitFor();
  const shown = await campaignRow.locator('ol li').allTextContents();
  if (JSON.stringify(shown) !== JSON.stringify(themes)) throw new Error('themes shown: ' + JSON.stringify(shown));
  await noMarkup(page, '#campaigns');

  step('renames the second theme; only the last can be removed');
  await campaignRow.getByRole('button', { name: 'Sửa' }).click();
  await dialog.getByRole('button', { name: 'Bỏ chủ đề 2' }).waitFor();
  if (await dialog.getByRole('button', { name: 'Bỏ chủ đề 1' }).isVisible()) throw new Error('the first theme of a campaign can be removed');
  themes[1] = 'Thanh toán không dùng tiền mặt';
  await dialog.getByLabel('Chủ đề 2', { exact: true }).fill(themes[1]);
  await dialog.getByRole('button', { name: 'Lưu' }).click();
  await dialog.waitFor({ state: 'detached' });
  await campaignRow.locator('ol li', { hasText: themes[1] }).waitFor();

  step('a display group');
  await tab(page, 'Nhóm màn hình');
  await page.getByRole('button', { name: 'Thêm nhóm màn hình' }).click();
  await dialog.getByLabel('Tên nhóm').fill(groupName);
  await dialog.getByRole('button', { name: 'Tạo', exact: true }).click();
  await dialog.waitFor({ state: 'detached' });
  const groupRow = page.locator('#groups tr', { hasText: groupName });
  await groupRow.getByRole('cell', { name: '0', exact: true }).waitFor();
  await noMarkup(page, '#groups');

  step('an API token: the secret is shown once, copied, and works');
  await tab(page, 'Mã truy cập API');
  await page.getByRole('button', { name: 'Tạo mã truy cập' }).click();
  await dialog.getByLabel('Tên gợi nhớ').fill(tokenName);
  await dialog.getByRole('button', { name: 'Tạo', exact: true }).click();
  await dialog.getByRole('heading', { name: 'Mã truy cập mới: ' + tokenName }).waitFor();
  secret = await dialog.getByLabel('Mã truy cập').inputValue();
  if (!/^pano_\S{20,}$/.test(secret)) throw new Error('secret shown: ' + secret);
  await dialog.getByRole('button', { name: 'Chép' }).click();
  await dialog.getByRole('status').filter({ hasText: 'Đã chép vào bộ nhớ tạm.' }).waitFor();
  if ((await page.evaluate(() => navigator.clipboard.readText())) !== secret) throw new Error('the clipboard does not hold the secret');
  await shot(page, 'admin-token-secret');
  await dialog.getByRole('button', { name: 'Đóng' }).click();
  await dialog.waitFor({ state: 'detached' });
  const tokenRow = page.locator('#tokens tr', { hasText: tokenName });
  await tokenRow.getByRole('cell', { name: 'còn hiệu lực' }).waitFor();
  await tokenRow.getByRole('cell', { name: secret.slice(0, 11) + '…' }).waitFor();
  if ((await page.content()).includes(secret)) throw new Error('the secret is still in the page after the dialog closed');
  const bearer = await request.newContext({ baseURL: base, extraHTTPHeaders: { Authorization: 'Bearer ' + secret } });
  const me = await (await bearer.get('/api/v1/me')).json();
  await bearer.dispose();
  if (me.user?.name !== 'admin') throw new Error('the token does not act as admin: ' + JSON.stringify(me));

  step('disables the editor, then enables them again');
  await tab(page, 'Người dùng');
  await editorRow.getByRole('button', { name: 'Khóa', exact: true }).click();
  await editorRow.getByRole('cell', { name: 'đã khóa' }).waitFor();
  await page.locator('#msg.ok', { hasText: 'Đã khóa tài khoản ' + editorName }).waitFor();
  const api = await request.newContext({ baseURL: base });
  const refused = await api.post('/api/v1/session', { data: { name: editorName, password: editorPw } });
  if (refused.status() !== 401) throw new Error('a disabled editor logged in: ' + refused.status());
  await editorRow.getByRole('button', { name: 'Mở khóa' }).click();
  await editorRow.getByRole('cell', { name: 'đang hoạt động' }).waitFor();
  await api.dispose();

  step('the audit log, filtered, shows those actions');
  await tab(page, 'Nhật ký hoạt động');
  const filter = page.locator('#audit-filter');
  const rows = page.locator('#audit tbody tr');
  // filtered clicks a button of the audit log and waits for its answer.
  const filtered = async (name) => {
    await page.locator('#audit').getByRole('button', { name, exact: true }).click();
    await page.locator('#audit table[aria-busy="false"]').waitFor();
  };
  await rows.first().waitFor();
  await filter.getByLabel('Người thực hiện').fill('admin');
  await filter.getByLabel('Từ ngày').fill(today);
  await filter.getByLabel('Đến hết ngày').fill(today);
  await filter.getByLabel('Hành động').selectOption({ label: 'Tạo đơn vị' });
  await filtered('Lọc');
  const unitRowLog = rows.filter({ hasText: unitName }).filter({ hasText: 'Tạo đơn vị' });
  await unitRowLog.getByRole('cell', { name: 'Tạo đơn vị' }).waitFor();
  // The object by its name; the detail's keys and values in words.
  await unitRowLog.getByRole('cell', { name: 'đơn vị “' + unitName + '”' }).waitFor();
  await unitRowLog.locator('dt', { hasText: 'đơn vị chủ trì' }).waitFor();
  if ((await rows.filter({ hasNotText: 'Tạo đơn vị' }).count()) !== 0) throw new Error('the action filter let other actions through');

  await filter.getByLabel('Hành động').selectOption({ label: 'tất cả' });
  await filter.getByLabel('Loại đối tượng').selectOption({ label: 'người dùng' });
  await filtered('Lọc');
  await rows.filter({ hasText: 'Tạo người dùng' }).getByRole('cell', { name: 'người dùng “' + editorName + '”' }).waitFor();
  await rows.filter({ hasText: 'Sửa người dùng' }).filter({ hasText: 'bị khóa' }).first().waitFor();
  if ((await rows.filter({ hasText: 'Sửa người dùng' }).count()) < 2) throw new Error('want the disable and the enable in the log');

  await filter.getByLabel('Loại đối tượng').selectOption({ label: 'tất cả' });
  await filtered('Lọc');
  for (const [action, obj] of [['Tạo chiến dịch', 'chiến dịch “' + campaignName + '”'], ['Sửa chiến dịch', 'chiến dịch “' + campaignName + '”'],
    ['Tạo nhóm màn hình', 'nhóm màn hình “' + groupName + '”'], ['Tạo mã truy cập API', 'mã truy cập API “' + tokenName + '”']]) {
    await rows.filter({ hasText: action }).first().getByRole('cell', { name: obj }).waitFor();
  }
  await noCodes(page);
  await noMarkup(page, '#audit');
  await shot(page, 'admin-audit');

  step('a day with nothing, then paging back through the whole log');
  await filter.getByLabel('Từ ngày').fill('2020-01-01');
  await filter.getByLabel('Đến hết ngày').fill('2020-01-01');
  await filtered('Lọc');
  await page.getByText('Không có hoạt động nào khớp bộ lọc.').waitFor();
  await filtered('Bỏ lọc');
  await page.getByRole('button', { name: 'Cũ hơn' }).waitFor();
  const newest = await rows.first().textContent();
  await filtered('Cũ hơn');
  await page.getByText('Trang 2').waitFor();
  if ((await rows.first().textContent()) === newest) throw new Error('"Cũ hơn" showed the same page');
  await noCodes(page);
  await filtered('Về mới nhất');
  await page.getByText('Trang 2').waitFor({ state: 'hidden' });

  // A second tab of the same session, for answers the first one must not
  // see as console errors: 409 (the unit in use) and 403 (the viewer).
  const other = await ctx.newPage();
  const problems = [];
  other.on('pageerror', (e) => problems.push('page error: ' + e.message));
  other.on('console', (m) => {
    if (m.type() === 'error' && !/ (401|403|404|409) /.test(m.text())) problems.push('console: ' + m.text());
  });

  step('a unit that still has a user cannot be deleted, and the page says why');
  await other.goto(base + '/admin#units');
  const unitRow = other.locator('#units tr', { hasText: unitName });
  await unitRow.getByRole('button', { name: 'Xóa' }).click();
  await other.getByRole('dialog').getByRole('button', { name: 'Xóa' }).click();
  await other.locator('#msg.error', { hasText: 'Không xóa được đơn vị ' + unitName + ': đơn vị vẫn còn người dùng' }).waitFor();
  await unitRow.waitFor();
  await logout(other);

  step('the new editor logs in and sees their unit');
  await page.goto(base + '/');
  await login(page, editorName, editorPw);
  await page.locator('#who', { hasText: editorName + ' (biên tập viên · ' + unitName + ')' }).waitFor();
  await oneRow(page, 'an editor of a long-named unit at 1366 px');
  await page.goto(base + '/?lang=en');
  await page.locator('#who', { hasText: editorName + ' (editor · ' + unitName + ')' }).waitFor();
  await oneRow(page, 'in English at 1366 px');
  await page.goto(base + '/?lang=vi');
  await page.locator('#who', { hasText: 'biên tập viên' }).waitFor();
  await page.locator('body > header').screenshot({ path: out ? join(out, 'admin-header-long-unit.png') : undefined });
  if (await page.getByRole('link', { name: 'Quản trị' }).isVisible()) throw new Error('an editor sees the Quản trị link');
  await logout(page);

  step('a viewer who opens Quản trị is told the role it needs');
  await other.goto(base + '/admin');
  await login(other, 'viewer');
  await other.locator('#adm-refused', { hasText: 'Việc này cần vai trò: quản trị viên.' }).waitFor();
  await other.getByRole('heading', { name: 'Mã truy cập API', exact: true }).waitFor();
  for (const name of ['Người dùng', 'Đơn vị', 'Nhật ký hoạt động']) {
    if (await other.getByRole('link', { name, exact: true }).isVisible()) throw new Error('a viewer sees the tab ' + name);
  }
  await shot(other, 'admin-viewer');
  await logout(other);
  if (problems.length) throw new Error(problems.join('\n'));
});

await run(async (page) => {
  step('tablet: the approver sees campaigns and the audit log only');
  await page.goto(base + '/admin#audit');
  await login(page, 'approver');
  await page.getByRole('heading', { name: 'Nhật ký hoạt động', exact: true, level: 3 }).waitFor();
  await page.locator('#audit tbody tr').first().waitFor();
  for (const name of ['Người dùng', 'Đơn vị', 'Nhóm màn hình']) {
    if (await page.getByRole('link', { name, exact: true }).isVisible()) throw new Error('an approver sees the tab ' + name);
  }
  await shot(page, 'admin-tablet-audit');
  // The demo's own events (schedule entries, rotations, screens), in words.
  await noCodes(page);
  // Filtered by action: a whole run of tests has written many newer events.
  await page.locator('#audit-filter').getByLabel('Hành động').selectOption({ label: 'Tạo lịch phát' });
  await page.locator('#audit').getByRole('button', { name: 'Lọc', exact: true }).click();
  const sched = page.locator('#audit tbody tr', { hasText: 'Tạo lịch phát' }).first();
  await sched.scrollIntoViewIfNeeded();
  if (out) await page.screenshot({ path: join(out, 'admin-tablet-audit-schedule.png') });
  await tab(page, 'Chiến dịch tuyên truyền');
  await page.locator('#campaigns tr', { hasText: campaignName }).getByRole('button', { name: 'Sửa' }).click();
  await page.getByRole('dialog').getByLabel('Chủ đề 2', { exact: true }).waitFor();
  await shot(page, 'admin-tablet-campaign');
  await page.getByRole('dialog').getByRole('button', { name: 'Hủy' }).click();
  await logout(page);

  step('tablet: the admin\'s users');
  await page.goto(base + '/admin');
  await login(page, 'admin');
  await page.locator('#users tr', { hasText: editorName }).waitFor();
  if (await page.evaluate(() => document.documentElement.scrollWidth > innerWidth)) throw new Error('the page is wider than a tablet');
  await shot(page, 'admin-tablet-users');

  step('in English');
  await page.getByRole('link', { name: 'English' }).click();
  await page.getByRole('heading', { name: 'Users', exact: true, level: 3 }).waitFor();
  const row = page.locator('#users tr', { hasText: editorName });
  await row.locator('td', { hasText: /^editor$/ }).waitFor(); // on a tablet a cell's name starts with its column's
  await row.getByRole('button', { name: 'Reset password' }).waitFor();
  await tab(page, 'Audit log', 'Administration sections');
  await page.locator('#audit-filter').getByLabel('Action').selectOption({ label: 'User created' });
  await page.locator('#audit').getByRole('button', { name: 'Filter', exact: true }).click();
  await page.locator('#audit tbody tr', { hasText: 'User created' }).first().waitFor();
  await page.getByRole('link', { name: 'Tiếng Việt' }).click();
  await page.getByRole('heading', { name: 'Quản trị', exact: true }).waitFor();
}, { viewport: { width: 768, height: 1024 } });
