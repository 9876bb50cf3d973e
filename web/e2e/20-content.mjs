// The content staff's and approvers' tasks on the Nội dung page, through
// the UI only: an editor uploads an image and a video at once (bytes sent,
// then processing, without reloading), picks the campaign and theme,
// writes a text notice with a live preview at 64×32 and 128×64, and
// submits; the approver rejects one with a reason (the editor reads it
// beside the item), approves another and sends it as an urgent notice to
// one group after a confirmation, sees the banner and stops it. A hostile
// title stays text. Then the same pages on a tablet.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { base, step, login, logout, shot, run, uniq, apiAs } from './lib.mjs';

const id = uniq();

// A PNG made here: 96×48, a gradient with a white frame.
function makePNG(w, h) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = y * (w * 3 + 1) + 1 + x * 3;
      const edge = x === 0 || y === 0 || x === w - 1 || y === h - 1;
      raw[o] = edge ? 255 : (x * 255) / w;
      raw[o + 1] = edge ? 255 : (y * 255) / h;
      raw[o + 2] = edge ? 255 : 128;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// A 2-second MP4 made by ffmpeg, with noise so it has some size to send.
const tmp = mkdtempSync(join(tmpdir(), 'pano-content-'));
const mp4 = join(tmp, 'phim-chuyen-doi-so.mp4');
execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x160:rate=25', '-f', 'lavfi', '-i', 'nullsrc=size=320x160:rate=25',
  '-filter_complex', '[0][1]blend=all_mode=addition,noise=alls=60:allf=t', '-t', '2', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-crf', '10', mp4]);
const video = readFileSync(mp4);
const png = makePNG(96, 48);
const imageName = 'ap-phich-' + id + '.png';
const videoName = 'phim-' + id + '.mp4';
const imageTitle = imageName.replace(/\.png$/, '');
const videoTitle = videoName.replace(/\.mp4$/, '');
const hostile = '<img src=x onerror="window.pwned=1">Thông báo ' + id;
const noticeBody = 'Dịch vụ công trực tuyến';

