//! AWS CloudFormation's own resource types.

use schemars::JsonSchema;
use serde::Serialize;

use crate::resource_type;

/// `AWS::CloudFormation::WaitConditionHandle`, used here only as a dependency anchor: its metadata refers to
/// resources under `Fn::If`, so other resources can depend on resources that may not exist (CloudFormation
/// rejects a `DependsOn` that names a resource whose condition is false).
#[derive(Clone, Debug, Default, Serialize, JsonSchema)]
pub struct WaitConditionHandle {}

impl WaitConditionHandle {
    pub fn new() -> Self {
        Self::default()
    }
}

resource_type!(WaitConditionHandle, "AWS::CloudFormation::WaitConditionHandle", tags: none, attributes {
    ref: handle_url,
});
