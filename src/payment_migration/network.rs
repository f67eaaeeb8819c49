//! The network layer: the production VPC (today's system of record, rehearsed in AWS) and the migration VPC (the
//! new Aurora cluster, DMS and the validation Lambda), joined to each other and to the on-premises network by a
//! Transit Gateway. Nothing is reachable from the internet: no subnet assigns public IPs and no security group
//! admits `0.0.0.0/0`.

use ipnet::Ipv4Net;

use crate::cfn::{Attributes, Expr, Handle, Output};
use crate::resources::ec2::{
    EgressRule, Eip, FlowLog, InternetGateway, NatGateway, Route, RouteTable, SecurityGroup,
    SecurityGroupIngress, Subnet, SubnetRouteTableAssociation, TcpPorts, TransitGateway,
    TransitGatewayAttachment, TransitGatewayRoute, TransitGatewayRouteTable,
    TransitGatewayRouteTableAssociation, TransitGatewayRouteTablePropagation, Vpc, VpcEndpoint,
    VpcGatewayAttachment,
};
use crate::resources::iam::{ManagedPolicy, PolicyDocument, Role, Statement};
use crate::resources::kms::Key;
use crate::spec::{Egress, Source, VpcLayout};

use super::stack::{Layer, Stack};

const POSTGRES: TcpPorts = TcpPorts {
    from: 5432,
    to: 5432,
};
const HTTPS: TcpPorts = TcpPorts { from: 443, to: 443 };

/// Interface endpoints each VPC gets when it has no internet path. The production VPC's database tier needs
/// only Secrets Manager, KMS and logs; the migration VPC also runs DMS, the validation Lambda and the workflows'
/// callers.
const PRODUCTION_ENDPOINTS: &[&str] = &["secretsmanager", "kms", "logs", "sts"];
const MIGRATION_ENDPOINTS: &[&str] = &[
    "secretsmanager",
    "kms",
    "logs",
    "sts",
    "ssm",
    "sns",
    "monitoring",
    "states",
    "dms",
];

/// What later layers need from the network.
pub struct Network {
    /// The production VPC, where the production cluster lives when DMS reads from it.
    pub production: VpcHandles,
    /// The migration VPC: the migration cluster, the DMS replication instance, the validation Lambda and the
    /// API's private integrations.
    pub migration: VpcHandles,
    /// Joins both VPCs to each other and to the on-premises network; its routes admit only the spec's
    /// on-premises CIDR (PCI DSS 1.3).
    pub transit_gateway: Handle<TransitGateway>,
    /// One group per tier, for the layers that place something in the VPCs.
    pub security_groups: SecurityGroups,
}

/// A VPC and its private subnets, where every layer places what it runs in the VPC (nothing goes in the public
/// subnets, which hold at most the NAT gateway).
pub struct VpcHandles {
    /// The VPC, for the security groups and endpoints that later layers create in it.
    pub vpc: Handle<Vpc>,
    /// One per Availability Zone, in AZ order; planned with the stack, so whatever is placed in them must claim
    /// its addresses ([`Stack::claim_addresses`]).
    pub private_subnets: Vec<Handle<Subnet>>,
}

/// The tiers' security groups. Ingress to the databases is only on 5432 and only from the tiers that need it.
pub struct SecurityGroups {
    /// Only when DMS reads from the production cluster, which exists only then.
    pub production_database: Option<Handle<SecurityGroup>>,
    /// The production secret's rotation function, present with the production cluster.
    pub production_rotation: Option<Handle<SecurityGroup>>,
    /// The migration cluster: 5432 from DMS, the validation Lambda, its rotation function and the spec's
    /// application networks; no egress.
    pub migration_database: Handle<SecurityGroup>,
    /// The migration secret's rotation function: egress to the cluster and the AWS APIs only, no ingress.
    pub migration_rotation: Handle<SecurityGroup>,
    /// The DMS replication instance: no ingress; egress to the databases it replicates between and the AWS APIs.
    pub replication: Handle<SecurityGroup>,
    /// The validation Lambda, with the same reach as DMS: no ingress, egress to the databases and the AWS APIs.
    pub validation: Handle<SecurityGroup>,
}

