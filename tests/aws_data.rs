//! src/spec/aws_data.rs is what `scripts/aws-data` makes of the pinned cfn-lint, it covers every resource type
//! migen emits, and the lookups over it give known answers.
//!
//! The generator runs with the Python that `scripts/tools` installs cfn-lint into (`.tools/venv`), or the one
//! named by `CFN_LINT_PYTHON`.

use std::path::{Path, PathBuf};
use std::process::Command;

use migen::spec::aws_data::{
    AURORA_POSTGRESQL_CLASSES_NOT_FOR_VERSION, AURORA_POSTGRESQL_CLASSES_NOT_IN_REGION,
    AURORA_POSTGRESQL_DEPRECATED, AURORA_POSTGRESQL_VERSIONS, COMMERCIAL_REGIONS, UNAVAILABLE,
};
use migen::spec::regions::{
    VersionStatus, aurora_postgresql_version_status, commercial_regions,
    offers_aurora_postgresql_class, region, runs_aurora_postgresql, unavailable_types,
};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> PathBuf {
    if let Ok(python) = std::env::var("CFN_LINT_PYTHON") {
        return PathBuf::from(python);
    }
    let python = root().join(".tools/venv/bin/python");
    assert!(
        python.is_file(),
        "cfn-lint's Python was not found at {}: run scripts/tools (or set CFN_LINT_PYTHON)",
        python.display()
    );
    python
}

