//! The one place where the layers' shared decisions live: logical ids, physical names, tags, log groups.

use ipnet::Ipv4Net;

use crate::cfn::{
    Attributes, Expr, Handle, LogicalId, Named, PhysicalName, Resource, TagSet, Template,
};
use crate::resources::cloudwatch::AlarmDetails;
use crate::resources::ec2::Subnet;
use crate::resources::iam::{Principal, Statement};
use crate::resources::kms::Key;
use crate::resources::logs::LogGroup;
use crate::spec::{Environment, PciScope};

/// The layers of the design. A resource's logical id starts with its layer, so ids stay stable when code moves
/// and a reviewer can tell a resource's layer from its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    /// The region's KMS key and its alias.
    Encryption,
    /// VPCs, subnets, routes, the Transit Gateway, security groups, VPC endpoints and flow logs.
    Network,
    /// The S3 buckets, their replicas and the replication role.
    Storage,
    /// The operations topic, its subscription and its policy.
    Notification,
    /// The Parameter Store hierarchy `/migration/<env>/…`.
    Configuration,
    /// The Aurora clusters and instances, their secrets and rotation, and the global database.
    Database,
    /// DMS: the service roles, the replication instance, the endpoints and the tasks.
    Migration,
    /// The private REST API, its authorizer, the VPC link and the load balancer.
    Api,
    /// The data validation function.
    Validation,
    /// The Step Functions workflows, their roles and log groups.
    Orchestration,
    /// The metric filters, every alarm ([`Stack::add_alarm`]) and the dashboard.
    Monitoring,
}

impl Layer {
    /// The layer's word in lower case, the first part of its resources' logical ids ([`logical_id`]).
    pub fn name(self) -> &'static str {
        match self {
            Layer::Encryption => "encryption",
            Layer::Network => "network",
            Layer::Storage => "storage",
            Layer::Notification => "notification",
            Layer::Configuration => "configuration",
            Layer::Database => "database",
            Layer::Migration => "migration",
            Layer::Api => "api",
            Layer::Validation => "validation",
            Layer::Orchestration => "orchestration",
            Layer::Monitoring => "monitoring",
        }
    }
}

/// Prefix of physical names and of the Parameter Store hierarchy's owner.
pub const SYSTEM: &str = "payment-migration";

/// The physical name of a resource with `purpose` in `env`: `payment-migration-<purpose>-<env>`, the same in
/// every region. [`Stack::name`] for a stack at hand; this for a name another region's stack gives.
pub fn name_in(env: &Environment, purpose: &str) -> String {
    format!("{SYSTEM}-{}-{}", kebab(purpose), env.name)
}

/// A region's stack under construction: the template, the environment it is built for, and the handles that
/// several layers share.
pub struct Stack<'e> {
    /// The environment's spec, which every layer reads its settings from.
    pub env: &'e Environment,
    /// The AWS region the template deploys to (the primary or a secondary region).
    pub region: String,
    /// The template the layers add to; add through the stack ([`Stack::add`]) to get the layer's logical id
    /// and the tags.
    pub template: Template,
    tags: TagSet,
    subnet_plans: Vec<SubnetPlan>,
    /// What the layers need from the region's key and the operations topic; the encryption and notification
    /// layers write it into the key and topic policies when the stack is complete.
    pub(super) grants: Grants,
    /// Files rendered beside the template (`path` relative to `out/<env>/`, contents), such as a workflow's
    /// standalone ASL document.
    artifacts: Vec<(String, String)>,
    /// Each workflow's computed worst case, which [`super::preflight`] checks against Step Functions' limits.
    pub workflow_limits: Vec<WorkflowLimits>,
    /// What the runbook needs from the stack, published by the layers as they add it.
    pub runbook: RunbookFacts,
}

/// What the runbook needs from a region's stack, published by the layers as they add each resource, so the
/// render reads it here rather than from the template's properties.
#[derive(Clone, Debug, Default)]
pub struct RunbookFacts {
    /// Every alarm, in the order added.
    pub alarms: Vec<AlarmSummary>,
    /// Every log group: logical id and name.
    pub log_groups: Vec<(String, String)>,
    /// The DMS replication instances' and endpoints' identifiers, for the connection test.
    pub dms_instances: Vec<String>,
    /// The DMS endpoints' identifiers, each tested against the replication instance.
    pub dms_endpoints: Vec<String>,
}

/// One alarm as the runbook lists it: its name, whether it pages the operations topic, and its description
/// (what it means, and how it treats missing data).
#[derive(Clone, Debug)]
pub struct AlarmSummary {
    /// The alarm's physical name, by which the console and `aws cloudwatch describe-alarms` find it.
    pub name: String,
    /// Whether it notifies anyone when it fires; a gate the workflows read pages nobody.
    pub pages: bool,
    /// What the alarm means and how it treats missing data.
    pub description: String,
}

