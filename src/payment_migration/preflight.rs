//! Whether a region's stack fits AWS's limits, checked on the built stack before it is rendered. Some limits
//! depend on what the layers create, not only on the spec (addresses per subnet, rules per security group,
//! resources per template), so they are measured here on what the layers really built; each problem names the
//! spec field that drives it, so the user knows what to change.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::cfn::quota::MAX_RESOURCES;
use crate::spec::{Environment, Problem, regions};

use super::stack::Stack;

/// Addresses AWS keeps in every subnet (network, router, DNS, reserved, broadcast).
const RESERVED_ADDRESSES_PER_SUBNET: u32 = 5;
/// Default quota of inbound, and of outbound, rules per security group.
const MAX_RULES_PER_SECURITY_GROUP: usize = 60;

/// Every reason the stack cannot be deployed as built. `rebuild` builds the same region's stack for another
/// environment; it runs only when the resource quota is exceeded, to find the fields that drive the count.
pub fn check(stack: &Stack, rebuild: &dyn Fn(&Environment) -> usize) -> Vec<Problem> {
    let mut problems = region_problems(stack);
    problems.extend(subnet_problems(stack));
    problems.extend(security_group_problems(stack));
    problems.extend(resource_count_problems(stack, rebuild));
    problems.extend(super::orchestration::check_limits(&stack.workflow_limits));
    problems.extend(super::capacity::problems(stack));
    problems.extend(late_grants(stack));
    problems
}

/// Registrations with the key or topic policy after it was written: a defect of whatever built the stack,
/// reported rather than dropped.
fn late_grants(stack: &Stack) -> Vec<Problem> {
    stack
        .grants
        .late
        .iter()
        .map(|what| {
            problem(
                "(stack)",
                format!("{what}, registered after its policy was written"),
                "registrations before encryption::seal and notification::seal, which write the key and topic \
                 policies from them",
            )
        })
        .collect()
}

fn problem(field: &str, value: impl Into<String>, allowed: impl Into<String>) -> Problem {
    Problem {
        field: field.to_string(),
        value: value.into(),
        allowed: allowed.into(),
    }
}

/// The region offers every resource type of its template, and as many Availability Zones as the spec asks for.
fn region_problems(stack: &Stack) -> Vec<Problem> {
    let env = stack.env;
    let field = if stack.region == env.primary_region {
        "primary_region".to_string()
    } else {
        let index = env
            .secondary_regions
            .iter()
            .position(|s| s.region == stack.region)
            .unwrap_or_default();
        format!("secondary_regions[{index}].region")
    };
    let mut problems = Vec::new();
    let types: Vec<&str> = stack.template.resources().map(|(_, t, _)| t).collect();
    let missing = regions::unavailable_types(&stack.region, types);
    if !missing.is_empty() {
        problems.push(problem(
            &field,
            &stack.region,
            format!(
                "a region that offers every resource type of this template; {} lacks {}",
                stack.region,
                missing.join(", ")
            ),
        ));
    }
    if let Some(region) = regions::region(&stack.region) {
        let azs = env.network.availability_zones;
        if azs > region.availability_zones {
            problems.push(problem(
                "network.availability_zones",
                azs.to_string(),
                format!(
                    "at most {} in {} ({field}): the region gives customers {} Availability Zones",
                    region.availability_zones, stack.region, region.availability_zones
                ),
            ));
        }
    }
    problems
}

