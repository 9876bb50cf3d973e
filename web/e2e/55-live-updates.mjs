// The Màn hình page keeps up with changes it was not told of one by one:
// after its event stream reconnects (changes made while it was down were
// never sent) and when the server sends "reload" (too many screens
// changed at once to name them), it reads the shown cards again. The
// stream is played by the test (page.route), so each step is the only way
// the change can reach the page within the wait (20 s, for a busy
// machine), still under the page's 30 s fallback reload, whose clock
// starts before the change is made.
import { base, step, login, apiAs, uniq, run } from './lib.mjs';

const tech = await apiAs('technician');
const name = 'song-' + uniq();
const d = await tech.call('POST', '/displays', { name, width: 64, height: 32, profile: 'virtual' });
const sse = { status: 200, headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-store' } };

try {
  await run(async (page) => {
    // The first stream ends at once, so EventSource reconnects; the second
    // is held until the location changed, then opens: that open must
    // read the card again.
    let streams = 0;
    let changed, reconnecting;
    const change = new Promise((resolve) => { changed = resolve; });
    const reconnect = new Promise((resolve) => { reconnecting = resolve; });
    await page.route('**/api/v1/events', async (route) => {
      streams++;
      if (streams === 1) return route.fulfill({ ...sse, body: 'retry: 200\n\n' });
      reconnecting();
      await change;
      if (streams === 2) return route.fulfill({ ...sse, body: 'retry: 600000\n: pano events\n\n' });
      return route.abort();
    });

    step('reconnect: the page reads what changed while its stream was down');
    await page.goto(base + '/?lang=vi');
    await login(page, 'technician');
    await page.getByLabel('Tìm theo tên hoặc vị trí').fill(name);
    const card = page.locator(`article.card[data-name="${name}"]`);
    await card.waitFor();
    await reconnect; // the page's reconnect is held
    await tech.call('PATCH', '/displays/' + d.id, { location: 'Ngã tư ' + name });
    changed();
    await card.getByText('Vị trí: Ngã tư ' + name).waitFor({ timeout: 20000 });

    step('reload: the page reads the shown cards again');
    await page.unroute('**/api/v1/events');
    let release, holding;
    const later = new Promise((resolve) => { release = resolve; });
    const held = new Promise((resolve) => { holding = resolve; });
    await page.route('**/api/v1/events', async (route) => {
      holding();
      await later;
      return route.fulfill({ ...sse, body: 'retry: 600000\n\nevent: reload\ndata: {"type":"reload"}\n\n' });
    });
    await page.reload(); // a new page: its first open reads nothing again
    await card.getByText('Vị trí: Ngã tư ' + name).waitFor();
    await held;
    await tech.call('PATCH', '/displays/' + d.id, { location: 'Chợ ' + name });
    release();
    await card.getByText('Vị trí: Chợ ' + name).waitFor({ timeout: 20000 });
  });
} finally {
  await tech.call('DELETE', '/displays/' + d.id).catch(() => {});
  await tech.dispose();
}
