//! Targeted assertions over the rendered documents: the promises of each layer, stated once, checked on every
//! shipped environment.

mod common;

use serde_json::Value;

use common::{ENVS, primary as document, resources};

#[test]
fn nothing_is_reachable_from_the_internet() {
    for env in ENVS {
        let doc = document(env);
        for (id, subnet) in resources(&doc, "AWS::EC2::Subnet") {
            assert_eq!(
                subnet["Properties"]["MapPublicIpOnLaunch"], false,
                "{env} {id}"
            );
        }
        for (id, rule) in resources(&doc, "AWS::EC2::SecurityGroupIngress") {
            assert_ne!(rule["Properties"]["CidrIp"], "0.0.0.0/0", "{env} {id}");
        }
        for (id, group) in resources(&doc, "AWS::EC2::SecurityGroup") {
            assert!(
                group["Properties"].get("SecurityGroupIngress").is_none(),
                "{env} {id}"
            );
            assert!(
                !group["Properties"]["SecurityGroupEgress"]
                    .as_array()
                    .unwrap()
                    .is_empty(),
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
    assert!(resources(&prod, "AWS::EC2::NatGateway").is_empty());
    assert!(resources(&prod, "AWS::EC2::InternetGateway").is_empty());
    let endpoints = resources(&prod, "AWS::EC2::VPCEndpoint");
    assert!(
        endpoints
            .iter()
            .any(|(_, e)| e["Properties"]["VpcEndpointType"] == "Gateway")
    );
    assert!(
        endpoints
            .iter()
            .any(|(id, _)| id.as_str() == "NetworkMigrationSecretsmanagerEndpoint")
    );
    for (_, route) in resources(&prod, "AWS::EC2::Route") {
        assert_ne!(route["Properties"]["DestinationCidrBlock"], "0.0.0.0/0");
    }
}

#[test]
fn the_transit_gateway_joins_both_vpcs_and_on_premises() {
    let doc = document("dev");
    let tgw = &resources(&doc, "AWS::EC2::TransitGateway")[0].1["Properties"];
    assert_eq!(tgw["DefaultRouteTableAssociation"], "disable");
    assert_eq!(
        resources(&doc, "AWS::EC2::TransitGatewayAttachment").len(),
        2
    );
    assert_eq!(
        resources(&doc, "AWS::EC2::TransitGatewayRouteTablePropagation").len(),
        2
    );
    let on_premises = &doc["Resources"]["NetworkOnPremisesTransitGatewayRoute"]["Properties"];
    assert_eq!(on_premises["DestinationCidrBlock"], "172.16.0.0/16");
    assert_eq!(
        on_premises["Blackhole"], true,
        "no link attachment in the dev spec"
    );
    let to_tgw: Vec<_> = resources(&doc, "AWS::EC2::Route")
        .into_iter()
        .filter(|(_, r)| r["Properties"].get("TransitGatewayId").is_some())
        .collect();
    assert_eq!(
        to_tgw.len(),
        4,
        "peer VPC and on-premises routes in each VPC"
    );
    for (id, route) in to_tgw {
        assert!(
            route["DependsOn"].as_array().is_some_and(|d| !d.is_empty()),
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
                assert_eq!(r["DeletionPolicy"], "Retain", "{env} {id}");
                assert_eq!(r["UpdateReplacePolicy"], "Retain", "{env} {id}");
            }
        }
        let key_arn = serde_json::json!({"Fn::GetAtt": ["EncryptionKey", "Arn"]});
        for (id, group) in resources(&doc, "AWS::Logs::LogGroup") {
            assert_eq!(group["Properties"]["KmsKeyId"], key_arn, "{env} {id}");
            assert!(
                group["Properties"]["RetentionInDays"].as_u64().unwrap() >= 365,
                "{env} {id}"
            );
        }
        for (id, bucket) in resources(&doc, "AWS::S3::Bucket") {
            let p = &bucket["Properties"];
            assert_eq!(
                p["VersioningConfiguration"]["Status"], "Enabled",
                "{env} {id}"
            );
            let sse = &p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"];
            if id.as_str() != "StorageAccessLogsBucket" {
                assert_eq!(sse["KMSMasterKeyID"], key_arn, "{env} {id}");
            }
        }
        let topic = &resources(&doc, "AWS::SNS::Topic")[0].1["Properties"];
        assert_eq!(topic["KmsMasterKeyId"], key_arn);
        assert_eq!(
            resources(&doc, "AWS::KMS::Key")[0].1["Properties"]["EnableKeyRotation"],
            true
        );
    }
}

#[test]
fn data_buckets_replicate_and_refuse_plain_http() {
    let doc = document("dev");
    for id in ["StorageCheckpointsBucket", "StorageRollbackStateBucket"] {
        let rule = &doc["Resources"][id]["Properties"]["ReplicationConfiguration"]["Rules"][0];
        assert_eq!(rule["Status"], "Enabled", "{id}");
        assert_eq!(rule["DeleteMarkerReplication"]["Status"], "Enabled", "{id}");
    }
    let buckets = resources(&doc, "AWS::S3::Bucket").len();
    let tls_only = resources(&doc, "AWS::S3::BucketPolicy")
        .into_iter()
        .filter(|(_, p)| {
            p["Properties"]["PolicyDocument"]["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| {
                    s["Effect"] == "Deny" && s["Condition"]["Bool"]["aws:SecureTransport"] == false
                })
        })
        .count();
    assert_eq!(tls_only, buckets);
}

#[test]
fn every_taggable_resource_carries_environment_name_and_spec_tags() {
    let prod = document("prod");
    let mut tagged = 0;
    for (id, r) in prod["Resources"].as_object().unwrap() {
        let Some(tags) = r["Properties"].get("Tags") else {
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
    for (id, r) in prod["Resources"].as_object().unwrap() {
        if taggable.contains(&r["Type"].as_str().unwrap()) {
            assert!(
                r["Properties"].get("Tags").is_some(),
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
        .map(|(_, p)| p["Properties"]["Name"].as_str().unwrap())
        .collect();
    for expected in [
        "/migration/staging/workflow/enable-cutover",
        "/migration/staging/workflow/traffic-split-percentage",
        "/migration/staging/workflow/phase",
    ] {
        assert!(names.contains(&expected), "{names:?}");
    }
    let split =
        &doc["Resources"]["ConfigurationWorkflowTrafficSplitPercentageParameter"]["Properties"];
    assert_eq!(split["Value"], "0");
    // SSM enforces the pattern on every later PutParameter, so a workflow cannot write 150 or -1.
    assert_eq!(split["AllowedPattern"], "^([0-9]|[1-9][0-9]|100)$");
    for output in [
        "ProductionVpcId",
        "MigrationVpcId",
        "TransitGatewayId",
        "CheckpointsBucketName",
        "RollbackBucketName",
    ] {
        assert!(doc["Outputs"][output]["Value"].is_object(), "{output}");
    }
}
