//! Values AWS accepts, kept in one place so the spec validation and the error messages agree. The regions, the
//! resource types each lacks, and the Aurora PostgreSQL versions and instance classes come from the pinned
//! cfn-lint (see [`super::aws_data`]), so a spec is judged by the data its templates are linted with.

use super::aws_data::{
    AURORA_POSTGRESQL_CLASSES_NOT_FOR_VERSION, AURORA_POSTGRESQL_CLASSES_NOT_IN_REGION,
    AURORA_POSTGRESQL_DEPRECATED, AURORA_POSTGRESQL_INSTANCE_CLASSES, AURORA_POSTGRESQL_VERSIONS,
    COMMERCIAL_REGIONS, UNAVAILABLE,
};

pub use super::aws_data::RegionData;

/// The values `AWS::Logs::LogGroup.RetentionInDays` accepts.
pub const LOG_RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// PCI DSS 10.5.1: audit log history is kept for at least twelve months.
pub const PCI_MIN_LOG_RETENTION_DAYS: u32 = 365;

/// The commercial region of that name, with its Availability Zone count; `None` for any other name.
pub fn region(name: &str) -> Option<&'static RegionData> {
    COMMERCIAL_REGIONS.iter().find(|r| r.name == name)
}

/// The names of the commercial regions, sorted.
pub fn commercial_regions() -> impl Iterator<Item = &'static str> {
    COMMERCIAL_REGIONS.iter().map(|r| r.name)
}

/// The types among `types` that `region` does not offer, in the order given, each once. Only the types in
/// src/resources/types.toml are known (every type migen emits), and only in a commercial region: for any other
/// type or region the answer is empty, so check [`region`] first.
pub fn unavailable_types<'a>(
    region: &str,
    types: impl IntoIterator<Item = &'a str>,
) -> Vec<&'static str> {
    let mut lacking: Vec<&'static str> = Vec::new();
    for type_name in types {
        let missing = UNAVAILABLE
            .iter()
            .find(|(t, regions)| *t == type_name && regions.contains(&region));
        if let Some((t, _)) = missing
            && !lacking.contains(t)
        {
            lacking.push(t);
        }
    }
    lacking
}

/// Whether AWS still creates Aurora PostgreSQL clusters at a `MAJOR.MINOR` engine version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionStatus {
    /// Clusters can be created at this version.
    Current,
    /// CloudFormation knows the version, but AWS no longer creates clusters at it.
    Deprecated,
    /// Not an Aurora PostgreSQL version (or not a `MAJOR.MINOR` one).
    Unknown,
}

/// The status of an Aurora PostgreSQL engine version such as `17.7`.
pub fn aurora_postgresql_version_status(version: &str) -> VersionStatus {
    if AURORA_POSTGRESQL_VERSIONS.contains(&version) {
        VersionStatus::Current
    } else if AURORA_POSTGRESQL_DEPRECATED.contains(&version) {
        VersionStatus::Deprecated
    } else {
        VersionStatus::Unknown
    }
}

/// Whether instances of `class` run Aurora PostgreSQL at `engine_version` (`MAJOR.MINOR`) in some commercial
/// region. A version the data says nothing about (a bare major such as `17`, an unknown version) rules no class
/// out. Whether a particular region offers the class is [`offers_aurora_postgresql_class`].
pub fn runs_aurora_postgresql(class: &str, engine_version: &str) -> bool {
    AURORA_POSTGRESQL_INSTANCE_CLASSES.contains(&class)
        && !AURORA_POSTGRESQL_CLASSES_NOT_FOR_VERSION
            .iter()
            .any(|(v, classes)| *v == engine_version && lists_class(classes, class))
}

/// Whether `region` offers Aurora PostgreSQL instances of `class`; false for any region not commercial.
pub fn offers_aurora_postgresql_class(region: &str, class: &str) -> bool {
    self::region(region).is_some()
        && AURORA_POSTGRESQL_INSTANCE_CLASSES.contains(&class)
        && !AURORA_POSTGRESQL_CLASSES_NOT_IN_REGION
            .iter()
            .any(|(r, classes)| *r == region && lists_class(classes, class))
}

