//! `tensen schema`: the sources a ruleset can read, and their fields.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::check::{self, load, suggest};

pub fn run(source: Option<&str>, rules: &[PathBuf]) -> ExitCode {
    let sources = if rules.is_empty() {
        check::Sources::new()
    } else {
        let (sources, diags) = load::load_paths(rules);
        if !diags.is_empty() {
            let color = super::use_color(super::ColorChoice::Auto);
            eprint!(
                "{}",
                crate::check::render::terminal(&diags, &sources, color)
            );
        }
        // Warnings (a link loop skipped) leave the rules readable.
        if diags.iter().any(|d| d.severity == check::Severity::Error) {
            return ExitCode::from(2);
        }
        sources
    };
    let analysis = check::analyze(&sources);
    let mut out = std::io::stdout().lock();
    let result = match source {
        None => analysis.schemas.values().try_for_each(|s| {
            let first_line = first_sentence(s.doc.as_deref());
            let origin = if s.builtin { "" } else { " (ruleset)" };
            writeln!(out, "{:<12} {first_line}{origin}", s.name)
        }),
        Some(name) => {
            let Some(schema) = analysis.schemas.get(name) else {
                eprintln!("error: unknown source `{name}`");
                let help = suggest::did_you_mean(name, analysis.schemas.keys().map(String::as_str))
                    .unwrap_or_else(|| "`tensen schema` lists the sources".to_string());
                eprintln!("  help: {help}");
                return ExitCode::from(2);
            };
            (|| -> std::io::Result<()> {
                writeln!(out, "source {}", schema.name)?;
                if let Some(doc) = &schema.doc {
                    for line in doc.lines() {
                        writeln!(out, "  {line}")?;
                    }
                }
                writeln!(out)?;
                let fields = schema.fields();
                let width = fields
                    .iter()
                    .map(|(p, _, _)| p.len())
                    .max()
                    .unwrap_or(0)
                    .min(56);
                for (path, ty, doc) in fields {
                    let doc = first_sentence(doc.as_deref());
                    writeln!(out, "{path:<width$} {:<14} {doc}", ty.to_string())?;
                }
                Ok(())
            })()
        }
    };
    result.map_or_else(|e| super::write_error(&e), |()| ExitCode::SUCCESS)
}

/// The first sentence of a doc comment, on one line. A period ends it
/// only before a space, outside backticks and not after an abbreviation
/// (`e.g.`, `i.e.`, `etc.`, `vs.`) or a lone letter.
fn first_sentence(doc: Option<&str>) -> String {
    let joined = doc
        .unwrap_or("")
        .lines()
        .map(str::trim)
        .take_while(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let mut in_code = false;
    for (i, c) in joined.char_indices() {
        match c {
            '`' => in_code = !in_code,
            '.' if !in_code && joined.get(i + 1..).is_some_and(|r| r.starts_with(' ')) => {
                let before = joined.get(..i).unwrap_or("");
                let word = before.rsplit([' ', '(']).next().unwrap_or("");
                if !abbreviation(word) {
                    return joined.get(..=i).unwrap_or(&joined).to_string();
                }
            }
            _ => {}
        }
    }
    joined
}

/// Whether `word` before a period is an abbreviation, not a sentence end.
fn abbreviation(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "e.g" | "i.e" | "etc" | "vs" | "cf" | "incl" | "approx"
    ) || (word.chars().count() == 1 && word.chars().all(char::is_alphabetic))
}

#[cfg(test)]
mod tests {
    use super::first_sentence;

    #[test]
    fn a_sentence_goes_on_past_abbreviations_and_code() {
        let doc = "The API action, e.g. `ConsoleLogin`. More.";
        assert_eq!(
            first_sentence(Some(doc)),
            "The API action, e.g. `ConsoleLogin`."
        );
        let doc = "Keys (i.e. names) of `a. b` and so on. Second.";
        assert_eq!(
            first_sentence(Some(doc)),
            "Keys (i.e. names) of `a. b` and so on."
        );
        assert_eq!(
            first_sentence(Some("One line\nand the next. Two.")),
            "One line and the next."
        );
        assert_eq!(first_sentence(Some("No period")), "No period");
        assert_eq!(first_sentence(None), "");
    }
}
