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
/// src/spec/aws_data.types are known (every type migen emits is), and only in a commercial region: for any other
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_classes_named_in_messages_run_aurora_postgresql() {
        for class in ["db.r7g.large", "db.r8g.large", "db.t4g.medium"] {
            assert!(runs_aurora_postgresql(class, "17.7"), "{class}");
        }
    }
}