/// Whether a generated class list names `class`, itself or by its family (`db.r4.*`).
fn lists_class(list: &[&str], class: &str) -> bool {
    list.iter().any(|entry| match entry.strip_suffix('*') {
        Some(family) => class.starts_with(family),
        None => *entry == class,
    })
}

/// Who writes an Application Load Balancer's access logs into S3 in a region, which the log bucket's policy must
/// allow (ELB user guide, "Enable access logs for your Application Load Balancer", step 2). The guide now
/// documents the service principal for every region and calls the per-region accounts legacy but supported; the
/// accounts are kept where they were the documented form, which the same IDs in aws-cdk's region facts and
/// terraform-provider-aws's ELB service account data confirm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadBalancerLogDelivery {
    /// A region available before August 2022: the region's Elastic Load Balancing account.
    Account(&'static str),
    /// A region available from August 2022 on: the log delivery service principal,
    /// [`LOAD_BALANCER_LOG_DELIVERY_SERVICE`].
    Service,
}

/// The service principal that delivers load balancer access logs in the newer regions.
pub const LOAD_BALANCER_LOG_DELIVERY_SERVICE: &str =
    "logdelivery.elasticloadbalancing.amazonaws.com";

/// Every commercial region cfn-lint knows ([`COMMERCIAL_REGIONS`]), with who delivers its load balancer logs. A
/// test keeps the two lists equal, so a region added by a cfn-lint upgrade needs an entry here first.
const LOAD_BALANCER_LOG_DELIVERY: &[(&str, LoadBalancerLogDelivery)] = {
    use LoadBalancerLogDelivery::{Account, Service};
    &[
        ("af-south-1", Account("098369216593")),
        ("ap-east-1", Account("754344448648")),
        ("ap-east-2", Service),
        ("ap-northeast-1", Account("582318560864")),
        ("ap-northeast-2", Account("600734575887")),
        ("ap-northeast-3", Account("383597477331")),
        ("ap-south-1", Account("718504428378")),
        ("ap-south-2", Service),
        ("ap-southeast-1", Account("114774131450")),
        ("ap-southeast-2", Account("783225319266")),
        ("ap-southeast-3", Account("589379963580")),
        ("ap-southeast-4", Service),
        ("ap-southeast-5", Service),
        ("ap-southeast-6", Service),
        ("ap-southeast-7", Service),
        ("ca-central-1", Account("985666609251")),
        ("ca-west-1", Service),
        ("eu-central-1", Account("054676820928")),
        ("eu-central-2", Service),
        ("eu-north-1", Account("897822967062")),
        ("eu-south-1", Account("635631232127")),
        ("eu-south-2", Service),
        ("eu-west-1", Account("156460612806")),
        ("eu-west-2", Account("652711504416")),
        ("eu-west-3", Account("009996457667")),
        ("il-central-1", Service),
        ("me-central-1", Service),
        ("mx-central-1", Service),
        ("sa-east-1", Account("507241528517")),
        ("us-east-1", Account("127311923021")),
        ("us-east-2", Account("033677994240")),
        ("us-west-1", Account("027434742980")),
        ("us-west-2", Account("797873946194")),
    ]
};

/// Who delivers load balancer access logs in `region`; `None` for a region that is not commercial.
pub fn load_balancer_log_delivery(region: &str) -> Option<LoadBalancerLogDelivery> {
    LOAD_BALANCER_LOG_DELIVERY
        .iter()
        .find(|(r, _)| *r == region)
        .map(|(_, delivery)| *delivery)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_commercial_region_says_who_delivers_load_balancer_logs() {
        let listed: Vec<&str> = LOAD_BALANCER_LOG_DELIVERY.iter().map(|(r, _)| *r).collect();
        let known: Vec<&str> = commercial_regions().collect();
        assert_eq!(listed, known);
        for (region, delivery) in LOAD_BALANCER_LOG_DELIVERY {
            if let LoadBalancerLogDelivery::Account(account) = delivery {
                assert!(
                    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()),
                    "{region}: {account}"
                );
            }
        }
        assert_eq!(load_balancer_log_delivery("mars-1"), None);
    }

    #[test]
    fn the_classes_named_in_messages_run_aurora_postgresql() {
        for class in ["db.r7g.large", "db.r8g.large", "db.t4g.medium"] {
            assert!(runs_aurora_postgresql(class, "17.7"), "{class}");
        }
    }
}
