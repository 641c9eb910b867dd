// End-to-end: the built dashboard served by the real backend (temp SQLite, fast simulator), driven in
// Debian's headless Chromium through playwright-core.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO, freePort, launchChromium, newPage as openPage, parseCsv, waitFor } from "./support.mjs";

let server;
let browser;
let base;
let workdir;

const json = async (path, init) => (await fetch(`${base}${path}`, init)).json();
const newPage = () => openPage(browser);

before(async () => {
  workdir = mkdtempSync(join(tmpdir(), "opsforge-e2e-"));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(join(REPO, ".venv/bin/python"), ["backend_api.py"], {
    cwd: REPO,
    env: {
      ...process.env, PORT: String(port), KB_BACKEND: "sqlite", KB_PATH: join(workdir, "kb.sqlite3"),
      SIM_SPEED: "600", SIM_AUTOSTART: "true", TERMINAL_OUTPUT: "none", FORECAST_INTERVAL_S: "2",
      FRONTEND_DIST: join(REPO, "frontend/dist"), OPSFORGE_API_TOKEN: "",
    },
    stdio: "ignore",
  });
  await waitFor(async () => (await fetch(`${base}/api/health`)).ok, "the API");
  browser = await launchChromium();
  await waitFor(async () => (await json("/api/incidents?limit=5")).length >= 3, "incidents from the simulator");
});

after(async () => {
  await browser?.close();
  server?.kill("SIGINT");
  await new Promise((ok) => (server?.exitCode !== null ? ok() : server.on("exit", ok)));
  rmSync(workdir, { recursive: true, force: true });
});

