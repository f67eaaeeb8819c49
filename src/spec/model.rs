//! The environment spec as written in `specs/*.yaml`. Unknown fields are rejected so a typo is an error rather
//! than a silently ignored setting; the doc comments become the descriptions of the JSON Schema editors show.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One environment of the payment migration: where it runs, how its networks are laid out, and who hears about it.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "migen environment spec")]
pub struct SpecFile {
    /// Environment name, the suffix of every physical name: 1-12 characters, lowercase letters, digits and
    /// single hyphens, starting with a letter. `ENVIRONMENT_SUFFIX` in the environment overrides it.
    pub environment: String,
    /// The region of the main stack.
    #[serde(default = "default_primary_region")]
    pub primary_region: String,
    /// Regions that hold secondary members of the global database (prod has one), each with its own VPC.
    #[serde(default)]
    pub secondary_regions: Vec<SecondaryRegionSpec>,
    /// Whether the environment stores, processes or transmits cardholder data. Out-of-scope environments may keep
    /// logs for less than the 365 days PCI DSS 10.5.1 requires; their log groups then say so in a suppression of
    /// the project's retention rule.
    #[serde(default)]
    pub pci_scope: PciScope,
    /// Tags on every taggable resource, besides `Environment` and `Name`.
    pub tags: TagsSpec,
    /// The production and migration VPCs, the on-premises network they reach through the Transit Gateway, and how
    /// private subnets reach AWS services.
    pub network: NetworkSpec,
    /// The Aurora PostgreSQL clusters: engine version, credentials, backups, and each cluster's size.
    pub database: DatabaseSpec,
    /// AWS DMS: the replication instance, the database it reads from, and the tables it replicates.
    pub migration: MigrationSpec,
    /// The payment API: a private API Gateway whose Lambda authorizer sends each client to the production or the
    /// migration backend, as `/migration/<env>/workflow/traffic-split-percentage` says.
    pub api: ApiSpec,
    /// How the migration workflow paces itself: the traffic steps of the cutover, the bake after each, and how
    /// long each wait may last before the run gives up and rolls back. Every field has a default.
    #[serde(default)]
    pub orchestration: OrchestrationSpec,
    /// Address subscribed to the operations topic (alarms, workflow approvals and failures).
    pub operations_email: String,
    /// CloudWatch Logs retention, in days, for every log group. One of CloudWatch's accepted values; at least
    /// 365 while in PCI scope.
    pub log_retention_days: u32,
}

fn default_primary_region() -> String {
    "ap-southeast-1".into()
}

/// Whether an environment is in PCI DSS scope, which decides the shortest log retention it may have.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PciScope {
    /// Stores, processes or transmits cardholder data (the default): logs are kept at least 365 days.
    #[default]
    InScope,
    /// Never holds cardholder data: log retention may be shorter, each log group saying so in the template.
    OutOfScope,
}

/// The tags that say where a stack came from and who pays for it, set on every taggable resource.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TagsSpec {
    /// Repository the stack is deployed from. `REPOSITORY` in the environment overrides it.
    pub repository: String,
    /// Author of the deployed commit. `COMMIT_AUTHOR` in the environment overrides it.
    pub commit_author: String,
    /// Cost centre billed for the environment.
    pub cost_centre: String,
    /// Further tags, by key: at most 45 (AWS allows 50 per resource and migen sets five); keys of letters,
    /// digits, spaces and `_ . : / = + - @`, not starting with `aws:` and not differing only in case from another
    /// key or from a tag migen sets.
    #[serde(default)]
    pub extra: BTreeMap<String, String>,
}

