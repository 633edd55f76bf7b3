import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as vscode from "vscode";
import {
  clientOptions,
  createErrorHandler,
  CrashPolicy,
  readSettings,
  RESTART_MESSAGE,
  serverOptions,
  startFailureMessage,
  testTarget,
  testTaskFor,
  type Actions,
} from "../../src/logic";

function config(values: Record<string, unknown>) {
  return { get: <T>(key: string) => values[key] as T | undefined };
}

describe("settings and server options", () => {
  it("defaults the binary to `tensen` on PATH", () => {
    assert.deepEqual(readSettings(config({})), { binary: "tensen" });
    assert.deepEqual(readSettings(config({ path: "" })), { binary: "tensen" });
    assert.deepEqual(readSettings(config({ path: "   " })), { binary: "tensen" });
  });

  it("takes tensen.path from the settings", () => {
    assert.deepEqual(readSettings(config({ path: " /opt/tensen/bin/tensen " })), {
      binary: "/opt/tensen/bin/tensen",
    });
  });

  it("starts `<binary> lsp` over stdio", () => {
    const exe = serverOptions({ binary: "/usr/local/bin/tensen" });
    assert.equal(exe.command, "/usr/local/bin/tensen");
    assert.deepEqual(exe.args, ["lsp"]);
    // No transport means stdio in vscode-languageclient.
    assert.equal(exe.transport, undefined);
    assert.deepEqual(serverOptions(readSettings(config({}))), { command: "tensen", args: ["lsp"] });
  });

  it("selects tensen documents", () => {
    assert.deepEqual(clientOptions().documentSelector, [{ language: "tensen" }]);
  });
});

describe("run tests in file", () => {
  const folder = {
    uri: vscode.Uri.file("/work/rules"),
    name: "rules",
    index: 0,
  } as vscode.WorkspaceFolder;
  const inFolder = (uri: vscode.Uri) => (uri.fsPath.startsWith("/work/rules/") ? folder : undefined);

  it("takes the code lens's URI string argument", () => {
    const uri = testTarget("file:///work/rules/login%20tests.tsn", undefined);
    assert.ok(uri);
    assert.equal(uri.fsPath, "/work/rules/login tests.tsn");
  });

  it("uses the active tensen editor when called without an argument", () => {
    const active = { uri: vscode.Uri.file("/work/rules/a.tsn"), languageId: "tensen" };
    assert.equal(testTarget(undefined, active), active.uri);
    assert.equal(testTarget(undefined, { uri: vscode.Uri.file("/x/a.rs"), languageId: "rust" }), undefined);
    assert.equal(testTarget(undefined, undefined), undefined);
  });

  it("runs `tensen test FOLDER --file FILE --color always` for a code lens", () => {
    const uri = testTarget("file:///work/rules/sub/login.tsn", undefined)!;
    const task = testTaskFor(uri, "tensen", inFolder);
    const exec = task.execution as vscode.ProcessExecution;
    assert.ok(exec instanceof vscode.ProcessExecution);
    assert.equal(exec.process, "tensen");
    assert.deepEqual(exec.args, [
      "test",
      "/work/rules",
      "--file",
      "/work/rules/sub/login.tsn",
      "--color",
      "always",
    ]);
    assert.equal(exec.options?.cwd, "/work/rules");
    assert.equal(task.scope, folder);
    assert.equal(task.source, "tensen");
    assert.deepEqual(task.definition, { type: "tensen", file: "/work/rules/sub/login.tsn" });
    assert.equal(task.presentationOptions.reveal, vscode.TaskRevealKind.Always);
  });

  it("uses the configured binary and the active editor from the palette", () => {
    const active = { uri: vscode.Uri.file("/work/rules/b.tsn"), languageId: "tensen" };
    const task = testTaskFor(testTarget(undefined, active)!, "/opt/tensen", inFolder);
    const exec = task.execution as vscode.ProcessExecution;
    assert.equal(exec.process, "/opt/tensen");
    assert.deepEqual(exec.args, ["test", "/work/rules", "--file", "/work/rules/b.tsn", "--color", "always"]);
  });

  it("loads the file's own folder when it is in no workspace folder", () => {
    const uri = vscode.Uri.file("/tmp/loose/x.tsn");
    const task = testTaskFor(uri, "tensen", inFolder);
    const exec = task.execution as vscode.ProcessExecution;
    assert.deepEqual(exec.args, ["test", "/tmp/loose", "--file", "/tmp/loose/x.tsn", "--color", "always"]);
    assert.equal(exec.options?.cwd, "/tmp/loose");
    assert.equal(task.scope, vscode.TaskScope.Workspace);
  });
});

describe("crash policy and error handler", () => {
  const actions = {
    close: { DoNotRestart: 1, Restart: 2 },
    error: { Continue: 1, Shutdown: 2 },
  } as unknown as Actions;

  function setup(max = 5, windowMs = 180_000) {
    let now = 1_000_000;
    const shown: string[] = [];
    const policy = new CrashPolicy(max, windowMs, () => now);
    const handler = createErrorHandler(
      policy,
      { warn: (m) => shown.push(`warn: ${m}`), error: (m) => shown.push(`error: ${m}`) },
      actions,
    );
    return { handler, policy, shown, advance: (ms: number) => (now += ms) };
  }

  it("restarts a crashed server with a visible warning", async () => {
    const { handler, shown } = setup();
    const result = await handler.closed();
    assert.equal(result.action, actions.close.Restart);
    assert.equal(result.handled, true);
    assert.deepEqual(shown, [`warn: ${RESTART_MESSAGE}`]);
    assert.equal(RESTART_MESSAGE, "tensen language server stopped; restarting");
  });

  it("gives up after 5 crashes within 3 minutes, with an error", async () => {
    const { handler, shown, advance } = setup();
    for (let i = 0; i < 4; i++) {
      assert.equal((await handler.closed()).action, actions.close.Restart);
      advance(30_000);
    }
    const last = await handler.closed();
    assert.equal(last.action, actions.close.DoNotRestart);
    assert.equal(shown.length, 5);
    assert.ok(shown.slice(0, 4).every((m) => m.startsWith("warn: ")));
    assert.match(shown[4], /^error: tensen language server crashed 5 times in the last 3 minutes/);
  });

  it("forgets crashes older than the window", async () => {
    const { handler, advance } = setup();
    for (let i = 0; i < 20; i++) {
      assert.equal((await handler.closed()).action, actions.close.Restart, `crash ${i + 1}`);
      advance(50_000); // 4 crashes per 200 s: never 5 within 180 s
    }
  });

  it("starts counting again after a manual restart", async () => {
    const { handler, policy } = setup(2, 60_000);
    assert.equal((await handler.closed()).action, actions.close.Restart);
    assert.equal((await handler.closed()).action, actions.close.DoNotRestart);
    policy.reset();
    assert.equal((await handler.closed()).action, actions.close.Restart);
  });

  it("continues on transport errors unless they repeat", async () => {
    const { handler } = setup();
    assert.equal((await handler.error(new Error("x"), undefined, 1)).action, actions.error.Continue);
    assert.equal((await handler.error(new Error("x"), undefined, 4)).action, actions.error.Shutdown);
  });

  it("explains a missing binary", () => {
    const err = Object.assign(new Error("spawn tensen ENOENT"), { code: "ENOENT" });
    const msg = startFailureMessage("tensen", err);
    assert.match(msg, /`tensen lsp`/);
    assert.match(msg, /cargo install --path \./);
    assert.match(msg, /tensen\.path/);
    assert.doesNotMatch(startFailureMessage("tensen", new Error("boom")), /cargo install/);
  });
});
