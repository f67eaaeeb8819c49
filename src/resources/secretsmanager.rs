//! AWS Secrets Manager: database credentials that never appear in a template, an output or a parameter.

use schemars::JsonSchema;
use serde::Serialize;

use crate::cfn::{Expr, Tag};
use crate::resources::kms::KeyArn;
use crate::{optional_properties, resource_type};

/// How Secrets Manager generates the secret's value.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateSecretString {
    secret_string_template: String,
    generate_string_key: String,
    password_length: u32,
    exclude_characters: String,
}

/// `AWS::SecretsManager::Secret` whose value Secrets Manager generates, encrypted with a customer-managed key.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Secret {
    kms_key_id: KeyArn,
    generate_secret_string: GenerateSecretString,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl Secret {
    /// `{"username": username, "password": <generated>}`. The password avoids the characters PostgreSQL
    /// connection strings and RDS reject (`"`, `@`, `/`, `\`, space and `'`).
    pub fn database_credentials(kms_key_id: impl Into<KeyArn>, username: &str) -> Self {
        Secret {
            kms_key_id: kms_key_id.into(),
            generate_secret_string: GenerateSecretString {
                secret_string_template: serde_json::json!({ "username": username }).to_string(),
                generate_string_key: "password".into(),
                password_length: 32,
                exclude_characters: "\"@/\\ '".into(),
            },
            name: None,
            description: None,
            tags: None,
        }
    }

    /// `{"token": <64 letters and digits>}`: a bearer token for an API. Without punctuation it needs no escaping
    /// in an `Authorization` header or a shell.
    pub fn api_token(kms_key_id: impl Into<KeyArn>) -> Self {
        Secret {
            kms_key_id: kms_key_id.into(),
            generate_secret_string: GenerateSecretString {
                secret_string_template: "{}".into(),
                generate_string_key: "token".into(),
                password_length: 64,
                exclude_characters: "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ ".into(),
            },
            name: None,
            description: None,
            tags: None,
        }
    }

    optional_properties! {
        name: Expr,
        description: String,
    }
}

resource_type!(Secret, "AWS::SecretsManager::Secret", tags: list, attributes {
    ref: secret_arn,
});

impl crate::cfn::Handle<Secret> {
    /// A dynamic reference to one key of the secret, resolved by CloudFormation at deploy time.
    pub fn resolve(&self, json_key: &str) -> Expr {
        Expr::sub_with(
            format!("{{{{resolve:secretsmanager:${{Secret}}:SecretString:{json_key}}}}}"),
            [("Secret", self.secret_arn())],
        )
    }
}

/// `AWS::SecretsManager::SecretTargetAttachment`: adds the cluster's host, port and engine to the secret, so a
/// client (DMS, the rotation function) needs only the secret.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct SecretTargetAttachment {
    secret_id: Expr,
    target_id: Expr,
    target_type: String,
}

impl SecretTargetAttachment {
    pub fn to_db_cluster(secret_id: Expr, cluster: Expr) -> Self {
        SecretTargetAttachment {
            secret_id,
            target_id: cluster,
            target_type: "AWS::RDS::DBCluster".into(),
        }
    }
}

resource_type!(SecretTargetAttachment, "AWS::SecretsManager::SecretTargetAttachment", tags: none, attributes {
    ref: attached_secret_arn,
});

/// The rotation function that Secrets Manager deploys and maintains (needs the template's
/// `AWS::SecretsManager-2020-07-23` transform).
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct HostedRotationLambda {
    rotation_type: String,
    kms_key_arn: KeyArn,
    vpc_subnet_ids: Expr,
    vpc_security_group_ids: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    exclude_characters: Option<String>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct RotationRules {
    automatically_after_days: u32,
}

/// `AWS::SecretsManager::RotationSchedule` with a hosted rotation function inside the VPC.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct RotationSchedule {
    secret_id: Expr,
    hosted_rotation_lambda: HostedRotationLambda,
    rotation_rules: RotationRules,
}

impl RotationSchedule {
    /// Rotates a PostgreSQL user's password every `days`, the function running in `subnet_ids` (comma-joined)
    /// behind `security_group_ids`.
    pub fn postgresql_single_user(
        secret_id: Expr,
        days: u32,
        kms_key_arn: impl Into<KeyArn>,
        subnet_ids: Expr,
        security_group_ids: Expr,
    ) -> Self {
        RotationSchedule {
            secret_id,
            hosted_rotation_lambda: HostedRotationLambda {
                rotation_type: "PostgreSQLSingleUser".into(),
                kms_key_arn: kms_key_arn.into(),
                vpc_subnet_ids: subnet_ids,
                vpc_security_group_ids: security_group_ids,
                exclude_characters: Some("\"@/\\ '".into()),
            },
            rotation_rules: RotationRules {
                automatically_after_days: days,
            },
        }
    }
}

resource_type!(RotationSchedule, "AWS::SecretsManager::RotationSchedule", tags: none);
