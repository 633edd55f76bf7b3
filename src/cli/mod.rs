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
mod import;
mod pretty;
mod run;
mod schema;
mod stream;
mod test;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

/// The version and the commit it was built from (`unknown` outside a git
/// checkout), as `--version` prints it.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("TENSEN_COMMIT"), ")");

#[derive(Parser)]
#[command(name = "tensen", version = VERSION, about = "Attack sequences and guardrails over AWS JSON", long_about = None)]
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
        /// Rule files or folders; `-` formats standard input to standard output.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Change nothing; list files that would change and exit 1 if any.
        #[arg(long, conflicts_with = "diff")]
        check: bool,
        /// Change nothing; print what would change as a unified diff and exit 1 if anything would.
        #[arg(long)]
        diff: bool,
    },
    /// List the built-in sources, or the fields of one.
    Schema {
        /// A source name, e.g. `cloudtrail`.
        source: Option<String>,
        /// Rule files or folders whose own `source` items to include.
        #[arg(long = "rules")]
        rules: Vec<PathBuf>,
    },
    /// Turn service or resource control policies (JSON) into the
    /// guardrails that preview them.
    Import {
        /// `scp` (scope principal) or `rcp` (scope resource).
        #[arg(value_enum)]
        kind: import::ImportKind,
        /// Policy documents, or `aws organizations describe-policy` output.
        #[arg(required = true, value_name = "POLICY")]
        policies: Vec<PathBuf>,
        /// Write the guardrails here (default: standard output).
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Compare two rulesets' guardrail decisions over the same records.
    Diff {
        /// The current rules (file or folder).
        #[arg(value_name = "OLD")]
        old: Option<PathBuf>,
        /// The changed rules (file or folder).
        #[arg(value_name = "NEW")]
        new: Option<PathBuf>,
        /// Record files or folders.
        #[arg(long, short, required = true, num_args = 1..)]
        input: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "pretty")]
        format: run::RunFormat,
        /// The organization's management account: exempt from guardrails.
        #[arg(long)]
        management_account: Option<String>,
        /// The organization, as for `run --org`.
        #[arg(long, value_name = "FILE")]
        org: Option<PathBuf>,
    },
    /// Show why a rule did or did not fire on one record.
    Explain {
        /// The signal or guardrail to explain.
        #[arg(value_name = "RULE")]
        rule: Option<String>,
        /// The record: FILE, FILE:LINE or FILE:LINE#INDEX (`-`: standard
        /// input).
        #[arg(long, allow_hyphen_values = true)]
        record: String,
        /// Rule files or folders.
        #[arg(long, default_value = ".", num_args = 1..)]
        rules: Vec<PathBuf>,
        /// For a sequence: only the key with this value (e.g. a user's ARN).
        #[arg(long)]
        key: Option<String>,
        /// The organization, as for `run --org` (IAM conditions on its id).
        #[arg(long, value_name = "FILE")]
        org: Option<PathBuf>,
    },
    /// Run rules over records: findings and guardrail decisions.
    Run(run::RunArgs),
    /// Run the `test` items of a ruleset, with snapshots of their outputs.
    Test(test::TestArgs),
    /// Serve the Language Server Protocol over stdio, for editors.
    #[cfg(feature = "lsp")]
    Lsp,
    /// Print a shell completion script, e.g. `tensen completions bash >
    /// ~/.local/share/bash-completion/completions/tensen`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `tensen man > tensen.1`.
    Man,
}

