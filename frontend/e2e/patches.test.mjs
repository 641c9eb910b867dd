// End-to-end: the Patch Management page on the real backend (temp SQLite, simulator at 600x, short bakes),
// in Debian's headless Chromium through playwright-core: plan a roll-out from an advisory, approve it, watch
// the canary's health check with its figures, pause, resume, and roll back.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const REPO = resolve(import.meta.dirname, "../..");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ADVISORY = {
  id: "OSA-E2E-0001", package: "openssl", fixed_version: "3.0.2-0ubuntu1.99", severity: "high", cvss: 8.1,
  affected_os: ["rhel-9"], summary: "e2e advisory",
};
let server;
let browser;
let base;
let workdir;

function freePort() {
  return new Promise((ok) => {
    const probe = createServer();
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => ok(port));
    });
  });
}

async function waitFor(check, what, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch {
      // not ready yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

const json = async (path, init) => (await fetch(`${base}${path}`, init)).json();

before(async () => {
  workdir = mkdtempSync(join(tmpdir(), "opsforge-e2e-patches-"));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(join(REPO, ".venv/bin/python"), ["backend_api.py"], {
    cwd: REPO,
    env: {
      ...process.env, PORT: String(port), KB_BACKEND: "sqlite", KB_PATH: join(workdir, "kb.sqlite3"),
      SIM_SPEED: "600", SIM_AUTOSTART: "true", SIM_HISTORY_HOURS: "1", TERMINAL_OUTPUT: "none",
      FRONTEND_DIST: join(REPO, "frontend/dist"), OPSFORGE_API_TOKEN: "",
      PATCH_TICK_S: "0.3", PATCH_CANARY_BAKE_S: "900", PATCH_WAVE_BAKE_S: "600",
    },
    stdio: "ignore",
  });
  await waitFor(async () => (await fetch(`${base}/api/health`)).ok, "the API");
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const posted = await fetch(`${base}/api/patches/advisories`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(ADVISORY),
  });
  assert.equal(posted.status, 201);
});

after(async () => {
  await browser?.close();
  server?.kill("SIGINT");
  await new Promise((ok) => (server?.exitCode !== null ? ok() : server.on("exit", ok)));
  rmSync(workdir, { recursive: true, force: true });
});

test("plan, approve, judge, pause, resume and roll back a patch from the Patch Management page", async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.goto(base);
  await page.getByRole("link", { name: "Patch Management" }).click();
  await page.getByRole("heading", { name: "Patch Management" }).waitFor();

  await page.getByLabel("Advisory").selectOption(ADVISORY.id);
  await page.getByRole("button", { name: "Plan roll-out" }).click();
  const row = page.getByTestId("patch-plans").locator("tr", { hasText: ADVISORY.id });
  await row.waitFor();
  await row.getByRole("button").click();
  const detail = page.getByTestId("patch-detail");
  await detail.locator("h2 .badge-draft").waitFor();
  const [plan] = (await json("/api/patches?limit=100")).filter((p) => p.advisory_id === ADVISORY.id);
  assert.equal(plan.state, "draft");
  const hosts = detail.getByTestId("patch-hosts").locator("tbody tr");
  assert.equal(await hosts.count(), plan.systems);
  assert.ok(await detail.getByTestId("patch-hosts").getByText("canary").count() >= 1);

  await detail.getByLabel("Reason").fill("e2e patch night");
  await detail.getByRole("button", { name: "Approve" }).click();
  // the canary is installed, baked and judged: a health check with its figures and a chart appears
  const check = detail.getByTestId("health-check").first();
  await check.waitFor({ timeout: 90_000 });
  assert.match(await check.innerText(), /patched hosts no worse|worse than|inconclusive|split/);
  await check.locator("svg[role='img']").waitFor();
  const stored = await json(`/api/patches/${plan.id}`);
  assert.equal(stored.approved_by, "user:dashboard");
  const comparison = stored.health_checks[0].comparisons[0];
  assert.ok(comparison.n_patched >= 8 && comparison.patched_median !== null);
  assert.ok(await check.getByText(String(comparison.patched_median)).count() >= 1);

  // pause while it runs (or find it already held), then resume it
  const now = await json(`/api/patches/${plan.id}`);
  if (["canary", "baking", "wave", "preflight"].includes(now.state)) {
    await detail.getByLabel("Reason").fill("e2e freeze");
    await detail.getByRole("button", { name: "Pause" }).click();
    await detail.locator("h2 .badge-paused").waitFor();
    assert.equal((await json(`/api/patches/${plan.id}`)).pause_kind, "operator");
    await detail.getByRole("button", { name: "Resume" }).click();
    await waitFor(async () => (await json(`/api/patches/${plan.id}`)).state !== "paused", "the resume");
  }

  // roll back: every patched host goes back to its previous version
  await detail.getByLabel("Reason").fill("e2e changed our mind");
  await detail.getByRole("button", { name: "Roll back" }).click();
  await waitFor(async () => (await json(`/api/patches/${plan.id}`)).state === "rolled_back", "the rollback");
  await detail.locator("h2 .badge-rolled_back").waitFor();
  const done = await json(`/api/patches/${plan.id}`);
  assert.ok(done.affected_hosts.some((h) => h.status === "rolled_back"));
  assert.ok(done.affected_hosts.every((h) => !["installed", "installing", "rolling_back"].includes(h.status)));
  assert.deepEqual(errors, []);
  await page.close();
});
