//! The editor features as pure functions over a workspace snapshot, with
//! the cursor marked `$0` in the rule text; results are snapshotted.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly on purpose"
)]

use std::collections::BTreeMap;

use tensen::ide::{self, LineIndex, Snapshot};

const RULES: &str = r#"/// A console login that did not use MFA.
signal login_no_mfa on cloudtrail {
    severity low
    tactic initial_access
    when eventName == "ConsoleLogin" and additionalEventData.MFAUsed == "No"
        and lower(userIdentity.type) == "iamuser"
    entity user = userIdentity.userName
}

signal key_created on cloudtrail {
    when eventName == "CreateAccessKey"
    entity user = userIdentity.userName
}

sequence takeover {
    by user
    within 1h
    steps {
        login: login_no_mfa
        key: key_created
    }
}

test "a login then a key" {
    event { "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin" }
    expect takeover count 0
}
"#;

/// The snapshot, and the position of the first match of `needle` (plus
/// `shift` characters) in it.
fn at(text: &str, needle: &str, shift: usize) -> (Snapshot, ide::Pos) {
    let files = BTreeMap::from([("rules.tsn".to_string(), text.to_string())]);
    let snap = Snapshot::new(None, &files);
    let offset = text.find(needle).unwrap() + shift;
    let pos = LineIndex::new(text).pos(offset);
    (snap, pos)
}

#[test]
fn hover_explains_items_fields_functions_and_words() {
    let (snap, pos) = at(RULES, "login_no_mfa\n", 3);
    insta::assert_snapshot!("hover_item", ide::hover(&snap, "rules.tsn", pos).unwrap());
    let (snap, pos) = at(RULES, "userIdentity.userName", 14);
    insta::assert_snapshot!("hover_field", ide::hover(&snap, "rules.tsn", pos).unwrap());
    let (snap, pos) = at(RULES, "lower(", 2);
    insta::assert_snapshot!(
        "hover_function",
        ide::hover(&snap, "rules.tsn", pos).unwrap()
    );
    let (snap, pos) = at(RULES, "initial_access", 3);
    assert_eq!(
        ide::hover(&snap, "rules.tsn", pos).unwrap(),
        "MITRE ATT&CK tactic **Initial Access** (TA0001)"
    );
    let (snap, pos) = at(RULES, "1h", 0);
    assert_eq!(
        ide::hover(&snap, "rules.tsn", pos).unwrap(),
        "duration: 3600000 ms (3600 s)"
    );
    // An IAM action in a string: its access level and resource types.
    let guardrail = "guardrail g on cloudtrail {\n    scope principal\n    deny when action in [\"s3:ListAllMyBuckets\", \"s3:GetObject\"]\n}\n";
    let (snap, pos) = at(guardrail, "GetObject", 2);
    assert_eq!(
        ide::hover(&snap, "rules.tsn", pos).unwrap(),
        "IAM action **s3:GetObject**\n\naccess level: Read; authorized on: `accesspointobject`, `object`"
    );
    // On the opening quote too.
    let (snap, pos) = at(guardrail, "\"s3:GetObject", 0);
    assert!(ide::hover(&snap, "rules.tsn", pos)
        .unwrap()
        .starts_with("IAM action **s3:GetObject**"));
    let (snap, pos) = at(guardrail, "ListAll", 0);
    assert_eq!(
        ide::hover(&snap, "rules.tsn", pos).unwrap(),
        "IAM action **s3:ListAllMyBuckets**\n\naccess level: List; authorized on: no resource type (`*`)"
    );
    // A condition key: where CloudTrail gives it, or that it does not.
    let keyed = "guardrail g on cloudtrail {\n    scope principal\n    deny when condition(\"StringNotEquals\", \"aws:RequestedRegion\", \"eu-west-1\")\n        or condition(\"StringEquals\", \"aws:SourceOrgID\", \"o-1\")\n}\n";
    let (snap, pos) = at(keyed, "RequestedRegion", 3);
    assert_eq!(
        ide::hover(&snap, "rules.tsn", pos).unwrap(),
        "IAM condition key **aws:RequestedRegion**\n\nread from `awsRegion`"
    );
    let (snap, pos) = at(keyed, "SourceOrgID", 3);
    assert!(ide::hover(&snap, "rules.tsn", pos)
        .unwrap()
        .contains("CloudTrail does not record it"));
    // Past the end, on nothing: no hover, no panic.
    let (snap, _) = at(RULES, "signal", 0);
    assert_eq!(
        ide::hover(
            &snap,
            "rules.tsn",
            ide::Pos {
                line: 999,
                character: 5
            }
        ),
        None
    );
    assert_eq!(
        ide::hover(
            &snap,
            "other.tsn",
            ide::Pos {
                line: 0,
                character: 0
            }
        ),
        None
    );
}

