//! `tensen test --format junit`: the JUnit XML that CI systems read.

use std::fmt::Write;

/// One test's result, for the report.
pub struct Case {
    pub name: String,
    pub file: String,
    pub seconds: f64,
    /// Empty when it passed.
    pub failures: Vec<String>,
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry (ANSI escapes, controls).
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

pub fn report(cases: &[Case], seconds: f64) -> String {
    let failed = cases.iter().filter(|c| !c.failures.is_empty()).count();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"tensen\" tests=\"{}\" failures=\"{failed}\" time=\"{seconds:.3}\">",
        cases.len()
    );
    let _ = writeln!(
        xml,
        "  <testsuite name=\"tensen test\" tests=\"{}\" failures=\"{failed}\" time=\"{seconds:.3}\">",
        cases.len()
    );
    for c in cases {
        let _ = write!(
            xml,
            "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
            escape(&c.name),
            escape(&c.file),
            c.seconds
        );
        match c.failures.first() {
            None => xml.push_str("/>\n"),
            Some(first) => {
                let _ = writeln!(
                    xml,
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                    escape(first),
                    escape(&c.failures.join("\n"))
                );
            }
        }
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    xml
}
