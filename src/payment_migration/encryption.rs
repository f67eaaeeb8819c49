//! The region's customer-managed KMS key. Every data store of the stack is encrypted with it, and its key
//! policy lets exactly the services that use it do so (PCI DSS 3.5, 3.6).

use crate::cfn::{Attributes, Expr, Handle, Output};
use crate::resources::iam::{PolicyDocument, Principal, Statement};
use crate::resources::kms::{Alias, Key};

use super::stack::{Layer, SYSTEM, Stack, logical_id};

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

/// The key, with a policy that only administration may use until [`seal`] writes what the layers registered.
pub fn build(stack: &mut Stack) -> Handle<Key> {
    let env = stack.env.name.clone();
    let properties = key(stack);
    // Data encrypted with a deleted key is lost: the key outlives the stack.
    let key = stack.add_with(
        Layer::Encryption,
        "key",
        properties,
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

/// Writes the key policy from what the stack's layers registered ([`Stack::use_key_via`],
/// [`Stack::grant_key`]); called once every layer is built.
pub fn seal(stack: &mut Stack, handle: &Handle<Key>) {
    let properties = key(stack);
    stack.replace(Layer::Encryption, "key", handle, properties);
    stack.grants.key_sealed = true;
}

fn key(stack: &Stack) -> Key {
    Key::rotating(policy(stack))
        .description(format!(
            "Encrypts every data store of the {} payment migration in this region",
            stack.env.name
        ))
        .pending_window_in_days(30u32)
}

/// Administration (no data access) for the account, use through the registered services only, and the
/// statements of principals that use the key directly.
fn policy(stack: &Stack) -> PolicyDocument {
    let grants = &stack.grants;
    let mut statements = vec![
        Statement::allow("KeyAdministration", ADMIN_ACTIONS)
            .principal(Principal::aws(Expr::account_root_arn()))
            .resource("*"),
    ];
    if !grants.key_via_services.is_empty() {
        let via_services: Vec<Expr> = grants
            .key_via_services
            .iter()
            .map(|s| Expr::sub(format!("{s}.${{AWS::Region}}.${{AWS::URLSuffix}}")))
            .collect();
        statements.push(
            Statement::allow(
                "UseThroughStackServices",
                &[USE_ACTIONS, &["kms:CreateGrant"]].concat(),
            )
            .principal(Principal::aws(Expr::account_root_arn()))
            .resource("*")
            .condition("StringEquals", "kms:CallerAccount", Expr::account_id())
            .condition("StringEquals", "kms:ViaService", via_services),
        );
    }
    statements.extend(grants.key_statements.iter().cloned());
    PolicyDocument::new(statements)
}
