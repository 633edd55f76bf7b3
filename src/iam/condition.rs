//! IAM condition operators and condition keys, as data: what a policy's
//! `"StringNotEqualsIfExists": {"aws:PrincipalArn": [...]}` means, and
//! which keys a CloudTrail record carries.
//!
//! An SCP or RCP decides with IAM's rules for a key the request does not
//! have: a plain operator does not match, a negated one (`StringNotEquals`,
//! `ArnNotLike`, `NotIpAddress`, ...) matches, `...IfExists` matches, and
//! `Null` asks exactly that. A preview over CloudTrail can follow those
//! rules only where the record tells whether the request had the key: the
//! [`KEYS`] here, each with the fields it is read from. A key CloudTrail
//! never logs ([`UNLOGGED`]: organization ids, tags, the confused-deputy
//! keys) leaves the condition unknown.

/// The comparison at the heart of an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    /// `ArnEquals` and `ArnLike`, which IAM evaluates alike: each of the
    /// six colon-separated parts matched on its own, with `*` and `?`.
    ArnLike,
    Bool,
    IpAddress,
    NumericEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    /// The date operators: instants compared, each side an ISO 8601 date
    /// or epoch seconds.
    DateEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    /// `Null`: `true` asks that the key be absent, `false` present.
    Null,
}

/// How a multivalued key's values are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp {
    /// `ForAnyValue:`: some value of the key matches (none: no match).
    Any,
    /// `ForAllValues:`: every value of the key matches (none: a match).
    All,
}

/// A condition operator, as a policy names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    pub base: Base,
    /// `StringNotEquals`, `ArnNotLike`, `NotIpAddress`, `NumericNotEquals`:
    /// the key matches none of the values (and an absent key matches).
    pub negated: bool,
    /// `...IfExists`: an absent key matches.
    pub if_exists: bool,
    pub set: Option<SetOp>,
}

/// Every operator name, without `IfExists` and set prefixes.
const OPERATORS: &[(&str, Base, bool)] = &[
    ("StringEquals", Base::StringEquals, false),
    ("StringNotEquals", Base::StringEquals, true),
    (
        "StringEqualsIgnoreCase",
        Base::StringEqualsIgnoreCase,
        false,
    ),
    (
        "StringNotEqualsIgnoreCase",
        Base::StringEqualsIgnoreCase,
        true,
    ),
    ("StringLike", Base::StringLike, false),
    ("StringNotLike", Base::StringLike, true),
    ("ArnEquals", Base::ArnLike, false),
    ("ArnLike", Base::ArnLike, false),
    ("ArnNotEquals", Base::ArnLike, true),
    ("ArnNotLike", Base::ArnLike, true),
    ("Bool", Base::Bool, false),
    ("IpAddress", Base::IpAddress, false),
    ("NotIpAddress", Base::IpAddress, true),
    ("NumericEquals", Base::NumericEquals, false),
    ("NumericNotEquals", Base::NumericEquals, true),
    ("NumericLessThan", Base::NumericLessThan, false),
    ("NumericLessThanEquals", Base::NumericLessThanEquals, false),
    ("NumericGreaterThan", Base::NumericGreaterThan, false),
    (
        "NumericGreaterThanEquals",
        Base::NumericGreaterThanEquals,
        false,
    ),
    ("DateEquals", Base::DateEquals, false),
    ("DateNotEquals", Base::DateEquals, true),
    ("DateLessThan", Base::DateLessThan, false),
    ("DateLessThanEquals", Base::DateLessThanEquals, false),
    ("DateGreaterThan", Base::DateGreaterThan, false),
    ("DateGreaterThanEquals", Base::DateGreaterThanEquals, false),
    ("Null", Base::Null, false),
];

/// Operators IAM has that a preview cannot evaluate yet.
const NOT_YET: &[&str] = &["BinaryEquals"];

