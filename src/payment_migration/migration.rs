//! The migration layer: AWS DMS copies the source (the production cluster, or the on-premises PostgreSQL) into
//! the migration cluster with a full load followed by change data capture, and a reverse CDC task, started by
//! the cutover workflow, keeps the source current after cutover so a rollback loses no payment.

use serde_json::{Value, json};

use crate::cfn::{Attributes, ConditionExpr, Expr, Handle, LogicalId, Named, Output, Parameter};
use crate::resources::cloudformation::WaitConditionHandle;
use crate::resources::dms::{
    Certificate, Endpoint, EndpointType, MigrationType, PostgreSqlSettings, ReplicationInstance,
    ReplicationSubnetGroup, ReplicationTask, SslMode,
};
use crate::resources::iam::{ManagedPolicy, PolicyDocument, Principal, Role, Statement};
use crate::resources::kms::Key;
use crate::resources::logs::LogGroup;
use crate::resources::secretsmanager::SecretTargetAttachment;
use crate::spec::TableRule;

use super::database::{AuroraCluster, Databases, SourceDatabase};
use super::network::Network;
use super::stack::{Layer, Stack};

/// The migration layer's handles: the workflows start, stop and read the tasks, and the configuration, alerting,
/// monitoring and validation layers publish and watch them.
pub struct Replication {
    /// The replication instance `payment-migration-replication-<env>`, private in the migration VPC, which runs
    /// both tasks.
    pub instance: Named<ReplicationInstance>,
    /// `migration-forward-<env>`: full load then CDC from the source into the migration cluster, started by the
    /// migration workflow and stopped by the rollback.
    pub forward_task: Named<ReplicationTask>,
    /// `migration-reverse-<env>`: CDC from the migration cluster back to the source, started at cutover before
    /// any traffic moves and drained by the rollback, so a rollback loses no payment.
    pub reverse_task: Named<ReplicationTask>,
    /// The forward task's endpoints, whose connections the migration workflow tests before it starts.
    pub forward_source: Handle<Endpoint>,
    /// The forward task's target endpoint, on the migration cluster.
    pub forward_target: Handle<Endpoint>,
    /// The tasks' log group, where DMS writes its error lines (`]E:`).
    pub task_logs: Handle<LogGroup>,
    /// The DMS metric dimensions: the instance identifier and the tasks' resource identifiers (ARN suffixes).
    pub instance_identifier: String,
    /// The forward task's resource identifier (`migration-forward-<env>`, the end of its ARN): the value of its
    /// metrics' `ReplicationTaskIdentifier` dimension.
    pub forward_task_id: String,
    /// The reverse task's resource identifier (`migration-reverse-<env>`, the end of its ARN): the value of its
    /// metrics' `ReplicationTaskIdentifier` dimension.
    pub reverse_task_id: String,
}

/// One side of a replication task: where DMS connects and with which secret.
struct Database {
    engine: &'static str,
    database_name: String,
    secret_id: Expr,
    /// Orders the endpoint after what completes the secret (the target attachment adds host and port).
    ready: Option<Handle<SecretTargetAttachment>>,
    certificate: Option<Expr>,
}

/// The migration layer, in the order DMS needs it: the service roles, the tasks' log group, the replication
/// instance in the migration VPC's private subnets, the four endpoints (forward and reverse, source and target),
/// the forward full-load-and-CDC task and the reverse CDC task, and the stack's outputs.
pub fn build(
    stack: &mut Stack,
    key: &Handle<Key>,
    network: &Network,
    databases: &Databases,
) -> Replication {
    // The replication instance's storage and the endpoints' connection settings encrypt with the key, and DMS
    // reads the endpoint secrets, which the key encrypts, through Secrets Manager.
    stack.use_key_via("dms");
    stack.use_key_via("secretsmanager");
    let roles_ready = service_roles(stack);
    let instance_identifier = stack.name("replication");
    let task_logs = stack.service_log_group(
        Layer::Migration,
        "task log group",
        &format!("dms-tasks-{instance_identifier}"),
        key,
    );
    let instance = replication_instance(
        stack,
        key,
        network,
        &instance_identifier,
        &roles_ready,
        &task_logs,
    );
    let source = source_database(stack, databases);
    let target = cluster_database(stack, &databases.migration);
    let endpoints = endpoints(stack, key, &source, &target);
    let (forward_task, forward_task_id) = replication_task(
        stack,
        &instance,
        "forward",
        MigrationType::FullLoadAndCdc,
        (&endpoints.forward_source, &endpoints.forward_target),
    );
    // Not started by the stack: the cutover workflow starts it, from the migration cluster's position at cutover.
    let (reverse_task, reverse_task_id) = replication_task(
        stack,
        &instance,
        "reverse",
        MigrationType::Cdc,
        (&endpoints.reverse_source, &endpoints.reverse_target),
    );
    outputs(stack, &instance, &forward_task, &reverse_task);
    Replication {
        instance,
        forward_task,
        reverse_task,
        forward_source: endpoints.forward_source,
        forward_target: endpoints.forward_target,
        task_logs,
        instance_identifier,
        forward_task_id,
        reverse_task_id,
    }
}