#[test]
fn definition_and_references_follow_items() {
    let (snap, pos) = at(RULES, "login_no_mfa\n", 2);
    let def = ide::definition(&snap, "rules.tsn", pos).unwrap();
    assert_eq!(def.file, "rules.tsn");
    assert_eq!((def.range.start.line, def.range.start.character), (1, 7));
    let refs = ide::references(&snap, "rules.tsn", pos, true);
    let lines: Vec<u32> = refs.iter().map(|l| l.range.start.line).collect();
    assert_eq!(lines, [1, 18]);
    let (snap, pos) = at(RULES, "takeover count", 1);
    let refs = ide::references(&snap, "rules.tsn", pos, false);
    assert_eq!(refs.len(), 1, "only the use in the test: {refs:?}");
}

#[test]
fn symbols_list_the_items() {
    let (snap, _) = at(RULES, "signal", 0);
    let names: Vec<(String, ide::SymbolKind)> = ide::document_symbols(&snap, "rules.tsn")
        .into_iter()
        .map(|s| (s.name, s.kind))
        .collect();
    assert_eq!(
        names,
        [
            ("login_no_mfa".to_string(), ide::SymbolKind::Signal),
            ("key_created".to_string(), ide::SymbolKind::Signal),
            ("takeover".to_string(), ide::SymbolKind::Sequence),
            ("a login then a key".to_string(), ide::SymbolKind::Test),
        ]
    );
    assert_eq!(ide::workspace_symbols(&snap, "KEY").len(), 2);
}

#[test]
fn completion_offers_fields_items_and_keywords() {
    let labels = |text: &str, needle: &str, shift: usize| {
        let (snap, pos) = at(text, needle, shift);
        ide::completion(&snap, "rules.tsn", pos)
            .into_iter()
            .map(|c| c.label)
            .collect::<Vec<_>>()
    };
    let nested = labels(RULES, "userIdentity.userName\n}\n\nsignal key", 13);
    assert!(
        nested.contains(&"userName".to_string()) && nested.contains(&"arn".to_string()),
        "{nested:?}"
    );
    assert!(!nested.contains(&"eventName".to_string()), "{nested:?}");
    let steps = labels(RULES, "key: key_created", 5);
    assert!(
        steps.contains(&"login_no_mfa".to_string()) && steps.contains(&"takeover".to_string()),
        "{steps:?}"
    );
    let top = labels(RULES, "\nsequence takeover", 0);
    assert!(top.contains(&"signal".to_string()), "{top:?}");
}

#[test]
fn diagnostics_are_the_checkers() {
    let text = RULES.replace("key: key_created", "key: key_creatd");
    let (snap, _) = at(&text, "signal", 0);
    let d = ide::diagnostics(&snap, "rules.tsn");
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].code, "unknown-name");
    assert!(d[0].error);
    assert_eq!(d[0].range.start.line, 19);
    assert!(
        d[0].message.contains("did you mean `key_created`?"),
        "{}",
        d[0].message
    );
}

#[test]
fn formatting_is_tensen_fmt() {
    let text = "signal   a on cloudtrail {\nwhen eventName==\"X\"\n}\n";
    let (snap, _) = at(text, "signal", 0);
    let (range, new) = ide::formatting(&snap, "rules.tsn").unwrap();
    assert_eq!(
        range.start,
        ide::Pos {
            line: 0,
            character: 0
        }
    );
    assert_eq!(new, tensen::syntax::format::format_source(text).unwrap());
    let (snap, _) = at(&new, "signal", 0);
    assert_eq!(
        ide::formatting(&snap, "rules.tsn"),
        None,
        "formatted already"
    );
}

