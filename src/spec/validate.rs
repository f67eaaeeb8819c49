//! Semantic validation: the checks a type cannot express. Every problem is collected, so one run reports all of
//! them, and each names the field, the value and what is allowed.

use std::collections::BTreeMap;

use ipnet::Ipv4Net;

use super::check::{Checker, is_host_name, overlaps};
use super::model::{PciScope, SpecFile};
use super::regions::{self, LOG_RETENTION_DAYS, PCI_MIN_LOG_RETENTION_DAYS};
use super::{
    Environment, Network, Problem, SecondaryRegion, VpcLayout, validate_api, validate_database,
    validate_orchestration,
};

/// Longest environment name: it ends physical names that have their own limits (63-character cluster
/// identifiers, 31-character DMS task resource identifiers), so it stays short.
pub const MAX_ENVIRONMENT_LEN: usize = 12;
/// Each VPC is cut into eight equal blocks (public and private subnets per AZ, with room to grow); subnets can
/// be no smaller than /28, so the VPC is at most /25. /16 is the largest VPC block AWS allows.
const VPC_PREFIX_RANGE: (u8, u8) = (16, 25);

/// Tags migen sets itself on every resource.
const RESERVED_TAGS: &[&str] = &[
    "Environment",
    "Name",
    "Repository",
    "CommitAuthor",
    "CostCentre",
];

/// AWS allows 50 tags per resource; migen sets [`RESERVED_TAGS`] on every one.
const MAX_EXTRA_TAGS: usize = 50 - RESERVED_TAGS.len();

pub(super) fn validate(file: SpecFile) -> Result<Environment, Vec<Problem>> {
    let mut c = Checker::default();

    if let Some(why) = environment_name_problem(&file.environment) {
        c.push("environment", &file.environment, why);
    }
    c.require(
        regions::region(&file.primary_region).is_some(),
        "primary_region",
        &file.primary_region,
        region_list(&file.primary_region),
    );
    check_tags(&mut c, &file);
    c.require(
        is_email(&file.operations_email),
        "operations_email",
        &file.operations_email,
        "an e-mail address such as ops@example.com",
    );
    if c.require(
        LOG_RETENTION_DAYS.contains(&file.log_retention_days),
        "log_retention_days",
        file.log_retention_days,
        format!(
            "one of CloudWatch Logs' values: {}",
            join(LOG_RETENTION_DAYS)
        ),
    ) && file.pci_scope == PciScope::InScope
    {
        c.require(
            file.log_retention_days >= PCI_MIN_LOG_RETENTION_DAYS,
            "log_retention_days",
            file.log_retention_days,
            format!(
                "at least {PCI_MIN_LOG_RETENTION_DAYS} days (PCI DSS 10.5.1 keeps audit logs for 12 months), or \
                 `pci_scope: out_of_scope` for an environment that never holds cardholder data"
            ),
        );
    }

    let before_network = c.problems.len();
    let network = check_network(&mut c, &file);
    // Reachability is judged against a valid network only; a wrong one is reported on its own fields.
    let network_ok = c.problems.len() == before_network;
    let secondary_regions = check_secondary_regions(&mut c, &file, network.as_ref());
    let on_premises = network.as_ref().map(|n| n.on_premises_cidr);
    let (database, production) =
        validate_database::database(&mut c, &file.database, file.migration.source.kind);
    let migration = validate_database::migration(&mut c, &file.migration, on_premises, production);
    let api = validate_api::api(
        &mut c,
        &file.api,
        &file.primary_region,
        network.as_ref().filter(|_| network_ok),
    );
    let orchestration = validate_orchestration::orchestration(&mut c, &file.orchestration);
    if let (Some(api), Some(migration)) = (&api, &migration) {
        validate_api::backends_apart_from_the_source(&mut c, api, &migration.source);
    }

    if let (Some(database), Some(migration)) = (&database, &migration) {
        check_instance_classes_in_regions(&mut c, &file, database, migration);
    }

    match (
        network,
        secondary_regions,
        database,
        migration,
        api,
        orchestration,
    ) {
        (
            Some(network),
            Some(secondary_regions),
            Some(database),
            Some(migration),
            Some(api),
            Some(orchestration),
        ) if c.problems.is_empty() => {
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
                secondary_regions,
                pci_scope: file.pci_scope,
                tags,
                network,
                database,
                migration,
                api,
                orchestration,
                operations_email: file.operations_email,
                log_retention_days: file.log_retention_days,
            })
        }
        _ => Err(c.problems),
    }
}