/// The replication instance `identifier`, private in the migration VPC's subnets (its subnet group), its
/// storage encrypted with the key, and its engine version pinned.
fn replication_instance(
    stack: &mut Stack,
    key: &Handle<Key>,
    network: &Network,
    identifier: &str,
    roles_ready: &Handle<WaitConditionHandle>,
    task_logs: &Handle<LogGroup>,
) -> Named<ReplicationInstance> {
    let migration = &stack.env.migration;
    let subnet_group = stack.add_with(
        Layer::Migration,
        "replication subnet group",
        ReplicationSubnetGroup::new(
            "Private subnets of the migration VPC",
            network
                .migration
                .private_subnets
                .iter()
                .map(Handle::subnet_id)
                .collect::<Vec<_>>(),
        )
        .replication_subnet_group_identifier(identifier),
        Attributes::new().depends_on(roles_ready),
    );
    // A Multi-AZ standby sits in another AZ, so each subnet holds one of the pair at most.
    stack.claim_addresses(
        &network.migration.private_subnets,
        "DMS replication instance",
        1,
    );
    stack.runbook.dms_instances.push(identifier.to_string());
    stack.add_named_with(
        Layer::Migration,
        "replication instance",
        identifier,
        ReplicationInstance::private(
            migration.replication_instance_class.clone(),
            key,
            subnet_group.subnet_group_identifier(),
            vec![network.security_groups.replication.group_id()],
        )
        .allocated_storage(migration.allocated_storage_gb)
        .engine_version(migration.engine_version.clone())
        .multi_az(migration.multi_az)
        // The engine version is pinned in the spec so that every upgrade is reviewed in a pull request; an
        // automatic minor upgrade would move the instance away from the template behind the reviewers' backs.
        .auto_minor_version_upgrade(false)
        .allow_major_version_upgrade(false)
        .preferred_maintenance_window("sun:18:30-sun:19:30"),
        Attributes::new()
            .depends_on(roles_ready)
            .depends_on(task_logs),
    )
}

/// The source side: the production Aurora cluster, or the on-premises PostgreSQL, whose CA certificate (when
/// the spec gives one) DMS verifies the server with.
fn source_database(stack: &mut Stack, databases: &Databases) -> Database {
    match &databases.source {
        SourceDatabase::ProductionCluster(production) => cluster_database(stack, production),
        SourceDatabase::External(external) => {
            let certificate = external.ca_certificate_pem.as_ref().map(|pem| {
                stack
                    .add(
                        Layer::Migration,
                        "source ca certificate",
                        Certificate::new(pem.clone())
                            .certificate_identifier(stack.name("source ca")),
                    )
                    .certificate_arn()
            });
            Database {
                engine: "postgres",
                database_name: external.database.clone(),
                secret_id: Expr::lit(&external.secret_name),
                ready: None,
                certificate,
            }
        }
    }
}

/// The four DMS endpoints: the forward task reads the source and writes the target, the reverse task reads the
/// target and writes the source.
struct Endpoints {
    forward_source: Handle<Endpoint>,
    forward_target: Handle<Endpoint>,
    reverse_source: Handle<Endpoint>,
    reverse_target: Handle<Endpoint>,
}