/// Runs one of the generators that read the pinned cfn-lint (`scripts/<script> <args>`) and returns what it
/// printed, failing the test with its error output when it fails.
fn generator(script: &str, args: &[&str]) -> Vec<u8> {
    let output = Command::new(root().join("scripts").join(script))
        .args(args)
        .current_dir(root())
        .env("CFN_LINT_PYTHON", python())
        .output()
        .unwrap_or_else(|e| panic!("scripts/{script} runs: {e}"));
    assert!(
        output.status.success(),
        "scripts/{script} {} failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[test]
#[ignore = "runs the pinned cfn-lint that scripts/tools installs; scripts/test runs it"]
fn generated_data_is_what_the_pinned_cfn_lint_gives() {
    let fresh = generator("aws-data", &["--output", "-"]);
    let committed =
        std::fs::read(root().join("src/spec/aws_data.rs")).expect("src/spec/aws_data.rs");
    if committed != fresh {
        let fresh = String::from_utf8_lossy(&fresh);
        let committed = String::from_utf8_lossy(&committed);
        let first = fresh
            .lines()
            .zip(committed.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| fresh.lines().count().min(committed.lines().count()));
        panic!(
            "src/spec/aws_data.rs is not what the pinned cfn-lint gives (first difference at line {}): \
             run scripts/aws-data",
            first + 1
        );
    }
}

#[test]
#[ignore = "runs the pinned cfn-lint that scripts/tools installs; scripts/test runs it"]
fn generated_iam_actions_are_what_the_pinned_cfn_lint_gives() {
    let fresh = generator("iam-actions", &["--output", "-"]);
    let committed =
        std::fs::read(root().join("src/policy/iam_actions.rs")).expect("src/policy/iam_actions.rs");
    assert!(
        committed == fresh,
        "src/policy/iam_actions.rs is not what the pinned cfn-lint gives: run scripts/iam-actions"
    );
}

#[test]
#[ignore = "runs the pinned cfn-lint that scripts/tools installs; scripts/test runs it"]
fn generated_resource_types_are_what_the_pinned_schemas_give() {
    // `--check` exits non-zero, naming each stale file, when src/resources/generated/ is not what the pinned
    // cfn-lint's schemas and src/resources/types.toml give: run scripts/resource-types.
    generator("resource-types", &["--check"]);
}

#[test]
fn generated_tables_name_only_commercial_regions_and_are_sorted() {
    let names: Vec<&str> = commercial_regions().collect();
    assert!(names.windows(2).all(|w| w[0] < w[1]), "{names:?}");
    for (type_name, regions) in UNAVAILABLE {
        assert!(
            !regions.is_empty() && regions.len() < names.len(),
            "{type_name}"
        );
        assert!(
            regions.iter().all(|r| names.contains(r)),
            "{type_name}: {regions:?}"
        );
    }
    for (r, _) in AURORA_POSTGRESQL_CLASSES_NOT_IN_REGION {
        assert!(names.contains(r), "{r}");
    }
    for (v, _) in AURORA_POSTGRESQL_CLASSES_NOT_FOR_VERSION {
        assert!(
            AURORA_POSTGRESQL_VERSIONS.contains(v) || AURORA_POSTGRESQL_DEPRECATED.contains(v),
            "{v}"
        );
    }
}

#[test]
fn regions_and_availability_zones() {
    assert_eq!(region("us-west-1").map(|r| r.availability_zones), Some(2));
    assert_eq!(region("us-east-1").map(|r| r.availability_zones), Some(6));
    assert_eq!(
        region("ap-southeast-2").map(|r| r.availability_zones),
        Some(3)
    );
    assert!(region("ap-east-2").is_some());
    assert!(region("ap-southeast-6").is_some());
    // cfn-lint has no resource schemas for me-south-1, so nothing is known of what it offers.
    assert!(region("me-south-1").is_none());
    for other in [
        "cn-north-1",
        "us-gov-west-1",
        "us-iso-east-1",
        "eusc-de-east-1",
        "mars-1",
    ] {
        assert!(region(other).is_none(), "{other}");
    }
    let two: Vec<&str> = COMMERCIAL_REGIONS
        .iter()
        .filter(|r| r.availability_zones < 3)
        .map(|r| r.name)
        .collect();
    assert_eq!(two, ["us-west-1"]);
}

#[test]
fn dms_is_missing_where_cfn_lint_says() {
    let dms = [
        "AWS::DMS::ReplicationSubnetGroup",
        "AWS::DMS::ReplicationInstance",
        "AWS::DMS::Endpoint",
    ];
    assert_eq!(
        unavailable_types("ap-southeast-3", dms),
        dms,
        "ap-southeast-3 lacks DMS"
    );
    assert!(unavailable_types("ap-southeast-1", dms).is_empty());
    assert!(unavailable_types("ap-southeast-2", dms).is_empty());
    assert_eq!(
        unavailable_types(
            "ap-southeast-3",
            [
                "AWS::EC2::VPC",
                "AWS::DMS::ReplicationInstance",
                "AWS::DMS::ReplicationInstance"
            ]
        ),
        ["AWS::DMS::ReplicationInstance"]
    );
    let without_dms: Vec<&str> = commercial_regions()
        .filter(|r| !unavailable_types(r, ["AWS::DMS::ReplicationInstance"]).is_empty())
        .collect();
    assert_eq!(
        without_dms,
        [
            "ap-east-2",
            "ap-south-2",
            "ap-southeast-3",
            "ap-southeast-4",
            "ap-southeast-5",
            "ap-southeast-6",
            "ap-southeast-7",
            "ca-west-1",
            "eu-central-2",
            "eu-south-2",
            "il-central-1",
            "me-central-1",
            "mx-central-1",
        ]
    );
}

#[test]
fn aurora_postgresql_versions() {
    assert_eq!(
        aurora_postgresql_version_status("17.7"),
        VersionStatus::Current
    );
    assert_eq!(
        aurora_postgresql_version_status("16.8"),
        VersionStatus::Current
    );
    assert_eq!(
        aurora_postgresql_version_status("16.6"),
        VersionStatus::Deprecated
    );
    assert_eq!(
        aurora_postgresql_version_status("17.99"),
        VersionStatus::Unknown
    );
    assert_eq!(
        aurora_postgresql_version_status("17"),
        VersionStatus::Unknown
    );
    assert_eq!(
        aurora_postgresql_version_status("16.4-limitless"),
        VersionStatus::Unknown
    );
}

#[test]
fn aurora_postgresql_instance_classes() {
    assert!(!runs_aurora_postgresql("db.t3.micro", "17.7"));
    assert!(runs_aurora_postgresql("db.r7g.large", "17.7"));
    assert!(runs_aurora_postgresql("db.serverless", "17.7"));
    // Aurora PostgreSQL 17 does not run on the r4 family; 11.9 predates Serverless v2.
    assert!(!runs_aurora_postgresql("db.r4.large", "17.7"));
    assert!(!runs_aurora_postgresql("db.serverless", "11.9"));
    assert!(runs_aurora_postgresql("db.r4.large", "17"));

    assert!(offers_aurora_postgresql_class(
        "ap-southeast-2",
        "db.r7g.large"
    ));
    assert!(offers_aurora_postgresql_class(
        "ap-southeast-2",
        "db.serverless"
    ));
    assert!(!offers_aurora_postgresql_class(
        "ap-southeast-2",
        "db.t3.micro"
    ));
    assert!(!offers_aurora_postgresql_class(
        "il-central-1",
        "db.t4g.medium"
    ));
    assert!(!offers_aurora_postgresql_class(
        "me-south-1",
        "db.r7g.large"
    ));
}
