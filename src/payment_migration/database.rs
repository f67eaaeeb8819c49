//! The database layer: the production and migration Aurora PostgreSQL clusters, each with a writer and the
//! spec's readers, credentials generated into Secrets Manager and rotated, TLS forced, connections and changes
//! audited, and (where the spec has secondary regions) the global database whose secondary members carry the
//! migration cluster to other regions.

use std::collections::BTreeMap;

use crate::cfn::{Attributes, DeletionPolicy, Expr, Handle, LogicalId, Named, Output, Parameter};
use crate::resources::ec2::{SecurityGroup, Subnet};
use crate::resources::iam::Role;
use crate::resources::kms::Key;
use crate::resources::rds::{
    DbCluster, DbClusterParameterGroup, DbInstance, DbSubnetGroup, GlobalCluster,
    ServerlessV2ScalingConfiguration,
};
use crate::resources::secretsmanager::{RotationSchedule, Secret, SecretTargetAttachment};
use crate::spec::{Capacity, Cluster, Environment, ExternalSource, Source};

use super::network::Network;
use super::stack::{Layer, Stack};

/// The transform that deploys Secrets Manager's hosted rotation functions.
const SECRETS_MANAGER_TRANSFORM: &str = "AWS::SecretsManager-2020-07-23";
/// The CA whose certificates the instances present; clients verify against it.
const CA_CERTIFICATE: &str = "rds-ca-rsa2048-g1";
/// Days of Performance Insights history (the free tier).
const PERFORMANCE_INSIGHTS_DAYS: u32 = 7;
/// Seconds between enhanced-monitoring samples.
const MONITORING_INTERVAL: u32 = 60;
const BACKUP_WINDOW: &str = "16:00-17:00";
const MAINTENANCE_WINDOW: &str = "sun:17:30-sun:18:30";

const MEMBER_ENCRYPTION_REASON: &str = "An Aurora instance has no storage of its own: the cluster's storage is \
                                        encrypted with the stack's key (StorageEncrypted on the cluster).";
const MEMBER_LOGGING_REASON: &str = "Aurora exports logs per cluster (EnableCloudwatchLogsExports on the \
                                     cluster); instances of a cluster do not take the property.";

const PARAMETER_GROUP_REASON: &str = "The rule selects types matching /AWS::RDS::DBCluster/, which also matches \
                                      DBClusterParameterGroup: a parameter group holds settings, not data.";

/// One Aurora cluster and what clients need to reach it.
pub struct AuroraCluster {
    /// The cluster, named `payment-migration-<name>-db-<env>`: its endpoints go to the outputs and Parameter
    /// Store, its identifier to the alarms' and dashboard's metric dimensions.
    pub cluster: Named<DbCluster>,
    /// `username`, `password`, `host`, `port` (the latter two added by the target attachment).
    pub secret: Handle<Secret>,
    /// Completes the secret with the host and port: whatever connects with the secret (DMS's endpoints, the
    /// rotation function) must wait for it.
    pub attachment: Handle<SecretTargetAttachment>,
}

/// Where DMS reads from before cutover and writes back to after it.
pub enum SourceDatabase {
    /// The production Aurora cluster this stack builds, alarmed and charted like the migration cluster.
    ProductionCluster(AuroraCluster),
    /// The on-premises PostgreSQL, reached over the Transit Gateway: not created by the stack, and reached with
    /// a secret operations create before the first task runs.
    External(ExternalSource),
}

/// The database layer's handles: what DMS replicates between, and what the configuration, alerting and
/// monitoring layers publish and watch.
pub struct Databases {
    /// The forward task's source and the reverse task's target.
    pub source: SourceDatabase,
    /// The Aurora cluster payments move to: the forward task's target and the reverse task's source.
    pub migration: AuroraCluster,
    /// The global database over the migration cluster, which the secondary regions' clusters join; present only
    /// when the spec has secondary regions, and kept (`Retain`) when the stack is deleted.
    pub global: Option<Handle<GlobalCluster>>,
}

