//! AWS Key Management Service: the customer-managed key that encrypts every data store of a region's stack. The
//! types are generated (in `src/resources/generated/kms.rs`); the opinion on top of them is written here.

pub use super::generated::kms::*;
pub use super::slot::KeyArn;

use super::iam::PolicyDocument;

/// [`KeyArn`], the slot a property takes a key in, from a key of the template or, as an explicit escape, a key the
/// template does not create ([`KeyArn::existing`]), cannot take a bucket's ARN, a key id or any other expression
/// by mistake:
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
impl Key {
    /// A symmetric encryption key that rotates yearly. Rotation is a constructor decision, not an option, because
    /// PCI DSS 3.6.4 asks for cryptoperiods and cfn-guard's `CMK_BACKING_KEY_ROTATION_ENABLED` checks it.
    pub fn rotating(key_policy: PolicyDocument) -> Self {
        Key::new(key_policy)
    }
}
