//! The editor packages in `editors/` and the paste blocks in their docs name
//! the right binary (`tensen lsp`), file extension, scope and grammar, and
//! the VS Code command is the one the server's code lens calls. (The
//! grammars themselves are tested by `editors/*/test.sh`.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use std::path::{Path, PathBuf};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The binary's name, as cargo builds it.
fn binary() -> String {
    Path::new(env!("CARGO_BIN_EXE_tensen"))
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .to_string()
}

/// The fenced blocks of one language in a Markdown file.
fn blocks(markdown: &str, lang: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        match &mut current {
            None if trimmed == format!("```{lang}") => current = Some(String::new()),
            Some(_) if trimmed == "```" => out.extend(current.take()),
            Some(b) => {
                b.push_str(trimmed);
                b.push('\n');
            }
            None => {}
        }
    }
    out
}

/// The tree-sitter grammar's scope, file types and name.
fn tree_sitter() -> (String, Vec<String>, String) {
    let config: Value =
        serde_json::from_str(&read("editors/tree-sitter-tensen/tree-sitter.json")).unwrap();
    let g = &config["grammars"][0];
    let types = g["file-types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    (
        g["scope"].as_str().unwrap().to_string(),
        types,
        g["name"].as_str().unwrap().to_string(),
    )
}

