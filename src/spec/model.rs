//! The environment spec as written in `specs/*.yaml`. Unknown fields are rejected so a typo is an error rather
//! than a silently ignored setting; the doc comments become the descriptions of the JSON Schema editors show.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

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
    /// Regions that hold secondary members of the global database (prod has one).
    #[serde(default)]
    pub secondary_regions: Vec<String>,
    /// Whether the environment stores, processes or transmits cardholder data. Out-of-scope environments may keep
    /// logs for less than the 365 days PCI DSS 10.5.1 requires.
    #[serde(default)]
    pub pci_scope: PciScope,
    /// Tags on every taggable resource, besides `Environment` and `Name`.
    pub tags: TagsSpec,
    pub network: NetworkSpec,
    /// Address subscribed to the operations topic (alarms, workflow approvals and failures).
    pub operations_email: String,
    /// CloudWatch Logs retention, in days, for every log group. One of CloudWatch's accepted values; at least
    /// 365 while in PCI scope.
    pub log_retention_days: u32,
}

fn default_primary_region() -> String {
    "ap-southeast-1".into()
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PciScope {
    #[default]
    InScope,
    OutOfScope,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TagsSpec {
    /// Repository the stack is deployed from. `REPOSITORY` in the environment overrides it.
    pub repository: String,
    /// Author of the deployed commit. `COMMIT_AUTHOR` in the environment overrides it.
    pub commit_author: String,
    /// Cost centre billed for the environment.
    pub cost_centre: String,
    /// Further tags, by key.
    #[serde(default)]
    pub extra: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// IPv4 CIDR of the production VPC, /16 to /24, a private range.
    pub production_vpc_cidr: String,
    /// IPv4 CIDR of the migration VPC, /16 to /24, a private range not overlapping the production VPC.
    pub migration_vpc_cidr: String,
    /// IPv4 CIDR of the on-premises network, reached through the Transit Gateway.
    pub on_premises_cidr: String,
    /// Transit Gateway attachment (`tgw-attach-…`) of the VPN or Direct Connect link to the on-premises network,
    /// created by network operations. Without it, traffic to the on-premises CIDR is dropped at the Transit
    /// Gateway (a blackhole route) until the link exists.
    #[serde(default)]
    pub on_premises_attachment_id: Option<String>,
    /// Availability Zones per VPC: 2 or 3.
    pub availability_zones: u8,
    /// How private subnets reach AWS services and the internet.
    pub egress: Egress,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Egress {
    /// One NAT gateway per VPC, in the first public subnet: the original design's cost choice (an AZ outage
    /// takes out egress for the whole VPC).
    NatGatewayPerVpc,
    /// No internet path at all: no internet or NAT gateways, AWS services through VPC endpoints.
    VpcEndpoints,
}