/// The operator named `name` (`ForAllValues:StringNotLikeIfExists`), or
/// what is wrong with the name.
pub fn operator(name: &str) -> Result<Operator, String> {
    let (set, rest) = if let Some(r) = name.strip_prefix("ForAnyValue:") {
        (Some(SetOp::Any), r)
    } else if let Some(r) = name.strip_prefix("ForAllValues:") {
        (Some(SetOp::All), r)
    } else {
        (None, name)
    };
    let (if_exists, base_name) = match rest.strip_suffix("IfExists") {
        Some(b) => (true, b),
        None => (false, rest),
    };
    if NOT_YET.contains(&base_name) {
        return Err(format!("tensen cannot evaluate `{base_name}` yet"));
    }
    let Some((_, base, negated)) = OPERATORS.iter().find(|(n, _, _)| *n == base_name) else {
        return Err(format!("`{name}` is not an IAM condition operator"));
    };
    if *base == Base::Null && (if_exists || set.is_some()) {
        return Err("`Null` takes no `IfExists` and no set operator".into());
    }
    Ok(Operator {
        base: *base,
        negated: *negated,
        if_exists,
        set,
    })
}

/// Every operator name, for suggestions.
pub fn operator_names() -> impl Iterator<Item = &'static str> {
    OPERATORS.iter().map(|(n, _, _)| *n)
}

/// A condition key CloudTrail carries, by what it is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    RequestedRegion,
    PrincipalArn,
    PrincipalAccount,
    PrincipalType,
    PrincipalIsAwsService,
    PrincipalServiceName,
    SourceIp,
    SourceVpce,
    SecureTransport,
    MultiFactorAuthPresent,
    UserId,
    Username,
    UserAgent,
    Ec2Region,
    Ec2MetadataHttpTokens,
    S3TlsVersion,
    CurrentTime,
    EpochTime,
    TokenIssueTime,
    PrincipalOrgId,
    ResourceOrgId,
    PrincipalOrgPaths,
    ResourceOrgPaths,
    ResourceAccount,
}

/// A condition key a CloudTrail record carries.
#[derive(Debug)]
pub struct KeyInfo {
    pub key: Key,
    /// As IAM writes it; matched in any case, as IAM matches key names.
    pub name: &'static str,
    /// The record's fields it is read from (dotted paths).
    pub fields: &'static [&'static str],
    /// How, for the documentation and hover.
    pub how: &'static str,
    /// The resource type IAM reads the key on, when it reads it on one of
    /// a call's resources alone (`ec2:MetadataHttpTokens` on the instance).
    pub on_resource: Option<&'static str>,
}

