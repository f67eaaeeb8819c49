//! Validation of the database and migration sections.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use super::check::Checker;
use super::check::is_host_name;
use super::model::{ClusterSpec, DatabaseSpec, MigrationSpec, SourceKind, TableSpec};
use super::regions::{self, VersionStatus};
use super::{Capacity, Cluster, Database, ExternalSource, Migration, Source, TableRule};

/// Aurora PostgreSQL majors that are current and support global databases.
const ENGINE_MAJORS: (u32, u32) = (14, 17);
/// Names PostgreSQL or RDS keep for themselves.
const RESERVED_USERNAMES: &[&str] = &[
    "rdsadmin",
    "rdsrepladmin",
    "rds_superuser",
    "postgres",
    "admin",
];

/// The database section, and the production cluster's sizing when DMS reads from it (`Some(None)` when the
/// source is external).
pub(super) fn database(
    c: &mut Checker,
    spec: &DatabaseSpec,
    source: SourceKind,
) -> (Option<Database>, Option<Option<Cluster>>) {
    let major = engine_major(c, &spec.engine_version);
    c.identifier(
        "database.database_name",
        &spec.database_name,
        63,
        "a PostgreSQL database name",
    );
    if c.identifier(
        "database.master_username",
        &spec.master_username,
        63,
        "a PostgreSQL role name",
    ) {
        c.require(
            !RESERVED_USERNAMES.contains(&spec.master_username.as_str())
                && !spec.master_username.starts_with("pg_"),
            "database.master_username",
            &spec.master_username,
            format!(
                "a name not reserved by PostgreSQL or RDS ({}, pg_…)",
                RESERVED_USERNAMES.join(", ")
            ),
        );
    }
    c.range("database.backup_retention_days", spec.backup_retention_days);
    c.range(
        "database.credential_rotation_days",
        spec.credential_rotation_days,
    );
    let mut application_cidrs = Vec::new();
    for (i, cidr) in spec.application_cidrs.iter().enumerate() {
        let field = format!("database.application_cidrs[{i}]");
        if let Some(net) = c.private_cidr(&field, cidr) {
            // A repeated rule is refused by EC2 (InvalidPermission.Duplicate) and fails the deploy.
            if let Some(first) = application_cidrs.iter().position(|n| *n == net) {
                c.push(
                    &field,
                    cidr,
                    format!("a network not already listed (it repeats database.application_cidrs[{first}])"),
                );
            } else {
                application_cidrs.push(net);
            }
        }
    }
    let production = match (source, &spec.production) {
        (SourceKind::ProductionAuroraCluster, Some(production)) => {
            cluster(c, "database.production", production, &spec.engine_version).map(Some)
        }
        (SourceKind::ProductionAuroraCluster, None) => {
            c.push(
                "database.production",
                "missing",
                "readers and capacity of the production cluster, which DMS reads from with \
                 migration.source.kind production_aurora_cluster",
            );
            None
        }
        (SourceKind::ExternalPostgres, Some(_)) => {
            c.push(
                "database.production",
                "present",
                "no production cluster with migration.source.kind external_postgres: DMS reads from the \
                 on-premises database",
            );
            None
        }
        (SourceKind::ExternalPostgres, None) => Some(None),
    };
    let migration = cluster(
        c,
        "database.migration",
        &spec.migration,
        &spec.engine_version,
    );
    let database = major
        .zip(migration)
        .map(|(engine_major, migration)| Database {
            engine_version: spec.engine_version.clone(),
            engine_major,
            database_name: spec.database_name.clone(),
            master_username: spec.master_username.clone(),
            backup_retention_days: spec.backup_retention_days,
            deletion_protection: spec.deletion_protection,
            credential_rotation_days: spec.credential_rotation_days,
            application_cidrs,
            migration,
        });
    (database, production)
}