#[test]
fn positions_count_utf16_units() {
    let text = "// é😀x\nsignal";
    let index = LineIndex::new(text);
    let x = text.find('x').unwrap();
    assert_eq!(
        index.pos(x),
        ide::Pos {
            line: 0,
            character: 6
        }
    );
    assert_eq!(
        index.offset(ide::Pos {
            line: 0,
            character: 6
        }),
        x
    );
    assert_eq!(
        index.offset(ide::Pos {
            line: 7,
            character: 0
        }),
        text.len()
    );
    assert_eq!(
        index.offset(ide::Pos {
            line: 0,
            character: 99
        }),
        text.find('\n').unwrap()
    );
}

#[test]
fn rename_changes_every_use_and_refuses_bad_names() {
    let (snap, pos) = at(RULES, "login_no_mfa\n", 2);
    let range = ide::prepare_rename(&snap, "rules.tsn", pos).unwrap();
    assert_eq!((range.start.line, range.start.character), (18, 15));
    let edits = ide::rename(&snap, "rules.tsn", pos, "console_login").unwrap();
    let lines: Vec<u32> = edits.iter().map(|(l, _)| l.range.start.line).collect();
    assert_eq!(lines, [1, 18]);
    assert!(edits.iter().all(|(_, t)| t == "console_login"));
    for bad in ["9lives", "has space", "when", "and", "key_created", ""] {
        assert!(ide::rename(&snap, "rules.tsn", pos, bad).is_err(), "{bad}");
    }
    // Nothing to rename on a keyword; prelude sources are not the user's.
    let (snap, pos) = at(RULES, "within", 1);
    assert_eq!(ide::prepare_rename(&snap, "rules.tsn", pos), None);
    let (snap, pos) = at(RULES, "cloudtrail {\n    severity", 2);
    assert_eq!(ide::prepare_rename(&snap, "rules.tsn", pos), None);
    // A new name that a quantifier binds around a use would capture it.
    let text = "let ports = [22, 3389]\nsignal s on cloudtrail {\n    when any(port in resources: requestParameters.port in ports)\n}\n";
    let (snap, pos) = at(text, "ports =", 1);
    let why = ide::rename(&snap, "rules.tsn", pos, "port").unwrap_err();
    assert!(
        why.contains("`port` is bound by `any(port in ...)` around a use of `ports` (rules.tsn:3)"),
        "{why}"
    );
    assert!(ide::rename(&snap, "rules.tsn", pos, "admin_ports").is_ok());
}

#[test]
fn folding_signature_help_and_quick_fixes() {
    let (snap, _) = at(RULES, "signal", 0);
    let folds = ide::folding_ranges(&snap, "rules.tsn");
    assert!(
        folds.contains(&(1, 7)) && folds.contains(&(17, 20)),
        "{folds:?}"
    );
    let (snap, pos) = at(RULES, "lower(userIdentity", 6);
    let (sig, _, active) = ide::signature_help(&snap, "rules.tsn", pos).unwrap();
    assert_eq!((sig.as_str(), active), ("lower(string) -> string", 0));
    let text = RULES.replace("key: key_created", "key: key_creatd");
    let (snap, pos) = at(&text, "key_creatd", 2);
    let fixes = ide::quick_fixes(
        &snap,
        "rules.tsn",
        ide::Range {
            start: pos,
            end: pos,
        },
    );
    assert_eq!(fixes.len(), 1, "{fixes:?}");
    assert_eq!(fixes[0].title, "Change to `key_created`");
    assert_eq!(fixes[0].new_text, "key_created");
    // A step's signal lacks the entity the sequence joins on: the fix adds
    // it, with the field another cloudtrail signal uses for `user`.
    let text = RULES.replace(
        "    when eventName == \"CreateAccessKey\"\n    entity user = userIdentity.userName\n",
        "    when eventName == \"CreateAccessKey\"\n",
    );
    let (snap, pos) = at(&text, "key: key_created", 7);
    let fixes = ide::quick_fixes(
        &snap,
        "rules.tsn",
        ide::Range {
            start: pos,
            end: pos,
        },
    );
    assert_eq!(fixes.len(), 1, "{fixes:?}");
    assert_eq!(
        fixes[0].title,
        "Add `entity user = userIdentity.userName` to `key_created`"
    );
    let index = LineIndex::new(&text);
    let at_fix = index.offset(fixes[0].range.start);
    let mut fixed = text.clone();
    fixed.insert_str(at_fix, &fixes[0].new_text);
    assert_eq!(fixed, RULES, "the fix writes back what was taken out");
    let files = BTreeMap::from([("rules.tsn".to_string(), fixed)]);
    assert!(!Snapshot::new(None, &files).analysis.has_errors());
}