/// The network layer of the primary region: both VPCs with flow logs, the Transit Gateway and its on-premises
/// link, the tiers' security groups, the interface endpoints when the spec's egress is `vpc_endpoints`, and the
/// VPC and Transit Gateway outputs.
pub fn build(stack: &mut Stack, key: &Handle<Key>) -> Network {
    let net = stack.env.network.clone();
    let flow_logs_role = flow_logs_role(stack);

    let production = vpc(
        stack,
        "production",
        "network.production_vpc_cidr",
        &net.production_vpc,
        net.egress,
        &flow_logs_role,
        key,
    );
    let migration = vpc(
        stack,
        "migration",
        "network.migration_vpc_cidr",
        &net.migration_vpc,
        net.egress,
        &flow_logs_role,
        key,
    );

    let tgw = stack.add(
        Layer::Network,
        "transit gateway",
        TransitGateway::explicitly_routed(format!(
            "Joins the production and migration VPCs of {} to each other and to the on-premises network",
            stack.env.name
        )),
    );
    let route_table = stack.add(
        Layer::Network,
        "transit gateway route table",
        TransitGatewayRouteTable::new(tgw.transit_gateway_id()),
    );
    let mut attachments = Vec::new();
    for (name, v) in [("production", &production), ("migration", &migration)] {
        let attachment = stack.add(
            Layer::Network,
            &format!("{name} transit gateway attachment"),
            TransitGatewayAttachment::of_vpc(
                tgw.transit_gateway_id(),
                v.handles.vpc.vpc_id(),
                v.handles
                    .private_subnets
                    .iter()
                    .map(Handle::subnet_id)
                    .collect(),
            ),
        );
        stack.add(
            Layer::Network,
            &format!("{name} transit gateway association"),
            TransitGatewayRouteTableAssociation::new(
                attachment.attachment_id(),
                route_table.route_table_id(),
            ),
        );
        // Propagation turns each VPC's CIDR into a route, so the two VPCs reach each other.
        stack.add(
            Layer::Network,
            &format!("{name} transit gateway propagation"),
            TransitGatewayRouteTablePropagation::new(
                attachment.attachment_id(),
                route_table.route_table_id(),
            ),
        );
        stack.claim_addresses(&v.handles.private_subnets, "Transit Gateway attachment", 1);
        attachments.push(attachment);
    }
    on_premises_link(stack, &route_table, &net);

    // VPC routes to a Transit Gateway fail until the VPC's attachment exists, hence the explicit dependency.
    let vpcs = [
        ("production", &production, &net.migration_vpc),
        ("migration", &migration, &net.production_vpc),
    ];
    for ((name, v, peer), attachment) in vpcs.into_iter().zip(&attachments) {
        for (destination, cidr) in [
            ("peer vpc", peer.cidr),
            ("on premises", net.on_premises_cidr),
        ] {
            stack.add_with(
                Layer::Network,
                &format!("{name} {destination} route"),
                Route::to_transit_gateway(
                    v.private_route_table.route_table_id(),
                    cidr.to_string(),
                    tgw.transit_gateway_id(),
                ),
                Attributes::new().depends_on(attachment),
            );
        }
    }

    let security_groups = security_groups(stack, &production, &migration);
    if net.egress == Egress::VpcEndpoints {
        for (name, v, layout, services) in [
            (
                "production",
                &production,
                &net.production_vpc,
                PRODUCTION_ENDPOINTS,
            ),
            (
                "migration",
                &migration,
                &net.migration_vpc,
                MIGRATION_ENDPOINTS,
            ),
        ] {
            vpc_endpoints(stack, name, v, layout, services);
        }
    }

    for (output, description, v) in [
        (
            "ProductionVpcId",
            "Production VPC (production_vpc_id)",
            &production,
        ),
        (
            "MigrationVpcId",
            "Migration VPC (migration_vpc_id)",
            &migration,
        ),
    ] {
        stack.template.output(
            crate::cfn::LogicalId::verbatim(output),
            Output::new(description, v.handles.vpc.vpc_id()),
        );
    }
    stack.template.output(
        crate::cfn::LogicalId::verbatim("TransitGatewayId"),
        Output::new(
            "Transit Gateway joining the VPCs and on-premises (transit_gateway_id)",
            tgw.transit_gateway_id(),
        ),
    );

    Network {
        production: production.handles,
        migration: migration.handles,
        transit_gateway: tgw,
        security_groups,
    }
}

