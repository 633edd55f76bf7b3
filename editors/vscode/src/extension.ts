// Entry point: starts `tensen lsp` and registers the commands. The logic
// lives in logic.ts, where it is unit-tested.

import * as vscode from "vscode";
import { CloseAction, ErrorAction, LanguageClient } from "vscode-languageclient/node";
import {
  clientOptions,
  createErrorHandler,
  CrashPolicy,
  LANGUAGE_ID,
  readSettings,
  RESTART_COMMAND,
  RUN_TESTS_COMMAND,
  serverOptions,
  startFailureMessage,
  testTarget,
  testTaskFor,
} from "./logic";

let client: LanguageClient | undefined;
const policy = new CrashPolicy();

function settings() {
  return readSettings(vscode.workspace.getConfiguration(LANGUAGE_ID));
}

async function startClient(): Promise<void> {
  const current = settings();
  const options = clientOptions();
  options.errorHandler = createErrorHandler(
    policy,
    {
      warn: (m) => void vscode.window.showWarningMessage(m),
      error: (m) => void vscode.window.showErrorMessage(m),
    },
    { close: CloseAction, error: ErrorAction },
  );
  const next = new LanguageClient(LANGUAGE_ID, "tensen", serverOptions(current), options);
  client = next;
  try {
    await next.start();
  } catch (error) {
    void vscode.window.showErrorMessage(startFailureMessage(current.binary, error));
  }
}

async function stopClient(): Promise<void> {
  const old = client;
  client = undefined;
  if (old) {
    try {
      await old.stop();
    } catch {
      // A server that never started cannot be stopped; nothing to do.
    }
  }
}

async function restartServer(): Promise<void> {
  policy.reset();
  await stopClient();
  await startClient();
}

async function runTestsInFile(arg?: unknown): Promise<void> {
  const active = vscode.window.activeTextEditor?.document;
  const file = testTarget(arg, active);
  if (!file) {
    void vscode.window.showInformationMessage("tensen: open a .tsn file to run its tests.");
    return;
  }
  // The tests run from disk: save the file first if it has unsaved edits.
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === file.toString());
  if (open?.isDirty) {
    await open.save();
  }
  const task = testTaskFor(file, settings().binary, (uri) => vscode.workspace.getWorkspaceFolder(uri));
  await vscode.tasks.executeTask(task);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand(RUN_TESTS_COMMAND, runTestsInFile),
    vscode.commands.registerCommand(RESTART_COMMAND, restartServer),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${LANGUAGE_ID}.path`)) {
        void restartServer();
      }
    }),
  );
  await startClient();
}

export function deactivate(): Promise<void> {
  return stopClient();
}
