//! Amazon EC2 networking: VPCs, subnets, gateways, routes, security groups, flow logs, VPC endpoints and the
//! Transit Gateway that joins the production and migration VPCs to each other and to the on-premises network.

use schemars::JsonSchema;
use serde::Serialize;

use crate::cfn::{Expr, Tag};
use crate::resources::iam::RoleArn;
use crate::{optional_properties, resource_type};

/// `AWS::EC2::VPC`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Vpc {
    cidr_block: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    enable_dns_hostnames: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enable_dns_support: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl Vpc {
    /// A VPC whose primary IPv4 range is `cidr_block` (`/16` to `/28`), fixed for the VPC's life: changing it
    /// replaces the VPC and everything in it.
    pub fn new(cidr_block: impl Into<Expr>) -> Self {
        Vpc {
            cidr_block: cidr_block.into(),
            enable_dns_hostnames: None,
            enable_dns_support: None,
            tags: None,
        }
    }

    optional_properties! {
        /// Needed for private DNS names of interface VPC endpoints and Aurora endpoints.
        enable_dns_hostnames: bool,
        /// The Amazon-provided DNS resolver (on by default); private DNS of interface VPC endpoints needs it too.
        enable_dns_support: bool,
    }
}

resource_type!(Vpc, "AWS::EC2::VPC", tags: list, attributes {
    ref:
    /// The VPC's id (`vpc-…`), what every subnet, route table and security group of it names.
    vpc_id,
    /// The VPC's primary IPv4 CIDR block.
    cidr_block => "CidrBlock",
    /// The id (`sg-…`) of the security group EC2 creates with the VPC. It allows all traffic among its members and
    /// all outbound traffic, so nothing should use it (Security Hub control EC2.2).
    default_security_group => "DefaultSecurityGroup",
});

/// `AWS::EC2::Subnet`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Subnet {
    vpc_id: Expr,
    cidr_block: Expr,
    availability_zone: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    map_public_ip_on_launch: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl Subnet {
    /// A subnet of `vpc_id` in one Availability Zone. `cidr_block` must lie within the VPC's range and overlap no
    /// other subnet of it; AWS reserves five of its addresses.
    pub fn new(vpc_id: Expr, cidr_block: impl Into<Expr>, availability_zone: Expr) -> Self {
        Subnet {
            vpc_id,
            cidr_block: cidr_block.into(),
            availability_zone,
            map_public_ip_on_launch: None,
            tags: None,
        }
    }

    optional_properties! {
        /// Gives every instance launched in the subnet a public IPv4 address: for public subnets only (Security
        /// Hub control EC2.15).
        map_public_ip_on_launch: bool,
    }
}

resource_type!(Subnet, "AWS::EC2::Subnet", tags: list, attributes {
    ref:
    /// The subnet's id (`subnet-…`).
    subnet_id,
    /// The zone's name (e.g. `eu-west-1a`); the same name can denote different physical zones in different
    /// accounts.
    availability_zone => "AvailabilityZone",
    /// The subnet's IPv4 CIDR block.
    cidr_block => "CidrBlock",
});

/// `AWS::EC2::InternetGateway`.
#[derive(Clone, Debug, Default, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct InternetGateway {
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl InternetGateway {
    /// A gateway that carries nothing until a [`VpcGatewayAttachment`] attaches it to a VPC and a route
    /// ([`Route::to_internet_gateway`]) sends traffic to it.
    pub fn new() -> Self {
        Self::default()
    }
}

resource_type!(InternetGateway, "AWS::EC2::InternetGateway", tags: list, attributes {
    ref:
    /// The gateway's id (`igw-…`).
    internet_gateway_id,
});

/// `AWS::EC2::VPCGatewayAttachment` of an internet gateway.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct VpcGatewayAttachment {
    vpc_id: Expr,
    internet_gateway_id: Expr,
}