/// The condition keys a CloudTrail record carries.
pub const KEYS: &[KeyInfo] = &[
    KeyInfo {
        key: Key::RequestedRegion,
        name: "aws:RequestedRegion",
        fields: &["awsRegion"],
        how: "`awsRegion`",
        on_resource: None,
    },
    KeyInfo {
        key: Key::PrincipalArn,
        name: "aws:PrincipalArn",
        fields: &[
            "userIdentity.type",
            "userIdentity.arn",
            "userIdentity.sessionContext.sessionIssuer.arn",
        ],
        how: "`userIdentity.arn` (users, the root user, federated users); the role's ARN `userIdentity.sessionContext.sessionIssuer.arn` for role sessions; absent for AWS services; unknown for callers CloudTrail names only by account",
        on_resource: None,
    },
    KeyInfo {
        key: Key::PrincipalAccount,
        name: "aws:PrincipalAccount",
        fields: &["userIdentity.type", "userIdentity.accountId"],
        how: "`userIdentity.accountId`; absent for AWS services and anonymous callers",
        on_resource: None,
    },
    KeyInfo {
        key: Key::PrincipalType,
        name: "aws:PrincipalType",
        fields: &["userIdentity.type", "userIdentity.accountId"],
        how: "from `userIdentity.type`: `Root` is `Account`, `IAMUser` is `User`, `AssumedRole` and `FederatedUser` as they are, an anonymous caller `Anonymous`",
        on_resource: None,
    },
    KeyInfo {
        key: Key::PrincipalIsAwsService,
        name: "aws:PrincipalIsAWSService",
        fields: &["userIdentity.type"],
        how: "`true` when `userIdentity.type` is `AWSService`",
        on_resource: None,
    },
    KeyInfo {
        key: Key::PrincipalServiceName,
        name: "aws:PrincipalServiceName",
        fields: &["userIdentity.type", "userIdentity.invokedBy"],
        how: "`userIdentity.invokedBy` of an `AWSService` caller; absent for other callers",
        on_resource: None,
    },
    KeyInfo {
        key: Key::SourceIp,
        name: "aws:SourceIp",
        fields: &["sourceIPAddress", "vpcEndpointId"],
        how: "`sourceIPAddress` when it is a public address; absent when the call came through a VPC endpoint (`vpcEndpointId`); unknown for a private address without `vpcEndpointId` (not every service logs the endpoint) and for a service name (a service calling on the principal's behalf, whose address is not logged)",
        on_resource: None,
    },
    KeyInfo {
        key: Key::SourceVpce,
        name: "aws:SourceVpce",
        fields: &["vpcEndpointId", "sourceIPAddress"],
        how: "`vpcEndpointId`; absent when the call came from a public address; unknown otherwise (not every service logs the endpoint)",
        on_resource: None,
    },
    KeyInfo {
        key: Key::SecureTransport,
        name: "aws:SecureTransport",
        fields: &["tlsDetails.tlsVersion"],
        how: "`true` when `tlsDetails` is written; unknown without it (plain HTTP, older records and services that do not report TLS look alike)",
        on_resource: None,
    },
    KeyInfo {
        key: Key::MultiFactorAuthPresent,
        name: "aws:MultiFactorAuthPresent",
        fields: &[
            "userIdentity.sessionContext.attributes.mfaAuthenticated",
            "userIdentity.type",
            "userIdentity.accessKeyId",
        ],
        how: "`userIdentity.sessionContext.attributes.mfaAuthenticated`; absent for an IAM user's long-term access key (`AKIA...`)",
        on_resource: None,
    },
    KeyInfo {
        key: Key::UserId,
        name: "aws:userid",
        fields: &["userIdentity.type", "userIdentity.principalId", "userIdentity.accountId"],
        how: "`userIdentity.principalId`; `anonymous` for an anonymous caller; absent for AWS services",
        on_resource: None,
    },
    KeyInfo {
        key: Key::Username,
        name: "aws:username",
        fields: &["userIdentity.type", "userIdentity.userName"],
        how: "`userIdentity.userName` of an IAM user; absent for other callers",
        on_resource: None,
    },
    KeyInfo {
        key: Key::UserAgent,
        name: "aws:UserAgent",
        fields: &["userAgent"],
        how: "`userAgent`",
        on_resource: None,
    },
    KeyInfo {
        key: Key::Ec2Region,
        name: "ec2:Region",
        fields: &["eventSource", "awsRegion"],
        how: "`awsRegion` of an EC2 call; absent for other services",
        on_resource: None,
    },
    KeyInfo {
        key: Key::Ec2MetadataHttpTokens,
        name: "ec2:MetadataHttpTokens",
        fields: &[
            "eventName",
            "requestParameters.metadataOptions.httpTokens",
            "requestParameters.ModifyInstanceMetadataOptionsRequest.HttpTokens",
            "requestParameters.launchTemplate",
        ],
        how: "`requestParameters.metadataOptions.httpTokens` of `RunInstances`, `requestParameters.ModifyInstanceMetadataOptionsRequest.HttpTokens` of `ModifyInstanceMetadataOptions`; absent when the request does not set it and for other calls; unknown for a launch from a launch template that the request does not override (the template's setting is not logged). IAM reads it on the instance alone",
        on_resource: Some("instance"),
    },
    KeyInfo {
        key: Key::S3TlsVersion,
        name: "s3:TlsVersion",
        fields: &["eventSource", "tlsDetails.tlsVersion"],
        how: "`tlsDetails.tlsVersion` of an S3 call as a number (`TLSv1.2` is `1.2`); unknown without `tlsDetails`; absent for other services",
        on_resource: None,
    },
    KeyInfo {
        key: Key::CurrentTime,
        name: "aws:CurrentTime",
        fields: &["eventTime"],
        how: "`eventTime`, the time of the request",
        on_resource: None,
    },
    KeyInfo {
        key: Key::EpochTime,
        name: "aws:EpochTime",
        fields: &["eventTime"],
        how: "`eventTime`, as epoch seconds for the numeric operators",
        on_resource: None,
    },
    KeyInfo {
        key: Key::TokenIssueTime,
        name: "aws:TokenIssueTime",
        fields: &[
            "userIdentity.sessionContext.attributes.creationDate",
            "userIdentity.type",
            "userIdentity.accessKeyId",
        ],
        how: "`userIdentity.sessionContext.attributes.creationDate` of temporary credentials; absent for an IAM user's long-term access key (`AKIA...`) and for AWS services",
        on_resource: None,
    },
    KeyInfo {
        key: Key::PrincipalOrgId,
        name: "aws:PrincipalOrgID",
        fields: &["userIdentity.type", "userIdentity.accountId"],
        how: "the organization (`--org` naming its `id` and accounts; CloudTrail does not log the key): its id for a principal of one of its accounts; another organization's id or none for a principal of another account, which decides a condition that compares with this organization's id alone; absent for AWS services; unknown without `--org`",
        on_resource: None,
    },
    KeyInfo {
        key: Key::ResourceOrgId,
        name: "aws:ResourceOrgID",
        fields: &[],
        how: "the organization, as `aws:PrincipalOrgID`, for the account that owns the resource (`aws:ResourceAccount`)",
        on_resource: None,
    },
    KeyInfo {
        key: Key::PrincipalOrgPaths,
        name: "aws:PrincipalOrgPaths",
        fields: &["userIdentity.type", "userIdentity.accountId"],
        how: "the organization, as `aws:PrincipalOrgID`, with its `root` and units (`ous`): the path `o-id/r-root/ou-a/ou-b/` of the principal's account; a path of another organization or none outside it, which decides a condition whose values all lie under this organization's id",
        on_resource: None,
    },
    KeyInfo {
        key: Key::ResourceOrgPaths,
        name: "aws:ResourceOrgPaths",
        fields: &[],
        how: "the organization, as `aws:PrincipalOrgPaths`, for the account that owns the resource",
        on_resource: None,
    },
    KeyInfo {
        key: Key::ResourceAccount,
        name: "aws:ResourceAccount",
        fields: &[],
        how: "the account that owns the resource: the first `resources[].accountId`; else `recipientAccountId`, unless the record is the caller's copy of a cross-account call (`sharedEventID`), which does not name the owner (unknown)",
        on_resource: None,
    },
];

