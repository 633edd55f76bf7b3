//! "Did you mean" suggestions by edit distance.

/// The candidate closest to `name`, if it is close enough to be a typo:
/// at most one edit for short names, a third of the length for longer ones.
pub fn closest<'a, I>(name: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let limit = (name.chars().count() / 3).max(1);
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| {
            let d = strsim::damerau_levenshtein(&lower, &c.to_lowercase());
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
}
