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
    NotStarted,
    Preparing,
    FullLoad,
    Cdc,
    Validating,
    AwaitingApproval,
    Cutover,
    Complete,
    /// The approval was rejected or not given in time: traffic never moved.
    CutoverDeclined,
    /// An operator changed the traffic split or the cutover switch while the migration ran: it stopped shifting
    /// and left the rest (the rollback workflow) to the operator.
    TakenBack,
    RollingBack,
    RolledBack,
}

impl Phase {
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

pub struct Configuration {
    pub enable_cutover: Named<Parameter>,
    pub traffic_split_percentage: Named<Parameter>,
    pub phase: Named<Parameter>,
}

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
                aurora.cluster.reader_endpoint_address(),
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
