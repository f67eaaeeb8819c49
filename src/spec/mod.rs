//! Environment specs: the YAML a platform team edits ([`model`]), its validation (`validate`), and the
//! validated [`Environment`] the layers are built from. The shipped specs are embedded in the binary so
//! `migen render --env dev` works from any directory.

pub mod aws_data;
mod check;
pub mod model;
mod pem;
pub mod regions;
mod validate;
mod validate_api;
mod validate_database;
mod validate_orchestration;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use ipnet::Ipv4Net;

pub use model::{Egress, ParameterStoreThroughput, PciScope, SourceKind, SpecFile};
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
    pub secondary_regions: Vec<SecondaryRegion>,
    pub pci_scope: PciScope,
    /// The spec's tags by CloudFormation key (`Repository`, `CommitAuthor`, `CostCentre`, extras).
    pub tags: BTreeMap<String, String>,
    pub network: Network,
    pub database: Database,
    pub migration: Migration,
    pub api: Api,
    pub orchestration: Orchestration,
    pub operations_email: String,
    pub log_retention_days: u32,
}

impl Environment {
    /// Every region the environment deploys to, primary first.
    pub fn regions(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.primary_region.as_str())
            .chain(self.secondary_regions.iter().map(|s| s.region.as_str()))
    }
}

/// A region holding a secondary member of the global database, in a VPC of its own.
#[derive(Clone, Debug)]
pub struct SecondaryRegion {
    pub region: String,
    pub vpc: VpcLayout,
}

#[derive(Clone, Debug)]
pub struct Database {
    pub engine_version: String,
    pub engine_major: u32,
    pub database_name: String,
    pub master_username: String,
    pub backup_retention_days: u32,
    pub deletion_protection: bool,
    pub credential_rotation_days: u32,
    pub application_cidrs: Vec<Ipv4Net>,
    pub migration: Cluster,
}

impl Database {
    /// The cluster parameter group family of the engine version, e.g. `aurora-postgresql17`.
    pub fn parameter_group_family(&self) -> String {
        format!("aurora-postgresql{}", self.engine_major)
    }
}