impl VpcGatewayAttachment {
    /// Attaches `internet_gateway_id` to `vpc_id` (a VPC takes one internet gateway). Routes to the gateway fail
    /// to create before the attachment exists, so they must depend on it.
    pub fn new(vpc_id: Expr, internet_gateway_id: Expr) -> Self {
        VpcGatewayAttachment {
            vpc_id,
            internet_gateway_id,
        }
    }
}

resource_type!(VpcGatewayAttachment, "AWS::EC2::VPCGatewayAttachment", tags: none, attributes {
    ref:
    /// An identifier CloudFormation gives the attachment; EC2 itself has no id for it and no property takes one.
    attachment_id,
});

/// `AWS::EC2::EIP` for a NAT gateway.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Eip {
    domain: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl Eip {
    /// An address for use in a VPC (the only kind there is since EC2-Classic retired).
    pub fn for_vpc() -> Self {
        Eip {
            domain: "vpc".into(),
            tags: None,
        }
    }
}

resource_type!(Eip, "AWS::EC2::EIP", tags: list, attributes {
    ref:
    /// The address itself (e.g. `192.0.2.1`), not an id.
    public_ip,
    /// The allocation's id (`eipalloc-…`), which a [`NatGateway`] takes.
    allocation_id => "AllocationId",
});

/// `AWS::EC2::NatGateway`: a public NAT gateway in a public subnet.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct NatGateway {
    subnet_id: Expr,
    allocation_id: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl NatGateway {
    /// A gateway in the public subnet `subnet_id`, using the Elastic IP `allocation_id`. It serves outbound
    /// connections only and lives in one Availability Zone: a zone's private subnets should route to their own.
    pub fn new(subnet_id: Expr, allocation_id: Expr) -> Self {
        NatGateway {
            subnet_id,
            allocation_id,
            tags: None,
        }
    }
}

resource_type!(NatGateway, "AWS::EC2::NatGateway", tags: list, attributes {
    ref:
    /// The gateway's id (`nat-…`).
    nat_gateway_id,
});

/// `AWS::EC2::RouteTable`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct RouteTable {
    vpc_id: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl RouteTable {
    /// A table holding only the VPC's local route until [`Route`]s are added; a subnet uses it once a
    /// [`SubnetRouteTableAssociation`] says so, and the VPC's main route table until then.
    pub fn new(vpc_id: Expr) -> Self {
        RouteTable { vpc_id, tags: None }
    }
}

resource_type!(RouteTable, "AWS::EC2::RouteTable", tags: list, attributes {
    ref:
    /// The table's id (`rtb-…`).
    route_table_id,
});

/// `AWS::EC2::Route`. The constructors name the target, so a route always has exactly one.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Route {
    route_table_id: Expr,
    destination_cidr_block: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    gateway_id: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nat_gateway_id: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transit_gateway_id: Option<Expr>,
}

impl Route {
    fn to(route_table_id: Expr, destination: impl Into<Expr>) -> Self {
        Route {
            route_table_id,
            destination_cidr_block: destination.into(),
            gateway_id: None,
            nat_gateway_id: None,
            transit_gateway_id: None,
        }
    }

    /// Sends `destination` (a CIDR; `0.0.0.0/0` for everything) to an internet gateway, which makes the table's
    /// subnets public. Depends on the gateway's [`VpcGatewayAttachment`].
    pub fn to_internet_gateway(
        route_table_id: Expr,
        destination: impl Into<Expr>,
        gateway: Expr,
    ) -> Self {
        Route {
            gateway_id: Some(gateway),
            ..Self::to(route_table_id, destination)
        }
    }

    /// Sends `destination` to a NAT gateway: the table's subnets can open connections out, but nothing outside
    /// can open one to them.
    pub fn to_nat_gateway(
        route_table_id: Expr,
        destination: impl Into<Expr>,
        nat_gateway: Expr,
    ) -> Self {
        Route {
            nat_gateway_id: Some(nat_gateway),
            ..Self::to(route_table_id, destination)
        }
    }

