//! Targeted assertions over the rendered documents: the promises of each layer, stated once, checked on every
//! shipped environment.

mod common;

use serde_json::{Value, json};

use common::{
    ENVS, absent, array_at, at, object_at, optional_resources, primary as document, resource,
    resources, str_at,
};

#[test]
fn nothing_is_reachable_from_the_internet() {
    for env in ENVS {
        let doc = document(env);
        for (id, subnet) in resources(&doc, "AWS::EC2::Subnet") {
            assert_eq!(
                at(subnet, "Properties.MapPublicIpOnLaunch"),
                false,
                "{env} {id}"
            );
        }
        // Every ingress rule admits exactly one source: another security group, or a private network.
        for (id, rule) in resources(&doc, "AWS::EC2::SecurityGroupIngress") {
            let p = object_at(rule, "Properties");
            let sources: Vec<&String> = p
                .keys()
                .filter(|k| {
                    [
                        "CidrIp",
                        "CidrIpv6",
                        "SourcePrefixListId",
                        "SourceSecurityGroupId",
                    ]
                    .contains(&k.as_str())
                })
                .collect();
            match sources.as_slice() {
                [source] if *source == "SourceSecurityGroupId" => {}
                [source] if *source == "CidrIp" => {
                    let cidr: ipnet::Ipv4Net = str_at(rule, "Properties.CidrIp").parse().unwrap();
                    assert!(
                        cidr.network().is_private() && cidr.broadcast().is_private(),
                        "{env} {id}: {cidr} is not a private network"
                    );
                }
                other => panic!("{env} {id}: sources {other:?}"),
            }
        }
        for (id, group) in resources(&doc, "AWS::EC2::SecurityGroup") {
            absent(group, "Properties.SecurityGroupIngress");
            assert!(
                !array_at(group, "Properties.SecurityGroupEgress").is_empty(),
                "{env} {id}"
            );
        }
    }
}

#[test]
fn one_nat_gateway_per_vpc_or_no_internet_path_at_all() {
    let dev = document("dev");
    assert_eq!(resources(&dev, "AWS::EC2::NatGateway").len(), 2);
    assert_eq!(resources(&dev, "AWS::EC2::InternetGateway").len(), 2);
    assert_eq!(
        resources(&dev, "AWS::EC2::Subnet").len(),
        8,
        "2 AZs x public and private x 2 VPCs"
    );
    let staging = document("staging");
    assert_eq!(resources(&staging, "AWS::EC2::Subnet").len(), 12, "3 AZs");

    let prod = document("prod");
    assert!(optional_resources(&prod, "AWS::EC2::NatGateway").is_empty());
    assert!(optional_resources(&prod, "AWS::EC2::InternetGateway").is_empty());
    let endpoints = resources(&prod, "AWS::EC2::VPCEndpoint");
    assert!(
        endpoints
            .iter()
            .any(|(_, e)| str_at(e, "Properties.VpcEndpointType") == "Gateway")
    );
    assert!(
        endpoints
            .iter()
            .any(|(id, _)| id.as_str() == "NetworkMigrationSecretsmanagerEndpoint")
    );
    for (id, route) in resources(&prod, "AWS::EC2::Route") {
        assert_ne!(
            at(route, "Properties.DestinationCidrBlock"),
            "0.0.0.0/0",
            "{id}"
        );
    }
}

#[test]
fn the_transit_gateway_joins_both_vpcs_and_on_premises() {
    let doc = document("dev");
    let gateways = resources(&doc, "AWS::EC2::TransitGateway");
    assert_eq!(gateways.len(), 1);
    assert_eq!(
        str_at(gateways[0].1, "Properties.DefaultRouteTableAssociation"),
        "disable"
    );
    assert_eq!(
        resources(&doc, "AWS::EC2::TransitGatewayAttachment").len(),
        2
    );
    assert_eq!(
        resources(&doc, "AWS::EC2::TransitGatewayRouteTablePropagation").len(),
        2
    );
    let on_premises = at(
        resource(&doc, "NetworkOnPremisesTransitGatewayRoute"),
        "Properties",
    );
    assert_eq!(str_at(on_premises, "DestinationCidrBlock"), "172.16.0.0/16");
    assert_eq!(
        at(on_premises, "Blackhole"),
        true,
        "no link attachment in the dev spec"
    );
    let to_tgw: Vec<_> = resources(&doc, "AWS::EC2::Route")
        .into_iter()
        .filter(|(_, r)| object_at(r, "Properties").contains_key("TransitGatewayId"))
        .collect();
    assert_eq!(
        to_tgw.len(),
        4,
        "peer VPC and on-premises routes in each VPC"
    );
    for (id, route) in to_tgw {
        assert!(
            !array_at(route, "DependsOn").is_empty(),
            "{id} waits for its attachment"
        );
    }
}