fn engine_major(c: &mut Checker, version: &str) -> Option<u32> {
    let parsed = version
        .split_once('.')
        .filter(|(major, minor)| {
            !major.is_empty()
                && !minor.is_empty()
                && (major.bytes().chain(minor.bytes())).all(|b| b.is_ascii_digit())
        })
        .and_then(|(major, _)| major.parse::<u32>().ok());
    let (min, max) = ENGINE_MAJORS;
    let ok = parsed.is_some_and(|m| (min..=max).contains(&m));
    c.require(
        ok,
        "database.engine_version",
        version,
        format!("an Aurora PostgreSQL version MAJOR.MINOR with major {min} to {max}, e.g. 17.7"),
    );
    let ok = ok
        && {
            let same_major =
                |v: &&&str| parsed.is_some_and(|m| v.split('.').next() == Some(&m.to_string()));
            let offered: Vec<&str> = super::aws_data::AURORA_POSTGRESQL_VERSIONS
                .iter()
                .filter(same_major)
                .copied()
                .collect();
            match regions::aurora_postgresql_version_status(version) {
            VersionStatus::Current => true,
            VersionStatus::Deprecated => c.require(
                false,
                "database.engine_version",
                version,
                format!(
                    "a version Aurora PostgreSQL still creates clusters at: {version} is deprecated; current \
                     versions of this major: {}",
                    super::check::first_few(&offered)
                ),
            ),
            VersionStatus::Unknown => c.require(
                false,
                "database.engine_version",
                version,
                format!(
                    "a version Aurora PostgreSQL offers (from the pinned cfn-lint's data); of this major: {}",
                    super::check::first_few(&offered)
                ),
            ),
        }
        };
    parsed.filter(|_| ok)
}

fn cluster(
    c: &mut Checker,
    field: &str,
    spec: &ClusterSpec,
    engine_version: &str,
) -> Option<Cluster> {
    c.range(&format!("{field}.readers"), spec.readers);
    let capacity_field = format!("{field}.capacity");
    let capacity = match (&spec.capacity.instance_class, &spec.capacity.serverless_v2) {
        (Some(class), None) => {
            let ok = class != "db.serverless" && is_class(class, "db");
            let ok = c.require(
                ok,
                &format!("{capacity_field}.instance_class"),
                class,
                "a provisioned Aurora instance class such as db.r7g.large (for Serverless v2 use serverless_v2)",
            ) && c.require(
                regions::runs_aurora_postgresql(class, engine_version),
                &format!("{capacity_field}.instance_class"),
                class,
                format!(
                    "an instance class that runs Aurora PostgreSQL {engine_version} (e.g. db.r7g.large, \
                     db.r8g.large; burstable db.t4g.medium for tests), by the pinned cfn-lint's data"
                ),
            );
            ok.then(|| Capacity::Provisioned(class.clone()))
        }
        (None, Some(serverless)) => {
            let in_steps = |acu: f64| (acu * 2.0).fract() == 0.0;
            let min_ok = c.require(
                (0.5..=256.0).contains(&serverless.min_acu) && in_steps(serverless.min_acu),
                &format!("{capacity_field}.serverless_v2.min_acu"),
                serverless.min_acu,
                "0.5 to 256 in steps of 0.5",
            );
            let max_ok = c.require(
                (1.0..=256.0).contains(&serverless.max_acu)
                    && in_steps(serverless.max_acu)
                    && serverless.max_acu >= serverless.min_acu,
                &format!("{capacity_field}.serverless_v2.max_acu"),
                serverless.max_acu,
                "1 to 256 in steps of 0.5, and at least min_acu",
            );
            (min_ok && max_ok).then_some(Capacity::ServerlessV2 {
                min_acu: serverless.min_acu,
                max_acu: serverless.max_acu,
            })
        }
        (Some(_), Some(_)) => {
            c.push(
                &capacity_field,
                "instance_class and serverless_v2",
                "one of instance_class or serverless_v2",
            );
            None
        }
        (None, None) => {
            c.push(
                &capacity_field,
                "neither",
                "one of instance_class or serverless_v2",
            );
            None
        }
    };
    Some(Cluster {
        readers: spec.readers,
        capacity: capacity?,
    })
}

/// The migration section; `production` is the production cluster's sizing from [`database`].
pub(super) fn migration(
    c: &mut Checker,
    spec: &MigrationSpec,
    on_premises: Option<Ipv4Net>,
    production: Option<Option<Cluster>>,
) -> Option<Migration> {
    c.require(
        is_class(&spec.replication_instance_class, "dms"),
        "migration.replication_instance_class",
        &spec.replication_instance_class,
        "a DMS replication instance class such as dms.r6i.large",
    );
    c.range("migration.allocated_storage_gb", spec.allocated_storage_gb);
    let parts: Vec<&str> = spec.engine_version.split('.').collect();
    c.require(
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())),
        "migration.engine_version",
        &spec.engine_version,
        "a DMS engine version MAJOR.MINOR.PATCH, e.g. 3.5.4",
    );
    c.range(
        "migration.max_cdc_latency_seconds",
        spec.max_cdc_latency_seconds,
    );
    let source = source(c, spec, on_premises, production);
    let tables = table_mappings(c, spec);
    control_schema(c, spec);
    Some(Migration {
        replication_instance_class: spec.replication_instance_class.clone(),
        allocated_storage_gb: spec.allocated_storage_gb,
        engine_version: spec.engine_version.clone(),
        multi_az: spec.multi_az,
        source: source?,
        tables: tables?,
        max_cdc_latency_seconds: spec.max_cdc_latency_seconds,
        control_schema: spec.control_schema.clone(),
    })
}

