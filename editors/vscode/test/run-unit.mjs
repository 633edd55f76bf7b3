// Bundles the unit tests with `vscode` aliased to test/stub/vscode.ts and
// runs them with Node's built-in test runner.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const outdir = join(root, "out", "unit");
const tests = readdirSync(join(root, "test", "unit"))
  .filter((f) => f.endsWith(".test.ts"))
  .map((f) => join(root, "test", "unit", f));
if (tests.length === 0) {
  console.error("no unit tests found");
  process.exit(1);
}
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: tests,
  outdir,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  alias: { vscode: join(root, "test", "stub", "vscode.ts") },
  logLevel: "warning",
});
const files = readdirSync(outdir).filter((f) => f.endsWith(".test.js")).map((f) => join(outdir, f));
const run = spawnSync(process.execPath, ["--test", "--test-reporter=spec", ...files], { stdio: "inherit" });
process.exit(run.status ?? 1);
