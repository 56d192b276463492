// The Bootprint dashboard: plain JavaScript, no build step. Every view reads the controller's API
// (the same endpoints `bootprint query` and `bootprint diff` use) and renders tables and Chart.js charts.
// Text from the API is only ever put in the page through textContent (a tag name is data, not HTML).
'use strict';

const state = { token: sessionStorage.getItem('bootprint.token') || '', charts: [] };

// ---- plumbing ---------------------------------------------------------------------------------

function takeTokenFromFragment() {
  // "#/fleet?token=..." (handy for kiosks and tests): remembered for the session, then removed from the URL.
  const [path, query] = location.hash.split('?');
  if (!query) return;
  const params = new URLSearchParams(query);
  const token = params.get('token');
  if (!token) return;
  state.token = token;
  sessionStorage.setItem('bootprint.token', token);
  params.delete('token');
  const rest = params.toString();
  history.replaceState(null, '', location.pathname + (path || '#/fleet') + (rest ? '?' + rest : ''));
}

async function api(path) {
  const response = await fetch(path, { headers: state.token ? { Authorization: 'Bearer ' + state.token } : {} });
  const text = await response.text();
  let body;
  try { body = JSON.parse(text); } catch { body = { error: text }; }
  if (!response.ok) {
    const e = new Error((body && body.error) || response.statusText);
    e.status = response.status;
    throw e;
  }
  return body;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function bytes(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '';
  const sign = v < 0 ? '−' : '';
  let x = Math.abs(v);
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let u = 0;
  while (x >= 1024 && u < units.length - 1) { x /= 1024; u++; }
  return sign + (u === 0 ? x.toFixed(0) : x.toFixed(x >= 100 ? 0 : 1)) + ' ' + units[u];
}
const signedBytes = (v) => (v > 0 ? '+' : '') + bytes(v);
const isByteMetric = (m) => /(_size|_bytes)$/.test(m);
const fmt = (v, metric) => (isByteMetric(metric) ? bytes(v) : Number(v).toLocaleString('en-US'));

function ago(iso) {
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 90) return Math.round(s) + ' s ago';
  if (s < 5400) return Math.round(s / 60) + ' min ago';
  if (s < 172800) return Math.round(s / 3600) + ' h ago';
  return Math.round(s / 86400) + ' days ago';
}

function badge(text, cls) { return el('span', { class: 'badge ' + (cls || text), text }); }

// A table from rows: columns are [header, (row) => cell, {num: true}].
function table(columns, rows, rowClass) {
  const head = el('tr', {}, ...columns.map(([h, , o]) => el('th', { class: o && o.num ? 'num' : null, text: h })));
  const body = rows.map((r) => el('tr', { class: rowClass ? rowClass(r) : null },
    ...columns.map(([, f, o]) => {
      const v = f(r);
      return el('td', { class: o && o.num ? 'num' : null }, v instanceof Node ? v : (v === undefined ? '' : String(v)));
    })));
  return el('table', {}, el('thead', {}, head), el('tbody', {}, ...body));
}

function dataLinks(path) {
  const sep = path.includes('?') ? '&' : '?';
  document.getElementById('data-link').href = path;
  return el('div', { class: 'links' },
    el('a', { href: path, target: '_blank', text: 'JSON' }),
    el('a', { href: path + sep + 'format=csv', target: '_blank', text: 'CSV' }));
}

function destroyCharts() {
  for (const c of state.charts) c.destroy();
  state.charts = [];
}

function routeParams() {
  const [path, query] = location.hash.replace(/^#/, '').split('?');
  return { path: path || '/fleet', params: new URLSearchParams(query || '') };
}

function go(path, params) {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ''));
  location.hash = path + (q.toString() ? '?' + q : '');
}

// ---- views ------------------------------------------------------------------------------------