/// Keys CloudTrail does not log (a name ending in `/` stands for every key
/// under it): a condition on one is unknown on every record.
pub const UNLOGGED: &[&str] = &[
    "aws:PrincipalTag/",
    "aws:ResourceTag/",
    "aws:RequestTag/",
    "aws:TagKeys",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:CalledVia",
    "aws:CalledViaFirst",
    "aws:CalledViaLast",
    "aws:SourceVpc",
    "aws:MultiFactorAuthAge",
    "aws:Ec2InstanceSourceVpc",
    "aws:Ec2InstanceSourcePrivateIPv4",
    "aws:Referer",
];

/// Keys a record could tell more of than tensen reads yet (the resource's
/// account, whether a service called on the principal's behalf, ...): not
/// in [`KEYS`], so unknown, but not for want of a log. Listed so the
/// documentation can say so.
pub const NOT_READ_YET: &[&str] = &[
    "aws:ViaAWSService",
    "aws:VpcSourceIp",
    "aws:FederatedProvider",
];

/// An instant as IAM's date operators read it, in epoch milliseconds:
/// epoch seconds, or an ISO 8601 date (`2026-01-01`), date and time
/// (`2026-01-01T12:00:00Z`, with an offset, fractions of a second, or
/// minutes only).
pub fn date_millis(text: &str) -> Option<i64> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse::<i64>().ok()?.checked_mul(1000);
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis());
    }
    // A time of day needs its zone: `Z` or an offset.
    if let Some(utc) = t.strip_suffix('Z') {
        for form in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
            if let Ok(d) = chrono::NaiveDateTime::parse_from_str(utc, form) {
                return Some(d.and_utc().timestamp_millis());
            }
        }
        return None;
    }
    for form in ["%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M%:z"] {
        if let Ok(d) = chrono::DateTime::parse_from_str(t, form) {
            return Some(d.timestamp_millis());
        }
    }
    None
}

