// package.json, the grammar and the language configuration agree with the
// code and with each other.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { LANGUAGE_ID, RESTART_COMMAND, RUN_TESTS_COMMAND, TASK_TYPE } from "../../src/logic";

// The bundle runs from out/unit/, two folders below the extension.
const root = join(__dirname, "..", "..");
const json = (file: string) => JSON.parse(readFileSync(join(root, file), "utf8"));
const manifest = json("package.json");

describe("package.json", () => {
  it("contributes the tensen language for .tsn with its grammar", () => {
    const lang = manifest.contributes.languages.find((l: { id: string }) => l.id === LANGUAGE_ID);
    assert.deepEqual(lang.extensions, [".tsn"]);
    const grammar = manifest.contributes.grammars[0];
    assert.equal(grammar.language, LANGUAGE_ID);
    assert.equal(grammar.scopeName, "source.tensen");
    assert.equal(json(grammar.path).scopeName, "source.tensen");
    json(lang.configuration);
  });

  it("declares the commands the code registers", () => {
    const commands = manifest.contributes.commands.map((c: { command: string }) => c.command);
    assert.deepEqual(commands.sort(), [RESTART_COMMAND, RUN_TESTS_COMMAND].sort());
    assert.equal(manifest.contributes.taskDefinitions[0].type, TASK_TYPE);
  });

  it("declares the settings", () => {
    const props = manifest.contributes.configuration.properties;
    assert.equal(props["tensen.path"].default, "tensen");
    assert.deepEqual(props["tensen.trace.server"].enum, ["off", "messages", "verbose"]);
    assert.equal(props["tensen.trace.server"].default, "off");
  });

  it("ships the bundle as its entry point", () => {
    assert.equal(manifest.main, "./dist/extension.js");
    assert.equal(manifest.publisher, "tensen");
  });
});

describe("language-configuration.json", () => {
  const conf = json("language-configuration.json");
  it("has the comment markers, brackets and quote pairs", () => {
    assert.deepEqual(conf.comments, { lineComment: "//", blockComment: ["/*", "*/"] });
    assert.deepEqual(conf.brackets, [["{", "}"], ["[", "]"], ["(", ")"]]);
    const pairs = conf.autoClosingPairs.map((p: { open: string; close: string }) => p.open + p.close);
    for (const p of ["{}", "[]", "()", '""']) {
      assert.ok(pairs.includes(p), p);
    }
    assert.ok(conf.folding.markers.start && conf.folding.markers.end);
  });
});