async function fleetView(view) {
  const [fleet, alerts] = await Promise.all([api('/v1/fleet'), api('/v1/alerts?limit=20')]);
  const machines = fleet.machines;
  const stale = machines.filter((m) => m.seconds_since_seen > 36 * 3600).length;
  const running = machines.filter((m) => /running|arming|tracing|boot/i.test(m.campaign_state)).length;
  view.append(
    el('h1', { text: 'Fleet' }),
    el('div', { class: 'card summary' },
      el('div', {}, el('b', { text: machines.length }), 'machines'),
      el('div', {}, el('b', { text: running }), 'in a campaign'),
      el('div', {}, el('b', { text: stale }), 'not seen for 36 h'),
      el('div', {}, el('b', { id: 'alert-count', text: alerts.alerts.filter((a) => a.verdict === 'regression').length }),
        'regressions in recent nights')),
    dataLinks('/v1/fleet'),
    table([
      ['Machine', (m) => m.machine],
      ['Group', (m) => m.group],
      ['Last seen', (m) => el('span', {}, ago(m.last_seen_at) + ' ', m.seconds_since_seen > 36 * 3600 ? badge('stale') : null)],
      ['Campaign state', (m) => m.campaign_state || 'idle'],
      ['Last campaign', (m) => (m.last_campaign_id ? el('a', { href: '#/campaign/' + m.last_campaign_id, text: m.last_campaign }) : '—')],
      ['Build', (m) => m.last_build],
      ['Iterations', (m) => m.last_iterations, { num: true }],
      ['OS build', (m) => m.os_build],
    ], machines),
    el('h2', { text: 'Recent alerts' }),
    alertsTable(alerts.alerts));
}

function alertsTable(alerts) {
  if (!alerts.length) return el('p', { class: 'muted', text: 'No alerts: every nightly run so far is within noise of its previous build.' });
  return table([
    ['', (a) => el('span', {}, badge(a.verdict), a.presence ? ' ' : '', a.presence ? badge(a.presence) : null)],
    ['Machine', (a) => a.machine],
    ['Build', (a) => a.baseline_build + ' → ' + a.build],
    ['Series', (a) => el('a', { href: '#/trend?' + new URLSearchParams({ kind: a.kind, key: a.key, metric: a.metric, machine: a.machine }), text: a.kind + ' ' + a.key })],
    ['Metric', (a) => a.metric],
    ['Before', (a) => fmt(a.baseline_median, a.metric), { num: true }],
    ['After', (a) => fmt(a.median, a.metric), { num: true }],
    ['Δ', (a) => (isByteMetric(a.metric) ? signedBytes(a.delta) : a.delta), { num: true }],
    ['Campaign', (a) => el('a', { href: '#/campaign/' + a.campaign_id, text: a.campaign })],
    ['When', (a) => ago(a.created_at)],
  ], alerts, (a) => a.verdict);
}

async function alertsView(view) {
  const alerts = await api('/v1/alerts?limit=500');
  view.append(el('h1', { text: 'Alerts' }),
    el('p', { class: 'muted', text: 'Each nightly run against the same machine\'s previous build: regressions, improvements, new and vanished tags and drivers.' }),
    dataLinks('/v1/alerts'), alertsTable(alerts.alerts));
}

