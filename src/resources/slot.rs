//! Property slots that take one kind of resource by its ARN or name, or a secret's value by its dynamic reference: a
//! slot typed so cannot take another resource's value (a bucket's ARN where a key belongs does not compile). Each is
//! made from a handle of its resource type (`&handle`, where the slot takes `impl Into<…>`; the `From` impl sits beside
//! the type), or, as the explicit escape, from an expression for a resource the template does not create (`existing`).
//! The slots live here, below the resource types, so a type of one service can take another service's slot without the
//! two modules depending on each other. CloudFormation's schemas name the slot a property takes by its `format`
//! (src/resources/types.toml maps them).

use crate::cfn::Expr;

/// Defines a slot: renders and has the JSON Schema of the expression inside, so CloudFormation and the schema check
/// see a plain string property.
macro_rules! slot {
    ($(#[$meta:meta])* $slot:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $slot(pub(crate) Expr);

        impl $slot {
            /// One the template does not create, by an expression (another stack's output, a parameter, a
            /// literal).
            pub fn existing(value: Expr) -> Self {
                $slot(value)
            }

            /// The expression the slot holds, for a property that stores expressions of several kinds.
            pub fn into_expr(self) -> Expr {
                self.0
            }
        }

        impl serde::Serialize for $slot {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(serializer)
            }
        }

        impl schemars::JsonSchema for $slot {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                <Expr as schemars::JsonSchema>::schema_name()
            }

            fn inline_schema() -> bool {
                true
            }

            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                <Expr as schemars::JsonSchema>::json_schema(generator)
            }
        }
    };
}

slot!(
    /// A KMS key, as its ARN (`AWS::KMS::Key.Arn`): `&key`, or [`KeyArn::existing`].
    KeyArn
);
slot!(
    /// An SNS topic, as its ARN (`AWS::SNS::Topic.Arn`): `&topic`, or [`TopicArn::existing`] for one the template
    /// does not create (another region's, another stack's).
    TopicArn
);
slot!(
    /// An IAM role, as its ARN (`AWS::IAM::Role.Arn`): `&role`, or [`RoleArn::existing`].
    RoleArn
);
slot!(
    /// A bucket, as its name (`AWS::S3::Bucket.Name`: access-log destinations, bucket policies, a load balancer's
    /// logs): `&bucket`, or [`BucketName::existing`]. An ARN where a name belongs does not compile.
    BucketName
);
slot!(
    /// A bucket, as its ARN (a replication destination): `&bucket`, or [`BucketArn::existing`].
    BucketArn
);
slot!(
    /// A secret's value, as the dynamic reference CloudFormation resolves at deploy time, so the value never
    /// appears in the template (PCI DSS 8.6.2): `secret.resolve(key)`, or [`SecretReference::existing`] with the
    /// `{{resolve:secretsmanager:…}}` reference of a secret the template does not create.
    SecretReference
);