pub fn main() -> ExitCode {
    quiet_on_closed_pipe();
    let cli = Cli::parse();
    match cli.command {
        Command::Check {
            paths,
            format,
            deny_warnings,
            color,
        } => check::run(&paths, format, deny_warnings, color),
        Command::Import {
            kind,
            policies,
            output,
        } => import::run(kind, &policies, output.as_deref()),
        Command::Fmt { paths, check, diff } => fmt::run(
            &paths,
            match (check, diff) {
                (true, _) => fmt::Mode::Check,
                (_, true) => fmt::Mode::Diff,
                _ => fmt::Mode::Write,
            },
        ),
        Command::Diff {
            old,
            new,
            mut input,
            format,
            management_account,
            org,
        } => {
            let mut named = old.into_iter().chain(new).collect::<Vec<_>>();
            if named.len() < 2 {
                named.extend(take_rule_paths(&mut input));
            }
            let [old, new] =
                <[PathBuf; 2]>::try_from(named).unwrap_or_else(|_| missing("diff", "<OLD> <NEW>"));
            if input.is_empty() {
                missing("diff", "--input <PATHS>...");
            }
            diff::run(
                &old,
                &new,
                &input,
                format,
                management_account,
                org.as_deref(),
            )
        }
        Command::Explain {
            rule,
            record,
            mut rules,
            key,
            org,
        } => {
            // `--rules r/ RULE`: the rule name is the last word, not a path.
            let rule = rule.or_else(|| match rules.last() {
                Some(last) if rules.len() > 1 && !last.exists() => {
                    rules.pop().map(|r| r.to_string_lossy().into_owned())
                }
                _ => None,
            });
            let rule = rule.unwrap_or_else(|| missing("explain", "<RULE>"));
            explain::run(&rule, &rules, &record, key.as_deref(), org.as_deref())
        }
        Command::Schema { source, rules } => schema::run(source.as_deref(), &rules),
        Command::Run(mut args) => {
            if args.rules.is_empty() {
                args.rules = take_rule_paths(&mut args.input);
            }
            if args.rules.is_empty() {
                missing("run", "<RULES>...");
            }
            if args.input.is_empty() {
                missing("run", "--input <PATHS>...");
            }
            run::run(args)
        }
        Command::Completions { shell } => {
            // What `clap_complete::generate` does, with the write's error
            // returned rather than a panic.
            let mut cmd = Cli::command();
            cmd.set_bin_name("tensen");
            cmd.build();
            let written =
                clap_complete::Generator::try_generate(&shell, &cmd, &mut std::io::stdout().lock());
            written.map_or_else(|e| write_error(&e), |()| ExitCode::SUCCESS)
        }
        Command::Man => clap_mangen::Man::new(Cli::command())
            .render(&mut std::io::stdout().lock())
            .map_or_else(|e| write_error(&e), |()| ExitCode::SUCCESS),
        Command::Test(args) => test::run(&args),
        #[cfg(feature = "lsp")]
        Command::Lsp => match crate::lsp::serve_stdio() {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
    }
}

/// A reader that stopped reading (`tensen check rules/ | head -3`) ends the
/// command quietly with 0, as for other Unix tools: printing to a closed
/// pipe fails, and the standard printing macros panic on failure; this
/// hook turns exactly that panic into the exit, and leaves others alone.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

/// Whether a write failed because the reader went away.
pub fn closed_pipe(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::BrokenPipe
}

/// The exit of a command whose output could not be written: quiet and 0
/// when the reader went away (`| head`), 2 (an I/O failure) otherwise.
pub(super) fn write_error(e: &std::io::Error) -> ExitCode {
    if closed_pipe(e) {
        return ExitCode::SUCCESS;
    }
    eprintln!("error: cannot write the output: {e}");
    ExitCode::from(2)
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

/// The positional rule paths that `--input` swallowed, when they are
/// missing: `--input` takes every word up to the next flag (so that a
/// shell glob works), and `tensen run --input logs/ rules/` means the rules
/// to be `rules/`. They are the values from the first one that is a rule
/// path (a `.tsn` file, or a folder with one below it) on.
fn take_rule_paths(values: &mut Vec<PathBuf>) -> Vec<PathBuf> {
    match values
        .iter()
        .position(|p| crate::check::load::is_rule_path(p))
    {
        Some(first) => values.split_off(first),
        None => Vec::new(),
    }
}

/// Usage error for missing required arguments of subcommand `sub`, as
/// clap reports its own (exit code 2).
fn missing(sub: &str, what: &str) -> ! {
    let mut cli = Cli::command();
    cli.build();
    let command = cli.find_subcommand(sub).cloned().unwrap_or(cli);
    command
        .bin_name(format!("tensen {sub}"))
        .error(
            clap::error::ErrorKind::MissingRequiredArgument,
            format!("the following required arguments were not provided:\n  {what}"),
        )
        .exit()
}
