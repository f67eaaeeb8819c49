//! The architecture picture: what an environment's templates create, drawn from the templates themselves
//! (resources and the references between them), so it changes when the architecture does.
//!
//! Resources are grouped by region and by layer (a logical id starts with its layer). Only the resources a
//! reader recognises are drawn (networks, clusters, DMS, the API, functions, workflows, buckets, the topic, the
//! key, the dashboard); the plumbing between them (roles, policies, secrets, attachments, permissions) becomes
//! the edges: two drawn resources are joined when one names the other, directly or through plumbing. Parameter
//! Store parameters and metric alarms are drawn as one node each per region. DMS tasks show the direction data
//! flows, and a global database joins its secondary regions.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde_json::Value;

use super::references;
use crate::render::RegionTemplate;
use crate::spec::{Environment, Source};

/// The layers, in the order the picture lists them.
pub const LAYERS: [&str; 11] = [
    "Encryption",
    "Network",
    "Database",
    "Migration",
    "Storage",
    "Notification",
    "Configuration",
    "Api",
    "Validation",
    "Orchestration",
    "Monitoring",
];

/// How a drawn resource looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Box,
    Store,
    Hexagon,
    Rounded,
}

/// Types drawn as nodes, with their shape and a short kind name.
fn drawn(type_name: &str) -> Option<(Shape, &'static str)> {
    Some(match type_name {
        "AWS::EC2::VPC" => (Shape::Rounded, "VPC"),
        "AWS::EC2::TransitGateway" => (Shape::Hexagon, "Transit Gateway"),
        "AWS::EC2::NatGateway" => (Shape::Box, "NAT gateway"),
        "AWS::EC2::VPCEndpoint" => return None,
        "AWS::RDS::DBCluster" => (Shape::Store, "Aurora PostgreSQL cluster"),
        "AWS::RDS::GlobalCluster" => (Shape::Store, "Aurora global database"),
        "AWS::DMS::ReplicationInstance" => (Shape::Box, "DMS replication instance"),
        "AWS::DMS::Endpoint" => (Shape::Box, "DMS endpoint"),
        "AWS::DMS::ReplicationTask" => (Shape::Hexagon, "DMS task"),
        "AWS::ApiGateway::RestApi" => (Shape::Rounded, "API Gateway (private)"),
        "AWS::ApiGatewayV2::VpcLink" => (Shape::Box, "VPC link"),
        "AWS::ElasticLoadBalancingV2::LoadBalancer" => (Shape::Box, "internal ALB"),
        "AWS::Lambda::Function" => (Shape::Rounded, "Lambda"),
        "AWS::StepFunctions::StateMachine" => (Shape::Hexagon, "Step Functions"),
        "AWS::S3::Bucket" => (Shape::Store, "S3 bucket"),
        "AWS::SNS::Topic" => (Shape::Rounded, "SNS topic"),
        "AWS::KMS::Key" => (Shape::Box, "KMS key"),
        "AWS::CloudWatch::Dashboard" => (Shape::Box, "dashboard"),
        "AWS::CloudWatch::CompositeAlarm" => (Shape::Hexagon, "composite alarm"),
        _ => return None,
    })
}

/// Plumbing that is neither drawn nor walked through: it joins too much to mean anything (everything is
/// encrypted with the key and logs somewhere; subnets and security groups hold the network together).
fn hub(type_name: &str) -> bool {
    matches!(
        type_name,
        "AWS::KMS::Key"
            | "AWS::KMS::Alias"
            | "AWS::EC2::VPC"
            | "AWS::EC2::Subnet"
            | "AWS::EC2::SecurityGroup"
            | "AWS::EC2::SecurityGroupIngress"
            | "AWS::EC2::SecurityGroupEgress"
            | "AWS::EC2::RouteTable"
            | "AWS::EC2::Route"
            | "AWS::EC2::SubnetRouteTableAssociation"
            | "AWS::EC2::VPCEndpoint"
            | "AWS::Logs::LogGroup"
            | "AWS::Logs::MetricFilter"
            | "AWS::RDS::DBSubnetGroup"
            | "AWS::DMS::ReplicationSubnetGroup"
            | "AWS::CloudFormation::WaitConditionHandle"
            | "AWS::SNS::TopicPolicy"
            | "AWS::S3::BucketPolicy"
    )
}

