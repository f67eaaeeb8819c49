//! Amazon S3: buckets for workflow checkpoints and rollback state, their replicas and their access logs. The types
//! are generated (in `src/resources/generated/s3.rs`); the opinion on top of them is written here.
//!
//! Every bucket is built by [`Bucket::private_versioned`]: encrypted, versioned, blocked from public access and
//! without ACLs. The four blocks of [`PublicAccessBlockConfiguration`] are fixed on by the type (types.toml's
//! `fixed`), with no setter that could turn one off:
//!
//! ```compile_fail
//! use migen::resources::s3::PublicAccessBlockConfiguration;
//!
//! let _ = PublicAccessBlockConfiguration::new().block_public_policy(false);
//! ```
//!
//! What to know when using the rest:
//!
//! - [`Bucket::bucket_name`]: a fixed name, unique across all AWS accounts of the partition (3 to 63 lowercase
//!   letters, digits, dots and hyphens); CloudFormation generates one otherwise. Changing it replaces the bucket.
//! - [`Bucket::replication_configuration`]: copies new objects to another bucket; S3 requires versioning on both,
//!   which every bucket of migen has. [`ReplicationConfiguration::everything`] builds the one migen uses.
//! - [`BucketPolicy::new`]: sets a bucket's policy, replacing any it has (a bucket has one). Block Public Access
//!   refuses a policy that would make the bucket public.
//! - The handle's [`arn`](crate::cfn::Handle#method.arn) (`arn:aws:s3:::name`) is what a [`BucketArn`] slot takes;
//!   policies name the bucket's objects as `{arn}/*`. Its [`bucket_name`](crate::cfn::Handle#method.bucket_name) is
//!   what a [`BucketName`] slot takes. [`regional_domain_name`](crate::cfn::Handle#method.regional_domain_name)
//!   (`{name}.s3.{region}.amazonaws.com`) reaches the bucket in its own region without the redirects the global
//!   [`domain_name`](crate::cfn::Handle#method.domain_name) can answer with while a new bucket's name propagates.

pub use super::generated::s3::*;
pub use super::slot::{BucketArn, BucketName};
pub use bucket::{
    BucketEncryption, LifecycleConfiguration, PublicAccessBlockConfiguration,
    ReplicationConfiguration, Rule as LifecycleRule,
};

use crate::cfn::Handle;
use crate::resources::slot::{KeyArn, RoleArn};
use bucket::{
    AbortIncompleteMultipartUpload, DeleteMarkerReplication, EncryptionConfiguration,
    LoggingConfiguration, NoncurrentVersionExpiration, NoncurrentVersionTransition,
    ObjectOwnership, OwnershipControls, OwnershipControlsRule, ReplicationDestination,
    ReplicationRule, ReplicationRuleFilter, SSEAlgorithm, ServerSideEncryptionByDefault,
    ServerSideEncryptionRule, SourceSelectionCriteria, SseKmsEncryptedObjects, Status, StatusValue,
    StorageClass, VersioningConfiguration,
};

impl BucketEncryption {
    /// SSE-KMS with the given key; S3 Bucket Keys cut the KMS requests (and their cost) by caching a data key per
    /// bucket.
    pub fn kms(key_arn: impl Into<KeyArn>) -> Self {
        BucketEncryption::new(vec![
            ServerSideEncryptionRule::new()
                .server_side_encryption_by_default(
                    ServerSideEncryptionByDefault::new(SSEAlgorithm::AwsKms)
                        .kms_master_key_id(key_arn),
                )
                .bucket_key_enabled(true),
        ])
    }

    /// SSE-S3. Only for server access log destinations, which S3 cannot deliver to with SSE-KMS.
    pub fn s3_managed() -> Self {
        BucketEncryption::new(vec![
            ServerSideEncryptionRule::new().server_side_encryption_by_default(
                ServerSideEncryptionByDefault::new(SSEAlgorithm::Aes256),
            ),
        ])
    }
}

impl LifecycleRule {
    /// An enabled rule over the whole bucket that does nothing until given actions; `id` (at most 255 characters)
    /// must be unique among the bucket's rules.
    pub fn enabled(id: impl Into<String>) -> Self {
        LifecycleRule::new(Status::Enabled).id(id.into())
    }

