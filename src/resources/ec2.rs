//! Amazon EC2 networking: VPCs, subnets, gateways, routes, security groups, flow logs, VPC endpoints and the
//! Transit Gateway that joins the production and migration VPCs to each other and to the on-premises network.
//! The types are generated (in `src/resources/generated/ec2.rs`); the opinion on top of them is written here.
//!
//! Some types need no constructor beyond the generated `new`, which takes what CloudFormation and
//! src/resources/types.toml require. What to know when using them:
//!
//! - [`Vpc::new`]: the primary IPv4 range (`/16` to `/28`) is fixed for the VPC's life: changing it replaces the
//!   VPC and everything in it. DNS support (the Amazon-provided resolver, on by default) and DNS hostnames are
//!   what private DNS names of interface VPC endpoints and Aurora endpoints need; [`Vpc::with_private_dns`] sets
//!   both. [`Handle<Vpc>::default_security_group`](crate::cfn::Handle#method.default_security_group) is the group
//!   EC2 creates with the VPC: it allows all traffic among its members and all outbound traffic, so nothing should
//!   use it (Security Hub control EC2.2).
//! - [`InternetGateway::new`]: a gateway carries nothing until a [`VpcGatewayAttachment`] attaches it to a VPC and
//!   a route ([`Route::to_internet_gateway`]) sends traffic to it.
//! - [`RouteTable::new`]: a table holds only the VPC's local route until [`Route`]s are added; a subnet uses it
//!   once a [`SubnetRouteTableAssociation`] says so, and the VPC's main route table until then.
//! - [`SecurityGroup::group_name`]: a fixed name, unique in the VPC and not starting with `sg-`. A change that
//!   replaces a named group (a new description) fails: CloudFormation creates the new group, with the same name,
//!   before deleting the old. The handle's [`security_group_ref`](crate::cfn::Handle#method.security_group_ref)
//!   is the group's id for a group with a `VpcId`, as every group here has, but its name for one without: prefer
//!   [`group_id`](crate::cfn::Handle#method.group_id), which is the id either way and what rules and other
//!   resources' `SecurityGroupIds` take.
//! - [`TransitGateway::amazon_side_asn`]: the gateway's private BGP ASN (64512 by default), what its BGP peers
//!   over VPN or Direct Connect see; changing it replaces the gateway.
//! - [`TransitGatewayRouteTable::new`]: an empty table, filled by [`TransitGatewayRoute`]s and
//!   [`TransitGatewayRouteTablePropagation`]s.
//! - [`TransitGatewayRouteTableAssociation::new`]: the traffic arriving from the attachment is routed by the
//!   table; an attachment has at most one.
//! - [`TransitGatewayRouteTablePropagation::new`]: keeps a route to the attachment's VPC CIDR in the table.

pub use super::generated::ec2::*;
pub use security_group::Egress as EgressRule;

use crate::cfn::Expr;
use crate::resources::slot::RoleArn;
use flow_log::{LogDestinationType, ResourceType, TrafficType};
use vpc_endpoint::VpcEndpointType;

impl Vpc {
    /// A VPC whose primary IPv4 range is `cidr_block` (`/16` to `/28`; changing it replaces the VPC and everything
    /// in it), with the Amazon-provided DNS resolver and DNS hostnames on: private DNS names of interface VPC
    /// endpoints and Aurora endpoints need both.
    pub fn with_private_dns(cidr_block: impl Into<Expr>) -> Self {
        Vpc::new(cidr_block)
            .enable_dns_support(true)
            .enable_dns_hostnames(true)
    }
}

impl Subnet {
    /// A subnet of `vpc_id` in one Availability Zone. `cidr_block` must lie within the VPC's range and overlap no
    /// other subnet of it; AWS reserves five of its addresses. The zone's name (e.g. `eu-west-1a`) can denote
    /// different physical zones in different accounts. Instances launched in it get no public IPv4 address
    /// (Security Hub control EC2.15): even a public subnet here holds only a NAT gateway, which has its Elastic IP.
    pub fn without_public_ips(
        vpc_id: Expr,
        cidr_block: impl Into<Expr>,
        availability_zone: Expr,
    ) -> Self {
        Subnet::new(availability_zone, cidr_block, vpc_id).map_public_ip_on_launch(false)
    }
}

impl VpcGatewayAttachment {
    /// Attaches `internet_gateway_id` to `vpc_id` (a VPC takes one internet gateway). Routes to the gateway fail
    /// to create before the attachment exists, so they must depend on it. The handle's
    /// [`attachment_id`](crate::cfn::Handle#method.attachment_id) is an identifier CloudFormation gives the
    /// attachment; EC2 itself has no id for it and no property takes one.
    pub fn internet_gateway(vpc_id: Expr, internet_gateway_id: Expr) -> Self {
        VpcGatewayAttachment::new(internet_gateway_id, vpc_id)
    }
}

