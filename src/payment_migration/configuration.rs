//! The configuration layer: the Parameter Store hierarchy `/migration/{env}/…`. The workflows flip the cutover
//! switch and the traffic split here, and the API's authorizer reads them, so every parameter constrains the
//! values a later `PutParameter` may write.

use crate::cfn::{Expr, Named};
use crate::resources::ssm::Parameter;

use super::database::{Databases, SourceDatabase};
use super::migration::Replication;
use super::notification::Notification;
use super::stack::{Layer, Stack};
use super::storage::Storage;

/// The values of `workflow/phase`: the phases the migration workflow moves through, in order, then its other
/// ends and the rollback workflow's two. The workflows write only these, and the parameter's `AllowedPattern` is
/// made of these, so no write can be refused by the pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The parameter's initial value: no migration has run; a migration may start from here.
    NotStarted,
    /// The forward task's source and target endpoints are being tested.
    Preparing,
    /// The forward task runs its full load, until the load is complete and CDC runs.
    FullLoad,
    /// The forward task's CDC latency is awaited below its gate.
    Cdc,
    /// The validation function is asked until it answers `consistent`.
    Validating,
    /// An approval request is out with a task token; traffic has not moved.
    AwaitingApproval,
    /// The reverse task is started and awaited, then traffic shifts through the spec's steps, each baked.
    Cutover,
    /// The split is at 100, cutover is on and both tasks run: the migration succeeded.
    Complete,
    /// The approval was rejected or not given in time: traffic never moved.
    CutoverDeclined,
    /// An operator changed the traffic split or the cutover switch while the migration ran: it stopped shifting
    /// and left the rest (the rollback workflow) to the operator.
    TakenBack,
    /// The rollback workflow has moved traffic back to production and is stopping replication.
    RollingBack,
    /// The rollback finished: split 0, cutover off, the forward task stopped, the reverse task (if it ever ran)
    /// drained and stopped. A migration may start again from here.
    RolledBack,
}

impl Phase {
    /// Every phase, in the order above: the parameter's `AllowedPattern` is made of exactly these.
    pub const ALL: [Phase; 12] = [
        Phase::NotStarted,
        Phase::Preparing,
        Phase::FullLoad,
        Phase::Cdc,
        Phase::Validating,
        Phase::AwaitingApproval,
        Phase::Cutover,
        Phase::Complete,
        Phase::CutoverDeclined,
        Phase::TakenBack,
        Phase::RollingBack,
        Phase::RolledBack,
    ];

    /// The value written to `workflow/phase`, in kebab case (`awaiting-approval`).
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::NotStarted => "not-started",
            Phase::Preparing => "preparing",
            Phase::FullLoad => "full-load",
            Phase::Cdc => "cdc",
            Phase::Validating => "validating",
            Phase::AwaitingApproval => "awaiting-approval",
            Phase::Cutover => "cutover",
            Phase::Complete => "complete",
            Phase::CutoverDeclined => "cutover-declined",
            Phase::TakenBack => "taken-back",
            Phase::RollingBack => "rolling-back",
            Phase::RolledBack => "rolled-back",
        }
    }

    /// The phase parameter's `AllowedPattern`.
    pub fn allowed_pattern() -> String {
        let names: Vec<&str> = Phase::ALL.iter().map(|p| p.as_str()).collect();
        format!("^({})$", names.join("|"))
    }
}

/// The parameters the workflows write and the API's authorizer reads; the others the layer creates (buckets, topic,
/// endpoints, DMS ARNs) are for operators and scripts and have no handle.
pub struct Configuration {
    /// `workflow/enable-cutover`, `true` or `false` (initially `false`): traffic may move to the migration side
    /// only while it is `true`; the rollback sets it back to `false`.
    pub enable_cutover: Named<Parameter>,
    /// `workflow/traffic-split-percentage`, 0 to 100 (initially 0): the share of API clients the authorizer sends
    /// to the migration side.
    pub traffic_split_percentage: Named<Parameter>,
    /// `workflow/phase`, one of [`Phase`]'s values: where the last run is, and what the migration's start guard
    /// reads.
    pub phase: Named<Parameter>,
}

/// The configuration layer: the workflow switches and phase, then the storage, topic, database and DMS
/// references under `/migration/{env}/`, so operators and scripts find them without reading the stack's outputs.
pub fn build(
    stack: &mut Stack,
    storage: &Storage,
    notification: &Notification,
    databases: &Databases,
    replication: &Replication,
) -> Configuration {
    let enable_cutover = parameter(
        stack,
        "workflow/enable-cutover",
        "false".into(),
        "Whether the migration workflow may cut over; an operator sets it to true",
        Some("^(true|false)$"),
    );
    let traffic_split_percentage = parameter(
        stack,
        "workflow/traffic-split-percentage",
        "0".into(),
        "Percentage of API traffic routed to the migration database, 0 to 100",
        Some("^([0-9]|[1-9][0-9]|100)$"),
    );
    let phase = parameter(
        stack,
        "workflow/phase",
        Phase::NotStarted.as_str().into(),
        "Current phase of the migration",
        Some(&Phase::allowed_pattern()),
    );
    parameter(
        stack,
        "storage/checkpoints-bucket",
        storage.checkpoints.bucket_name(),
        "Bucket of workflow checkpoints",
        None,
    );
    parameter(
        stack,
        "storage/rollback-bucket",
        storage.rollback_state.bucket_name(),
        "Bucket of rollback state",
        None,
    );
    parameter(
        stack,
        "notification/operations-topic-arn",
        notification.operations_topic.topic_arn(),
        "Operations SNS topic",
        None,
    );
    let mut clusters = vec![("migration", &databases.migration)];
    if let SourceDatabase::ProductionCluster(production) = &databases.source {
        clusters.push(("production", production));
    }
    for (name, aurora) in clusters {
        let values = [
            (
                "endpoint",
                aurora.cluster.endpoint_address(),
                "writer endpoint",
            ),
            (
                "reader-endpoint",
                aurora.cluster.read_endpoint_address(),
                "reader endpoint",
            ),
            (
                "secret-arn",
                aurora.secret.secret_arn(),
                "master secret (ARN only, never the value)",
            ),
        ];
        for (leaf, value, what) in values {
            parameter(
                stack,
                &format!("database/{name}/{leaf}"),
                value,
                &format!("The {name} cluster's {what}"),
                None,
            );
        }
    }
    for (leaf, value, what) in [
        (
            "replication-instance-arn",
            replication.instance.replication_instance_arn(),
            "DMS replication instance",
        ),
        (
            "forward-task-arn",
            replication.forward_task.replication_task_arn(),
            "DMS full-load and CDC task",
        ),
        (
            "reverse-task-arn",
            replication.reverse_task.replication_task_arn(),
            "DMS reverse CDC task",
        ),
    ] {
        parameter(stack, &format!("dms/{leaf}"), value, what, None);
    }
    Configuration {
        enable_cutover,
        traffic_split_percentage,
        phase,
    }
}

fn parameter(
    stack: &mut Stack,
    path: &str,
    value: Expr,
    description: &str,
    pattern: Option<&str>,
) -> Named<Parameter> {
    let name = stack.parameter_path(path);
    let mut parameter = Parameter::string(name.clone(), value).description(description);
    if let Some(pattern) = pattern {
        parameter = parameter.allowed_pattern(pattern);
    }
    stack.add_named(
        Layer::Configuration,
        &format!("{path} parameter"),
        name,
        parameter,
    )
}