fn check_tags(c: &mut Checker, file: &SpecFile) {
    for (key, value) in [
        ("tags.repository", &file.tags.repository),
        ("tags.commit_author", &file.tags.commit_author),
        ("tags.cost_centre", &file.tags.cost_centre),
    ] {
        if let Some(why) = tag_value_problem(value) {
            c.push(key, value, why);
        }
    }
    let extra = &file.tags.extra;
    c.require(
        extra.len() <= MAX_EXTRA_TAGS,
        "tags.extra",
        format!("{} tags", extra.len()),
        format!(
            "at most {MAX_EXTRA_TAGS}: AWS allows 50 tags per resource and migen sets {} itself ({})",
            RESERVED_TAGS.len(),
            RESERVED_TAGS.join(", ")
        ),
    );
    for (i, (key, value)) in extra.iter().enumerate() {
        let field = format!("tags.extra.{key}");
        if let Some(why) = tag_key_problem(key) {
            c.push(&field, key, why);
        } else if let Some(reserved) = RESERVED_TAGS.iter().find(|r| r.eq_ignore_ascii_case(key)) {
            c.push(
                &field,
                key,
                format!(
                    "a key other than the tags migen sets ({}); IAM and other services treat keys that differ \
                     only in case as the same key, so `{key}` collides with `{reserved}`",
                    RESERVED_TAGS.join(", ")
                ),
            );
        } else if let Some(earlier) = extra.keys().take(i).find(|k| k.eq_ignore_ascii_case(key)) {
            c.push(
                &field,
                key,
                format!("a key that differs from `{earlier}` in more than case: IAM treats them as one key"),
            );
        }
        if let Some(why) = tag_value_problem(value) {
            c.push(&field, value, why);
        }
    }
}

/// CloudFormation tag keys: 1-128 Unicode letters, digits, spaces and `_ . : / = + - @`, not starting with
/// `aws:` in any case (AWS reserves that prefix).
fn tag_key_problem(key: &str) -> Option<String> {
    let valid = !key.is_empty()
        && key.chars().count() <= 128
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c))
        && !key.to_ascii_lowercase().starts_with("aws:");
    (!valid).then(|| {
        "a tag key of 1-128 letters, digits, spaces and _ . : / = + - @, not starting with `aws:` (in any case)"
            .to_string()
    })
}

/// Each cluster's class is offered in every region that runs it: the migration cluster's in the primary and the
/// secondary regions (their clusters have as many instances of the same class), the production cluster's in the
/// primary.
fn check_instance_classes_in_regions(
    c: &mut Checker,
    file: &SpecFile,
    database: &super::Database,
    migration: &super::Migration,
) {
    let secondary: Vec<&str> = file
        .secondary_regions
        .iter()
        .map(|s| s.region.as_str())
        .filter(|r| regions::region(r).is_some())
        .collect();
    let mut clusters = vec![("database.migration", &database.migration, secondary)];
    if let super::Source::ProductionCluster(production) = &migration.source {
        clusters.push(("database.production", production, Vec::new()));
    }
    for (field, cluster, others) in clusters {
        let super::Capacity::Provisioned(class) = &cluster.capacity else {
            continue;
        };
        let regions_running = std::iter::once(file.primary_region.as_str()).chain(others);
        for region in regions_running {
            if regions::region(region).is_some()
                && !regions::offers_aurora_postgresql_class(region, class)
            {
                c.push(
                    &format!("{field}.capacity.instance_class"),
                    class,
                    format!("an Aurora PostgreSQL instance class that {region} offers"),
                );
            }
        }
    }
}

