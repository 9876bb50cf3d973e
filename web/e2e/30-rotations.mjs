// Rotations: an editor builds one from approved notices and a draft one
// (picked in a dialog), reorders it by drag and by keyboard, sets
// durations, previews it at 64×32 and 128×64, submits; the approver
// rejects it with a reason typed in a dialog; the editor reads the reason
// beside it, fixes it, resubmits (and withdraws once); the approver
// approves. The rotation's hostile name stays text.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base, step, login, logout, apiAs, shot, run, uniq } from './lib.mjs';

const u = uniq();
const name = `<img src=x onerror=alert(1)> Vòng phát ${u}`;
const titles = { a: `Dịch vụ công ${u}`, b: `Thanh toán số ${u}`, c: `Họp khối phố ${u}`, v: `Video hướng dẫn ${u}` };

step('set up: the editor writes three notices, the approver approves two of them');
const editor = await apiAs('editor');
const approver = await apiAs('approver');
const ids = {};
for (const [k, body] of [['a', 'Nộp hồ sơ trực tuyến, không cần đến phường.'], ['b', 'Quét mã QR để nộp phí.'], ['c', 'Tối thứ Bảy, 19 giờ, tại nhà văn hóa.']]) {
  ids[k] = (await editor.call('POST', '/media', { kind: 'text', title: titles[k], body })).id;
}
step('set up: the editor uploads a 3-second video');
{
  const dir = mkdtempSync(join(tmpdir(), 'pano-rot-'));
  const file = join(dir, 'huong-dan.mp4');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x80:rate=10', '-t', '3', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', file]);
  const r = await editor.api.fetch('/api/v1/media', { method: 'POST', headers: editor.headers,
    multipart: { title: titles.v, file: { name: 'huong-dan.mp4', mimeType: 'video/mp4', buffer: readFileSync(file) } } });
  rmSync(dir, { recursive: true, force: true });
  if (!r.ok()) throw new Error('video upload: ' + r.status() + ' ' + (await r.text()));
  ids.v = (await r.json()).id;
}
// A video is processing after its upload (its preview panel) and again
// once submitted (every other panel): it is approved when ready.
async function videoReady() {
  const until = Date.now() + 90000;
  for (let m; (m = await editor.call('GET', `/media/${ids.v}`)).current.processing !== 'ready';) {
    if (m.current.processing === 'failed' || Date.now() > until) throw new Error('video processing: ' + JSON.stringify(m.current));
    await new Promise((res) => setTimeout(res, 250)); // polling the API: there is no event to wait for
  }
}
await videoReady();
for (const k of ['a', 'b', 'v']) {
  await editor.call('POST', `/media/${ids[k]}/submit`);
  if (k === 'v') await videoReady();
  await approver.call('POST', `/media/${ids[k]}/approve`);
}
await editor.dispose();
await approver.dispose();

