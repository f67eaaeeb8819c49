//! The region's customer-managed KMS key. Every data store of the stack is encrypted with it, and its key
//! policy lets exactly the services that use it do so (PCI DSS 3.5, 3.6).

use crate::cfn::{Attributes, Expr, Handle, Output};
use crate::resources::iam::{PolicyDocument, Principal, Statement};
use crate::resources::kms::{Alias, Key};

use super::stack::{Layer, SYSTEM, Stack, logical_id};

/// Services that use the key on behalf of the account's principals, through `kms:ViaService`.
const VIA_SERVICES: &[&str] = &["s3", "sns", "ssm", "secretsmanager", "rds", "dms"];

/// Key administration, without the right to use the key: administrators cannot decrypt data.
const ADMIN_ACTIONS: &[&str] = &[
    "kms:CancelKeyDeletion",
    "kms:Create*",
    "kms:Delete*",
    "kms:Describe*",
    "kms:Disable*",
    "kms:Enable*",
    "kms:Get*",
    "kms:List*",
    "kms:Put*",
    "kms:Revoke*",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:Update*",
];

const USE_ACTIONS: &[&str] = &[
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
];

pub fn build(stack: &mut Stack) -> Handle<Key> {
    let via_services: Vec<Expr> = VIA_SERVICES
        .iter()
        .map(|s| Expr::sub(format!("{s}.${{AWS::Region}}.${{AWS::URLSuffix}}")))
        .collect();
    let policy = PolicyDocument::new(vec![
        Statement::allow("KeyAdministration", ADMIN_ACTIONS)
            .principal(Principal::aws(Expr::account_root_arn()))
            .resource("*"),
        Statement::allow(
            "UseThroughStackServices",
            &[USE_ACTIONS, &["kms:CreateGrant"]].concat(),
        )
        .principal(Principal::aws(Expr::account_root_arn()))
        .resource("*")
        .condition("StringEquals", "kms:CallerAccount", Expr::account_id())
        .condition("StringEquals", "kms:ViaService", via_services),
        Statement::allow("CloudWatchLogsEncryptsLogGroups", USE_ACTIONS)
            .principal(Principal::service(Expr::regional_service_principal("logs")))
            .resource("*")
            .condition(
                "ArnLike",
                "kms:EncryptionContext:aws:logs:arn",
                Expr::arn("logs", "log-group:*"),
            ),
        // Alarms publish to the KMS-encrypted operations topic as the CloudWatch service itself.
        Statement::allow(
            "CloudWatchAlarmsPublishToEncryptedTopic",
            &["kms:Decrypt", "kms:GenerateDataKey*"],
        )
        .principal(Principal::service("cloudwatch.amazonaws.com"))
        .resource("*")
        .from_this_account(),
    ]);
    let env = stack.env.name.clone();
    let key = stack.add_with(
        Layer::Encryption,
        "key",
        Key::rotating(policy)
            .description(format!(
                "Encrypts every data store of the {env} payment migration in this region"
            ))
            .pending_window_in_days(30u32),
        // Data encrypted with a deleted key is lost: the key outlives the stack.
        Attributes::new().retain(),
    );
    stack.template.add(
        logical_id(Layer::Encryption, "key alias"),
        Alias::new(format!("alias/{SYSTEM}-{env}"), key.key_id()),
    );
    stack.template.output(
        logical_id(Layer::Encryption, "key arn"),
        Output::new("ARN of the region's customer-managed KMS key", key.arn()),
    );
    key
}
