//! The promises the accepted edge specs of `tests/fixtures/specs/` keep: no secret reaches an artifact, the
//! source is reached on the spec's host and port only, the on-premises link has a return path, and the
//! compliance gates agree with every retention the spec format accepts.

mod common;

use std::path::Path;

use serde_json::{Value, json};

use common::{absent, array_at, at, resource, resources, str_at};

use migen::cfn::Format;
use migen::spec::{self, Overrides};

fn fixture(name: &str) -> spec::Environment {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/specs/{name}.yaml"));
    spec::load_file(&path, &Overrides::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn primary_of(env: &spec::Environment) -> Value {
    common::documents(env).remove(0).1
}

#[test]
fn no_artifact_of_any_spec_holds_a_private_key() {
    let mut scanned = 0;
    for path in common::all_spec_files() {
        let env = spec::load_file(&path, &Overrides::default()).unwrap_or_else(|e| panic!("{e}"));
        for format in [Format::Yaml, Format::Json] {
            let templates = migen::render::templates(&env, format).expect("renders");
            let artifacts =
                migen::artifacts::artifacts(&env, &path.display().to_string(), &templates, format)
                    .expect("artifacts render");
            for artifact in artifacts {
                for (n, line) in artifact.contents.lines().enumerate() {
                    let marker = line.contains("PRIVATE KEY")
                        || (line.contains("-----BEGIN ")
                            && !line.contains("-----BEGIN CERTIFICATE-----"));
                    assert!(
                        !marker,
                        "{} {}:{}: {line}",
                        path.display(),
                        artifact.path.display(),
                        n + 1
                    );
                }
                scanned += 1;
            }
        }
    }
    assert!(scanned >= 24, "artifacts scanned: {scanned}");
}

/// The rules of a security group's inline egress, each as (protocol, from, to, cidr).
fn egress(doc: &Value, group: &str) -> Vec<(String, i64, i64, String)> {
    let rules = array_at(resource(doc, group), "Properties.SecurityGroupEgress");
    assert!(!rules.is_empty(), "{group}");
    rules
        .iter()
        .map(|r| {
            (
                str_at(r, "IpProtocol").to_string(),
                at(r, "FromPort").as_i64().expect("FromPort is a number"),
                at(r, "ToPort").as_i64().expect("ToPort is a number"),
                str_at(r, "CidrIp").to_string(),
            )
        })
        .collect()
}

#[test]
fn dms_and_validation_reach_the_source_on_its_host_and_port_only() {
    // (fixture, where the source is, its port): a host name can only be the on-premises network; an address is
    // the host alone.
    for (name, destination, port) in [
        ("verify-full", "192.168.0.0/16", 6432),
        ("out-of-scope", "192.168.10.20/32", 6543),
    ] {
        let env = fixture(name);
        let doc = primary_of(&env);
        let on_premises = env.network.on_premises_cidr;
        for group in [
            "NetworkReplicationSecurityGroup",
            "NetworkValidationSecurityGroup",
        ] {
            let rules = egress(&doc, group);
            let to_source: Vec<_> = rules
                .iter()
                .filter(|(_, _, _, cidr)| {
                    cidr.parse::<ipnet::Ipv4Net>()
                        .is_ok_and(|net| on_premises.contains(&net))
                })
                .collect();
            assert_eq!(
                to_source,
                [&("tcp".to_string(), port, port, destination.to_string())],
                "{name} {group}: {rules:?}"
            );
        }
    }
}

#[test]
fn the_on_premises_attachment_is_associated_so_replies_find_their_way_back() {
    let doc = primary_of(&fixture("verify-full"));
    let association = resource(&doc, "NetworkOnPremisesTransitGatewayAssociation");
    assert_eq!(
        at(association, "Type"),
        "AWS::EC2::TransitGatewayRouteTableAssociation"
    );
    assert_eq!(
        at(association, "Properties.TransitGatewayAttachmentId"),
        "tgw-attach-0123456789abcdef0"
    );
    assert_eq!(
        at(association, "Properties.TransitGatewayRouteTableId"),
        &json!({"Ref": "NetworkTransitGatewayRouteTable"})
    );
    let route = resource(&doc, "NetworkOnPremisesTransitGatewayRoute");
    assert_eq!(
        at(route, "Properties.TransitGatewayAttachmentId"),
        "tgw-attach-0123456789abcdef0"
    );
    assert_eq!(
        at(route, "Properties.DestinationCidrBlock"),
        "192.168.0.0/16"
    );
    absent(route, "Properties.Blackhole");
    assert_eq!(
        at(route, "DependsOn"),
        &json!(["NetworkOnPremisesTransitGatewayAssociation"])
    );

    // Before the link exists (the first of the two deploys): a blackhole, and nothing to associate.
    let dev = common::primary("dev");
    let route = resource(&dev, "NetworkOnPremisesTransitGatewayRoute");
    assert_eq!(at(route, "Properties.Blackhole"), true);
    absent(route, "Properties.TransitGatewayAttachmentId");
    resource(&dev, "NetworkMigrationTransitGatewayAssociation");
    absent(&dev, "Resources.NetworkOnPremisesTransitGatewayAssociation");
}

/// Log groups of an environment, with the guard rules they suppress (none when they have no guard metadata).
fn log_group_suppressions(doc: &Value) -> Vec<(String, Vec<String>)> {
    resources(doc, "AWS::Logs::LogGroup")
        .into_iter()
        .map(|(id, group)| {
            let suppressed = match group.get("Metadata") {
                Some(metadata) => array_at(metadata, "guard.SuppressedRules")
                    .iter()
                    .map(|r| r.as_str().expect("a rule name").to_string())
                    .collect(),
                None => Vec::new(),
            };
            (id.clone(), suppressed)
        })
        .collect()
}

#[test]
fn every_accepted_retention_passes_the_gates_or_says_why_not() {
    let cases = [
        (
            primary_of(&fixture("out-of-scope")),
            vec!["MIGEN_LOG_RETENTION_AT_LEAST_365"],
        ),
        (
            primary_of(&fixture("long-retention")),
            vec!["CW_LOGGROUP_RETENTION_PERIOD_CHECK"],
        ),
        (common::primary("prod"), vec![]),
    ];
    for (doc, expected) in cases {
        for (id, suppressed) in log_group_suppressions(&doc) {
            assert_eq!(suppressed, expected, "{id}");
        }
    }
}

#[test]
fn the_dms_engine_stays_on_the_pinned_version() {
    for name in common::ENVS {
        let doc = common::primary(name);
        let instance = resource(&doc, "MigrationReplicationInstance");
        assert_eq!(
            at(instance, "Properties.AutoMinorVersionUpgrade"),
            false,
            "{name}"
        );
        assert_eq!(at(instance, "Properties.EngineVersion"), "3.5.4", "{name}");
    }
}

#[test]
fn merge_keys_apply_and_keys_beside_them_win() {
    // long-retention.yaml writes `migration: {<<: *cluster, readers: 14}`, the anchor on the production cluster.
    let env = fixture("long-retention");
    assert_eq!(env.database.migration.readers, 14);
    assert_eq!(
        env.database.migration.capacity.instance_class(),
        "db.r7g.large"
    );
    let doc = primary_of(&env);
    let instances = |prefix: &str| {
        resources(&doc, "AWS::RDS::DBInstance")
            .into_iter()
            .filter(|(id, _)| id.starts_with(prefix))
            .count()
    };
    assert_eq!(
        instances("DatabaseMigration"),
        15,
        "a writer and 14 readers"
    );
    assert_eq!(
        instances("DatabaseProduction"),
        16,
        "a writer and 15 readers"
    );
}