async function campaignView(view, id) {
  const d = await api('/v1/campaigns/' + encodeURIComponent(id));
  const c = d.campaign;
  const lost = d.iterations.reduce((s, i) => s + (i.events_lost || 0), 0);
  const dpe = d.iterations.map((i) => i.dpe_in_effect).filter((v) => v !== null && v !== undefined);
  view.append(
    el('h1', { text: 'Campaign ' + c.name }),
    el('div', { class: 'card summary' },
      el('div', {}, el('b', { text: c.machine }), 'machine'),
      el('div', {}, el('b', { text: c.build }), 'build'),
      el('div', {}, el('b', { id: 'iteration-count', text: c.iterations }), 'iterations'),
      el('div', {}, el('b', { text: lost }), 'events lost'),
      el('div', {}, el('b', { text: dpe.length ? [...new Set(dpe)].join(', ') : '—' }), 'DisablePagingExecutive'),
      el('div', {}, el('b', { text: c.first_time.slice(0, 16).replace('T', ' ') }), 'first boot (UTC)')),
    dataLinks('/v1/campaigns/' + c.id),
    el('h2', { text: 'Alerts of this run' }), alertsTable(d.alerts),
    el('h2', { text: 'Pool tags (impacting size: median and spread over the boots)' }),
    table([
      ['Tag', (t) => el('a', { href: '#/trend?' + new URLSearchParams({ kind: 'tag', key: t.tag, metric: (t.nonpaged_impacting_size?.median ?? 0) >= (t.paged_impacting_size?.median ?? 0) ? 'nonpaged_impacting_size' : 'paged_impacting_size', machine: c.machine }), text: t.tag })],
      ['Non-paged', (t) => bytes(t.nonpaged_impacting_size?.median), { num: true }],
      ['min–max', (t) => bytes(t.nonpaged_impacting_size?.min) + ' – ' + bytes(t.nonpaged_impacting_size?.max), { num: true }],
      ['Paged', (t) => bytes(t.paged_impacting_size?.median), { num: true }],
      ['min–max', (t) => bytes(t.paged_impacting_size?.min) + ' – ' + bytes(t.paged_impacting_size?.max), { num: true }],
      ['Size', (t) => bytes(t.size?.median), { num: true }],
      ['Count', (t) => t.count?.median, { num: true }],
    ], [...d.tags].sort((a, b) => (b.impacting_size?.median ?? 0) - (a.impacting_size?.median ?? 0))),
    el('h2', { text: 'Drivers (resident code, Active list)' }),
    table([
      ['Driver', (r) => el('a', { href: '#/trend?' + new URLSearchParams({ kind: 'driver', key: r.driver, metric: 'active_bytes', machine: c.machine }), text: r.driver })],
      ['Active', (r) => bytes(r.active_bytes?.median), { num: true }],
      ['min–max', (r) => bytes(r.active_bytes?.min) + ' – ' + bytes(r.active_bytes?.max), { num: true }],
      ['MAD', (r) => bytes(r.active_bytes?.mad), { num: true }],
      ['Standby', (r) => bytes(r.standby_bytes?.median), { num: true }],
    ], [...d.drivers].sort((a, b) => (b.active_bytes?.median ?? 0) - (a.active_bytes?.median ?? 0))),
    el('h2', { text: 'Iterations' }),
    table([
      ['#', (i) => i.iteration, { num: true }],
      ['Trace start (UTC)', (i) => i.time],
      ['Events', (i) => Number(i.events).toLocaleString('en-US'), { num: true }],
      ['Events lost', (i) => i.events_lost, { num: true }],
      ['Buffers lost', (i) => i.buffers_lost, { num: true }],
      ['Trace', (i) => bytes(i.trace_bytes), { num: true }],
      ['DPE before', (i) => (i.dpe_original ?? '—')],
      ['DPE in effect', (i) => (i.dpe_in_effect ?? '—')],
      ['DPE verified', (i) => (i.dpe_verified === null || i.dpe_verified === undefined ? '—' : i.dpe_verified ? 'yes' : 'NO')],
    ], d.iterations));
}

