// End-to-end for the safety pages (approvals, silences, audit logs): the built dashboard served by the real
// backend on a temp SQLite file, driven in Debian's headless Chromium through playwright-core. Approvals are
// opened through the domain store before the server starts (the Executor is what opens them in production).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO, freePort, launchChromium, newPage as openPage, parseCsv, waitFor } from "./support.mjs";

const PYTHON = join(REPO, ".venv/bin/python");
let server;
let browser;
let base;
let workdir;
let kbPath;
const actionIds = [];
const REBOOT = "Reboot db-01 for the kernel patch";
const FAILOVER = "Fail over the orders database";

// Rewrites one stored audit entry's reason behind the server's back, as an attacker with the file would.
const TAMPER = `
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
body, = db.execute("SELECT body FROM docs WHERE collection = 'audit' AND id = ?", (sys.argv[2],)).fetchone()
db.execute("UPDATE docs SET body = ? WHERE collection = 'audit' AND id = ?",
           (json.dumps({**json.loads(body), "reason": "nothing happened"}), sys.argv[2]))
db.commit()
`;

const json = async (path, init) => (await fetch(`${base}${path}`, init)).json();
const newPage = () => openPage(browser, { width: 1280, height: 900 });

before(async () => {
  workdir = mkdtempSync(join(tmpdir(), "opsforge-e2e-safety-"));
  kbPath = join(workdir, "kb.sqlite3");
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(PYTHON, ["backend_api.py"], {
    cwd: REPO,
    env: {
      ...process.env, PORT: String(port), KB_BACKEND: "sqlite", KB_PATH: kbPath, SIM_AUTOSTART: "false",
      SIM_HISTORY_HOURS: "0", TERMINAL_OUTPUT: "none", FRONTEND_DIST: join(REPO, "frontend/dist"), OPSFORGE_API_TOKEN: "",
      SILENCE_CACHE_S: "0",
    },
    stdio: "ignore",
  });
  await waitFor(async () => (await fetch(`${base}/api/health`)).ok, "the API");
  // Two high-risk catalogue actions an operator asks for: each waits in the queue for a second person.
  for (const [action, reason] of [["reboot", REBOOT], ["failover_database", FAILOVER]]) {
    const body = JSON.stringify({ action, target: "acme-db-01", reason, actor: "taskops" });
    const waiting = await json("/api/actions", { method: "POST", headers: { "Content-Type": "application/json" }, body });
    assert.equal(waiting.state, "awaiting_approval");
    actionIds.push(waiting.id);
  }
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.kill("SIGINT");
  await new Promise((ok) => (server?.exitCode !== null ? ok() : server.on("exit", ok)));
  rmSync(workdir, { recursive: true, force: true });
});