#[test]
fn a_lens_over_each_test_runs_it_and_hints_show_severity_numbers() {
    let (snap, _) = at(RULES, "signal", 0);
    let lenses = ide::test_lenses(&snap, "rules.tsn");
    assert_eq!(lenses.len(), 1);
    assert_eq!(lenses[0].0.start.line, 23);
    assert_eq!(lenses[0].1, "✓ passes (1 record)");
    let failing = RULES.replace("expect takeover count 0", "expect takeover count 1");
    let (snap, _) = at(&failing, "signal", 0);
    assert_eq!(
        ide::test_lenses(&snap, "rules.tsn")[0].1,
        "✗ expected `takeover` count == 1, got 0"
    );
    let (snap, _) = at(RULES, "signal", 0);
    let hints = ide::inlay_hints(&snap, "rules.tsn");
    assert_eq!(hints.len(), 1, "{hints:?}");
    assert_eq!(
        hints[0].0,
        ide::Pos {
            line: 2,
            character: 16
        }
    );
    assert_eq!(hints[0].1, " = 2.0");
    assert_eq!(hints[0].2, ide::HintKind::Value);
    // A constant's inferred type, unless its value is a plain literal.
    let text = format!(
        "let admins = [\"root\", \"admin\"]\nlet limit = 3\nlet twice = limit * 2\n{RULES}"
    );
    let (snap, _) = at(&text, "signal", 0);
    let hints = ide::inlay_hints(&snap, "rules.tsn");
    let types: Vec<_> = hints
        .iter()
        .filter(|h| h.2 == ide::HintKind::Type)
        .map(|h| (h.0.line, h.0.character, h.1.as_str()))
        .collect();
    assert_eq!(types, [(0, 10, ": list<string>"), (2, 9, ": number")]);
}

#[test]
fn semantic_tokens_say_what_each_word_is() {
    let text = r#"let admins = ["root", "admin"]

/// Doc for a signal.
source findings on guardduty {
    field extra.note: string
}

signal root_login on cloudtrail {
    title "root login from {sourceIPAddress} ({lower(sourceIPAddress)})"
    severity high
    tactic initial_access
    // GuardDuty and OCSF use keywords as fields: the checker decides.
    when userIdentity.type == "Root" and requestParameters.from in admins
        and sourceIPAddress in 10.0.0.0/8
        and any(r in resources: r.type == "AWS::IAM::Role")
    entity who = userIdentity.arn
}

sequence escalate {
    by who
    within 30m
    steps {
        first: root_login /* inline
        block */
    }
}
"#;
    let files = BTreeMap::from([("rules.tsn".to_string(), text.to_string())]);
    let snap = Snapshot::new(None, &files);
    let lines: Vec<&str> = text.lines().collect();
    let mut drawn = String::new();
    for t in ide::semantic_tokens(&snap, "rules.tsn") {
        let line = lines[t.line as usize];
        let word: String = line
            .encode_utf16()
            .skip(t.start as usize)
            .take(t.len as usize)
            .map(|u| char::from_u32(u32::from(u)).unwrap_or('?'))
            .collect();
        let mods: Vec<&str> = ide::TOKEN_MODIFIERS
            .iter()
            .enumerate()
            .filter(|(i, _)| t.modifiers & (1 << i) != 0)
            .map(|(_, m)| *m)
            .collect();
        drawn.push_str(&format!(
            "{}:{} {:?} {}{}\n",
            t.line + 1,
            t.start + 1,
            word,
            ide::TOKEN_TYPES[t.kind as usize],
            if mods.is_empty() {
                String::new()
            } else {
                format!(" +{}", mods.join("+"))
            }
        ));
    }
    insta::assert_snapshot!("semantic_tokens", drawn);
}

