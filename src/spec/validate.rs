//! Semantic validation: the checks a type cannot express. Every problem is collected, so one run reports all of
//! them, and each names the field, the value and what is allowed.

use std::collections::BTreeMap;

use ipnet::Ipv4Net;

use super::model::{PciScope, SpecFile};
use super::regions::{LOG_RETENTION_DAYS, PCI_MIN_LOG_RETENTION_DAYS, REGIONS};
use super::{Environment, Network, Problem, VpcLayout};

/// Longest environment name: it ends physical names that have their own limits (64-character IAM role names,
/// 256-character SNS topic names), so it stays short.
pub const MAX_ENVIRONMENT_LEN: usize = 12;
/// Each VPC is cut into eight equal blocks (public and private subnets per AZ, with room to grow); subnets can
/// be no smaller than /28, so the VPC is at most /25. /16 is the largest VPC block AWS allows.
const VPC_PREFIX_RANGE: (u8, u8) = (16, 25);

pub(super) fn validate(file: SpecFile) -> Result<Environment, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut problem = |field: &str, value: &dyn std::fmt::Display, allowed: String| {
        problems.push(Problem {
            field: field.to_string(),
            value: value.to_string(),
            allowed,
        });
    };

    if let Some(why) = environment_name_problem(&file.environment) {
        problem("environment", &file.environment, why);
    }
    if !REGIONS.contains(&file.primary_region.as_str()) {
        problem("primary_region", &file.primary_region, region_list());
    }
    for (i, region) in file.secondary_regions.iter().enumerate() {
        let field = format!("secondary_regions[{i}]");
        if !REGIONS.contains(&region.as_str()) {
            problem(&field, region, region_list());
        } else if *region == file.primary_region {
            problem(&field, region, "a region other than primary_region".into());
        } else if file.secondary_regions[..i].contains(region) {
            problem(&field, region, "each secondary region once".into());
        }
    }
    for (key, value) in [
        ("tags.repository", &file.tags.repository),
        ("tags.commit_author", &file.tags.commit_author),
        ("tags.cost_centre", &file.tags.cost_centre),
    ] {
        if let Some(why) = tag_value_problem(value) {
            problem(key, value, why);
        }
    }
    for (key, value) in &file.tags.extra {
        let field = format!("tags.extra.{key}");
        if key.is_empty()
            || key.len() > 128
            || key.starts_with("aws:")
            || RESERVED_TAGS.contains(&key.as_str())
        {
            problem(
                &field,
                key,
                format!(
                    "a tag key of 1-128 characters, not starting with `aws:` and not one migen sets ({})",
                    RESERVED_TAGS.join(", ")
                ),
            );
        }
        if let Some(why) = tag_value_problem(value) {
            problem(&field, value, why);
        }
    }
    if !is_email(&file.operations_email) {
        problem(
            "operations_email",
            &file.operations_email,
            "an e-mail address such as ops@example.com".into(),
        );
    }
    if !LOG_RETENTION_DAYS.contains(&file.log_retention_days) {
        problem(
            "log_retention_days",
            &file.log_retention_days,
            format!(
                "one of CloudWatch Logs' values: {}",
                join(LOG_RETENTION_DAYS)
            ),
        );
    } else if file.pci_scope == PciScope::InScope
        && file.log_retention_days < PCI_MIN_LOG_RETENTION_DAYS
    {
        problem(
            "log_retention_days",
            &file.log_retention_days,
            format!(
                "at least {PCI_MIN_LOG_RETENTION_DAYS} days (PCI DSS 10.5.1 keeps audit logs for 12 months), or \
                 `pci_scope: out_of_scope` for an environment that never holds cardholder data"
            ),
        );
    }

    let net = &file.network;
    if !(2..=3).contains(&net.availability_zones) {
        problem(
            "network.availability_zones",
            &net.availability_zones,
            "2 or 3".into(),
        );
    }
    let production = vpc_cidr(
        "network.production_vpc_cidr",
        &net.production_vpc_cidr,
        &mut problem,
    );
    let migration = vpc_cidr(
        "network.migration_vpc_cidr",
        &net.migration_vpc_cidr,
        &mut problem,
    );
    let on_premises = cidr(
        "network.on_premises_cidr",
        &net.on_premises_cidr,
        &mut problem,
    );
    let pairs = [
        (
            "network.migration_vpc_cidr",
            migration,
            "network.production_vpc_cidr",
            production,
        ),
        (
            "network.on_premises_cidr",
            on_premises,
            "network.production_vpc_cidr",
            production,
        ),
        (
            "network.on_premises_cidr",
            on_premises,
            "network.migration_vpc_cidr",
            migration,
        ),
    ];
    for (field, a, other_field, b) in pairs {
        if let (Some(a), Some(b)) = (a, b)
            && overlaps(a, b)
        {
            problem(
                field,
                &a,
                format!(
                    "a range that does not overlap {other_field} ({b}): the Transit Gateway routes between them"
                ),
            );
        }
    }
    if let Some(id) = &net.on_premises_attachment_id
        && !is_resource_id(id, "tgw-attach-")
    {
        problem(
            "network.on_premises_attachment_id",
            id,
            "a Transit Gateway attachment id: `tgw-attach-` and 8 or 17 hexadecimal digits".into(),
        );
    }

    let azs = net.availability_zones;
    match (
        production.and_then(|c| layout(c, azs)),
        migration.and_then(|c| layout(c, azs)),
        on_premises,
    ) {
        (Some(production_vpc), Some(migration_vpc), Some(on_premises_cidr))
            if problems.is_empty() =>
        {
            let tags = [
                ("Repository", file.tags.repository.clone()),
                ("CommitAuthor", file.tags.commit_author.clone()),
                ("CostCentre", file.tags.cost_centre.clone()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .chain(file.tags.extra.clone())
            .collect::<BTreeMap<_, _>>();
            Ok(Environment {
                name: file.environment,
                primary_region: file.primary_region,
                secondary_regions: file.secondary_regions,
                pci_scope: file.pci_scope,
                tags,
                network: Network {
                    production_vpc,
                    migration_vpc,
                    on_premises_cidr,
                    on_premises_attachment_id: net.on_premises_attachment_id.clone(),
                    egress: net.egress,
                },
                operations_email: file.operations_email,
                log_retention_days: file.log_retention_days,
            })
        }
        _ => Err(problems),
    }
}

/// Tags migen sets itself on every resource.
const RESERVED_TAGS: &[&str] = &[
    "Environment",
    "Name",
    "Repository",
    "CommitAuthor",
    "CostCentre",
];

pub(crate) fn environment_name_problem(name: &str) -> Option<String> {
    let valid = !name.is_empty()
        && name.len() <= MAX_ENVIRONMENT_LEN
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && !name.contains("--")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    (!valid).then(|| {
        format!(
            "1-{MAX_ENVIRONMENT_LEN} characters of a-z, 0-9 and single hyphens, starting with a letter and not ending \
             with a hyphen (it becomes the suffix of physical resource names)"
        )
    })
}

/// CloudFormation tag values: at most 256 Unicode characters of letters, digits, spaces and `_ . : / = + - @`.
fn tag_value_problem(value: &str) -> Option<String> {
    let valid = !value.is_empty()
        && value.chars().count() <= 256
        && value
            .chars()
            .all(|c| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c));
    (!valid).then(|| "1-256 characters of letters, digits, spaces and _ . : / = + - @".to_string())
}