/// What a preview knows of a condition key.
#[derive(Debug, Clone, Copy)]
pub enum KeyLookup {
    Logged(&'static KeyInfo),
    /// CloudTrail does not log it.
    Unlogged,
    /// Not a key tensen knows how to read from CloudTrail.
    Unknown,
}

/// What a preview knows of the key `name` (any case, as IAM matches keys).
pub fn condition_key(name: &str) -> KeyLookup {
    if let Some(k) = KEYS.iter().find(|k| k.name.eq_ignore_ascii_case(name)) {
        return KeyLookup::Logged(k);
    }
    let lower = name.to_ascii_lowercase();
    let unlogged = UNLOGGED.iter().any(|u| {
        let u = u.to_ascii_lowercase();
        match u.strip_suffix('/') {
            Some(prefix) => lower.starts_with(&format!("{prefix}/")),
            None => lower == u,
        }
    });
    if unlogged {
        KeyLookup::Unlogged
    } else {
        KeyLookup::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_in_the_forms_iam_documents() {
        let noon = Some(1_772_366_400_000);
        assert_eq!(date_millis("2026-03-01T12:00:00Z"), noon);
        assert_eq!(date_millis("2026-03-01T12:00Z"), noon);
        assert_eq!(date_millis("2026-03-01T13:00:00+01:00"), noon);
        assert_eq!(date_millis("2026-03-01T12:00:00.000Z"), noon);
        assert_eq!(date_millis("1772366400"), noon);
        assert_eq!(date_millis("2026-03-01"), Some(1_772_323_200_000));
        // A time of day without its zone, or a doubled `Z`, is no date.
        for bad in ["2026-03-01T12:00:00", "2026-03-01T12:00:00ZZ", "soon", ""] {
            assert_eq!(date_millis(bad), None, "{bad}");
        }
    }

    #[test]
    fn operators_are_read_as_iam_names_them() {
        let op = operator("ForAllValues:StringNotLikeIfExists").unwrap();
        assert_eq!(op.base, Base::StringLike);
        assert!(op.negated && op.if_exists && op.set == Some(SetOp::All));
        assert_eq!(operator("ArnEquals").unwrap().base, Base::ArnLike);
        assert!(operator("NotIpAddress").unwrap().negated);
        assert!(operator("Null").is_ok() && operator("NullIfExists").is_err());
        assert_eq!(operator("DateLessThan").unwrap().base, Base::DateLessThan);
        assert!(operator("DateNotEqualsIfExists").unwrap().negated);
        assert!(operator("BinaryEquals").unwrap_err().contains("yet"));
        assert!(operator("StringEqual").is_err());
    }

    #[test]
    fn keys_are_found_in_any_case() {
        assert!(matches!(
            condition_key("AWS:requestedregion"),
            KeyLookup::Logged(KeyInfo {
                key: Key::RequestedRegion,
                ..
            })
        ));
        assert!(matches!(
            condition_key("aws:PrincipalTag/team"),
            KeyLookup::Unlogged
        ));
        assert!(matches!(
            condition_key("aws:SourceOrgID"),
            KeyLookup::Unlogged
        ));
        assert!(matches!(
            condition_key("kms:ViaService"),
            KeyLookup::Unknown
        ));
    }
}