#[derive(Clone, Debug)]
pub struct Cluster {
    pub readers: u8,
    pub capacity: Capacity,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Capacity {
    Provisioned(String),
    ServerlessV2 { min_acu: f64, max_acu: f64 },
}

impl Capacity {
    /// The class of the cluster's instances (`db.serverless` for Serverless v2).
    pub fn instance_class(&self) -> &str {
        match self {
            Capacity::Provisioned(class) => class,
            Capacity::ServerlessV2 { .. } => "db.serverless",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Migration {
    pub replication_instance_class: String,
    pub allocated_storage_gb: u32,
    pub engine_version: String,
    pub multi_az: bool,
    pub source: Source,
    /// Selection rules in order: includes, then excludes.
    pub tables: Vec<TableRule>,
    pub max_cdc_latency_seconds: u32,
    /// Where DMS keeps its control tables on both sides, loopback prevention's among them.
    pub control_schema: String,
}

/// The payment API: where the load balancer's certificate points and the two sides the authorizer routes to.
#[derive(Clone, Debug)]
pub struct Api {
    pub host_name: String,
    pub certificate_arn: String,
    pub production: Backend,
    pub migration: Backend,
    pub health_check_path: String,
    pub peak_requests_per_second: u32,
    pub settings_ttl_seconds: u32,
    pub lambda_concurrency_quota: u32,
    pub parameter_store_throughput: ParameterStoreThroughput,
    pub token_rotation_window_minutes: u32,
    pub settings_max_staleness_seconds: u32,
    pub token_max_staleness_seconds: u32,
}

/// The migration workflow's pace and bounds, validated (see `OrchestrationSpec`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Orchestration {
    pub traffic_steps: Vec<u32>,
    pub bake_minutes: u32,
    pub approval_timeout_hours: u32,
    pub full_load_timeout_hours: u32,
    pub cdc_catch_up_minutes: u32,
    pub validation_timeout_minutes: u32,
}

/// One side's application instances.
#[derive(Clone, Debug, PartialEq)]
pub struct Backend {
    pub addresses: Vec<std::net::Ipv4Addr>,
    pub port: u16,
}

/// Where DMS reads from before cutover (and writes to after it, through the reverse task).
#[derive(Clone, Debug)]
pub enum Source {
    /// The production Aurora cluster this stack creates, sized as the spec's `database.production`.
    ProductionCluster(Cluster),
    External(ExternalSource),
}

#[derive(Clone, Debug)]
pub struct ExternalSource {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub secret_name: String,
    pub ca_certificate_pem: Option<String>,
}

impl ExternalSource {
    /// Where connections to the source go: the host itself (a /32) when the spec gives an address, else the
    /// on-premises network, since a host name resolves only at run time.
    pub fn network(&self, on_premises: Ipv4Net) -> Ipv4Net {
        match self.host.parse::<std::net::Ipv4Addr>() {
            Ok(address) => Ipv4Net::from(address),
            Err(_) => on_premises,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableRule {
    pub include: bool,
    pub schema: String,
    pub table: String,
}

#[derive(Clone, Debug)]
pub struct Network {
    pub production_vpc: VpcLayout,
    pub migration_vpc: VpcLayout,
    pub on_premises_cidr: Ipv4Net,
    pub on_premises_attachment_id: Option<String>,
    pub availability_zones: u8,
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
    let mut document: serde_norway::Value = serde_norway::from_str(yaml).map_err(|e| {
        error(SpecErrorKind::Malformed {
            field: None,
            message: yaml_syntax_message(&e),
        })
    })?;
    // Merge keys (`<<: *defaults`) are YAML 1.1; the parser keeps them as ordinary keys, so they are applied
    // before the spec's shape is checked. Keys written beside a merge override the merged ones.
    document.apply_merge().map_err(|e| {
        error(SpecErrorKind::Malformed {
            field: None,
            message: format!(
                "{e}; allowed: `<<` merges a mapping or a list of mappings (e.g. `<<: *defaults`)"
            ),
        })
    })?;
    let mut spec: SpecFile = serde_path_to_error::deserialize(document).map_err(|e| {
        let path = e.path().to_string();
        let parent = (path != "." && !path.is_empty()).then_some(path);
        let (field, message) = shape_message(parent, &e.into_inner().to_string());
        error(SpecErrorKind::Malformed { field, message })
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

/// The deserializer's words, said as the spec's: a missing field is named by its own path, and Rust's type
/// names become the values they allow.
fn shape_message(parent: Option<String>, message: &str) -> (Option<String>, String) {
    if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        let field = match parent {
            Some(parent) => format!("{parent}.{name}"),
            None => name.to_string(),
        };
        return (
            Some(field),
            "is missing; allowed: it is required (see specs/schema.json)".to_string(),
        );
    }
    let mut message = message.to_string();
    for (rust, allowed) in [
        ("expected u8", "expected a whole number from 0 to 255"),
        ("expected u16", "expected a whole number from 0 to 65535"),
        (
            "expected u32",
            "expected a whole number from 0 to 4294967295",
        ),
        ("expected f64", "expected a number"),
        ("expected a boolean", "expected true or false"),
    ] {
        if message.ends_with(rust) {
            // A field with bounds of its own says them, not its type's.
            let allowed = match parent.as_deref().and_then(check::range_of) {
                Some((min, max)) if rust.starts_with("expected u") => {
                    format!("expected a whole number from {min} to {max}")
                }
                _ => allowed.to_string(),
            };
            message = format!("{}{allowed}", &message[..message.len() - rust.len()]);
        }
    }
    (parent, message)
}

/// A YAML syntax error, with what is allowed where the parser's own words do not say it.
fn yaml_syntax_message(e: &serde_norway::Error) -> String {
    let message = e.to_string();
    let Some(duplicate) = message.strip_prefix("duplicate entry ") else {
        return message;
    };
    // The parser's location is where the mapping starts, not where the key repeats.
    let (key, mapping) = match (duplicate.split_once(" at line "), e.location()) {
        (Some((key, _)), Some(location)) => (
            key,
            format!(" in the mapping that starts at line {}", location.line()),
        ),
        _ => (duplicate, String::new()),
    };
    format!(
        "{} appears more than once{mapping}; allowed: each key once in a mapping (to share settings, define \
         them once with an anchor and merge them with `<<: *name`, overriding keys beside it)",
        key.replacen("with key", "the key", 1)
    )
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
mod tests;
