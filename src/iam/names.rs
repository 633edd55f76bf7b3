//! Where CloudTrail's names and IAM's differ: event sources whose service
//! prefix is not their host's first label, and operations authorized as an
//! action of another name.

/// Event sources (`HOST.amazonaws.com`) whose IAM prefix is not `HOST`.
/// From iann0036/iam-dataset's `cloudtrail_service_mappings` (MIT), the
/// entries that differ, and the hosts of data-plane endpoints.
const PREFIXES: &[(&str, &str)] = &[
    ("agreement-marketplace", "aws-marketplace"),
    ("amazonmq", "mq"),
    ("application-insights", "applicationinsights"),
    ("billingconsole", "billing"),
    ("chime-sdk-media-pipelines", "chime"),
    ("chime-sdk-voice", "chime"),
    ("cloudcontrolapi", "cloudformation"),
    ("contact-lens", "connect"),
    ("discovery-marketplace", "aws-marketplace"),
    ("management-marketplace", "aws-marketplace-management"),
    ("marketplacecatalog", "aws-marketplace"),
    ("migrationhub", "mgh"),
    ("monitoring", "cloudwatch"),
    ("opensearchservice", "es"),
    ("participant-connect", "connect"),
    ("pinpoint", "mobiletargeting"),
    ("pricelist", "pricing"),
    ("qconnect", "wisdom"),
    ("rdsdata", "rds-data"),
    ("reporting-marketplace", "aws-marketplace"),
    ("servicecatalog-appregistry", "servicecatalog"),
    ("tagging", "tag"),
    ("taxconsole", "tax"),
    ("transcribestreaming", "transcribe"),
    ("appstream2", "appstream"),
    ("mturk-requester", "mechanicalturk"),
];

/// Hosts of more than one label whose prefix is the last one
/// (`streams.dynamodb`, `runtime.lex`, `models.lex`).
const LAST_LABEL: &[&str] = &["streams.dynamodb", "runtime.lex", "models.lex"];

/// The IAM service prefix of an event source: `s3.amazonaws.com` is `s3`,
/// `monitoring.amazonaws.com` is `cloudwatch`. A text that is not a host is
/// its own prefix.
pub fn prefix_of(event_source: &str) -> &str {
    let host = event_source
        .strip_suffix(".amazonaws.com")
        .unwrap_or(event_source);
    if let Some((_, prefix)) = PREFIXES.iter().find(|(h, _)| *h == host) {
        return prefix;
    }
    if LAST_LABEL.contains(&host) {
        return host.rsplit('.').next().unwrap_or(host);
    }
    host.split('.').next().unwrap_or(host)
}

