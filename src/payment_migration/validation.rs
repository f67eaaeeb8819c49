//! The validation layer: the `data-validation-<env>` Lambda, which proves from DMS's row-level validation and
//! CDC latency that source and target agree before anyone cuts over, and answers `consistent`, `inconsistent`
//! or `not-ready` for the workflow to branch on. It reads DMS statistics and metrics only: no row of payment data
//! passes through it.

use serde_json::json;

use crate::cfn::{Expr, Handle, LogicalId, Named, Output};
use crate::resources::iam::Statement;
use crate::resources::kms::Key;
use crate::resources::lambda::Function;
use crate::resources::logs::LogGroup;
use crate::spec::Environment;

use super::functions::{FunctionSpec, vpc_function};
use super::migration::Replication;
use super::network::Network;
use super::stack::{Layer, Stack};
use super::storage::Storage;

/// Where the function publishes its verdicts and counts, for the dashboard and alarms.
pub const METRIC_NAMESPACE: &str = "PaymentMigration/Validation";
/// Where in the checkpoints bucket the reports go.
pub const REPORT_PREFIX: &str = "validation/";
/// The error the function raises when an AWS call it makes was throttled or failed transiently: the workflow
/// retries it. Every other error of the function (a misconfiguration, a refusal) is not retried. The function's
/// docstring says the same, and tests/lambdas checks that it raises this name.
pub const TRANSIENT_ERROR: &str = "DependencyUnavailable";

/// The original runbook's name, so `aws lambda invoke --function-name data-validation-<env>` works as written.
pub fn function_name(env: &Environment) -> String {
    format!("data-validation-{}", env.name)
}

/// The validation layer's handles: the migration workflow invokes the function, and the alarms and dashboard
/// watch it.
pub struct Validation {
    /// `data-validation-<env>`, invoked synchronously by the migration workflow until it answers `consistent`;
    /// its errors are a health alarm, so one during a traffic step rolls the migration back.
    pub function: Named<Function>,
    /// The function's log group: one JSON line per verdict.
    pub logs: Handle<LogGroup>,
}

/// The validation function in the migration VPC, allowed to read only the forward task's statistics and DMS
/// metrics, write reports under [`REPORT_PREFIX`] and publish to [`METRIC_NAMESPACE`]; and its output.
pub fn build(
    stack: &mut Stack,
    key: &Handle<Key>,
    network: &Network,
    replication: &Replication,
    storage: &Storage,
) -> Validation {
    let env = stack.env;
    let tables: Vec<_> = env
        .migration
        .tables
        .iter()
        .map(|rule| {
            json!({
                "schema": rule.schema,
                "table": rule.table,
                "action": if rule.include { "include" } else { "exclude" },
            })
        })
        .collect();
    let task_arn = replication.forward_task.r#ref();
    let built = vpc_function(
        stack,
        key,
        FunctionSpec {
            layer: Layer::Validation,
            purpose: "data validation",
            name: function_name(env),
            description:
                "Decides whether source and target agree: consistent, inconsistent or not-ready"
                    .into(),
            source: include_str!("../../templates/lambda/validation.py"),
            timeout_seconds: 60,
            memory_mb: 256,
            // The workflow and an operator may validate at the same time; more gains nothing.
            reserved_concurrency: 2,
            environment: vec![
                ("ENVIRONMENT", Expr::lit(&env.name)),
                ("REPLICATION_TASK_ARN", task_arn.clone()),
                (
                    "REPLICATION_INSTANCE_IDENTIFIER",
                    Expr::lit(&replication.instance_identifier),
                ),
                (
                    "REPLICATION_TASK_RESOURCE_ID",
                    Expr::lit(&replication.forward_task_id),
                ),
                ("TABLE_MAPPINGS", Expr::lit(json!(tables).to_string())),
                (
                    "MAX_CDC_LATENCY_SECONDS",
                    Expr::lit(env.migration.max_cdc_latency_seconds.to_string()),
                ),
                ("REPORT_BUCKET", storage.checkpoints.bucket_name()),
                ("REPORT_PREFIX", Expr::lit(REPORT_PREFIX)),
                ("METRIC_NAMESPACE", Expr::lit(METRIC_NAMESPACE)),
            ],
            statements: vec![
                Statement::allow(
                    "ReadForwardTaskStatistics",
                    &["dms:DescribeTableStatistics"],
                )
                .resource(task_arn),
                Statement::allow("WriteReports", &["s3:PutObject"]).resource(Expr::sub_with(
                    format!("${{Bucket}}/{REPORT_PREFIX}*"),
                    [("Bucket", storage.checkpoints.arn())],
                )),
                // The bucket encrypts reports with the stack's key.
                Statement::allow("EncryptReports", &["kms:GenerateDataKey"]).resource(key.arn()),
            ],
            unscoped: vec![
                Statement::allow(
                    "ReadTaskStatusAndLatency",
                    &["dms:DescribeReplicationTasks", "cloudwatch:GetMetricData"],
                )
                .resource("*"),
                Statement::allow("PublishVerdicts", &["cloudwatch:PutMetricData"])
                    .resource("*")
                    .condition("StringEquals", "cloudwatch:namespace", METRIC_NAMESPACE),
            ],
            unscoped_reason: "dms:DescribeReplicationTasks, cloudwatch:GetMetricData and cloudwatch:PutMetricData \
                              support no resource-level permissions; the function reads only its own task's status \
                              and DMS metrics, and may publish only to its own namespace (cloudwatch:namespace \
                              condition).",
            subnets: &network.migration.private_subnets,
            security_group: &network.security_groups.validation,
            invoked_by: "the migration workflow (lambda:invoke, waiting for the verdict)",
        },
    );
    stack.template.output(
        LogicalId::verbatim("ValidationLambdaArn"),
        Output::new(
            "Data validation Lambda (validation_lambda_arn)",
            built.function.arn(),
        ),
    );
    Validation {
        function: built.function,
        logs: built.log_group,
    }
}