test("dashboard loads without console errors and shows live figures", async () => {
  const page = await newPage();
  await page.goto(base);
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();
  await page.getByTestId("kpi-activeIncidents").waitFor();
  await page.getByRole("heading", { name: "Latest incidents" }).waitFor();
  await page.locator("section[aria-label='Latest incidents'] li a").first().waitFor();
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("incidents appear and a detail opens; its deep link survives a reload", async () => {
  const page = await newPage();
  await page.goto(`${base}/incidents`);
  const first = page.getByTestId("incident-row").first().locator("a");
  await first.waitFor();
  await first.click();
  await page.getByRole("heading", { name: "Root cause" }).waitFor();
  assert.match(page.url(), /\/incidents\/INC-/);
  await page.reload();
  await page.getByRole("heading", { name: "Timeline" }).waitFor();
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("an incident's page lists the actions taken on it with each guardrail decision", async () => {
  // TaskOps remedies new incidents through the Executor as the simulator runs; wait for a verified one.
  const verified = await waitFor(async () => {
    const page = await json("/api/actions?state=succeeded&limit=50");
    return page.items.find((action) => action.request.incident_id);
  }, "a verified autonomous action");
  const page = await newPage();
  await page.goto(`${base}/incidents/${verified.request.incident_id}`);
  await page.getByRole("heading", { name: "Actions" }).waitFor();
  const card = page.getByTestId("incident-action").filter({ hasText: verified.id });
  await card.waitFor();
  assert.match(await card.innerText(), new RegExp(verified.request.action));
  assert.match(await card.getByTestId("action-outcome").innerText(), /^verified: /);
  const rules = await card.getByTestId("guard-decision").allInnerTexts();
  assert.deepEqual(rules.map((row) => row.split("\t")[0]), verified.decisions.map((decision) => decision.rule));
  assert.match(rules[0], /kill_switch\s+allowed/);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("an operator acknowledges then resolves an incident with reasons; timeline, audit and the API agree", async () => {
  await waitFor(async () => (await json("/api/incidents?status=open&limit=1")).length === 1, "an open incident");
  // Freeze the world so the engine does not resolve the incident on its own while the operator works on it.
  await fetch(`${base}/api/simulation/stop`, { method: "POST" });
  try {
    const [{ id }] = await json("/api/incidents?status=open&limit=1");
    const page = await newPage();
    await page.goto(`${base}/incidents/${id}`);
    await page.getByRole("heading", { name: "Root cause" }).waitFor();
    const timeline = page.locator("section[aria-label='Timeline'] li");
    const audit = page.locator("section[aria-label='Audit'] li");

    await page.getByLabel("Reason").fill("e2e on-call is looking");
    await page.getByRole("button", { name: "Acknowledge" }).click();
    const status = page.locator("h1 + p .badge").nth(1);
    await page.locator("h1 + p .badge-acknowledged").waitFor();
    assert.equal(await status.innerText(), "acknowledged");
    await timeline.filter({ hasText: "Status acknowledged: e2e on-call is looking (by dashboard)" }).waitFor();
    await audit.filter({ hasText: "dashboard: incident.acknowledged — e2e on-call is looking" }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Acknowledge" }).count(), 0, "no second acknowledge");
    let stored = await json(`/api/incidents/${id}`);
    assert.equal(stored.status, "acknowledged");
    assert.ok(stored.audit_logs.some((entry) => entry.action === "incident.acknowledged" && entry.description === "e2e on-call is looking"));

    await page.getByLabel("Reason").fill("e2e fixed the upstream");
    await page.getByRole("button", { name: "Resolve" }).click();
    await page.locator("h1 + p .badge-resolved").waitFor();
    await timeline.filter({ hasText: "Status resolved: e2e fixed the upstream (by dashboard)" }).waitFor();
    await audit.filter({ hasText: "dashboard: incident.resolved — e2e fixed the upstream" }).waitFor();
    assert.equal(await page.getByLabel("Reason").count(), 0, "a resolved incident has no status form");
    stored = await json(`/api/incidents/${id}`);
    assert.equal(stored.status, "resolved");
    assert.ok(stored.resolvedAt);
    await page.reload();
    await page.locator("h1 + p .badge-resolved").waitFor();
    assert.equal(await status.innerText(), "resolved");
    assert.deepEqual(page.errors, []);
    await page.close();
  } finally {
    await fetch(`${base}/api/simulation/start`, { method: "POST" });
  }
});

test("kill switch with a reason shows in the header, survives reload, and the API agrees", async () => {
  const page = await newPage();
  await page.goto(base);
  await page.getByRole("button", { name: /Kill switch: off/ }).click();
  await page.getByLabel(/Reason/).fill("e2e change freeze");
  await page.getByRole("button", { name: "Activate" }).click();
  await page.getByRole("button", { name: /Kill switch: ON/ }).waitFor();
  await page.reload();
  await page.getByRole("button", { name: /Kill switch: ON/ }).waitFor();
  assert.match(await page.getByTestId("kill-switch-info").innerText(), /e2e change freeze/);
  const status = await json("/api/kill-switch/status");
  assert.equal(status.active, true);
  assert.equal(status.reason, "e2e change freeze");
  await page.getByRole("button", { name: /Kill switch: ON/ }).click();
  await page.getByLabel(/Reason/).fill("e2e done");
  await page.getByRole("button", { name: "Release" }).click();
  await page.getByRole("button", { name: /Kill switch: off/ }).waitFor();
  await page.close();
});

test("simulation stops and starts from the sidebar", async () => {
  const page = await newPage();
  await page.goto(base);
  await page.getByRole("button", { name: "Stop simulation" }).click();
  await waitFor(async () => (await page.getByTestId("simulation-state").innerText()) === "Stopped", "stopped state");
  assert.equal((await json("/api/simulation/status")).running, false);
  await page.getByRole("button", { name: "Start simulation" }).click();
  await waitFor(async () => (await page.getByTestId("simulation-state").innerText()) === "Running", "running state");
  assert.equal((await json("/api/simulation/status")).running, true);
  await page.close();
});

test("the log panel streams new lines", async () => {
  const page = await newPage();
  await page.goto(base);
  const lines = page.getByTestId("log-lines").locator("div");
  await lines.first().waitFor();
  const before = await lines.count();
  await fetch(`${base}/api/kill-switch`, {
    method: "PUT", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ active: true, reason: "stream probe", actor: "e2e" }),
  });
  await waitFor(async () => (await page.getByTestId("log-lines").innerText()).includes("stream probe"), "streamed line");
  assert.ok((await lines.count()) > before);
  await fetch(`${base}/api/kill-switch`, {
    method: "PUT", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ active: false, reason: "stream probe done", actor: "e2e" }),
  });
  await page.close();
});

test("CSV export downloads exactly the filtered rows of every page", async () => {
  // Freeze the world so the export and the API see the same incidents.
  await fetch(`${base}/api/simulation/stop`, { method: "POST" });
  const page = await newPage();
  await page.goto(`${base}/incidents`);
  await page.getByTestId("incident-row").first().waitFor();
  await page.getByLabel("Status").selectOption("open");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: /Export CSV/ }).click(),
  ]);
  const [header, ...rows] = parseCsv(readFileSync(await download.path(), "utf8"));
  assert.equal(header[0], "id");
  const status = header.indexOf("status");
  assert.ok(rows.length > 0 && rows.every((row) => row[status] === "open"), "only open incidents exported");
  const ids = [];
  let cursor = "";
  for (;;) {
    const response = await fetch(`${base}/api/incidents?status=open&limit=7${cursor ? `&cursor=${cursor}` : ""}`);
    ids.push(...(await response.json()).map((incident) => incident.id));
    cursor = response.headers.get("X-Next-Cursor") ?? "";
    if (!cursor) break;
  }
  assert.deepEqual(rows.map((row) => row[0]), ids);
  assert.deepEqual(page.errors, []);
  await page.close();
  await fetch(`${base}/api/simulation/start`, { method: "POST" });
});

