//! AWS Key Management Service: the customer-managed key that encrypts every data store of a region's stack.

use schemars::JsonSchema;
use serde::Serialize;

use super::bounds::{Allowed, checked_option};
use super::iam::PolicyDocument;
use crate::cfn::{Expr, Tag};
use crate::{optional_properties, resource_type};

/// `AWS::KMS::Key`: a symmetric encryption key. Rotation is a constructor decision, not an option, because PCI
/// DSS 3.6.4 asks for cryptoperiods and cfn-guard's `CMK_BACKING_KEY_ROTATION_ENABLED` checks it.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Key {
    key_policy: PolicyDocument,
    enable_key_rotation: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "pending_window"
    )]
    pending_window_in_days: Option<u32>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "rotation_period"
    )]
    rotation_period_in_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl Key {
    pub fn rotating(key_policy: PolicyDocument) -> Self {
        Key {
            key_policy,
            enable_key_rotation: true,
            description: None,
            pending_window_in_days: None,
            rotation_period_in_days: None,
            tags: None,
        }
    }

    optional_properties! {
        description: String,
        /// 7 to 30 days between a deletion request and the key's deletion.
        pending_window_in_days: u32,
        /// 90 to 2560 days.
        rotation_period_in_days: u32,
    }
}

fn pending_window<S: serde::Serializer>(days: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
    checked_option("PendingWindowInDays", Allowed::Range(7..=30), days, s)
}

fn rotation_period<S: serde::Serializer>(days: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
    checked_option("RotationPeriodInDays", Allowed::Range(90..=2560), days, s)
}

resource_type!(Key, "AWS::KMS::Key", tags: list, attributes {
    ref: key_id,
    arn => "Arn",
});

/// `AWS::KMS::Alias`. The name must start with `alias/` and must not start with `alias/aws/`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Alias {
    alias_name: Expr,
    target_key_id: Expr,
}

impl Alias {
    pub fn new(alias_name: impl Into<Expr>, target_key_id: Expr) -> Self {
        Alias {
            alias_name: alias_name.into(),
            target_key_id,
        }
    }
}

resource_type!(Alias, "AWS::KMS::Alias", tags: none, attributes {
    ref: alias_name,
});

reference_slot!(
    /// A KMS key where a property takes one, as its ARN: a key of the template, from its handle
    /// (`KeyArn::from(&key)`, or `&key` where a slot takes `impl Into<KeyArn>`), or, as an explicit escape, a key the
    /// template does not create ([`KeyArn::existing`]). A slot typed so cannot take a bucket's ARN, a key id or any
    /// other expression by mistake:
    ///
    /// ```compile_fail
    /// use migen::cfn::{LogicalId, Template};
    /// use migen::resources::s3::{Bucket, BucketEncryption};
    /// use migen::resources::sns::Topic;
    ///
    /// let mut template = Template::new("example");
    /// let bucket = template.add(
    ///     LogicalId::verbatim("Bucket"),
    ///     Bucket::private_versioned(BucketEncryption::s3_managed()),
    /// );
    /// let _ = Topic::encrypted(bucket.arn()); // a bucket's ARN where a key belongs
    /// ```
    ///
    /// ```
    /// use migen::cfn::{Expr, LogicalId, Template};
    /// use migen::resources::iam::PolicyDocument;
    /// use migen::resources::kms::{Key, KeyArn};
    /// use migen::resources::sns::Topic;
    ///
    /// let mut template = Template::new("example");
    /// let key = template.add(LogicalId::verbatim("Key"), Key::rotating(PolicyDocument::new(vec![])));
    /// let _ = Topic::encrypted(&key);
    /// let _ = Topic::encrypted(KeyArn::existing(Expr::ImportValue(Box::new(Expr::lit("shared-key-arn")))));
    /// ```
    KeyArn,
    Key,
    arn
);
