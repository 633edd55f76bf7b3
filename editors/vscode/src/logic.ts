// The extension's decisions, as small functions that the unit tests call
// with a stubbed `vscode` module (test/stub/vscode.ts). extension.ts only
// wires them to VS Code and the language client.

import * as path from "path";
import * as vscode from "vscode";
import type {
  CloseAction,
  CloseHandlerResult,
  ErrorAction,
  ErrorHandler,
  ErrorHandlerResult,
  Executable,
  LanguageClientOptions,
} from "vscode-languageclient/node";

export const LANGUAGE_ID = "tensen";
export const RUN_TESTS_COMMAND = "tensen.runTestsInFile";
export const RESTART_COMMAND = "tensen.restartServer";
export const TASK_TYPE = "tensen";
export const DEFAULT_BINARY = "tensen";

/** The part of a `WorkspaceConfiguration` the extension reads. */
export interface ConfigSource {
  get<T>(section: string): T | undefined;
}

export interface Settings {
  /** The tensen binary: a path, or a name looked up on PATH. */
  binary: string;
}

/** Reads the `tensen` settings; an unset or blank `tensen.path` means `tensen` on PATH. */
export function readSettings(config: ConfigSource): Settings {
  const value = config.get<string>("path");
  const binary = typeof value === "string" && value.trim() !== "" ? value.trim() : DEFAULT_BINARY;
  return { binary };
}

/** How to start the server: `<binary> lsp`, speaking LSP over stdio (the default transport). */
export function serverOptions(settings: Settings): Executable {
  return { command: settings.binary, args: ["lsp"] };
}

/** The client options, without the error handler (see `createErrorHandler`). */
export function clientOptions(): LanguageClientOptions {
  return {
    documentSelector: [{ language: LANGUAGE_ID }],
  };
}

/**
 * The file whose tests to run. A code lens passes the document's URI as a
 * string; the palette passes nothing, and then the active editor's document
 * is used if it is a tensen file.
 */
export function testTarget(
  arg: unknown,
  activeDocument: { uri: vscode.Uri; languageId: string } | undefined,
): vscode.Uri | undefined {
  if (typeof arg === "string" && arg !== "") {
    return vscode.Uri.parse(arg);
  }
  if (arg instanceof vscode.Uri) {
    return arg;
  }
  if (activeDocument && activeDocument.languageId === LANGUAGE_ID) {
    return activeDocument.uri;
  }
  return undefined;
}

/**
 * The task that runs the tests written in `file`, with the whole ruleset of
 * its workspace folder loaded (or of the file's own folder, outside any
 * workspace folder): `tensen test ROOT --file FILE --color always`.
 */
export function testTaskFor(
  file: vscode.Uri,
  binary: string,
  folderOf: (uri: vscode.Uri) => vscode.WorkspaceFolder | undefined,
): vscode.Task {
  const folder = folderOf(file);
  const root = folder ? folder.uri.fsPath : path.dirname(file.fsPath);
  const execution = new vscode.ProcessExecution(
    binary,
    ["test", root, "--file", file.fsPath, "--color", "always"],
    { cwd: root },
  );
  const task = new vscode.Task(
    { type: TASK_TYPE, file: file.fsPath },
    folder ?? vscode.TaskScope.Workspace,
    `test ${path.basename(file.fsPath)}`,
    "tensen",
    execution,
    [],
  );
  task.presentationOptions = {
    reveal: vscode.TaskRevealKind.Always,
    panel: vscode.TaskPanelKind.Dedicated,
    clear: true,
    focus: false,
    showReuseMessage: false,
  };
  return task;
}

/**
 * Counts server crashes: the server is restarted unless it crashed
 * `maxCrashes` times within `windowMs`.
 */
export class CrashPolicy {
  private crashes: number[] = [];

  constructor(
    readonly maxCrashes = 5,
    readonly windowMs = 3 * 60 * 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a crash; true if the server should be restarted. */
  crashed(): boolean {
    const t = this.now();
    this.crashes = this.crashes.filter((c) => t - c < this.windowMs);
    this.crashes.push(t);
    return this.crashes.length < this.maxCrashes;
  }

  reset(): void {
    this.crashes = [];
  }
}

/** Where the error handler reports what it decided. */
export interface Notifier {
  warn(message: string): void;
  error(message: string): void;
}

/** The language client's actions; extension.ts passes the real enums. */
export interface Actions {
  close: { Restart: CloseAction; DoNotRestart: CloseAction };
  error: { Continue: ErrorAction; Shutdown: ErrorAction };
}

export const RESTART_MESSAGE = "tensen language server stopped; restarting";

export function giveUpMessage(policy: CrashPolicy): string {
  const minutes = Math.round(policy.windowMs / 60000);
  return (
    `tensen language server crashed ${policy.maxCrashes} times in the last ${minutes} minutes; ` +
    `it will not be restarted. See the "tensen" output, then run "tensen: Restart language server".`
  );
}

/**
 * The client's error handler: on a closed connection, restart with a
 * visible warning, or give up with an error once the policy says so.
 */
export function createErrorHandler(
  policy: CrashPolicy,
  notify: Notifier,
  actions: Actions,
): ErrorHandler {
  return {
    error(_error, _message, count): ErrorHandlerResult {
      // Transport errors: keep going unless they repeat; a dead server ends
      // in closed() anyway.
      if (count !== undefined && count > 3) {
        return { action: actions.error.Shutdown };
      }
      return { action: actions.error.Continue };
    },
    closed(): CloseHandlerResult {
      if (policy.crashed()) {
        notify.warn(RESTART_MESSAGE);
        return { action: actions.close.Restart, message: RESTART_MESSAGE, handled: true };
      }
      const message = giveUpMessage(policy);
      notify.error(message);
      return { action: actions.close.DoNotRestart, message, handled: true };
    },
  };
}

/** The message shown when the server cannot be started at all. */
export function startFailureMessage(binary: string, error: unknown): string {
  const detail = error instanceof Error ? error.message : String(error);
  const notFound = /ENOENT/.test(detail);
  const hint = notFound
    ? ` The binary was not found: install it with \`cargo install --path .\` from the tensen repository, or set \`tensen.path\`.`
    : "";
  return `Could not start the tensen language server (\`${binary} lsp\`): ${detail}.${hint}`;
}
