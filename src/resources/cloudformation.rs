//! AWS CloudFormation's own resource types, generated (in `src/resources/generated/cloudformation.rs`). A
//! `WaitConditionHandle` serves here only as a dependency anchor: its metadata refers to resources under `Fn::If`,
//! so other resources can depend on resources that may not exist (CloudFormation rejects a `DependsOn` that names
//! a resource whose condition is false).

pub use super::generated::cloudformation::*;
