//! AWS Step Functions: the state machines that orchestrate the migration's steps. Their definitions are built
//! with [`crate::asl`], which also yields the `DefinitionSubstitutions` and the execution role's statements. The
//! types are generated (in `src/resources/generated/stepfunctions.rs`); the opinion on top of them is written here.

use std::collections::BTreeMap;

pub use super::generated::stepfunctions::*;
pub use state_machine::{
    EncryptionConfiguration, Level as LogLevel, LoggingConfiguration, StateMachineType,
    TracingConfiguration,
};

use crate::cfn::Expr;
use crate::resources::slot::{KeyArn, RoleArn};
use state_machine::{CloudWatchLogsLogGroup, LogDestination, Type};

impl LoggingConfiguration {
    /// Logs execution history at `level` to the log group with ARN `log_group_arn` (`Handle<LogGroup>::arn()`).
    /// CloudFormation's default level is `OFF`, which leaves no trail of who changed what during a migration (PCI
    /// DSS 10.2). `include_execution_data` is an argument because it decides whether state inputs and outputs
    /// (which may hold cardholder data) are written to the log group.
    pub fn to_log_group(
        level: LogLevel,
        include_execution_data: bool,
        log_group_arn: Expr,
    ) -> Self {
        let destination = LogDestination::new()
            .cloud_watch_logs_log_group(CloudWatchLogsLogGroup::new().log_group_arn(log_group_arn));
        LoggingConfiguration::new()
            .level(level)
            .include_execution_data(include_execution_data)
            .destinations(vec![destination])
    }
}

impl EncryptionConfiguration {
    /// Encryption of execution data at rest with a customer-managed key (PCI DSS 3.5), which the key policy and
    /// the execution role must both allow. Without it, execution data is encrypted with an AWS-owned key, which
    /// no key policy of the account controls.
    pub fn customer_managed_key(kms_key_arn: impl Into<KeyArn>) -> Self {
        EncryptionConfiguration::new(Type::CustomerManagedKmsKey).kms_key_id(kms_key_arn)
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

impl StateMachine {
    /// A state machine running `definition` as the role `role_arn`, with the definition inline as a JSON object, so
    /// reviewers read the workflow in the template itself. The definition names resources only through `${…}`
    /// placeholders, which `DefinitionSubstitutions` binds to typed expressions: both come from one
    /// [`DefinitionDocument`], so every placeholder has exactly one substitution and the template's render pass
    /// checks each of them like any other reference. This is the opt-out for a role managed elsewhere:
    /// [`crate::asl::add_state_machine`] derives the role from the definition and the configuration
    /// ([`crate::asl::Definition::execution_policies`]), which a role of the caller's must then hold.
    pub fn running(role_arn: impl Into<RoleArn>, definition: &impl DefinitionDocument) -> Self {
        let machine = StateMachine::new(definition.document(), role_arn);
        let substitutions: BTreeMap<String, Expr> = definition.substitutions();
        // CloudFormation rejects an empty map (`minProperties: 1`), so a definition without placeholders has none.
        if substitutions.is_empty() {
            machine
        } else {
            machine.definition_substitutions(substitutions)
        }
    }
}
