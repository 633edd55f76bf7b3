//! The command line: clap definitions and dispatch. Each command lives in
//! its own file and only calls the library; nothing here checks or
//! evaluates rules itself.
//!
//! Exit codes: 0 success, 1 the command's answer is "no" (errors found,
//! files would change), 2 the command could not run (bad usage, I/O).

mod check;
mod diff;
mod explain;
mod fmt;
mod pretty;
mod run;
mod schema;
mod stream;
mod test;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(name = "tensen", version, about = "Attack sequences and guardrails over AWS JSON", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Rendered like rustc, for people.
    Text,
    /// One JSON object per line, per diagnostic.
    Json,
    /// A SARIF 2.1.0 log, for GitHub code scanning.
    Sarif,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand)]
enum Command {
    /// Check rule files and print every problem.
    Check {
        /// Rule files or folders (every `*.tsn` below them forms one ruleset).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Fail on warnings too.
        #[arg(long)]
        deny_warnings: bool,
        #[arg(long, value_enum, default_value = "auto")]
        color: ColorChoice,
    },
    /// Rewrite rule files into the canonical layout.
    Fmt {
        /// Rule files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Change nothing; list files that would change and exit 1 if any.
        #[arg(long)]
        check: bool,
    },
    /// List the built-in sources, or the fields of one.
    Schema {
        /// A source name, e.g. `cloudtrail`.
        source: Option<String>,
        /// Rule files or folders whose own `source` items to include.
        #[arg(long = "rules")]
        rules: Vec<PathBuf>,
    },
    /// Compare two rulesets' guardrail decisions over the same records.
    Diff {
        /// The current rules (file or folder).
        old: PathBuf,
        /// The changed rules (file or folder).
        new: PathBuf,
        /// Record files or folders.
        #[arg(long, short, required = true, num_args = 1..)]
        input: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "pretty")]
        format: run::RunFormat,
        /// The organization's management account: exempt from guardrails.
        #[arg(long)]
        management_account: Option<String>,
    },
    /// Show why a rule did or did not fire on one record.
    Explain {
        /// The signal or guardrail to explain.
        rule: String,
        /// The record: FILE, FILE:LINE or FILE:LINE#INDEX.
        #[arg(long)]
        record: String,
        /// Rule files or folders.
        #[arg(long, default_value = ".", num_args = 1..)]
        rules: Vec<PathBuf>,
    },
    /// Run rules over records: findings and guardrail decisions.
    Run(run::RunArgs),
    /// Run the `test` items of a ruleset, with snapshots of their outputs.
    Test(test::TestArgs),
    /// Serve the Language Server Protocol over stdio, for editors.
    #[cfg(feature = "lsp")]
    Lsp,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check {
            paths,
            format,
            deny_warnings,
            color,
        } => check::run(&paths, format, deny_warnings, color),
        Command::Fmt { paths, check } => fmt::run(&paths, check),
        Command::Diff {
            old,
            new,
            input,
            format,
            management_account,
        } => diff::run(&old, &new, &input, format, management_account),
        Command::Explain {
            rule,
            record,
            rules,
        } => explain::run(&rule, &rules, &record),
        Command::Schema { source, rules } => schema::run(source.as_deref(), &rules),
        Command::Run(args) => run::run(args),
        Command::Test(args) => test::run(&args),
        #[cfg(feature = "lsp")]
        Command::Lsp => match crate::lsp::serve_stdio() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
    }
}

/// Whether to color output for stderr.
pub fn use_color(choice: ColorChoice) -> bool {
    use std::io::IsTerminal;
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    }
}

/// Loads and checks the rules a command runs. On errors, prints them and
/// `refusal` and returns `None`; warnings are printed if `show_warnings`.
pub fn load_rules(
    paths: &[PathBuf],
    color: bool,
    show_warnings: bool,
    refusal: &str,
) -> Option<crate::check::Analysis> {
    load_ruleset(paths, color, show_warnings, refusal).map(|(_, a)| a)
}

/// [`load_rules`], with the sources the analysis refers to.
pub fn load_ruleset(
    paths: &[PathBuf],
    color: bool,
    show_warnings: bool,
    refusal: &str,
) -> Option<(crate::check::Sources, crate::check::Analysis)> {
    use crate::check::{self, load, render, Severity};
    let (sources, mut diags) = load::load_paths(paths);
    let analysis = check::analyze(&sources);
    diags.extend(analysis.diagnostics.iter().cloned());
    check::sort_diagnostics(&mut diags);
    if diags.iter().any(|d| d.severity == Severity::Error) {
        eprint!("{}", render::terminal(&diags, &sources, color));
        eprintln!("{refusal}");
        return None;
    }
    if show_warnings && !diags.is_empty() {
        eprint!("{}", render::terminal(&diags, &sources, color));
    }
    Some((sources, analysis))
}
