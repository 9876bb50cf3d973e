// What a screen's card says about power and brightness, on a desktop and
// on a tablet: a screen its power windows have off says so plainly (its
// own state, not an error, not offline, no alert) and a screen in a
// brightness window shows the level in use and where it comes from; a plan
// the agent refuses is a problem line that says what to do. Two
// screens of its own, enrolled with real agents, are removed at the end.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base, step, login, apiAs, shot, uniq, run } from './lib.mjs';

const agentBin = process.env.PANO_AGENT_BIN;
if (!agentBin) throw new Error('set PANO_AGENT_BIN');

// hhmm is the wall-clock hour h hours from now in Asia/Ho_Chi_Minh (UTC+7,
// no daylight saving), as "HH:00".
const hour = new Date(Date.now() + 7 * 3600e3).getUTCHours();
const hhmm = (h) => String((hour + h + 24) % 24).padStart(2, '0') + ':00';

const tag = uniq();
const offName = ('tat-dem-' + tag).toLowerCase();
const dimName = ('diu-sang-' + tag).toLowerCase();
const tech = await apiAs('technician');
const made = [];
const agents = [];
try {
  step('setup: two screens of this test, enrolled, with real agents');
  for (const name of [offName, dimName]) {
    const d = await tech.call('POST', '/displays', { name, width: 64, height: 32, profile: 'virtual' });
    made.push(d);
    const { code } = await tech.call('POST', `/displays/${d.id}/enrollment-codes`);
    const state = mkdtempSync(join(tmpdir(), 'pano-agent-'));
    execFileSync(agentBin, ['enroll', '--controller', 'ws://' + new URL(base).host, '--code', code, '--state', state,
      '--profile', 'virtual', '--set', 'width=64', '--set', 'height=32'], { stdio: 'pipe' });
    agents.push({ proc: spawn(agentBin, ['run', '--state', state], { stdio: 'ignore' }), state });
  }
  const [off, dim] = made;
  step('setup: one is on only later today, the other at 40 % now');
  await tech.call('PUT', `/displays/${off.id}/power-brightness`, { power: [{ from: hhmm(3), until: hhmm(4) }], brightness: [], day_night: null });
  await tech.call('PUT', `/displays/${dim.id}/power-brightness`, { power: [], brightness: [{ from: hhmm(-1), until: hhmm(2), percent: 40 }], day_night: null });

  const flow = async (page, view) => {
    await page.goto(base + '/?lang=vi');
    await login(page, 'technician');
    const filters = page.locator('#display-filters');
    await filters.getByLabel('Tìm theo tên hoặc vị trí').fill(tag);
    await page.locator('article.card[data-name="truong-hoc"]').waitFor({ state: 'detached' });
    const offCard = page.locator(`article.card[data-name="${offName}"]`);
    const dimCard = page.locator(`article.card[data-name="${dimName}"]`);

    step(view + ': off by its power windows — its own state, a plain note, no error');
    // Agents started on a busy machine: enrolled, connected, reporting.
    await offCard.locator('.state.on', { hasText: 'Tắt theo giờ bật/tắt' }).waitFor({ timeout: 60000 });
    await offCard.locator('.playing', { hasText: 'Màn hình đang tắt theo giờ bật/tắt đã đặt, không phải lỗi.' }).waitFor();
    await offCard.locator('dd', { hasText: 'không phát (màn đang tắt)' }).waitFor();
    if (await offCard.evaluate((c) => c.classList.contains('alerting'))) throw new Error('a screen off by schedule is alerting');
    if (await offCard.locator('.dsp-refused').isVisible()) throw new Error('a refused plan is shown');

    step(view + ': the brightness in use and where it comes from');
    await dimCard.locator('.state.on', { hasText: 'Trực tuyến' }).waitFor({ timeout: 60000 });
    await dimCard.locator('dd', { hasText: /^40 % · theo khung giờ độ sáng$/ }).waitFor();
    await shot(page, 'power-card-' + view);

    step(view + ': the state filter finds the screen that is off');
    await filters.getByLabel('Trạng thái').selectOption('power_off');
    await offCard.waitFor();
    await dimCard.waitFor({ state: 'detached' });
    await filters.getByLabel('Trạng thái').selectOption('');
    await dimCard.waitFor();

    step(view + ': in English');
    await page.goto(base + '/?lang=en');
    await page.locator('#display-filters').getByLabel('Search by name or location').fill(tag);
    await offCard.locator('.state', { hasText: 'Off by its power schedule' }).waitFor();
    await dimCard.locator('dd', { hasText: /^40 % · from a brightness window$/ }).waitFor();
    await page.goto(base + '/?lang=vi');
  };
  await run((page) => flow(page, 'desktop'));
  await run((page) => flow(page, 'tablet'), { viewport: { width: 768, height: 1024 } });

  step('a plan the agent refuses (its panel is not the size the screen now says) is a problem with what to do');
  await tech.call('PATCH', `/displays/${dim.id}`, { width: 128, height: 64 });
  await run(async (page) => {
    await page.goto(base + '/?lang=vi');
    await login(page, 'technician');
    await page.locator('#display-filters').getByLabel('Tìm theo tên hoặc vị trí').fill(dimName);
    await page.locator('article.card[data-name="truong-hoc"]').waitFor({ state: 'detached' });
    const card = page.locator(`article.card[data-name="${dimName}"]`);
    await card.locator('.dsp-refused', { hasText: /^Thiết bị không nhận kế hoạch phát mới \(phiên bản \d+\) và vẫn phát theo kế hoạch cũ\. Kế hoạch mới dành cho màn hình có kích thước khác với tấm LED của máy này\. Cần làm: kiểm tra kích thước màn hình/ }).waitFor({ timeout: 30000 });
    await card.locator('dd', { hasText: /^40 % · theo khung giờ độ sáng$/ }).waitFor(); // the old plan plays on
    await shot(page, 'power-card-refused');
  });

  step('the screen that is off raised no alert');
  const alerts = await tech.call('GET', '/alerts');
  const mine = alerts.items.filter((a) => a.display_id === off.id && !a.resolved);
  if (mine.length) throw new Error('alerts for the screen off by schedule: ' + JSON.stringify(mine));
} finally {
  for (const a of agents) {
    if (a.proc.exitCode === null) a.proc.kill();
    rmSync(a.state, { recursive: true, force: true });
  }
  for (const d of made) await tech.call('DELETE', '/displays/' + d.id).catch(() => {});
  await tech.dispose();
}