async function trendView(view, params) {
  const kind = params.get('kind') || 'tag';
  const metric = params.get('metric') || (kind === 'driver' ? 'active_bytes' : 'impacting_size');
  const machine = params.get('machine') || '';
  const keyMetric = kind === 'driver' ? 'active_bytes' : kind === 'total' ? metric : 'impacting_size';
  const [keys, fleet] = await Promise.all([api('/v1/history/keys?kind=' + kind + '&metric=' + keyMetric), api('/v1/fleet')]);
  const key = params.get('key') || keys.keys[0] || '';
  const metrics = kind === 'driver' ? ['active_bytes', 'standby_bytes']
    : kind === 'total' ? ['impacting_size', 'size', 'count', 'active_bytes']
      : ['impacting_size', 'nonpaged_impacting_size', 'paged_impacting_size', 'size', 'count'];
  const select = (name, values, current) => el('select', { name, onchange: (e) => {
    const next = { kind, key, metric, machine, [name]: e.target.value };
    if (name === 'kind') { next.key = ''; next.metric = ''; }
    go('/trend', next);
  } }, ...values.map((v) => { const o = el('option', { value: v, text: v || 'all machines' }); if (v === current) o.selected = true; return o; }));
  view.append(el('h1', { text: 'Trend: ' + kind + ' ' + key + ' · ' + metric }),
    el('div', { class: 'controls' },
      el('label', {}, 'Kind', select('kind', ['tag', 'driver', 'total'], kind)),
      el('label', {}, kind === 'driver' ? 'Driver' : 'Key', select('key', keys.keys, key)),
      el('label', {}, 'Metric', select('metric', metrics, metric)),
      el('label', {}, 'Machine', select('machine', ['', ...fleet.machines.map((m) => m.machine)], machine))));
  if (!key) { view.append(el('p', { class: 'muted', text: 'No history yet.' })); return; }
  const q = new URLSearchParams({ kind, key, metric });
  if (machine) q.set('machine', machine);
  const series = await api('/v1/history/series?' + q);
  const points = series.points;
  view.append(dataLinks('/v1/history/series?' + q));
  const canvas = el('canvas', { id: 'trend-chart', 'data-points': points.length });
  view.append(el('div', { class: 'card' }, el('div', { class: 'chart-box' }, canvas)));
  const labels = points.map((p) => p.build + (machine ? '' : ' · ' + p.machine) + ' · ' + p.time_iso.slice(5, 10));
  const scale = isByteMetric(metric) ? 1024 : 1;
  const unit = isByteMetric(metric) ? ' (KiB)' : '';
  if (window.Chart) {
    state.charts.push(new Chart(canvas, {
      type: 'line',
      data: {
        labels,
        datasets: [
          { label: 'max', data: points.map((p) => p.max / scale), borderWidth: 0, pointRadius: 0, fill: false, backgroundColor: 'rgba(38,86,201,0.15)' },
          { label: 'min (band: min–max over the boots)', data: points.map((p) => p.min / scale), borderWidth: 0, pointRadius: 0, fill: '-1', backgroundColor: 'rgba(38,86,201,0.15)' },
          { label: 'median' + unit, data: points.map((p) => p.median / scale), borderColor: '#2656c9', backgroundColor: '#2656c9', pointRadius: 3, tension: 0 },
        ],
      },
      options: { animation: false, maintainAspectRatio: false, interaction: { mode: 'index', intersect: false },
        scales: { y: { title: { display: true, text: metric + unit } } } },
    }));
  }
  view.append(table([
    ['Campaign', (p) => p.campaign], ['Build', (p) => p.build], ['Machine', (p) => p.machine], ['Time (UTC)', (p) => p.time_iso],
    ['Boots', (p) => p.n, { num: true }], ['Median', (p) => fmt(p.median, metric), { num: true }],
    ['Min', (p) => fmt(p.min, metric), { num: true }], ['Max', (p) => fmt(p.max, metric), { num: true }],
    ['MAD', (p) => fmt(p.mad, metric), { num: true }],
  ], points));
}

