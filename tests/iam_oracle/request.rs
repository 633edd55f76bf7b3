//! The request of a CloudTrail record as IAM's policy evaluation sees it,
//! written from AWS's documentation of the global condition keys and
//! independently of the engine: the test oracle's input.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

/// The organization policies that read its id are previewed in: two of
/// the data's accounts, and a management account the data does not hold.
pub const ORG: &str = "tests/iam_oracle/org.json";
const ORG_ID: &str = "o-a1b2c3d4e5";
const ORG_ACCOUNTS: [&str; 2] = ["123837392027", "457448411975"];
/// Their paths, as `tests/iam_oracle/org.json` places them.
const ORG_PATHS: [&str; 2] = [
    "o-a1b2c3d4e5/r-ab12/ou-ab12-22222222/ou-ab12-33333333/",
    "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/",
];

/// The request of one record, as AWS documents each key: the principal,
/// the condition keys it has, and the keys CloudTrail does not say.
pub struct Request {
    pub principal: Option<String>,
    pub account: Option<String>,
    pub context: BTreeMap<String, Value>,
    pub unknown: BTreeSet<&'static str>,
}

fn is_public(ip: &std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => {
            !(v4.is_private() || v4.is_loopback() || v4.is_link_local() || v4.is_unspecified())
        }
        std::net::IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback() || v6.is_unspecified() || (first & 0xfe00) == 0xfc00)
        }
    }
}