    /// Sends `destination` to a transit gateway. The route fails to create before the VPC's
    /// [`TransitGatewayAttachment`] exists, so it must depend on it.
    pub fn to_transit_gateway(
        route_table_id: Expr,
        destination: impl Into<Expr>,
        transit_gateway: Expr,
    ) -> Self {
        Route {
            transit_gateway_id: Some(transit_gateway),
            ..Self::to(route_table_id, destination)
        }
    }
}

resource_type!(Route, "AWS::EC2::Route", tags: none);

/// `AWS::EC2::SubnetRouteTableAssociation`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct SubnetRouteTableAssociation {
    subnet_id: Expr,
    route_table_id: Expr,
}

impl SubnetRouteTableAssociation {
    /// Routes `subnet_id` by `route_table_id` instead of the VPC's main route table; a subnet has one table.
    pub fn new(subnet_id: Expr, route_table_id: Expr) -> Self {
        SubnetRouteTableAssociation {
            subnet_id,
            route_table_id,
        }
    }
}

resource_type!(SubnetRouteTableAssociation, "AWS::EC2::SubnetRouteTableAssociation", tags: none);

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
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct EgressRule {
    ip_protocol: String,
    from_port: i32,
    to_port: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    cidr_ip: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination_prefix_list_id: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination_security_group_id: Option<Expr>,
    description: String,
}

impl EgressRule {
    /// Reaches the members of another security group only, wherever their addresses are.
    pub fn tcp_to_group(ports: TcpPorts, group_id: Expr, description: &str) -> Self {
        EgressRule {
            ip_protocol: "tcp".into(),
            from_port: ports.from.into(),
            to_port: ports.to.into(),
            cidr_ip: None,
            destination_prefix_list_id: None,
            destination_security_group_id: Some(group_id),
            description: description.into(),
        }
    }

    /// Reaches the addresses in `cidr`, whatever runs there: for peers without a security group or prefix list,
    /// such as the on-premises network.
    pub fn tcp_to_cidr(ports: TcpPorts, cidr: impl Into<Expr>, description: &str) -> Self {
        EgressRule {
            ip_protocol: "tcp".into(),
            from_port: ports.from.into(),
            to_port: ports.to.into(),
            cidr_ip: Some(cidr.into()),
            destination_prefix_list_id: None,
            destination_security_group_id: None,
            description: description.into(),
        }
    }

    /// Reaches an AWS-managed prefix list, e.g. the S3 gateway endpoint's, without opening `0.0.0.0/0`.
    pub fn tcp_to_prefix_list(ports: TcpPorts, prefix_list: Expr, description: &str) -> Self {
        EgressRule {
            ip_protocol: "tcp".into(),
            from_port: ports.from.into(),
            to_port: ports.to.into(),
            cidr_ip: None,
            destination_prefix_list_id: Some(prefix_list),
            destination_security_group_id: None,
            description: description.into(),
        }
    }

    /// A rule that matches no traffic, for groups that must send nothing: without any rule, EC2 would add
    /// allow-all. ICMP type 252 code 86 is unassigned and 255.255.255.255/32 is never a destination.
    pub fn none() -> Self {
        EgressRule {
            ip_protocol: "icmp".into(),
            from_port: 252,
            to_port: 86,
            cidr_ip: Some("255.255.255.255/32".into()),
            destination_prefix_list_id: None,
            destination_security_group_id: None,
            description: "Disallow all traffic".into(),
        }
    }
}

