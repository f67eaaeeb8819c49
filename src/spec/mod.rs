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
    /// The environment's name, after any `ENVIRONMENT_SUFFIX`: the suffix of every physical name, so at most
    /// [`MAX_ENVIRONMENT_LEN`] characters.
    pub name: String,
    /// The region of the main stack: both VPCs, DMS, the payment API and the workflows.
    pub primary_region: String,
    /// Regions holding a secondary member of the global database, in spec order; empty when the environment has no
    /// global database.
    pub secondary_regions: Vec<SecondaryRegion>,
    /// Whether the environment holds cardholder data; only out of scope may log retention stay under 365 days.
    pub pci_scope: PciScope,
    /// The spec's tags by CloudFormation key (`Repository`, `CommitAuthor`, `CostCentre`, extras).
    pub tags: BTreeMap<String, String>,
    /// The VPCs' layouts, the on-premises side of the Transit Gateway, and how private subnets reach out.
    pub network: Network,
    /// The Aurora PostgreSQL settings the clusters share, and the migration cluster's sizing.
    pub database: Database,
    /// DMS: the replication instance, the source it reads and the tables it replicates.
    pub migration: Migration,
    /// The payment API and the two backends its authorizer splits traffic between.
    pub api: Api,
    /// The migration workflow's traffic steps, bakes and timeouts.
    pub orchestration: Orchestration,
    /// Address subscribed to the operations topic (alarms, approvals, failures): one SNS can deliver to.
    pub operations_email: String,
    /// Retention of every log group, one of CloudWatch Logs' values; at least 365 days while in PCI scope (PCI DSS
    /// 10.5.1).
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
    /// The region's name: a commercial region, neither the primary nor another secondary.
    pub region: String,
    /// The region's database VPC, laid out over as many Availability Zones as the primary region's VPCs.
    pub vpc: VpcLayout,
}

/// The validated database section: what the clusters share, and the migration cluster's sizing (the production
/// cluster's, when the stack creates one, is in [`Source::ProductionCluster`]).
#[derive(Clone, Debug)]
pub struct Database {
    /// Aurora PostgreSQL version, `MAJOR.MINOR`, one the pinned cfn-lint's data lists as current (not deprecated).
    pub engine_version: String,
    /// The major of `engine_version`, 14 to 17; it names the cluster parameter group family.
    pub engine_major: u32,
    /// Database created in each of the stack's clusters; on the migration cluster, the one DMS writes into.
    pub database_name: String,
    /// Master role name, not one PostgreSQL or RDS reserves; its password is generated into Secrets Manager and
    /// rotated.
    pub master_username: String,
    /// Days of automated backups, 1 to 35 (RDS's limits).
    pub backup_retention_days: u32,
    /// Whether the clusters and the global database refuse deletion; off only where an environment is thrown away.
    pub deletion_protection: bool,
    /// Days between rotations of the master password, 1 to 365.
    pub credential_rotation_days: u32,
    /// Application networks the clusters' security groups admit on 5432: private, each once (EC2 refuses a repeated
    /// rule and the deploy fails).
    pub application_cidrs: Vec<Ipv4Net>,
    /// The migration cluster's sizing; each secondary region's cluster has as many instances of the same class.
    pub migration: Cluster,
}

impl Database {
    /// The cluster parameter group family of the engine version, e.g. `aurora-postgresql17`.
    pub fn parameter_group_family(&self) -> String {
        format!("aurora-postgresql{}", self.engine_major)
    }
}

/// An Aurora cluster's size: its readers and the capacity every instance, the writer's included, is given.
#[derive(Clone, Debug)]
pub struct Cluster {
    /// Reader instances besides the writer, 0 to 15 (Aurora's limit).
    pub readers: u8,
    /// The capacity of each of the cluster's instances.
    pub capacity: Capacity,
}