async function compareView(view, params) {
  const builds = (await api('/v1/builds')).builds.map((b) => b.build);
  const fleet = await api('/v1/fleet');
  const a = params.get('a') || builds[builds.length - 2] || '';
  const b = params.get('b') || builds[builds.length - 1] || '';
  const machine = params.get('machine') || '';
  const select = (name, values, current) => el('select', { name, onchange: (e) => go('/compare', { a, b, machine, [name]: e.target.value }) },
    ...values.map((v) => { const o = el('option', { value: v, text: v || 'all machines' }); if (v === current) o.selected = true; return o; }));
  view.append(el('h1', { text: 'Build vs build' }),
    el('div', { class: 'controls' },
      el('label', {}, 'Baseline (A)', select('a', builds, a)),
      el('label', {}, 'Under test (B)', select('b', builds, b)),
      el('label', {}, 'Machine', select('machine', ['', ...fleet.machines.map((m) => m.machine)], machine))));
  if (!a || !b || a === b) { view.append(el('p', { class: 'muted', text: 'Two builds with reports are needed.' })); return; }
  const q = new URLSearchParams({ a, b });
  if (machine) q.set('machine', machine);
  const c = await api('/v1/compare?' + q);
  const n = (v) => c.counts[v] || 0;
  view.append(
    el('div', { class: 'card summary' },
      el('div', {}, el('b', { id: 'regression-count', text: n('regression') }), 'regressions'),
      el('div', {}, el('b', { text: n('improvement') }), 'improvements'),
      el('div', {}, el('b', { text: n('noise') }), 'within noise'),
      el('div', {}, el('b', { text: n('insufficient') }), 'too few boots')),
    dataLinks('/v1/compare?' + q));
  const top = c.rows.filter((r) => r.verdict === 'regression' || r.verdict === 'improvement').slice(0, 12);
  if (top.length && window.Chart) {
    const canvas = el('canvas', { id: 'compare-chart', 'data-points': top.length });
    view.append(el('div', { class: 'card' }, el('div', { class: 'chart-box' }, canvas)));
    state.charts.push(new Chart(canvas, {
      type: 'bar',
      data: { labels: top.map((r) => r.kind + ' ' + r.key + ' · ' + r.metric.replace('_impacting_size', '')),
        datasets: [{ label: 'Δ median (KiB)', data: top.map((r) => r.delta / 1024),
          backgroundColor: top.map((r) => (r.delta > 0 ? '#c62828' : '#2e7d32')) }] },
      options: { indexAxis: 'y', animation: false, maintainAspectRatio: false },
    }));
  }
  view.append(table([
    ['Verdict', (r) => el('span', {}, badge(r.verdict), r.presence ? ' ' : '', r.presence ? badge(r.presence) : null)],
    ['Kind', (r) => r.kind],
    ['Key', (r) => el('a', { href: '#/trend?' + new URLSearchParams({ kind: r.kind, key: r.key, metric: r.metric, machine }), text: r.key })],
    ['Metric', (r) => r.metric],
    ['A median', (r) => fmt(r.a.median, r.metric), { num: true }],
    ['B median', (r) => fmt(r.b.median, r.metric), { num: true }],
    ['Δ', (r) => (isByteMetric(r.metric) ? signedBytes(r.delta) : r.delta), { num: true }],
    ['Δ %', (r) => (r.relative === null ? '' : (100 * r.relative).toFixed(1) + ' %'), { num: true }],
    ['A min–max', (r) => fmt(r.a.min, r.metric) + ' – ' + fmt(r.a.max, r.metric), { num: true }],
    ['B min–max', (r) => fmt(r.b.min, r.metric) + ' – ' + fmt(r.b.max, r.metric), { num: true }],
    ['Boots', (r) => r.a.n + ' / ' + r.b.n, { num: true }],
    ['p', (r) => (r.p_value === null ? '' : r.p_value.toPrecision(2)), { num: true }],
    ['Why', (r) => r.reason],
  ], c.rows, (r) => r.verdict));
}

// ---- router -----------------------------------------------------------------------------------

async function render() {
  destroyCharts();
  takeTokenFromFragment();
  const view = document.getElementById('view');
  view.replaceChildren();
  view.dataset.ready = 'false';
  const { path, params } = routeParams();
  const section = path.split('/')[1] || 'fleet';
  for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('active', a.dataset.nav === section);
  try {
    if (section === 'fleet') await fleetView(view);
    else if (section === 'campaign') await campaignView(view, path.split('/')[2]);
    else if (section === 'trend') await trendView(view, params);
    else if (section === 'compare') await compareView(view, params);
    else if (section === 'alerts') await alertsView(view);
    else view.append(el('p', { class: 'error', text: 'No such page: ' + path }));
  } catch (e) {
    view.replaceChildren(el('p', { class: 'error', text: e.status === 401
      ? 'The controller wants a token: paste an agent or admin token above.' : 'Error: ' + e.message }));
  }
  view.dataset.ready = 'true';  // tests and screenshots wait for this
}

document.getElementById('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  state.token = document.getElementById('token').value.trim();
  sessionStorage.setItem('bootprint.token', state.token);
  render();
});
window.addEventListener('hashchange', render);
render();
