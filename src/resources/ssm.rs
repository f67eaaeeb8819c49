//! AWS Systems Manager Parameter Store: the `/migration/{env}/…` hierarchy that the workflows read and write.
//! The type is generated (in `src/resources/generated/ssm.rs`); the opinion on top of it is written here.

pub use super::generated::ssm::*;

use crate::cfn::Expr;

impl Parameter {
    /// A parameter of type `String`. CloudFormation cannot create `SecureString` parameters, so secrets live in
    /// Secrets Manager and never here.
    pub fn string(name: impl Into<Expr>, value: impl Into<Expr>) -> Self {
        Parameter::new(parameter::Type::String, value).name(name)
    }
}
