//! The organization a guardrail preview is for: its management account and
//! its accounts. SCPs restrict only the organization's principals and RCPs
//! only its resources; the management account is out of reach of both.
//!
//! Read from a small JSON file (`--org FILE`) in tensen's own form or as
//! AWS's CLI writes it, so `aws organizations list-accounts` and
//! `describe-organization` outputs can be given as they are.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// An organization: the management account and every account in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Organization {
    /// The organization's id (`o-...`), when the file names it.
    pub id: Option<String>,
    pub management: Option<String>,
    /// Every account of the organization, the management account included.
    pub accounts: BTreeSet<String>,
    /// Whether the file listed the accounts (else only the management
    /// account is known, and membership is not).
    pub listed: bool,
    /// Each account's path in the organization, as IAM's
    /// `aws:PrincipalOrgPaths` holds it (`o-id/r-root/ou-a/ou-b/`), when
    /// the file gives the root (`root`, and `ous` for the units).
    pub paths: BTreeMap<String, String>,
}

impl Organization {
    /// Reads an organization file. Accepted keys, merged: `id`,
    /// `management_account` (text) and `accounts` (texts): tensen's form;
    /// `Organization.Id` and `Organization.MasterAccountId` (AWS's
    /// `describe-organization`); `Accounts[].Id` and the organization's id
    /// in `Accounts[].Arn` (AWS's `list-accounts`). Errors say where.
    pub fn from_json(text: &str) -> Result<Organization, String> {
        let doc: Value = serde_json::from_str(text)
            .map_err(|e| format!("line {}, column {}: {e}", e.line(), e.column()))?;
        let Value::Object(top) = &doc else {
            return Err("an organization file is a JSON object".into());
        };
        let mut org = Organization::default();
        let account = |v: &Value, what: &str| -> Result<String, String> {
            match v.as_str() {
                Some(id) if is_account_id(id) => Ok(id.to_string()),
                _ => Err(format!("{what} is not a 12-digit account id: {v}")),
            }
        };
        let org_id = |v: &Value, what: &str| -> Result<String, String> {
            match v.as_str() {
                Some(id) if is_org_id(id) => Ok(id.to_string()),
                _ => Err(format!(
                    "{what} is not an organization id (`o-` and 10 to 32 letters or digits): {v}"
                )),
            }
        };
        let set_id = |id: String, org: &mut Organization| -> Result<(), String> {
            match &org.id {
                Some(known) if *known != id => Err(format!(
                    "the file names two organizations: {known} and {id}"
                )),
                _ => {
                    org.id = Some(id);
                    Ok(())
                }
            }
        };
        if let Some(id) = top.get("id") {
            set_id(org_id(id, "`id`")?, &mut org)?;
        }
        if let Some(id) = doc.pointer("/Organization/Id") {
            set_id(org_id(id, "`Organization.Id`")?, &mut org)?;
        }
        if let Some(m) = top.get("management_account") {
            org.management = Some(account(m, "`management_account`")?);
        }
        if let Some(m) = doc.pointer("/Organization/MasterAccountId") {
            org.management = Some(account(m, "`Organization.MasterAccountId`")?);
        }
        if let Some(list) = top.get("accounts") {
            let Value::Array(items) = list else {
                return Err("`accounts` is a list of account ids".into());
            };
            for (i, v) in items.iter().enumerate() {
                org.accounts
                    .insert(account(v, &format!("`accounts[{i}]`"))?);
            }
            org.listed = true;
        }
        if let Some(list) = top.get("Accounts") {
            let Value::Array(items) = list else {
                return Err("`Accounts` is a list of accounts".into());
            };
            for (i, v) in items.iter().enumerate() {
                let id = v.get("Id").unwrap_or(&Value::Null);
                org.accounts
                    .insert(account(id, &format!("`Accounts[{i}].Id`"))?);
                // `arn:aws:organizations::MANAGEMENT:account/o-.../ID`: an
                // account's ARN names the management account.
                let arn_account = v
                    .get("Arn")
                    .and_then(Value::as_str)
                    .and_then(|arn| arn.split(':').nth(4))
                    .filter(|m| is_account_id(m));
                if let (None, Some(m)) = (&org.management, arn_account) {
                    org.management = Some(m.to_string());
                }
                let arn_org = v
                    .get("Arn")
                    .and_then(Value::as_str)
                    .and_then(|arn| arn.split('/').nth(1))
                    .filter(|o| is_org_id(o));
                if let Some(o) = arn_org {
                    set_id(o.to_string(), &mut org)?;
                }
            }
            org.listed = true;
        }
        if org.management.is_none() && org.accounts.is_empty() {
            return Err(
                "no accounts: give `management_account` and `accounts` (or AWS's `Accounts` list)"
                    .into(),
            );
        }
        if let Some(m) = &org.management {
            org.accounts.insert(m.clone());
        }
        match (top.get("root"), top.get("ous")) {
            (Some(root), ous) => org.paths = paths(&org, root, ous)?,
            (None, Some(_)) => return Err("`ous` needs the organization's `root`".into()),
            (None, None) => {}
        }
        Ok(org)
    }

