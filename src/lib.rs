//! migen renders the AWS infrastructure for a zero-downtime migration of a payment-processing PostgreSQL system
//! to AWS as reviewed, deterministic CloudFormation.
//!
//! - [`cfn`]: the CloudFormation core (templates, typed expressions, logical ids, quotas).
//! - [`policy`]: the IAM policy language, every action checked against the pinned list at render.
//! - [`resources`]: typed resources, one module per AWS service.
//! - [`asl`]: typed Amazon States Language documents for the Step Functions workflows, with the placeholders and
//!   IAM statements their integrations need.
//! - [`cloudwatch`]: CloudWatch metrics named by the resources that publish them.
//! - [`spec`]: environment specs and their validation.
//! - [`payment_migration`]: the layers composed from those resources.
//! - [`review`]: the offline change report and the architecture picture.
//! - [`render`]: each region's template and the runbook, ready to print; [`artifacts`]: every file `--out` writes.
//! - [`testing`]: assertions over a rendered template, for the tests of a crate that builds on migen.
//!
//! Rendering the shipped dev environment, as `migen render --env dev` does (the `examples/` folder has more:
//! extending the shipped stack, a workflow of one's own, a stack from scratch):
//!
//! ```
//! use migen::cfn::Format;
//! use migen::spec::{self, Overrides};
//! use migen::testing::RenderedTemplate;
//! use serde_json::json;
//!
//! let env = spec::load_shipped("dev", &Overrides::default()).unwrap();
//! let templates = migen::render::templates(&env, Format::Yaml).unwrap();
//! let primary = RenderedTemplate::parse(&templates[0].template.body).unwrap();
//! primary.has_resource_properties("AWS::KMS::Key", &json!({"EnableKeyRotation": true}));
//! ```

#![warn(missing_docs)]

pub mod artifacts;
pub mod asl;
pub mod cfn;
pub mod cli;
pub mod cloudwatch;
pub mod payment_migration;
pub mod policy;
pub mod render;
pub mod resources;
pub mod review;
pub mod spec;
pub mod testing;