test("the approvals queue: approve one and reject one with reasons; the API and the audit log agree", async () => {
  const page = await newPage();
  await page.goto(base);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Approvals" }).click();
  await page.getByRole("heading", { name: "Approvals" }).waitFor();
  const reboot = page.getByRole("listitem", { name: new RegExp(REBOOT) });
  const failover = page.getByRole("listitem", { name: new RegExp(FAILOVER) });
  await reboot.waitFor();
  assert.equal(await page.getByTestId("approval").count(), 2);
  assert.ok(await reboot.getByRole("button", { name: "Approve" }).isDisabled(), "no decision without a reason");

  await reboot.getByLabel("Reason").fill("e2e: change window agreed");
  await reboot.getByRole("button", { name: "Approve" }).click();
  await failover.getByLabel("Reason").fill("e2e: not during business hours");
  await failover.getByRole("button", { name: "Reject" }).click();
  await page.getByText("Nothing waits for approval.").waitFor();

  await page.getByLabel("State").selectOption("");
  await reboot.getByTestId("decision").filter({ hasText: "approved by user:dashboard" }).waitFor();
  await failover.getByTestId("decision").filter({ hasText: "rejected by user:dashboard" }).waitFor();
  const stored = await json(`/api/approvals/APR-${actionIds[0]}`);
  assert.equal(stored.state, "approved");
  assert.equal(stored.reason, "e2e: change window agreed");
  const audit = await json("/api/audit-logs?action=approval.rejected");
  assert.equal(audit[0].target, actionIds[1]);
  assert.equal((await json(`/api/actions/${actionIds[0]}`)).approved_by, "user:dashboard");
  assert.equal(audit[0].reason, "e2e: not during business hours");
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("silences: a bad regex is refused naming the field; create one, see it active, expire it", async () => {
  const page = await newPage();
  await page.goto(`${base}/silences`);
  await page.getByRole("heading", { name: "Silences" }).waitFor();
  await page.getByText("No silences.").waitFor();
  const form = page.getByRole("form", { name: "New silence" });
  await form.getByLabel("Tenant").fill("acme");
  const matcher = form.getByRole("group", { name: "Matcher 1" });
  await matcher.getByLabel("Label").fill("host");
  await matcher.getByLabel("Operator").selectOption("=~");
  await matcher.getByLabel("Value").fill("db-(01");
  await form.getByLabel("Comment").fill("e2e kernel patch window");
  await form.getByLabel("Created by").fill("user:e2e");
  await form.getByRole("button", { name: "Create silence" }).click();
  await form.getByRole("alert").filter({ hasText: "matchers[0].value: invalid regex" }).waitFor();
  assert.deepEqual(await json("/api/silences"), []);
  page.errors.length = 0; // the 422 itself is logged by the browser as a failed request

  await matcher.getByLabel("Value").fill("db-0[1-3]");
  await form.getByRole("button", { name: "Create silence" }).click();
  const row = page.getByTestId("silence-row").filter({ hasText: 'host=~"db-0[1-3]"' });
  await row.waitFor();
  assert.equal(await row.locator(".badge").innerText(), "active");
  const [stored] = await json("/api/silences?state=current");
  assert.equal(stored.comment, "e2e kernel patch window");
  assert.deepEqual(stored.matchers, [{ name: "host", op: "=~", value: "db-0[1-3]" }]);

  await row.getByRole("button", { name: "Expire" }).click();
  await page.getByText("No silences.").waitFor();
  await page.getByLabel("Only current").uncheck();
  await page.getByTestId("silence-row").locator(".badge-expired").waitFor();
  assert.equal((await json(`/api/silences/${stored.id}`)).status.state, "expired");
  await page.close();
});

test("audit logs: entries, filters, CSV of every page, and a tampered entry named by the chain check", async () => {
  await fetch(`${base}/api/kill-switch`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ active: true, reason: "e2e freeze", actor: "user:e2e" }),
  });
  const page = await newPage();
  await page.goto(base);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit Logs" }).click();
  await page.getByRole("heading", { name: "Audit Logs" }).waitFor();
  const total = (await json("/api/audit-logs?limit=500")).length;
  assert.ok(total >= 7, `approvals, silences and the kill switch are audited (${total} entries)`);
  await page.getByTestId("chain-status").filter({ hasText: `Chain intact: ${total} entries verified` }).waitFor();
  await page.getByTestId("audit-row").filter({ hasText: "kill_switch.activate" }).waitFor();

  await page.getByLabel("Action").fill("approval.approved");
  await page.getByTestId("audit-row").filter({ hasText: "e2e: change window agreed" }).waitFor();
  await waitFor(async () => (await page.getByTestId("audit-row").count()) === 1, "the filtered page");
  await page.getByLabel("Action").fill("");

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: /Export CSV/ }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^audit_logs_\d{4}-\d{2}-\d{2}\.csv$/);
  const [header, ...rows] = parseCsv(readFileSync(await download.path(), "utf8"));
  assert.deepEqual(header.slice(0, 7), ["id", "time", "agent", "action", "target", "status", "incident_id"]);
  const api = await json("/api/audit-logs?limit=500");
  assert.deepEqual(rows.map((row) => row[0]), api.map((entry) => entry.id));
  assert.deepEqual(rows.map((row) => row[header.indexOf("hash")]), api.map((entry) => entry.hash));

  const victim = api.find((entry) => entry.action === "approval.rejected");
  execFileSync(PYTHON, ["-c", TAMPER, kbPath, victim.id], { cwd: REPO, stdio: "inherit" });
  await page.getByRole("button", { name: "Verify chain" }).click();
  await page.getByTestId("chain-status").filter({ hasText: `Chain broken: first broken entry ${victim.id}` }).waitFor();
  assert.deepEqual(await json("/api/audit-logs/verify"), { ok: false, entries: total, firstBroken: victim.id, unchained: 0 });
  assert.deepEqual(page.errors, []);
  await page.close();
});