/// The environment's networks: two VPCs that a Transit Gateway joins to each other and to the on-premises
/// network. Their ranges may not overlap.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// IPv4 CIDR of the production VPC, /16 to /25, a private range. Each private subnet is an eighth of it and
    /// must hold what the stack places there (interface endpoints, the Transit Gateway attachment, database
    /// instances, rotation functions) besides the five addresses AWS reserves; `migen check` says how large.
    pub production_vpc_cidr: String,
    /// IPv4 CIDR of the migration VPC, /16 to /25, a private range not overlapping the production VPC. Sized like
    /// the production VPC; it also holds DMS and the validation tier.
    pub migration_vpc_cidr: String,
    /// IPv4 CIDR of the on-premises network, reached through the Transit Gateway.
    pub on_premises_cidr: String,
    /// Transit Gateway attachment (`tgw-attach-…`) of the VPN or Direct Connect link to the on-premises network,
    /// created by network operations on this stack's Transit Gateway (output `TransitGatewayId`) after the first
    /// deploy. With it the stack associates the attachment with its route table and routes the on-premises CIDR
    /// to it; without it, that traffic is dropped at the Transit Gateway (a blackhole route).
    #[serde(default)]
    pub on_premises_attachment_id: Option<String>,
    /// Availability Zones per VPC: 2 or 3, and no more than the region offers (us-west-1 has 2).
    pub availability_zones: u8,
    /// How private subnets reach AWS services and the internet.
    pub egress: Egress,
}

/// How the VPCs' private subnets reach beyond them: through a NAT gateway, or only to AWS services through VPC
/// endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Egress {
    /// One NAT gateway per VPC, in the first public subnet: the original design's cost choice (an AZ outage
    /// takes out egress for the whole VPC).
    NatGatewayPerVpc,
    /// No internet path at all: no internet or NAT gateways, AWS services through VPC endpoints.
    VpcEndpoints,
}

/// A region holding a secondary member of the global database, in a database VPC of its own.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecondaryRegionSpec {
    /// An AWS region other than the primary, one that offers every resource type of its template.
    pub region: String,
    /// IPv4 CIDR of the region's database VPC, not overlapping any other network of the environment.
    pub vpc_cidr: String,
}

/// The Aurora PostgreSQL clusters: production (the system of record's stand-in, when DMS reads from it) and
/// migration (the cluster that takes over at cutover).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSpec {
    /// Aurora PostgreSQL version, `MAJOR.MINOR` (e.g. `17.7`), major 14 to 17.
    pub engine_version: String,
    /// Database created in each cluster and replicated by DMS.
    pub database_name: String,
    /// Master username; its password is generated into Secrets Manager and rotated.
    pub master_username: String,
    /// Days of automated backups, 1 to 35.
    pub backup_retention_days: u32,
    /// Refuse deletion of the clusters and the global database (set it everywhere but dev).
    pub deletion_protection: bool,
    /// Days between password rotations, 1 to 365.
    #[serde(default = "default_rotation_days")]
    pub credential_rotation_days: u32,
    /// Application networks allowed to reach the clusters on 5432 (private IPv4 CIDRs, each once). Each is an
    /// inbound rule of the clusters' security groups, which hold 60 rules.
    #[serde(default)]
    pub application_cidrs: Vec<String>,
    /// The production cluster: required when DMS reads from it (`migration.source.kind:
    /// production_aurora_cluster`), not allowed with an external source.
    #[serde(default)]
    pub production: Option<ClusterSpec>,
    /// The migration cluster, which takes over at cutover; each secondary region's cluster is sized like it.
    pub migration: ClusterSpec,
}

fn default_rotation_days() -> u32 {
    30
}

/// An Aurora cluster's size: readers besides the writer, and the capacity of every instance.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClusterSpec {
    /// Reader instances besides the writer, 0 to 15.
    pub readers: u8,
    /// Either `instance_class` (provisioned) or `serverless_v2` (Aurora capacity units), not both.
    pub capacity: CapacitySpec,
}

/// Instance capacity: exactly one of `instance_class` and `serverless_v2`.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CapacitySpec {
    /// A provisioned instance class such as `db.r7g.large`.
    #[serde(default)]
    pub instance_class: Option<String>,
    /// Aurora Serverless v2 capacity range.
    #[serde(default)]
    pub serverless_v2: Option<ServerlessV2Spec>,
}

