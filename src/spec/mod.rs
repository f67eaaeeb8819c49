//! Environment specs: the YAML a platform team edits ([`model`]), its validation ([`validate`]), and the
//! validated [`Environment`] the layers are built from. The shipped specs are embedded in the binary so
//! `migen render --env dev` works from any directory.

pub mod model;
pub mod regions;
mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use ipnet::Ipv4Net;

pub use model::{Egress, PciScope, SpecFile};
pub use validate::MAX_ENVIRONMENT_LEN;

/// The specs in `specs/`, by environment name, compiled into the binary.
pub const SHIPPED: &[(&str, &str)] = &[
    ("dev", include_str!("../../specs/dev.yaml")),
    ("staging", include_str!("../../specs/staging.yaml")),
    ("prod", include_str!("../../specs/prod.yaml")),
];

/// A validated environment: every CIDR parsed and non-overlapping, every name within AWS's limits.
#[derive(Clone, Debug)]
pub struct Environment {
    pub name: String,
    pub primary_region: String,
    pub secondary_regions: Vec<String>,
    pub pci_scope: PciScope,
    /// The spec's tags by CloudFormation key (`Repository`, `CommitAuthor`, `CostCentre`, extras).
    pub tags: BTreeMap<String, String>,
    pub network: Network,
    pub operations_email: String,
    pub log_retention_days: u32,
}

impl Environment {
    /// Every region the environment deploys to, primary first.
    pub fn regions(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.primary_region.as_str())
            .chain(self.secondary_regions.iter().map(String::as_str))
    }
}

#[derive(Clone, Debug)]
pub struct Network {
    pub production_vpc: VpcLayout,
    pub migration_vpc: VpcLayout,
    pub on_premises_cidr: Ipv4Net,
    pub on_premises_attachment_id: Option<String>,
    pub egress: Egress,
}

/// A VPC's CIDR and its subnets, one public and one private per Availability Zone.
#[derive(Clone, Debug)]
pub struct VpcLayout {
    pub cidr: Ipv4Net,
    pub public_subnets: Vec<Ipv4Net>,
    pub private_subnets: Vec<Ipv4Net>,
}

/// Values from the process environment that take precedence over the spec, so a pipeline can deploy one spec
/// under another name or stamp the commit it deploys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `ENVIRONMENT_SUFFIX`
    pub environment: Option<String>,
    /// `REPOSITORY`
    pub repository: Option<String>,
    /// `COMMIT_AUTHOR`
    pub commit_author: Option<String>,
}

impl Overrides {
    pub fn from_process_env() -> Self {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        Overrides {
            environment: var("ENVIRONMENT_SUFFIX"),
            repository: var("REPOSITORY"),
            commit_author: var("COMMIT_AUTHOR"),
        }
    }
}

/// One thing wrong with a spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Path of the field, e.g. `network.production_vpc_cidr`.
    pub field: String,
    pub value: String,
    /// What the field accepts.
    pub allowed: String,
}

