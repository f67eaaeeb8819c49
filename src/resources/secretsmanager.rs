//! AWS Secrets Manager: database credentials that never appear in a template, an output or a parameter. The types
//! are generated (in `src/resources/generated/secretsmanager.rs`); the opinion on top of them is written here.

pub use super::generated::secretsmanager::*;

pub use super::slot::SecretReference;
use crate::cfn::Expr;
use crate::resources::kms::KeyArn;
use rotation_schedule::{HostedRotationLambda, RotationRules};
use secret::GenerateSecretString;

/// The characters PostgreSQL connection strings and RDS reject in a password (`"`, `@`, `/`, `\`, space and
/// `'`), kept out of generated and rotated passwords alike.
const POSTGRESQL_EXCLUDED: &str = "\"@/\\ '";

impl Secret {
    /// `{"username": username, "password": <generated>}`, encrypted with a customer-managed key.
    pub fn database_credentials(kms_key_id: impl Into<KeyArn>, username: &str) -> Self {
        let value = GenerateSecretString::new()
            .secret_string_template(serde_json::json!({ "username": username }).to_string())
            .generate_string_key("password")
            .password_length(32)
            .exclude_characters(POSTGRESQL_EXCLUDED);
        Secret::new(value, kms_key_id)
    }

    /// `{"token": <64 letters and digits>}`: a bearer token for an API. Without punctuation it needs no escaping
    /// in an `Authorization` header or a shell.
    pub fn api_token(kms_key_id: impl Into<KeyArn>) -> Self {
        let value = GenerateSecretString::new()
            .secret_string_template("{}")
            .generate_string_key("token")
            .password_length(64)
            .exclude_characters("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ ");
        Secret::new(value, kms_key_id)
    }
}

impl crate::cfn::Handle<Secret> {
    /// A dynamic reference to one key of the secret, resolved by CloudFormation at deploy time: what a password
    /// property takes.
    pub fn resolve(&self, json_key: &str) -> SecretReference {
        SecretReference::existing(Expr::sub_with(
            format!("{{{{resolve:secretsmanager:${{Secret}}:SecretString:{json_key}}}}}"),
            [("Secret", self.secret_arn())],
        ))
    }
}

impl SecretTargetAttachment {
    /// Adds the cluster's host, port and engine to the secret, so a client (DMS, the rotation function) needs only
    /// the secret.
    pub fn to_db_cluster(secret_id: Expr, cluster: Expr) -> Self {
        SecretTargetAttachment::new(secret_id, cluster, "AWS::RDS::DBCluster")
    }
}

impl RotationSchedule {
    /// Rotates a PostgreSQL user's password every `days` with the function Secrets Manager deploys and maintains
    /// (the template needs the `AWS::SecretsManager-2020-07-23` transform), running in `subnet_ids`
    /// (comma-joined) behind `security_group_ids`.
    pub fn postgresql_single_user(
        secret_id: Expr,
        days: u32,
        kms_key_arn: impl Into<KeyArn>,
        subnet_ids: Expr,
        security_group_ids: Expr,
    ) -> Self {
        let function = HostedRotationLambda::new("PostgreSQLSingleUser")
            .kms_key_arn(kms_key_arn)
            .vpc_subnet_ids(subnet_ids)
            .vpc_security_group_ids(security_group_ids)
            .exclude_characters(POSTGRESQL_EXCLUDED);
        RotationSchedule::new(
            function,
            RotationRules::new().automatically_after_days(days),
            secret_id,
        )
    }
}
