//! Typed CloudFormation resources, one module per AWS service. Each struct is one resource type: required
//! properties are constructor arguments, optional ones builder methods, and its handle exposes exactly the
//! attributes the type has.

pub mod apigateway;
pub mod apigatewayv2;
mod bounds;
pub mod cloudformation;
pub mod cloudwatch;
pub mod dms;
pub mod ec2;
pub mod elasticloadbalancingv2;
mod generated;
pub mod iam;
pub mod kms;
pub mod lambda;
pub mod logs;
pub mod rds;
pub mod s3;
pub mod secretsmanager;
pub mod slot;
pub mod sns;
pub mod ssm;
pub mod stepfunctions;

pub use generated::catalog::{CatalogEntry, catalog, create_only};
