//! Targeted assertions over the database and migration layers and the secondary-region templates: the traps
//! a naive template falls into, stated as checks on every shipped environment and on the test specs.

mod common;

use serde_json::{Value, json};

use common::{
    ENVS, absent, array_at, at, documents, environment, object_at, optional_resources, primary,
    resource, resources, str_at,
};
use migen::spec::{self, Overrides};

fn key_arn() -> Value {
    json!({"Fn::GetAtt": ["EncryptionKey", "Arn"]})
}

#[test]
fn no_password_or_secret_value_appears_in_any_artifact() {
    let fixture = spec::load_file(
        std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/specs/verify-full.yaml"
        )),
        &Overrides::default(),
    )
    .unwrap();
    let mut envs: Vec<spec::Environment> = ENVS.iter().map(|e| environment(e)).collect();
    envs.push(fixture);
    let mut with_credentials = 0;
    for env in &envs {
        for (region, doc) in documents(env) {
            // A cluster that joins a global database takes its credentials from the primary; every other
            // cluster has both, and each is a dynamic reference to its secret.
            for (id, cluster) in resources(&doc, "AWS::RDS::DBCluster") {
                let p = object_at(cluster, "Properties");
                if p.contains_key("GlobalClusterIdentifier") {
                    absent(cluster, "Properties.MasterUsername");
                    absent(cluster, "Properties.MasterUserPassword");
                    continue;
                }
                with_credentials += 1;
                for property in ["MasterUsername", "MasterUserPassword"] {
                    let sub = str_at(cluster, ["Properties", property, "Fn::Sub", "0"]);
                    assert!(
                        sub.starts_with("{{resolve:secretsmanager:"),
                        "{region} {id}.{property}: {sub}"
                    );
                }
            }
            let text = doc.to_string();
            for forbidden in [
                "\"Password\"",
                "\"SecretString\"",
                "\"Username\"",
                "ManageMasterUserPassword",
            ] {
                assert!(
                    !text.contains(forbidden),
                    "{} {region}: {forbidden}",
                    env.name
                );
            }
            for (id, output) in object_at(&doc, "Outputs") {
                assert!(
                    !output.to_string().contains("resolve:secretsmanager"),
                    "{region} output {id}"
                );
            }
        }
    }
    assert!(with_credentials >= 4, "{with_credentials}");
}

#[test]
fn clusters_are_encrypted_private_audited_and_snapshotted() {
    for env in ENVS {
        let doc = primary(env);
        let clusters = resources(&doc, "AWS::RDS::DBCluster");
        assert_eq!(
            clusters.len(),
            if env == "prod" { 1 } else { 2 },
            "{env}: prod reads from on-premises"
        );
        for (id, cluster) in clusters {
            let p = at(cluster, "Properties");
            assert_eq!(at(p, "StorageEncrypted"), true, "{env} {id}");
            assert_eq!(at(p, "KmsKeyId"), &key_arn(), "{env} {id}");
            assert_eq!(
                at(p, "EnableCloudwatchLogsExports"),
                &json!(["postgresql"]),
                "{env} {id}"
            );
            assert_eq!(at(p, "EnableIAMDatabaseAuthentication"), true, "{env} {id}");
            assert_eq!(at(p, "DeletionProtection"), env != "dev", "{env} {id}");
            assert_eq!(str_at(cluster, "DeletionPolicy"), "Snapshot", "{env} {id}");
            assert_eq!(
                str_at(cluster, "UpdateReplacePolicy"),
                "Snapshot",
                "{env} {id}"
            );
            // The primary does not join (the secondary region's cluster does; see the global database test).
            absent(p, "GlobalClusterIdentifier");
        }
        for (id, instance) in resources(&doc, "AWS::RDS::DBInstance") {
            let p = at(instance, "Properties");
            assert_eq!(at(p, "PubliclyAccessible"), false, "{env} {id}");
            assert_eq!(
                at(p, "PerformanceInsightsKMSKeyId"),
                &key_arn(),
                "{env} {id}"
            );
            assert_eq!(at(p, "MonitoringInterval"), 60, "{env} {id}");
        }
        let groups = resources(&doc, "AWS::RDS::DBClusterParameterGroup");
        assert_eq!(groups.len(), 1, "{env}");
        let group = at(groups[0].1, "Properties");
        assert_eq!(str_at(group, ["Parameters", "rds.force_ssl"]), "1");
        assert_eq!(
            str_at(group, ["Parameters", "rds.logical_replication"]),
            "1"
        );
        assert_eq!(
            str_at(group, ["Parameters", "pgaudit.log_parameter"]),
            "0",
            "card data must not reach the logs"
        );
        assert_eq!(str_at(group, "Family"), "aurora-postgresql17");
        for (id, secret) in resources(&doc, "AWS::SecretsManager::Secret") {
            assert_eq!(at(secret, "Properties.KmsKeyId"), &key_arn(), "{env} {id}");
            assert_eq!(str_at(secret, "DeletionPolicy"), "Retain", "{env} {id}");
        }
        assert_eq!(
            str_at(&doc, "Transform"),
            "AWS::SecretsManager-2020-07-23",
            "{env}: hosted rotation"
        );
        for (id, rotation) in resources(&doc, "AWS::SecretsManager::RotationSchedule") {
            assert_eq!(
                str_at(rotation, "Properties.HostedRotationLambda.RotationType"),
                "PostgreSQLSingleUser"
            );
            // Referring to the attachment orders rotation after it: the function needs the host and port.
            let secret_id = str_at(rotation, "Properties.SecretId.Ref");
            assert_eq!(
                str_at(resource(&doc, secret_id), "Type"),
                "AWS::SecretsManager::SecretTargetAttachment",
                "{env} {id}"
            );
        }
    }
}

