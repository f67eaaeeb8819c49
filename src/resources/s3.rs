//! Amazon S3: buckets for workflow checkpoints and rollback state, their replicas and their access logs.

pub use super::slot::{BucketArn, BucketName};

use schemars::JsonSchema;
use serde::Serialize;

use super::iam::PolicyDocument;
use crate::cfn::{Expr, Tag};
use crate::resources::slot::KeyArn;
use crate::resources::slot::RoleArn;
use crate::{optional_properties, resource_type};

/// Default encryption of new objects.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct BucketEncryption {
    server_side_encryption_configuration: Vec<ServerSideEncryptionRule>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct ServerSideEncryptionRule {
    server_side_encryption_by_default: ServerSideEncryptionByDefault,
    #[serde(skip_serializing_if = "Option::is_none")]
    bucket_key_enabled: Option<bool>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
struct ServerSideEncryptionByDefault {
    #[serde(rename = "SSEAlgorithm")]
    sse_algorithm: String,
    #[serde(rename = "KMSMasterKeyID", skip_serializing_if = "Option::is_none")]
    kms_master_key_id: Option<KeyArn>,
}

impl BucketEncryption {
    /// SSE-KMS with the given key; S3 Bucket Keys cut the KMS requests (and their cost) by caching a data key per
    /// bucket.
    pub fn kms(key_arn: impl Into<KeyArn>) -> Self {
        BucketEncryption {
            server_side_encryption_configuration: vec![ServerSideEncryptionRule {
                server_side_encryption_by_default: ServerSideEncryptionByDefault {
                    sse_algorithm: "aws:kms".into(),
                    kms_master_key_id: Some(key_arn.into()),
                },
                bucket_key_enabled: Some(true),
            }],
        }
    }

    /// SSE-S3. Only for server access log destinations, which S3 cannot deliver to with SSE-KMS.
    pub fn s3_managed() -> Self {
        BucketEncryption {
            server_side_encryption_configuration: vec![ServerSideEncryptionRule {
                server_side_encryption_by_default: ServerSideEncryptionByDefault {
                    sse_algorithm: "AES256".into(),
                    kms_master_key_id: None,
                },
                bucket_key_enabled: None,
            }],
        }
    }
}

/// A bucket's Block Public Access settings. [`PublicAccessBlockConfiguration::all`] is the only way to build one,
/// so no bucket of migen can be made public.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PublicAccessBlockConfiguration {
    block_public_acls: bool,
    block_public_policy: bool,
    ignore_public_acls: bool,
    restrict_public_buckets: bool,
}