/// The database layer: the source (the production cluster, or the on-premises database as the spec describes
/// it), the migration cluster, the global database when there are secondary regions, and the endpoint outputs.
pub fn build(stack: &mut Stack, key: &Handle<Key>, network: &Network) -> Databases {
    // Cluster storage, Performance Insights and the master secrets encrypt with the key.
    stack.use_key_via("rds");
    stack.use_key_via("secretsmanager");
    let env = stack.env;
    let monitoring = monitoring_role(stack);
    let parameters = parameter_group(stack);

    let groups = &network.security_groups;
    let source = match (
        &env.migration.source,
        &groups.production_database,
        &groups.production_rotation,
    ) {
        (Source::ProductionCluster(spec), Some(database_group), Some(rotation_group)) => {
            SourceDatabase::ProductionCluster(primary_cluster(
                stack,
                "production",
                spec,
                key,
                &network.production.private_subnets,
                database_group,
                rotation_group,
                &parameters,
                &monitoring,
            ))
        }
        (Source::External(external), _, _) => SourceDatabase::External(external.clone()),
        (Source::ProductionCluster(_), _, _) => {
            unreachable!(
                "the network layer creates the production tier's groups whenever the source is the cluster"
            )
        }
    };
    let migration = primary_cluster(
        stack,
        "migration",
        &env.database.migration,
        key,
        &network.migration.private_subnets,
        &network.security_groups.migration_database,
        &network.security_groups.migration_rotation,
        &parameters,
        &monitoring,
    );

    let global = (!env.secondary_regions.is_empty()).then(|| {
        let global = stack.add_with(
            Layer::Database,
            "global cluster",
            GlobalCluster::from_primary(
                global_cluster_identifier(stack),
                migration.cluster.db_cluster_arn(),
            )
            .deletion_protection(env.database.deletion_protection),
            Attributes::new().retain(),
        );
        stack.template.output(
            LogicalId::verbatim("GlobalClusterIdentifier"),
            Output::new(
                "Global database joined by the secondary regions' clusters",
                global.global_cluster_identifier(),
            ),
        );
        global
    });

    let mut endpoints = vec![];
    if let SourceDatabase::ProductionCluster(production) = &source {
        endpoints.push(("ProductionDb", "production", production));
    }
    endpoints.push(("MigrationDb", "migration", &migration));
    for (id, name, aurora) in endpoints {
        let snake = format!("{name}_db");
        stack.template.output(
            LogicalId::verbatim(format!("{id}Endpoint")),
            Output::new(
                format!("Writer endpoint of the {name} cluster ({snake}_endpoint)"),
                aurora.cluster.endpoint_address(),
            ),
        );
        stack.template.output(
            LogicalId::verbatim(format!("{id}ReaderEndpoint")),
            Output::new(
                format!("Reader endpoint of the {name} cluster ({snake}_reader_endpoint)"),
                aurora.cluster.read_endpoint_address(),
            ),
        );
    }

    // With an on-premises source the original outputs name the source's host: the production database.
    if let SourceDatabase::External(external) = &source {
        for (id, role) in [
            ("ProductionDbEndpoint", "production_db_endpoint"),
            (
                "ProductionDbReaderEndpoint",
                "production_db_reader_endpoint",
            ),
        ] {
            stack.template.output(
                LogicalId::verbatim(id),
                Output::new(
                    format!("The on-premises source database's host ({role})"),
                    Expr::lit(&external.host),
                ),
            );
        }
    }

    Databases {
        source,
        migration,
        global,
    }
}

/// `payment-migration-global-db-{env}`: deterministic, so secondary-region templates can name it without a
/// cross-region reference.
pub fn global_cluster_identifier(stack: &Stack) -> String {
    stack.name("global db")
}