/// How a cluster's instances are sized: a provisioned class, or a Serverless v2 range.
#[derive(Clone, Debug, PartialEq)]
pub enum Capacity {
    /// A provisioned instance class such as `db.r7g.large`, one that runs the engine version and that every region
    /// running the cluster offers.
    Provisioned(String),
    /// Aurora Serverless v2, scaling between the bounds, in Aurora capacity units and steps of 0.5.
    ServerlessV2 {
        /// Lowest capacity, 0.5 to 256.
        min_acu: f64,
        /// Highest capacity, 1 to 256 and at least `min_acu`.
        max_acu: f64,
    },
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

/// The validated DMS settings: the replication instance, the source, and what the tasks replicate.
#[derive(Clone, Debug)]
pub struct Migration {
    /// DMS replication instance class, `dms.<family>.<size>` (e.g. `dms.r6i.large`).
    pub replication_instance_class: String,
    /// Replication instance storage in GiB, 5 to 6144 (DMS's limits).
    pub allocated_storage_gb: u32,
    /// DMS engine version, `MAJOR.MINOR.PATCH`; the instance does not upgrade itself, so an upgrade is a reviewed
    /// change of the spec.
    pub engine_version: String,
    /// Whether a standby replication instance runs in a second Availability Zone, so a zone outage does not stop
    /// replication.
    pub multi_az: bool,
    /// What the forward task reads from, and the reverse task writes to after cutover.
    pub source: Source,
    /// Selection rules in order: includes, then excludes.
    pub tables: Vec<TableRule>,
    /// CDC latency (source plus target, in seconds) under which the data counts as caught up: the alarm's threshold,
    /// the validation's gate and what the workflow waits for.
    pub max_cdc_latency_seconds: u32,
    /// Where DMS keeps its control tables on both sides, loopback prevention's among them.
    pub control_schema: String,
}

/// The payment API: where the load balancer's certificate points and the two sides the authorizer routes to.
#[derive(Clone, Debug)]
pub struct Api {
    /// DNS name the load balancer's certificate is issued for; API Gateway sends it as the host and verifies the
    /// certificate against it.
    pub host_name: String,
    /// ACM certificate for `host_name`, in the primary region, served by the load balancer's HTTPS listener.
    pub certificate_arn: String,
    /// The applications serving traffic today, in front of the production database.
    pub production: Backend,
    /// The applications in front of the migration cluster, which the traffic steps move traffic to.
    pub migration: Backend,
    /// Path the load balancer's health checks request over HTTPS on every backend address.
    pub health_check_path: String,
    /// Requests per second the API must carry at its peak; the authorizer runs once per request, so its reserved
    /// concurrency is derived from this.
    pub peak_requests_per_second: u32,
    /// Seconds the authorizer keeps the split and the cutover switch before reading them again: how long a change,
    /// a rollback's among them, takes to reach every request.
    pub settings_ttl_seconds: u32,
    /// The account's Lambda concurrent-executions quota; the stack's reservations must fit in it beside the 100
    /// Lambda keeps unreserved.
    pub lambda_concurrency_quota: u32,
    /// The account's Parameter Store throughput setting, which must carry every warm authorizer's reads once per
    /// `settings_ttl_seconds`.
    pub parameter_store_throughput: ParameterStoreThroughput,
    /// Minutes after a rotation of the API token during which the previous token is still accepted, so clients
    /// switch without an outage.
    pub token_rotation_window_minutes: u32,
    /// Seconds past `settings_ttl_seconds` the authorizer keeps routing by the settings it last read while Parameter
    /// Store fails; after that every valid caller goes to production.
    pub settings_max_staleness_seconds: u32,
    /// Seconds past their TTL the authorizer keeps checking tokens against the versions it last read while Secrets
    /// Manager fails; after that it denies.
    pub token_max_staleness_seconds: u32,
}

/// The migration workflow's pace and bounds, validated (see `OrchestrationSpec`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Orchestration {
    /// Percentages of API traffic on the migration backend, step by step: 1 to 10 steps, strictly increasing, the
    /// last 100.
    pub traffic_steps: Vec<u32>,
    /// Minutes each step bakes while the workflow watches the health alarm, both DMS tasks and its parameters;
    /// any of them going wrong ends the step.
    pub bake_minutes: u32,
    /// Hours an operator has to approve the cutover; unanswered, the run ends and traffic stays on production.
    pub approval_timeout_hours: u32,
    /// Hours the full load may take before the run fails and rolls back.
    pub full_load_timeout_hours: u32,
    /// Minutes CDC may take after the full load to get under `max_cdc_latency_seconds` before the run fails and
    /// rolls back.
    pub cdc_catch_up_minutes: u32,
    /// Minutes the validation may answer `not-ready` before the run fails and rolls back.
    pub validation_timeout_minutes: u32,
}

/// One side's application instances.
#[derive(Clone, Debug, PartialEq)]
pub struct Backend {
    /// Private IPv4 addresses of the instances, the `ip` targets of the side's target group: 1 to 50, each once,
    /// none AWS reserves in the stack's subnets, none the source database's host.
    pub addresses: Vec<std::net::Ipv4Addr>,
    /// HTTPS port the instances listen on; no address and port may be on both sides.
    pub port: u16,
}