/// Uses of shared resources that layers register, so that adding a layer never means editing the key or topic
/// policy by hand, and neither policy grants a service that no layer of this stack uses.
#[derive(Default)]
pub struct Grants {
    /// Services that encrypt with the key on behalf of the account's principals (`kms:ViaService`).
    pub key_via_services: std::collections::BTreeSet<String>,
    /// Statements for principals that use the key directly (a service principal such as CloudWatch Logs).
    pub key_statements: Vec<Statement>,
    /// Statements of the operations topic's policy.
    pub topic_statements: Vec<Statement>,
    /// Set when the key policy has been written ([`super::encryption::seal`]): a later registration could not
    /// reach it.
    pub key_sealed: bool,
    /// Set when the topic policy has been written ([`super::notification::seal`]).
    pub topic_sealed: bool,
    /// Registrations that came after their policy was written, which [`super::preflight`] reports: dropped
    /// silently, they would leave a service unable to use the key or publish to the topic at run time.
    pub late: Vec<String>,
}

/// A VPC's private subnets (one per AZ, all of one size) and the addresses the layers place in each: AWS
/// reserves five addresses per subnet, and every interface endpoint, Transit Gateway attachment, database
/// instance, replication instance and VPC Lambda takes one more. [`super::preflight`] compares the two.
#[derive(Clone, Debug)]
pub struct SubnetPlan {
    /// The spec field that sizes the VPC, e.g. `network.migration_vpc_cidr`.
    pub field: String,
    /// The VPC's range, which the preflight check names as the value to enlarge.
    pub vpc_cidr: Ipv4Net,
    /// The first private subnet's range: all are the same size, so it gives the addresses each holds.
    pub subnet_cidr: Ipv4Net,
    /// Logical id of the first subnet, which identifies the set.
    key: String,
    /// What takes addresses, and how many in each subnet.
    pub claims: Vec<(String, u32)>,
}

impl<'e> Stack<'e> {
    /// An empty stack for `region` of `env`, whose template has `description`; every resource added is tagged with
    /// the spec's tags and `Environment`.
    pub fn new(env: &'e Environment, region: &str, description: String) -> Self {
        let mut tags = TagSet::default();
        for (k, v) in &env.tags {
            tags = tags.with(k, v.clone());
        }
        Stack {
            env,
            region: region.to_string(),
            template: Template::new(description),
            tags: tags.with("Environment", env.name.clone()),
            subnet_plans: Vec::new(),
            grants: Grants::default(),
            artifacts: Vec::new(),
            workflow_limits: Vec::new(),
            runbook: RunbookFacts::default(),
        }
    }

    /// A file a layer renders beside the template, at `path` relative to `out/<env>/`.
    pub fn add_artifact(&mut self, path: &str, contents: String) {
        debug_assert!(
            !self.artifacts.iter().any(|(p, _)| p == path),
            "two artifacts at {path}"
        );
        self.artifacts.push((path.to_string(), contents));
    }

    /// The files the layers render beside the template, in the order they were added.
    pub fn artifacts(&self) -> &[(String, String)] {
        &self.artifacts
    }

    /// The region's key is used through `service` (e.g. `s3`, `rds`) by the account's principals: the key
    /// policy allows it only through the services registered here.
    pub fn use_key_via(&mut self, service: &str) {
        if self.grants.key_sealed {
            self.grants
                .late
                .push(format!("the key's use through {service}"));
            return;
        }
        self.grants.key_via_services.insert(service.to_string());
    }

    /// A principal uses the key directly, as `statement` allows (its `Sid` identifies it; a second registration
    /// with the same `Sid` is ignored).
    pub fn grant_key(&mut self, statement: Statement) {
        if self.grants.key_sealed {
            let sid = statement.sid().unwrap_or_default();
            self.grants.late.push(format!("the key statement {sid}"));
            return;
        }
        if !self
            .grants
            .key_statements
            .iter()
            .any(|s| s.sid() == statement.sid())
        {
            self.grants.key_statements.push(statement);
        }
    }

    /// Someone may publish to the operations topic, as `statement` allows (deduplicated by `Sid`).
    pub fn allow_topic_publish(&mut self, statement: Statement) {
        if self.grants.topic_sealed {
            let sid = statement.sid().unwrap_or_default();
            self.grants.late.push(format!("the topic statement {sid}"));
            return;
        }
        if !self
            .grants
            .topic_statements
            .iter()
            .any(|s| s.sid() == statement.sid())
        {
            self.grants.topic_statements.push(statement);
        }
    }