/// `AWS::EC2::SecurityGroup`. Ingress is added with [`SecurityGroupIngress`] resources so groups can refer to each
/// other without a reference cycle.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroup {
    group_description: String,
    vpc_id: Expr,
    security_group_egress: Vec<EgressRule>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_name: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl SecurityGroup {
    /// A group whose outbound traffic is exactly `egress` (at least one rule; [`EgressRule::none`] for none).
    pub fn new(
        group_description: impl Into<String>,
        vpc_id: Expr,
        egress: Vec<EgressRule>,
    ) -> Self {
        let security_group_egress = if egress.is_empty() {
            vec![EgressRule::none()]
        } else {
            egress
        };
        SecurityGroup {
            group_description: group_description.into(),
            vpc_id,
            security_group_egress,
            group_name: None,
            tags: None,
        }
    }

    optional_properties! {
        /// A fixed name, unique in the VPC and not starting with `sg-`. A change that replaces a named group (a new
        /// description) fails: CloudFormation creates the new group, with the same name, before deleting the old.
        group_name: Expr,
    }
}

resource_type!(SecurityGroup, "AWS::EC2::SecurityGroup", tags: list, attributes {
    ref:
    /// What `Ref` returns: the group's id for a group with a `VpcId`, as every group here has, but its name for
    /// one without. Prefer `group_id`, which is the id either way.
    security_group_ref,
    /// The group's id (`sg-…`), what rules and other resources' `SecurityGroupIds` take.
    group_id => "GroupId",
    /// The id of the VPC the group belongs to.
    vpc_id => "VpcId",
});

/// `AWS::EC2::SecurityGroupIngress`: one inbound TCP rule, from a CIDR or from another security group.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroupIngress {
    group_id: Expr,
    ip_protocol: String,
    from_port: i32,
    to_port: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    cidr_ip: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_security_group_id: Option<Expr>,
    description: String,
}

impl SecurityGroupIngress {
    /// Admits TCP on `ports` to the members of `group_id` from the addresses in `cidr`.
    pub fn tcp_from_cidr(
        group_id: Expr,
        ports: TcpPorts,
        cidr: impl Into<Expr>,
        description: &str,
    ) -> Self {
        SecurityGroupIngress {
            group_id,
            ip_protocol: "tcp".into(),
            from_port: ports.from.into(),
            to_port: ports.to.into(),
            cidr_ip: Some(cidr.into()),
            source_security_group_id: None,
            description: description.into(),
        }
    }

    /// Admits TCP on `ports` to the members of `group_id` from the members of `source_group_id`, whatever their
    /// addresses.
    pub fn tcp_from_group(
        group_id: Expr,
        ports: TcpPorts,
        source_group_id: Expr,
        description: &str,
    ) -> Self {
        SecurityGroupIngress {
            group_id,
            ip_protocol: "tcp".into(),
            from_port: ports.from.into(),
            to_port: ports.to.into(),
            cidr_ip: None,
            source_security_group_id: Some(source_group_id),
            description: description.into(),
        }
    }
}

resource_type!(SecurityGroupIngress, "AWS::EC2::SecurityGroupIngress", tags: none);

/// `AWS::EC2::FlowLog` delivering to CloudWatch Logs.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct FlowLog {
    resource_id: Expr,
    resource_type: String,
    traffic_type: String,
    log_destination_type: String,
    log_group_name: Expr,
    deliver_logs_permission_arn: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_aggregation_interval: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl FlowLog {
    /// Records accepted and rejected traffic of a whole VPC (PCI DSS 10.2: network access to the cardholder data
    /// environment is logged).
    pub fn all_traffic_of_vpc(
        vpc_id: Expr,
        log_group_name: Expr,
        delivery_role_arn: impl Into<RoleArn>,
    ) -> Self {
        FlowLog {
            resource_id: vpc_id,
            resource_type: "VPC".into(),
            traffic_type: "ALL".into(),
            log_destination_type: "cloud-watch-logs".into(),
            log_group_name,
            deliver_logs_permission_arn: delivery_role_arn.into().into_expr(),
            max_aggregation_interval: None,
            tags: None,
        }
    }

    optional_properties! {
        /// 60 or 600 seconds.
        max_aggregation_interval: u32,
    }
}

resource_type!(FlowLog, "AWS::EC2::FlowLog", tags: list, attributes {
    ref:
    /// The flow log's id (`fl-…`).
    flow_log_id,
});

