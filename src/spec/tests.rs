//! Spec parsing and validation: every error names the file, the field, the value and what is allowed.
use super::*;

const VALID: &str = "\
environment: test
tags:
  repository: payments/payment-migration
  commit_author: someone
  cost_centre: payments
network:
  production_vpc_cidr: 10.10.0.0/16
  migration_vpc_cidr: 10.20.0.0/16
  on_premises_cidr: 172.16.0.0/16
  availability_zones: 2
  egress: nat_gateway_per_vpc
database:
  engine_version: \"17.7\"
  database_name: payments
  master_username: payments_admin
  backup_retention_days: 7
  deletion_protection: false
  production:
    readers: 1
    capacity:
      serverless_v2: {min_acu: 0.5, max_acu: 4}
  migration:
    readers: 2
    capacity:
      instance_class: db.r7g.large
migration:
  replication_instance_class: dms.t3.medium
  allocated_storage_gb: 50
  engine_version: \"3.5.4\"
  multi_az: false
  source:
    kind: production_aurora_cluster
  table_mappings:
    include:
      - {schema: public, table: \"%\"}
api:
  host_name: payments-api.test.example.internal
  certificate_arn: arn:aws:acm:ap-southeast-1:111122223333:certificate/0b7e3c1a-5d2f-4e8a-9c61-2f4d8a1b3c5e
  backends:
    production: {addresses: [172.16.1.10], port: 8443}
    migration: {addresses: [172.16.2.10], port: 8443}
operations_email: ops@example.com
log_retention_days: 400
";

fn with(from: &str, to: &str) -> String {
    assert!(VALID.contains(from), "{from}");
    VALID.replacen(from, to, 1)
}

fn problems(yaml: &str) -> Vec<Problem> {
    match parse("t.yaml", yaml, &Overrides::default()) {
        Err(SpecError {
            kind: SpecErrorKind::Invalid(problems),
            ..
        }) => problems,
        other => panic!("expected invalid, got {other:?}"),
    }
}

fn only_problem(yaml: &str) -> Problem {
    let mut found = problems(yaml);
    assert_eq!(found.len(), 1, "{found:?}");
    found.remove(0)
}

fn malformed(yaml: &str) -> (Option<String>, String) {
    match parse("t.yaml", yaml, &Overrides::default()) {
        Err(SpecError {
            kind: SpecErrorKind::Malformed { field, message },
            file,
        }) => {
            assert_eq!(file, "t.yaml");
            (field, message)
        }
        other => panic!("expected malformed, got {other:?}"),
    }
}

#[test]
fn the_valid_spec_parses_with_defaults_and_layout() {
    let env = parse("t.yaml", VALID, &Overrides::default()).unwrap();
    assert_eq!(env.primary_region, "ap-southeast-1");
    assert_eq!(env.pci_scope, PciScope::InScope);
    let production = &env.network.production_vpc;
    let cidrs = |nets: &[Ipv4Net]| nets.iter().map(ToString::to_string).collect::<Vec<_>>();
    assert_eq!(
        cidrs(&production.public_subnets),
        ["10.10.0.0/19", "10.10.32.0/19"]
    );
    assert_eq!(
        cidrs(&production.private_subnets),
        ["10.10.128.0/19", "10.10.160.0/19"]
    );
    assert_eq!(env.tags["CostCentre"], "payments");
}

#[test]
fn every_shipped_spec_is_valid() {
    for (name, _) in SHIPPED {
        let env = load_shipped(name, &Overrides::default()).unwrap();
        assert_eq!(env.name, *name);
    }
}

#[test]
fn unknown_fields_are_rejected_with_their_path() {
    let (field, message) = malformed(&with(
        "  availability_zones: 2",
        "  availability_zones: 2\n  nat: true",
    ));
    assert_eq!(field.as_deref(), Some("network.nat"));
    assert!(message.contains("unknown field `nat`"), "{message}");
}

#[test]
fn wrong_types_name_the_field() {
    let (field, message) = malformed(&with("availability_zones: 2", "availability_zones: two"));
    assert_eq!(field.as_deref(), Some("network.availability_zones"));
    assert!(message.contains("invalid type"), "{message}");
    let (field, _) = malformed(&with("egress: nat_gateway_per_vpc", "egress: nat"));
    assert_eq!(field.as_deref(), Some("network.egress"));
}

#[test]
fn malformed_yaml_and_missing_fields_are_reported() {
    let (_, message) = malformed("environment: [unclosed");
    assert!(!message.is_empty());
    let (field, message) = malformed(&with("operations_email: ops@example.com\n", ""));
    assert_eq!(field.as_deref(), Some("operations_email"));
    assert!(message.contains("is missing"), "{message}");
    let (field, _) = malformed(&with("  egress: nat_gateway_per_vpc\n", ""));
    assert_eq!(field.as_deref(), Some("network.egress"));
}

#[test]
fn type_errors_say_which_values_are_allowed() {
    // The field's own bounds, not its type's (0 to 255).
    let (_, message) = malformed(&with("availability_zones: 2", "availability_zones: 300"));
    assert!(message.contains("a whole number from 2 to 3"), "{message}");
    let (field, message) = malformed(&with("availability_zones: 2", "availability_zones: -1"));
    assert_eq!(field.as_deref(), Some("network.availability_zones"));
    assert!(message.contains("a whole number from 2 to 3"), "{message}");
    let (_, message) = malformed(&with(
        "deletion_protection: false",
        "deletion_protection: yes",
    ));
    assert!(message.contains("true or false"), "{message}");
}

#[test]
fn merge_keys_are_applied_and_keys_beside_them_override() {
    let yaml = with("  production:\n", "  production: &cluster\n").replacen(
        "  migration:\n    readers: 2\n    capacity:\n      instance_class: db.r7g.large\n",
        "  migration:\n    <<: *cluster\n    readers: 3\n",
        1,
    );
    let env = parse("merge.yaml", &yaml, &Overrides::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(env.database.migration.readers, 3);
    assert_eq!(
        env.database.migration.capacity,
        Capacity::ServerlessV2 {
            min_acu: 0.5,
            max_acu: 4.0
        }
    );
}

#[test]
fn a_repeated_key_names_the_key_and_what_is_allowed() {
    let (field, message) = malformed(&format!("{VALID}log_retention_days: 400\n"));
    assert_eq!(field, None);
    assert!(
        message.contains("the key \"log_retention_days\" appears more than once"),
        "{message}"
    );
    assert!(message.contains("allowed: each key once"), "{message}");
}

#[test]
fn overlapping_cidrs_are_rejected() {
    let p = only_problem(&with(
        "migration_vpc_cidr: 10.20.0.0/16",
        "migration_vpc_cidr: 10.10.128.0/17",
    ));
    assert_eq!(p.field, "network.migration_vpc_cidr");
    assert!(
        p.allowed
            .contains("does not overlap network.production_vpc_cidr"),
        "{}",
        p.allowed
    );
    let found = problems(&with(
        "on_premises_cidr: 172.16.0.0/16",
        "on_premises_cidr: 10.0.0.0/8",
    ));
    assert_eq!(found.len(), 2, "overlaps both VPCs: {found:?}");
    assert!(found.iter().all(|p| p.field == "network.on_premises_cidr"));
}

#[test]
fn cidrs_must_be_private_network_addresses_that_fit_the_subnets() {
    let p = only_problem(&with("10.10.0.0/16", "10.10.0.0/26"));
    assert!(p.allowed.contains("/16 to /25"), "{}", p.allowed);
    let p = only_problem(&with("10.10.0.0/16", "10.10.0.1/16"));
    assert!(p.allowed.contains("10.10.0.0/16"), "{}", p.allowed);
    let p = only_problem(&with("10.10.0.0/16", "8.8.0.0/16"));
    assert!(p.allowed.contains("RFC 1918"), "{}", p.allowed);
    let p = only_problem(&with("10.10.0.0/16", "not-a-cidr"));
    assert_eq!(p.value, "not-a-cidr");
}

#[test]
fn regions_must_exist() {
    let p = only_problem(&format!("primary_region: ap-southeast-9\n{VALID}"));
    assert_eq!(
        (p.field.as_str(), p.value.as_str()),
        ("primary_region", "ap-southeast-9")
    );
    assert!(p.allowed.contains("ap-southeast-1"), "{}", p.allowed);
    assert!(!p.allowed.contains("us-east-1"), "{}", p.allowed);
    let p = only_problem(&format!(
        "secondary_regions: [{{region: ap-southeast-1, vpc_cidr: 10.70.0.0/16}}]\n{VALID}"
    ));
    assert_eq!(p.field, "secondary_regions[0].region");
    let p = only_problem(&format!(
        "secondary_regions: [{{region: mars-1, vpc_cidr: 10.70.0.0/16}}]\n{VALID}"
    ));
    assert_eq!(p.value, "mars-1");
    assert!(p.allowed.contains("in all)"), "{}", p.allowed);
    assert!(p.allowed.len() < 200, "{}", p.allowed);
}

#[test]
fn availability_zones_are_two_to_three() {
    let p = only_problem(&with("availability_zones: 2", "availability_zones: 4"));
    assert_eq!(
        (p.field.as_str(), p.allowed.as_str()),
        ("network.availability_zones", "2 to 3")
    );
}

#[test]
fn log_retention_must_be_a_cloudwatch_value_and_a_year_in_pci_scope() {
    let p = only_problem(&with("log_retention_days: 400", "log_retention_days: 100"));
    assert!(p.allowed.contains("365, 400"), "{}", p.allowed);
    let p = only_problem(&with("log_retention_days: 400", "log_retention_days: 90"));
    assert!(p.allowed.contains("PCI DSS 10.5.1"), "{}", p.allowed);
    let out_of_scope = format!(
        "pci_scope: out_of_scope\n{}",
        with("log_retention_days: 400", "log_retention_days: 90")
    );
    assert!(parse("t.yaml", &out_of_scope, &Overrides::default()).is_ok());
}

#[test]
fn names_tags_and_addresses_are_checked() {
    for bad in ["Dev", "dev_1", "-dev", "dev-", "a-very-long-name", "d--v"] {
        let p = only_problem(&with("environment: test", &format!("environment: {bad:?}")));
        assert_eq!(p.field, "environment", "{bad}");
    }
    let p = only_problem(&with("ops@example.com", "not-an-address"));
    assert_eq!(p.field, "operations_email");
    let p = only_problem(&with("cost_centre: payments", "cost_centre: \"pay;ments\""));
    assert_eq!(p.field, "tags.cost_centre");
    let p = only_problem(&with(
        "cost_centre: payments",
        "cost_centre: payments\n  extra:\n    Name: x",
    ));
    assert_eq!(p.field, "tags.extra.Name");
}

#[test]
fn all_problems_are_reported_at_once() {
    let yaml = with("availability_zones: 2", "availability_zones: 5").replace("400", "2");
    assert_eq!(problems(&yaml).len(), 2);
}

#[test]
fn environment_variables_override_and_are_named_in_errors() {
    let overrides = Overrides {
        environment: Some("qa".into()),
        repository: Some("other/repo".into()),
        commit_author: None,
    };
    let env = parse("t.yaml", VALID, &overrides).unwrap();
    assert_eq!(
        (env.name.as_str(), env.tags["Repository"].as_str()),
        ("qa", "other/repo")
    );
    let bad = Overrides {
        environment: Some("Bad Name".into()),
        ..Overrides::default()
    };
    match parse("t.yaml", VALID, &bad) {
        Err(SpecError {
            kind: SpecErrorKind::Invalid(p),
            ..
        }) => assert_eq!(p[0].field, "environment (from $ENVIRONMENT_SUFFIX)"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn errors_name_file_field_value_and_what_is_allowed() {
    let err = parse(
        "specs/x.yaml",
        &with("availability_zones: 2", "availability_zones: 4"),
        &Overrides::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "specs/x.yaml: 1 problem(s):\n  - field `network.availability_zones` is \"4\"; allowed: 2 to 3"
    );
    let err = load_shipped("qa", &Overrides::default()).unwrap_err();
    assert!(err.to_string().contains("dev, staging, prod"));
}

#[test]
fn secondary_regions_get_a_vpc_that_overlaps_nothing() {
    let env = parse(
        "t.yaml",
        &format!(
            "secondary_regions: [{{region: ap-southeast-2, vpc_cidr: 10.70.0.0/16}}]\n{VALID}"
        ),
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(
        env.regions().collect::<Vec<_>>(),
        ["ap-southeast-1", "ap-southeast-2"]
    );
    assert_eq!(env.secondary_regions[0].vpc.private_subnets.len(), 2);

    let p = only_problem(&format!(
        "secondary_regions: [{{region: ap-southeast-2, vpc_cidr: 10.20.0.0/20}}]\n{VALID}"
    ));
    assert_eq!(p.field, "secondary_regions[0].vpc_cidr");
    assert!(
        p.allowed.contains("network.migration_vpc_cidr"),
        "{}",
        p.allowed
    );
    let found = problems(&format!(
        "secondary_regions: [{{region: ap-southeast-2, vpc_cidr: 10.70.0.0/16}}, \
         {{region: ap-southeast-2, vpc_cidr: 10.70.0.0/16}}]\n{VALID}"
    ));
    let fields: Vec<&str> = found.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "secondary_regions[1].region",
            "secondary_regions[1].vpc_cidr"
        ]
    );
}

#[test]
fn database_fields_are_checked() {
    let cases = [
        (
            "engine_version: \"17.7\"",
            "engine_version: \"9.6\"",
            "database.engine_version",
        ),
        (
            "engine_version: \"17.7\"",
            "engine_version: \"17\"",
            "database.engine_version",
        ),
        (
            "master_username: payments_admin",
            "master_username: rdsadmin",
            "database.master_username",
        ),
        (
            "master_username: payments_admin",
            "master_username: 1admin",
            "database.master_username",
        ),
        (
            "database_name: payments",
            "database_name: pay-ments",
            "database.database_name",
        ),
        (
            "backup_retention_days: 7",
            "backup_retention_days: 36",
            "database.backup_retention_days",
        ),
        ("readers: 1", "readers: 16", "database.production.readers"),
        (
            "serverless_v2: {min_acu: 0.5, max_acu: 4}",
            "serverless_v2: {min_acu: 0.7, max_acu: 4}",
            "database.production.capacity.serverless_v2.min_acu",
        ),
        (
            "serverless_v2: {min_acu: 0.5, max_acu: 4}",
            "serverless_v2: {min_acu: 8, max_acu: 4}",
            "database.production.capacity.serverless_v2.max_acu",
        ),
        (
            "instance_class: db.r7g.large",
            "instance_class: db.serverless",
            "database.migration.capacity.instance_class",
        ),
        (
            "instance_class: db.r7g.large",
            "instance_class: r7g.large",
            "database.migration.capacity.instance_class",
        ),
        (
            "instance_class: db.r7g.large",
            "instance_class: db.r7g.large\n      serverless_v2: {min_acu: 1, max_acu: 2}",
            "database.migration.capacity",
        ),
        (
            "deletion_protection: false",
            "deletion_protection: false\n  application_cidrs: [0.0.0.0/0]",
            "database.application_cidrs[0]",
        ),
    ];
    for (from, to, field) in cases {
        let p = only_problem(&with(from, to));
        assert_eq!(p.field, field, "{to}");
    }
    let env = parse("t.yaml", VALID, &Overrides::default()).unwrap();
    assert_eq!(env.database.parameter_group_family(), "aurora-postgresql17");
    assert_eq!(
        env.database.migration.capacity.instance_class(),
        "db.r7g.large"
    );
    match &env.migration.source {
        Source::ProductionCluster(cluster) => {
            assert_eq!(
                cluster.capacity,
                Capacity::ServerlessV2 {
                    min_acu: 0.5,
                    max_acu: 4.0
                }
            );
            assert_eq!(cluster.capacity.instance_class(), "db.serverless");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn migration_fields_are_checked() {
    let cases = [
        (
            "replication_instance_class: dms.t3.medium",
            "replication_instance_class: t3.medium",
            "migration.replication_instance_class",
        ),
        (
            "allocated_storage_gb: 50",
            "allocated_storage_gb: 4",
            "migration.allocated_storage_gb",
        ),
        (
            "engine_version: \"3.5.4\"",
            "engine_version: \"3.5\"",
            "migration.engine_version",
        ),
        (
            "{schema: public, table: \"%\"}",
            "{schema: public, table: \"a b\"}",
            "migration.table_mappings.include[0].table",
        ),
        (
            "    include:\n      - {schema: public, table: \"%\"}",
            "    include: []",
            "migration.table_mappings.include",
        ),
    ];
    for (from, to, field) in cases {
        let p = only_problem(&with(from, to));
        assert_eq!(p.field, field, "{to}");
    }
}

#[test]
fn the_source_is_exactly_one_kind() {
    let external = "kind: external_postgres
    external:
      host: 172.16.10.20
      database: payments
      secret_name: payment-migration/test/source";
    // An external source and a production cluster section: the section would be silently ignored.
    let p = only_problem(&with("kind: production_aurora_cluster", external));
    assert_eq!(
        (p.field.as_str(), p.value.as_str()),
        ("database.production", "present")
    );

    let without_production = with("kind: production_aurora_cluster", external).replace(
        "  production:\n    readers: 1\n    capacity:\n      serverless_v2: {min_acu: 0.5, max_acu: 4}\n",
        "",
    );
    let env = parse("t.yaml", &without_production, &Overrides::default()).unwrap();
    match &env.migration.source {
        Source::External(e) => assert_eq!((e.host.as_str(), e.port), ("172.16.10.20", 5432)),
        other => panic!("{other:?}"),
    }

    let found = problems(
        &without_production.replace("kind: external_postgres", "kind: production_aurora_cluster"),
    );
    let fields: Vec<&str> = found.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["database.production", "migration.source.external"]);
    let found = problems(&without_production.replace(
        "    external:\n      host: 172.16.10.20\n      database: payments\n      secret_name: payment-migration/test/source",
        "",
    ));
    assert_eq!(found[0].field, "migration.source.external");

    let p = only_problem(&without_production.replace("host: 172.16.10.20", "host: 10.99.0.1"));
    assert_eq!(p.field, "migration.source.external.host");
    assert!(p.allowed.contains("on_premises_cidr"));
    let p = only_problem(&without_production.replace(
        "secret_name: payment-migration/test/source",
        "secret_name: \"a secret\"",
    ));
    assert_eq!(p.field, "migration.source.external.secret_name");
    let p = only_problem(&without_production.replace(
        "secret_name: payment-migration/test/source",
        "secret_name: s\n      ca_certificate_pem: not a certificate",
    ));
    assert_eq!(p.field, "migration.source.external.ca_certificate_pem");

    let (field, message) = malformed(&with("kind: production_aurora_cluster", "kind: mysql"));
    assert_eq!(field.as_deref(), Some("migration.source.kind"));
    assert!(message.contains("production_aurora_cluster"), "{message}");
}
