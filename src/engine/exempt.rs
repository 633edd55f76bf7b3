//! What SCPs and RCPs never judge, as AWS documents it, so that a
//! guardrail's preview says what AWS would have done (the table is in
//! `docs/guardrails.md`):
//!
//! - only authorized API calls (`eventType` `AwsApiCall`): sign-ins,
//!   console actions and AWS service events are not judged;
//! - calls that need no permission or are authentication
//!   ([`crate::iam::UNDENIABLE`]);
//! - service-linked roles (both kinds), AWS service principals (SCPs only:
//!   RCPs apply to them);
//! - RCPs: only the services AWS lists, only actions authorized on a
//!   resource, not `kms:RetireGrant`, not AWS managed KMS keys;
//! - the management account: the caller's account for SCPs, the
//!   resource's account for RCPs (from `resources[].accountId`; the
//!   account that received the event only when it cannot be the caller's
//!   copy of a cross-account call);
//! - with the organization known (`--org`): principals of other accounts
//!   (SCPs), resources of other accounts (RCPs).

use super::known::{Known, F};
use super::record::At;
use super::rules::GuardScope;
use super::run::RunOptions;

/// Whether a record is out of a guardrail's reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exempt {
    No,
    /// Out of reach, and why.
    Yes(&'static str),
    /// It may be: the record does not say (the field that would).
    Unknown(&'static str),
}

/// Why a record is exempt from a guardrail of `scope`, as AWS exempts it.
pub fn exemption(record: At<'_>, known: &Known, opts: &RunOptions, scope: GuardScope) -> Exempt {
    let resource_side = match scope {
        GuardScope::Baseline => return Exempt::No,
        GuardScope::Principal => false,
        GuardScope::Resource => true,
    };
    match known.first_str(record, &[F::EventType]) {
        None | Some("AwsApiCall") => {}
        // The VPC endpoint's record of a call whose own `AwsApiCall` event
        // is the one judged: judging both would count the call twice.
        Some("AwsVpceEvent") => return Exempt::Yes("a network activity event"),
        Some(_) => return Exempt::Yes("not an authorized API call"),
    }
    let source = known.first_str(record, &[F::EventSource]);
    if let (Some(source), Some(name)) = (source, known.first_str(record, &[F::EventName])) {
        let call = crate::iam::call(source, name);
        if call.undeniable {
            return Exempt::Yes("a call no policy can deny");
        }
        if resource_side {
            if !call.rcp_governed {
                return Exempt::Yes("a service RCPs do not govern");
            }
            if call.action.eq_ignore_ascii_case("kms:RetireGrant") {
                return Exempt::Yes("a call RCPs do not govern");
            }
            // RCPs apply to the resources an action is authorized on; an
            // action on none (`s3:ListAllMyBuckets`) has no owner whose
            // RCP applies.
            if call.info.is_some_and(|a| a.resource_types.is_empty()) {
                return Exempt::Yes("a call on no resource");
            }
        }
    }
    if service_linked(record, known) {
        return Exempt::Yes("service-linked role");
    }
    if !resource_side && known.first_str(record, &[F::UserType]) == Some("AWSService") {
        return Exempt::Yes("AWS service principal");
    }
    if resource_side && aws_managed_key(record, known) {
        return Exempt::Yes("AWS managed KMS key");
    }
    let org = opts.organization.as_deref();
    let mgmt = opts
        .management_account
        .as_deref()
        .or_else(|| org.and_then(|o| o.management.as_deref()));
    if mgmt.is_none() && org.is_none() {
        return Exempt::No;
    }
    let account = if resource_side {
        match resource_account(record, known) {
            Some(a) => Some(a),
            None => return Exempt::Unknown("resources[].accountId"),
        }
    } else {
        match caller_account(record, known) {
            Some(a) => Some(a),
            // Web identity and SAML callers are no IAM principal of any
            // account: no SCP restricts them.
            None if federated(record, known) && org.is_some() => {
                return Exempt::Yes("principal outside the organization")
            }
            None if org.is_some() => return Exempt::Unknown("userIdentity.accountId"),
            None => None,
        }
    };
    match (account, org) {
        (Some(a), _) if Some(a) == mgmt => Exempt::Yes("management account"),
        (Some(a), Some(org)) if !org.holds(a) => Exempt::Yes(if resource_side {
            "resource outside the organization"
        } else {
            "principal outside the organization"
        }),
        _ => Exempt::No,
    }
}

fn service_linked(record: At<'_>, known: &Known) -> bool {
    [F::UserArn, F::IssuerArn]
        .iter()
        .filter_map(|f| known.get(record, *f).and_then(At::as_str))
        .any(|arn| {
            arn.contains(":role/aws-service-role/") || arn.contains(":assumed-role/AWSServiceRole")
        })
}

/// A caller signed in through a web identity or SAML provider.
fn federated(record: At<'_>, known: &Known) -> bool {
    matches!(
        known.first_str(record, &[F::UserType]),
        Some("WebIdentityUser" | "SAMLUser")
    )
}

/// A KMS call on a key AWS manages (`alias/aws/...`), named by its alias.
fn aws_managed_key(record: At<'_>, known: &Known) -> bool {
    known
        .first_str(record, &[F::KeyId])
        .is_some_and(|k| k.starts_with("alias/aws/") || k.contains(":alias/aws/"))
}

/// The account of the principal that made the call.
fn caller_account<'r>(record: At<'r>, known: &Known) -> Option<&'r str> {
    known.first_str(record, &[F::UserAccount]).or_else(|| {
        known
            .first_str(record, &[F::UserArn])
            .and_then(|arn| arn.split(':').nth(4))
    })
}

/// The account that owns the resource acted on: the first account named in
/// `resources`; else the account that received the event, unless that is
/// the caller's own and the event is one of a cross-account pair
/// (`sharedEventID`), whose caller's copy says nothing of the owner.
pub fn resource_account<'r>(record: At<'r>, known: &Known) -> Option<&'r str> {
    let listed = known.get(record, F::Resources).and_then(|list| {
        list.items()
            .find_map(|r| r.get_name("accountId").and_then(At::as_str))
    });
    if listed.is_some() {
        return listed;
    }
    let recipient = known.first_str(record, super::known::RECEIVING_ACCOUNT)?;
    let shared = known.get(record, F::SharedEventId).is_some();
    if shared && caller_account(record, known) == Some(recipient) {
        None
    } else {
        Some(recipient)
    }
}
