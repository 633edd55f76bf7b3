//! Record times as milliseconds since the Unix epoch, from the forms AWS
//! and its exporters write: RFC 3339 (`2023-07-10T11:45:04Z`), with a space
//! instead of `T`, without a zone (UTC), and epoch seconds or milliseconds.

use chrono::{DateTime, NaiveDateTime};

use super::record::{At, Node};

/// The time a value holds, in epoch milliseconds.
pub fn epoch_ms(v: At<'_>) -> Option<i64> {
    match v.node() {
        Node::Str(s) => parse(s),
        Node::Num(n) => {
            let x = n.as_f64();
            // Seconds before the year 5138, milliseconds after.
            Some(if x.abs() < 1e11 {
                (x * 1000.0) as i64
            } else {
                x as i64
            })
        }
        _ => None,
    }
}

fn parse(s: &str) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    let normalized = s.replace(' ', "T");
    if let Ok(t) = DateTime::parse_from_rfc3339(&normalized) {
        return Some(t.timestamp_millis());
    }
    let trimmed = normalized.trim_end_matches('Z');
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(trimmed, f).ok())
        .map(|t| t.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::record::Doc;
    use serde_json::json;

    fn epoch_of(v: &serde_json::Value) -> Option<i64> {
        epoch_ms(Doc::from_value(v, None).root())
    }

    #[test]
    fn forms_aws_writes() {
        let t = 1_688_989_504_000;
        assert_eq!(epoch_of(&json!("2023-07-10T11:45:04Z")), Some(t));
        assert_eq!(epoch_of(&json!("2023-07-10 11:45:04")), Some(t));
        assert_eq!(epoch_of(&json!("2023-07-10 11:45:04.000000000")), Some(t));
        assert_eq!(epoch_of(&json!(1_688_989_504)), Some(t));
        assert_eq!(epoch_of(&json!(1_688_989_504_000i64)), Some(t));
        assert_eq!(epoch_of(&json!("redacted")), None);
    }
}
