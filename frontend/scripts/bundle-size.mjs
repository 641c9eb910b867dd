// Prints the gzip size of the JavaScript the initial route loads and fails above the budget.
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";

const BUDGET_KB = 250;
const dist = new URL("../dist/", import.meta.url).pathname;
const html = readFileSync(join(dist, "index.html"), "utf8");
const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
let total = 0;
for (const file of initial) total += gzipSync(readFileSync(join(dist, file))).length;
const all = readdirSync(join(dist, "assets")).filter((f) => f.endsWith(".js"));
const kb = total / 1024;
console.log(`initial route JS: ${kb.toFixed(1)} KB gzip in ${initial.length} file(s) (${all.length} chunks in all; budget ${BUDGET_KB} KB)`);
if (kb > BUDGET_KB) {
  console.error("over budget");
  process.exit(1);
}