try {
  await run(async (page, ctx) => {
    page.setDefaultTimeout(30000);
    step('editor logs in on the content page');
    await page.goto(base + '/content?lang=vi');
    await login(page, 'editor');
    await page.getByRole('heading', { name: 'Nội dung', exact: true }).waitFor();
    const up = page.locator('#upload');
    await up.waitFor();

    step('campaign and theme for the upload');
    const csel = up.getByLabel('Chiến dịch tuyên truyền');
    const campaign = await csel.locator('option').nth(1).textContent();
    await csel.selectOption({ label: campaign });
    const tsel = up.getByLabel('Chủ đề');
    if (await tsel.isDisabled()) throw new Error('the theme select does not follow the campaign');
    const theme = await tsel.locator('option').nth(2).textContent();
    await tsel.selectOption({ label: theme });

    step('an image and a video at once, sent slowly: byte progress, then processing');
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: Math.max(64 * 1024, video.length / 3) });
    const seen = [];
    await page.exposeFunction('panoSeen', (s) => seen.push(s));
    await page.evaluate(() => {
      new MutationObserver(() => {
        for (const li of document.querySelectorAll('#up-list li')) window.panoSeen(li.dataset.file + ':' + li.dataset.phase + ':' + li.querySelector('progress').value);
      }).observe(document.getElementById('up-list'), { subtree: true, childList: true, attributes: true, characterData: true });
    });
    await page.locator('#up-files').setInputFiles([
      { name: imageName, mimeType: 'image/png', buffer: png },
      { name: videoName, mimeType: 'video/mp4', buffer: video },
    ]);
    const vrow = page.locator('#up-list li', { hasText: videoName });
    const irow = page.locator('#up-list li', { hasText: imageName });
    await vrow.locator('.ct-up-state', { hasText: 'Đang gửi' }).waitFor();
    await irow.locator('.ct-up-state', { hasText: 'Đã tải lên và xử lý xong' }).waitFor();
    await vrow.locator('.ct-up-state', { hasText: 'Đã tải lên và xử lý xong' }).waitFor({ timeout: 120000 });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    const partial = seen.filter((s) => s.startsWith(videoName + ':sending:')).map((s) => Number(s.split(':')[2])).filter((v) => v > 0 && v < 100);
    if (partial.length === 0) throw new Error('no partial byte progress seen for the video: ' + seen.join(' '));
    if (!seen.some((s) => s.startsWith(videoName + ':processing:'))) throw new Error('no processing phase seen for the video: ' + seen.join(' '));
    const vcard = page.locator('#media article.ct-item', { hasText: videoTitle });
    const icard = page.locator('#media article.ct-item', { hasText: imageTitle });
    await vcard.locator('.ct-meta', { hasText: campaign.trim() + ' — ' + theme.trim() }).waitFor();
    await icard.locator('.ct-meta', { hasText: campaign.trim() }).waitFor();
    await icard.scrollIntoViewIfNeeded();
    await icard.locator('canvas.ct-panel[data-geom="64x32"][data-ready="1"]').waitFor();
    await vcard.scrollIntoViewIfNeeded();
    await vcard.locator('canvas.ct-panel[data-geom="128x64"][data-ready="1"]').waitFor();

    step('a text notice with a hostile title: live preview at 64×32 and 128×64, a warning');
    const form = page.locator('#notice-form');
    await form.scrollIntoViewIfNeeded();
    await form.getByLabel('Tiêu đề', { exact: true }).fill(hostile);
    await form.getByLabel('Nội dung thông báo').fill(noticeBody);
    const prev = page.locator('#notice-preview');
    await prev.locator('figure[data-geom="64x32"] canvas[data-ready="1"]').waitFor();
    await prev.locator('figure[data-geom="128x64"] canvas[data-ready="1"]').waitFor();
    // The long title does not fit still: it would scroll.
    await prev.locator('figure[data-geom="64x32"][data-ticker="1"] .ct-warn', { hasText: 'sẽ chạy chữ' }).waitFor();
    step('without the title on screens: two pages on 64×32 (never smaller letters), one screen on 128×64');
    await form.getByLabel('Không hiện tiêu đề trên màn hình').check();
    await prev.locator('figure[data-geom="64x32"][data-paged="2"] .ct-warn', { hasText: 'chia 2 trang' }).waitFor();
    await prev.locator('figure[data-geom="64x32"] canvas[data-kind="video"]').waitFor();
    await prev.locator('figure[data-geom="128x64"][data-paged="0"][data-small="0"]').waitFor();
    // Lit pixels: the preview is drawn, not a black box.
    const lit = await prev.locator('figure[data-geom="128x64"] canvas').evaluate((c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 200) n++;
      return n;
    });
    if (lit < 50) throw new Error('the 128×64 preview shows ' + lit + ' lit pixels');
    step('longer text becomes a ticker on the small panel');
    await form.getByLabel('Nội dung thông báo').fill(noticeBody + '. ' + 'Người dân nộp hồ sơ, thanh toán trực tuyến tại nhà, không cần đến phường. '.repeat(3));
    await prev.locator('figure[data-geom="64x32"][data-ticker="1"] .ct-warn', { hasText: 'sẽ chạy chữ' }).waitFor();
    await prev.locator('figure[data-geom="64x32"] canvas[data-kind="ticker"]').waitFor();
    await form.getByLabel('Nội dung thông báo').fill(noticeBody);
    await prev.locator('figure[data-geom="64x32"][data-ticker="0"]').waitFor();
    await shot(page, 'content-editor');
    await form.getByRole('button', { name: 'Tạo và gửi duyệt' }).click();
    await page.locator('#msg.ok', { hasText: 'Đã tạo và gửi duyệt thông báo chữ' }).waitFor();
    const ncard = page.locator('#media article.ct-item', { hasText: 'Thông báo ' + id });
    await ncard.locator('.status', { hasText: 'chờ duyệt' }).waitFor();

    step('withdraw and submit again; submit the image and the video');
    await ncard.getByRole('button', { name: 'Rút lại' }).click();
    await ncard.locator('.status', { hasText: 'bản nháp' }).waitFor();
    await ncard.getByRole('button', { name: 'Gửi duyệt' }).click();
    await ncard.locator('.status', { hasText: 'chờ duyệt' }).waitFor();
    for (const c of [icard, vcard]) {
      await c.getByRole('button', { name: 'Gửi duyệt' }).click();
      await c.locator('.status', { hasText: 'chờ duyệt' }).waitFor();
    }
    if (await page.evaluate(() => window.pwned)) throw new Error('the hostile title ran');
    if ((await ncard.locator('h4').textContent()) !== hostile) throw new Error('the hostile title is not shown as text');
    await logout(page);

    step('approver: the queue comes first, enlarged previews, the video plays');
    await login(page, 'approver');
    const queue = page.locator('#queue');
    await queue.waitFor();
    const above = await page.evaluate(() => ['#upload', '#notice-form'].every((sel) =>
      document.getElementById('queue').getBoundingClientRect().bottom <= document.querySelector(sel).getBoundingClientRect().top));
    if (!above) throw new Error("the approver's queue is not above the upload form and the composer");
    const qv = queue.locator('article.ct-item', { hasText: videoTitle });
    await qv.waitFor();
    await qv.scrollIntoViewIfNeeded();
    await qv.locator('canvas.ct-panel[data-geom="192x96"][data-ready="1"]').waitFor();
    // One scale per card: a bigger panel is drawn bigger, in proportion.
    const widths = await qv.locator('canvas.ct-panel').evaluateAll((cs) => cs.map((c) => [Number(c.dataset.geom.split('x')[0]), c.getBoundingClientRect().width]));
    for (const [pw, cw] of widths) {
      const [pw0, cw0] = widths[0];
      if (Math.abs(cw / pw - cw0 / pw0) > 0.05) throw new Error('the previews of one card are not at one scale: ' + JSON.stringify(widths));
    }
    await qv.getByRole('button', { name: 'Xem chi tiết' }).click();
    const dlg = page.locator('dialog.ct-details');
    await dlg.locator('canvas[data-geom="128x64"][data-kind="video"]').waitFor();
    if (Number(await dlg.locator('canvas[data-geom="128x64"]').getAttribute('data-frames')) !== 50) throw new Error('the video does not play its 50 frames');
    await dlg.getByText('Đang phát bản hiển thị').first().waitFor();
    await shot(page, 'content-video-details');
    await dlg.getByRole('button', { name: 'Đóng' }).click();
    await dlg.waitFor({ state: 'detached' });

    step('approver rejects the image with a reason in a dialog');
    const qi = queue.locator('article.ct-item', { hasText: imageTitle });
    await qi.getByRole('button', { name: 'Từ chối' }).click();
    const rd = page.getByRole('dialog');
    await rd.getByLabel('Lý do từ chối:').fill('Ảnh thiếu nguồn, ' + id);
    await shot(page, 'content-reject-dialog');
    await rd.getByRole('button', { name: 'Từ chối' }).click();
    await page.locator('#msg.ok', { hasText: 'Đã từ chối: ' + imageTitle }).waitFor();
    await qi.waitFor({ state: 'detached' });

    step('approver approves the notice and the video');
    for (const title of ['Thông báo ' + id, videoTitle]) {
      const q = queue.locator('article.ct-item', { hasText: title });
      await q.getByRole('button', { name: 'Duyệt' }).click();
      await q.waitFor({ state: 'detached' });
    }
    const approved = page.locator('#media article.ct-item', { hasText: 'Thông báo ' + id });
    await approved.locator('.status', { hasText: 'đã duyệt' }).waitFor();

    step('urgent notice to one group, after a confirmation step');
    await approved.getByRole('button', { name: 'Phát khẩn' }).click();
    const ud = page.getByRole('dialog');
    await ud.getByLabel('các nhóm màn hình đã chọn').check();
    await ud.getByLabel(/Trường học/).check();
    await ud.getByLabel('Thời gian phát (phút, 1–1440)').fill('5');
    await ud.locator('canvas[data-geom="64x32"][data-ready="1"]').waitFor();
    await shot(page, 'content-urgent-dialog');
    await ud.getByRole('button', { name: 'Tiếp tục' }).click();
    const cd = page.getByRole('dialog');
    await cd.getByRole('heading', { name: 'Xác nhận phát khẩn' }).waitFor();
    await cd.locator('.ct-confirm', { hasText: '1 màn hình' }).waitFor();
    await cd.getByText('truong-hoc').waitFor();
    await cd.getByRole('button', { name: 'Phát khẩn ngay' }).click();
    await page.locator('#msg.ok', { hasText: 'Đã phát thông báo khẩn' }).waitFor();
    const banner = page.locator('#urgent-banner');
    await banner.filter({ hasText: 'Thông báo ' + id }).waitFor();
    const live = page.locator('#urgent li', { hasText: 'Thông báo ' + id });
    await live.getByText(/Trường học/).waitFor();
    if (await page.evaluate(() => window.pwned)) throw new Error('the hostile title ran');
    await shot(page, 'content-urgent-live');

    step('stop it, with a confirmation');
    await live.getByRole('button', { name: 'Dừng' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Dừng' }).click();
    await page.locator('#msg.ok', { hasText: 'Đã dừng thông báo khẩn' }).waitFor();
    await live.waitFor({ state: 'detached' });
    await banner.filter({ hasText: 'Thông báo ' + id }).waitFor({ state: 'detached' }).catch(() => {});
    if (await banner.filter({ hasText: 'Thông báo ' + id }).count()) throw new Error('the banner stays after stopping');
    await logout(page);

    step('the editor reads the reason beside the rejected image');
    await login(page, 'editor');
    const rej = page.locator('#media article.ct-item', { hasText: imageTitle });
    await rej.locator('.status', { hasText: 'bị từ chối' }).waitFor();
    await rej.locator('.ct-reason', { hasText: 'Ảnh thiếu nguồn, ' + id }).waitFor();
    if (!(await rej.locator('.ct-reason').isVisible())) throw new Error('the reason is not visible');

    step('the editor edits the rejected image\'s title: a draft again, the reason gone');
    await rej.getByRole('button', { name: 'Sửa' }).click();
    const ed = page.getByRole('dialog');
    await ed.getByLabel('Tiêu đề', { exact: true }).fill(imageTitle + ' sửa');
    await ed.getByRole('button', { name: 'Lưu' }).click();
    const edited = page.locator('#media article.ct-item', { hasText: imageTitle + ' sửa' });
    await edited.locator('.status', { hasText: 'bản nháp' }).waitFor();
    await edited.locator('.ct-reason').waitFor({ state: 'detached' });

    step('the editor replaces its file: progress in the card, then the new pixels');
    const chooser = page.waitForEvent('filechooser');
    await edited.getByRole('button', { name: 'Thay tệp' }).click();
    await (await chooser).setFiles({ name: 'ap-phich-moi.png', mimeType: 'image/png', buffer: makePNG(48, 96) });
    await page.waitForFunction(async (title) => {
      const r = await fetch('/api/v1/media?q=' + encodeURIComponent(title)).then((x) => x.json());
      return r.items.length === 1 && r.items[0].current.original_name === 'ap-phich-moi.png';
    }, imageTitle + ' sửa', { polling: 250 });
    await page.locator('#msg.error').waitFor({ state: 'hidden' });
    // A tall picture on a wide panel: black bars left and right, drawn.
    const eid = await edited.getAttribute('data-id');
    await page.waitForFunction((sel) => {
      const c = document.querySelector(sel);
      if (!c) return false;
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const at = (x, y) => { const i = (Math.floor(y) * c.width + x) * 4; return d[i] + d[i + 1] + d[i + 2]; };
      return at(2, c.height / 2) === 0 && at(Math.floor(c.width / 2), c.height / 2) > 0;
    }, `#media article[data-id="${eid}"] canvas.ct-panel[data-geom="64x32"][data-ready="1"]`, { polling: 250 });

    step('the editor deletes it, after a confirmation');
    await edited.getByRole('button', { name: 'Xóa' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Xóa' }).click();
    await page.locator('#msg.ok', { hasText: 'Đã xóa' }).waitFor();
    await edited.waitFor({ state: 'detached' });

    await shot(page, 'content-editor-after');

    step('an unreadable file and an empty one dropped: an error in words in each row');
    // In a second tab of the same session: the browser logs the refusals
    // (415, 422) in the console, which run() counts against the first tab.
    const tab = await ctx.newPage();
    await tab.goto(base + '/content?lang=vi');
    // The drop zone shows once the page knows the user may upload, in the
    // same step that makes it take drops.
    await tab.locator('#drop').waitFor();
    // Dropped on the drop zone, as a file manager would.
    const dt = await tab.evaluateHandle((pdf) => {
      const d = new DataTransfer();
      d.items.add(new File([Uint8Array.from(atob(pdf), (c) => c.charCodeAt(0))], 'bao-cao.pdf', { type: 'application/pdf' }));
      d.items.add(new File([], 'rong.png', { type: 'image/png' }));
      return d;
    }, Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n').toString('base64'));
    await tab.locator('#drop').dispatchEvent('dragover', { dataTransfer: dt });
    await tab.locator('#drop.over').waitFor();
    await tab.locator('#drop').dispatchEvent('drop', { dataTransfer: dt });
    await tab.locator('#up-list li', { hasText: 'bao-cao.pdf' }).locator('.ct-up-state', { hasText: 'Loại tệp không được hỗ trợ' }).waitFor();
    await tab.locator('#up-list li', { hasText: 'rong.png' }).locator('.ct-up-state', { hasText: 'Tệp rỗng' }).waitFor();
    await shot(tab, 'content-upload-errors');
    await tab.close();
  });

  step('tablet: the approver queue and the composer at 768×1024');
  const editor = await apiAs('editor');
  const { id: mid } = await editor.call('POST', '/media', { kind: 'text', title: 'Máy tính bảng ' + id, body: 'Ủy ban phường thông báo lịch tiếp dân.' });
  await editor.call('POST', `/media/${mid}/submit`);
  await editor.dispose();
  await run(async (page) => {
    await page.goto(base + '/content?lang=vi');
    await login(page, 'approver');
    const q = page.locator('#queue article.ct-item', { hasText: 'Máy tính bảng ' + id });
    await q.waitFor();
    await q.scrollIntoViewIfNeeded();
    await q.locator('canvas.ct-panel[data-ready="1"]').first().waitFor();
    const box = await q.boundingBox();
    if (box.x + box.width > 768) throw new Error('the queue card overflows the tablet: ' + JSON.stringify(box));
    // The upload and compose boxes take the tablet's whole width.
    const mainW = await page.locator('#app').evaluate((e) => e.getBoundingClientRect().width);
    for (const sel of ['#upload', '#notice-form']) {
      const w = (await page.locator(sel).boundingBox()).width;
      if (w < mainW * 0.95) throw new Error(`${sel} is ${w} px wide on a ${mainW} px tablet page`);
    }
    await page.locator('#dots').check();
    await shot(page, 'content-tablet');
    await q.getByRole('button', { name: 'Duyệt' }).click();
    await q.waitFor({ state: 'detached' });

    step('in English');
    await page.getByRole('link', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'All content', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Choose files…' }).waitFor();
    await page.locator('#media article.ct-item', { hasText: 'Máy tính bảng ' + id }).locator('.status', { hasText: 'approved' }).waitFor();
    await shot(page, 'content-tablet-en');
    await page.getByRole('link', { name: 'Tiếng Việt' }).click();
    await page.getByRole('heading', { name: 'Tất cả nội dung', exact: true }).waitFor();
  }, { viewport: { width: 768, height: 1024 } });

  step('a screen wider than a preview may be on its own: the composer still previews every panel');
  const tech = await apiAs('technician');
  const wide = await tech.call('POST', '/displays', { name: 'bang-dai-' + id.toLowerCase().replace(/[^a-z0-9]/g, ''), width: 1100, height: 40, profile: 'virtual' });
  try {
    await run(async (page) => {
      await page.goto(base + '/content?lang=vi');
      await login(page, 'editor');
      const form = page.locator('#notice-form');
      await form.getByLabel('Tiêu đề', { exact: true }).fill('Bảng dài ' + id);
      await form.getByLabel('Nội dung thông báo').fill('Lịch tiếp công dân thứ Năm hằng tuần.');
      const prev = page.locator('#notice-preview');
      await prev.locator('figure[data-geom="1100x40"] canvas[data-ready="1"]').waitFor();
      await prev.locator('figure[data-geom="64x32"] canvas[data-ready="1"]').waitFor();
      await prev.locator('figure[data-geom="192x96"] canvas[data-ready="1"]').waitFor();
      if (await prev.locator('p.error').count()) throw new Error('a wide screen broke the preview');
      // Wider panels are drawn wider, and the small ones stay large enough to read.
      const ws = await prev.locator('canvas.ct-panel').evaluateAll((cs) => cs.map((c) => [Number(c.dataset.geom.split('x')[0]), c.getBoundingClientRect().width]).sort((a, b) => a[0] - b[0]));
      for (let i = 1; i < ws.length; i++) if (ws[i][1] < ws[i - 1][1]) throw new Error('a wider panel is drawn smaller: ' + JSON.stringify(ws));
      if (ws[0][1] < 90) throw new Error('the smallest panel is tiny beside the wide one: ' + JSON.stringify(ws));
      await shot(page, 'content-wide-screen');

      step('typing on while a preview is drawn cancels it: one preview at a time');
      let release;
      const held = new Promise((res) => { release = res; });
      await page.route('**/api/v1/media/preview-text', async (route) => { await held; await route.continue().catch(() => {}); });
      const first = page.waitForRequest('**/api/v1/media/preview-text');
      await form.getByLabel('Nội dung thông báo').fill('Lịch tiếp công dân thứ Sáu.');
      const r1 = await first;
      const failed = page.waitForEvent('requestfailed', (r) => r === r1);
      const second = page.waitForRequest((r) => r.url().endsWith('/media/preview-text') && r !== r1);
      await form.getByLabel('Nội dung thông báo').fill('Lịch tiếp công dân thứ Bảy.');
      await second;
      await failed; // the first one was aborted by the page, not left to run
      release();
      await page.unroute('**/api/v1/media/preview-text');
      await prev.locator('figure[data-geom="64x32"] canvas[data-ready="1"]').waitFor();
    });
  } finally {
    await tech.call('DELETE', '/displays/' + wide.id);
    await tech.dispose();
  }

  step('an approval that lost a race says why, and the queue shows the state now');
  const ed3 = await apiAs('editor');
  const { id: rid } = await ed3.call('POST', '/media', { kind: 'text', title: 'Cuộc đua ' + id, body: 'Họp tổ dân phố.' });
  await ed3.call('POST', `/media/${rid}/submit`);
  await run(async (page) => {
    await page.goto(base + '/content?lang=vi');
    await login(page, 'approver');
    const q = page.locator('#queue article.ct-item', { hasText: 'Cuộc đua ' + id });
    await q.waitFor();
    await ed3.call('POST', `/media/${rid}/withdraw`); // behind the approver's back
    await q.getByRole('button', { name: 'Duyệt' }).click();
    await page.locator('#msg.error', { hasText: 'Không thể' }).waitFor();
    await q.waitFor({ state: 'detached' }); // the queue was reloaded: it is a draft now
  });
  await ed3.call('DELETE', `/media/${rid}`);
  await ed3.dispose();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
