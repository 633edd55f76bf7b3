//! "Did you mean" suggestions by edit distance.

/// Names longer than this (in bytes) are not typos of anything: no
/// suggestion is looked for (edit distance costs the product of the two
/// lengths, and a megabyte-long name would take seconds per candidate).
const LONGEST_TYPO: usize = 256;

/// The candidate closest to `name`, if it is close enough to be a typo:
/// at most one edit for short names, a third of the length for longer ones.
pub fn closest<'a, I>(name: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    if name.len() > LONGEST_TYPO {
        return None;
    }
    let length = name.chars().count();
    let limit = (length / 3).max(1);
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .filter(|c| *c != name && c.len() <= LONGEST_TYPO)
        // Lengths further apart than the limit are further apart in edits.
        .filter(|c| c.chars().count().abs_diff(length) <= limit)
        .map(|c| {
            let d = strsim::osa_distance(&lower, &c.to_lowercase());
            (d, c)
        })
        .filter(|(d, _)| *d <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

/// `help: did you mean `x`?` text, if a candidate is close.
pub fn did_you_mean<'a, I>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    closest(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// "unknown WHAT `name`", labelled at `name`, with a "did you mean" when a
/// candidate is close, else `fallback` as the help.
#[allow(clippy::too_many_arguments)]
pub fn unknown<'a, I>(
    file: super::FileId,
    name: &crate::syntax::ast::Ident,
    what: &str,
    label: &str,
    candidates: I,
    fallback: Option<String>,
) -> super::Diagnostic
where
    I: IntoIterator<Item = &'a str>,
{
    let d = super::Diagnostic::new(
        super::Code::UnknownName,
        file,
        name.span,
        format!("unknown {what} `{}`", name.name),
    )
    .label(label.to_string());
    match did_you_mean(&name.name, candidates).or(fallback) {
        Some(help) => d.help(help),
        None => d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_are_found() {
        let names = ["eventName", "eventSource", "eventTime"];
        assert_eq!(closest("eventNmae", names), Some("eventName"));
        assert_eq!(closest("eventname", names), Some("eventName"));
        assert_eq!(closest("zzz", names), None);
    }

    #[test]
    fn a_very_long_name_is_no_typo() {
        let long = "a".repeat(LONGEST_TYPO + 1);
        let near = "a".repeat(LONGEST_TYPO);
        assert_eq!(closest(&long, [near.as_str()]), None);
        assert_eq!(closest(&near, [long.as_str()]), None);
        assert_eq!(closest(&"a".repeat(30), [near.as_str()]), None);
        assert_eq!(
            closest(&"a".repeat(30), ["a".repeat(29).as_str()]).map(str::len),
            Some(29)
        );
    }
}
