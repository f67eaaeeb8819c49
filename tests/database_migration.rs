//! Targeted assertions over the database and migration layers and the secondary-region templates: the traps
//! a naive template falls into, stated as checks on every shipped environment and on the test specs.

mod common;

use serde_json::{Value, json};

use common::{ENVS, documents, environment, primary, resources};
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
    for env in &envs {
        for (region, doc) in documents(env) {
            for (id, cluster) in resources(&doc, "AWS::RDS::DBCluster") {
                for property in ["MasterUsername", "MasterUserPassword"] {
                    if let Some(value) = cluster["Properties"].get(property) {
                        let sub = value["Fn::Sub"][0].as_str().unwrap_or_default();
                        assert!(
                            sub.starts_with("{{resolve:secretsmanager:"),
                            "{region} {id}.{property}: {value}"
                        );
                    }
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
            for (id, output) in doc["Outputs"].as_object().unwrap() {
                assert!(
                    !output.to_string().contains("resolve:secretsmanager"),
                    "{region} output {id}"
                );
            }
        }
    }
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
            let p = &cluster["Properties"];
            assert_eq!(p["StorageEncrypted"], true, "{env} {id}");
            assert_eq!(p["KmsKeyId"], key_arn(), "{env} {id}");
            assert_eq!(
                p["EnableCloudwatchLogsExports"],
                json!(["postgresql"]),
                "{env} {id}"
            );
            assert_eq!(p["EnableIAMDatabaseAuthentication"], true, "{env} {id}");
            assert_eq!(p["DeletionProtection"], env != "dev", "{env} {id}");
            assert_eq!(cluster["DeletionPolicy"], "Snapshot", "{env} {id}");
            assert_eq!(cluster["UpdateReplacePolicy"], "Snapshot", "{env} {id}");
            assert!(
                p.get("GlobalClusterIdentifier").is_none(),
                "{env} {id}: the primary does not join"
            );
        }
        for (id, instance) in resources(&doc, "AWS::RDS::DBInstance") {
            let p = &instance["Properties"];
            assert_eq!(p["PubliclyAccessible"], false, "{env} {id}");
            assert_eq!(p["PerformanceInsightsKMSKeyId"], key_arn(), "{env} {id}");
            assert_eq!(p["MonitoringInterval"], 60, "{env} {id}");
        }
        let group = &resources(&doc, "AWS::RDS::DBClusterParameterGroup")[0].1["Properties"];
        assert_eq!(group["Parameters"]["rds.force_ssl"], "1");
        assert_eq!(group["Parameters"]["rds.logical_replication"], "1");
        assert_eq!(
            group["Parameters"]["pgaudit.log_parameter"], "0",
            "card data must not reach the logs"
        );
        assert_eq!(group["Family"], "aurora-postgresql17");
        for (id, secret) in resources(&doc, "AWS::SecretsManager::Secret") {
            assert_eq!(secret["Properties"]["KmsKeyId"], key_arn(), "{env} {id}");
            assert_eq!(secret["DeletionPolicy"], "Retain", "{env} {id}");
        }
        assert_eq!(
            doc["Transform"], "AWS::SecretsManager-2020-07-23",
            "{env}: hosted rotation"
        );
        for (id, rotation) in resources(&doc, "AWS::SecretsManager::RotationSchedule") {
            assert_eq!(
                rotation["Properties"]["HostedRotationLambda"]["RotationType"],
                "PostgreSQLSingleUser"
            );
            // Referring to the attachment orders rotation after it: the function needs the host and port.
            let secret_id = rotation["Properties"]["SecretId"]["Ref"].as_str().unwrap();
            assert_eq!(
                doc["Resources"][secret_id]["Type"], "AWS::SecretsManager::SecretTargetAttachment",
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
            .all(|(_, i)| i["Properties"]["DBInstanceClass"] == "db.serverless")
    );
    let scaling = &dev["Resources"]["DatabaseMigrationCluster"]["Properties"]["ServerlessV2ScalingConfiguration"];
    assert_eq!(*scaling, json!({"MinCapacity": 0.5, "MaxCapacity": 4.0}));

    let prod = primary("prod");
    let prod_instances = resources(&prod, "AWS::RDS::DBInstance");
    assert_eq!(prod_instances.len(), 3, "writer and two readers");
    assert!(
        prod_instances
            .iter()
            .all(|(_, i)| i["Properties"]["DBInstanceClass"] == "db.r7g.xlarge")
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
    let global = &resources(primary_doc, "AWS::RDS::GlobalCluster")[0].1;
    assert_eq!(
        global["Properties"]["GlobalClusterIdentifier"],
        "payment-migration-global-db-prod"
    );
    assert_eq!(
        global["Properties"]["SourceDBClusterIdentifier"],
        json!({"Fn::GetAtt": ["DatabaseMigrationCluster", "DBClusterArn"]})
    );
    for forbidden in ["Engine", "EngineVersion", "StorageEncrypted"] {
        assert!(
            global["Properties"].get(forbidden).is_none(),
            "{forbidden} comes from the source cluster"
        );
    }

    let (_, secondary) = &docs[1];
    let clusters = resources(secondary, "AWS::RDS::DBCluster");
    assert_eq!(clusters.len(), 1);
    let p = &clusters[0].1["Properties"];
    assert_eq!(
        p["GlobalClusterIdentifier"],
        json!({"Ref": "GlobalClusterIdentifier"})
    );
    assert_eq!(p["SourceRegion"], "ap-southeast-1");
    assert_eq!(p["KmsKeyId"], key_arn(), "the secondary region's own key");
    assert!(p.get("MasterUsername").is_none() && p.get("MasterUserPassword").is_none());
    assert!(p.get("DatabaseName").is_none());
    assert_eq!(
        secondary["Parameters"]["GlobalClusterIdentifier"]["Default"],
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
    assert!(resources(&primary("dev"), "AWS::RDS::GlobalCluster").is_empty());
}

#[test]
fn dms_is_private_encrypted_and_tls_only() {
    for env in ENVS {
        let doc = primary(env);
        let instance = &resources(&doc, "AWS::DMS::ReplicationInstance")[0].1;
        let p = &instance["Properties"];
        assert_eq!(p["PubliclyAccessible"], false, "{env}");
        assert_eq!(p["KmsKeyId"], key_arn(), "{env}");
        assert_eq!(p["MultiAZ"], env != "dev", "{env}");
        assert_eq!(
            p["ReplicationInstanceIdentifier"],
            format!("payment-migration-replication-{env}")
        );
        assert!(p["EngineVersion"].is_string(), "{env}: pinned");
        assert_eq!(
            instance["DependsOn"].as_array().unwrap()[0],
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
            let p = &endpoint["Properties"];
            assert!(
                ["require", "verify-full"].contains(&p["SslMode"].as_str().unwrap()),
                "{env} {id}"
            );
            assert!(
                p["PostgreSqlSettings"]["SecretsManagerSecretId"].is_string()
                    || p["PostgreSqlSettings"]["SecretsManagerSecretId"].is_object()
            );
            for plain in ["ServerName", "Port", "Username", "Password"] {
                assert!(p.get(plain).is_none(), "{env} {id}: {plain}");
            }
        }

        let trust = &doc["Resources"]["MigrationSecretsAccessRole"]["Properties"]["AssumeRolePolicyDocument"];
        assert_eq!(
            trust["Statement"][0]["Principal"]["Service"],
            json!({"Fn::Sub": "dms.${AWS::Region}.${AWS::URLSuffix}"}),
            "the regional DMS principal reads secrets"
        );
    }
}

#[test]
fn the_account_wide_dms_roles_are_conditional_and_exactly_named() {
    let doc = primary("staging");
    assert_eq!(
        doc["Parameters"]["CreateDmsServiceRoles"]["AllowedValues"],
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
        let role = &doc["Resources"][id];
        assert_eq!(role["Condition"], "CreateDmsServiceRoles", "{id}");
        assert_eq!(role["Properties"]["RoleName"], name);
        assert_eq!(
            role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
            "dms.amazonaws.com"
        );
        assert!(
            role["Properties"]["ManagedPolicyArns"]
                .to_string()
                .contains(policy)
        );
        let anchor = &doc["Resources"]["MigrationServiceRolesReady"]["Metadata"]["DependsOnServiceRoles"]
            [name];
        assert_eq!(anchor["Fn::If"][0], "CreateDmsServiceRoles");
    }
    assert_eq!(
        doc["Resources"]["MigrationReplicationSubnetGroup"]["DependsOn"],
        json!(["MigrationServiceRolesReady"])
    );
}

#[test]
fn tasks_replicate_forward_with_validation_and_stand_ready_to_reverse() {
    for env in ENVS {
        let doc = primary(env);
        let forward = &doc["Resources"]["MigrationForwardTask"]["Properties"];
        let reverse = &doc["Resources"]["MigrationReverseTask"]["Properties"];
        assert_eq!(forward["MigrationType"], "full-load-and-cdc");
        assert_eq!(reverse["MigrationType"], "cdc");
        for (task, id) in [(forward, "forward"), (reverse, "reverse")] {
            let resource_id = task["ResourceIdentifier"].as_str().unwrap();
            assert_eq!(resource_id, format!("migration-{id}-{env}"));
            assert!(
                resource_id.len() <= 31
                    && resource_id.starts_with(|c: char| c.is_ascii_alphabetic())
            );
            let mappings: Value =
                serde_json::from_str(task["TableMappings"].as_str().unwrap()).unwrap();
            assert_eq!(mappings["rules"][0]["rule-type"], "selection");
            let settings: Value =
                serde_json::from_str(task["ReplicationTaskSettings"].as_str().unwrap()).unwrap();
            assert_eq!(settings["ValidationSettings"]["EnableValidation"], true);
            assert_eq!(settings["Logging"]["EnableLogging"], true);
            assert!(settings["Logging"].get("CloudWatchLogGroup").is_none());
        }
        // The reverse task runs the same pair of databases the other way round.
        assert_eq!(
            forward["SourceEndpointArn"],
            json!({"Ref": "MigrationSourceEndpoint"})
        );
        assert_eq!(
            reverse["SourceEndpointArn"],
            json!({"Ref": "MigrationReverseSourceEndpoint"})
        );
        let endpoint = |id: &str| {
            doc["Resources"][id]["Properties"]["PostgreSqlSettings"]["SecretsManagerSecretId"]
                .clone()
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
    let mappings: Value = serde_json::from_str(
        prod["Resources"]["MigrationForwardTask"]["Properties"]["TableMappings"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(mappings["rules"].as_array().unwrap().len(), 3);
    assert_eq!(mappings["rules"][2]["rule-action"], "exclude");
}

#[test]
fn service_log_groups_exist_before_the_services_write() {
    let doc = primary("dev");
    let names: Vec<&str> = resources(&doc, "AWS::Logs::LogGroup")
        .into_iter()
        .map(|(_, g)| g["Properties"]["LogGroupName"].as_str().unwrap())
        .collect();
    for expected in [
        "/aws/rds/cluster/payment-migration-production-db-dev/postgresql",
        "/aws/rds/cluster/payment-migration-migration-db-dev/postgresql",
        "dms-tasks-payment-migration-replication-dev",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    assert_eq!(
        doc["Resources"]["DatabaseMigrationCluster"]["Properties"]["DBClusterIdentifier"],
        "payment-migration-migration-db-dev"
    );
}

#[test]
fn postgres_reaches_the_clusters_only_from_the_tiers_that_need_it() {
    let doc = primary("prod");
    let rules = resources(&doc, "AWS::EC2::SecurityGroupIngress");
    let to_migration: Vec<&Value> = rules
        .iter()
        .map(|(_, r)| &r["Properties"])
        .filter(|p| {
            p["GroupId"]
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
            .all(|p| p["FromPort"] == 5432 && p["ToPort"] == 5432)
    );
    assert!(
        sources.iter().any(|s| s.contains("172.16.20.0/24")),
        "the spec's application network"
    );
    assert!(
        doc["Resources"]
            .get("NetworkProductionDatabaseSecurityGroup")
            .is_none(),
        "no production cluster"
    );
}

#[test]
fn parameter_store_records_what_later_layers_need() {
    let doc = primary("dev");
    let names: Vec<&str> = resources(&doc, "AWS::SSM::Parameter")
        .into_iter()
        .map(|(_, p)| p["Properties"]["Name"].as_str().unwrap())
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
        assert!(doc["Outputs"][output].is_object(), "{output}");
    }
}
