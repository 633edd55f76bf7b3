//! `tensen diff OLD NEW --input PATHS`: what a guardrail change would newly
//! deny, leave unknown, allow or decide, over recorded activity.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use super::run::RunFormat;
use crate::engine::diff::{diff, Change};
use crate::engine::read::list_inputs;
use crate::engine::rules::Engine;
use crate::engine::run::RunOptions;

fn engine_for(path: &PathBuf) -> Option<Engine> {
    let refusal = format!("`{}` has errors; nothing was compared", path.display());
    let analysis = super::load_rules(std::slice::from_ref(path), false, false, &refusal)?;
    Some(Engine::from_analysis(&analysis))
}

pub fn run(
    old: &PathBuf,
    new: &PathBuf,
    input: &[PathBuf],
    format: RunFormat,
    management_account: Option<String>,
    org: Option<&std::path::Path>,
) -> ExitCode {
    let organization = match super::run::read_org(org) {
        Ok(org) => org,
        Err(code) => return code,
    };
    let (Some(old_engine), Some(new_engine)) = (engine_for(old), engine_for(new)) else {
        return ExitCode::from(2);
    };
    let (inputs, errors) = list_inputs(input);
    for e in &errors {
        eprintln!("error: {e}");
    }
    if inputs.is_empty() {
        eprintln!("error: no input to read");
        return ExitCode::from(3);
    }
    if inputs
        .iter()
        .any(|i| matches!(i, crate::engine::read::Input::Stdin))
    {
        eprintln!("error: `diff` reads its input twice, once per ruleset, so it cannot read standard input");
        eprintln!("  help: save the records to a file and pass its path");
        return ExitCode::from(2);
    }
    let opts = RunOptions {
        source: None,
        management_account,
        organization,
        keep_allow: false,
        render_lines: false,
        whole_records: false,
    };
    let report = diff(&old_engine, &new_engine, &inputs, &opts, &opts);
    match format {
        RunFormat::Json => {
            for (g, n) in &report.groups {
                let (from, to) = g.change.from_to();
                let line = serde_json::json!({
                    "kind": "change",
                    "change": g.change.key(),
                    "from": from,
                    "to": to,
                    "guardrail": g.guardrail,
                    "principal": g.principal,
                    "action": g.action,
                    "account": g.account,
                    "count": n,
                });
                println!("{line}");
            }
        }
        RunFormat::Pretty => {
            let mut totals: BTreeMap<Change, usize> = BTreeMap::new();
            for (g, n) in &report.groups {
                *totals.entry(g.change).or_default() += n;
            }
            for change in Change::ALL {
                let total = totals.get(&change).copied().unwrap_or(0);
                println!(
                    "{}: {total} request{}",
                    change.words(),
                    if total == 1 { "" } else { "s" }
                );
                let groups: Vec<_> = report
                    .groups
                    .iter()
                    .filter(|(g, _)| g.change == change)
                    .collect();
                let mut accounts: BTreeMap<&str, usize> = BTreeMap::new();
                for (g, n) in &groups {
                    *accounts.entry(g.account.as_str()).or_default() += *n;
                }
                if accounts.len() > 1 {
                    let each: Vec<String> =
                        accounts.iter().map(|(a, n)| format!("{a}: {n}")).collect();
                    println!("  by account: {}", each.join(", "));
                }
                for (g, n) in groups {
                    println!(
                        "  {n:>6}  {}  {}  {}  account {}",
                        g.guardrail, g.principal, g.action, g.account
                    );
                }
            }
        }
    }
    eprintln!(
        "compared decisions over {} records ({} evaluated, {} rejected, {} unclaimed)",
        report.new.read, report.new.evaluated, report.new.rejected, report.new.unclaimed
    );
    ExitCode::SUCCESS
}