impl Eip {
    /// An address for use in a VPC (the only kind there is since EC2-Classic retired), for a [`NatGateway`],
    /// which takes its [`allocation_id`](crate::cfn::Handle#method.allocation_id) (`eipalloc-…`). The handle's
    /// [`public_ip`](crate::cfn::Handle#method.public_ip) is the address itself (e.g. `192.0.2.1`), not an id.
    pub fn for_vpc() -> Self {
        Eip::new("vpc")
    }
}

impl NatGateway {
    /// A public NAT gateway in the public subnet `subnet_id`, using the Elastic IP `allocation_id`. It serves
    /// outbound connections only and lives in one Availability Zone: a zone's private subnets should route to
    /// their own.
    pub fn public(subnet_id: Expr, allocation_id: Expr) -> Self {
        NatGateway::new(allocation_id, subnet_id)
    }
}

/// The constructors name the target, so a route always has exactly one.
impl Route {
    /// Sends `destination` (a CIDR; `0.0.0.0/0` for everything) to an internet gateway, which makes the table's
    /// subnets public. Depends on the gateway's [`VpcGatewayAttachment`].
    pub fn to_internet_gateway(
        route_table_id: Expr,
        destination: impl Into<Expr>,
        gateway: Expr,
    ) -> Self {
        Route::new(destination, route_table_id).gateway_id(gateway)
    }

    /// Sends `destination` to a NAT gateway: the table's subnets can open connections out, but nothing outside
    /// can open one to them.
    pub fn to_nat_gateway(
        route_table_id: Expr,
        destination: impl Into<Expr>,
        nat_gateway: Expr,
    ) -> Self {
        Route::new(destination, route_table_id).nat_gateway_id(nat_gateway)
    }

    /// Sends `destination` to a transit gateway. The route fails to create before the VPC's
    /// [`TransitGatewayAttachment`] exists, so it must depend on it.
    pub fn to_transit_gateway(
        route_table_id: Expr,
        destination: impl Into<Expr>,
        transit_gateway: Expr,
    ) -> Self {
        Route::new(destination, route_table_id).transit_gateway_id(transit_gateway)
    }
}

impl SubnetRouteTableAssociation {
    /// Routes `subnet_id` by `route_table_id` instead of the VPC's main route table; a subnet has one table.
    pub fn of_subnet(subnet_id: Expr, route_table_id: Expr) -> Self {
        SubnetRouteTableAssociation::new(route_table_id, subnet_id)
    }
}

/// A TCP port range for a security group rule. Only TCP is offered: every flow in this design is TCP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpPorts {
    /// The first port of the range.
    pub from: u16,
    /// The last port of the range, inclusive: `from` itself for a single port.
    pub to: u16,
}

impl TcpPorts {
    /// A single port, e.g. `TcpPorts::one(5432)` for PostgreSQL.
    pub fn one(port: u16) -> Self {
        TcpPorts {
            from: port,
            to: port,
        }
    }
}

/// An egress rule written inline on a security group. Declaring any egress rule replaces the default
/// allow-all-outbound rule, which is why every group migen creates lists its egress explicitly (PCI DSS 1.3.2).
impl EgressRule {
    fn tcp(ports: TcpPorts, description: &str) -> Self {
        EgressRule::new("tcp")
            .from_port(ports.from)
            .to_port(ports.to)
            .description(description)
    }

    /// Reaches the members of another security group only, wherever their addresses are.
    pub fn tcp_to_group(ports: TcpPorts, group_id: Expr, description: &str) -> Self {
        Self::tcp(ports, description).destination_security_group_id(group_id)
    }

    /// Reaches the addresses in `cidr`, whatever runs there: for peers without a security group or prefix list,
    /// such as the on-premises network.
    pub fn tcp_to_cidr(ports: TcpPorts, cidr: impl Into<Expr>, description: &str) -> Self {
        Self::tcp(ports, description).cidr_ip(cidr)
    }

    /// Reaches an AWS-managed prefix list, e.g. the S3 gateway endpoint's, without opening `0.0.0.0/0`.
    pub fn tcp_to_prefix_list(ports: TcpPorts, prefix_list: Expr, description: &str) -> Self {
        Self::tcp(ports, description).destination_prefix_list_id(prefix_list)
    }

    /// A rule that matches no traffic, for groups that must send nothing: without any rule, EC2 would add
    /// allow-all. ICMP type 252 code 86 is unassigned and 255.255.255.255/32 is never a destination.
    pub fn none() -> Self {
        EgressRule::new("icmp")
            .from_port(252)
            .to_port(86)
            .cidr_ip("255.255.255.255/32")
            .description("Disallow all traffic")
    }
}

impl SecurityGroup {
    /// A group of `vpc_id` whose outbound traffic is exactly `egress` (at least one rule; [`EgressRule::none`] for
    /// none, which an empty `egress` also gives). Ingress is added with [`SecurityGroupIngress`] resources so
    /// groups can refer to each other without a reference cycle.
    pub fn with_egress(
        group_description: impl Into<Expr>,
        vpc_id: Expr,
        egress: Vec<EgressRule>,
    ) -> Self {
        let egress = if egress.is_empty() {
            vec![EgressRule::none()]
        } else {
            egress
        };
        SecurityGroup::new(group_description, egress, vpc_id)
    }
}