#[allow(clippy::too_many_arguments)] // each argument is a distinct handle the cluster is wired to
fn primary_cluster(
    stack: &mut Stack,
    name: &str,
    spec: &Cluster,
    key: &Handle<Key>,
    subnets: &[Handle<Subnet>],
    database_group: &Handle<SecurityGroup>,
    rotation_group: &Handle<SecurityGroup>,
    parameters: &Handle<DbClusterParameterGroup>,
    monitoring: &Handle<Role>,
) -> AuroraCluster {
    let env = stack.env;
    let db = &env.database;
    let subnet_group = subnet_group(stack, name, subnets);
    let identifier = stack.name(&format!("{name} db"));
    let logs = stack.service_log_group(
        Layer::Database,
        &format!("{name} cluster log group"),
        &format!("/aws/rds/cluster/{identifier}/postgresql"),
        key,
    );
    // The snapshot a deleted cluster leaves is useless without its credentials, so the secret stays too.
    let secret = stack.add_with(
        Layer::Database,
        &format!("{name} master secret"),
        Secret::database_credentials(key, &db.master_username)
            .name(format!(
                "{}/{}/{name}-db/master",
                super::stack::SYSTEM,
                env.name
            ))
            .description(format!(
                "Master user of the {name} Aurora PostgreSQL cluster"
            )),
        Attributes::new().retain(),
    );
    let cluster = DbCluster::aurora_postgresql(
        db.engine_version.clone(),
        key,
        subnet_group.subnet_group_name(),
        vec![database_group.group_id()],
    )
    .master_credentials(secret.resolve("username"), secret.resolve("password"))
    .database_name(db.database_name.clone());
    let cluster = stack.add_named_with(
        Layer::Database,
        &format!("{name} cluster"),
        identifier.clone(),
        configure(
            cluster,
            spec,
            parameters,
            db.backup_retention_days,
            db.deletion_protection,
        ),
        snapshot_on_delete().depends_on(&logs),
    );
    let attachment = stack.add(
        Layer::Database,
        &format!("{name} secret attachment"),
        SecretTargetAttachment::to_db_cluster(secret.secret_arn(), cluster.cluster_identifier()),
    );
    stack.template.add_transform(SECRETS_MANAGER_TRANSFORM);
    stack.add_with(
        Layer::Database,
        &format!("{name} secret rotation"),
        RotationSchedule::postgresql_single_user(
            attachment.attached_secret_arn(),
            db.credential_rotation_days,
            key,
            Expr::join(",", subnets.iter().map(Handle::subnet_id).collect()),
            rotation_group.group_id(),
        ),
        // The function needs the host and port that the attachment writes into the secret.
        Attributes::new().depends_on(&attachment),
    );
    stack.claim_addresses(
        subnets,
        &format!("rotation function of the {name} cluster"),
        1,
    );
    claim_instance_addresses(stack, subnets, name, spec);
    instances(stack, name, &identifier, &cluster, spec, key, monitoring);
    AuroraCluster {
        cluster,
        secret,
        attachment,
    }
}

/// The identifier of the global database's secondary cluster, the same in every secondary region; the primary
/// region's dashboard reads its replication lag by it.
pub fn secondary_cluster_identifier(env: &Environment) -> String {
    super::stack::name_in(env, "secondary db")
}