/// Operations IAM authorizes as an action of another name, by service:
/// S3's (from the permissions each operation of the S3 API reference
/// requires) and Lambda's `Invoke`. Where an operation needs several
/// actions, the one on the operation's own resource is named
/// (`CopyObject` is `PutObject` on the copy; `ReEncrypt` is
/// `ReEncryptFrom` on the key that decrypts).
const RENAMES: &[(&str, &str, &str)] = &[
    ("s3", "ListBuckets", "ListAllMyBuckets"),
    ("s3", "HeadBucket", "ListBucket"),
    ("s3", "ListObjects", "ListBucket"),
    ("s3", "ListObjectsV2", "ListBucket"),
    ("s3", "ListObjectVersions", "ListBucketVersions"),
    ("s3", "ListMultipartUploads", "ListBucketMultipartUploads"),
    ("s3", "ListParts", "ListMultipartUploadParts"),
    ("s3", "HeadObject", "GetObject"),
    ("s3", "SelectObjectContent", "GetObject"),
    ("s3", "DeleteObjects", "DeleteObject"),
    ("s3", "CopyObject", "PutObject"),
    ("s3", "UploadPart", "PutObject"),
    ("s3", "UploadPartCopy", "PutObject"),
    ("s3", "CreateMultipartUpload", "PutObject"),
    ("s3", "CompleteMultipartUpload", "PutObject"),
    ("s3", "GetBucketEncryption", "GetEncryptionConfiguration"),
    ("s3", "PutBucketEncryption", "PutEncryptionConfiguration"),
    ("s3", "DeleteBucketEncryption", "PutEncryptionConfiguration"),
    ("s3", "GetBucketLifecycle", "GetLifecycleConfiguration"),
    (
        "s3",
        "GetBucketLifecycleConfiguration",
        "GetLifecycleConfiguration",
    ),
    ("s3", "PutBucketLifecycle", "PutLifecycleConfiguration"),
    (
        "s3",
        "PutBucketLifecycleConfiguration",
        "PutLifecycleConfiguration",
    ),
    ("s3", "DeleteBucketLifecycle", "PutLifecycleConfiguration"),
    ("s3", "GetBucketReplication", "GetReplicationConfiguration"),
    ("s3", "PutBucketReplication", "PutReplicationConfiguration"),
    (
        "s3",
        "DeleteBucketReplication",
        "PutReplicationConfiguration",
    ),
    ("s3", "GetBucketCors", "GetBucketCORS"),
    ("s3", "PutBucketCors", "PutBucketCORS"),
    ("s3", "DeleteBucketCors", "PutBucketCORS"),
    ("s3", "DeleteBucketTagging", "PutBucketTagging"),
    (
        "s3",
        "GetBucketNotificationConfiguration",
        "GetBucketNotification",
    ),
    (
        "s3",
        "PutBucketNotificationConfiguration",
        "PutBucketNotification",
    ),
    (
        "s3",
        "GetBucketAccelerateConfiguration",
        "GetAccelerateConfiguration",
    ),
    (
        "s3",
        "PutBucketAccelerateConfiguration",
        "PutAccelerateConfiguration",
    ),
    (
        "s3",
        "GetBucketAnalyticsConfiguration",
        "GetAnalyticsConfiguration",
    ),
    (
        "s3",
        "ListBucketAnalyticsConfigurations",
        "GetAnalyticsConfiguration",
    ),
    (
        "s3",
        "PutBucketAnalyticsConfiguration",
        "PutAnalyticsConfiguration",
    ),
    (
        "s3",
        "DeleteBucketAnalyticsConfiguration",
        "PutAnalyticsConfiguration",
    ),
    (
        "s3",
        "GetBucketInventoryConfiguration",
        "GetInventoryConfiguration",
    ),
    (
        "s3",
        "ListBucketInventoryConfigurations",
        "GetInventoryConfiguration",
    ),
    (
        "s3",
        "PutBucketInventoryConfiguration",
        "PutInventoryConfiguration",
    ),
    (
        "s3",
        "DeleteBucketInventoryConfiguration",
        "PutInventoryConfiguration",
    ),
    (
        "s3",
        "GetBucketMetricsConfiguration",
        "GetMetricsConfiguration",
    ),
    (
        "s3",
        "ListBucketMetricsConfigurations",
        "GetMetricsConfiguration",
    ),
    (
        "s3",
        "PutBucketMetricsConfiguration",
        "PutMetricsConfiguration",
    ),
    (
        "s3",
        "DeleteBucketMetricsConfiguration",
        "PutMetricsConfiguration",
    ),
    (
        "s3",
        "GetBucketIntelligentTieringConfiguration",
        "GetIntelligentTieringConfiguration",
    ),
    (
        "s3",
        "ListBucketIntelligentTieringConfigurations",
        "GetIntelligentTieringConfiguration",
    ),
    (
        "s3",
        "PutBucketIntelligentTieringConfiguration",
        "PutIntelligentTieringConfiguration",
    ),
    (
        "s3",
        "DeleteBucketIntelligentTieringConfiguration",
        "PutIntelligentTieringConfiguration",
    ),
    (
        "s3",
        "DeleteBucketOwnershipControls",
        "PutBucketOwnershipControls",
    ),
    (
        "s3",
        "DeleteBucketPublicAccessBlock",
        "PutBucketPublicAccessBlock",
    ),
    (
        "s3",
        "GetObjectLockConfiguration",
        "GetBucketObjectLockConfiguration",
    ),
    (
        "s3",
        "PutObjectLockConfiguration",
        "PutBucketObjectLockConfiguration",
    ),
    (
        "s3",
        "DeleteAccountPublicAccessBlock",
        "PutAccountPublicAccessBlock",
    ),
    ("lambda", "Invoke", "InvokeFunction"),
    ("kms", "ReEncrypt", "ReEncryptFrom"),
];

/// The action name IAM gives operation `name` of service `prefix`, when
/// it is not the operation's own.
pub fn renamed(prefix: &str, name: &str) -> Option<&'static str> {
    RENAMES
        .iter()
        .find(|(p, from, _)| *p == prefix && *from == name)
        .map(|(_, _, to)| *to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_iams() {
        assert_eq!(prefix_of("s3.amazonaws.com"), "s3");
        assert_eq!(prefix_of("monitoring.amazonaws.com"), "cloudwatch");
        assert_eq!(prefix_of("streams.dynamodb.amazonaws.com"), "dynamodb");
        assert_eq!(prefix_of("ec2"), "ec2");
        assert_eq!(prefix_of(""), "");
    }

    /// Every renamed action is one IAM lists: a typo here would map calls
    /// to an action no policy names.
    #[test]
    fn every_rename_is_a_listed_action() {
        for (prefix, _, to) in RENAMES {
            let name = format!("{prefix}:{to}");
            assert!(super::super::actions().get(&name).is_some(), "{name}");
        }
        for (_, prefix) in PREFIXES {
            assert!(super::super::actions().has_service(prefix), "{prefix}");
        }
    }
}
