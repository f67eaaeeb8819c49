//! Amazon API Gateway V2 resources that REST APIs use too, generated (in `src/resources/generated/apigatewayv2.rs`): the VPC
//! link V2, through which a REST API reaches a private Application Load Balancer without a Network Load Balancer in
//! front of it. Its security groups are required (types.toml) so the load balancer's group can admit the link's
//! group rather than the subnets' whole address ranges (PCI DSS 1.3.1).

pub use super::generated::apigatewayv2::*;