/// The table DMS writes to skip the changes the other task of the pair applied.
const LOOPBACK_TABLE: &str = "awsdms_loopback_prevention";

/// A PostgreSQL name that no table mapping selects: were DMS to replicate its own control tables, each task
/// would carry the other's loopback markers across and loopback prevention would defeat itself.
fn control_schema(c: &mut Checker, spec: &MigrationSpec) {
    let name = &spec.control_schema;
    let is_name = !name.is_empty()
        && name.len() <= 63
        && !name.starts_with(|ch: char| ch.is_ascii_digit())
        && name
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
    if !c.require(
        is_name,
        "migration.control_schema",
        name,
        "a PostgreSQL schema name: 1-63 lowercase letters, digits and _, not starting with a digit",
    ) {
        return;
    }
    let mappings = &spec.table_mappings;
    let selects =
        |t: &TableSpec| pattern_covers(&t.schema, name) && pattern_covers(&t.table, LOOPBACK_TABLE);
    if let Some(i) = mappings.include.iter().position(selects)
        && !mappings.exclude.iter().any(selects)
    {
        c.require(
            false,
            "migration.control_schema",
            name,
            format!(
                "a schema no table mapping selects; include[{i}] ({}.{}) selects DMS's own {name}.{LOOPBACK_TABLE}, \
                 which would replicate each task's loopback markers to the other side: add \
                 {{schema: {name}, table: \"%\"}} to migration.table_mappings.exclude",
                mappings.include[i].schema, mappings.include[i].table
            ),
        );
    }
}

fn source(
    c: &mut Checker,
    spec: &MigrationSpec,
    on_premises: Option<Ipv4Net>,
    production: Option<Option<Cluster>>,
) -> Option<Source> {
    match (spec.source.kind, &spec.source.external) {
        (SourceKind::ProductionAuroraCluster, None) => {
            production.flatten().map(Source::ProductionCluster)
        }
        (SourceKind::ProductionAuroraCluster, Some(_)) => {
            c.push(
                "migration.source.external",
                "present",
                "no `external` section with kind production_aurora_cluster",
            );
            None
        }
        (SourceKind::ExternalPostgres, None) => {
            c.push(
                "migration.source.external",
                "missing",
                "host, port, database and secret_name of the on-premises PostgreSQL with kind external_postgres",
            );
            None
        }
        (SourceKind::ExternalPostgres, Some(external)) => {
            let field = "migration.source.external";
            let host_ok = match external.host.parse::<Ipv4Addr>() {
                Ok(ip) => c.require(
                    on_premises.is_none_or(|net| net.contains(&ip)),
                    &format!("{field}.host"),
                    &external.host,
                    "an address inside network.on_premises_cidr: DMS reaches it through the Transit Gateway",
                ),
                Err(_) => c.require(
                    is_host_name(&external.host),
                    &format!("{field}.host"),
                    &external.host,
                    "a DNS host name or an IPv4 address",
                ),
            };
            let port_ok = c.range(&format!("{field}.port"), external.port);
            let database_ok = c.identifier(
                &format!("{field}.database"),
                &external.database,
                63,
                "a PostgreSQL database name",
            );
            let secret_ok = c.require(
                !external.secret_name.is_empty()
                    && external.secret_name.len() <= 512
                    && external
                        .secret_name
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || "/_+=.@-".contains(ch)),
                &format!("{field}.secret_name"),
                &external.secret_name,
                "a Secrets Manager secret name: 1-512 of letters, digits and / _ + = . @ -",
            );
            let pem_ok = external.ca_certificate_pem.as_deref().is_none_or(|pem| {
                match super::pem::ca_bundle_problem(pem) {
                    // The value is never echoed: a refused bundle may hold a private key.
                    Some(why) => {
                        c.push(
                            &format!("{field}.ca_certificate_pem"),
                            format!("a PEM bundle that is refused: {why}"),
                            "one or more PEM CERTIFICATE blocks, each an X.509 CA certificate, and nothing else",
                        );
                        false
                    }
                    None => true,
                }
            });
            (host_ok && port_ok && database_ok && secret_ok && pem_ok).then(|| {
                Source::External(ExternalSource {
                    host: external.host.clone(),
                    port: external.port,
                    database: external.database.clone(),
                    secret_name: external.secret_name.clone(),
                    ca_certificate_pem: external.ca_certificate_pem.clone(),
                })
            })
        }
    }
}

