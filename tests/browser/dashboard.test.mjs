// The dashboard as a person sees it, in Debian's headless Chromium driven by playwright-core.
// run_dashboard_test.sh fills a controller from the simulated lab (two builds; the second grows tag
// Ntfx and brings a new tag Bpx1) and runs this with:
//   BOOTPRINT_URL, BOOTPRINT_TOKEN, SCREENSHOT_DIR, EXPECT_MACHINES, EXPECT_CAMPAIGNS
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const url = process.env.BOOTPRINT_URL;
const token = process.env.BOOTPRINT_TOKEN;
const shots = process.env.SCREENSHOT_DIR || '.';
const machines = Number(process.env.EXPECT_MACHINES || 3);
const campaigns = Number(process.env.EXPECT_CAMPAIGNS || 6);
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  // As root in a container, and no network: no sandbox, no background fetches.
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});
let failures = 0;
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
const consoleErrors = [];
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
page.on('pageerror', (e) => consoleErrors.push(String(e)));

async function open(hash) {
  await page.goto(url + '/' + hash);
  await page.waitForSelector('#view[data-ready="true"]', { timeout: 20000 });
}

async function check(name, f) {
  try {
    await f();
    console.log('ok   ' + name);
  } catch (e) {
    failures++;
    console.log('FAIL ' + name + '\n     ' + String(e.message).split('\n').join('\n     '));
  }
}

const cells = (row) => row.locator('td').allInnerTexts();

await check('fleet: every machine is listed with its last campaign, and the night\'s regressions are counted', async () => {
  await open('#/fleet?token=' + encodeURIComponent(token));
  const rows = page.locator('main table').first().locator('tbody tr');
  assert.equal(await rows.count(), machines);
  const first = await cells(rows.first());
  assert.match(first[0], /^lab-0\d$/);
  assert.match(first[4], /\S/, 'last campaign shown');
  assert.ok(Number(await page.locator('#alert-count').innerText()) > 0, 'regressions counted');
  await page.screenshot({ path: shots + '/fleet.png', fullPage: true });
});

await check('build vs build: the regressed new tag is listed first, then the grown one', async () => {
  await open('#/compare?a=26100.1&b=26100.2');
  const rows = page.locator('main table tbody tr');
  const first = await cells(rows.nth(0));
  assert.equal(first[0].trim(), 'regression new');
  assert.equal(first[2], 'Bpx1');
  const texts = await rows.evaluateAll((trs) => trs.map((tr) => tr.cells[2].innerText + '|' + tr.cells[0].innerText));
  const ntfx = texts.findIndex((t) => t.startsWith('Ntfx|'));
  assert.ok(ntfx > 0, 'Ntfx listed');
  assert.match(texts[ntfx], /regression/);
  assert.ok(Number(await page.locator('#regression-count').innerText()) >= 2);
  // The bar chart of the top changes has one bar per regression/improvement listed in it.
  const bars = await page.evaluate(() => Chart.getChart(document.getElementById('compare-chart')).data.datasets[0].data.length);
  assert.equal(String(bars), await page.locator('#compare-chart').getAttribute('data-points'));
  await page.screenshot({ path: shots + '/compare.png', fullPage: true });
});

await check('trend: one point per campaign, with the boots\' spread as a band', async () => {
  await open('#/trend?kind=tag&key=Ntfx&metric=impacting_size');
  const n = await page.evaluate(() => {
    const chart = Chart.getChart(document.getElementById('trend-chart'));
    return { labels: chart.data.labels.length, sets: chart.data.datasets.map((d) => d.data.length), band: chart.data.datasets[1].fill };
  });
  assert.equal(n.labels, campaigns);
  assert.deepEqual(n.sets, [campaigns, campaigns, campaigns]);
  assert.equal(n.band, '-1');
  assert.equal(await page.locator('main table tbody tr').count(), campaigns);
  await page.screenshot({ path: shots + '/trend.png', fullPage: true });
  // One machine: its two nights.
  await open('#/trend?kind=tag&key=Ntfx&metric=impacting_size&machine=lab-01');
  assert.equal(await page.locator('#trend-chart').getAttribute('data-points'), String(campaigns / machines));
});

await check('campaign: iterations with lost events and DisablePagingExecutive, tags and drivers', async () => {
  await open('#/fleet');
  await page.locator('main table').first().locator('tbody tr').first().locator('a').first().click();
  await page.waitForSelector('#view[data-ready="true"]');
  const iterations = Number(await page.locator('#iteration-count').innerText());
  assert.ok(iterations >= 3, 'iterations shown');
  const tables = page.locator('main table');
  const headers = await page.locator('main h2').allInnerTexts();
  assert.ok(headers.some((h) => h.startsWith('Pool tags')));
  assert.ok(headers.some((h) => h.startsWith('Drivers')));
  const iterationRows = tables.last().locator('tbody tr');
  assert.equal(await iterationRows.count(), iterations);
  const row = await cells(iterationRows.first());
  assert.equal(row[7], '1', 'DisablePagingExecutive in effect');
  assert.equal(row[8], 'yes', 'and verified');
  const tagText = await page.locator('main').innerText();
  assert.match(tagText, /Bpx1/);
  assert.match(tagText, /ACPI\.sys/);
  await page.screenshot({ path: shots + '/campaign.png', fullPage: true });
});

await check('alerts: every regression of the second night is there, per machine', async () => {
  await open('#/alerts');
  const rows = await page.locator('main table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.innerText));
  for (let m = 1; m <= machines; m++) {
    assert.ok(rows.some((r) => r.includes('lab-0' + m) && r.includes('Bpx1') && r.includes('regression')), 'lab-0' + m);
  }
  await page.screenshot({ path: shots + '/alerts.png', fullPage: true });
});

await check('without a token the dashboard asks for one instead of failing', async () => {
  const fresh = await browser.newPage();
  await fresh.goto(url + '/#/fleet');
  await fresh.waitForSelector('#view[data-ready="true"]');
  assert.match(await fresh.locator('#view').innerText(), /wants a token/);
  await fresh.close();
});

await check('no script errors on any page', async () => {
  assert.deepEqual(consoleErrors.filter((e) => !/favicon/.test(e)), []);
});

await browser.close();
console.log(failures ? `${failures} check(s) failed` : 'all dashboard checks passed; screenshots in ' + shots);
process.exit(failures ? 1 : 0);
