// The program editor (issue 11): the demo editor builds a program on
// 128×64 from the Nội dung page (an approved notice in a media window, a
// clock with seconds, a ticker), places windows by the number inputs and
// the keyboard, sees the controller's preview of every panel size with the
// clock turning, gives 64×32 its own layout, and submits it; the approver
// sees it drawn per panel size in the queue and approves it; the API then
// holds exactly the layouts built. A tablet opens the same program.
import { base, step, login, logout, shot, run, uniq, apiAs } from './lib.mjs';

const u = uniq();
const noticeTitle = 'Chuyển đổi số ' + u;
const progTitle = 'Màn hình phường ' + u;
const tickerText = 'Nghị quyết 57-NQ/TW: đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia';

step('an approved notice to show in a window');
const ed = await apiAs('editor');
const ap = await apiAs('approver');
const notice = await ed.call('POST', '/media', { kind: 'text', title: noticeTitle, body: 'Chuyển đổi số vì người dân' });
await ed.call('POST', `/media/${notice.id}/submit`);
await ap.call('POST', `/media/${notice.id}/approve`);

const expect = (what, got, want) => {
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
};
const rect = (w) => ({ x: w.x, y: w.y, w: w.w, h: w.h });

// clockPixels reads the lamps of a rectangle of a preview canvas (in LED
// pixels), as a string to compare.
const clockPixels = (page, geom, r) => page.evaluate(([geom, r]) => {
  const cv = document.querySelector(`#pg-previews figure[data-geom="${geom}"] canvas`);
  const k = Number(cv.dataset.scale);
  const d = cv.getContext('2d').getImageData(r.x * k, r.y * k, r.w * k, r.h * k).data;
  let lit = '';
  for (let i = 0; i < d.length; i += 4 * k) lit += d[i] + d[i + 1] + d[i + 2] > 200 ? '1' : '0';
  return lit;
}, [geom, r]);