fn table_mappings(c: &mut Checker, spec: &MigrationSpec) -> Option<Vec<TableRule>> {
    let mappings = &spec.table_mappings;
    let mut ok = c.require(
        !mappings.include.is_empty(),
        "migration.table_mappings.include",
        "[]",
        "at least one schema and table to replicate",
    );
    let mut rules = Vec::new();
    for (list, include, tables) in [
        ("include", true, &mappings.include),
        ("exclude", false, &mappings.exclude),
    ] {
        for (i, TableSpec { schema, table }) in tables.iter().enumerate() {
            for (part, name) in [("schema", schema), ("table", table)] {
                ok &= c.require(
                    is_table_pattern(name),
                    &format!("migration.table_mappings.{list}[{i}].{part}"),
                    name,
                    "1-63 of letters, digits, _ and $, with % matching any characters",
                );
            }
            rules.push(TableRule {
                include,
                schema: schema.clone(),
                table: table.clone(),
            });
        }
    }
    if ok && !mappings.include.is_empty() {
        let covering = |include: &TableSpec| {
            mappings.exclude.iter().position(|exclude| {
                pattern_covers(&exclude.schema, &include.schema)
                    && pattern_covers(&exclude.table, &include.table)
            })
        };
        let covered: Vec<(usize, usize)> = mappings
            .include
            .iter()
            .enumerate()
            .filter_map(|(i, include)| covering(include).map(|e| (i, e)))
            .collect();
        if covered.len() == mappings.include.len() {
            let detail = covered
                .iter()
                .map(|(i, e)| format!("exclude[{e}] removes every table of include[{i}]"))
                .collect::<Vec<_>>()
                .join(", ");
            ok = c.require(
                false,
                "migration.table_mappings.exclude",
                detail,
                "excludes that leave at least one included table to replicate (DMS fails a task whose \
                 selection rules match no table)",
            );
        }
    }
    ok.then_some(rules)
}

/// Whether every name the DMS pattern `narrow` matches is also matched by `wide` (`%` matches any characters,
/// including none). `wide`'s `%` may stand for any run of `narrow`'s characters, wildcards included; a literal
/// character of `wide` must meet the same literal in `narrow`.
fn pattern_covers(wide: &str, narrow: &str) -> bool {
    let wide: Vec<char> = wide.chars().collect();
    let narrow: Vec<char> = narrow.chars().collect();
    // covers[j]: wide[..i] covers narrow[..j], row by row over i.
    let mut covers = vec![false; narrow.len() + 1];
    covers[0] = true;
    for &w in &wide {
        let mut next = vec![false; narrow.len() + 1];
        for j in 0..=narrow.len() {
            next[j] = if w == '%' {
                covers[j] || (j > 0 && next[j - 1])
            } else {
                j > 0 && covers[j - 1] && narrow[j - 1] == w
            };
        }
        covers = next;
    }
    covers[narrow.len()]
}

fn is_table_pattern(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "_$%".contains(ch))
}

/// `prefix.family.size`, lowercase letters and digits, e.g. `db.r7g.large` or `dms.r6i.xlarge`.
fn is_class(class: &str, prefix: &str) -> bool {
    let parts: Vec<&str> = class.split('.').collect();
    parts.len() == 3
        && parts[0] == prefix
        && parts[1..].iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit())
        })
}

#[cfg(test)]
mod pattern_tests {
    use super::pattern_covers;

    #[test]
    fn wildcards_cover_what_they_match() {
        assert!(pattern_covers("%", "payments"));
        assert!(pattern_covers("%", "tmp_%"));
        assert!(pattern_covers("tmp_%", "tmp_2024"));
        assert!(pattern_covers("tmp%", "tmp_%"));
        assert!(pattern_covers("payments", "payments"));
        assert!(pattern_covers("%s", "payment%s"));
        assert!(!pattern_covers("tmp_%", "%"));
        assert!(!pattern_covers("tmp_%", "tmp"));
        assert!(!pattern_covers("payments", "payment%"));
        assert!(!pattern_covers("a%b", "a%"));
    }
}
