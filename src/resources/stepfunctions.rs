//! AWS Step Functions: the state machines that orchestrate the migration's steps. Their definitions are built
//! with [`crate::asl`], which also yields the `DefinitionSubstitutions` and the execution role's statements.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::cfn::{Expr, Tag};
use crate::resources::iam::RoleArn;
use crate::resources::kms::KeyArn;
use crate::{optional_properties, physical_name, resource_type};

/// STANDARD runs up to a year with exactly-once steps and a full execution history (what a cutover needs);
/// EXPRESS runs at most five minutes, at least once. Changing it replaces the state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum StateMachineType {
    /// CloudFormation's default: executions of up to a year, each step run exactly once.
    Standard,
    /// Executions of at most five minutes, steps run at least once; their history exists only in the logs.
    Express,
}

/// Which execution events reach the log group. CloudFormation's default is `OFF`, which leaves no trail of
/// who changed what during a migration (PCI DSS 10.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum LogLevel {
    /// Every event, with state inputs and outputs when `IncludeExecutionData` is set.
    All,
    /// Error events only, including those of failed executions.
    Error,
    /// Only the events that end an execution unsuccessfully (failed, aborted, timed out).
    Fatal,
    /// Nothing: CloudFormation's default.
    Off,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct CloudWatchLogsLogGroup {
    log_group_arn: Expr,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct LogDestination {
    cloud_watch_logs_log_group: CloudWatchLogsLogGroup,
}

/// Where execution history is logged. `IncludeExecutionData` is a constructor argument because it decides
/// whether state inputs and outputs (which may hold cardholder data) are written to the log group.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingConfiguration {
    level: LogLevel,
    include_execution_data: bool,
    destinations: Vec<LogDestination>,
}

impl LoggingConfiguration {
    /// Logs to the log group with ARN `log_group_arn` (`Handle<LogGroup>::arn()`).
    pub fn new(level: LogLevel, include_execution_data: bool, log_group_arn: Expr) -> Self {
        LoggingConfiguration {
            level,
            include_execution_data,
            destinations: vec![LogDestination {
                cloud_watch_logs_log_group: CloudWatchLogsLogGroup { log_group_arn },
            }],
        }
    }
}

/// AWS X-Ray tracing of executions.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct TracingConfiguration {
    enabled: bool,
}

impl TracingConfiguration {
    /// Traces executions when `enabled`; the execution role must then allow sending traces to X-Ray
    /// (`xray:PutTraceSegments`, `xray:PutTelemetryRecords`).
    pub fn enabled(enabled: bool) -> Self {
        TracingConfiguration { enabled }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum EncryptionType {
    CustomerManagedKmsKey,
}

/// Encryption of execution data at rest with a customer-managed key (PCI DSS 3.5), which the key policy and
/// the execution role must both allow.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptionConfiguration {
    #[serde(rename = "Type")]
    kind: EncryptionType,
    kms_key_id: KeyArn,
    #[serde(skip_serializing_if = "Option::is_none")]
    kms_data_key_reuse_period_seconds: Option<u32>,
}

impl EncryptionConfiguration {
    /// Encrypts with the key `kms_key_arn`; the execution role needs `kms:Decrypt` and `kms:GenerateDataKey` on
    /// it.
    pub fn customer_managed_key(kms_key_arn: impl Into<KeyArn>) -> Self {
        EncryptionConfiguration {
            kind: EncryptionType::CustomerManagedKmsKey,
            kms_key_id: kms_key_arn.into(),
            kms_data_key_reuse_period_seconds: None,
        }
    }
}

/// What a state machine runs: its Amazon States Language document, which names resources only through `${…}`
/// placeholders, and the `DefinitionSubstitutions` that bind each placeholder to a typed expression. Both come
/// from one value, so every placeholder has exactly one substitution. [`crate::asl::Definition`] is the
/// implementation, built with the ASL builder, which sits above the resources it integrates with.
pub trait DefinitionDocument {
    /// The ASL document, with `${Placeholder}`s for resources.
    fn document(&self) -> serde_json::Map<String, serde_json::Value>;
    /// Exactly one expression per placeholder of [`DefinitionDocument::document`].
    fn substitutions(&self) -> BTreeMap<String, Expr>;
}

/// `AWS::StepFunctions::StateMachine` with its definition inline as a JSON object, so reviewers read the
/// workflow in the template itself. The definition names resources only through `${…}` placeholders, which
/// `DefinitionSubstitutions` binds to typed expressions: both come from one [`DefinitionDocument`], so every
/// placeholder has exactly one substitution and the template's render pass checks each of them like any other
/// reference.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct StateMachine {
    role_arn: Expr,
    definition: serde_json::Map<String, serde_json::Value>,
    /// CloudFormation rejects an empty map (`minProperties: 1`), so a definition without placeholders has none.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    definition_substitutions: BTreeMap<String, Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state_machine_name: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state_machine_type: Option<StateMachineType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logging_configuration: Option<LoggingConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tracing_configuration: Option<TracingConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encryption_configuration: Option<EncryptionConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl StateMachine {
    /// A state machine running `definition` as the role `role_arn`, whose policy should hold what the definition
    /// calls (for an ASL [`crate::asl::Definition`], its `policy_statements` and, in a separate reasoned policy,
    /// its `unscoped_statement`).
    pub fn new(role_arn: impl Into<RoleArn>, definition: &impl DefinitionDocument) -> Self {
        StateMachine {
            role_arn: role_arn.into().into_expr(),
            definition: definition.document(),
            definition_substitutions: definition.substitutions(),
            state_machine_name: None,
            state_machine_type: None,
            logging_configuration: None,
            tracing_configuration: None,
            encryption_configuration: None,
            tags: None,
        }
    }

    optional_properties! {
        /// 1 to 80 characters. Renaming replaces the state machine, and with it its ARN, by which its metrics
        /// and executions are found.
        state_machine_name: Expr,
        /// `STANDARD` unless set; changing it replaces the state machine.
        state_machine_type: StateMachineType,
        /// The execution role must also allow log delivery to CloudWatch Logs (`logs:CreateLogDelivery` and the
        /// related actions), or the state machine cannot be created.
        logging_configuration: LoggingConfiguration,
        /// Off unless set.
        tracing_configuration: TracingConfiguration,
        /// Without it, execution data is encrypted with an AWS-owned key, which no key policy of the account
        /// controls.
        encryption_configuration: EncryptionConfiguration,
    }
}

physical_name!(
    StateMachine,
    state_machine_name,
    "StateMachineName",
    |name| Some(Expr::lit(name))
);

resource_type!(StateMachine, "AWS::StepFunctions::StateMachine", tags: list, attributes {
    ref:
    /// The state machine's ARN, which `Ref` returns: what `states:StartExecution` and its metrics'
    /// `StateMachineArn` dimension name.
    state_machine_arn,
    /// The name, given or generated by CloudFormation.
    name => "Name",
});