#[test]
fn a_bound_element_has_hover_definition_and_its_fields_their_schema() {
    let text = "signal s on cloudtrail {\n    when any(r in resources: r.type == \"AWS::IAM::Role\" and r.ARN ends_with \"-prod\")\n}\n";
    let (snap, pos) = at(text, "r.type", 0);
    assert_eq!(
        ide::hover(&snap, "rules.tsn", pos).unwrap(),
        "`r`: each element of `resources` in turn"
    );
    let def = ide::definition(&snap, "rules.tsn", pos).unwrap();
    let (_, bound_at) = at(text, "r in", 0);
    assert_eq!(def.range.start, bound_at);
    // The field of the element is the list's element field, with its doc.
    let (snap, pos) = at(text, "r.type", 3);
    let hover = ide::hover(&snap, "rules.tsn", pos).unwrap();
    assert!(hover.contains("resources.type"), "{hover}");
    // Completion after `r.` offers the element's fields.
    let partial = text.replace("r.ARN", "r.");
    let (snap, pos) = at(&partial, "r. ends_with", 2);
    let labels: Vec<String> = ide::completion(&snap, "rules.tsn", pos)
        .into_iter()
        .map(|c| c.label)
        .collect();
    assert!(labels.iter().any(|l| l == "ARN"), "{labels:?}");
    // References and rename of the bound name: its binding and its uses.
    let (snap, pos) = at(text, "r.ARN", 0);
    let refs = ide::references(&snap, "rules.tsn", pos, true);
    let columns: Vec<u32> = refs.iter().map(|l| l.range.start.character).collect();
    assert_eq!(columns, [13, 29, 60], "{refs:?}");
    assert_eq!(ide::references(&snap, "rules.tsn", pos, false).len(), 2);
    let range = ide::prepare_rename(&snap, "rules.tsn", pos).unwrap();
    assert_eq!((range.start.character, range.end.character), (60, 61));
    let edits = ide::rename(&snap, "rules.tsn", pos, "res").unwrap();
    assert_eq!(edits.len(), 3);
    let mut renamed = text.to_string();
    let index = LineIndex::new(text);
    for (l, new) in edits.iter().rev() {
        let (s, e) = (index.offset(l.range.start), index.offset(l.range.end));
        renamed.replace_range(s..e, new);
    }
    assert!(
        renamed.contains("any(res in resources: res.type == \"AWS::IAM::Role\" and res.ARN"),
        "{renamed}"
    );
    // A name the condition already uses would be captured.
    let with_field = text.replace("r.ARN ends_with", "eventName ends_with");
    let (snap, pos) = at(&with_field, "r.type", 0);
    let why = ide::rename(&snap, "rules.tsn", pos, "eventName").unwrap_err();
    assert!(why.contains("already used inside the condition"), "{why}");
}

#[test]
fn semantic_tokens_of_every_example_are_ordered_and_disjoint() {
    let mut files = BTreeMap::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "tsn") {
                files.insert(
                    path.display().to_string(),
                    std::fs::read_to_string(&path).unwrap(),
                );
            }
        }
    }
    assert!(files.len() >= 18, "{}", files.len());
    let snap = Snapshot::new(None, &files);
    let mut kinds = std::collections::BTreeSet::new();
    for (name, text) in &files {
        let lines: Vec<&str> = text.lines().collect();
        let tokens = ide::semantic_tokens(&snap, name);
        assert!(!tokens.is_empty(), "{name}");
        for pair in tokens.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            assert!(
                (a.line, a.start + a.len) <= (b.line, b.start),
                "{name}: {a:?} overlaps {b:?}"
            );
        }
        for t in &tokens {
            let width = lines[t.line as usize].encode_utf16().count() as u32;
            assert!(t.len > 0 && t.start + t.len <= width, "{name}: {t:?}");
        }
        kinds.extend(tokens.iter().map(|t| t.kind));
    }
    // The examples use every kind of token.
    assert_eq!(kinds.len(), ide::TOKEN_TYPES.len(), "{kinds:?}");
}