#[test]
fn the_server_the_packages_start_exists() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tensen"))
        .args(["lsp", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Language Server Protocol over stdio"));
}

#[test]
fn tree_sitter_grammar_is_tensen_for_tsn_files() {
    let (scope, types, name) = tree_sitter();
    assert_eq!((scope.as_str(), name.as_str()), ("source.tensen", "tensen"));
    assert_eq!(types, ["tsn"]);
    assert!(read("editors/tree-sitter-tensen/grammar.js").contains("name: 'tensen'"));
}

/// Checks one Helix `languages.toml` text.
fn check_helix(text: &str, what: &str) {
    let doc: toml::Table = toml::from_str(text).unwrap_or_else(|e| panic!("{what}: {e}"));
    let lang = &doc["language"].as_array().unwrap()[0];
    let (scope, types, grammar) = tree_sitter();
    assert_eq!(lang["name"].as_str(), Some("tensen"), "{what}");
    assert_eq!(lang["scope"].as_str(), Some(scope.as_str()), "{what}");
    let file_types: Vec<&str> = lang["file-types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(file_types, types, "{what}");
    assert_eq!(lang["comment-token"].as_str(), Some("//"), "{what}");
    assert_eq!(
        lang["language-servers"].as_array().unwrap()[0].as_str(),
        Some("tensen")
    );
    let server = &doc["language-server"]["tensen"];
    assert_eq!(
        server["command"].as_str(),
        Some(binary().as_str()),
        "{what}"
    );
    assert_eq!(
        server["args"].as_array().unwrap()[0].as_str(),
        Some("lsp"),
        "{what}"
    );
    let g = &doc["grammar"].as_array().unwrap()[0];
    assert_eq!(g["name"].as_str(), Some(grammar.as_str()), "{what}");
    let source = g["source"].as_table().unwrap();
    let folder = source
        .get("subpath")
        .or_else(|| source.get("path"))
        .and_then(|v| v.as_str())
        .unwrap();
    assert!(
        folder.ends_with("editors/tree-sitter-tensen"),
        "{what}: {folder}"
    );
}

#[test]
fn helix_config_and_its_paste_blocks_name_the_server_extension_and_grammar() {
    check_helix(&read("editors/helix/languages.toml"), "languages.toml");
    for doc in ["editors/helix/README.md", "docs/editors.md"] {
        let found = blocks(&read(doc), "toml");
        assert_eq!(found.len(), 1, "{doc}");
        check_helix(&found[0], doc);
    }
    // The queries Helix is told to copy exist, with its own indents.
    for q in ["highlights", "injections", "locals", "indents"] {
        assert!(
            root()
                .join(format!("editors/helix/queries/tensen/{q}.scm"))
                .is_file(),
            "{q}"
        );
    }
}

/// Checks one Neovim Lua text that sets up the server (and maybe more).
fn check_nvim_server(text: &str, what: &str) {
    let cmd = format!("cmd = {{ \"{}\", \"lsp\" }}", binary());
    assert!(text.contains(&cmd), "{what} lacks {cmd}");
    assert!(text.contains("filetypes = { \"tensen\" }"), "{what}");
}

#[test]
fn neovim_lua_files_and_paste_blocks_are_valid_lua() {
    let mut checked = 0;
    let mut pending = vec![root().join("editors/nvim")];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "lua") {
                let text = std::fs::read_to_string(&path).unwrap();
                if let Err(errors) = full_moon::parse(&text) {
                    panic!("{}: {errors:?}", path.display());
                }
                checked += 1;
            }
        }
    }
    for doc in ["editors/nvim/README.md", "docs/editors.md"] {
        for block in blocks(&read(doc), "lua") {
            // A plugin-manager spec (`{ dir = ... },`) is an entry of a list.
            let code = if block.starts_with('{') {
                format!("return {{\n{block}}}")
            } else {
                block.clone()
            };
            if let Err(errors) = full_moon::parse(&code) {
                panic!("{doc}: {errors:?}\n{block}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 6, "{checked}");
}

#[test]
fn neovim_files_and_paste_blocks_name_the_server_extension_and_grammar() {
    let (_, types, _) = tree_sitter();
    let detect = read("editors/nvim/ftdetect/tensen.lua");
    assert!(
        detect.contains(&format!("extension = {{ {} = \"tensen\" }}", types[0])),
        "{detect}"
    );
    check_nvim_server(&read("editors/nvim/lsp/tensen.lua"), "lsp/tensen.lua");
    let plugin = read("editors/nvim/plugin/tensen.lua");
    check_nvim_server(&plugin, "plugin/tensen.lua");
    assert!(plugin.contains("location = \"editors/tree-sitter-tensen\""));
    for doc in ["editors/nvim/README.md", "docs/editors.md"] {
        let lua = blocks(&read(doc), "lua");
        let setup = lua
            .iter()
            .find(|b| b.contains("vim.lsp.config"))
            .unwrap_or_else(|| panic!("{doc}: no server block"));
        check_nvim_server(setup, doc);
        assert!(setup.contains("tsn = \"tensen\""), "{doc}");
    }
    // The runtimepath's queries are the grammar's own.
    for q in ["highlights", "folds", "indents", "injections", "locals"] {
        assert_eq!(
            read(&format!("editors/nvim/queries/tensen/{q}.scm")),
            read(&format!("editors/tree-sitter-tensen/queries/{q}.scm")),
            "{q}"
        );
    }
}

#[test]
fn vscode_package_is_tensen_for_tsn_with_the_code_lens_command() {
    let pkg: Value = serde_json::from_str(&read("editors/vscode/package.json")).unwrap();
    let c = &pkg["contributes"];
    let (scope, types, _) = tree_sitter();
    assert_eq!(c["languages"][0]["id"], "tensen");
    assert_eq!(
        c["languages"][0]["extensions"],
        serde_json::json!([format!(".{}", types[0])])
    );
    assert_eq!(c["grammars"][0]["scopeName"], scope.as_str());
    // The grammar file it names is that scope's grammar.
    let grammar_path = c["grammars"][0]["path"].as_str().unwrap();
    let grammar: Value = serde_json::from_str(&read(&format!(
        "editors/vscode/{}",
        grammar_path.trim_start_matches("./")
    )))
    .unwrap();
    assert_eq!(grammar["scopeName"], scope.as_str());
    // The server's code lens calls a command the package contributes.
    let commands: Vec<&str> = c["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["command"].as_str().unwrap())
        .collect();
    assert!(
        commands.contains(&tensen::lsp::RUN_TESTS_COMMAND),
        "{commands:?}"
    );
    let logic = read("editors/vscode/src/logic.ts");
    assert!(logic.contains(&format!(
        "RUN_TESTS_COMMAND = \"{}\"",
        tensen::lsp::RUN_TESTS_COMMAND
    )));
    // It starts `tensen lsp` by default.
    assert_eq!(
        c["configuration"]["properties"]["tensen.path"]["default"],
        binary().as_str()
    );
    assert!(logic.contains("args: [\"lsp\"]"), "{logic}");
}