/// `AWS::EC2::VPCEndpoint`: an interface endpoint (an ENI in private subnets) or a gateway endpoint (routes).
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct VpcEndpoint {
    service_name: Expr,
    vpc_id: Expr,
    vpc_endpoint_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    private_dns_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    subnet_ids: Vec<Expr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    security_group_ids: Vec<Expr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    route_table_ids: Vec<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl VpcEndpoint {
    /// `service` is the short name (`logs`, `secretsmanager`); the full name is built for the stack's region.
    pub fn interface(
        vpc_id: Expr,
        service: &str,
        subnet_ids: Vec<Expr>,
        security_group_ids: Vec<Expr>,
    ) -> Self {
        VpcEndpoint {
            service_name: Self::service_name(service),
            vpc_id,
            vpc_endpoint_type: "Interface".into(),
            private_dns_enabled: Some(true),
            subnet_ids,
            security_group_ids,
            route_table_ids: Vec::new(),
            tags: None,
        }
    }

    /// `service` is `s3` or `dynamodb`, the only gateway endpoints: a route to the service's prefix list in each of
    /// `route_table_ids`, with no network interface or security group of its own.
    pub fn gateway(vpc_id: Expr, service: &str, route_table_ids: Vec<Expr>) -> Self {
        VpcEndpoint {
            service_name: Self::service_name(service),
            vpc_id,
            vpc_endpoint_type: "Gateway".into(),
            private_dns_enabled: None,
            subnet_ids: Vec::new(),
            security_group_ids: Vec::new(),
            route_table_ids,
            tags: None,
        }
    }

    fn service_name(service: &str) -> Expr {
        Expr::sub(format!("com.amazonaws.${{AWS::Region}}.{service}"))
    }
}

resource_type!(VpcEndpoint, "AWS::EC2::VPCEndpoint", tags: list, attributes {
    ref:
    /// The endpoint's id (`vpce-…`), what `aws:SourceVpce` conditions and a private API's endpoint list name.
    vpc_endpoint_id,
});

/// `AWS::EC2::TransitGateway`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct TransitGateway {
    description: String,
    auto_accept_shared_attachments: String,
    default_route_table_association: String,
    default_route_table_propagation: String,
    dns_support: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    amazon_side_asn: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl TransitGateway {
    /// A gateway whose routing is entirely explicit: no automatic acceptance of shared attachments and no default
    /// route table, so a new attachment reaches nothing until a route says it may (PCI DSS 1.3).
    pub fn explicitly_routed(description: impl Into<String>) -> Self {
        TransitGateway {
            description: description.into(),
            auto_accept_shared_attachments: "disable".into(),
            default_route_table_association: "disable".into(),
            default_route_table_propagation: "disable".into(),
            dns_support: "enable".into(),
            amazon_side_asn: None,
            tags: None,
        }
    }

    optional_properties! {
        /// The gateway's private BGP ASN (64512 by default), what its BGP peers over VPN or Direct Connect see;
        /// changing it replaces the gateway.
        amazon_side_asn: i64,
    }
}

resource_type!(TransitGateway, "AWS::EC2::TransitGateway", tags: list, attributes {
    ref:
    /// The gateway's id (`tgw-…`).
    transit_gateway_id,
});

/// `AWS::EC2::TransitGatewayAttachment` of a VPC, through one subnet per Availability Zone.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct TransitGatewayAttachment {
    transit_gateway_id: Expr,
    vpc_id: Expr,
    subnet_ids: Vec<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl TransitGatewayAttachment {
    /// Attaches `vpc_id` through `subnet_ids`, at most one per Availability Zone; the gateway reaches the VPC only
    /// in the zones given one.
    pub fn new(transit_gateway_id: Expr, vpc_id: Expr, subnet_ids: Vec<Expr>) -> Self {
        TransitGatewayAttachment {
            transit_gateway_id,
            vpc_id,
            subnet_ids,
            tags: None,
        }
    }
}

resource_type!(TransitGatewayAttachment, "AWS::EC2::TransitGatewayAttachment", tags: list, attributes {
    ref:
    /// The attachment's id (`tgw-attach-…`), which route table associations, propagations and routes name.
    attachment_id,
});

/// `AWS::EC2::TransitGatewayRouteTable`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct TransitGatewayRouteTable {
    transit_gateway_id: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl TransitGatewayRouteTable {
    /// An empty table of `transit_gateway_id`, filled by [`TransitGatewayRoute`]s and
    /// [`TransitGatewayRouteTablePropagation`]s.
    pub fn new(transit_gateway_id: Expr) -> Self {
        TransitGatewayRouteTable {
            transit_gateway_id,
            tags: None,
        }
    }
}

resource_type!(TransitGatewayRouteTable, "AWS::EC2::TransitGatewayRouteTable", tags: list, attributes {
    ref:
    /// The table's id (`tgw-rtb-…`).
    route_table_id,
});

/// `AWS::EC2::TransitGatewayRouteTableAssociation`: which route table an attachment's traffic is routed by.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct TransitGatewayRouteTableAssociation {
    transit_gateway_attachment_id: Expr,
    transit_gateway_route_table_id: Expr,
}

