//! migen renders the AWS infrastructure for a zero-downtime migration of a payment-processing PostgreSQL system
//! to AWS as reviewed, deterministic CloudFormation.
//!
//! - [`cfn`]: the CloudFormation core (templates, typed expressions, logical ids, quotas).
//! - [`resources`]: typed resources, one module per AWS service.
//! - [`asl`]: typed Amazon States Language documents for the Step Functions workflows, with the placeholders and
//!   IAM statements their integrations need.
//! - [`cloudwatch`]: CloudWatch metrics named by the resources that publish them.
//! - [`spec`]: environment specs and their validation.
//! - [`payment_migration`]: the layers composed from those resources.
//! - [`review`]: the offline change report and the architecture picture.
//! - [`render`]: every artifact of an environment, ready to print or write.

pub mod artifacts;
pub mod asl;
pub mod cfn;
pub mod cli;
pub mod cloudwatch;
pub mod payment_migration;
pub mod render;
pub mod resources;
pub mod review;
pub mod spec;