/// Every private subnet holds what the layers place in it, besides the addresses AWS reserves.
fn subnet_problems(stack: &Stack) -> Vec<Problem> {
    let mut problems = Vec::new();
    for plan in stack.subnet_plans() {
        let needed: u32 = plan.claims.iter().map(|(_, n)| n).sum();
        if plan.field.is_empty() {
            problems.push(problem(
                "network",
                format!("{needed} addresses"),
                "addresses claimed only in subnets a layer declared (a defect of migen, please report it)",
            ));
            continue;
        }
        let size = 1u32 << (32 - u32::from(plan.subnet_cidr.prefix_len()));
        let usable = size.saturating_sub(RESERVED_ADDRESSES_PER_SUBNET);
        if needed > usable {
            let detail = plan
                .claims
                .iter()
                .map(|(what, n)| format!("{n} {what}"))
                .collect::<Vec<_>>()
                .join(", ");
            problems.push(problem(
                &plan.field,
                plan.vpc_cidr.to_string(),
                format!(
                    "a VPC whose private subnets hold {needed} addresses each ({detail}); its subnets are /{} \
                     with {usable} usable addresses (AWS reserves {RESERVED_ADDRESSES_PER_SUBNET}): a larger \
                     range, at most /{} for this stack",
                    plan.subnet_cidr.prefix_len(),
                    largest_prefix_holding(needed)
                ),
            ));
        }
    }
    problems
}

/// The longest VPC prefix whose private subnets (an eighth of the VPC) hold `needed` addresses each.
fn largest_prefix_holding(needed: u32) -> u32 {
    let subnet_prefix = (0..=28u32)
        .rev()
        .find(|p| (1u32 << (32 - p)) - RESERVED_ADDRESSES_PER_SUBNET >= needed)
        .unwrap_or(0);
    subnet_prefix.saturating_sub(3)
}