let id = 0;
try {
  await run(async (page) => {
    step('the editor opens the program editor from the Nội dung page');
    await page.goto(base + '/content?lang=vi');
    await login(page, 'editor');
    await page.getByRole('link', { name: 'Tạo chương trình…' }).click();
    await page.waitForURL(/\/programs/);
    await page.getByRole('heading', { name: 'Chương trình', exact: true }).waitFor();
    await page.getByLabel('Tên chương trình').fill(progTitle);
    await page.getByLabel('Cỡ màn hình của bố cục mẫu').selectOption('128x64');

    const add = page.locator('.pg-add');
    const num = async (label, v) => {
      const inp = page.getByLabel(label, { exact: true });
      await inp.fill(String(v));
      await inp.press('Tab');
    };

    step('a media window with the approved notice');
    await add.getByRole('button', { name: 'Nội dung' }).click();
    await page.locator('.pg-w[data-kind="media"]').waitFor();
    await page.getByLabel('Nội dung hiện trong ô').selectOption({ label: noticeTitle + ' (thông báo chữ)' });
    await num('Rộng', 80);

    step('a clock with seconds, placed by keyboard and numbers');
    await add.getByRole('button', { name: 'Đồng hồ' }).click();
    await page.getByLabel('Kiểu giờ').selectOption('15:04:05');
    const clock = page.locator('.pg-w[data-kind="clock"]');
    await clock.focus();
    for (let i = 0; i < 5; i++) await clock.press('ArrowLeft');
    await num('Rộng', 48);
    await clock.focus();
    await clock.press('Shift+ArrowDown');
    await clock.press('Shift+ArrowDown');
    await clock.press('ArrowDown');
    // Never outside the panel: more steps right than there is room for.
    for (let i = 0; i < 3; i++) await clock.press('ArrowRight');
    const clockRect = await clock.getAttribute('data-rect');
    if (clockRect !== '80,1,48,18') throw new Error('the clock is at ' + clockRect + ', want 80,1,48,18');
    if ((await page.getByLabel('Cách trái (x)').inputValue()) !== '80') throw new Error('the x input does not follow the keyboard');

    step('a ticker along the bottom');
    await add.getByRole('button', { name: 'Chữ chạy' }).click();
    // Until it has its text it is not saved, and the page says which window lacks what.
    await page.locator('#pg-save.error', { hasText: 'ô 3 (chữ chạy): hãy gõ dòng chữ' }).waitFor();
    await page.getByLabel('Dòng chữ chạy').fill(tickerText);
    await page.locator('#pg-save.ok').waitFor();
    // Fed by the notice list, its own line shows only when there is none.
    await page.getByLabel('Chạy các thông báo chữ đã duyệt', { exact: false }).check();
    await page.locator('#pg-save.ok').waitFor();

    step('a window dragged and resized by mouse, snapped to whole lamps and kept inside the panel');
    await add.getByRole('button', { name: 'Ngày' }).click();
    const date = page.locator('.pg-w[data-kind="date"]');
    const rectOf = () => date.getAttribute('data-rect');
    if ((await rectOf()) !== '0,0,85,16') throw new Error('a new date window is at ' + (await rectOf()));
    const st = await page.locator('#pg-stage').boundingBox();
    const k = st.width / 128;
    const dragBy = async (x, y, dx, dy) => {
      await page.mouse.move(x, y);
      await page.mouse.down();
      await page.mouse.move(x + dx / 2, y + dy / 2, { steps: 3 });
      await page.mouse.move(x + dx, y + dy, { steps: 3 });
      await page.mouse.up();
    };
    await dragBy(st.x + 40 * k, st.y + 8 * k, 10.3 * k, 19.8 * k);
    if ((await rectOf()) !== '10,20,85,16') throw new Error('dragged to ' + (await rectOf()) + ', want 10,20,85,16');
    await dragBy(st.x + 95 * k - 4, st.y + 36 * k - 4, -20 * k, 4 * k);
    if ((await rectOf()) !== '10,20,65,20') throw new Error('resized to ' + (await rectOf()) + ', want 10,20,65,20');
    await dragBy(st.x + 30 * k, st.y + 30 * k, 400 * k, 0);
    if ((await rectOf()) !== '63,20,65,20') throw new Error('dragged past the edge to ' + (await rectOf()) + ', want 63,20,65,20');
    await page.getByRole('button', { name: 'Xóa ô' }).click();
    await date.waitFor({ state: 'detached' });
    await page.locator('#pg-save.ok').waitFor();
    id = Number(new URL(page.url()).searchParams.get('id'));
    if (!id) throw new Error('the draft was not saved: ' + page.url());

    step('the controller\'s preview of every panel size, the clock turning');
    for (const g of ['64x32', '128x64', '192x96']) await page.locator(`#pg-previews figure[data-geom="${g}"] canvas[data-ready="1"]`).waitFor({ timeout: 30000 });
    const before = await clockPixels(page, '128x64', { x: 80, y: 1, w: 48, h: 18 });
    if (!before.includes('1')) throw new Error('the clock window is dark');
    await page.waitForFunction(([b]) => {
      const cv = document.querySelector('#pg-previews figure[data-geom="128x64"] canvas');
      const k = Number(cv.dataset.scale);
      const d = cv.getContext('2d').getImageData(80 * k, 1 * k, 48 * k, 18 * k).data;
      let lit = '';
      for (let i = 0; i < d.length; i += 4 * k) lit += d[i] + d[i + 1] + d[i + 2] > 200 ? '1' : '0';
      return lit !== b;
    }, [before], { timeout: 2500, polling: 100 });
    await shot(page, '35-program-editor');

    step('64×32 gets its own layout, without the clock');
    await page.getByRole('button', { name: '+ Tạo bố cục riêng cho 64×32' }).click();
    await page.getByRole('button', { name: 'Bố cục riêng cho 64×32' }).waitFor();
    const small = page.locator('.pg-w[data-kind="clock"]');
    await small.focus();
    await small.press('Delete');
    await page.locator('.pg-w[data-kind="clock"]').waitFor({ state: 'detached' });
    await page.locator('#pg-previews figure[data-geom="64x32"]', { hasText: 'bố cục riêng' }).waitFor();
    await page.locator('#pg-save.ok').waitFor();

    step('submitted for approval');
    await page.getByRole('button', { name: 'Gửi duyệt', exact: true }).click();
    await page.locator('#msg.ok', { hasText: 'Đã gửi duyệt chương trình' }).waitFor();
    await page.locator('#pg-status.pending').waitFor();
    await shot(page, '35-program-submitted');
    await logout(page);

    step('the approver sees it drawn for every panel size and approves it');
    await page.goto(base + '/content?lang=vi');
    await login(page, 'approver');
    const card = page.locator(`#queue article[data-id="${id}"]`);
    for (const g of ['64x32', '128x64', '192x96']) await card.locator(`canvas[data-geom="${g}"][data-ready="1"]`).waitFor({ timeout: 30000 });
    await card.getByText('chương trình').first().waitFor();
    await shot(page, '35-program-queue');
    await card.getByRole('button', { name: 'Xem chi tiết' }).click();
    const details = page.locator('dialog.ct-details');
    for (const g of ['64x32', '128x64', '192x96']) await details.locator(`figure[data-geom="${g}"] canvas[data-ready="1"]`).waitFor({ timeout: 30000 });
    await details.locator('figure[data-geom="128x64"]', { hasText: 'Đang phát như trên màn hình' }).waitFor();
    await details.getByRole('button', { name: 'Đóng' }).click();
    await card.getByRole('button', { name: 'Duyệt', exact: true }).click();
    await page.locator('#msg.ok', { hasText: 'Đã duyệt' }).waitFor();

    step('it can go into a rotation, drawn in the media picker');
    await page.goto(base + '/rotations?lang=vi');
    await page.getByRole('button', { name: 'Tạo vòng phát mới' }).click();
    await page.getByRole('button', { name: 'Thêm nội dung' }).click();
    const pick = page.locator('dialog');
    await pick.getByLabel('Tìm nội dung').fill(progTitle);
    const entry = pick.locator(`label.rot-pick[data-media-id="${id}"]`);
    await entry.getByText('chương trình', { exact: true }).waitFor();
    await entry.locator('img.thumb').waitFor();
    await page.waitForFunction((id) => {
      const img = document.querySelector(`label.rot-pick[data-media-id="${id}"] img.thumb`);
      return img && img.complete && img.naturalWidth === 128;
    }, id);
    await pick.getByRole('button', { name: 'Hủy' }).click();
  });

  step('the API holds the layouts as built');
  const m = await ap.call('GET', `/media/${id}`);
  if (m.status !== 'approved' || m.kind !== 'program') throw new Error(`program ${id} is ${m.kind} ${m.status}`);
  const [tpl, own] = m.current.program.layouts;
  expect('layouts', m.current.program.layouts.map((l) => l.width + 'x' + l.height), ['128x64', '64x32']);
  expect('template windows', tpl.windows.map((w) => w.kind), ['media', 'clock', 'ticker']);
  expect('media window', { ...rect(tpl.windows[0]), media_id: tpl.windows[0].media_id }, { x: 0, y: 0, w: 80, h: 48, media_id: notice.id });
  expect('clock window', { ...rect(tpl.windows[1]), format: tpl.windows[1].format }, { x: 80, y: 1, w: 48, h: 18, format: '15:04:05' });
  expect('ticker window', { ...rect(tpl.windows[2]), text: tpl.windows[2].text, source: tpl.windows[2].source }, { x: 0, y: 48, w: 128, h: 16, text: tickerText, source: 'notices' });
  expect('64×32 windows', own.windows.map((w) => [w.kind, rect(w)]), [['media', { x: 0, y: 0, w: 40, h: 24 }], ['ticker', { x: 0, y: 24, w: 64, h: 8 }]]);

  step('a tablet opens the program, in English');
  await run(async (page) => {
    await page.goto(base + `/programs?id=${id}&lang=vi`);
    await login(page, 'editor');
    await page.locator('.pg-w[data-kind="clock"]').waitFor();
    await page.goto(base + `/programs?id=${id}&lang=en`);
    await page.getByRole('heading', { name: 'Programs', exact: true }).waitFor();
    await page.locator('.pg-w[data-kind="clock"]').waitFor();
    await page.locator('#pg-previews figure[data-geom="128x64"] canvas[data-ready="1"]').waitFor({ timeout: 30000 });
    const stage = await page.locator('#pg-stage').boundingBox();
    if (stage.x < 0 || stage.x + stage.width > 768) throw new Error('the grid does not fit the tablet: ' + JSON.stringify(stage));
    await page.locator('.pg-w[data-kind="clock"]').tap();
    await page.getByLabel('Time format').waitFor();
    await shot(page, '35-program-tablet');

    step('tablet: a countdown added to the approved program, its instant read in the display time zone');
    await page.locator('#pg-approved-note').waitFor();
    await page.locator('.pg-add').getByRole('button', { name: 'Countdown' }).tap();
    await page.locator('#pg-save.error', { hasText: 'window 4 (countdown)' }).waitFor();
    await page.getByLabel('Counting down to').fill('Tết Đinh Mùi');
    await page.getByLabel('Date and time of the event').fill('2027-02-06T00:00');
    await page.locator('#pg-status.pending').waitFor();
    await page.locator('#pg-save.ok').waitFor();
    await shot(page, '35-program-tablet-countdown');
  }, { viewport: { width: 768, height: 1024 }, hasTouch: true });
  const m2 = await ap.call('GET', `/media/${id}`);
  const cd = m2.current.program.layouts[0].windows[3];
  if (!m2.approved || m2.status !== 'pending' || !cd || cd.kind !== 'countdown' || cd.text !== 'Tết Đinh Mùi' ||
    new Date(cd.until).getTime() !== Date.parse('2027-02-05T17:00:00Z')) {
    throw new Error('after the tablet edit: ' + JSON.stringify({ approved: m2.approved, status: m2.status, cd }));
  }
} finally {
  await ed.dispose();
  await ap.dispose();
}
