// What every browser script shares: Debian's headless Chromium through
// playwright-core, login, an API client per user and the failure rules.
// controller/dashboard_e2e_test.go runs each NN-name.mjs of this folder,
// in name order, against one controller started with --demo and its three
// simulated screens online, with:
//   PANO_URL             the controller, http://127.0.0.1:PORT
//   PANO_OUT             a folder for screenshots
//   PANO_CONTROLLER_BIN, PANO_AGENT_BIN, PANO_DATA  to enrol more agents
// Every wait is playwright's, bounded; the first failure exits 1.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, request } from 'playwright-core';

export const base = process.env.PANO_URL;
export const out = process.env.PANO_OUT;
export const password = 'pano-demo-57';
if (!base || !out) throw new Error('set PANO_URL and PANO_OUT');

export const step = (s) => console.log('step: ' + s);

// A unique suffix for titles, so scripts never trip on each other's data.
export const uniq = () => Date.now().toString(36) + Math.floor(Math.random() * 1e4);

// shot keeps a full-page screenshot under PANO_OUT.
export const shot = (page, name) => page.screenshot({ path: join(out, name + '.png'), fullPage: true });

// login fills the login form of the page it is on.
export async function login(page, name, pw = password) {
  await page.getByLabel('Tên đăng nhập').fill(name);
  await page.getByLabel('Mật khẩu').fill(pw);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
}

// logout logs out through the header button and waits for the form.
export async function logout(page) {
  await page.getByRole('button', { name: 'Đăng xuất' }).click();
  await page.getByRole('heading', { name: 'Đăng nhập', exact: true }).waitFor();
}

// apiAs logs a user in through the API, for setting up what a test needs
// outside the role it tests; call .dispose() when done.
export async function apiAs(name, pw = password) {
  const api = await request.newContext({ baseURL: base });
  const s = await api.post('/api/v1/session', { data: { name, password: pw } });
  if (!s.ok()) throw new Error(name + ' login: ' + s.status());
  const headers = { 'X-CSRF-Token': (await s.json()).csrf_token };
  const call = async (method, path, data) => {
    const r = await api.fetch('/api/v1' + path, { method, headers, data });
    const body = r.status() === 204 ? null : await r.json().catch(() => null);
    if (!r.ok()) throw new Error(`${method} ${path}: ${r.status()} ${JSON.stringify(body)}`);
    return body;
  };
  return { api, headers, call, dispose: () => api.dispose() };
}

// run launches Chromium with a fresh profile, gives fn a page, and fails
// on any script error or CSP violation the page reported. A 4xx answer the
// browser logs is not a failure: the page shows API refusals to the user
// (a missing screenshot, the login probe, a name already taken).
// hasTouch: a touch screen, as a tablet's (locator.tap then works).
export async function run(fn, { viewport = { width: 1366, height: 768 }, hasTouch = false } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'pano-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport,
    hasTouch,
    // As the ward's browsers are: Vietnamese, so date fields read dd/mm/yyyy.
    locale: 'vi-VN',
    acceptDownloads: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const problems = [];
  try {
    const page = ctx.pages()[0] || (await ctx.newPage());
    page.setDefaultTimeout(15000);
    page.on('pageerror', (e) => problems.push('page error: ' + e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d /.test(m.text())) problems.push('console: ' + m.text());
    });
    await fn(page, ctx);
    if (problems.length) throw new Error(problems.join('\n'));
    console.log('ok');
  } finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
