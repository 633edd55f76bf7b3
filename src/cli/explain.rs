//! `tensen explain`: each clause of a rule with the values it saw and its
//! truth value, over one record — why a rule did or did not fire.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::check;
use crate::engine::explain::explain;
use crate::engine::explain_sequence::explain_sequence;
use crate::engine::read::{list_inputs, read, Input};
use crate::engine::rules::Engine;
use crate::engine::value::Truth;

/// `FILE[:LINE][#INDEX]` (`FILE` `-`: standard input)
fn parse_record_arg(arg: &str) -> (PathBuf, Option<usize>, Option<usize>) {
    let (rest, index) = match arg.rsplit_once('#') {
        Some((r, i)) if i.parse::<usize>().is_ok() => (r, i.parse().ok()),
        _ => (arg, None),
    };
    match rest.rsplit_once(':') {
        Some((file, line)) if line.parse::<usize>().is_ok() => {
            (PathBuf::from(file), line.parse().ok(), index)
        }
        _ => (PathBuf::from(rest), None, index),
    }
}

fn mark(t: Truth) -> &'static str {
    match t {
        Truth::True => "true   ",
        Truth::False => "false  ",
        Truth::Unknown => "unknown",
    }
}

pub fn run(
    rule: &str,
    rules: &[PathBuf],
    record_arg: &str,
    key: Option<&str>,
    org: Option<&std::path::Path>,
) -> ExitCode {
    let org = match super::run::read_org(org) {
        Ok(org) => org,
        Err(code) => return code,
    };
    let Some(analysis) = super::load_rules(
        rules,
        false,
        false,
        "the rules have errors; nothing was explained",
    ) else {
        return ExitCode::from(2);
    };
    let engine = Engine::from_analysis(&analysis);
    let (file, line, index) = parse_record_arg(record_arg);
    if engine.sequences.iter().any(|s| &*s.name == rule) {
        if line.is_some() || index.is_some() {
            eprintln!("note: a sequence is explained over every record of the input, not one");
        }
        // Files and folders, as `run --input` reads them.
        let (inputs, errors) = list_inputs(&[file]);
        for e in &errors {
            eprintln!("warning: {e}");
        }
        let mut records = Vec::new();
        for input in &inputs {
            let batch = read(input);
            for e in &batch.errors {
                eprintln!("warning: {e}");
            }
            records.extend(batch.records);
        }
        return sequence(&engine, rule, records, key);
    }
    // `-` (or `-:LINE`): the records on standard input.
    let input = match file.to_str() {
        Some("-") => Input::Stdin,
        _ => Input::File(file),
    };
    let batch = read(&input);
    for e in &batch.errors {
        eprintln!("warning: {e}");
    }
    let candidates: Vec<_> = batch
        .records
        .iter()
        .filter(|(at, _)| line.is_none_or(|l| at.line == l))
        .filter(|(at, _)| index.is_none_or(|i| at.index == Some(i)))
        .collect();
    let Some((at, record)) = candidates.first() else {
        eprintln!("error: no record at `{record_arg}`");
        eprintln!("  help: write FILE, FILE:LINE or FILE:LINE#INDEX (the index counts records in a `Records` list from 0); FILE `-` is standard input");
        return ExitCode::from(3);
    };
    let Some(ex) = explain(&analysis, &engine, rule, record, org.as_deref()) else {
        eprintln!("error: no signal or guardrail named `{rule}`");
        let names = engine
            .signals
            .iter()
            .map(|s| &*s.name)
            .chain(engine.guardrails.iter().map(|g| &*g.name));
        if let Some(h) = check::suggest::did_you_mean(rule, names) {
            eprintln!("  help: {h}");
        }
        return ExitCode::from(2);
    };
    let mut place = format!("{}:{}", at.file, at.line);
    if let Some(i) = at.index {
        place.push_str(&format!("#{i}"));
    }
    println!(
        "{} `{}` on `{}`, over the record at {place}",
        ex.kind.keyword(),
        ex.rule,
        ex.source
    );
    if candidates.len() > 1 {
        println!(
            "  ({} records start on that line; this is the first: add #INDEX to pick another)",
            candidates.len()
        );
    }
    if !ex.recognized {
        println!("  note: the record is not recognised as `{}`; `tensen run` would not give it to this rule", ex.source);
    }
    for c in &ex.clauses {
        println!();
        println!("{} {}", c.keyword, c.text);
        println!("  => {}", c.truth.word());
        if c.operands.len() > 1 || c.operands.first().is_none_or(|o| o.text != c.text) {
            for (i, o) in c.operands.iter().enumerate() {
                let joiner = match (i, c.joiner) {
                    (0, Some(j)) => " ".repeat(j.len() + 1),
                    (_, Some(j)) => format!("{j} "),
                    _ => String::new(),
                };
                println!("  {} {joiner}{}", mark(o.truth), o.text);
                print_fields(&o.fields);
            }
        } else if let Some(o) = c.operands.first() {
            print_fields(&o.fields);
        }
    }
    println!();
    println!("outcome: {}", ex.outcome);
    ExitCode::SUCCESS
}