    /// Declares a VPC's private subnets, so layers can claim addresses in them.
    pub fn plan_subnets(
        &mut self,
        subnets: &[Handle<Subnet>],
        field: &str,
        vpc_cidr: Ipv4Net,
        subnet_cidr: Ipv4Net,
    ) {
        self.subnet_plans.push(SubnetPlan {
            field: field.to_string(),
            vpc_cidr,
            subnet_cidr,
            key: subnet_key(subnets),
            claims: Vec::new(),
        });
    }

    /// Records that `what` takes `per_subnet` addresses in each of `subnets`. Subnets nobody planned are a
    /// defect of the layers, reported by the preflight check rather than ignored.
    pub fn claim_addresses(&mut self, subnets: &[Handle<Subnet>], what: &str, per_subnet: u32) {
        let key = subnet_key(subnets);
        match self.subnet_plans.iter_mut().find(|p| p.key == key) {
            Some(plan) => plan.claims.push((what.to_string(), per_subnet)),
            None => self.subnet_plans.push(SubnetPlan {
                field: String::new(),
                vpc_cidr: Ipv4Net::default(),
                subnet_cidr: Ipv4Net::default(),
                key,
                claims: vec![(what.to_string(), per_subnet)],
            }),
        }
    }

    /// The private subnets declared and what claimed addresses in them, for the preflight check.
    pub fn subnet_plans(&self) -> &[SubnetPlan] {
        &self.subnet_plans
    }

    /// Adds a resource with its layer-derived logical id and the environment's tags plus `Name`.
    pub fn add<R: Resource>(&mut self, layer: Layer, purpose: &str, resource: R) -> Handle<R> {
        self.add_with(layer, purpose, resource, Attributes::new())
    }

    /// [`Stack::add`] with resource attributes: `DependsOn`, a deletion policy, a condition, suppressions.
    pub fn add_with<R: Resource>(
        &mut self,
        layer: Layer,
        purpose: &str,
        mut resource: R,
        attributes: Attributes,
    ) -> Handle<R> {
        resource.set_tags(&self.tags.with("Name", self.name(purpose)));
        self.template
            .add_with(logical_id(layer, purpose), resource, attributes)
    }

    /// Adds a resource whose physical name is the literal `name` (see [`Template::add_named`]): the handle carries
    /// the name for the metrics, alarms, dashboard and runbook that refer to the resource by it.
    pub fn add_named<R: PhysicalName>(
        &mut self,
        layer: Layer,
        purpose: &str,
        name: impl Into<String>,
        resource: R,
    ) -> Named<R> {
        self.add_named_with(layer, purpose, name, resource, Attributes::new())
    }

    /// [`Stack::add_named`] with resource attributes: `DependsOn`, a deletion policy, a condition, suppressions.
    pub fn add_named_with<R: PhysicalName>(
        &mut self,
        layer: Layer,
        purpose: &str,
        name: impl Into<String>,
        mut resource: R,
        attributes: Attributes,
    ) -> Named<R> {
        resource.set_tags(&self.tags.with("Name", self.name(purpose)));
        self.template
            .add_named(logical_id(layer, purpose), name, resource, attributes)
    }

    /// Adds an alarm named `name` and publishes it to the runbook.
    pub fn add_alarm<R: PhysicalName + AlarmDetails>(
        &mut self,
        purpose: &str,
        name: impl Into<String>,
        alarm: R,
    ) -> Named<R> {
        let name = name.into();
        self.runbook.alarms.push(AlarmSummary {
            name: name.clone(),
            pages: alarm.pages(),
            description: alarm.description().to_string(),
        });
        self.add_named(Layer::Monitoring, purpose, name, alarm)
    }

    /// Replaces the properties of a resource this stack added (see [`Template::replace`]), tagged as when added.
    pub fn replace<R: Resource>(
        &mut self,
        layer: Layer,
        purpose: &str,
        handle: &Handle<R>,
        mut resource: R,
    ) {
        debug_assert_eq!(handle.logical_id(), &logical_id(layer, purpose));
        resource.set_tags(&self.tags.with("Name", self.name(purpose)));
        self.template.replace(handle, resource);
    }

    /// A physical name: `payment-migration-{purpose}-{env}`, with the purpose in kebab case.
    pub fn name(&self, purpose: &str) -> String {
        name_in(self.env, purpose)
    }

    /// A path in the environment's Parameter Store hierarchy: `/migration/{env}/{path}`.
    pub fn parameter_path(&self, path: &str) -> String {
        format!("/migration/{}/{path}", self.env.name)
    }

