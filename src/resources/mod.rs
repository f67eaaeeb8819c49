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
pub mod iam_actions;
pub mod kms;
pub mod lambda;
pub mod logs;
pub mod policy;
pub mod rds;
pub mod s3;
pub mod secretsmanager;
pub mod slot;
pub mod sns;
pub mod ssm;
pub mod stepfunctions;

use schemars::Schema;

use crate::cfn::Resource;

/// One resource type migen can emit: its CloudFormation type name, whether it is tagged, the attributes
/// `Fn::GetAtt` can read, and the JSON Schema of every property its struct can serialize. CI compares this
/// catalogue with CloudFormation's own schemas.
pub struct CatalogEntry {
    /// The CloudFormation type name, e.g. `AWS::EC2::VPC`, by which CI finds the type's schema in each region.
    pub type_name: &'static str,
    /// Whether migen sets `Tags` on the type; CI checks it against whether CloudFormation's schema has `Tags`.
    pub taggable: bool,
    /// The `Fn::GetAtt` attributes the type's handle has accessors for; each must be one CloudFormation declares.
    pub attributes: &'static [&'static str],
    /// Everything the struct can serialize, so a property CloudFormation does not know fails CI, not a deploy.
    pub schema: Schema,
}

fn entry<R: Resource>() -> CatalogEntry {
    CatalogEntry {
        type_name: R::TYPE,
        taggable: R::taggable(),
        attributes: R::ATTRIBUTES,
        schema: schemars::schema_for!(R),
    }
}

/// Every resource type in this module.
pub fn catalog() -> Vec<CatalogEntry> {
    vec![
        entry::<ec2::Vpc>(),
        entry::<ec2::Subnet>(),
        entry::<ec2::InternetGateway>(),
        entry::<ec2::VpcGatewayAttachment>(),
        entry::<ec2::Eip>(),
        entry::<ec2::NatGateway>(),
        entry::<ec2::RouteTable>(),
        entry::<ec2::Route>(),
        entry::<ec2::SubnetRouteTableAssociation>(),
        entry::<ec2::SecurityGroup>(),
        entry::<ec2::SecurityGroupIngress>(),
        entry::<ec2::FlowLog>(),
        entry::<ec2::VpcEndpoint>(),
        entry::<ec2::TransitGateway>(),
        entry::<ec2::TransitGatewayAttachment>(),
        entry::<ec2::TransitGatewayRouteTable>(),
        entry::<ec2::TransitGatewayRouteTableAssociation>(),
        entry::<ec2::TransitGatewayRouteTablePropagation>(),
        entry::<ec2::TransitGatewayRoute>(),
        entry::<iam::Role>(),
        entry::<iam::ManagedPolicy>(),
        entry::<kms::Key>(),
        entry::<kms::Alias>(),
        entry::<logs::LogGroup>(),
        entry::<s3::Bucket>(),
        entry::<s3::BucketPolicy>(),
        entry::<sns::Topic>(),
        entry::<sns::Subscription>(),
        entry::<sns::TopicPolicy>(),
        entry::<ssm::Parameter>(),
        entry::<stepfunctions::StateMachine>(),
        entry::<rds::DbSubnetGroup>(),
        entry::<rds::DbClusterParameterGroup>(),
        entry::<rds::DbCluster>(),
        entry::<rds::DbInstance>(),
        entry::<rds::GlobalCluster>(),
        entry::<secretsmanager::Secret>(),
        entry::<secretsmanager::SecretTargetAttachment>(),
        entry::<secretsmanager::RotationSchedule>(),
        entry::<dms::ReplicationSubnetGroup>(),
        entry::<dms::ReplicationInstance>(),
        entry::<dms::Endpoint>(),
        entry::<dms::Certificate>(),
        entry::<dms::ReplicationTask>(),
        entry::<cloudformation::WaitConditionHandle>(),
        entry::<lambda::Function>(),
        entry::<lambda::Permission>(),
        entry::<apigateway::RestApi>(),
        entry::<apigateway::Resource>(),
        entry::<apigateway::Method>(),
        entry::<apigateway::Authorizer>(),
        entry::<apigateway::Deployment>(),
        entry::<apigateway::Stage>(),
        entry::<apigateway::Account>(),
        entry::<apigatewayv2::VpcLink>(),
        entry::<elasticloadbalancingv2::LoadBalancer>(),
        entry::<elasticloadbalancingv2::TargetGroup>(),
        entry::<elasticloadbalancingv2::Listener>(),
        entry::<elasticloadbalancingv2::ListenerRule>(),
        entry::<cloudwatch::Alarm>(),
        entry::<cloudwatch::CompositeAlarm>(),
        entry::<cloudwatch::Dashboard>(),
        entry::<logs::MetricFilter>(),
    ]
}