/// The endpoints, each connecting over TLS with its database's secret, read through the secrets-access role;
/// the sources are set up for CDC.
fn endpoints(
    stack: &mut Stack,
    key: &Handle<Key>,
    source: &Database,
    target: &Database,
) -> Endpoints {
    let (access_role, access_policy) = secrets_access_role(stack, key, &[source, target]);
    let mut endpoint =
        |purpose: &str, kind: EndpointType, database: &Database, cdc_source: bool| {
            let mut settings =
                PostgreSqlSettings::from_secret(database.secret_id.clone(), &access_role)
                    .map_boolean_as_boolean(true);
            if cdc_source {
                settings = settings.cdc_source();
            }
            let mut endpoint = Endpoint::postgresql(
                kind,
                database.engine,
                database.database_name.clone(),
                SslMode::Require,
                key,
                settings,
            )
            .endpoint_identifier(stack.name(purpose));
            stack.runbook.dms_endpoints.push(stack.name(purpose));
            if let Some(certificate) = &database.certificate {
                endpoint = endpoint.verified_by(certificate.clone());
            }
            // DMS reads the secret with the role as soon as a task runs; the role needs its policy by then.
            let mut attributes = Attributes::new().depends_on(&access_policy);
            if let Some(ready) = &database.ready {
                attributes = attributes.depends_on(ready);
            }
            stack.add_with(
                Layer::Migration,
                &format!("{purpose} endpoint"),
                endpoint,
                attributes,
            )
        };
    Endpoints {
        forward_source: endpoint("source", EndpointType::Source, source, true),
        forward_target: endpoint("target", EndpointType::Target, target, false),
        reverse_source: endpoint("reverse source", EndpointType::Source, target, true),
        reverse_target: endpoint("reverse target", EndpointType::Target, source, false),
    }
}

/// The replication task `migration-<purpose>-<env>` from `endpoints` (source, target) on the instance, with the
/// spec's table mappings and the task settings of its kind (with a full load or CDC only). Returns the task and
/// its identifier (DMS's metric dimension).
fn replication_task(
    stack: &mut Stack,
    instance: &Handle<ReplicationInstance>,
    purpose: &str,
    kind: MigrationType,
    (source, target): (&Handle<Endpoint>, &Handle<Endpoint>),
) -> (Named<ReplicationTask>, String) {
    let migration = &stack.env.migration;
    let id = format!("migration-{purpose}-{}", stack.env.name);
    let handle = stack.add_named(
        Layer::Migration,
        &format!("{purpose} task"),
        id.clone(),
        ReplicationTask::between(
            kind,
            instance.replication_instance_arn(),
            source.endpoint_arn(),
            target.endpoint_arn(),
            &table_mappings(&migration.tables),
        )
        .settings(&task_settings(
            kind != MigrationType::Cdc,
            &migration.control_schema,
        )),
    );
    (handle, id)
}

/// The stack's outputs of the migration layer: the replication instance and both tasks.
fn outputs(
    stack: &mut Stack,
    instance: &Handle<ReplicationInstance>,
    forward_task: &Handle<ReplicationTask>,
    reverse_task: &Handle<ReplicationTask>,
) {
    for (output, description, value) in [
        (
            "DmsReplicationInstanceArn",
            "DMS replication instance (dms_replication_instance_arn)",
            instance.replication_instance_arn(),
        ),
        (
            "DmsReplicationTaskArn",
            "Forward full-load and CDC task (dms_replication_task_arn)",
            forward_task.replication_task_arn(),
        ),
        (
            "DmsReverseReplicationTaskArn",
            "Reverse CDC task, started at cutover",
            reverse_task.replication_task_arn(),
        ),
    ] {
        stack
            .template
            .output(LogicalId::verbatim(output), Output::new(description, value));
    }
}

/// An Aurora cluster as a DMS endpoint's database: the cluster's secret, complete once its target attachment
/// has added the host and port.
fn cluster_database(stack: &Stack, aurora: &AuroraCluster) -> Database {
    Database {
        engine: "aurora-postgresql",
        database_name: stack.env.database.database_name.clone(),
        secret_id: aurora.secret.secret_arn(),
        ready: Some(aurora.attachment.clone()),
        certificate: None,
    }
}