impl PublicAccessBlockConfiguration {
    /// All four blocks on: nothing in a bucket can be made public by an ACL or a policy.
    pub fn all() -> Self {
        PublicAccessBlockConfiguration {
            block_public_acls: true,
            block_public_policy: true,
            ignore_public_acls: true,
            restrict_public_buckets: true,
        }
    }
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct VersioningConfiguration {
    status: String,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct OwnershipControls {
    rules: Vec<OwnershipControlsRule>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct OwnershipControlsRule {
    object_ownership: String,
}

/// A bucket's lifecycle rules, set with [`Bucket::lifecycle_rules`].
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleConfiguration {
    rules: Vec<LifecycleRule>,
}

/// A lifecycle rule over the whole bucket.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleRule {
    id: String,
    status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    noncurrent_version_expiration: Option<NoncurrentVersionExpiration>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    noncurrent_version_transitions: Vec<NoncurrentVersionTransition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    abort_incomplete_multipart_upload: Option<AbortIncompleteMultipartUpload>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration_in_days: Option<u32>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct NoncurrentVersionExpiration {
    noncurrent_days: u32,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct NoncurrentVersionTransition {
    storage_class: String,
    transition_in_days: u32,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct AbortIncompleteMultipartUpload {
    days_after_initiation: u32,
}

impl LifecycleRule {
    /// An enabled rule that does nothing until given actions; `id` (at most 255 characters) must be unique among
    /// the bucket's rules.
    pub fn enabled(id: impl Into<String>) -> Self {
        LifecycleRule {
            id: id.into(),
            status: "Enabled".into(),
            noncurrent_version_expiration: None,
            noncurrent_version_transitions: Vec::new(),
            abort_incomplete_multipart_upload: None,
            expiration_in_days: None,
        }
    }

    /// Old versions move to infrequent-access storage (30 days is S3's minimum for STANDARD_IA).
    pub fn noncurrent_to_infrequent_access(mut self, days: u32) -> Self {
        self.noncurrent_version_transitions
            .push(NoncurrentVersionTransition {
                storage_class: "STANDARD_IA".into(),
                transition_in_days: days,
            });
        self
    }

    /// Deletes a version for good `days` after a newer one replaced it, which bounds how long overwritten and
    /// deleted data is kept (PCI DSS 3.2.1).
    pub fn expire_noncurrent_after(mut self, days: u32) -> Self {
        self.noncurrent_version_expiration = Some(NoncurrentVersionExpiration {
            noncurrent_days: days,
        });
        self
    }

    /// Deletes the parts of multipart uploads not completed `days` after they began; listings do not show them,
    /// but they are stored and billed until then.
    pub fn abort_incomplete_uploads_after(mut self, days: u32) -> Self {
        self.abort_incomplete_multipart_upload = Some(AbortIncompleteMultipartUpload {
            days_after_initiation: days,
        });
        self
    }

    /// Current versions expire (become noncurrent) after `days`; for log buckets only.
    pub fn expire_current_after(mut self, days: u32) -> Self {
        self.expiration_in_days = Some(days);
        self
    }
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct LoggingConfiguration {
    destination_bucket_name: Expr,
    log_file_prefix: String,
}

/// Replication of every object, delete markers included, to one destination bucket.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicationConfiguration {
    role: Expr,
    rules: Vec<ReplicationRule>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct ReplicationRule {
    id: String,
    status: String,
    priority: u32,
    filter: ReplicationRuleFilter,
    delete_marker_replication: StatusOnly,
    destination: ReplicationDestination,
    source_selection_criteria: SourceSelectionCriteria,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct ReplicationRuleFilter {
    prefix: String,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct StatusOnly {
    status: String,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct ReplicationDestination {
    bucket: Expr,
    encryption_configuration: ReplicaEncryption,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
struct ReplicaEncryption {
    #[serde(rename = "ReplicaKmsKeyID")]
    replica_kms_key_id: KeyArn,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct SourceSelectionCriteria {
    sse_kms_encrypted_objects: StatusOnly,
}

impl ReplicationConfiguration {
    /// Replicates everything under `prefix` to `destination_bucket_arn`, re-encrypting replicas with
    /// `replica_key_arn`. KMS-encrypted objects are included explicitly: S3 skips them otherwise.
    pub fn everything(
        role_arn: impl Into<RoleArn>,
        destination_bucket_arn: impl Into<BucketArn>,
        replica_key_arn: impl Into<KeyArn>,
        prefix: &str,
    ) -> Self {
        let enabled = || StatusOnly {
            status: "Enabled".into(),
        };
        ReplicationConfiguration {
            role: role_arn.into().into_expr(),
            rules: vec![ReplicationRule {
                id: "replicate-everything".into(),
                status: "Enabled".into(),
                priority: 1,
                filter: ReplicationRuleFilter {
                    prefix: prefix.into(),
                },
                delete_marker_replication: enabled(),
                destination: ReplicationDestination {
                    bucket: destination_bucket_arn.into().into_expr(),
                    encryption_configuration: ReplicaEncryption {
                        replica_kms_key_id: replica_key_arn.into(),
                    },
                },
                source_selection_criteria: SourceSelectionCriteria {
                    sse_kms_encrypted_objects: enabled(),
                },
            }],
        }
    }
}

/// `AWS::S3::Bucket`. Encryption, versioning and the public-access block are constructor arguments: migen never
/// creates a bucket without them.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Bucket {
    bucket_encryption: BucketEncryption,
    versioning_configuration: VersioningConfiguration,
    public_access_block_configuration: PublicAccessBlockConfiguration,
    ownership_controls: OwnershipControls,
    #[serde(skip_serializing_if = "Option::is_none")]
    bucket_name: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lifecycle_configuration: Option<LifecycleConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logging_configuration: Option<LoggingConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replication_configuration: Option<ReplicationConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl Bucket {
    /// A versioned, private bucket with ACLs disabled (the bucket owner owns every object).
    pub fn private_versioned(encryption: BucketEncryption) -> Self {
        Bucket {
            bucket_encryption: encryption,
            versioning_configuration: VersioningConfiguration {
                status: "Enabled".into(),
            },
            public_access_block_configuration: PublicAccessBlockConfiguration::all(),
            ownership_controls: OwnershipControls {
                rules: vec![OwnershipControlsRule {
                    object_ownership: "BucketOwnerEnforced".into(),
                }],
            },
            bucket_name: None,
            lifecycle_configuration: None,
            logging_configuration: None,
            replication_configuration: None,
            tags: None,
        }
    }

    /// Replaces the bucket's lifecycle rules. Without one that expires noncurrent versions, a versioned bucket
    /// keeps every overwritten or deleted object forever.
    pub fn lifecycle_rules(mut self, rules: Vec<LifecycleRule>) -> Self {
        self.lifecycle_configuration = Some(LifecycleConfiguration { rules });
        self
    }

    /// Server access logs go to `destination_bucket` under `prefix` (PCI DSS 10.2).
    pub fn access_logs_to(
        mut self,
        destination_bucket: impl Into<BucketName>,
        prefix: impl Into<String>,
    ) -> Self {
        self.logging_configuration = Some(LoggingConfiguration {
            destination_bucket_name: destination_bucket.into().into_expr(),
            log_file_prefix: prefix.into(),
        });
        self
    }

    optional_properties! {
        /// A fixed name, unique across all AWS accounts of the partition (3 to 63 lowercase letters, digits, dots
        /// and hyphens); CloudFormation generates one otherwise. Changing it replaces the bucket.
        bucket_name: Expr,
        /// Copies new objects to another bucket; S3 requires versioning on both, which every bucket of migen has.
        replication_configuration: ReplicationConfiguration,
    }
}

resource_type!(Bucket, "AWS::S3::Bucket", tags: list, attributes {
    ref:
    /// The bucket's name, what a [`BucketName`] slot takes.
    bucket_name,
    /// The bucket's ARN (`arn:aws:s3:::name`), what a [`BucketArn`] slot takes; policies name its objects as
    /// `{arn}/*`.
    arn => "Arn",
    /// `{name}.s3.amazonaws.com`, the bucket's host name on S3's global endpoint.
    domain_name => "DomainName",
    /// `{name}.s3.{region}.amazonaws.com`, which reaches the bucket in its own region without the redirects the
    /// global host name can answer with while a new bucket's name propagates.
    regional_domain_name => "RegionalDomainName",
});

impl From<&crate::cfn::Handle<Bucket>> for BucketName {
    fn from(handle: &crate::cfn::Handle<Bucket>) -> Self {
        BucketName(handle.bucket_name())
    }
}

impl From<&crate::cfn::Handle<Bucket>> for BucketArn {
    fn from(handle: &crate::cfn::Handle<Bucket>) -> Self {
        BucketArn(handle.arn())
    }
}

/// `AWS::S3::BucketPolicy`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct BucketPolicy {
    bucket: Expr,
    policy_document: PolicyDocument,
}

impl BucketPolicy {
    /// Sets `bucket`'s policy, replacing any it has: a bucket has one. Block Public Access refuses a policy that
    /// would make the bucket public.
    pub fn new(bucket: impl Into<BucketName>, policy_document: PolicyDocument) -> Self {
        BucketPolicy {
            bucket: bucket.into().into_expr(),
            policy_document,
        }
    }
}

resource_type!(BucketPolicy, "AWS::S3::BucketPolicy", tags: none);