#[test]
fn readers_and_capacity_follow_the_spec() {
    let dev = primary("dev");
    let dev_instances = resources(&dev, "AWS::RDS::DBInstance");
    assert_eq!(dev_instances.len(), 4, "writer and one reader per cluster");
    assert!(
        dev_instances
            .iter()
            .all(|(_, i)| str_at(i, "Properties.DBInstanceClass") == "db.serverless")
    );
    let scaling = at(
        resource(&dev, "DatabaseMigrationCluster"),
        "Properties.ServerlessV2ScalingConfiguration",
    );
    assert_eq!(*scaling, json!({"MinCapacity": 0.5, "MaxCapacity": 4.0}));

    let prod = primary("prod");
    let prod_instances = resources(&prod, "AWS::RDS::DBInstance");
    assert_eq!(prod_instances.len(), 3, "writer and two readers");
    assert!(
        prod_instances
            .iter()
            .all(|(_, i)| str_at(i, "Properties.DBInstanceClass") == "db.r7g.xlarge")
    );
}

#[test]
fn the_global_database_spans_the_secondary_region() {
    let prod = environment("prod");
    let docs = documents(&prod);
    assert_eq!(
        docs.iter().map(|(r, _)| r.as_str()).collect::<Vec<_>>(),
        ["ap-southeast-1", "ap-southeast-2"]
    );
    let (_, primary_doc) = &docs[0];
    let globals = resources(primary_doc, "AWS::RDS::GlobalCluster");
    assert_eq!(globals.len(), 1);
    let global = globals[0].1;
    assert_eq!(
        str_at(global, "Properties.GlobalClusterIdentifier"),
        "payment-migration-global-db-prod"
    );
    assert_eq!(
        *at(global, "Properties.SourceDBClusterIdentifier"),
        json!({"Fn::GetAtt": ["DatabaseMigrationCluster", "DBClusterArn"]})
    );
    // These come from the source cluster.
    for forbidden in ["Engine", "EngineVersion", "StorageEncrypted"] {
        at(
            resource(primary_doc, "DatabaseMigrationCluster"),
            ["Properties", forbidden],
        );
        absent(global, ["Properties", forbidden]);
    }

    let (_, secondary) = &docs[1];
    let clusters = resources(secondary, "AWS::RDS::DBCluster");
    assert_eq!(clusters.len(), 1);
    let p = at(clusters[0].1, "Properties");
    assert_eq!(
        *at(p, "GlobalClusterIdentifier"),
        json!({"Ref": "GlobalClusterIdentifier"})
    );
    assert_eq!(str_at(p, "SourceRegion"), "ap-southeast-1");
    assert_eq!(
        at(p, "KmsKeyId"),
        &key_arn(),
        "the secondary region's own key"
    );
    // The primary's cluster sets these; a secondary inherits them through the global database.
    for inherited in ["MasterUsername", "MasterUserPassword", "DatabaseName"] {
        at(
            resource(primary_doc, "DatabaseMigrationCluster"),
            ["Properties", inherited],
        );
        absent(p, inherited);
    }
    assert_eq!(
        str_at(secondary, "Parameters.GlobalClusterIdentifier.Default"),
        "payment-migration-global-db-prod"
    );
    assert_eq!(
        resources(secondary, "AWS::RDS::DBInstance").len(),
        3,
        "as many instances as the migration cluster"
    );
    assert!(resources(secondary, "AWS::KMS::Key").len() == 1);
    for (_, doc) in &docs {
        assert!(
            !doc.to_string().contains("Fn::ImportValue"),
            "regions do not import across"
        );
    }
    assert!(optional_resources(&primary("dev"), "AWS::RDS::GlobalCluster").is_empty());
}