#[derive(Default)]
struct GroupRules<'a> {
    inbound: Vec<(String, &'a Value)>,
    outbound: Vec<(String, &'a Value)>,
}

/// Security groups stay within the rule quota, and no rule repeats (EC2 refuses a duplicate with
/// `InvalidPermission.Duplicate`).
fn security_group_problems(stack: &Stack) -> Vec<Problem> {
    let mut groups: BTreeMap<String, GroupRules> = BTreeMap::new();
    for (id, type_name, properties) in stack.template.resources() {
        match type_name {
            "AWS::EC2::SecurityGroup" => {
                let rules = groups.entry(id.to_string()).or_default();
                for (list, key) in [
                    (&mut rules.inbound, "SecurityGroupIngress"),
                    (&mut rules.outbound, "SecurityGroupEgress"),
                ] {
                    if let Some(Value::Array(inline)) = properties.get(key) {
                        list.extend(
                            inline
                                .iter()
                                .enumerate()
                                .map(|(n, r)| (format!("its {key} rule {}", n + 1), r)),
                        );
                    }
                }
            }
            "AWS::EC2::SecurityGroupIngress" | "AWS::EC2::SecurityGroupEgress" => {
                if let Some(group) = group_of(properties) {
                    let rules = groups.entry(group).or_default();
                    let list = if type_name.ends_with("Ingress") {
                        &mut rules.inbound
                    } else {
                        &mut rules.outbound
                    };
                    list.push((id.to_string(), properties));
                }
            }
            _ => {}
        }
    }
    let env = stack.env;
    let application: Vec<String> = env
        .database
        .application_cidrs
        .iter()
        .map(ToString::to_string)
        .collect();
    let backends: Vec<String> = [&env.api.production, &env.api.migration]
        .iter()
        .flat_map(|b| b.addresses.iter().map(|a| format!("{a}/32")))
        .collect();
    // The spec lists that add rules, so an overfull group names the list to shorten.
    let drivers = [
        ("database.application_cidrs", "networks", &application),
        ("api.backends", "addresses", &backends),
    ];
    let mut problems = Vec::new();
    for (group, rules) in &groups {
        for (direction, list) in [("inbound", &rules.inbound), ("outbound", &rules.outbound)] {
            if list.len() > MAX_RULES_PER_SECURITY_GROUP {
                let excess = list.len() - MAX_RULES_PER_SECURITY_GROUP;
                let limit = format!(
                    "security group {group} would have {} {direction} rules, and AWS allows \
                     {MAX_RULES_PER_SECURITY_GROUP} by default",
                    list.len()
                );
                let driver = drivers
                    .iter()
                    .map(|(field, unit, cidrs)| {
                        let rules = list
                            .iter()
                            .filter(|(_, r)| cidr_of(r).is_some_and(|c| cidrs.contains(&c)))
                            .count();
                        (field, unit, cidrs.len(), rules)
                    })
                    .max_by_key(|d| d.3)
                    .filter(|d| d.3 > 0);
                problems.push(match driver {
                    Some((field, unit, entries, _)) => problem(
                        field,
                        format!("{entries} {unit}"),
                        format!("at most {} {unit}: {limit}", entries.saturating_sub(excess)),
                    ),
                    None => problem("network", format!("{} rules", list.len()), limit),
                });
            }
            let mut seen: BTreeMap<String, &str> = BTreeMap::new();
            for (id, rule) in list {
                let key = rule_key(rule);
                if let Some(first) = seen.get(&key) {
                    let cidr = cidr_of(rule).unwrap_or_default();
                    let field = drivers
                        .iter()
                        .find(|(_, _, cidrs)| cidrs.contains(&cidr))
                        .map_or("network", |(field, _, _)| field);
                    problems.push(problem(
                        field,
                        if cidr.is_empty() { key.clone() } else { cidr },
                        format!(
                            "a value security group {group} does not already cover: {id} repeats the \
                             {direction} rule of {first}, which EC2 refuses"
                        ),
                    ));
                } else {
                    seen.insert(key, id);
                }
            }
        }
    }
    problems
}

/// The security group a stand-alone rule belongs to: `GroupId: {"Fn::GetAtt": [Group, "GroupId"]}`.
fn group_of(properties: &Value) -> Option<String> {
    match properties.get("GroupId")?.get("Fn::GetAtt")?.get(0)? {
        Value::String(group) => Some(group.clone()),
        _ => None,
    }
}

fn cidr_of(rule: &Value) -> Option<String> {
    rule.get("CidrIp")
        .and_then(Value::as_str)
        .map(ToString::to_string)
}

/// What makes two rules the same to EC2: protocol, ports and peer, not the description.
fn rule_key(rule: &Value) -> String {
    [
        "IpProtocol",
        "FromPort",
        "ToPort",
        "CidrIp",
        "CidrIpv6",
        "SourceSecurityGroupId",
        "DestinationSecurityGroupId",
        "DestinationPrefixListId",
        "SourcePrefixListId",
    ]
    .iter()
    .map(|k| rule.get(k).map(Value::to_string).unwrap_or_default())
    .collect::<Vec<_>>()
    .join("|")
}

/// Over the 500-resource quota, names the spec fields that add resources and how many each adds.
fn resource_count_problems(stack: &Stack, rebuild: &dyn Fn(&Environment) -> usize) -> Vec<Problem> {
    let count = stack.template.resource_count();
    if count <= MAX_RESOURCES {
        return Vec::new();
    }
    let env = stack.env;
    let mut drivers: Vec<(String, usize, usize)> = Vec::new();
    let mut measure = |field: &str, entries: usize, change: &dyn Fn(&mut Environment)| {
        let mut smaller = env.clone();
        change(&mut smaller);
        let added = count.saturating_sub(rebuild(&smaller));
        if added > 0 {
            drivers.push((field.to_string(), entries, added));
        }
    };
    measure(
        "database.application_cidrs",
        env.database.application_cidrs.len(),
        &|e| e.database.application_cidrs.clear(),
    );
    measure(
        "database.migration.readers",
        usize::from(env.database.migration.readers),
        &|e| e.database.migration.readers = 0,
    );
    if let crate::spec::Source::ProductionCluster(cluster) = &env.migration.source {
        measure(
            "database.production.readers",
            usize::from(cluster.readers),
            &|e| {
                if let crate::spec::Source::ProductionCluster(c) = &mut e.migration.source {
                    c.readers = 0;
                }
            },
        );
    }
    drivers.sort_by_key(|d| std::cmp::Reverse(d.2));
    let excess = count - MAX_RESOURCES;
    match drivers.first() {
        Some((field, entries, _)) => vec![problem(
            field,
            format!("{entries} entries"),
            format!(
                "fewer entries: the {} template would have {count} resources, {excess} over CloudFormation's \
                 {MAX_RESOURCES}; {}",
                stack.region,
                drivers
                    .iter()
                    .map(|(f, n, a)| format!("{f} ({n}) adds {a}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        )],
        None => vec![problem(
            "environment",
            format!("{count} resources"),
            format!(
                "at most {MAX_RESOURCES} resources in the {} template",
                stack.region
            ),
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::LogicalId;
    use crate::payment_migration::build;
    use crate::resources::logs::LogGroup;
    use crate::spec::{Overrides, SHIPPED, parse};

    /// The shipped dev spec with ten application networks, each an ingress rule on both clusters.
    fn dev_with_application_networks() -> Environment {
        let dev = SHIPPED
            .iter()
            .find(|(n, _)| *n == "dev")
            .map(|(_, y)| *y)
            .unwrap_or_default();
        let networks: String = (1..=10)
            .map(|i| format!("    - 192.168.{i}.0/24\n"))
            .collect();
        let yaml = dev.replacen(
            "  deletion_protection: false\n",
            &format!("  deletion_protection: false\n  application_cidrs:\n{networks}"),
            1,
        );
        parse("dev-with-networks.yaml", &yaml, &Overrides::default())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn over_the_resource_quota_the_field_that_adds_most_is_named() {
        const FILLER: usize = 450;
        let env = dev_with_application_networks();
        let mut stack = build(&env);
        for i in 0..FILLER {
            stack.template.add(
                LogicalId::verbatim(format!("Filler{i}")),
                LogGroup::new(365),
            );
        }
        let rebuild = |other: &Environment| build(other).template.resource_count() + FILLER;
        let problems = check(&stack, &rebuild);
        assert_eq!(problems.len(), 1, "{problems:?}");
        let p = &problems[0];
        assert_eq!(p.field, "database.application_cidrs");
        assert_eq!(p.value, "10 entries");
        assert!(
            p.allowed
                .contains("database.application_cidrs (10) adds 30"),
            "{}",
            p.allowed
        );
        assert!(
            p.allowed.contains("database.migration.readers (1) adds 1"),
            "{}",
            p.allowed
        );
    }

    /// A grant registered once the key and topic policies are written cannot reach them: refused, not dropped.
    #[test]
    fn a_grant_after_the_policies_are_written_is_reported() {
        use crate::resources::iam::{Principal, Statement};
        let env = dev_with_application_networks();
        let mut stack = build(&env);
        stack.use_key_via("sqs");
        stack.grant_key(
            Statement::allow("QueueDecrypts", &["kms:Decrypt"])
                .principal(Principal::service("sqs.amazonaws.com"))
                .resource("*"),
        );
        stack.allow_topic_publish(
            Statement::allow("TeamPublishes", &["sns:Publish"])
                .principal(Principal::service("events.amazonaws.com"))
                .resource("*"),
        );
        let problems = check(&stack, &|other| build(other).template.resource_count());
        let values: Vec<&str> = problems.iter().map(|p| p.value.as_str()).collect();
        assert_eq!(
            values,
            [
                "the key's use through sqs, registered after its policy was written",
                "the key statement QueueDecrypts, registered after its policy was written",
                "the topic statement TeamPublishes, registered after its policy was written",
            ]
        );
        assert!(problems.iter().all(|p| p.field == "(stack)"));
    }

    #[test]
    fn within_every_limit_there_is_nothing_to_report() {
        let env = dev_with_application_networks();
        let stack = build(&env);
        let never = |_: &Environment| -> usize { panic!("no rebuild under the quota") };
        assert_eq!(check(&stack, &never), Vec::new());
    }

    #[test]
    fn the_prefix_named_holds_the_demand() {
        // 13 addresses need a /27 subnet (27 usable), so a /24 VPC.
        assert_eq!(largest_prefix_holding(13), 24);
        assert_eq!(largest_prefix_holding(11), 25);
        assert_eq!(largest_prefix_holding(12), 24);
    }
}