    /// A log group encrypted with the region's key and kept for the spec's retention, named
    /// `/payment-migration/{env}/{path}`. The key is an argument so a log group cannot be built before it.
    pub fn log_group(
        &mut self,
        layer: Layer,
        purpose: &str,
        path: &str,
        key: &Handle<Key>,
    ) -> Handle<LogGroup> {
        let name = format!("/{SYSTEM}/{}/{path}", self.env.name);
        self.service_log_group(layer, purpose, &name, key)
    }

    /// A log group whose name a service chooses (`/aws/rds/cluster/…`, `dms-tasks-…`), created before the
    /// service writes to it so it is encrypted and expires: a group the service creates itself has neither.
    pub fn service_log_group(
        &mut self,
        layer: Layer,
        purpose: &str,
        name: &str,
        key: &Handle<Key>,
    ) -> Handle<LogGroup> {
        self.grant_key(
            Statement::allow(
                "CloudWatchLogsEncryptsLogGroups",
                &[
                    "kms:Decrypt",
                    "kms:DescribeKey",
                    "kms:Encrypt",
                    "kms:GenerateDataKey*",
                    "kms:ReEncrypt*",
                ],
            )
            .principal(Principal::service(Expr::regional_service_principal("logs")))
            .resource("*")
            .condition(
                "ArnLike",
                "kms:EncryptionContext:aws:logs:arn",
                Expr::arn("logs", "log-group:*"),
            ),
        );
        let group = LogGroup::new(self.env.log_retention_days).kms_key_id(key);
        // Audit logs outlive the stack: deleting or replacing it must not delete them (PCI DSS 10.5).
        let attributes = retention_suppressions(self.env, Attributes::new().retain());
        let group = self.add_named_with(layer, purpose, name, group, attributes);
        self.runbook
            .log_groups
            .push((group.logical_id().to_string(), group.name().to_string()));
        group.handle().clone()
    }
}

/// The retention values the PCI DSS rule set's `CW_LOGGROUP_RETENTION_PERIOD_CHECK` lists. Its list predates
/// the values CloudWatch Logs added later (1096, 2192, 2557, 2922, 3288).
const PCI_RULE_RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653,
];

/// The compliance gates' rules on retention agree with what the spec accepts: each value the spec accepts
/// either passes them or carries a suppression that says why.
fn retention_suppressions(env: &Environment, attributes: Attributes) -> Attributes {
    let days = env.log_retention_days;
    let mut attributes = attributes;
    if !PCI_RULE_RETENTION_DAYS.contains(&days) {
        attributes = attributes.suppress_guard_rule(
            "CW_LOGGROUP_RETENTION_PERIOD_CHECK",
            &format!(
                "{days} days is a retention CloudWatch Logs accepts (AWS::Logs::LogGroup RetentionInDays) that \
                 the rule's list predates; MIGEN_LOG_RETENTION_AT_LEAST_365 still holds it to at least 365 days"
            ),
        );
    }
    if env.pci_scope == PciScope::OutOfScope
        && days < crate::spec::regions::PCI_MIN_LOG_RETENTION_DAYS
    {
        attributes = attributes.suppress_guard_rule(
            "MIGEN_LOG_RETENTION_AT_LEAST_365",
            &format!(
                "The environment's spec declares `pci_scope: out_of_scope`: it never stores, processes or \
                 transmits cardholder data, so PCI DSS 10.5.1's twelve months do not apply and its logs are \
                 kept {days} days. In PCI scope the spec refuses less than 365."
            ),
        );
    }
    attributes
}

fn subnet_key(subnets: &[Handle<Subnet>]) -> String {
    subnets
        .first()
        .map(|s| s.logical_id().to_string())
        .unwrap_or_default()
}

/// `(network, "production vpc")` → `NetworkProductionVpc`.
pub fn logical_id(layer: Layer, purpose: &str) -> LogicalId {
    LogicalId::from_parts(&[layer.name(), purpose])
}

fn kebab(purpose: &str) -> String {
    purpose
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_become_ids_and_names() {
        assert_eq!(
            logical_id(Layer::Storage, "rollback state bucket").as_str(),
            "StorageRollbackStateBucket"
        );
        assert_eq!(kebab("Rollback state_bucket"), "rollback-state-bucket");
    }
}

/// A workflow's computed worst case and the timeout set from it, which the orchestration layer records in the
/// stack for the preflight check and the runbook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkflowLimits {
    /// The state machine's physical name.
    pub name: String,
    /// The most history events and the longest duration any execution can reach, computed from the definition.
    pub worst_case: crate::asl::WorstCase,
    /// The definition's `TimeoutSeconds`: the worst-case duration plus the orchestration layer's margin.
    pub timeout_seconds: u32,
}