/// The Transit Gateway's side of the on-premises link, deployed in two steps because the VPN or Direct Connect
/// attachment is created by network operations on this stack's Transit Gateway, which exists only after the
/// first deploy.
///
/// 1. Without `network.on_premises_attachment_id`: a blackhole route, so on-premises traffic stops at the Transit
///    Gateway instead of wandering.
/// 2. With it: the attachment is associated with the stack's route table, which gives replies from on-premises
///    their return path (the table holds both VPCs' propagated routes), and a static route sends
///    `network.on_premises_cidr` to it. The attachment's routes are deliberately not propagated: BGP would
///    import every prefix the on-premises side advertises, and the VPCs may reach only the spec's on-premises
///    network (PCI DSS 1.3).
fn on_premises_link(
    stack: &mut Stack,
    route_table: &Handle<TransitGatewayRouteTable>,
    net: &crate::spec::Network,
) {
    let destination = net.on_premises_cidr.to_string();
    match &net.on_premises_attachment_id {
        Some(id) => {
            let association = stack.add(
                Layer::Network,
                "on premises transit gateway association",
                TransitGatewayRouteTableAssociation::new(
                    Expr::lit(id),
                    route_table.route_table_id(),
                ),
            );
            stack.add_with(
                Layer::Network,
                "on premises transit gateway route",
                TransitGatewayRoute::to_attachment(
                    route_table.route_table_id(),
                    destination,
                    Expr::lit(id),
                ),
                Attributes::new().depends_on(&association),
            );
        }
        None => {
            stack.add(
                Layer::Network,
                "on premises transit gateway route",
                TransitGatewayRoute::blackholed(route_table.route_table_id(), destination),
            );
        }
    }
}

/// The network of a secondary region: one private VPC for the global database's secondary cluster, with flow
/// logs and no internet path, and the cluster's security group (no ingress until applications arrive there).
pub fn secondary_region(
    stack: &mut Stack,
    field: &str,
    layout: &VpcLayout,
    key: &Handle<Key>,
) -> (VpcHandles, Handle<SecurityGroup>) {
    let flow_logs_role = flow_logs_role(stack);
    let database_vpc = vpc(
        stack,
        "database",
        field,
        layout,
        Egress::VpcEndpoints,
        &flow_logs_role,
        key,
    );
    let group = stack.add(
        Layer::Network,
        "database security group",
        SecurityGroup::with_egress(
            "The secondary Aurora PostgreSQL cluster: no ingress until applications run in this region",
            database_vpc.handles.vpc.vpc_id(),
            vec![],
        ),
    );
    stack.template.output(
        crate::cfn::LogicalId::verbatim("DatabaseVpcId"),
        Output::new(
            "VPC of the secondary cluster",
            database_vpc.handles.vpc.vpc_id(),
        ),
    );
    (database_vpc.handles, group)
}

struct BuiltVpc {
    handles: VpcHandles,
    private_route_table: Handle<RouteTable>,
}