impl SecurityGroupIngress {
    fn tcp(group_id: Expr, ports: TcpPorts, description: &str) -> Self {
        SecurityGroupIngress::new(description, ports.from, group_id, "tcp", ports.to)
    }

    /// Admits TCP on `ports` to the members of `group_id` from the addresses in `cidr`.
    pub fn tcp_from_cidr(
        group_id: Expr,
        ports: TcpPorts,
        cidr: impl Into<Expr>,
        description: &str,
    ) -> Self {
        Self::tcp(group_id, ports, description).cidr_ip(cidr)
    }

    /// Admits TCP on `ports` to the members of `group_id` from the members of `source_group_id`, whatever their
    /// addresses.
    pub fn tcp_from_group(
        group_id: Expr,
        ports: TcpPorts,
        source_group_id: Expr,
        description: &str,
    ) -> Self {
        Self::tcp(group_id, ports, description).source_security_group_id(source_group_id)
    }
}

impl FlowLog {
    /// Records accepted and rejected traffic of a whole VPC (PCI DSS 10.2: network access to the cardholder data
    /// environment is logged), delivered to the CloudWatch Logs group `log_group_name` by `delivery_role_arn`.
    pub fn all_traffic_of_vpc(
        vpc_id: Expr,
        log_group_name: Expr,
        delivery_role_arn: impl Into<RoleArn>,
    ) -> Self {
        FlowLog::new(
            delivery_role_arn,
            LogDestinationType::CloudWatchLogs,
            log_group_name,
            vpc_id,
            ResourceType::Vpc,
            TrafficType::All,
        )
    }
}

/// An interface endpoint (an ENI in private subnets) or a gateway endpoint (routes). The handle's
/// [`vpc_endpoint_id`](crate::cfn::Handle#method.vpc_endpoint_id) (`vpce-…`) is what `aws:SourceVpce` conditions
/// and a private API's endpoint list name.
impl VpcEndpoint {
    /// `service` is the short name (`logs`, `secretsmanager`); the full name is built for the stack's region.
    pub fn interface(
        vpc_id: Expr,
        service: &str,
        subnet_ids: Vec<Expr>,
        security_group_ids: Vec<Expr>,
    ) -> Self {
        VpcEndpoint::new(
            regional_service_name(service),
            VpcEndpointType::Interface,
            vpc_id,
        )
        .private_dns_enabled(true)
        .subnet_ids(subnet_ids)
        .security_group_ids(security_group_ids)
    }

    /// `service` is `s3` or `dynamodb`, the only gateway endpoints: a route to the service's prefix list in each of
    /// `route_table_ids`, with no network interface or security group of its own.
    pub fn gateway(vpc_id: Expr, service: &str, route_table_ids: Vec<Expr>) -> Self {
        VpcEndpoint::new(
            regional_service_name(service),
            VpcEndpointType::Gateway,
            vpc_id,
        )
        .route_table_ids(route_table_ids)
    }
}

/// `com.amazonaws.<region>.<service>` for the stack's region.
fn regional_service_name(service: &str) -> Expr {
    Expr::sub(format!("com.amazonaws.${{AWS::Region}}.{service}"))
}

impl TransitGateway {
    /// A gateway whose routing is entirely explicit: no automatic acceptance of shared attachments and no default
    /// route table, so a new attachment reaches nothing until a route says it may (PCI DSS 1.3).
    pub fn explicitly_routed(description: impl Into<Expr>) -> Self {
        TransitGateway::new("disable", "disable", "disable", description).dns_support("enable")
    }
}

impl TransitGatewayAttachment {
    /// Attaches `vpc_id` through `subnet_ids`, at most one per Availability Zone; the gateway reaches the VPC only
    /// in the zones given one. The handle's [`attachment_id`](crate::cfn::Handle#method.attachment_id)
    /// (`tgw-attach-…`) is what route table associations, propagations and routes name.
    pub fn of_vpc(transit_gateway_id: Expr, vpc_id: Expr, subnet_ids: Vec<Expr>) -> Self {
        TransitGatewayAttachment::new(subnet_ids, transit_gateway_id, vpc_id)
    }
}

impl TransitGatewayRoute {
    /// Sends `destination` to `attachment_id`; for the same CIDR, a static route wins over a propagated one.
    pub fn to_attachment(
        route_table_id: Expr,
        destination: impl Into<Expr>,
        attachment_id: Expr,
    ) -> Self {
        TransitGatewayRoute::new(destination, route_table_id)
            .transit_gateway_attachment_id(attachment_id)
    }

    /// Drops traffic to `destination`, e.g. a range more specific than a route that would otherwise reach it.
    pub fn blackholed(route_table_id: Expr, destination: impl Into<Expr>) -> Self {
        TransitGatewayRoute::new(destination, route_table_id).blackhole(true)
    }
}
