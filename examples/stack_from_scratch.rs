//! A template of one's own from migen's typed builders, without the payment migration: a rotating KMS key whose
//! policy leaves administration to the account and lets CloudWatch Logs encrypt with it, a private versioned
//! bucket encrypted with it that refuses requests without TLS, and a log group encrypted with it. A required property is a constructor argument and a handle has exactly its type's
//! attributes, so a missing property or a wrong attribute does not compile; what only the whole template can
//! tell (a dangling or foreign reference, a cycle, a quota) is refused by `render`.
//!
//! ```sh
//! cargo run --example stack_from_scratch > stack.yaml
//! ```

use migen::cfn::{Attributes, Expr, Format, LogicalId, Output, Template};
use migen::resources::iam::{PolicyDocument, Principal, Statement};
use migen::resources::kms::Key;
use migen::resources::logs::LogGroup;
use migen::resources::s3::{Bucket, BucketEncryption, BucketPolicy};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut template = Template::new("A key, a bucket and a log group, each retained on delete");
    let key = template.add_with(
        LogicalId::verbatim("Key"),
        Key::rotating(PolicyDocument::new(vec![
            Statement::allow("AccountAdministers", &["kms:*"])
                .principal(Principal::aws(Expr::account_root_arn()))
                .resource("*"),
            // CloudWatch Logs encrypts the log group with the key itself, so the key policy must let it.
            Statement::allow(
                "CloudWatchLogsEncrypts",
                &[
                    "kms:Decrypt",
                    "kms:Encrypt",
                    "kms:GenerateDataKey*",
                    "kms:ReEncrypt*",
                    "kms:DescribeKey",
                ],
            )
            .principal(Principal::service(Expr::regional_service_principal("logs")))
            .resource("*")
            .condition(
                "ArnLike",
                "kms:EncryptionContext:aws:logs:arn",
                Expr::arn("logs", "log-group:*"),
            ),
        ])),
        Attributes::new().retain(),
    );
    let bucket = template.add_with(
        LogicalId::verbatim("Bucket"),
        Bucket::private_versioned(BucketEncryption::kms(&key)),
        Attributes::new().retain(),
    );
    template.add(
        LogicalId::verbatim("BucketPolicy"),
        BucketPolicy::new(
            &bucket,
            PolicyDocument::new(vec![
                Statement::deny("DenyInsecureTransport", &["s3:*"])
                    .principal(Principal::Everyone)
                    .resource(bucket.arn())
                    .resource(Expr::sub_with("${Arn}/*", [("Arn", bucket.arn())]))
                    .condition("Bool", "aws:SecureTransport", false),
            ]),
        ),
    );
    template.add_named(
        LogicalId::verbatim("Logs"),
        "/example/application",
        LogGroup::new(365).kms_key_id(&key),
        Attributes::new().retain(),
    );
    template.output(
        LogicalId::verbatim("BucketName"),
        Output::new("the bucket", bucket.bucket_name()),
    );
    print!("{}", template.render(Format::Yaml)?.body);
    Ok(())
}