fn vpc(
    stack: &mut Stack,
    name: &str,
    field: &str,
    layout: &VpcLayout,
    egress: Egress,
    flow_logs_role: &Handle<Role>,
    key: &Handle<Key>,
) -> BuiltVpc {
    let vpc = stack.add(
        Layer::Network,
        &format!("{name} vpc"),
        Vpc::with_private_dns(layout.cidr.to_string()),
    );

    let log_group = stack.log_group(
        Layer::Network,
        &format!("{name} flow log group"),
        &format!("vpc-flow-logs/{name}"),
        key,
    );
    stack.add(
        Layer::Network,
        &format!("{name} flow log"),
        FlowLog::all_traffic_of_vpc(vpc.vpc_id(), log_group.log_group_name(), flow_logs_role)
            .max_aggregation_interval(60u32),
    );

    let private_route_table = stack.add(
        Layer::Network,
        &format!("{name} private route table"),
        RouteTable::new(vpc.vpc_id()),
    );
    let private_subnets = subnets(
        stack,
        name,
        "private",
        &vpc,
        &layout.private_subnets,
        &private_route_table,
    );
    if let Some(first) = layout.private_subnets.first() {
        stack.plan_subnets(&private_subnets, field, layout.cidr, *first);
    }

    if egress == Egress::NatGatewayPerVpc {
        let igw = stack.add(
            Layer::Network,
            &format!("{name} internet gateway"),
            InternetGateway::new(),
        );
        let igw_attachment = stack.add(
            Layer::Network,
            &format!("{name} internet gateway attachment"),
            VpcGatewayAttachment::internet_gateway(vpc.vpc_id(), igw.internet_gateway_id()),
        );
        let public_route_table = stack.add(
            Layer::Network,
            &format!("{name} public route table"),
            RouteTable::new(vpc.vpc_id()),
        );
        stack.add_with(
            Layer::Network,
            &format!("{name} public default route"),
            Route::to_internet_gateway(public_route_table.route_table_id(), "0.0.0.0/0", igw.internet_gateway_id()),
            Attributes::new().depends_on(&igw_attachment).suppress_guard_rule(
                "NO_UNRESTRICTED_ROUTE_TO_IGW",
                "The NAT gateway's public subnet needs a default route to the internet gateway; nothing else \
                 lives in the public subnets, which assign no public IPs, and no security group admits \
                 0.0.0.0/0. `egress: vpc_endpoints` removes this route.",
            ),
        );
        let public_subnets = subnets(
            stack,
            name,
            "public",
            &vpc,
            &layout.public_subnets,
            &public_route_table,
        );
        // One NAT gateway per VPC, the original design's cost choice: egress depends on the first AZ.
        let eip = stack.add_with(
            Layer::Network,
            &format!("{name} nat address"),
            Eip::for_vpc(),
            Attributes::new().depends_on(&igw_attachment),
        );
        let nat = stack.add(
            Layer::Network,
            &format!("{name} nat gateway"),
            NatGateway::public(public_subnets[0].subnet_id(), eip.allocation_id()),
        );
        stack.add(
            Layer::Network,
            &format!("{name} private default route"),
            Route::to_nat_gateway(
                private_route_table.route_table_id(),
                "0.0.0.0/0",
                nat.nat_gateway_id(),
            ),
        );
    }

    BuiltVpc {
        handles: VpcHandles {
            vpc,
            private_subnets,
        },
        private_route_table,
    }
}

fn subnets(
    stack: &mut Stack,
    vpc_name: &str,
    tier: &str,
    vpc: &Handle<Vpc>,
    cidrs: &[Ipv4Net],
    route_table: &Handle<RouteTable>,
) -> Vec<Handle<Subnet>> {
    cidrs
        .iter()
        .enumerate()
        .map(|(i, cidr)| {
            let az = i + 1;
            let subnet = stack.add(
                Layer::Network,
                &format!("{vpc_name} {tier} subnet az{az}"),
                Subnet::without_public_ips(
                    vpc.vpc_id(),
                    cidr.to_string(),
                    Expr::availability_zone(i as u32),
                ),
            );
            stack.add(
                Layer::Network,
                &format!("{vpc_name} {tier} subnet az{az} route table association"),
                SubnetRouteTableAssociation::of_subnet(
                    subnet.subnet_id(),
                    route_table.route_table_id(),
                ),
            );
            subnet
        })
        .collect()
}

/// The flow-log delivery role, shared by both VPCs, allowed to write only to this environment's flow-log groups.
fn flow_logs_role(stack: &mut Stack) -> Handle<Role> {
    let role = stack.add(
        Layer::Network,
        "flow logs role",
        Role::for_service_in_this_account("vpc-flow-logs.amazonaws.com")
            .description("Delivers VPC flow logs to CloudWatch Logs"),
    );
    let groups = Expr::arn(
        "logs",
        &format!(
            "log-group:/payment-migration/{}/vpc-flow-logs/*",
            stack.env.name
        ),
    );
    stack.add(
        Layer::Network,
        "flow logs policy",
        ManagedPolicy::new(PolicyDocument::new(vec![
            Statement::allow(
                "WriteFlowLogs",
                &[
                    "logs:CreateLogStream",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                ],
            )
            .resources([
                groups.clone(),
                Expr::arn(
                    "logs",
                    &format!(
                        "log-group:/payment-migration/{}/vpc-flow-logs/*:*",
                        stack.env.name
                    ),
                ),
            ]),
            Statement::allow("DescribeFlowLogGroups", &["logs:DescribeLogGroups"])
                .resource(Expr::arn("logs", "log-group:*")),
        ]))
        .description("Lets VPC flow logs write to the environment's flow-log groups")
        .attach_to(role.role_name()),
    );
    role
}