fn is_email(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && address.len() <= 254
        && !address.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn is_resource_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17)
            && hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

fn cidr(
    field: &str,
    value: &str,
    problem: &mut impl FnMut(&str, &dyn std::fmt::Display, String),
) -> Option<Ipv4Net> {
    let Ok(net) = value.parse::<Ipv4Net>() else {
        problem(
            field,
            &value,
            "an IPv4 CIDR block such as 10.0.0.0/16".into(),
        );
        return None;
    };
    if net.network() != net.addr() {
        problem(
            field,
            &value,
            format!("a network address without host bits, here {}", net.trunc()),
        );
        return None;
    }
    Some(net)
}

fn vpc_cidr(
    field: &str,
    value: &str,
    problem: &mut impl FnMut(&str, &dyn std::fmt::Display, String),
) -> Option<Ipv4Net> {
    let net = cidr(field, value, problem)?;
    let (min, max) = VPC_PREFIX_RANGE;
    if !(min..=max).contains(&net.prefix_len()) {
        problem(
            field,
            &value,
            format!(
                "a prefix from /{min} to /{max}: AWS allows VPCs of /16 at most, and the VPC is cut into eight \
                 subnets of at least /28"
            ),
        );
        return None;
    }
    let private = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
        .iter()
        .filter_map(|p| p.parse::<Ipv4Net>().ok())
        .any(|p| p.contains(&net));
    if !private {
        problem(
            field,
            &value,
            "a private (RFC 1918) range: 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16".into(),
        );
        return None;
    }
    Some(net)
}

fn overlaps(a: Ipv4Net, b: Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

fn region_list() -> String {
    format!("an AWS region: {}", REGIONS.join(", "))
}

fn join(values: &[u32]) -> String {
    values
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The subnet layout of a VPC: the VPC is cut into eight equal blocks; public subnets take blocks 0-2 and
/// private subnets blocks 4-6, one per Availability Zone, leaving blocks 3 and 7 for growth.
fn layout(cidr: Ipv4Net, availability_zones: u8) -> Option<VpcLayout> {
    let blocks: Vec<Ipv4Net> = cidr.subnets(cidr.prefix_len() + 3).ok()?.collect();
    let azs = usize::from(availability_zones);
    Some(VpcLayout {
        cidr,
        public_subnets: blocks.get(0..azs)?.to_vec(),
        private_subnets: blocks.get(4..4 + azs)?.to_vec(),
    })
}