#[test]
fn dms_is_private_encrypted_and_tls_only() {
    for env in ENVS {
        let doc = primary(env);
        let instances = resources(&doc, "AWS::DMS::ReplicationInstance");
        assert_eq!(instances.len(), 1, "{env}");
        let instance = instances[0].1;
        let p = at(instance, "Properties");
        assert_eq!(at(p, "PubliclyAccessible"), false, "{env}");
        assert_eq!(at(p, "KmsKeyId"), &key_arn(), "{env}");
        assert_eq!(at(p, "MultiAZ"), env != "dev", "{env}");
        assert_eq!(
            str_at(p, "ReplicationInstanceIdentifier"),
            format!("payment-migration-replication-{env}")
        );
        assert!(at(p, "EngineVersion").is_string(), "{env}: pinned");
        assert_eq!(
            str_at(instance, "DependsOn.0"),
            "MigrationServiceRolesReady",
            "{env}"
        );

        let endpoints = resources(&doc, "AWS::DMS::Endpoint");
        assert_eq!(
            endpoints.len(),
            4,
            "{env}: forward and reverse, source and target"
        );
        for (id, endpoint) in endpoints {
            let p = at(endpoint, "Properties");
            assert!(
                ["require", "verify-full"].contains(&str_at(p, "SslMode")),
                "{env} {id}"
            );
            let secret = at(p, "PostgreSqlSettings.SecretsManagerSecretId");
            assert!(secret.is_string() || secret.is_object(), "{env} {id}");
            // The connection details come from the secret, never from the template.
            for plain in ["ServerName", "Port", "Username", "Password"] {
                absent(p, plain);
            }
        }

        let trust = at(
            resource(&doc, "MigrationSecretsAccessRole"),
            "Properties.AssumeRolePolicyDocument",
        );
        assert_eq!(
            *at(trust, "Statement.0.Principal.Service"),
            json!({"Fn::Sub": "dms.${AWS::Region}.${AWS::URLSuffix}"}),
            "the regional DMS principal reads secrets"
        );
    }
}

#[test]
fn the_account_wide_dms_roles_are_conditional_and_exactly_named() {
    let doc = primary("staging");
    assert_eq!(
        *at(&doc, "Parameters.CreateDmsServiceRoles.AllowedValues"),
        json!(["true", "false"])
    );
    for (id, name, policy) in [
        (
            "MigrationDmsVpcRole",
            "dms-vpc-role",
            "AmazonDMSVPCManagementRole",
        ),
        (
            "MigrationDmsCloudwatchLogsRole",
            "dms-cloudwatch-logs-role",
            "AmazonDMSCloudWatchLogsRole",
        ),
    ] {
        let role = resource(&doc, id);
        assert_eq!(str_at(role, "Condition"), "CreateDmsServiceRoles", "{id}");
        assert_eq!(str_at(role, "Properties.RoleName"), name);
        assert_eq!(
            str_at(
                role,
                "Properties.AssumeRolePolicyDocument.Statement.0.Principal.Service"
            ),
            "dms.amazonaws.com"
        );
        assert!(
            at(role, "Properties.ManagedPolicyArns")
                .to_string()
                .contains(policy)
        );
        let anchor = at(
            resource(&doc, "MigrationServiceRolesReady"),
            ["Metadata", "DependsOnServiceRoles", name],
        );
        assert_eq!(str_at(anchor, "Fn::If.0"), "CreateDmsServiceRoles");
    }
    assert_eq!(
        *at(
            resource(&doc, "MigrationReplicationSubnetGroup"),
            "DependsOn"
        ),
        json!(["MigrationServiceRolesReady"])
    );
}