    /// Whether `account` is one of the organization's. An organization
    /// given with no accounts (only its management account) holds every
    /// account: membership is not known.
    pub fn holds(&self, account: &str) -> bool {
        !self.listed || self.accounts.contains(account)
    }
}

/// Every account's path: `o-id/r-root/` and the units from the root down
/// to the account's own, each followed by `/`. `ous` is a list of
/// `{"id": "ou-...", "parent": "r-..." or "ou-...", "accounts": [...]}`;
/// an account in no unit sits under the root.
fn paths(
    org: &Organization,
    root: &Value,
    ous: Option<&Value>,
) -> Result<BTreeMap<String, String>, String> {
    let Some(id) = &org.id else {
        return Err("`root` needs the organization's `id`".into());
    };
    let root = match root.as_str() {
        Some(r) if r.starts_with("r-") => r,
        _ => return Err(format!("`root` is not a root id (`r-...`): {root}")),
    };
    let mut parent_of: BTreeMap<String, String> = BTreeMap::new();
    let mut unit_of: BTreeMap<String, String> = BTreeMap::new();
    let units = match ous {
        None => &Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => return Err("`ous` is a list of organizational units".into()),
    };
    for (i, u) in units.iter().enumerate() {
        let field = |k: &str| u.get(k).and_then(Value::as_str);
        let (Some(ou), Some(parent)) = (field("id"), field("parent")) else {
            return Err(format!("`ous[{i}]` needs `id` (`ou-...`) and `parent`"));
        };
        if !ou.starts_with("ou-") || !(parent.starts_with("ou-") || parent == root) {
            return Err(format!(
                "`ous[{i}]`: `id` is an `ou-...` and `parent` the root or another unit"
            ));
        }
        if parent_of
            .insert(ou.to_string(), parent.to_string())
            .is_some()
        {
            return Err(format!("`ous[{i}]`: {ou} is listed twice"));
        }
        for a in u
            .get("accounts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            match a.as_str() {
                Some(a) if org.accounts.contains(a) => {
                    if let Some(other) = unit_of.insert(a.to_string(), ou.to_string()) {
                        return Err(format!("`ous[{i}]`: account {a} is also in {other}"));
                    }
                }
                _ => {
                    return Err(format!(
                        "`ous[{i}].accounts`: {a} is not one of the organization's accounts"
                    ))
                }
            }
        }
    }
    // Every unit reaches the root: no unlisted parent, no cycle.
    for ou in parent_of.keys() {
        let mut at = ou;
        for _ in 0..=parent_of.len() {
            match parent_of.get(at) {
                Some(p) if p == root => break,
                Some(p) => at = p,
                None => return Err(format!("`ous`: {at} is a parent but is not listed")),
            }
        }
        if parent_of.get(at).is_some_and(|p| p != root) {
            return Err(format!("`ous`: {ou} is its own ancestor"));
        }
    }
    let mut out = BTreeMap::new();
    for account in &org.accounts {
        let mut chain = Vec::new();
        let mut at = unit_of.get(account);
        while let Some(ou) = at {
            chain.push(ou.clone());
            at = parent_of.get(ou).filter(|p| p.as_str() != root);
        }
        chain.reverse();
        let mut path = format!("{id}/{root}/");
        for ou in chain {
            path.push_str(&ou);
            path.push('/');
        }
        out.insert(account.clone(), path);
    }
    Ok(out)
}