/// `dms-vpc-role` and `dms-cloudwatch-logs-role`: DMS looks them up by these exact names, account-wide, so a
/// second stack in the account must not create them again. A parameter decides; the returned anchor lets DMS
/// resources wait for the roles without a `DependsOn` on resources that may not exist.
fn service_roles(stack: &mut Stack) -> Handle<WaitConditionHandle> {
    let parameter = stack.template.parameter(
        LogicalId::verbatim("CreateDmsServiceRoles"),
        Parameter::string(
            "Create the account-wide DMS roles dms-vpc-role and dms-cloudwatch-logs-role (false where the account \
             already has them)",
        )
        .default("true")
        .allowed_values(&["true", "false"]),
    );
    let condition = stack.template.condition(
        LogicalId::verbatim("CreateDmsServiceRoles"),
        ConditionExpr::Equals(parameter.r#ref(), Expr::lit("true")),
    );
    let mut anchors = serde_json::Map::new();
    for (name, policy) in [
        ("dms-vpc-role", "AmazonDMSVPCManagementRole"),
        ("dms-cloudwatch-logs-role", "AmazonDMSCloudWatchLogsRole"),
    ] {
        let role = stack.add_with(
            Layer::Migration,
            name,
            Role::for_service_in_this_account("dms.amazonaws.com")
                .role_name(Expr::lit(name))
                .description(format!("DMS service role {name}, looked up by name"))
                .managed_policy(Expr::sub(format!(
                    "arn:${{AWS::Partition}}:iam::aws:policy/service-role/{policy}"
                ))),
            Attributes::new().condition(&condition),
        );
        anchors.insert(
            name.to_string(),
            crate::cfn::expr::to_json(&condition.choose(role.role_name(), Expr::lit(""))),
        );
    }
    stack.add_with(
        Layer::Migration,
        "service roles ready",
        WaitConditionHandle::new(),
        Attributes::new().metadata("DependsOnServiceRoles", Value::Object(anchors)),
    )
}

/// The role DMS assumes to read endpoint secrets. Its trust names the regional DMS principal, which is what
/// DMS uses for Secrets Manager access.
fn secrets_access_role(
    stack: &mut Stack,
    key: &Handle<Key>,
    databases: &[&Database],
) -> (Handle<Role>, Handle<ManagedPolicy>) {
    let role = stack.add(
        Layer::Migration,
        "secrets access role",
        Role::new(PolicyDocument::new(vec![
            Statement::allow("TrustRegionalDms", &["sts:AssumeRole"])
                .principal(Principal::service(Expr::regional_service_principal("dms")))
                .from_this_account(),
        ]))
        .description("Lets DMS read the endpoints' database secrets"),
    );
    let secrets: Vec<Expr> = databases
        .iter()
        .map(|d| match &d.secret_id {
            // A secret named by the spec: its ARN ends in a random six-character suffix.
            Expr::Literal(name) => Expr::arn("secretsmanager", &format!("secret:{name}-??????")),
            arn => arn.clone(),
        })
        .collect();
    let policy = stack.add(
        Layer::Migration,
        "secrets access policy",
        ManagedPolicy::new(PolicyDocument::new(vec![
            Statement::allow(
                "ReadEndpointSecrets",
                &[
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:GetSecretValue",
                ],
            )
            .resources(secrets),
            Statement::allow("DecryptEndpointSecrets", &["kms:Decrypt"])
                .resource(key.arn())
                .condition(
                    "StringEquals",
                    "kms:ViaService",
                    Expr::sub("secretsmanager.${AWS::Region}.${AWS::URLSuffix}"),
                ),
        ]))
        .description("Reads the DMS endpoints' database secrets, and nothing else")
        .attach_to(role.role_name()),
    );
    (role, policy)
}

/// DMS selection rules, includes before excludes, numbered in order.
pub fn table_mappings(tables: &[TableRule]) -> Value {
    let rules: Vec<Value> = tables
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let id = (i + 1).to_string();
            json!({
                "rule-type": "selection",
                "rule-id": id,
                "rule-name": format!("{}-{}", if t.include { "include" } else { "exclude" }, id),
                "object-locator": {"schema-name": t.schema, "table-name": t.table},
                "rule-action": if t.include { "include" } else { "exclude" },
            })
        })
        .collect();
    json!({ "rules": rules })
}