pub fn request(r: &Value, org: bool) -> Request {
    let who = &r["userIdentity"];
    let kind = who["type"].as_str().unwrap_or("");
    let text = |v: &Value| v.as_str().map(str::to_string);
    let mut context = BTreeMap::new();
    let mut unknown = BTreeSet::new();
    let mut set = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            context.insert(k.to_string(), Value::String(v));
        }
    };
    set("aws:RequestedRegion", text(&r["awsRegion"]));
    set("aws:UserAgent", text(&r["userAgent"]));
    let principal_arn = match kind {
        "AssumedRole" => text(&who["sessionContext"]["sessionIssuer"]["arn"]),
        "AWSService" => None,
        _ => text(&who["arn"]),
    };
    set("aws:PrincipalArn", principal_arn.clone());
    if kind != "AWSService" {
        set("aws:PrincipalAccount", text(&who["accountId"]));
        set("aws:userid", text(&who["principalId"]));
    }
    let principal_type = match kind {
        "Root" => Some("Account"),
        "IAMUser" => Some("User"),
        "AssumedRole" => Some("AssumedRole"),
        "FederatedUser" => Some("FederatedUser"),
        _ => None,
    };
    set("aws:PrincipalType", principal_type.map(str::to_string));
    if kind == "IAMUser" {
        set("aws:username", text(&who["userName"]));
    }
    let service = kind == "AWSService";
    set("aws:PrincipalIsAWSService", Some(service.to_string()));
    if service {
        set("aws:PrincipalServiceName", text(&who["invokedBy"]));
    }
    match r["sourceIPAddress"]
        .as_str()
        .and_then(|s| s.parse::<std::net::IpAddr>().ok())
    {
        _ if r["vpcEndpointId"].is_string() => {
            set("aws:SourceVpce", text(&r["vpcEndpointId"]));
        }
        Some(ip) if is_public(&ip) => set("aws:SourceIp", Some(ip.to_string())),
        _ => {
            unknown.insert("aws:SourceIp");
            unknown.insert("aws:SourceVpce");
        }
    }
    if r["tlsDetails"].is_object() {
        set("aws:SecureTransport", Some("true".into()));
    } else {
        unknown.insert("aws:SecureTransport");
    }
    let long_term_key = who["accessKeyId"]
        .as_str()
        .is_some_and(|k| k.starts_with("AKIA"));
    if !long_term_key {
        set(
            "aws:MultiFactorAuthPresent",
            text(&who["sessionContext"]["attributes"]["mfaAuthenticated"]),
        );
    }
    // The time of the request, and of the temporary credentials it used.
    set("aws:CurrentTime", text(&r["eventTime"]));
    let epoch = r["eventTime"].as_str().and_then(|t| {
        chrono::DateTime::parse_from_rfc3339(t)
            .ok()
            .map(|t| t.timestamp().to_string())
    });
    set("aws:EpochTime", epoch);
    match who["sessionContext"]["attributes"]["creationDate"].as_str() {
        Some(issued) => set("aws:TokenIssueTime", Some(issued.to_string())),
        None if long_term_key || service => {}
        None => {
            unknown.insert("aws:TokenIssueTime");
        }
    }
    if r["eventSource"] == "ec2.amazonaws.com" {
        set("ec2:Region", text(&r["awsRegion"]));
    }
    let params = &r["requestParameters"];
    let tokens = match r["eventName"].as_str() {
        Some("RunInstances") if params["launchTemplate"].is_object() => {
            unknown.insert("ec2:MetadataHttpTokens");
            None
        }
        Some("RunInstances") => text(&params["metadataOptions"]["httpTokens"]),
        Some("ModifyInstanceMetadataOptions") => {
            text(&params["ModifyInstanceMetadataOptionsRequest"]["HttpTokens"])
        }
        _ => None,
    };
    set("ec2:MetadataHttpTokens", tokens);
    // The resource's owner (no call in the data crosses accounts), and the
    // organization's id of an account in it.
    let owner = r["resources"][0]["accountId"]
        .as_str()
        .or(r["recipientAccountId"].as_str());
    set("aws:ResourceAccount", owner.map(str::to_string));
    let org_of = |account: Option<&str>| {
        account
            .filter(|a| org && ORG_ACCOUNTS.contains(a))
            .map(|_| ORG_ID.to_string())
    };
    match org_of(who["accountId"].as_str()) {
        Some(id) => set("aws:PrincipalOrgID", Some(id)),
        None if service => {}
        None => {
            unknown.insert("aws:PrincipalOrgID");
            unknown.insert("aws:PrincipalOrgPaths");
        }
    }
    let path = ORG_ACCOUNTS
        .iter()
        .position(|a| org && who["accountId"] == *a)
        .map(|i| ORG_PATHS[i]);

    match org_of(owner) {
        Some(id) => set("aws:ResourceOrgID", Some(id)),
        None => {
            unknown.insert("aws:ResourceOrgID");
            unknown.insert("aws:ResourceOrgPaths");
        }
    }
    let resource_path = ORG_ACCOUNTS
        .iter()
        .position(|a| org && owner == Some(*a))
        .map(|i| ORG_PATHS[i]);
    // Never in a CloudTrail record, or not in a way these tests read.
    for key in [
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:ResourceOrgPaths",
        "aws:ViaAWSService",
        "aws:CalledVia",
        "aws:CalledViaFirst",
        "aws:CalledViaLast",
        "ec2:MetadataHttpPutResponseHopLimit",
    ] {
        unknown.insert(key);
    }
    let principal = match kind {
        "AWSService" => text(&who["invokedBy"]),
        "Root" => text(&who["accountId"]).map(|a| format!("arn:aws:iam::{a}:root")),
        "IAMUser" | "AssumedRole" | "FederatedUser" => text(&who["arn"]),
        _ => None,
    };
    // A multivalued key: the one path, as a list.
    if let Some(path) = path {
        context.insert("aws:PrincipalOrgPaths".into(), json!([path]));
    }
    if let Some(path) = resource_path {
        context.insert("aws:ResourceOrgPaths".into(), json!([path]));
    }
    Request {
        principal,
        account: text(&who["accountId"]),
        context,
        unknown,
    }
}

/// Whether the request's value of `key` (lower case) is not known: a key
/// CloudTrail does not carry, and tags (not in the record).
pub fn not_logged(req: &Request, key: &str) -> bool {
    let tag = [
        "aws:resourcetag/",
        "aws:requesttag/",
        "aws:principaltag/",
        "aws:tagkeys",
    ];
    tag.iter().any(|t| key.starts_with(t))
        || req.unknown.iter().any(|k| k.eq_ignore_ascii_case(key))
        || (key.starts_with("aws:")
            && !req.context.keys().any(|k| k.eq_ignore_ascii_case(key))
            && !KNOWN_ABSENT.iter().any(|k| k.eq_ignore_ascii_case(key)))
}

/// Global keys this file sets whenever the request has them: their absence
/// from a request is known.
const KNOWN_ABSENT: &[&str] = &[
    "aws:PrincipalOrgPaths",
    "aws:ResourceOrgPaths",
    "aws:ResourceAccount",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:TokenIssueTime",
    "aws:RequestedRegion",
    "aws:UserAgent",
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
    "aws:userid",
    "aws:PrincipalType",
    "aws:username",
    "aws:PrincipalIsAWSService",
    "aws:PrincipalServiceName",
    "aws:SourceIp",
    "aws:SourceVpce",
    "aws:MultiFactorAuthPresent",
];