/// Aurora Serverless v2's scaling range, in Aurora capacity units (ACUs).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerlessV2Spec {
    /// Minimum Aurora capacity units, 0.5 to 256 in steps of 0.5.
    pub min_acu: f64,
    /// Maximum Aurora capacity units, 1 to 256 in steps of 0.5, at least `min_acu`.
    pub max_acu: f64,
}

/// AWS DMS: full load and CDC from the source into the migration cluster, and reverse CDC after cutover.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MigrationSpec {
    /// Replication instance class, e.g. `dms.r6i.large`.
    pub replication_instance_class: String,
    /// Replication instance storage in GiB, 5 to 6144.
    pub allocated_storage_gb: u32,
    /// DMS engine version, `MAJOR.MINOR.PATCH` (e.g. `3.5.4`), pinned so upgrades are reviewed.
    pub engine_version: String,
    /// A standby replication instance in a second AZ (set it everywhere but dev).
    pub multi_az: bool,
    /// Where DMS reads from.
    pub source: SourceSpec,
    /// Which tables DMS replicates.
    pub table_mappings: TableMappingsSpec,
    /// The CDC latency (source plus target, in seconds) under which the data counts as caught up: the validation
    /// Lambda says `not-ready` above it, and the workflow waits for it. 1 to 3600; default 30.
    #[serde(default = "default_max_cdc_latency")]
    pub max_cdc_latency_seconds: u32,
    /// The schema, on both databases, where DMS keeps its control tables, among them
    /// `awsdms_loopback_prevention`: the forward and reverse tasks run together after the cutover, and each skips
    /// the changes the other applied (LoopbackPreventionSettings) instead of replicating them back. It must exist
    /// on both sides before the migration starts, and no table mapping may select it. A PostgreSQL name: 1 to 63
    /// lowercase letters, digits and `_`, not starting with a digit; default `awsdms_control`.
    #[serde(default = "default_control_schema")]
    pub control_schema: String,
}

fn default_max_cdc_latency() -> u32 {
    30
}

fn default_control_schema() -> String {
    "awsdms_control".into()
}

/// Where DMS reads from: the stack's own production cluster, or an on-premises PostgreSQL.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// `production_aurora_cluster`: the production cluster this stack creates (rehearsal);
    /// `external_postgres`: an on-premises PostgreSQL reached through the Transit Gateway.
    pub kind: SourceKind,
    /// Required with `kind: external_postgres`, not allowed otherwise.
    #[serde(default)]
    pub external: Option<ExternalSourceSpec>,
}

/// The kind of database DMS reads from before cutover and writes back to after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// The production cluster this stack creates, for a rehearsal; needs `database.production`.
    ProductionAuroraCluster,
    /// An on-premises PostgreSQL reached through the Transit Gateway; needs `migration.source.external`.
    ExternalPostgres,
}

/// The on-premises PostgreSQL DMS reads from and, after cutover, the reverse task writes back to.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExternalSourceSpec {
    /// Host name or IPv4 address inside the on-premises CIDR. DMS and validation may connect to this address
    /// (a host name: to the on-premises CIDR) on `port` only; the source secret's `host` and `port` must match.
    pub host: String,
    /// The source's PostgreSQL port (default 5432): the only port DMS and validation may reach it on.
    #[serde(default = "default_port")]
    pub port: u16,
    /// The source database DMS replicates: 1-63 letters, digits and underscores, starting with a letter.
    pub database: String,
    /// Name of the Secrets Manager secret (created by operations, encrypted with the stack's key) holding
    /// `username`, `password`, `host` and `port`.
    pub secret_name: String,
    /// PEM of the CA that signed the server's certificate (and its intermediates): CERTIFICATE blocks only, each
    /// an X.509 CA certificate; anything else, such as a private key, is refused because the bundle is published
    /// in the template. With it DMS verifies the server (`verify-full`); without it the connection is encrypted
    /// but the server is not verified (`require`).
    #[serde(default)]
    pub ca_certificate_pem: Option<String>,
}