await run(async (page) => {
  page.on('dialog', (d) => { throw new Error('a browser dialog opened: ' + d.message()); });
  const items = page.locator('#rot-items li.rot-item');
  const order = async () => (await items.evaluateAll((lis) => lis.map((li) => Number(li.dataset.mediaId))));
  const want = async (keys, why) => {
    const exp = keys.map((k) => ids[k]);
    await page.waitForFunction((e) => JSON.stringify([...document.querySelectorAll('#rot-items li.rot-item')].map((li) => Number(li.dataset.mediaId))) === JSON.stringify(e), exp)
      .catch(async () => { throw new Error(`${why}: order ${JSON.stringify(await order())}, want ${JSON.stringify(exp)}`); });
  };
  const item = (k) => page.locator(`#rot-items li.rot-item[data-media-id="${ids[k]}"]`);
  const row = page.locator('#rotations tbody tr', { hasText: u });

  step('the editor logs in on the rotations page and starts a rotation');
  await page.goto(base + '/rotations?lang=vi');
  await login(page, 'editor');
  await page.getByRole('heading', { name: 'Vòng phát', exact: true }).waitFor();
  await page.getByRole('button', { name: 'Tạo vòng phát mới' }).click();
  await page.getByLabel('Tên vòng phát').fill(name);
  await page.locator('#rot-unit', { hasText: 'Đơn vị: Ủy ban MTTQ Việt Nam phường' }).waitFor(); // an editor's own unit
  const campaign = page.locator('#rot-form').getByLabel('Chiến dịch tuyên truyền');
  await campaign.selectOption({ index: 1 }); // the demo's Resolution 57 campaign
  const campaignName = (await campaign.locator('option:checked').textContent()).trim();

  step('picks three notices and the video in the media dialog, in the order ticked');
  await page.getByRole('button', { name: 'Thêm nội dung' }).click();
  const pick = page.locator('dialog');
  await pick.getByLabel('Tìm nội dung').fill(u);
  for (const k of ['a', 'b', 'c', 'v']) await pick.locator(`label.rot-pick[data-media-id="${ids[k]}"] input`).check();
  await pick.locator(`label.rot-pick[data-media-id="${ids.c}"] .status`, { hasText: 'bản nháp' }).waitFor();
  await shot(page, 'rotations-pick');
  await pick.getByRole('button', { name: 'Thêm các mục đã chọn' }).click();
  await want(['a', 'b', 'c', 'v'], 'after picking');
  const vsecs = await item('v').getByLabel('Thời lượng (giây)').inputValue();
  if (vsecs !== '3') throw new Error(`the video's duration is ${vsecs} s, want its natural length, 3 s`);
  await page.locator('#rot-warn', { hasText: titles.c }).waitFor();
  if (await page.locator('#rot-warn', { hasText: titles.a }).count()) throw new Error('an approved notice is in the warning');

  step('drags the third item to the top');
  await item('c').locator('.rot-handle').dragTo(item('a'), { targetPosition: { x: 30, y: 3 } });
  await want(['c', 'a', 'b', 'v'], 'after dragging');

  step('moves it down with Alt+ArrowDown: the focus stays, a screen reader hears it');
  await item('c').getByLabel('Thời lượng (giây)').focus();
  await page.keyboard.press('Alt+ArrowDown');
  await want(['a', 'c', 'b', 'v'], 'after Alt+ArrowDown');
  const focused = await page.evaluate(() => document.activeElement.closest('li')?.dataset.mediaId);
  if (Number(focused) !== ids.c) throw new Error('focus left the moved item: ' + focused);
  await page.locator('#rot-live', { hasText: 'vị trí 2/4' }).waitFor({ state: 'attached' });

  step('and with the move-up button, which keeps the focus');
  await item('b').getByRole('button', { name: 'Chuyển lên: ' + titles.b }).click();
  await want(['a', 'b', 'c', 'v'], 'after the move-up button');
  const active = await page.evaluate(() => [document.activeElement.closest('li')?.dataset.mediaId, document.activeElement.dataset.role]);
  if (Number(active[0]) !== ids.b || active[1] !== 'up') throw new Error('focus after the button: ' + active);

  step('sets durations; the cycle time follows');
  await page.locator('#rot-total', { hasText: '0:33' }).waitFor(); // three notices of 10 s, the video's 3 s
  for (const [k, s] of [['a', '15'], ['b', '20'], ['c', '5']]) await item(k).getByLabel('Thời lượng (giây)').fill(s);
  await page.locator('#rot-total', { hasText: '0:43' }).waitFor();
  await page.getByRole('button', { name: 'Lưu', exact: true }).click();
  await page.locator('#msg.ok', { hasText: 'Đã lưu' }).waitFor();
  await shot(page, 'rotations-editor');

  step('previews at 64×32 and 128×64');
  await page.getByRole('button', { name: 'Xem trước', exact: true }).click();
  const canvas = page.locator('#rot-canvas');
  const checkDrawn = async (w, h) => {
    const geometry = page.getByLabel('Kích thước màn hình');
    // The sizes come from the screens the page reads: wait for this one.
    const option = geometry.locator(`option[value^="${w}x${h}:"]`).first();
    await option.waitFor({ state: 'attached' }).catch(() => { throw new Error(`no ${w}×${h} panel size to choose`); });
    const value = await option.getAttribute('value');
    await geometry.selectOption(value);
    await page.locator(`#rot-canvas[data-panel="${w}x${h}"][data-drawn]`).waitFor();
    const got = await canvas.evaluate((c) => {
      const r = c.getBoundingClientRect();
      return { w: c.width, h: c.height, cssW: r.width, cssH: r.height, scale: Number(c.dataset.scale), ticker: c.dataset.ticker === 'true' };
    });
    if (got.w !== w * got.scale || got.h !== h * got.scale || got.scale < 2) throw new Error(`canvas ${JSON.stringify(got)} is not ${w}×${h} scaled up`);
    if (Math.abs(got.cssW / got.cssH - w / h) > 0.02) throw new Error(`shown with aspect ${got.cssW / got.cssH}, want ${w / h}`);
    // Lit: at least 1 % of the pixels (a ticker scrolls in from the right).
    const lit = () => canvas.evaluate((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0, sum = 0;
      for (let i = 0; i < d.length; i += 4) { if (d[i] + d[i + 1] + d[i + 2] > 60) n++; sum = (sum * 31 + d[i] + d[i + 1] + d[i + 2]) % 1000003; }
      return { share: n / (d.length / 4), sum };
    });
    await page.waitForFunction(() => {
      const c = document.getElementById('rot-canvas');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 60) n++;
      return n > d.length / 4 / 100;
    }).catch(async () => { throw new Error(`the ${w}×${h} preview stays dark: ${JSON.stringify(await lit())}`); });
    if (got.ticker) { // a ticker moves
      const a = (await lit()).sum;
      await page.waitForFunction((a) => {
        const c = document.getElementById('rot-canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let sum = 0;
        for (let i = 0; i < d.length; i += 4) sum = (sum * 31 + d[i] + d[i + 1] + d[i + 2]) % 1000003;
        return sum !== a;
      }, a);
    }
    return got;
  };
  await page.locator('#rot-now', { hasText: 'Đang phát mục 1/4: ' + titles.a }).waitFor();
  const small = await checkDrawn(64, 32);
  if (!small.ticker) throw new Error('this notice is too long for 64×32: it should scroll');
  await page.locator('#rot-now', { hasText: 'chạy ngang' }).waitFor();
  await shot(page, 'rotations-preview-64x32');
  await checkDrawn(128, 64);
  await page.getByLabel('Hiển thị dạng bóng LED').check();
  await page.locator('#rot-canvas[data-look="dots"][data-drawn]').waitFor();
  await shot(page, 'rotations-preview-128x64-dots');
  step('the video plays its frames, as on the Nội dung page');
  await page.getByRole('button', { name: '4. ' + titles.v }).click();
  await page.locator('#rot-now', { hasText: 'Đang phát mục 4/4: ' + titles.v }).waitFor();
  await page.locator(`#rot-canvas[data-panel="128x64"][data-drawn="${ids.v}"][data-kind="video"]`).waitFor();
  if (Number(await canvas.getAttribute('data-frames')) < 10) throw new Error('the video does not play its frames: ' + await canvas.getAttribute('data-frames'));
  if (await page.locator('#rot-now', { hasText: 'khung hình đầu tiên' }).count()) throw new Error('the video shows only its first frame');
  await page.getByRole('button', { name: '1. ' + titles.a }).click();
  step('the player goes on to the next item, and pauses');
  await page.getByRole('button', { name: 'Mục sau' }).click();
  await page.locator('#rot-now', { hasText: 'Đang phát mục 2/4: ' + titles.b }).waitFor();
  await page.getByRole('button', { name: 'Tạm dừng' }).click();
  await page.locator('#rot-now', { hasText: 'đang tạm dừng' }).waitFor();
  await page.locator('#rot-preview').getByRole('button', { name: 'Đóng', exact: true }).click();

  step('saves and submits; what the editor said stays there');
  await page.getByRole('button', { name: 'Lưu và gửi duyệt' }).click();
  await page.locator('#msg.ok', { hasText: 'Đã gửi duyệt' }).waitFor();
  if ((await page.locator('#rot-live').textContent()).trim()) throw new Error('the list still says: ' + await page.locator('#rot-live').textContent());
  await row.locator('.status', { hasText: 'chờ duyệt' }).waitFor();
  await row.locator('td.num', { hasText: '0:43' }).waitFor();
  await row.locator('td', { hasText: campaignName }).waitFor();
  if ((await row.locator('th').textContent()).indexOf('<img src=x onerror=alert(1)>') < 0) throw new Error('the hostile name is not shown as text');
  if (await page.locator('img[src="x"]').count()) throw new Error('the hostile name became an element');
  await shot(page, 'rotations-list');
  await logout(page);

  step('the approver cannot approve it while a notice is unapproved, and rejects it with a reason');
  await login(page, 'approver');
  await row.locator('.rot-unit-of', { hasText: 'Ủy ban MTTQ Việt Nam phường' }).waitFor(); // the approver sees every unit's
  await row.getByRole('button', { name: 'Duyệt', exact: true }).click();
  await page.locator('#msg.error', { hasText: titles.c }).waitFor();
  // The message says each item's state, so a rejected one is not "to approve".
  await page.locator('#msg.error', { hasText: new RegExp(titles.c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + ' \\((bản nháp|chờ duyệt|bị từ chối)\\)') }).waitFor();
  await row.getByRole('button', { name: 'Từ chối', exact: true }).click();
  const dlg = page.locator('dialog[open]');
  await dlg.getByRole('button', { name: 'Từ chối', exact: true }).click(); // no reason: the dialog stays
  if (!(await dlg.getByLabel('Lý do từ chối').evaluate((a) => a.matches(':invalid')))) throw new Error('an empty reason was accepted');
  const reason = `Bỏ "${titles.c}": thông báo đó chưa được duyệt.`;
  await dlg.getByLabel('Lý do từ chối').fill(reason);
  await shot(page, 'rotations-reject');
  await dlg.getByRole('button', { name: 'Từ chối', exact: true }).click();
  await row.locator('.status', { hasText: 'bị từ chối' }).waitFor();
  await logout(page);

  step('the editor reads the reason beside the rotation, edits and resubmits');
  await login(page, 'editor');
  await row.locator('.rot-reason', { hasText: reason }).waitFor();
  if (!(await row.locator('.rot-reason').isVisible())) throw new Error('the reason is not shown');
  await row.getByRole('button', { name: 'Sửa', exact: true }).click();
  await page.locator('#rot-editor-state .rot-reason', { hasText: reason }).waitFor();
  await item('c').getByRole('button', { name: 'Bỏ khỏi vòng phát: ' + titles.c }).click();
  await want(['a', 'b', 'v'], 'after removing');
  await page.locator('#rot-total', { hasText: '0:38' }).waitFor();
  await page.locator('#rot-warn').waitFor({ state: 'hidden' });
  await page.getByRole('button', { name: 'Lưu và gửi duyệt' }).click();
  await row.locator('.status', { hasText: 'chờ duyệt' }).waitFor();

  step('withdraws it to draft and submits it again from the list');
  await row.getByRole('button', { name: 'Rút lại', exact: true }).click();
  await row.locator('.status', { hasText: 'bản nháp' }).waitFor();
  await row.getByRole('button', { name: 'Gửi duyệt', exact: true }).click();
  await row.locator('.status', { hasText: 'chờ duyệt' }).waitFor();
  if (await row.locator('.rot-reason').count()) throw new Error('an old reason is still shown');

  step('tablet: the list and the editor at 768×1024');
  await page.setViewportSize({ width: 768, height: 1024 });
  await shot(page, 'rotations-tablet-list');
  await row.getByRole('button', { name: 'Sửa', exact: true }).click();
  await page.locator('#rot-editor').waitFor();
  await shot(page, 'rotations-tablet-editor');
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  if (wide > 768) throw new Error('the editor is wider than a tablet: ' + wide);
  await page.getByRole('button', { name: 'Đóng', exact: true }).click();
  await page.setViewportSize({ width: 1366, height: 768 });
  await logout(page);

  step('the approver approves it');
  await login(page, 'approver');
  await row.getByRole('button', { name: 'Duyệt', exact: true }).click();
  await row.locator('.status', { hasText: 'đã duyệt' }).waitFor();
  await page.locator('#msg.ok', { hasText: 'Đã duyệt' }).waitFor();

  step('a decision that lost a race says why in Vietnamese and shows the state now');
  {
    const ed2 = await apiAs('editor');
    const race = await ed2.call('POST', '/playlists', { name: 'Vòng đua ' + u, items: [{ media_id: ids.a, duration_ms: 10000 }] });
    await ed2.call('POST', `/playlists/${race.id}/submit`);
    const rrow = page.locator(`#rotations tbody tr[data-id="${race.id}"]`);
    await page.getByLabel('Tìm theo tên').fill('Vòng đua ' + u);
    await rrow.locator('.status', { hasText: 'chờ duyệt' }).waitFor();
    await ed2.call('POST', `/playlists/${race.id}/withdraw`); // behind the approver's back
    await rrow.getByRole('button', { name: 'Duyệt', exact: true }).click();
    await page.locator('#msg.error', { hasText: 'Danh sách đã được tải lại' }).waitFor();
    await rrow.locator('.status', { hasText: 'bản nháp' }).waitFor();
    await ed2.call('DELETE', `/playlists/${race.id}`);
    await ed2.dispose();
    await page.getByLabel('Tìm theo tên').fill('');
  }

  step('an edit of the approved rotation is a new revision; screens keep the approved one, and the preview can show either');
  await logout(page);
  await login(page, 'editor');
  await row.getByRole('button', { name: 'Sửa', exact: true }).click();
  await page.locator('#rot-editor-state', { hasText: 'màn hình vẫn phát bản đã duyệt' }).waitFor();
  await item('v').getByLabel('Thời lượng (giây)').fill('6');
  await page.locator('#rot-total', { hasText: '0:41' }).waitFor();
  await page.getByRole('button', { name: 'Lưu', exact: true }).click();
  await page.locator('#msg.ok', { hasText: 'Đã lưu thành bản mới chờ duyệt' }).waitFor();
  await page.getByRole('button', { name: 'Đóng', exact: true }).click();
  await row.locator('.status', { hasText: 'chờ duyệt' }).waitFor();
  if ((await page.locator('#msg').textContent()).trim()) throw new Error('the list shows the editor\'s message: ' + await page.locator('#msg').textContent());
  await row.locator('.note', { hasText: 'Màn hình đang phát bản đã duyệt số 1' }).waitFor();
  await row.getByRole('button', { name: 'Xem trước', exact: true }).click();
  await page.locator('#rot-preview-title', { hasText: '0:41' }).waitFor();
  await page.getByLabel('Bản xem trước').selectOption({ label: 'bản số 1 (đang phát trên màn hình)' });
  await page.locator('#rot-preview-title', { hasText: '0:38' }).waitFor();
  await page.locator('#rot-preview').getByRole('button', { name: 'Đóng', exact: true }).click();

  step('a technician only reads and previews');
  await logout(page);
  await login(page, 'technician');
  await page.getByRole('heading', { name: 'Vòng phát', exact: true }).waitFor();
  await page.locator('#rot-readonly').waitFor();
  await row.getByRole('button', { name: 'Xem trước', exact: true }).waitFor();
  if (await page.getByRole('button', { name: 'Tạo vòng phát mới' }).isVisible()) throw new Error('a technician may create rotations');
  if (await row.getByRole('button', { name: 'Sửa', exact: true }).count()) throw new Error('a technician may edit rotations');

  step('in English');
  await page.getByRole('link', { name: 'English' }).click();
  await page.getByRole('heading', { name: 'Rotations', exact: true }).waitFor();
  await page.getByRole('columnheader', { name: 'Cycle time' }).waitFor();
  await row.locator('.status', { hasText: 'pending' }).waitFor();
  await row.locator('.note', { hasText: 'Screens play approved revision 1' }).waitFor();
  await row.getByRole('button', { name: 'Preview', exact: true }).click();
  await page.locator('#rot-now', { hasText: 'Playing item 1/3: ' + titles.a }).waitFor();
  await page.locator('#rot-preview-title', { hasText: '0:41' }).waitFor(); // the newest revision
  await page.locator('#rot-canvas[data-drawn]').waitFor();
  await shot(page, 'rotations-preview-en');

  step('a link to /rotations#ID opens its preview');
  const id = await row.getAttribute('data-id');
  await page.goto(base + '/rotations?lang=vi#' + id);
  await page.locator('#rot-now', { hasText: 'Đang phát mục 1/3: ' + titles.a }).waitFor();
});