/// Where DMS reads from before cutover (and writes to after it, through the reverse task).
#[derive(Clone, Debug)]
pub enum Source {
    /// The production Aurora cluster this stack creates, sized as the spec's `database.production`.
    ProductionCluster(Cluster),
    /// An on-premises PostgreSQL reached through the Transit Gateway: the real migration.
    External(ExternalSource),
}

/// The validated on-premises PostgreSQL DMS reads from and, after cutover, writes back to.
#[derive(Clone, Debug)]
pub struct ExternalSource {
    /// Host name, or an IPv4 address inside the on-premises CIDR; see [`ExternalSource::network`] for what the
    /// security groups open to it.
    pub host: String,
    /// The source's PostgreSQL port, the only one DMS and validation may reach it on.
    pub port: u16,
    /// The source database DMS reads from, and the reverse task writes to after cutover.
    pub database: String,
    /// Secrets Manager secret, created by operations and encrypted with the stack's key, holding `username`,
    /// `password`, `host` and `port`; the template never holds the source's credentials.
    pub secret_name: String,
    /// CA bundle DMS verifies the server with (`verify-full`): CERTIFICATE blocks only, as the template publishes
    /// it. Without it the connection is encrypted but the server unverified (`require`).
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

/// One DMS selection rule; [`Migration::tables`] holds the includes first, then the excludes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableRule {
    /// `true` for an include rule, `false` for an exclude.
    pub include: bool,
    /// Schema name pattern; `%` matches any characters.
    pub schema: String,
    /// Table name pattern; `%` matches any characters.
    pub table: String,
}

/// The validated network: two VPCs with their subnets, the on-premises side, and how private subnets reach out.
#[derive(Clone, Debug)]
pub struct Network {
    /// The production VPC: today's side, holding the production cluster when DMS reads from it.
    pub production_vpc: VpcLayout,
    /// The migration VPC: the migration cluster, DMS and the validation tier.
    pub migration_vpc: VpcLayout,
    /// The on-premises network, reached through the Transit Gateway; it overlaps neither VPC.
    pub on_premises_cidr: Ipv4Net,
    /// The Transit Gateway attachment of the VPN or Direct Connect link; until network operations create it
    /// (`None`), on-premises traffic is dropped at the Transit Gateway.
    pub on_premises_attachment_id: Option<String>,
    /// Availability Zones per VPC, 2 or 3; each region the environment deploys to must offer as many.
    pub availability_zones: u8,
    /// How private subnets reach AWS services and the internet.
    pub egress: Egress,
}

/// A VPC's CIDR and its subnets, one public and one private per Availability Zone.
#[derive(Clone, Debug)]
pub struct VpcLayout {
    /// The VPC's block, /16 to /25 and private, cut into eight equal blocks.
    pub cidr: Ipv4Net,
    /// One per Availability Zone, blocks 0 to 2 in order; used only by `egress: nat_gateway_per_vpc`, for the
    /// NAT gateway.
    pub public_subnets: Vec<Ipv4Net>,
    /// One per Availability Zone, blocks 4 to 6 in order; the stack's databases, DMS and endpoints live here.
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
    /// Reads `ENVIRONMENT_SUFFIX`, `REPOSITORY` and `COMMIT_AUTHOR`; a variable unset or empty overrides nothing.
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
    /// The value found, as text (or `missing`, `present`, a count); a refused PEM bundle is described, never
    /// echoed, as it may hold a private key.
    pub value: String,
    /// What the field accepts.
    pub allowed: String,
}

/// Why a spec cannot be used: the file, and every problem found in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError {
    /// The spec's path (`specs/<env>.yaml` for a shipped one), or `--env` when no shipped spec has the name.
    pub file: String,
    /// What stopped the spec: reading, the YAML's shape, validation, or an unknown `--env`.
    pub kind: SpecErrorKind,
}

/// The stage at which a spec was refused, with what it found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpecErrorKind {
    /// The file could not be read.
    Unreadable(String),
    /// Not YAML, or YAML that does not fit the spec's shape (unknown field, wrong type, missing field).
    Malformed {
        /// Path of the offending field, when the deserializer knows it.
        field: Option<String>,
        /// The parser's or deserializer's words, reworded to say what is allowed.
        message: String,
    },
    /// Well-formed, but values AWS or PCI DSS would not accept.
    Invalid(Vec<Problem>),
    /// `--env` named no shipped spec.
    UnknownEnvironment {
        /// The name given to `--env`.
        name: String,
    },
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
