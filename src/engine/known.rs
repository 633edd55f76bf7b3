//! The fields the engine itself reads by name (record ids, principals,
//! accounts, regions, what AWS's exemptions depend on), resolved once per
//! ruleset.

use super::eval::resolve_one;
use super::record::At;

/// The fields the engine itself reads, in the order of
/// [`ENGINE_FIELDS`](super::project::ENGINE_FIELDS).
#[derive(Debug, Clone, Copy)]
pub enum F {
    EventId,
    Id,
    IdUpper,
    MetadataUid,
    ConfigurationStateId,
    ArnUpper,
    Arn,
    ResourceId,
    UserArn,
    IssuerArn,
    UserType,
    UserAccount,
    RecipientAccount,
    EventName,
    AwsAccountId,
    AccountId,
    AwsAccountIdUpper,
    AwsRegion,
    Region,
    RegionUpper,
    EventType,
    EventSource,
    SharedEventId,
    Resources,
    KeyId,
}

/// The account that received a record: CloudTrail's, else the account a
/// Config item, finding or other record names.
pub const RECEIVING_ACCOUNT: &[F] = &[
    F::RecipientAccount,
    F::AwsAccountId,
    F::AccountId,
    F::AwsAccountIdUpper,
];

/// The paths of the fields the engine reads by name, resolved once.
#[derive(Debug, Clone)]
pub struct Known {
    paths: Vec<super::compile::FieldPath>,
}

impl Known {
    pub fn new(names: &super::record::Names) -> Known {
        Known {
            paths: super::project::ENGINE_FIELDS
                .iter()
                .map(|d| super::compile::dotted_path(d, names))
                .collect(),
        }
    }

    pub fn get<'r>(&self, record: At<'r>, f: F) -> Option<At<'r>> {
        let path = self.paths.get(f as usize)?;
        resolve_one(record, &path.segments)
    }

    pub fn first_str<'r>(&self, record: At<'r>, fields: &[F]) -> Option<&'r str> {
        fields
            .iter()
            .find_map(|f| self.get(record, *f).and_then(At::as_str))
    }
}