impl TransitGatewayRouteTableAssociation {
    /// Routes the traffic arriving from `attachment_id` by `route_table_id`; an attachment has at most one.
    pub fn new(attachment_id: Expr, route_table_id: Expr) -> Self {
        TransitGatewayRouteTableAssociation {
            transit_gateway_attachment_id: attachment_id,
            transit_gateway_route_table_id: route_table_id,
        }
    }
}

resource_type!(
    TransitGatewayRouteTableAssociation,
    "AWS::EC2::TransitGatewayRouteTableAssociation",
    tags: none
);

/// `AWS::EC2::TransitGatewayRouteTablePropagation`: an attachment's VPC CIDR becomes a route in the table.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct TransitGatewayRouteTablePropagation {
    transit_gateway_attachment_id: Expr,
    transit_gateway_route_table_id: Expr,
}

impl TransitGatewayRouteTablePropagation {
    /// Keeps a route to `attachment_id`'s VPC CIDR in `route_table_id`.
    pub fn new(attachment_id: Expr, route_table_id: Expr) -> Self {
        TransitGatewayRouteTablePropagation {
            transit_gateway_attachment_id: attachment_id,
            transit_gateway_route_table_id: route_table_id,
        }
    }
}

resource_type!(
    TransitGatewayRouteTablePropagation,
    "AWS::EC2::TransitGatewayRouteTablePropagation",
    tags: none
);

/// `AWS::EC2::TransitGatewayRoute`: a static route to an attachment, or a blackhole that drops the traffic.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct TransitGatewayRoute {
    transit_gateway_route_table_id: Expr,
    destination_cidr_block: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    transit_gateway_attachment_id: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    blackhole: Option<bool>,
}

impl TransitGatewayRoute {
    /// Sends `destination` to `attachment_id`; for the same CIDR, a static route wins over a propagated one.
    pub fn to_attachment(
        route_table_id: Expr,
        destination: impl Into<Expr>,
        attachment_id: Expr,
    ) -> Self {
        TransitGatewayRoute {
            transit_gateway_route_table_id: route_table_id,
            destination_cidr_block: destination.into(),
            transit_gateway_attachment_id: Some(attachment_id),
            blackhole: None,
        }
    }

    /// Drops traffic to `destination`, e.g. a range more specific than a route that would otherwise reach it.
    pub fn blackhole(route_table_id: Expr, destination: impl Into<Expr>) -> Self {
        TransitGatewayRoute {
            transit_gateway_route_table_id: route_table_id,
            destination_cidr_block: destination.into(),
            transit_gateway_attachment_id: None,
            blackhole: Some(true),
        }
    }
}

resource_type!(TransitGatewayRoute, "AWS::EC2::TransitGatewayRoute", tags: none);