/// The secondary member of the global database in a secondary region: no credentials (they come from the
/// primary), the region's own key, and as many instances as the migration cluster so it can take over.
pub fn secondary_cluster(
    stack: &mut Stack,
    key: &Handle<Key>,
    subnets: &[Handle<Subnet>],
    database_group: &Handle<SecurityGroup>,
) -> Named<DbCluster> {
    // The secondary cluster's storage and Performance Insights encrypt with the region's key.
    stack.use_key_via("rds");
    let env = stack.env;
    let db = &env.database;
    let monitoring = monitoring_role(stack);
    let parameters = parameter_group(stack);
    let subnet_group = subnet_group(stack, "secondary", subnets);
    let identifier = secondary_cluster_identifier(env);
    let logs = stack.service_log_group(
        Layer::Database,
        "secondary cluster log group",
        &format!("/aws/rds/cluster/{identifier}/postgresql"),
        key,
    );
    // Cross-region values travel as parameters: Fn::ImportValue cannot cross regions.
    let global_id = stack.template.parameter(
        LogicalId::verbatim("GlobalClusterIdentifier"),
        Parameter::string(
            "Identifier of the global database created by the primary region's stack",
        )
        .default(global_cluster_identifier(stack))
        .allowed_pattern(
            "^[a-z][a-z0-9-]{0,62}$",
            "a global cluster identifier: lowercase letters, digits and hyphens",
        ),
    );
    let cluster = DbCluster::aurora_postgresql(
        db.engine_version.clone(),
        key,
        subnet_group.subnet_group_name(),
        vec![database_group.group_id()],
    )
    .secondary_of(global_id.r#ref(), env.primary_region.clone());
    let cluster = stack.add_named_with(
        Layer::Database,
        "secondary cluster",
        identifier.clone(),
        configure(
            cluster,
            &db.migration,
            &parameters,
            db.backup_retention_days,
            db.deletion_protection,
        ),
        snapshot_on_delete().depends_on(&logs),
    );
    claim_instance_addresses(stack, subnets, "secondary", &db.migration);
    instances(
        stack,
        "secondary",
        &identifier,
        &cluster,
        &db.migration,
        key,
        &monitoring,
    );
    stack.template.output(
        LogicalId::verbatim("SecondaryDbReaderEndpoint"),
        Output::new(
            "Reader endpoint of the secondary cluster",
            cluster.read_endpoint_address(),
        ),
    );
    cluster
}

/// Settings every cluster of the environment shares.
fn configure(
    cluster: DbCluster,
    spec: &Cluster,
    parameters: &Handle<DbClusterParameterGroup>,
    backup_retention_days: u32,
    deletion_protection: bool,
) -> DbCluster {
    let cluster = cluster
        .db_cluster_parameter_group_name(parameters.parameter_group_name())
        .port(5432u16)
        .backup_retention_period(backup_retention_days)
        .preferred_backup_window(BACKUP_WINDOW)
        .preferred_maintenance_window(MAINTENANCE_WINDOW)
        .deletion_protection(deletion_protection)
        .enable_iam_database_authentication(true)
        .copy_tags_to_snapshot(true)
        .log_exports(&["postgresql"]);
    match spec.capacity {
        Capacity::ServerlessV2 { min_acu, max_acu } => cluster.serverless_v2_scaling_configuration(
            ServerlessV2ScalingConfiguration::between(min_acu, max_acu),
        ),
        Capacity::Provisioned(_) => cluster,
    }
}

/// A writer (promotion tier 0) and the spec's readers, spread by RDS across the subnet group's AZs; in a secondary
/// cluster, as many readers.
fn instances(
    stack: &mut Stack,
    name: &str,
    identifier: &str,
    cluster: &Handle<DbCluster>,
    spec: &Cluster,
    key: &Handle<Key>,
    monitoring: &Handle<Role>,
) {
    // Every instance of a secondary cluster is a reader until a failover promotes the cluster.
    let secondary = name == "secondary";
    let class = spec.capacity.instance_class();
    for n in 0..=u32::from(spec.readers) {
        let role = match (secondary, n) {
            (true, _) => format!("reader {}", n + 1),
            (false, 0) => "writer".to_string(),
            (false, _) => format!("reader {n}"),
        };
        let mut instance =
            DbInstance::aurora_postgresql_member(cluster.cluster_identifier(), class)
                .db_instance_identifier(format!("{identifier}-{}", n + 1))
                .ca_certificate_identifier(CA_CERTIFICATE)
                .promotion_tier(n.min(15))
                .enhanced_monitoring(MONITORING_INTERVAL, monitoring);
        if supports_performance_insights(class) {
            instance = instance.performance_insights(key, PERFORMANCE_INSIGHTS_DAYS);
        }
        stack.add_with(
            Layer::Database,
            &format!("{name} {role} instance"),
            instance,
            // Stated rather than defaulted: an Aurora instance is compute over the cluster's storage, so deleting
            // it loses nothing.
            Attributes::new()
                .deletion_policy(DeletionPolicy::Delete)
                .update_replace_policy(DeletionPolicy::Delete)
                .suppress_guard_rule("RDS_STORAGE_ENCRYPTED", MEMBER_ENCRYPTION_REASON)
                .suppress_guard_rule("RDS_INSTANCE_LOGGING_ENABLED", MEMBER_LOGGING_REASON),
        );
    }
}

/// RDS spreads a cluster's instances over its subnet group's AZs without a promise of evenness; counting the
/// even share, rounded up, in every subnet is what the subnets must hold at least.
fn claim_instance_addresses(
    stack: &mut Stack,
    subnets: &[Handle<Subnet>],
    name: &str,
    spec: &Cluster,
) {
    let instances = u32::from(spec.readers) + 1;
    let per_subnet = instances.div_ceil(subnets.len().max(1) as u32);
    stack.claim_addresses(
        subnets,
        &format!("{name} cluster instances ({instances})"),
        per_subnet,
    );
}

/// Performance Insights runs on every Aurora PostgreSQL class but the burstable ones (`db.t3`, `db.t4g`).
fn supports_performance_insights(class: &str) -> bool {
    !class.starts_with("db.t")
}

fn subnet_group(
    stack: &mut Stack,
    name: &str,
    subnets: &[Handle<Subnet>],
) -> Handle<DbSubnetGroup> {
    stack.add(
        Layer::Database,
        &format!("{name} subnet group"),
        DbSubnetGroup::new(
            format!("Private subnets of the {name} Aurora cluster"),
            subnets.iter().map(Handle::subnet_id).collect::<Vec<_>>(),
        ),
    )
}

/// A cluster's data outlives the stack: deleting or replacing it takes a final snapshot.
fn snapshot_on_delete() -> Attributes {
    Attributes::new()
        .deletion_policy(DeletionPolicy::Snapshot)
        .update_replace_policy(DeletionPolicy::Snapshot)
}

/// TLS only (PCI DSS 4.1), logical replication for DMS CDC in both directions, and an audit trail of
/// connections, DDL, role changes and writes (PCI DSS 10.2). Statement parameters are not logged: they may hold
/// card data, which must not land in CloudWatch Logs in the clear (PCI DSS 3.4).
fn parameter_group(stack: &mut Stack) -> Handle<DbClusterParameterGroup> {
    let parameters: BTreeMap<String, String> = [
        ("rds.force_ssl", "1"),
        ("ssl_min_protocol_version", "TLSv1.2"),
        ("rds.logical_replication", "1"),
        ("shared_preload_libraries", "pg_stat_statements,pgaudit"),
        ("pgaudit.log", "ddl,role,write"),
        ("pgaudit.log_parameter", "0"),
        ("pgaudit.role", "rds_pgaudit"),
        ("log_connections", "1"),
        ("log_disconnections", "1"),
        ("log_statement", "ddl"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let family = stack.env.database.parameter_group_family();
    stack.add_with(
        Layer::Database,
        "cluster parameter group",
        DbClusterParameterGroup::new(
            "Aurora PostgreSQL: TLS only, logical replication, audit logging",
            family,
            parameters,
        ),
        Attributes::new().suppress_guard_rule("RDS_STORAGE_ENCRYPTED", PARAMETER_GROUP_REASON),
    )
}

/// The role RDS enhanced monitoring publishes OS metrics with.
fn monitoring_role(stack: &mut Stack) -> Handle<Role> {
    stack.add(
        Layer::Database,
        "monitoring role",
        Role::for_service_in_this_account("monitoring.rds.amazonaws.com")
            .description("Publishes RDS enhanced monitoring metrics")
            .managed_policy(Expr::sub(
                "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
            )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn performance_insights_only_where_the_class_runs_it() {
        assert!(supports_performance_insights("db.r7g.large"));
        assert!(supports_performance_insights("db.serverless"));
        assert!(!supports_performance_insights("db.t4g.medium"));
        assert!(!supports_performance_insights("db.t3.medium"));
    }
}
