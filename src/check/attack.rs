//! MITRE ATT&CK and severity vocabulary: the 14 enterprise tactics, the
//! technique id shape, and GuardDuty's 1.0–10.0 severity scale.

/// The 14 MITRE ATT&CK enterprise tactics, as written in rules.
pub const TACTICS: &[(&str, &str, &str)] = &[
    ("reconnaissance", "TA0043", "Reconnaissance"),
    ("resource_development", "TA0042", "Resource Development"),
    ("initial_access", "TA0001", "Initial Access"),
    ("execution", "TA0002", "Execution"),
    ("persistence", "TA0003", "Persistence"),
    ("privilege_escalation", "TA0004", "Privilege Escalation"),
    ("defense_evasion", "TA0005", "Defense Evasion"),
    ("credential_access", "TA0006", "Credential Access"),
    ("discovery", "TA0007", "Discovery"),
    ("lateral_movement", "TA0008", "Lateral Movement"),
    ("collection", "TA0009", "Collection"),
    ("command_and_control", "TA0011", "Command and Control"),
    ("exfiltration", "TA0010", "Exfiltration"),
    ("impact", "TA0040", "Impact"),
];

pub fn is_tactic(name: &str) -> bool {
    TACTICS.iter().any(|(n, _, _)| *n == name)
}

/// Whether `id` looks like `T1234` or `T1234.001`.
pub fn is_technique_id(id: &str) -> bool {
    let Some(rest) = id.strip_prefix('T') else {
        return false;
    };
    let (main, sub) = match rest.split_once('.') {
        Some((m, s)) => (m, Some(s)),
        None => (rest, None),
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    digits(main, 4) && sub.is_none_or(|s| digits(s, 3))
}

/// Severity levels and the number each stands for on GuardDuty's scale.
pub const LEVELS: &[(&str, f64)] = &[
    ("low", 2.0),
    ("medium", 5.0),
    ("high", 8.0),
    ("critical", 9.0),
];

pub const MIN_SEVERITY: f64 = 1.0;
pub const MAX_SEVERITY: f64 = 10.0;

pub fn level(name: &str) -> Option<f64> {
    LEVELS.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn technique_shapes() {
        assert!(is_technique_id("T1078"));
        assert!(is_technique_id("T1078.004"));
        assert!(!is_technique_id("T107"));
        assert!(!is_technique_id("t1078"));
        assert!(!is_technique_id("T1078.4"));
        assert!(!is_technique_id("T1078."));
    }
}