/// Why a spec cannot be used: the file, and every problem found in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError {
    pub file: String,
    pub kind: SpecErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpecErrorKind {
    /// The file could not be read.
    Unreadable(String),
    /// Not YAML, or YAML that does not fit the spec's shape (unknown field, wrong type, missing field).
    Malformed {
        field: Option<String>,
        message: String,
    },
    /// Well-formed, but values AWS or PCI DSS would not accept.
    Invalid(Vec<Problem>),
    /// `--env` named no shipped spec.
    UnknownEnvironment { name: String },
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            SpecErrorKind::Unreadable(why) => write!(f, "{}: cannot be read: {why}", self.file),
            SpecErrorKind::Malformed {
                field: Some(field),
                message,
            } => {
                write!(f, "{}: field `{field}`: {message}", self.file)
            }
            SpecErrorKind::Malformed {
                field: None,
                message,
            } => write!(f, "{}: {message}", self.file),
            SpecErrorKind::Invalid(problems) => {
                write!(f, "{}: {} problem(s):", self.file, problems.len())?;
                for p in problems {
                    write!(
                        f,
                        "\n  - field `{}` is {:?}; allowed: {}",
                        p.field, p.value, p.allowed
                    )?;
                }
                Ok(())
            }
            SpecErrorKind::UnknownEnvironment { name } => write!(
                f,
                "no shipped environment is named {name:?}; the shipped environments are {} (or pass --spec FILE)",
                SHIPPED
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

impl std::error::Error for SpecError {}

/// Parses and validates a spec. `file` names it in errors.
pub fn parse(file: &str, yaml: &str, overrides: &Overrides) -> Result<Environment, SpecError> {
    let error = |kind| SpecError {
        file: file.to_string(),
        kind,
    };
    let deserializer = serde_norway::Deserializer::from_str(yaml);
    let mut spec: SpecFile = serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let field = (path != "." && !path.is_empty()).then_some(path);
        error(SpecErrorKind::Malformed {
            field,
            message: e.into_inner().to_string(),
        })
    })?;
    if let Some(name) = &overrides.environment {
        spec.environment = name.clone();
    }
    if let Some(repository) = &overrides.repository {
        spec.tags.repository = repository.clone();
    }
    if let Some(author) = &overrides.commit_author {
        spec.tags.commit_author = author.clone();
    }
    validate::validate(spec).map_err(|mut problems| {
        for p in &mut problems {
            let source = match p.field.as_str() {
                "environment" if overrides.environment.is_some() => Some("ENVIRONMENT_SUFFIX"),
                "tags.repository" if overrides.repository.is_some() => Some("REPOSITORY"),
                "tags.commit_author" if overrides.commit_author.is_some() => Some("COMMIT_AUTHOR"),
                _ => None,
            };
            if let Some(var) = source {
                p.field = format!("{} (from ${var})", p.field);
            }
        }
        error(SpecErrorKind::Invalid(problems))
    })
}

/// Reads, parses and validates a spec file.
pub fn load_file(path: &Path, overrides: &Overrides) -> Result<Environment, SpecError> {
    let file = path.display().to_string();
    let yaml = std::fs::read_to_string(path).map_err(|e| SpecError {
        file: file.clone(),
        kind: SpecErrorKind::Unreadable(e.to_string()),
    })?;
    parse(&file, &yaml, overrides)
}

/// Parses and validates a shipped spec.
pub fn load_shipped(name: &str, overrides: &Overrides) -> Result<Environment, SpecError> {
    match SHIPPED.iter().find(|(n, _)| *n == name) {
        Some((n, yaml)) => parse(&format!("specs/{n}.yaml"), yaml, overrides),
        None => Err(SpecError {
            file: "--env".into(),
            kind: SpecErrorKind::UnknownEnvironment { name: name.into() },
        }),
    }
}

/// The JSON Schema of the spec format, for editors (`migen schema`).
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(SpecFile);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
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
        let (_, message) = malformed(&with("operations_email: ops@example.com\n", ""));
        assert!(
            message.contains("missing field `operations_email`"),
            "{message}"
        );
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
        assert!(p.allowed.contains("us-east-1"));
        let p = only_problem(&format!("secondary_regions: [ap-southeast-1]\n{VALID}"));
        assert_eq!(p.field, "secondary_regions[0]");
    }

    #[test]
    fn availability_zones_are_two_or_three() {
        let p = only_problem(&with("availability_zones: 2", "availability_zones: 4"));
        assert_eq!(
            (p.field.as_str(), p.allowed.as_str()),
            ("network.availability_zones", "2 or 3")
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
            "specs/x.yaml: 1 problem(s):\n  - field `network.availability_zones` is \"4\"; allowed: 2 or 3"
        );
        let err = load_shipped("qa", &Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("dev, staging, prod"));
    }
}
