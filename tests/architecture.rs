//! The layers of `docs/architecture.md`, held: every source file of a layer
//! imports only the layers it may use, and the core layers name none of
//! the command line's or the protocol's crates.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use std::path::{Path, PathBuf};

/// Each layer and the tensen layers it may use.
const LAYERS: &[(&str, &[&str])] = &[
    ("syntax", &[]),
    ("iam", &[]),
    ("policy", &["syntax", "iam"]),
    ("check", &["syntax", "iam", "files"]),
    ("engine", &["syntax", "iam", "check", "files"]),
    ("testing", &["syntax", "iam", "check", "engine", "files"]),
    (
        "ide",
        &["syntax", "iam", "check", "engine", "testing", "files"],
    ),
    (
        "lsp",
        &[
            "syntax", "iam", "check", "engine", "testing", "ide", "files",
        ],
    ),
];

const ALL: &[&str] = &[
    "syntax", "iam", "policy", "check", "engine", "testing", "ide", "lsp", "cli", "files",
];

/// Crates only the command line and the language server may name.
const FRONT_END_CRATES: &[&str] = &["clap", "indicatif", "ctrlc", "tokio", "tower_lsp_server"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The layers a text names as `crate::LAYER` or in `crate::{LAYER, ...}`.
fn named_layers(text: &str) -> Vec<&'static str> {
    let grouped: Vec<&str> = text
        .match_indices("crate::{")
        .filter_map(|(i, m)| {
            let rest = &text[i + m.len()..];
            rest.find('}').map(|end| &rest[..end])
        })
        .flat_map(|inside| inside.split(','))
        .map(|item| item.trim().split("::").next().unwrap_or(""))
        .collect();
    ALL.iter()
        .copied()
        .filter(|layer| {
            let needle = format!("crate::{layer}");
            let direct = text.match_indices(&needle).any(|(i, _)| {
                // `crate::check` but not `crate::checked`.
                !text[i + needle.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
            });
            direct || grouped.contains(layer)
        })
        .collect()
}

#[test]
fn each_layer_imports_only_the_layers_before_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut problems = Vec::new();
    let mut checked = 0;
    for (layer, allowed) in LAYERS {
        let mut files = Vec::new();
        rust_files(&src.join(layer), &mut files);
        assert!(!files.is_empty(), "no files in src/{layer}");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            checked += 1;
            for named in named_layers(&text) {
                if named != *layer && !allowed.contains(&named) {
                    problems.push(format!(
                        "{}: the `{layer}` layer uses `crate::{named}`",
                        file.display()
                    ));
                }
            }
            if *layer != "lsp" {
                for krate in FRONT_END_CRATES {
                    if text.contains(&format!("{krate}::")) {
                        problems.push(format!(
                            "{}: the `{layer}` layer names `{krate}`",
                            file.display()
                        ));
                    }
                }
            }
        }
    }
    assert!(checked > 50, "only {checked} files read");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_checker_finds_a_crossing() {
    assert_eq!(named_layers("use crate::engine::run;"), vec!["engine"]);
    assert_eq!(named_layers("crate::checked()"), Vec::<&str>::new());
    assert_eq!(
        named_layers("use crate::{syntax::ast, check}; crate::syntax::ast"),
        vec!["syntax", "check"]
    );
}