test("forecasting page charts a series with hover, zoom, band, threshold and ETA; breaches and risks apart", async () => {
  await waitFor(async () => (await json("/api/forecasts")).ets_forecasts.series.length > 0, "forecasts", 120_000);
  // Two disks of our own next to the simulated fleet: one filling (a risk), one already full (a breach).
  const start = Date.now() - 240 * 60_000;
  const samples = [];
  for (let i = 0; i < 240; i += 1) {
    const timestamp = new Date(start + i * 60_000).toISOString();
    samples.push({ labels: { host: "e2e-filling", metric: "disk" }, timestamp, value: 50 + 0.1 * i });
    samples.push({ labels: { host: "e2e-full", metric: "disk" }, timestamp, value: 80 + 0.1 * i });
  }
  const posted = await fetch(`${base}/api/metrics/samples`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ samples }),
  });
  assert.equal(posted.status, 202);
  const risk = await waitFor(async () => (await json("/api/forecasts")).upcoming_risks.find((r) => r.host === "e2e-filling"),
    "the filling disk's risk", 60_000);
  assert.ok(risk.eta_earliest && risk.eta_latest && risk.source === "api");
  const page = await newPage();
  await page.goto(`${base}/forecasting`);
  await page.getByRole("heading", { name: "Forecasting" }).waitFor();
  await page.locator('select[name="series"]').selectOption(`${risk.host}/${risk.metric}`);
  const chart = page.getByTestId("series-chart");
  await chart.locator("canvas").waitFor();
  await page.getByText("red line: ETA").waitFor();
  const labels = await chart.locator(".u-legend .u-label").allTextContents();
  for (const name of ["history", "forecast", "lower 95 %", "upper 95 %", "anomaly", "threshold"]) {
    assert.ok(labels.includes(name), `legend has ${name}: ${labels}`);
  }
  assert.match(await page.getByTestId("series-source").textContent(), /Source: \S+/);
  // hover: the legend shows the values under the cursor (the chart in view, clear of the log panel)
  await page.setViewportSize({ width: 1280, height: 1600 });
  await chart.scrollIntoViewIfNeeded();
  const over = chart.locator(".u-over");
  const box = await over.boundingBox();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
  const timeValue = chart.locator(".u-legend .u-series").first().locator(".u-value");
  await waitFor(async () => {
    const shown = await timeValue.textContent();
    return shown && shown.trim() !== "--";
  }, "the hovered time in the legend", 5_000);
  // zoom: a drag narrows the time axis, a double-click gives it back
  const span = async () => (await chart.getAttribute("data-x-max")) - (await chart.getAttribute("data-x-min"));
  const full = await span();
  await page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await waitFor(async () => (await span()) < full * 0.5, "the zoomed time axis", 5_000);
  await over.dblclick();
  await waitFor(async () => Math.abs((await span()) - full) < 1, "the whole time axis back", 5_000);
  // breaches and risks are separate tables; every risk row has its own ETA and interval
  await page.getByRole("heading", { name: "Breaches" }).waitFor();
  await page.getByRole("heading", { name: "Upcoming risks" }).waitFor();
  const riskRows = page.getByTestId("risks-table").locator("tbody tr");
  assert.ok((await riskRows.filter({ hasText: "e2e-filling" }).count()) === 1);
  await page.getByTestId("breaches-table").locator("tbody tr").filter({ hasText: "e2e-full" }).waitFor();
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("forecasting page shows detection accuracy and risk confidence as the API computes them", async () => {
  // Both figures start null; at 600x faults, flags and predictions that come due arrive within a minute or two.
  await waitFor(async () => {
    const body = await json("/api/forecasts");
    return body.anomaly_detection_accuracy !== null && body.risk_prediction_confidence !== null;
  }, "real forecast-quality figures", 240_000);
  // Freeze the world so the page and the API see the same figures.
  await fetch(`${base}/api/simulation/stop`, { method: "POST" });
  // Scoring runs within a time budget per refresh, so it may still be catching up on the frozen store:
  // wait until two reads more than a refresh apart (one every 2 s, each up to ~5 s long) agree.
  let previous = null;
  await waitFor(async () => {
    const figures = await json("/api/forecasts");
    const current = JSON.stringify([figures.anomaly_detection, figures.risk_calibration]);
    const settled = current === previous;
    previous = current;
    if (!settled) await new Promise((ok) => setTimeout(ok, 8_000));
    return settled;
  }, "forecast figures settled on the frozen store", 120_000);
  const body = await json("/api/forecasts");
  const quality = body.anomaly_detection;
  const calibration = body.risk_calibration;
  assert.ok(quality.events > 0 && quality.events === quality.detected + quality.missed);
  assert.ok(quality.true_flags <= quality.flags);
  assert.ok(Math.abs(body.anomaly_detection_accuracy - 100 * quality.f1) <= 0.005, "accuracy is 100 x F1");
  assert.ok(Math.abs(body.risk_prediction_confidence - 100 * (1 - calibration.brier_score)) <= 0.01);
  assert.ok(calibration.predictions > 0 && calibration.hits <= calibration.predictions);
  assert.ok(calibration.brier_score >= 0 && calibration.brier_score <= 1);
  const page = await newPage();
  await page.goto(`${base}/forecasting`);
  const accuracy = page.getByTestId("figure-anomaly-detection");
  await accuracy.waitFor();
  await waitFor(async () => !(await accuracy.innerText()).includes("not enough data"), "the detection figure");
  assert.match(await accuracy.innerText(), new RegExp(`${body.anomaly_detection_accuracy.toFixed(1)} %`));
  const detection = await page.getByTestId("anomaly-detection-detail").innerText();
  assert.match(detection, new RegExp(`${quality.true_flags} of ${quality.flags} flags`));
  assert.match(detection, new RegExp(`${quality.detected} of ${quality.events} fault effects detected`));
  assert.match(detection, /last 24 h of event time/);
  const confidence = await page.getByTestId("figure-risk-confidence").innerText();
  assert.match(confidence, new RegExp(`${body.risk_prediction_confidence.toFixed(1)} %`));
  const risk = await page.getByTestId("risk-calibration-detail").innerText();
  assert.match(risk, new RegExp(`Brier score ${calibration.brier_score.toFixed(3)}`));
  assert.match(risk, new RegExp(`${calibration.hits} of ${calibration.predictions} predictions`));
  assert.deepEqual(page.errors, []);
  await page.close();
  await fetch(`${base}/api/simulation/start`, { method: "POST" });
});

