//! Amazon API Gateway V2 resources that REST APIs use too: the VPC link V2, through which a REST API reaches a
//! private Application Load Balancer without a Network Load Balancer in front of it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::cfn::Expr;
use crate::resource_type;

/// `AWS::ApiGatewayV2::VpcLink`: elastic network interfaces in `subnet_ids`, behind `security_group_ids`, from
/// which API Gateway opens connections to the load balancer. The security groups are required so the load
/// balancer's group can admit the link's group rather than the subnets' whole address ranges (PCI DSS 1.3.1).
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct VpcLink {
    name: Expr,
    subnet_ids: Vec<Expr>,
    security_group_ids: Vec<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<BTreeMap<String, String>>,
}

impl VpcLink {
    pub fn new(
        name: impl Into<Expr>,
        subnet_ids: Vec<Expr>,
        security_group_ids: Vec<Expr>,
    ) -> Self {
        VpcLink {
            name: name.into(),
            subnet_ids,
            security_group_ids,
            tags: None,
        }
    }
}

resource_type!(VpcLink, "AWS::ApiGatewayV2::VpcLink", tags: map, attributes {
    ref: vpc_link_id,
});