fn check_network(c: &mut Checker, file: &SpecFile) -> Option<Network> {
    let net = &file.network;
    let azs_ok = c.range("network.availability_zones", net.availability_zones);
    let production = vpc_cidr(c, "network.production_vpc_cidr", &net.production_vpc_cidr);
    let migration = vpc_cidr(c, "network.migration_vpc_cidr", &net.migration_vpc_cidr);
    let on_premises = c.cidr("network.on_premises_cidr", &net.on_premises_cidr);
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
        if let (Some(a), Some(b)) = (a, b) {
            c.require(
                !overlaps(a, b),
                field,
                a,
                format!("a range that does not overlap {other_field} ({b}): the Transit Gateway routes between them"),
            );
        }
    }
    if let Some(id) = &net.on_premises_attachment_id {
        c.require(
            is_resource_id(id, "tgw-attach-"),
            "network.on_premises_attachment_id",
            id,
            "a Transit Gateway attachment id: `tgw-attach-` and 8 or 17 hexadecimal digits",
        );
    }
    if !azs_ok {
        return None;
    }
    let azs = net.availability_zones;
    Some(Network {
        production_vpc: layout(production?, azs)?,
        migration_vpc: layout(migration?, azs)?,
        on_premises_cidr: on_premises?,
        on_premises_attachment_id: net.on_premises_attachment_id.clone(),
        availability_zones: azs,
        egress: net.egress,
    })
}

fn check_secondary_regions(
    c: &mut Checker,
    file: &SpecFile,
    network: Option<&Network>,
) -> Option<Vec<SecondaryRegion>> {
    let mut taken: Vec<(String, Ipv4Net)> = network
        .map(|n| {
            vec![
                (
                    "network.production_vpc_cidr".to_string(),
                    n.production_vpc.cidr,
                ),
                (
                    "network.migration_vpc_cidr".to_string(),
                    n.migration_vpc.cidr,
                ),
                ("network.on_premises_cidr".to_string(), n.on_premises_cidr),
            ]
        })
        .unwrap_or_default();
    let mut regions = Vec::new();
    for (i, secondary) in file.secondary_regions.iter().enumerate() {
        let field = format!("secondary_regions[{i}].region");
        let region = &secondary.region;
        if regions::region(region).is_none() {
            c.push(&field, region, region_list(region));
        } else if *region == file.primary_region {
            c.push(&field, region, "a region other than primary_region");
        } else if file.secondary_regions[..i]
            .iter()
            .any(|s| s.region == *region)
        {
            c.push(&field, region, "each secondary region once");
        }
        let cidr_field = format!("secondary_regions[{i}].vpc_cidr");
        let Some(cidr) = vpc_cidr(c, &cidr_field, &secondary.vpc_cidr) else {
            continue;
        };
        for (other_field, other) in &taken {
            c.require(
                !overlaps(cidr, *other),
                &cidr_field,
                cidr,
                format!("a range that does not overlap {other_field} ({other}): a database VPC joins them later"),
            );
        }
        taken.push((cidr_field, cidr));
        if let Some(vpc) = network.and_then(|n| layout(cidr, n.availability_zones)) {
            regions.push(SecondaryRegion {
                region: region.clone(),
                vpc,
            });
        }
    }
    Some(regions)
}

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

/// An address SNS can deliver to: a dot-atom local part and a domain of host-name labels under a
/// non-numeric top-level domain (RFC 5321/5322, without quoted local parts or address literals).
fn is_email(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c))
        });
    local_ok && domain.contains('.') && is_host_name(domain) && address.len() <= 254
}

fn is_resource_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17)
            && hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

fn vpc_cidr(c: &mut Checker, field: &str, value: &str) -> Option<Ipv4Net> {
    let net = c.private_cidr(field, value)?;
    let (min, max) = VPC_PREFIX_RANGE;
    c.require(
        (min..=max).contains(&net.prefix_len()),
        field,
        value,
        format!(
            "a prefix from /{min} to /{max}: AWS allows VPCs of /16 at most, and the VPC is cut into eight subnets \
             of at least /28"
        ),
    )
    .then_some(net)
}

/// What a region field allows: the regions of the asked one's family (`ap-southeast-9` shows `ap-southeast-*`),
/// or the first few of all.
fn region_list(asked: &str) -> String {
    let names: Vec<&str> = regions::commercial_regions().collect();
    let family = asked
        .rsplit_once('-')
        .map(|(family, _)| format!("{family}-"));
    let near: Vec<&str> = names
        .iter()
        .filter(|n| family.as_ref().is_some_and(|f| n.starts_with(f.as_str())))
        .copied()
        .collect();
    let allowed =
        "a commercial AWS region the pinned cfn-lint knows (it lints templates for that region)";
    if near.is_empty() {
        format!("{allowed}: {}", super::check::first_few(&names))
    } else {
        format!(
            "{allowed}, {} in all; of its family: {}",
            names.len(),
            super::check::first_few(&near)
        )
    }
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