fn security_groups(
    stack: &mut Stack,
    production: &BuiltVpc,
    migration: &BuiltVpc,
) -> SecurityGroups {
    let env = stack.env;
    let net = &env.network;
    let has_production_cluster = matches!(env.migration.source, Source::ProductionCluster(_));
    let aws_apis = |layout: &VpcLayout| aws_apis(net.egress, layout);
    let postgres_to = |cidrs: &[Ipv4Net], description: &str| -> Vec<EgressRule> {
        cidrs
            .iter()
            .map(|cidr| EgressRule::tcp_to_cidr(POSTGRES, cidr.to_string(), description))
            .collect()
    };

    // DMS and the validation Lambda reach every database of the migration (the clusters' private subnets, or
    // the on-premises source) and the AWS APIs, and accept no connections.
    let mut client_egress = postgres_to(&net.migration_vpc.private_subnets, "Migration cluster");
    if has_production_cluster {
        client_egress.extend(postgres_to(
            &net.production_vpc.private_subnets,
            "Production cluster",
        ));
    }
    // Only the source the spec names, on its port (PCI DSS 1.3: no more of the on-premises network than needed).
    if let Source::External(external) = &env.migration.source {
        let port = TcpPorts {
            from: external.port,
            to: external.port,
        };
        client_egress.push(EgressRule::tcp_to_cidr(
            port,
            external.network(net.on_premises_cidr).to_string(),
            &format!(
                "On-premises PostgreSQL source on port {}, through the Transit Gateway",
                external.port
            ),
        ));
    }
    client_egress.push(EgressRule::tcp_to_cidr(
        HTTPS,
        aws_apis(&net.migration_vpc),
        "AWS APIs (Secrets Manager, KMS, CloudWatch Logs)",
    ));
    let replication = stack.add(
        Layer::Network,
        "replication security group",
        SecurityGroup::with_egress(
            "DMS replication instance: no ingress",
            migration.handles.vpc.vpc_id(),
            client_egress.clone(),
        ),
    );
    let validation = stack.add(
        Layer::Network,
        "validation security group",
        SecurityGroup::with_egress(
            "Validation Lambda: no ingress",
            migration.handles.vpc.vpc_id(),
            client_egress,
        ),
    );

    let (migration_database, migration_rotation) = database_tier(
        stack,
        "migration",
        migration,
        &net.migration_vpc,
        aws_apis(&net.migration_vpc),
    );
    for (source, group) in [("replication", &replication), ("validation", &validation)] {
        stack.add(
            Layer::Network,
            &format!("migration database ingress from {source}"),
            SecurityGroupIngress::tcp_from_group(
                migration_database.group_id(),
                POSTGRES,
                group.group_id(),
                &format!("PostgreSQL from the {source} tier"),
            ),
        );
    }
    application_ingress(stack, "migration", &migration_database);

    let production_tier = has_production_cluster.then(|| {
        let (database, rotation) = database_tier(
            stack,
            "production",
            production,
            &net.production_vpc,
            aws_apis(&net.production_vpc),
        );
        // The production cluster sits in another VPC, and security groups cannot be referenced across a Transit
        // Gateway, so it admits the migration VPC's private subnets, where DMS and the validation Lambda run.
        for (i, cidr) in net.migration_vpc.private_subnets.iter().enumerate() {
            stack.add(
                Layer::Network,
                &format!("production database ingress migration subnet az{}", i + 1),
                SecurityGroupIngress::tcp_from_cidr(
                    database.group_id(),
                    POSTGRES,
                    cidr.to_string(),
                    "DMS and validation in a migration private subnet",
                ),
            );
        }
        application_ingress(stack, "production", &database);
        (database, rotation)
    });
    let (production_database, production_rotation) = production_tier.unzip();

    SecurityGroups {
        production_database,
        production_rotation,
        migration_database,
        migration_rotation,
        replication,
        validation,
    }
}

