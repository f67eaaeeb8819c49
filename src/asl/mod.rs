//! A typed builder of Amazon States Language (ASL) documents, the definitions of the Step Functions workflows
//! that drive the migration (start and watch DMS tasks, move traffic, checkpoint, ask for approval).
//!
//! It sits beside the CloudFormation core rather than inside it: a definition is its own document, rendered
//! both as a standalone artifact for review and inline in an `AWS::StepFunctions::StateMachine`
//! ([`crate::resources::stepfunctions::StateMachine`]).
//!
//! Three things are derived from one definition so they cannot drift apart:
//! - the ASL JSON, where every resource appears as a `${Placeholder}` ([`integration`]);
//! - `DefinitionSubstitutions`, one entry per placeholder bound to the typed handle's expression, so a resource
//!   missing from the template is caught by the template's render pass like any other reference;
//! - the execution role's statements ([`Definition::policy_statements`]), exactly the actions and resource ARNs
//!   the integrations call, with the few actions AWS authorizes only on `*` kept apart
//!   ([`Definition::unscoped_statement`]).
//!
//! [`StateMachineDefinition::build`] checks what Step Functions would reject at deploy or run time, and what
//! AWS recommends (see [`Problem`]), naming the state each problem is in.

mod choice;
mod definition;
mod error;
pub mod execution_role;
pub mod explore;
pub mod integration;
mod path;
mod sdk;
mod sequence;
mod state;
pub mod worst_case;

#[cfg(test)]
mod tests;

pub use choice::{ChoiceRule, Condition};
pub use definition::{Definition, StateMachineDefinition};
pub use error::{AslError, Catcher, ErrorName, Problem, Retrier};
pub use execution_role::{ExecutionPolicies, Workflow, add_state_machine};
pub use integration::{Backoff, Input, Integration, UnscopedAction};
pub use path::Path;
pub use sdk::SdkCall;
pub use sequence::{Handling, Poll, Sequence};
pub use state::Branch;
pub use state::{Choice, Fail, Parallel, Pass, State, Succeed, Task, Wait};
pub use worst_case::WorstCase;

/// The longest state name Step Functions accepts (Step Functions quotas: "State name: 80 characters").
pub const MAX_STATE_NAME_LEN: usize = 80;

/// The largest definition CloudFormation's `Definition` property accepts (1,048,576 characters), which is also
/// Step Functions' limit on a state machine definition.
pub const MAX_DEFINITION_BYTES: usize = 1_048_576;