/// Plumbing that associates the resources it names (an attachment, an authorizer, a listener): walked through in
/// either direction. Other plumbing is walked only along its own references, so that a policy naming a
/// resource does not join that resource to everything else the policy names; a policy is reached from the role
/// it is attached to ([`attached_to_role`]).
fn connector(type_name: &str) -> bool {
    matches!(
        type_name,
        "AWS::SecretsManager::SecretTargetAttachment"
            | "AWS::EC2::TransitGatewayAttachment"
            | "AWS::EC2::TransitGatewayRouteTableAssociation"
            | "AWS::EC2::TransitGatewayRoute"
            | "AWS::Lambda::Permission"
            | "AWS::ApiGateway::Authorizer"
            | "AWS::ApiGateway::Method"
            | "AWS::ApiGateway::Stage"
            | "AWS::ElasticLoadBalancingV2::Listener"
            | "AWS::ElasticLoadBalancingV2::ListenerRule"
            | "AWS::ElasticLoadBalancingV2::TargetGroup"
    )
}

/// A managed policy is plumbing of the role it is attached to: walked into from the role.
fn attached_to_role(type_name: &str, from_type: &str) -> bool {
    type_name == "AWS::IAM::ManagedPolicy" && from_type == "AWS::IAM::Role"
}

/// Aggregated kinds: many resources drawn as one node per region.
fn aggregate(type_name: &str) -> Option<&'static str> {
    match type_name {
        "AWS::SSM::Parameter" => Some("ParameterStore"),
        "AWS::CloudWatch::Alarm" => Some("Alarms"),
        _ => None,
    }
}

#[derive(Clone, Debug)]
struct Node {
    id: String,
    label: String,
    shape: Shape,
}

/// The picture: nodes by region and layer, and edges.
#[derive(Clone, Debug, Default)]
pub struct Architecture {
    title: String,
    /// region → layer → nodes
    groups: BTreeMap<String, BTreeMap<String, Vec<Node>>>,
    regions: Vec<String>,
    external: Vec<Node>,
    /// (from, to, label, data flow)
    edges: BTreeSet<(String, String, String, bool)>,
}