impl Organization {
    /// The path of `account` (`aws:PrincipalOrgPaths`), as [`Self::org_of`]
    /// answers: `Err(())` outside the organization, `None` not known.
    pub fn path_of(&self, account: &str) -> Option<Result<&str, ()>> {
        match self.org_of(account)? {
            Ok(_) => self.paths.get(account).map(|p| Ok(p.as_str())),
            Err(()) => Some(Err(())),
        }
    }

    /// The organization id of `account`, as IAM's `aws:PrincipalOrgID` and
    /// `aws:ResourceOrgID` hold it: this organization's for its accounts;
    /// `Err(())` when the account is not one of them (its organization, if
    /// it has one, is another); `None` when the id or the membership is
    /// not known.
    pub fn org_of(&self, account: &str) -> Option<Result<&str, ()>> {
        let id = self.id.as_deref()?;
        if !self.listed {
            return None;
        }
        Some(if self.accounts.contains(account) {
            Ok(id)
        } else {
            Err(())
        })
    }
}

/// `o-` and 10 to 32 lower-case letters or digits, as AWS writes an
/// organization id.
fn is_org_id(text: &str) -> bool {
    text.strip_prefix("o-").is_some_and(|rest| {
        (10..=32).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// Twelve digits, as AWS writes an account id.
fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensens_form_and_awss_outputs_are_read() {
        let ours = Organization::from_json(
            r#"{"management_account": "111111111111", "accounts": ["222222222222"]}"#,
        )
        .unwrap();
        assert_eq!(ours.management.as_deref(), Some("111111111111"));
        assert!(ours.holds("111111111111") && ours.holds("222222222222"));
        assert!(!ours.holds("333333333333"));
        let aws = Organization::from_json(
            r#"{"Accounts": [{"Id": "222222222222", "Name": "a", "Status": "ACTIVE"}],
                "Organization": {"Id": "o-abcdefghij", "MasterAccountId": "111111111111"}}"#,
        )
        .unwrap();
        assert_eq!(aws.id.as_deref(), Some("o-abcdefghij"));
        assert_eq!(
            Organization {
                id: None,
                ..aws.clone()
            },
            ours
        );
        assert_eq!(aws.org_of("222222222222"), Some(Ok("o-abcdefghij")));
        assert_eq!(aws.org_of("333333333333"), Some(Err(())));
        assert_eq!(ours.org_of("222222222222"), None);
        // `list-accounts` alone: the accounts' ARNs name the management account.
        let listed = Organization::from_json(
            r#"{"Accounts": [{"Id": "222222222222", "Arn": "arn:aws:organizations::111111111111:account/o-abcdefghij/222222222222"},
                {"Id": "111111111111", "Arn": "arn:aws:organizations::111111111111:account/o-abcdefghij/111111111111"}]}"#,
        )
        .unwrap();
        assert_eq!(listed.id.as_deref(), Some("o-abcdefghij"));
        assert_eq!(Organization { id: None, ..listed }, ours);
        // A listed organization of one account holds only that account.
        let one = Organization::from_json(
            r#"{"management_account": "111111111111", "accounts": ["111111111111"]}"#,
        )
        .unwrap();
        assert!(!one.holds("999999999999"));
        // Only a management account: every account may be a member.
        let only = Organization::from_json(r#"{"management_account": "111111111111"}"#).unwrap();
        assert!(only.holds("999999999999"));
    }

    #[test]
    fn units_give_each_account_its_path() {
        let org = Organization::from_json(
            r#"{"id": "o-a1b2c3d4e5", "root": "r-ab12", "management_account": "111111111111",
                "accounts": ["222222222222", "333333333333"],
                "ous": [{"id": "ou-ab12-11111111", "parent": "r-ab12", "accounts": []},
                        {"id": "ou-ab12-22222222", "parent": "ou-ab12-11111111", "accounts": ["222222222222"]}]}"#,
        )
        .unwrap();
        assert_eq!(
            org.path_of("222222222222"),
            Some(Ok("o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/"))
        );
        assert_eq!(
            org.path_of("333333333333"),
            Some(Ok("o-a1b2c3d4e5/r-ab12/"))
        );
        assert_eq!(org.path_of("444444444444"), Some(Err(())));
        for bad in [
            r#"{"root": "r-ab12", "accounts": ["222222222222"]}"#,
            r#"{"id": "o-a1b2c3d4e5", "root": "ab12", "accounts": ["222222222222"]}"#,
            r#"{"id": "o-a1b2c3d4e5", "root": "r-ab12", "accounts": ["222222222222"], "ous": [{"id": "ou-1", "parent": "ou-2", "accounts": ["222222222222"]}]}"#,
            r#"{"id": "o-a1b2c3d4e5", "root": "r-ab12", "accounts": ["222222222222"], "ous": [{"id": "ou-1", "parent": "r-ab12", "accounts": ["999999999999"]}]}"#,
            r#"{"id": "o-a1b2c3d4e5", "root": "r-ab12", "accounts": ["222222222222"], "ous": [{"id": "ou-1", "parent": "ou-1", "accounts": ["222222222222"]}]}"#,
            r#"{"id": "o-a1b2c3d4e5", "root": "r-ab12", "accounts": ["222222222222"], "ous": [{"id": "ou-1", "parent": "ou-2", "accounts": []}, {"id": "ou-2", "parent": "ou-1", "accounts": []}]}"#,
            r#"{"id": "o-a1b2c3d4e5", "root": "r-ab12", "accounts": ["222222222222"], "ous": [{"id": "ou-1", "parent": "r-ab12", "accounts": ["222222222222"]}, {"id": "ou-2", "parent": "r-ab12", "accounts": ["222222222222"]}]}"#,
            r#"{"id": "o-a1b2c3d4e5", "root": "r-ab12", "accounts": ["222222222222"], "ous": [{"id": "ou-1", "parent": "r-ab12", "accounts": []}, {"id": "ou-1", "parent": "r-ab12", "accounts": []}]}"#,
            r#"{"id": "o-a1b2c3d4e5", "accounts": ["222222222222"], "ous": []}"#,
            r#"{"id": "o-a1b2c3d4e5", "Organization": {"Id": "o-zzzzzzzzzz"}, "accounts": ["222222222222"]}"#,
        ] {
            assert!(Organization::from_json(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_bad_file_says_where_and_what() {
        let e = Organization::from_json("{\n  \"accounts\": [1]\n}").unwrap_err();
        assert!(
            e.contains("`accounts[0]` is not a 12-digit account id"),
            "{e}"
        );
        let e = Organization::from_json("{\n  \"accounts\": [\n}").unwrap_err();
        assert!(e.starts_with("line 3, column 1"), "{e}");
        assert!(Organization::from_json("[]").is_err());
        assert!(Organization::from_json("{}").is_err());
        let e = Organization::from_json(r#"{"id": "org-1", "accounts": []}"#).unwrap_err();
        assert!(e.contains("`id` is not an organization id"), "{e}");
    }
}