#[test]
fn tasks_replicate_forward_with_validation_and_stand_ready_to_reverse() {
    for env in ENVS {
        let doc = primary(env);
        let forward = at(resource(&doc, "MigrationForwardTask"), "Properties");
        let reverse = at(resource(&doc, "MigrationReverseTask"), "Properties");
        assert_eq!(str_at(forward, "MigrationType"), "full-load-and-cdc");
        assert_eq!(str_at(reverse, "MigrationType"), "cdc");
        for (task, id) in [(forward, "forward"), (reverse, "reverse")] {
            let resource_id = str_at(task, "ResourceIdentifier");
            assert_eq!(resource_id, format!("migration-{id}-{env}"));
            assert!(
                resource_id.len() <= 31
                    && resource_id.starts_with(|c: char| c.is_ascii_alphabetic())
            );
            let mappings: Value = serde_json::from_str(str_at(task, "TableMappings")).unwrap();
            assert_eq!(str_at(&mappings, "rules.0.rule-type"), "selection");
            let settings: Value =
                serde_json::from_str(str_at(task, "ReplicationTaskSettings")).unwrap();
            assert_eq!(at(&settings, "ValidationSettings.EnableValidation"), true);
            assert_eq!(at(&settings, "Logging.EnableLogging"), true);
            // The log group is the replication instance's; DMS refuses a task that names one on create.
            absent(&settings, "Logging.CloudWatchLogGroup");
        }
        // The reverse task runs the same pair of databases the other way round.
        assert_eq!(
            *at(forward, "SourceEndpointArn"),
            json!({"Ref": "MigrationSourceEndpoint"})
        );
        assert_eq!(
            *at(reverse, "SourceEndpointArn"),
            json!({"Ref": "MigrationReverseSourceEndpoint"})
        );
        let endpoint = |id: &str| {
            at(
                resource(&doc, id),
                "Properties.PostgreSqlSettings.SecretsManagerSecretId",
            )
        };
        assert_eq!(
            endpoint("MigrationSourceEndpoint"),
            endpoint("MigrationReverseTargetEndpoint")
        );
        assert_eq!(
            endpoint("MigrationTargetEndpoint"),
            endpoint("MigrationReverseSourceEndpoint")
        );
    }
    let prod = primary("prod");
    let mappings: Value = serde_json::from_str(str_at(
        resource(&prod, "MigrationForwardTask"),
        "Properties.TableMappings",
    ))
    .unwrap();
    assert_eq!(array_at(&mappings, "rules").len(), 3);
    assert_eq!(str_at(&mappings, "rules.2.rule-action"), "exclude");
}

#[test]
fn service_log_groups_exist_before_the_services_write() {
    let doc = primary("dev");
    let names: Vec<&str> = resources(&doc, "AWS::Logs::LogGroup")
        .into_iter()
        .map(|(_, g)| str_at(g, "Properties.LogGroupName"))
        .collect();
    for expected in [
        "/aws/rds/cluster/payment-migration-production-db-dev/postgresql",
        "/aws/rds/cluster/payment-migration-migration-db-dev/postgresql",
        "dms-tasks-payment-migration-replication-dev",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    assert_eq!(
        str_at(
            resource(&doc, "DatabaseMigrationCluster"),
            "Properties.DBClusterIdentifier"
        ),
        "payment-migration-migration-db-dev"
    );
}

#[test]
fn postgres_reaches_the_clusters_only_from_the_tiers_that_need_it() {
    let doc = primary("prod");
    let rules = resources(&doc, "AWS::EC2::SecurityGroupIngress");
    let to_migration: Vec<&Value> = rules
        .iter()
        .map(|(_, r)| at(r, "Properties"))
        .filter(|p| {
            *at(p, "GroupId")
                == json!({"Fn::GetAtt": ["NetworkMigrationDatabaseSecurityGroup", "GroupId"]})
        })
        .collect();
    let sources: Vec<String> = to_migration
        .iter()
        .map(|p| {
            p.get("CidrIp")
                .or(p.get("SourceSecurityGroupId"))
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(to_migration.len(), 4, "{sources:?}");
    assert!(
        to_migration
            .iter()
            .all(|p| at(p, "FromPort") == 5432 && at(p, "ToPort") == 5432)
    );
    assert!(
        sources.iter().any(|s| s.contains("172.16.20.0/24")),
        "the spec's application network"
    );
    // Prod has no production cluster, so no security group for it; dev, which has one, shows the id is real.
    resource(&primary("dev"), "NetworkProductionDatabaseSecurityGroup");
    absent(&doc, "Resources.NetworkProductionDatabaseSecurityGroup");
}

#[test]
fn parameter_store_records_what_later_layers_need() {
    let doc = primary("dev");
    let names: Vec<&str> = resources(&doc, "AWS::SSM::Parameter")
        .into_iter()
        .map(|(_, p)| str_at(p, "Properties.Name"))
        .collect();
    for expected in [
        "/migration/dev/database/migration/endpoint",
        "/migration/dev/database/production/secret-arn",
        "/migration/dev/dms/forward-task-arn",
        "/migration/dev/dms/reverse-task-arn",
        "/migration/dev/dms/replication-instance-arn",
    ] {
        assert!(names.contains(&expected), "{expected}");
    }
    for output in [
        "ProductionDbEndpoint",
        "ProductionDbReaderEndpoint",
        "MigrationDbEndpoint",
        "MigrationDbReaderEndpoint",
        "DmsReplicationInstanceArn",
        "DmsReplicationTaskArn",
    ] {
        assert!(at(&doc, ["Outputs", output]).is_object(), "{output}");
    }
}
