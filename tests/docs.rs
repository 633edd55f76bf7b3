//! Documentation generated from the code stays in sync with it:
//! `docs/diagnostics.md` lists every diagnostic code. Run with
//! `TENSEN_UPDATE_DOCS=1` to rewrite it after adding a code.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use std::path::Path;

use tensen::check::{Code, Severity};

fn diagnostics_md() -> String {
    let mut out = String::from(
        "# Diagnostics\n\n\
         <!-- Generated from `src/check/diagnostic.rs` by `tests/docs.rs`; do not edit by hand. -->\n\n\
         Every problem `tensen check` reports has a stable code, shown in brackets in the\n\
         terminal (`[unknown-field] Warning: ...`), as `code` in `--format json` and as\n\
         `ruleId` in SARIF. Errors make `tensen check` exit 1; warnings do so only with\n\
         `--deny-warnings`. Each code has an example file with its rendered message in\n\
         `tests/check/` and `tests/snapshots/`.\n\n\
         | code | severity | meaning |\n|---|---|---|\n",
    );
    for code in Code::ALL {
        let sev = match code.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        out.push_str(&format!(
            "| `{}` | {sev} | {} |\n",
            code.as_str(),
            code.describe()
        ));
    }
    out
}

#[test]
fn diagnostics_doc_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/diagnostics.md");
    let expected = diagnostics_md();
    if std::env::var_os("TENSEN_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/diagnostics.md is stale; run `TENSEN_UPDATE_DOCS=1 cargo test --test docs`"
    );
}

/// The ```tensen blocks of a Markdown file, with the line each starts on.
fn tensen_blocks(markdown: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in markdown.lines().enumerate() {
        match &mut current {
            None if line.trim_end() == "```tensen" => current = Some((i + 2, String::new())),
            Some(_) if line.trim_end() == "```" => out.extend(current.take()),
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
            None => {}
        }
    }
    out
}

/// Every ```tensen block of the docs is in `tensen fmt` layout, and the
/// blocks of one page, taken together as a ruleset, check without errors.
#[test]
fn the_rules_shown_in_the_docs_parse_and_are_formatted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut docs: Vec<std::path::PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.push(root.join("README.md"));
    docs.sort();
    let mut seen = 0;
    let mut problems = Vec::new();
    for doc in &docs {
        let text = std::fs::read_to_string(doc).unwrap();
        let mut sources = tensen::Sources::new();
        let blocks = tensen_blocks(&text);
        for (line, block) in &blocks {
            sources.add(format!("{}:{line}", doc.display()), block.clone());
        }
        if !blocks.is_empty() {
            if let Err(d) = tensen::compile(&sources) {
                problems.push(tensen::check::render::terminal(&d.0, &sources, false));
            }
        }
        for (line, block) in blocks {
            seen += 1;
            let at = format!("{}:{line}", doc.strip_prefix(root).unwrap().display());
            match tensen::syntax::format::format_source(&block) {
                Err(errors) => problems.push(format!("{at}: does not parse: {errors:?}")),
                Ok(formatted) if formatted != block => problems.push(format!(
                    "{at}: not in `tensen fmt` layout; it would be:\n{formatted}"
                )),
                Ok(_) => {}
            }
        }
    }
    assert!(seen > 10, "{seen} blocks");
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// The table of condition keys in `docs/guardrails.md`, from the code.
fn condition_keys_md() -> (String, String) {
    use tensen::iam::condition::{KEYS, UNLOGGED};
    let mut table = String::from("| key | read from |\n|---|---|\n");
    for k in KEYS {
        table.push_str(&format!("| `{}` | {} |\n", k.name, k.how));
    }
    let unlogged: Vec<String> = UNLOGGED
        .iter()
        .map(|u| match u.strip_suffix('/') {
            Some(prefix) => format!("`{prefix}/...`"),
            None => format!("`{u}`"),
        })
        .collect();
    (table, unlogged.join(", "))
}

#[test]
fn condition_keys_doc_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/guardrails.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let (table, unlogged) = condition_keys_md();
    let start =
        "<!-- Generated from `src/iam/condition.rs` by `tests/docs.rs`; do not edit by hand. -->\n";
    let end = "<!-- end of generated table -->";
    let (Some(a), Some(b)) = (text.find(start), text.find(end)) else {
        panic!("docs/guardrails.md has lost its generated table's markers");
    };
    let lead = "not record, on which `condition` is always `unknown`:\n";
    let list_at = text.find(lead).map(|i| i + lead.len()).unwrap();
    let list_at = list_at + 1;
    let list_end = list_at
        + text[list_at..]
            .find(".\n\nKeys a record tells more")
            .unwrap();
    let mut expected = String::new();
    expected.push_str(&text[..a + start.len()]);
    expected.push_str(&table);
    expected.push_str(&text[b..list_at]);
    expected.push_str(&unlogged);
    expected.push_str(&text[list_end..]);
    for key in tensen::iam::condition::NOT_READ_YET {
        assert!(
            text.contains(&format!("`{key}`")),
            "docs/guardrails.md does not name {key}"
        );
    }
    if std::env::var_os("TENSEN_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    assert!(
        text == expected,
        "docs/guardrails.md's condition keys are stale; run `TENSEN_UPDATE_DOCS=1 cargo test --test docs`"
    );
}
