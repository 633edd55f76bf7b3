//! What IAM makes of one CloudTrail call (`eventSource`, `eventName`):
//! worked out once per distinct call and then remembered per thread. A run
//! asks for every record a guardrail judges, and a trail holds a few
//! hundred distinct calls among millions of records.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use rustc_hash::FxHashMap;

use super::{actions, names, rcp_governs, undated, undeniable, ActionInfo};

/// What IAM makes of one call.
#[derive(Debug)]
pub struct Call {
    /// The IAM action the call is authorized as: the service prefix of the
    /// source and the name IAM gives the operation, cased as IAM writes it
    /// (`s3:ListAllMyBuckets` for `ListBuckets`). A call IAM does not list
    /// keeps its event name.
    pub action: Cow<'static, str>,
    /// The action as IAM lists it, if it does.
    pub info: Option<&'static ActionInfo>,
    /// No SCP or RCP can deny it.
    pub undeniable: bool,
    /// Resource control policies govern the source's service.
    pub rcp_governed: bool,
}

/// Distinct calls remembered per thread before the memo starts over.
const REMEMBERED: usize = 1 << 14;

/// A thread's remembered calls by `source` NUL `name`, and the buffer the
/// key of a lookup is written in.
#[derive(Default)]
struct Memo {
    key: String,
    calls: FxHashMap<Box<str>, Rc<Call>>,
}

/// What IAM makes of the call `event_name` to `event_source`.
pub fn call(event_source: &str, event_name: &str) -> Rc<Call> {
    thread_local! {
        static MEMO: RefCell<Memo> = RefCell::default();
    }
    MEMO.with_borrow_mut(|Memo { key, calls: memo }| {
        key.clear();
        key.push_str(event_source);
        key.push('\0');
        key.push_str(event_name);
        if let Some(found) = memo.get(key.as_str()) {
            return found.clone();
        }
        if memo.len() >= REMEMBERED {
            memo.clear();
        }
        let found = Rc::new(work_out(event_source, event_name));
        memo.insert(key.as_str().into(), found.clone());
        found
    })
}

fn work_out(event_source: &str, event_name: &str) -> Call {
    let prefix = names::prefix_of(event_source);
    let table = actions();
    let listed = |name: &str| table.get(&format!("{prefix}:{name}"));
    let info = names::renamed(prefix, event_name)
        .and_then(listed)
        .or_else(|| listed(event_name))
        // Lambda's `UpdateFunctionCode20150331v2`, CloudFront's
        // `UpdateDistribution2020_05_31`: the operation with its API version.
        .or_else(|| undated(event_name).and_then(listed));
    let action = match info {
        Some(a) => Cow::Borrowed(&*a.name),
        None => Cow::Owned(format!("{prefix}:{event_name}")),
    };
    Call {
        undeniable: undeniable(&action),
        rcp_governed: rcp_governs(prefix),
        action,
        info,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_call_is_the_one_worked_out() {
        let first = call("s3.amazonaws.com", "ListBuckets");
        let again = call("s3.amazonaws.com", "ListBuckets");
        assert!(Rc::ptr_eq(&first, &again));
        assert_eq!(first.action, "s3:ListAllMyBuckets");
        assert!(first.info.is_some_and(|a| a.resource_types.is_empty()));
        assert!(first.rcp_governed && !first.undeniable);
        // The separator keeps `a` + `bc` apart from `ab` + `c`.
        assert_eq!(call("ab", "c").action, "ab:c");
        assert_eq!(call("a", "bc").action, "a:bc");
        let who = call("sts.amazonaws.com", "GetCallerIdentity");
        assert!(who.undeniable && who.info.is_some());
    }
}