    /// Old versions move to infrequent-access storage (30 days is S3's minimum for STANDARD_IA).
    pub fn noncurrent_to_infrequent_access(mut self, days: u32) -> Self {
        self.noncurrent_version_transitions
            .get_or_insert_with(Vec::new)
            .push(NoncurrentVersionTransition::new(
                StorageClass::StandardIa,
                days,
            ));
        self
    }

    /// Deletes a version for good `days` after a newer one replaced it, which bounds how long overwritten and
    /// deleted data is kept (PCI DSS 3.2.1).
    pub fn expire_noncurrent_after(self, days: u32) -> Self {
        self.noncurrent_version_expiration(NoncurrentVersionExpiration::new(days))
    }

    /// Deletes the parts of multipart uploads not completed `days` after they began; listings do not show them,
    /// but they are stored and billed until then.
    pub fn abort_incomplete_uploads_after(self, days: u32) -> Self {
        self.abort_incomplete_multipart_upload(AbortIncompleteMultipartUpload::new(days))
    }

    /// Current versions expire (become noncurrent) after `days`; for log buckets only.
    pub fn expire_current_after(self, days: u32) -> Self {
        self.expiration_in_days(days)
    }
}

impl ReplicationConfiguration {
    /// Replicates everything under `prefix` to `destination_bucket_arn`, re-encrypting replicas with
    /// `replica_key_arn`, delete markers included. KMS-encrypted objects are included explicitly: S3 skips them
    /// otherwise.
    pub fn everything(
        role_arn: impl Into<RoleArn>,
        destination_bucket_arn: impl Into<BucketArn>,
        replica_key_arn: impl Into<KeyArn>,
        prefix: &str,
    ) -> Self {
        let destination = ReplicationDestination::new(destination_bucket_arn)
            .encryption_configuration(EncryptionConfiguration::new(replica_key_arn));
        let rule = ReplicationRule::new(destination, Status::Enabled)
            .id("replicate-everything")
            .priority(1)
            .filter(ReplicationRuleFilter::new().prefix(prefix))
            .delete_marker_replication(DeleteMarkerReplication::new().status(Status::Enabled))
            .source_selection_criteria(
                SourceSelectionCriteria::new()
                    .sse_kms_encrypted_objects(SseKmsEncryptedObjects::new(Status::Enabled)),
            );
        ReplicationConfiguration::new(role_arn, vec![rule])
    }
}

impl Bucket {
    /// A versioned, private bucket with ACLs disabled (the bucket owner owns every object), encrypted as
    /// `encryption` says.
    pub fn private_versioned(encryption: BucketEncryption) -> Self {
        let owner_enforced =
            OwnershipControlsRule::new().object_ownership(ObjectOwnership::BucketOwnerEnforced);
        Bucket::new(
            encryption,
            OwnershipControls::new(vec![owner_enforced]),
            // All four blocks on, fixed by the type (types.toml).
            PublicAccessBlockConfiguration::new(),
            VersioningConfiguration::new(StatusValue::Enabled),
        )
    }

    /// Replaces the bucket's lifecycle rules. Without one that expires noncurrent versions, a versioned bucket
    /// keeps every overwritten or deleted object forever.
    pub fn lifecycle_rules(self, rules: Vec<LifecycleRule>) -> Self {
        self.lifecycle_configuration(LifecycleConfiguration::new(rules))
    }

    /// Server access logs go to `destination_bucket` under `prefix` (PCI DSS 10.2).
    pub fn access_logs_to(
        self,
        destination_bucket: impl Into<BucketName>,
        prefix: impl Into<String>,
    ) -> Self {
        self.logging_configuration(
            LoggingConfiguration::new()
                .destination_bucket_name(destination_bucket)
                .log_file_prefix(prefix.into()),
        )
    }
}

/// No CloudFormation schema gives a bucket's ARN a format of its own (the slot is migen's, for a replication
/// destination), so this `From` is written here rather than generated from src/resources/types.toml.
impl From<&Handle<Bucket>> for BucketArn {
    fn from(handle: &Handle<Bucket>) -> Self {
        BucketArn(handle.arn())
    }
}
