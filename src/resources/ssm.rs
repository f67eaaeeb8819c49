//! AWS Systems Manager Parameter Store: the `/migration/{env}/…` hierarchy that the workflows read and write.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::cfn::Expr;
use crate::{optional_properties, physical_name, resource_type};

/// `AWS::SSM::Parameter` of type `String`. CloudFormation cannot create `SecureString` parameters, so secrets live
/// in Secrets Manager and never here.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Parameter {
    name: Expr,
    #[serde(rename = "Type")]
    kind: String,
    value: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_pattern: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<BTreeMap<String, String>>,
}

impl Parameter {
    pub fn string(name: impl Into<Expr>, value: impl Into<Expr>) -> Self {
        Parameter {
            name: name.into(),
            kind: "String".into(),
            value: value.into(),
            description: None,
            allowed_pattern: None,
            tier: None,
            tags: None,
        }
    }

    optional_properties! {
        description: String,
        /// A regular expression every later `PutParameter` value must match, so a workflow cannot write a
        /// traffic split of 150.
        allowed_pattern: String,
        tier: String,
    }
}

physical_name!(Parameter, name, "Name", |name| Expr::lit(name));

resource_type!(Parameter, "AWS::SSM::Parameter", tags: map, attributes {
    ref: parameter_name,
});
