// A stand-in for the `vscode` module, just big enough for src/logic.ts.
// The unit tests are bundled with `vscode` aliased to this file.

import * as path from "path";

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly path: string,
  ) {}

  static file(fsPath: string): Uri {
    return new Uri("file", path.resolve(fsPath));
  }

  static parse(value: string): Uri {
    const m = /^([a-zA-Z][\w+.-]*):(?:\/\/[^/]*)?(.*)$/.exec(value);
    if (!m) {
      throw new Error(`not a URI: ${value}`);
    }
    return new Uri(m[1], decodeURIComponent(m[2]));
  }

  get fsPath(): string {
    return this.path;
  }

  toString(): string {
    return `${this.scheme}://${encodeURI(this.path)}`;
  }
}

export enum TaskScope {
  Global = 1,
  Workspace = 2,
}

export enum TaskRevealKind {
  Always = 1,
  Silent = 2,
  Never = 3,
}

export enum TaskPanelKind {
  Shared = 1,
  Dedicated = 2,
  New = 3,
}

export class ProcessExecution {
  constructor(
    readonly process: string,
    readonly args: string[],
    readonly options?: { cwd?: string },
  ) {}
}

export class Task {
  presentationOptions: Record<string, unknown> = {};
  constructor(
    readonly definition: { type: string; [key: string]: unknown },
    readonly scope: unknown,
    readonly name: string,
    readonly source: string,
    readonly execution: ProcessExecution,
    readonly problemMatchers: string[],
  ) {}
}