fn words(id: &str) -> String {
    let mut out = String::new();
    for (i, c) in id.chars().enumerate() {
        if i > 0 && c.is_uppercase() {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

fn layer_of(id: &str) -> Option<&'static str> {
    LAYERS.iter().copied().find(|layer| {
        id.strip_prefix(layer)
            .is_some_and(|rest| rest.chars().next().is_some_and(char::is_uppercase))
    })
}

fn node_id(region: &str, id: &str) -> String {
    format!("{}_{id}", region.replace('-', "_"))
}

impl Architecture {
    /// The picture of `templates` (every region of `env`, rendered).
    pub fn of(env: &Environment, templates: &[RegionTemplate]) -> Result<Self, String> {
        let mut picture = Architecture {
            title: format!("payment migration: {}", env.name),
            ..Default::default()
        };
        let mut global_clusters = Vec::new();
        let mut secondary_clusters = Vec::new();
        for t in templates {
            let doc: Value = serde_json::from_str(&t.template.body)
                .or_else(|_| serde_norway::from_str(&t.template.body))
                .map_err(|e| format!("{}: the template does not parse: {e}", t.region))?;
            let resources = doc
                .get("Resources")
                .and_then(Value::as_object)
                .ok_or_else(|| format!("{}: no Resources", t.region))?;
            picture.regions.push(t.region.clone());
            let region = &t.region;
            // What each resource stands for in the picture: itself, its aggregate, or nothing (plumbing).
            let mut represented: BTreeMap<&str, String> = BTreeMap::new();
            let mut aggregates: BTreeMap<&'static str, (usize, &'static str)> = BTreeMap::new();
            for (id, resource) in resources {
                let type_name = resource
                    .get("Type")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let layer = layer_of(id).unwrap_or("Network");
                if let Some((shape, kind)) = drawn(type_name) {
                    let label = format!(
                        "{}<br/><i>{kind}</i>",
                        words(id.strip_prefix(layer).unwrap_or(id))
                    );
                    picture.node(region, layer, node_id(region, id), label, shape);
                    represented.insert(id, node_id(region, id));
                    match type_name {
                        "AWS::RDS::GlobalCluster" => global_clusters.push(node_id(region, id)),
                        "AWS::RDS::DBCluster"
                            if resource["Properties"]
                                .get("GlobalClusterIdentifier")
                                .is_some()
                                && t.region != env.primary_region =>
                        {
                            secondary_clusters.push((region.clone(), node_id(region, id)));
                        }
                        _ => {}
                    }
                } else if let Some(name) = aggregate(type_name) {
                    let entry = aggregates.entry(name).or_insert((0, layer));
                    entry.0 += 1;
                    represented.insert(id, node_id(region, name));
                }
            }
            for (name, (count, layer)) in &aggregates {
                let label = match *name {
                    "ParameterStore" => format!(
                        "Parameter Store /migration/{}/<br/><i>{count} parameters</i>",
                        env.name
                    ),
                    _ => format!("{count} CloudWatch alarms"),
                };
                picture.node(region, layer, node_id(region, name), label, Shape::Box);
            }

            // References, through which drawn resources meet.
            let mut outgoing: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
            for (id, resource) in resources {
                let mut named = BTreeSet::new();
                references(
                    resource.get("Properties").unwrap_or(&Value::Null),
                    &mut named,
                );
                named.retain(|n| resources.contains_key(n) && n != id);
                outgoing.insert(id, named);
            }
            let type_of = |id: &str| resources[id]["Type"].as_str().unwrap_or_default();
            let plumbing = |id: &str| !represented.contains_key(id) && !hub(type_of(id));
            // Incoming references, for the steps that go against a reference (into a connector, or from a role
            // into its policy).
            let mut incoming: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
            for (id, named) in &outgoing {
                for n in named {
                    incoming.entry(n.as_str()).or_default().insert(id);
                }
            }
            for (id, target) in &represented {
                if type_of(id) == "AWS::KMS::Key" {
                    continue;
                }
                // Breadth-first through plumbing, at most three steps: along references, or against one into a
                // connector or from a role into its policies.
                let mut seen: BTreeSet<&str> = BTreeSet::from([*id]);
                let mut queue: VecDeque<(&str, usize)> = VecDeque::new();
                let steps = |from: &str| -> Vec<&str> {
                    let mut next: Vec<&str> = outgoing[from].iter().map(String::as_str).collect();
                    for c in incoming.get(from).into_iter().flatten() {
                        let t = type_of(c);
                        if connector(t) || attached_to_role(t, type_of(from)) {
                            next.push(c);
                        }
                    }
                    next
                };
                for n in steps(id) {
                    queue.push_back((n, 1));
                }
                while let Some((current, depth)) = queue.pop_front() {
                    if !seen.insert(current) {
                        continue;
                    }
                    if let Some(other) = represented.get(current) {
                        if other != target && !hub(type_of(current)) {
                            picture.edge(target, other, "", false);
                        }
                        continue;
                    }
                    if !plumbing(current) || depth >= 3 {
                        continue;
                    }
                    for n in steps(current) {
                        queue.push_back((n, depth + 1));
                    }
                }
            }
            // DMS tasks: the direction data flows.
            for (id, resource) in resources {
                if type_of(id) != "AWS::DMS::ReplicationTask" {
                    continue;
                }
                let endpoint = |key: &str| {
                    let mut named = BTreeSet::new();
                    references(&resource["Properties"][key], &mut named);
                    named
                        .into_iter()
                        .find_map(|n| represented.get(n.as_str()).cloned())
                };
                let task = node_id(region, id);
                if let Some(source) = endpoint("SourceEndpointArn") {
                    picture
                        .edges
                        .retain(|(a, b, _, _)| !(a == &task && b == &source));
                    picture.edge(&source, &task, "reads", true);
                }
                if let Some(target) = endpoint("TargetEndpointArn") {
                    picture
                        .edges
                        .retain(|(a, b, _, _)| !(a == &task && b == &target));
                    picture.edge(&task, &target, "writes", true);
                }
            }
            // What lies outside the account.
            if resources
                .values()
                .any(|r| r["Type"] == "AWS::EC2::TransitGateway")
            {
                let on_premises = "on_premises".to_string();
                if !picture.external.iter().any(|n| n.id == on_premises) {
                    picture.external.push(Node {
                        id: on_premises.clone(),
                        label: format!(
                            "On-premises network<br/><i>{}</i>",
                            env.network.on_premises_cidr
                        ),
                        shape: Shape::Rounded,
                    });
                }
                for (id, resource) in resources {
                    if resource["Type"] == "AWS::EC2::TransitGateway" {
                        picture.edge(
                            &node_id(region, id),
                            &on_premises,
                            "VPN / Direct Connect",
                            false,
                        );
                    }
                }
            }
            if let Source::External(external) = &env.migration.source
                && t.region == env.primary_region
            {
                for (id, resource) in resources {
                    if resource["Type"] == "AWS::DMS::Endpoint"
                        && resource["Properties"]
                            .get("ServerName")
                            .and_then(Value::as_str)
                            == Some(external.host.as_str())
                    {
                        picture.edge("on_premises", &node_id(region, id), "source database", true);
                    }
                }
            }
            for (id, resource) in resources {
                if resource["Type"] == "AWS::ElasticLoadBalancingV2::TargetGroup" {
                    let backends = "application_backends".to_string();
                    if !picture.external.iter().any(|n| n.id == backends) {
                        picture.external.push(Node {
                            id: backends.clone(),
                            label: "Application backends<br/><i>production and migration</i>"
                                .into(),
                            shape: Shape::Rounded,
                        });
                    }
                    let mut named = BTreeSet::new();
                    references(&resource["Properties"], &mut named);
                    let balancer = resources
                        .iter()
                        .filter(|(_, r)| r["Type"] == "AWS::ElasticLoadBalancingV2::LoadBalancer")
                        .map(|(lb, _)| node_id(region, lb))
                        .next();
                    if let Some(lb) = balancer {
                        picture.edge(&lb, &backends, "HTTPS", true);
                    }
                    let _ = id;
                }
            }
        }
        for global in &global_clusters {
            for (region, secondary) in &secondary_clusters {
                picture.edge(global, secondary, &format!("replicates to {region}"), true);
            }
        }
        Ok(picture)
    }

    fn node(&mut self, region: &str, layer: &str, id: String, label: String, shape: Shape) {
        let nodes = self
            .groups
            .entry(region.to_string())
            .or_default()
            .entry(layer.to_string())
            .or_default();
        if !nodes.iter().any(|n| n.id == id) {
            nodes.push(Node { id, label, shape });
        }
    }

    fn edge(&mut self, from: &str, to: &str, label: &str, flow: bool) {
        let reverse = (to.to_string(), from.to_string(), label.to_string(), flow);
        if from == to || self.edges.contains(&reverse) {
            return;
        }
        if !flow
            && self
                .edges
                .iter()
                .any(|(a, b, _, _)| (a == to && b == from) || (a == from && b == to))
        {
            return;
        }
        self.edges
            .insert((from.to_string(), to.to_string(), label.to_string(), flow));
    }

    /// The layers that have at least one node, in any region.
    pub fn layers(&self) -> BTreeSet<&str> {
        self.groups
            .values()
            .flat_map(|layers| {
                layers
                    .iter()
                    .filter(|(_, n)| !n.is_empty())
                    .map(|(l, _)| l.as_str())
            })
            .collect()
    }

    fn ordered_layers<'a>(
        &self,
        layers: &'a BTreeMap<String, Vec<Node>>,
    ) -> Vec<(&'a String, &'a Vec<Node>)> {
        let mut out: Vec<(&String, &Vec<Node>)> = layers.iter().collect();
        out.sort_by_key(|(l, _)| LAYERS.iter().position(|x| x == l).unwrap_or(LAYERS.len()));
        out
    }

    /// A Mermaid flowchart, left to right.
    pub fn mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        for node in &self.external {
            out.push_str(&format!("  {}\n", mermaid_node(node)));
        }
        for region in &self.regions {
            let Some(layers) = self.groups.get(region) else {
                continue;
            };
            let region_id = region.replace('-', "_");
            out.push_str(&format!("  subgraph {region_id}[\"{region}\"]\n"));
            for (layer, nodes) in self.ordered_layers(layers) {
                out.push_str(&format!(
                    "    subgraph {region_id}_{layer}[\"{} layer\"]\n",
                    layer.to_lowercase()
                ));
                for node in nodes {
                    out.push_str(&format!("      {}\n", mermaid_node(node)));
                }
                out.push_str("    end\n");
            }
            out.push_str("  end\n");
        }
        for (from, to, label, flow) in &self.edges {
            let arrow = match (flow, label.is_empty()) {
                (true, true) => "==>".to_string(),
                (true, false) => format!("==>|\"{label}\"|"),
                (false, true) => "---".to_string(),
                (false, false) => format!("---|\"{label}\"|"),
            };
            out.push_str(&format!("  {from} {arrow} {to}\n"));
        }
        out
    }

    /// A Graphviz digraph, clusters by region and layer.
    pub fn dot(&self) -> String {
        let mut out = format!(
            "digraph \"{}\" {{\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n",
            self.title
        );
        for node in &self.external {
            out.push_str(&format!("  {}\n", dot_node(node)));
        }
        for region in &self.regions {
            let Some(layers) = self.groups.get(region) else {
                continue;
            };
            let region_id = region.replace('-', "_");
            out.push_str(&format!(
                "  subgraph cluster_{region_id} {{\n    label=\"{region}\";\n"
            ));
            for (layer, nodes) in self.ordered_layers(layers) {
                out.push_str(&format!(
                    "    subgraph cluster_{region_id}_{layer} {{\n      label=\"{} layer\";\n",
                    layer.to_lowercase()
                ));
                for node in nodes {
                    out.push_str(&format!("      {}\n", dot_node(node)));
                }
                out.push_str("    }\n");
            }
            out.push_str("  }\n");
        }
        for (from, to, label, flow) in &self.edges {
            let style = if *flow { "style=bold" } else { "dir=none" };
            out.push_str(&format!("  {from} -> {to} [label=\"{label}\", {style}];\n"));
        }
        out.push_str("}\n");
        out
    }

    /// `ARCHITECTURE.md`: the picture and how to read it.
    pub fn markdown(&self, env: &Environment) -> String {
        format!(
            "# Architecture: {env}\n\n\
             Generated by `migen` from the templates of this folder (do not edit): every region, grouped by layer. \
             A node is a resource a reader recognises; a thin line joins two that name each other, directly or \
             through roles, policies, secrets or attachments; a thick arrow is data flowing (DMS, the global \
             database, the API's backends). Parameter Store parameters and metric alarms are one node per region. \
             `migen graph --env {env} --format dot` gives the same picture for Graphviz.\n\n\
             ```mermaid\n{}```\n",
            self.mermaid(),
            env = env.name
        )
    }
}

fn escape(label: &str) -> String {
    label.replace('"', "#quot;")
}

fn mermaid_node(node: &Node) -> String {
    let label = escape(&node.label);
    match node.shape {
        Shape::Box => format!("{}[\"{label}\"]", node.id),
        Shape::Store => format!("{}[(\"{label}\")]", node.id),
        Shape::Hexagon => format!("{}{{{{\"{label}\"}}}}", node.id),
        Shape::Rounded => format!("{}(\"{label}\")", node.id),
    }
}

fn dot_node(node: &Node) -> String {
    let shape = match node.shape {
        Shape::Box => "box",
        Shape::Store => "cylinder",
        Shape::Hexagon => "hexagon",
        Shape::Rounded => "ellipse",
    };
    let label = node
        .label
        .replace("<br/>", "\\n")
        .replace("<i>", "")
        .replace("</i>", "")
        .replace('"', "\\\"");
    format!("{} [label=\"{label}\", shape={shape}];", node.id)
}
