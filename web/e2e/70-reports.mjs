// Reports as the lead office's viewer reads them: a campaign over a period,
// tables with h:mm:ss, the charts, the CSV (Vietnamese headings, a BOM, the
// same numbers as the page), the A4 print view; and a viewer of another
// unit told that the report holds only their unit's plays. Plays of no
// campaign are named in words.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { base, out, step, login, logout, apiAs, shot, run, uniq } from './lib.mjs';

const hms = /^\d+:\d\d:\d\d$/;

await run(async (page) => {
  const viewer = await apiAs('viewer');
  const camps = await viewer.call('GET', '/campaigns');
  const campaign = camps.items.find((c) => c.name.includes('57-NQ/TW'));

  step('the three demo screens have reported plays of the campaign');
  // Agents upload proof of play every 5 s: poll the API, bounded.
  const report = (by) => viewer.call('GET', `/reports/plays?group_by=${by}&campaign_id=${campaign.id}`);
  for (let i = 0; ; i++) {
    if ((await report('display')).items.length === 3) break;
    if (i === 120) throw new Error('no plays of the demo campaign after 60 s');
    await new Promise((r) => setTimeout(r, 500));
  }

  step('the lead office viewer opens the campaign report for the last 7 days');
  await page.goto(base + '/reports?lang=vi');
  await login(page, 'viewer');
  await page.getByRole('heading', { name: 'Báo cáo', exact: true }).waitFor();
  await page.locator('#scope', { hasText: 'Báo cáo gồm nhật ký phát của mọi đơn vị.' }).waitFor();
  await page.getByLabel('Chiến dịch tuyên truyền').selectOption(String(campaign.id));
  await page.getByRole('button', { name: '7 ngày qua' }).click();
  // The page showed a report before the filter was chosen: wait for the
  // campaign's own (the print heading names it), then read its tables.
  await page.locator('#print-head .campaign', { hasText: campaign.name.slice(0, 30) }).waitFor({ state: 'attached' });
  const byCampaign = page.locator('section.report[data-by="campaign"]');
  await byCampaign.locator('tbody tr', { hasText: campaign.name.slice(0, 30) }).waitFor();
  for (const h of ['Theo chiến dịch tuyên truyền', 'Theo chủ đề', 'Theo đơn vị', 'Theo màn hình', 'Theo nội dung', 'Theo ngày']) {
    await page.getByRole('heading', { name: h, exact: true }).waitFor();
  }
  const airtime = (await byCampaign.locator('tbody tr td').nth(2).textContent()).trim();
  if (!hms.test(airtime)) throw new Error('airtime is not h:mm:ss: ' + airtime);
  if ((await page.locator('section.report[data-by="display"] tbody tr').count()) !== 3) throw new Error('want the three demo screens in the report by screen');
  await page.locator('#charts svg.chart rect.bar').first().waitFor();
  if ((await page.locator('#charts figure').count()) !== 2) throw new Error('want two charts');
  await page.locator('#totals .stat strong').first().waitFor();
  if (!new URL(page.url()).searchParams.get('campaign_id')) throw new Error('the filters are not in the URL: ' + page.url());
  await shot(page, 'reports-campaign');

  step('the CSV has Vietnamese headings, a BOM and the page\'s numbers');
  const before = (await report('display')).items;
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('section.report[data-by="display"] a.csv').click(),
  ]);
  const csvPath = join(out, 'bao-cao-man-hinh.csv');
  await download.saveAs(csvPath);
  const after = (await report('display')).items;
  const csv = readFileSync(csvPath, 'utf8');
  if (!csv.startsWith('\ufeffMàn hình,Mã,Lượt phát,Thời lượng (giờ:phút:giây),Thời lượng (giây),Lần đầu,Lần cuối\n')) throw new Error('CSV heading:\n' + csv.slice(0, 200));
  const lines = csv.trim().split('\n').slice(1);
  if (lines.length !== 3) throw new Error('want 3 screens in the CSV:\n' + csv);
  for (const line of lines) {
    const [name, key, plays, hmsCell, secs, first] = line.split(',');
    const b = before.find((x) => x.key === key), a = after.find((x) => x.key === key);
    if (!b || !a || b.label !== name) throw new Error('CSV row for an unknown screen: ' + line);
    if (Number(plays) < b.plays || Number(plays) > a.plays) throw new Error(`CSV plays ${plays} for ${name}, API said ${b.plays}…${a.plays}`);
    if (Number(secs) < Math.round(b.seconds) - 1 || Number(secs) > Math.round(a.seconds) + 1) throw new Error(`CSV seconds ${secs} for ${name}, API said ${b.seconds}…${a.seconds}`);
    if (!/^\d+:\d\d:\d\d$/.test(hmsCell) || !/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(first)) throw new Error('CSV cells: ' + line);
  }

  step('plays of no campaign, theme or unit are named in words');
  // The demo plays only campaign content, so the answers are given such
  // a row here (the API's side is report_test.go's).
  const none = { '(không thuộc chiến dịch nào)': 'campaign', '(không thuộc chủ đề nào)': 'theme', '(không thuộc đơn vị nào)': 'unit' };
  await page.route(/\/api\/v1\/reports\/plays\?group_by=(campaign|theme|unit)&/, async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    const at = new Date().toISOString();
    body.items.push({ key: '', label: '', plays: 1, seconds: 10, first: at, last: at });
    await route.fulfill({ response: res, json: body });
  });
  await page.getByRole('button', { name: 'Xem báo cáo' }).click();
  for (const [words, by] of Object.entries(none)) {
    await page.locator(`section.report[data-by="${by}"] tbody tr`).filter({ hasText: words }).waitFor();
  }
  if (await page.locator('section.report tbody td', { hasText: /^—$/ }).count()) throw new Error('a row is named —');
  await page.unroute(/\/api\/v1\/reports\/plays/);

  step('the print view is an A4 report of the campaign');
  await page.emulateMedia({ media: 'print' });
  const head = page.locator('#print-head');
  await head.getByText('BÁO CÁO KẾT QUẢ PHÁT NỘI DUNG TUYÊN TRUYỀN TRÊN MÀN HÌNH LED').waitFor();
  await head.locator('.campaign', { hasText: campaign.name.slice(0, 30) }).waitFor();
  await head.locator('.period', { hasText: 'Thời gian:' }).waitFor();
  if (await page.locator('#report-filter').isVisible()) throw new Error('the filter form shows in print');
  if (await page.locator('section.report[data-by="media"]').isVisible()) throw new Error('the by-content table shows in print');
  await page.locator('section.report[data-by="theme"] table').waitFor();
  await page.locator('section.report[data-by="display"] table').waitFor();
  await shot(page, 'reports-print');
  await page.pdf({ path: join(out, 'bao-cao.pdf'), format: 'A4', printBackground: true });
  await page.emulateMedia({ media: 'screen' });

  step('English CSV link');
  await page.getByRole('link', { name: 'English' }).click();
  await page.getByRole('heading', { name: 'By screen', exact: true }).waitFor();
  const en = await page.locator('section.report[data-by="display"] a.csv').getAttribute('href');
  if (!en.includes('lang=en') || !en.includes('campaign_id=' + campaign.id)) throw new Error('English CSV link ' + en);
  await page.getByRole('link', { name: 'Tiếng Việt' }).click();
  await page.getByRole('heading', { name: 'Theo màn hình', exact: true }).waitFor();
  await logout(page);

  step('a viewer of a neighbourhood block is told the report holds only their unit');
  const admin = await apiAs('admin');
  const units = await admin.call('GET', '/units');
  const block = units.items.find((u) => !u.lead && u.name.startsWith('Khối phố'));
  const name = 'xem-' + uniq();
  await admin.call('POST', '/users', { name, password: 'mat-khau-rat-dai-1', role: 'viewer', unit_id: block.id });
  await admin.dispose();
  await page.setViewportSize({ width: 768, height: 1024 });
  await login(page, name, 'mat-khau-rat-dai-1');
  await page.locator('#scope', { hasText: 'Báo cáo chỉ gồm nội dung của đơn vị bạn: ' + block.name }).waitFor();
  await shot(page, 'reports-tablet-unit');
  await viewer.dispose();
});