fn print_fields(fields: &[(String, String)]) {
    for (name, value) in fields {
        println!("              {name} = {value}");
    }
}

/// A sequence over every record of the input: each key's timeline, its
/// matches, or why it has none.
fn sequence(
    engine: &Engine,
    rule: &str,
    records: Vec<(crate::engine::run::RecordRef, serde_json::Value)>,
    key: Option<&str>,
) -> ExitCode {
    let Some(ex) = explain_sequence(engine, rule, records, key) else {
        eprintln!("error: the sequence `{rule}` has no steps to explain");
        return ExitCode::from(2);
    };
    let within = ex
        .within
        .map(|w| format!(" within {w}"))
        .unwrap_or_default();
    println!(
        "sequence `{}` by {}{within}, over {} record{}",
        ex.sequence,
        ex.by,
        ex.records,
        if ex.records == 1 { "" } else { "s" }
    );
    for s in &ex.steps {
        println!("  step {s}");
    }
    if ex.keys.is_empty() {
        println!();
        match key {
            Some(k) => println!("no signal of its steps fired for {} `{k}`", ex.by),
            None => println!("no signal of its steps fired on these records"),
        }
    }
    let shown = if key.is_some() {
        usize::MAX
    } else {
        SHOWN_KEYS
    };
    for k in ex.keys.iter().take(shown) {
        println!();
        match k.matches.len() {
            0 => println!("{} = {}: no match", ex.by, k.key),
            n => println!(
                "{} = {}: {n} match{}",
                ex.by,
                k.key,
                if n == 1 { "" } else { "es" }
            ),
        }
        for m in &k.matches {
            println!(
                "  found: first seen {}, last seen {} (revision {})",
                m.first_seen, m.last_seen, m.revision
            );
        }
        for r in &k.missing {
            println!("  why not: {r}");
        }
        let n = k.timeline.len();
        let long = key.is_none() && n > SHOWN_INSTANCES;
        for (i, e) in k.timeline.iter().enumerate() {
            let half = SHOWN_INSTANCES / 2;
            if long && i >= half && i < n - half {
                if i == half {
                    println!("  ... {} more (--key {} shows all)", n - 2 * half, k.key);
                }
                continue;
            }
            println!(
                "  {}  {:<12} {}  ({})",
                e.time,
                e.roles.join(", "),
                e.signal,
                e.place
            );
        }
    }
    if ex.keys.len() > shown {
        println!();
        println!(
            "... and {} more keys: pick one with --key VALUE",
            ex.keys.len() - shown
        );
    }
    ExitCode::SUCCESS
}

/// Keys shown for a sequence when no `--key` is given, and instances of a
/// key's timeline (the first and last halves).
const SHOWN_KEYS: usize = 20;
const SHOWN_INSTANCES: usize = 20;