test("alerts page: rows, a status filter the API agrees with, the incident link, a deep link that survives reload", async () => {
  await waitFor(async () => {
    const [firing, resolved] = await Promise.all([json("/api/alerts?status=firing&limit=1"), json("/api/alerts?status=resolved&limit=1")]);
    return firing.items.length > 0 && resolved.items.length > 0;
  }, "firing and resolved alerts", 120_000);
  await fetch(`${base}/api/simulation/stop`, { method: "POST" });
  try {
    const page = await newPage();
    const shown = () => page.getByTestId("alert-row").evaluateAll((rows) => rows.map((row) => row.dataset.fingerprint));
    const fromApi = async (filter) => (await json(`/api/alerts?${filter}&limit=50`)).items.map((alert) => alert.fingerprint);
    const agrees = async (filter) => {
      const expected = await fromApi(filter);
      assert.ok(expected.length > 0, `the API has alerts for ${filter}`);
      await waitFor(async () => JSON.stringify(await shown()) === JSON.stringify(expected), `the rows of ${filter}`, 15_000);
    };
    await page.goto(base);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Alerts" }).click();
    await page.getByRole("heading", { name: "Alerts", exact: true }).waitFor();
    await page.getByTestId("alert-row").first().waitFor();
    await agrees("");

    for (const status of ["resolved", "firing"]) {
      await page.getByLabel("Status").selectOption(status);
      await agrees(`status=${status}`);
      const statuses = await page.getByTestId("alert-row").evaluateAll((rows) => rows.map((row) => row.dataset.status));
      assert.ok(statuses.every((value) => value === status), `only ${status} rows`);
      assert.match(page.url(), new RegExp(`status=${status}`));
    }

    const link = page.getByTestId("alert-incident").first();
    const id = await link.innerText();
    await link.click();
    await page.getByRole("heading", { name: "Root cause" }).waitFor();
    assert.ok(page.url().endsWith(`/incidents/${id}`));

    await page.getByTestId("incident-alerts-link").click();
    await page.getByRole("heading", { name: "Alerts", exact: true }).waitFor();
    assert.ok(page.url().endsWith(`/alerts?incident_id=${id}`));
    await agrees(`incident_id=${id}`);
    await page.reload();
    await agrees(`incident_id=${id}`);
    assert.equal(await page.getByLabel("Incident", { exact: true }).inputValue(), id);
    const incidents = await page.getByTestId("alert-incident").allInnerTexts();
    assert.ok(incidents.every((value) => value === id), "every row belongs to the linked incident");
    assert.deepEqual(page.errors, []);
    await page.close();
  } finally {
    await fetch(`${base}/api/simulation/start`, { method: "POST" });
  }
});