#[test]
fn stateful_resources_survive_stack_deletion_and_are_encrypted_with_the_stack_key() {
    for env in ENVS {
        let doc = document(env);
        for type_name in ["AWS::S3::Bucket", "AWS::Logs::LogGroup", "AWS::KMS::Key"] {
            for (id, r) in resources(&doc, type_name) {
                assert_eq!(str_at(r, "DeletionPolicy"), "Retain", "{env} {id}");
                assert_eq!(str_at(r, "UpdateReplacePolicy"), "Retain", "{env} {id}");
            }
        }
        let key_arn = json!({"Fn::GetAtt": ["EncryptionKey", "Arn"]});
        for (id, group) in resources(&doc, "AWS::Logs::LogGroup") {
            assert_eq!(at(group, "Properties.KmsKeyId"), &key_arn, "{env} {id}");
            let retention = at(group, "Properties.RetentionInDays").as_u64().unwrap();
            assert!(retention >= 365, "{env} {id}");
        }
        // S3 server access logging and ELB access logging deliver only to SSE-S3 buckets; every other bucket
        // uses the stack's key.
        let log_sinks = ["StorageAccessLogsBucket", "StorageLoadBalancerLogsBucket"];
        for id in log_sinks {
            resource(&doc, id);
        }
        for (id, bucket) in resources(&doc, "AWS::S3::Bucket") {
            assert_eq!(
                str_at(bucket, "Properties.VersioningConfiguration.Status"),
                "Enabled",
                "{env} {id}"
            );
            let sse = at(
                bucket,
                "Properties.BucketEncryption.ServerSideEncryptionConfiguration.0.ServerSideEncryptionByDefault",
            );
            if log_sinks.contains(&id.as_str()) {
                assert_eq!(str_at(sse, "SSEAlgorithm"), "AES256", "{env} {id}");
                absent(sse, "KMSMasterKeyID");
            } else {
                assert_eq!(str_at(sse, "SSEAlgorithm"), "aws:kms", "{env} {id}");
                assert_eq!(at(sse, "KMSMasterKeyID"), &key_arn, "{env} {id}");
            }
        }
        for (id, topic) in resources(&doc, "AWS::SNS::Topic") {
            assert_eq!(
                at(topic, "Properties.KmsMasterKeyId"),
                &key_arn,
                "{env} {id}"
            );
        }
        for (id, key) in resources(&doc, "AWS::KMS::Key") {
            assert_eq!(at(key, "Properties.EnableKeyRotation"), true, "{env} {id}");
        }
    }
}

#[test]
fn data_buckets_replicate_and_refuse_plain_http() {
    let doc = document("dev");
    for id in ["StorageCheckpointsBucket", "StorageRollbackStateBucket"] {
        let rule = at(
            resource(&doc, id),
            "Properties.ReplicationConfiguration.Rules.0",
        );
        assert_eq!(str_at(rule, "Status"), "Enabled", "{id}");
        assert_eq!(
            str_at(rule, "DeleteMarkerReplication.Status"),
            "Enabled",
            "{id}"
        );
    }
    // Every bucket is the subject of a policy that denies requests without TLS.
    let tls_only: Vec<&Value> = resources(&doc, "AWS::S3::BucketPolicy")
        .into_iter()
        .filter(|(_, p)| {
            array_at(p, "Properties.PolicyDocument.Statement")
                .iter()
                .any(|s| {
                    s.get("Effect").is_some_and(|e| e == "Deny")
                        && s.pointer("/Condition/Bool/aws:SecureTransport")
                            .is_some_and(|v| v == false)
                })
        })
        .map(|(_, p)| at(p, "Properties.Bucket"))
        .collect();
    for (id, _) in resources(&doc, "AWS::S3::Bucket") {
        assert!(
            tls_only.contains(&&json!({"Ref": id})),
            "{id} has no TLS-only bucket policy"
        );
    }
}