fn default_port() -> u16 {
    5432
}

/// DMS selection rules: the includes, then the excludes applied after them.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableMappingsSpec {
    /// Tables to replicate; at least one.
    pub include: Vec<TableSpec>,
    /// Tables to leave out, applied after the includes; they may not remove every included table.
    #[serde(default)]
    pub exclude: Vec<TableSpec>,
}

/// A schema and a table pattern, each 1-63 letters, digits, `_` and `$`, with `%` as a wildcard.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// Schema name; `%` matches any characters.
    pub schema: String,
    /// Table name; `%` matches any characters.
    pub table: String,
}

/// The payment API and the two sides it routes to. Clients call a private API Gateway (reachable only through
/// the stack's `execute-api` VPC endpoint); a VPC link takes every request to an internal Application Load
/// Balancer, which forwards it over TLS to the production or the migration backend, as the authorizer decided.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiSpec {
    /// The DNS name the load balancer's certificate is issued for; API Gateway sends it as the host and verifies
    /// the certificate against it.
    pub host_name: String,
    /// ARN of the ACM certificate for `host_name`, in the primary region (imported or from a private CA).
    pub certificate_arn: String,
    /// Where the applications listen today (`production`) and after the migration (`migration`).
    pub backends: BackendsSpec,
    /// Path the load balancer's health checks request over HTTPS on every backend address.
    #[serde(default = "default_health_check_path")]
    pub health_check_path: String,
    /// Requests per second the payment API must carry at its peak. The authorizer runs once per request (its
    /// result is never cached, so that a change of the split applies at once), so its reserved concurrency is
    /// derived from this (README, "Capacity"). 1 to 10000; default 100.
    #[serde(default = "default_peak_requests_per_second")]
    pub peak_requests_per_second: u32,
    /// Seconds the authorizer keeps the split and the cutover switch before it reads them again: how long a
    /// change, a rollback's among them, takes to reach every request. Every warm authorizer instance reads them
    /// once per TTL, which Parameter Store's throughput must carry. 1 to 60; default 5.
    #[serde(default = "default_settings_ttl")]
    pub settings_ttl_seconds: u32,
    /// The account's Lambda concurrent-executions quota in the stack's regions (AWS's default is 1,000). The
    /// stack's functions reserve their concurrency out of it, and Lambda keeps 100 unreserved. 100 to 1000000;
    /// default 1000.
    #[serde(default = "default_lambda_concurrency_quota")]
    pub lambda_concurrency_quota: u32,
    /// The account's Parameter Store throughput setting in the primary region: `standard` (GetParameters shares
    /// 40 transactions per second across the account) or `higher` (10,000, billed per request). Default
    /// `standard`.
    #[serde(default)]
    pub parameter_store_throughput: ParameterStoreThroughput,
    /// Derived from `peak_requests_per_second` since the authorizer's capacity is computed; refused when set.
    #[serde(default)]
    #[schemars(skip)]
    pub authorizer_concurrency: Option<u32>,
    /// Minutes after a rotation of the API token during which the previous token is still accepted, so that
    /// clients can switch without an outage. 0 to 1440; default 60.
    #[serde(default = "default_token_rotation_window")]
    pub token_rotation_window_minutes: u32,
    /// Seconds past the settings' TTL (`settings_ttl_seconds`) during which the authorizer keeps routing by the
    /// last split and switch it read, while Parameter Store throttles or fails; after that, and on an instance
    /// that never read them, every valid caller goes to production. Each request so served is logged and pages. 0 to 3600;
    /// default 300.
    #[serde(default = "default_settings_max_staleness")]
    pub settings_max_staleness_seconds: u32,
    /// Seconds past their one-minute TTL during which the authorizer keeps checking tokens against the versions
    /// it last read, while Secrets Manager throttles or fails (a rotation done meanwhile applies once it can read
    /// again); after that it cannot check a token and denies. Each request so served is logged and pages. 0 to
    /// 3600; default 900.
    #[serde(default = "default_token_max_staleness")]
    pub token_max_staleness_seconds: u32,
}