/// Task settings: row-level validation of every replicated row, logging of each component to CloudWatch Logs
/// (the log group is the instance's, created above; naming it here is refused on create), and tables prepared
/// by schema migrations rather than dropped and recreated by DMS.
///
/// After the cutover the forward and the reverse task run together, a bidirectional pair: each would capture
/// the rows the other applied and send them back. Both carry `LoopbackPreventionSettings`, so DMS marks every
/// transaction it applies in `awsdms_loopback_prevention` and skips the ones so marked when it captures (DMS user
/// guide, CDC bidirectional replication; PostgreSQL and Aurora PostgreSQL are supported). The table lives in
/// `control_schema` on both sides, as do DMS's other control tables, so the settings are the same for both
/// tasks. What loopback prevention requires is kept: batch apply off, only one task of the pair
/// `full-load-and-cdc` (the reverse task is `cdc`), and DDL capture off on both sources (it tracks DML only).
/// DMS resolves no conflicts: a row must be written on one side only (see README, "The traffic split").
fn task_settings(full_load: bool, control_schema: &str) -> Value {
    let component = |id: &str| json!({"Id": id, "Severity": "LOGGER_SEVERITY_DEFAULT"});
    json!({
        "LoopbackPreventionSettings": {
            "EnableLoopbackPrevention": true,
            "SourceSchema": control_schema,
            "TargetSchema": control_schema
        },
        "ControlTablesSettings": {
            "ControlSchema": control_schema
        },
        "TargetMetadata": {
            "SupportLobs": true,
            "FullLobMode": false,
            "LimitedSizeLobMode": true,
            "LobMaxSize": 32
        },
        "FullLoadSettings": {
            "TargetTablePrepMode": "DO_NOTHING",
            "CommitRate": 10000,
            "MaxFullLoadSubTasks": if full_load { 8 } else { 1 }
        },
        "Logging": {
            "EnableLogging": true,
            "LogComponents": [
                component("SOURCE_CAPTURE"),
                component("SOURCE_UNLOAD"),
                component("TARGET_APPLY"),
                component("TARGET_LOAD"),
                component("TASK_MANAGER"),
                component("VALIDATOR_EXT")
            ]
        },
        "ValidationSettings": {
            "EnableValidation": true,
            "ValidationMode": "ROW_LEVEL",
            "ThreadCount": 5,
            "FailureMaxCount": 10000,
            "TableFailureMaxCount": 1000,
            "HandleCollationDiff": false,
            "RecordFailureDelayLimitInMinutes": 0
        },
        "ErrorBehavior": {
            "DataErrorPolicy": "LOG_ERROR",
            "ApplyErrorInsertPolicy": "LOG_ERROR",
            "ApplyErrorUpdatePolicy": "LOG_ERROR",
            "ApplyErrorDeletePolicy": "IGNORE_RECORD",
            "FullLoadIgnoreConflicts": false
        },
        "ChangeProcessingTuning": {
            "BatchApplyEnabled": false,
            "CommitTimeout": 1,
            "MemoryLimitTotal": 1024
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_mappings_number_includes_then_excludes() {
        let rules = [
            TableRule {
                include: true,
                schema: "public".into(),
                table: "%".into(),
            },
            TableRule {
                include: false,
                schema: "public".into(),
                table: "tmp_%".into(),
            },
        ];
        let mappings = table_mappings(&rules);
        assert_eq!(mappings["rules"][0]["rule-action"], "include");
        assert_eq!(mappings["rules"][1]["rule-id"], "2");
        assert_eq!(mappings["rules"][1]["rule-action"], "exclude");
        assert_eq!(
            mappings["rules"][1]["object-locator"]["table-name"],
            "tmp_%"
        );
    }

    #[test]
    fn both_tasks_prevent_loopback_through_the_control_schema() {
        for full_load in [true, false] {
            let settings = task_settings(full_load, "dms_control");
            assert_eq!(
                settings["LoopbackPreventionSettings"],
                json!({
                    "EnableLoopbackPrevention": true,
                    "SourceSchema": "dms_control",
                    "TargetSchema": "dms_control"
                })
            );
            assert_eq!(
                settings["ControlTablesSettings"]["ControlSchema"],
                "dms_control"
            );
            // Loopback prevention does not work with batch apply.
            assert_eq!(
                settings["ChangeProcessingTuning"]["BatchApplyEnabled"],
                false
            );
        }
    }

    #[test]
    fn settings_enable_validation_and_logging_without_a_log_group_name() {
        let settings = task_settings(true, "awsdms_control");
        assert_eq!(settings["ValidationSettings"]["EnableValidation"], true);
        assert_eq!(settings["Logging"]["EnableLogging"], true);
        let text = settings.to_string();
        assert!(!text.contains("CloudWatchLogGroup") && !text.contains("CloudWatchLogStream"));
    }
}