/// Where AWS APIs are for a tier of `layout`'s VPC: the VPC's own interface endpoints, or (through the NAT
/// gateway) the regional public endpoints, which have no fixed addresses.
pub fn aws_apis(egress: Egress, layout: &VpcLayout) -> String {
    match egress {
        Egress::VpcEndpoints => layout.cidr.to_string(),
        Egress::NatGatewayPerVpc => "0.0.0.0/0".to_string(),
    }
}

/// A cluster's security group (no egress: a database starts no connections) and the group of its secret's
/// rotation function, which the cluster admits on 5432.
fn database_tier(
    stack: &mut Stack,
    name: &str,
    v: &BuiltVpc,
    layout: &VpcLayout,
    aws_apis: String,
) -> (Handle<SecurityGroup>, Handle<SecurityGroup>) {
    let database = stack.add(
        Layer::Network,
        &format!("{name} database security group"),
        SecurityGroup::with_egress(
            format!("The {name} Aurora PostgreSQL cluster: 5432 from the tiers that need it only"),
            v.handles.vpc.vpc_id(),
            vec![],
        ),
    );
    let mut egress: Vec<EgressRule> = layout
        .private_subnets
        .iter()
        .map(|cidr| {
            EgressRule::tcp_to_cidr(
                POSTGRES,
                cidr.to_string(),
                "The cluster whose password it rotates",
            )
        })
        .collect();
    egress.push(EgressRule::tcp_to_cidr(
        HTTPS,
        aws_apis,
        "Secrets Manager and KMS",
    ));
    let rotation = stack.add(
        Layer::Network,
        &format!("{name} rotation security group"),
        SecurityGroup::with_egress(
            format!("Rotation function of the master secret of the {name} cluster: no ingress"),
            v.handles.vpc.vpc_id(),
            egress,
        ),
    );
    stack.add(
        Layer::Network,
        &format!("{name} database ingress from rotation"),
        SecurityGroupIngress::tcp_from_group(
            database.group_id(),
            POSTGRES,
            rotation.group_id(),
            "PostgreSQL from the secret rotation function",
        ),
    );
    (database, rotation)
}

/// The application networks the spec names reach a cluster on 5432.
fn application_ingress(stack: &mut Stack, name: &str, database: &Handle<SecurityGroup>) {
    let cidrs = stack.env.database.application_cidrs.clone();
    for (i, cidr) in cidrs.iter().enumerate() {
        stack.add(
            Layer::Network,
            &format!("{name} database ingress application {}", i + 1),
            SecurityGroupIngress::tcp_from_cidr(
                database.group_id(),
                POSTGRES,
                cidr.to_string(),
                "PostgreSQL from an application network of the spec",
            ),
        );
    }
}

fn vpc_endpoints(
    stack: &mut Stack,
    name: &str,
    v: &BuiltVpc,
    layout: &VpcLayout,
    services: &[&str],
) {
    let group = stack.add(
        Layer::Network,
        &format!("{name} endpoints security group"),
        SecurityGroup::with_egress(
            "Interface VPC endpoints: HTTPS from inside the VPC",
            v.handles.vpc.vpc_id(),
            vec![],
        ),
    );
    stack.add(
        Layer::Network,
        &format!("{name} endpoints ingress"),
        SecurityGroupIngress::tcp_from_cidr(
            group.group_id(),
            HTTPS,
            layout.cidr.to_string(),
            "HTTPS from the VPC",
        ),
    );
    let subnets: Vec<Expr> = v
        .handles
        .private_subnets
        .iter()
        .map(Handle::subnet_id)
        .collect();
    stack.claim_addresses(
        &v.handles.private_subnets,
        &format!("interface VPC endpoints ({})", services.join(", ")),
        services.len() as u32,
    );
    for service in services {
        stack.add(
            Layer::Network,
            &format!("{name} {service} endpoint"),
            VpcEndpoint::interface(
                v.handles.vpc.vpc_id(),
                service,
                subnets.clone(),
                vec![group.group_id()],
            ),
        );
    }
    stack.add(
        Layer::Network,
        &format!("{name} s3 endpoint"),
        VpcEndpoint::gateway(
            v.handles.vpc.vpc_id(),
            "s3",
            vec![v.private_route_table.route_table_id()],
        ),
    );
}