fn default_settings_max_staleness() -> u32 {
    300
}

fn default_token_max_staleness() -> u32 {
    900
}

fn default_health_check_path() -> String {
    "/health".into()
}

fn default_peak_requests_per_second() -> u32 {
    100
}

fn default_settings_ttl() -> u32 {
    5
}

fn default_lambda_concurrency_quota() -> u32 {
    1000
}

/// Parameter Store's throughput setting for an account and region.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ParameterStoreThroughput {
    /// 40 transactions per second for GetParameters, shared by the whole account.
    #[default]
    Standard,
    /// The higher-throughput setting: 10,000 transactions per second, billed per request.
    Higher,
}

impl ParameterStoreThroughput {
    /// GetParameters transactions per second the account may make.
    pub fn transactions_per_second(self) -> u32 {
        match self {
            ParameterStoreThroughput::Standard => 40,
            ParameterStoreThroughput::Higher => 10_000,
        }
    }
}

fn default_token_rotation_window() -> u32 {
    60
}

/// The two applications the authorizer splits the API's traffic between.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BackendsSpec {
    /// The applications in front of the production database: addresses in the production VPC or on-premises.
    pub production: BackendSpec,
    /// The applications in front of the migration cluster: addresses in the migration VPC or on-premises.
    pub migration: BackendSpec,
}

/// One side's application instances: the load balancer's `ip` targets, reached over HTTPS.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BackendSpec {
    /// Private IPv4 addresses of the application's instances, 1 to 50, each once.
    pub addresses: Vec<String>,
    /// The HTTPS port they listen on.
    pub port: u16,
}

/// The migration workflow's pace and bounds.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct OrchestrationSpec {
    /// Percentages of API traffic sent to the migration backend after approval, in order: 1 to 10 steps,
    /// strictly increasing, each 1 to 100, the last 100. Default `[10, 50, 100]`. While the split is between
    /// 0 and 100 both databases take writes and DMS carries each side's to the other, so a row written on both
    /// sides at once keeps the last one applied: `[100]` moves all traffic in one step where that is not
    /// acceptable.
    pub traffic_steps: Vec<u32>,
    /// Minutes each step bakes while the workflow checks the migration-health alarm, the reverse task's
    /// CDC-latency gate, both DMS tasks and its own parameters: every minute up to 30 minutes, less often
    /// beyond (at most 30 checks a step); any ALARM, a stopped task or a parameter changed by an operator ends
    /// the step. 1 to 120; default 15.
    pub bake_minutes: u32,
    /// Hours an operator has to approve the cutover; without an answer the run ends and traffic stays on
    /// production. 1 to 168; default 24.
    pub approval_timeout_hours: u32,
    /// Hours the full load may take before the run rolls back. 1 to 72; default 24.
    pub full_load_timeout_hours: u32,
    /// Minutes CDC may take to catch up (latency under `migration.max_cdc_latency_seconds`) after the full
    /// load. 1 to 240; default 60.
    pub cdc_catch_up_minutes: u32,
    /// Minutes the validation may answer `not-ready` before the run rolls back. 5 to 720; default 60.
    pub validation_timeout_minutes: u32,
}

impl Default for OrchestrationSpec {
    fn default() -> Self {
        OrchestrationSpec {
            traffic_steps: vec![10, 50, 100],
            bake_minutes: 15,
            approval_timeout_hours: 24,
            full_load_timeout_hours: 24,
            cdc_catch_up_minutes: 60,
            validation_timeout_minutes: 60,
        }
    }
}