#[test]
fn every_taggable_resource_carries_environment_name_and_spec_tags() {
    let prod = document("prod");
    let mut tagged = 0;
    for (id, r) in object_at(&prod, "Resources") {
        let Some(tags) = r.pointer("/Properties/Tags") else {
            continue;
        };
        tagged += 1;
        let value = |key: &str| match tags {
            Value::Array(list) => list
                .iter()
                .find(|t| t["Key"] == key)
                .map(|t| t["Value"].clone()),
            Value::Object(map) => map.get(key).cloned(),
            _ => None,
        };
        assert_eq!(value("Environment"), Some("prod".into()), "{id}");
        assert!(
            value("Name").is_some_and(|n| n.as_str().unwrap().ends_with("-prod")),
            "{id}"
        );
        assert_eq!(
            value("CostCentre"),
            Some("payments-platform".into()),
            "{id}"
        );
        assert_eq!(value("DataClassification"), Some("pci-cde".into()), "{id}");
    }
    assert!(tagged > 40, "{tagged}");

    let taggable: Vec<&str> = migen::resources::catalog()
        .into_iter()
        .filter(|e| e.taggable)
        .map(|e| e.type_name)
        .collect();
    for (id, r) in object_at(&prod, "Resources") {
        if taggable.contains(&str_at(r, "Type")) {
            assert!(
                r.pointer("/Properties/Tags").is_some(),
                "{id} is taggable but untagged"
            );
        }
    }
}

#[test]
fn parameter_store_hierarchy_and_outputs() {
    let doc = document("staging");
    let names: Vec<&str> = resources(&doc, "AWS::SSM::Parameter")
        .into_iter()
        .map(|(_, p)| str_at(p, "Properties.Name"))
        .collect();
    for expected in [
        "/migration/staging/workflow/enable-cutover",
        "/migration/staging/workflow/traffic-split-percentage",
        "/migration/staging/workflow/phase",
    ] {
        assert!(names.contains(&expected), "{names:?}");
    }
    let split = at(
        resource(&doc, "ConfigurationWorkflowTrafficSplitPercentageParameter"),
        "Properties",
    );
    assert_eq!(str_at(split, "Value"), "0");
    // SSM enforces the pattern on every later PutParameter, so a workflow cannot write 150 or -1.
    assert_eq!(str_at(split, "AllowedPattern"), "^([0-9]|[1-9][0-9]|100)$");
    for output in [
        "ProductionVpcId",
        "MigrationVpcId",
        "TransitGatewayId",
        "CheckpointsBucketName",
        "RollbackBucketName",
    ] {
        assert!(
            at(&doc, ["Outputs", output, "Value"]).is_object(),
            "{output}"
        );
    }
}

/// The services the key policy lets use the key, and the Sids of its statements.
fn key_policy(doc: &Value) -> (Vec<String>, Vec<String>) {
    let key = resource(doc, "EncryptionKey");
    let statements = array_at(key, "Properties.KeyPolicy.Statement");
    let sids = statements
        .iter()
        .map(|s| str_at(s, "Sid").to_string())
        .collect();
    let via = statements
        .iter()
        .filter(|s| at(s, "Sid") == "UseThroughStackServices")
        .flat_map(|s| array_at(s, ["Condition", "StringEquals", "kms:ViaService"]).iter())
        .map(|v| {
            let sub = str_at(v, "Fn::Sub");
            sub.split('.').next().unwrap_or(sub).to_string()
        })
        .collect();
    (via, sids)
}

#[test]
fn the_key_policy_grants_exactly_what_the_layers_registered() {
    let envs = ["dev", "prod"];
    for name in envs {
        let documents = common::rendered(name);
        let (via, sids) = key_policy(&documents[0].1);
        assert_eq!(
            via,
            [
                "dms",
                "lambda",
                "rds",
                "s3",
                "secretsmanager",
                "sns",
                "states"
            ],
            "{name}"
        );
        assert_eq!(
            sids,
            [
                "KeyAdministration",
                "UseThroughStackServices",
                "CloudWatchLogsEncryptsLogGroups",
                "CloudWatchAlarmsPublishToEncryptedTopic",
                "LogDeliveryDecryptsStateMachineData",
            ],
            "{name}"
        );
        if let Some((region, secondary)) = documents.get(1) {
            // A secondary region holds a database cluster, log groups, and the topic its lag alarm pages through.
            let (via, sids) = key_policy(secondary);
            assert_eq!(via, ["rds", "sns"], "{name} {region}");
            assert_eq!(
                sids,
                [
                    "KeyAdministration",
                    "UseThroughStackServices",
                    "CloudWatchLogsEncryptsLogGroups",
                    "CloudWatchAlarmsPublishToEncryptedTopic",
                ],
                "{name} {region}"
            );
        }
    }
    assert_eq!(
        common::rendered("prod").len(),
        2,
        "prod has a secondary region"
    );
}