test("a tenant without a topology: the Topology page shows what was learned, an operator confirms it, the incident page draws the graph", async () => {
  const tenant = "e2e-learned";
  const at = (minutesAgo) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
  for (const round of [60, 40, 20]) { // db fails, api follows a minute later, three times
    const alerts = [
      { labels: { alertname: "DbDown", service: "db", instance: "db-1:9100", tenant, severity: "critical" }, startsAt: at(round) },
      { labels: { alertname: "ApiErrors", service: "api", instance: "api-1:9100", tenant, severity: "warning" }, startsAt: at(round - 1) },
    ];
    const response = await fetch(`${base}/api/alerts`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(alerts) });
    assert.ok(response.ok, `ingest answered ${response.status}`);
  }
  const page = await newPage();
  await page.goto(`${base}/topology`);
  await page.getByRole("link", { name: "Topology" }).waitFor();
  await page.getByLabel("Tenant").fill(tenant);
  await page.getByRole("button", { name: "Show" }).click();
  const row = page.getByTestId("learned-edge").filter({ hasText: "api → db" });
  await row.waitFor();
  await page.locator(".react-flow__edge.graph-edge-learned").first().waitFor();
  assert.equal(await page.locator(".react-flow__node").count(), 2);
  assert.equal(await row.getByTestId("edge-decision").textContent(), "none");
  await page.getByLabel("Reason for a decision").fill("api reads from db");
  await row.getByRole("button", { name: "Confirm" }).click();
  await waitFor(async () => (await row.getByTestId("edge-decision").textContent()) === "confirmed", "the confirmed edge");
  const stored = await json(`/api/topology/${tenant}`);
  assert.equal(stored.pushed, false);
  assert.deepEqual([stored.learnedEdges[0].caller, stored.learnedEdges[0].callee, stored.learnedEdges[0].decision], ["api", "db", "confirmed"]);
  assert.equal(stored.learnedEdges[0].count, 3);

  const [incident] = await json(`/api/incidents?tenant=${tenant}&limit=1`);
  await page.goto(`${base}/incidents/${incident.id}`);
  const graph = page.getByTestId("service-graph");
  await graph.locator(".react-flow__node").first().waitFor();
  const labels = await graph.locator(".react-flow__node").allTextContents();
  assert.ok(labels.some((label) => label.startsWith("db · ")) && labels.some((label) => label.startsWith("api · ")), labels.join(", "));
  assert.equal(await graph.locator(".graph-node-root").count(), 1);
  assert.deepEqual(page.errors, []);
  await page.close();
});
