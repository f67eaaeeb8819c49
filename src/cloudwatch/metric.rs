//! Metrics as the services publish them: a namespace, a name and the exact dimension set AWS documents for it,
//! with dimension values taken from the resources' properties in the template (literal names, so a dashboard
//! shows them and its standalone document can be read without deploying).
//!
//! Sources, per namespace:
//! - `AWS/DMS`: DMS user guide, "Monitoring AWS DMS tasks" (CHAP_Monitoring): task metrics carry
//!   `ReplicationInstanceIdentifier` and `ReplicationTaskIdentifier`, the latter the task's *resource id* (the
//!   suffix of its ARN), not its friendly identifier.
//! - `AWS/RDS`: Aurora user guide, "Amazon CloudWatch metrics for Amazon Aurora" and "dimensions": cluster-level
//!   instance metrics by `DBClusterIdentifier` and `Role` (WRITER, READER).
//! - `AWS/Lambda`: Lambda developer guide, "monitoring-metrics-types": by `FunctionName`.
//! - `AWS/ApiGateway`: API Gateway developer guide, "api-gateway-metrics-and-dimensions": REST APIs by
//!   `ApiName` and `Stage` (HTTP APIs use `ApiId` and other metric names, which this type cannot express).
//! - `AWS/States`: Step Functions developer guide, "procedure-cw-metrics": execution metrics by
//!   `StateMachineArn`.

use crate::cfn::{Expr, Named};
use crate::resources::apigateway::RestApi;
use crate::resources::dms::{ReplicationInstance, ReplicationTask};
use crate::resources::lambda::Function;
use crate::resources::rds::DbCluster;
use crate::resources::stepfunctions::StateMachine;

pub use crate::resources::cloudwatch::{Dimension, Metric};

/// The typed constructors of [`Metric`]: one per service, each with the dimension set that service publishes
/// the metric under.
impl Metric {
    /// A task metric of a DMS replication task.
    pub fn dms_task(task: &DmsTask, metric: DmsTaskMetric) -> Self {
        Metric::new(
            "AWS/DMS",
            metric.name(),
            vec![
                Dimension {
                    name: "ReplicationInstanceIdentifier",
                    value: Expr::lit(&task.instance_identifier),
                },
                Dimension {
                    name: "ReplicationTaskIdentifier",
                    value: Expr::lit(&task.resource_id),
                },
            ],
        )
    }

    /// An instance metric of an Aurora cluster, aggregated over the instances of one role (RDS publishes the
    /// cluster's identifier in lower case).
    pub fn aurora_cluster(
        cluster: &Named<DbCluster>,
        role: ClusterRole,
        metric: AuroraMetric,
    ) -> Self {
        let identifier = cluster_identifier(cluster);
        Metric::new(
            "AWS/RDS",
            metric.name(),
            vec![
                Dimension {
                    name: "DBClusterIdentifier",
                    value: Expr::lit(identifier),
                },
                Dimension {
                    name: "Role",
                    value: Expr::lit(role.as_str()),
                },
            ],
        )
    }

    /// A global-database metric of an Aurora cluster; published by the *secondary* cluster, in its region.
    pub fn aurora_global_replication_lag(cluster: &Named<DbCluster>) -> Self {
        Metric::aurora_global_replication_lag_of(cluster.name())
    }

    /// The global-database lag of a secondary cluster in another region's template, named by the identifier that
    /// template gives it (for a dashboard that reads the metric across regions).
    pub fn aurora_global_replication_lag_of(cluster_identifier: &str) -> Self {
        Metric::new(
            "AWS/RDS",
            "AuroraGlobalDBReplicationLag",
            vec![Dimension {
                name: "DBClusterIdentifier",
                value: Expr::lit(cluster_identifier.to_lowercase()),
            }],
        )
    }

    /// A function metric of a Lambda function.
    pub fn lambda(function: &Named<Function>, metric: LambdaMetric) -> Self {
        Metric::new(
            "AWS/Lambda",
            metric.name(),
            vec![Dimension {
                name: "FunctionName",
                value: Expr::lit(function.name()),
            }],
        )
    }

    /// A stage metric of a REST API.
    pub fn api_stage(stage: &ApiStage, metric: ApiGatewayMetric) -> Self {
        Metric::new(
            "AWS/ApiGateway",
            metric.name(),
            vec![
                Dimension {
                    name: "ApiName",
                    value: Expr::lit(&stage.api_name),
                },
                Dimension {
                    name: "Stage",
                    value: Expr::lit(&stage.stage_name),
                },
            ],
        )
    }

    /// An execution metric of a Step Functions state machine, whose ARN is built from its name (the account is
    /// resolved at deploy).
    pub fn state_machine(state_machine: &Named<StateMachine>, metric: StatesMetric) -> Self {
        let name = state_machine.name();
        Metric::new(
            "AWS/States",
            metric.name(),
            vec![Dimension {
                name: "StateMachineArn",
                value: Expr::sub(format!(
                    "arn:${{AWS::Partition}}:states:${{AWS::Region}}:${{AWS::AccountId}}:stateMachine:{name}"
                )),
            }],
        )
    }

    /// A metric the system publishes itself (`PutMetricData` or a metric filter), under a namespace of its own:
    /// `AWS/` namespaces are refused, since their metrics have the constructors above.
    pub fn custom(
        namespace: impl Into<String>,
        name: &'static str,
        dimensions: Vec<Dimension>,
    ) -> Self {
        let namespace = namespace.into();
        assert!(
            !namespace.starts_with("AWS/"),
            "{namespace}/{name}: AWS namespaces take the service's own constructor"
        );
        Metric::new(namespace, name, dimensions)
    }
}

/// What identifies a DMS task's metrics: the replication instance's identifier and the task's resource id.
/// Both come from the handles, which carry what the template states, so they cannot drift from what is deployed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DmsTask {
    instance_identifier: String,
    resource_id: String,
}

impl DmsTask {
    /// The metric identity of `task` on `instance`. Both must be named: an instance without
    /// `ReplicationInstanceIdentifier` or a task without `ResourceIdentifier` gets a generated one that is known
    /// only after the deploy, and a dimension cannot name it.
    pub fn of(instance: &Named<ReplicationInstance>, task: &Named<ReplicationTask>) -> Self {
        DmsTask {
            // DMS stores instance identifiers in lower case, and publishes them so.
            instance_identifier: instance.name().to_lowercase(),
            resource_id: task.name().to_string(),
        }
    }

    /// The replication instance's identifier, in lower case as DMS publishes it in `ReplicationInstanceIdentifier`.
    pub fn instance_identifier(&self) -> &str {
        &self.instance_identifier
    }

    /// The task's resource id (the suffix of its ARN), which DMS publishes as `ReplicationTaskIdentifier`.
    pub fn resource_id(&self) -> &str {
        &self.resource_id
    }
}

/// What identifies a REST API stage's metrics: the API's name (its `Name` property, which `Ref` does not return)
/// and the stage's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiStage {
    api_name: String,
    stage_name: String,
}

impl ApiStage {
    /// The metric identity of the stage `stage_name` of `api`. API Gateway publishes `ApiName` with the name's
    /// non-ASCII characters stripped, so the dimension is too.
    pub fn of(api: &Named<RestApi>, stage_name: &str) -> Self {
        ApiStage {
            api_name: api.name().chars().filter(char::is_ascii).collect(),
            stage_name: stage_name.to_string(),
        }
    }
}

/// The identifier of an Aurora cluster, in lower case as RDS stores and publishes it.
fn cluster_identifier(cluster: &Named<DbCluster>) -> String {
    cluster.name().to_lowercase()
}

/// DMS task metrics (`AWS/DMS`, dimensions `ReplicationInstanceIdentifier`, `ReplicationTaskIdentifier`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DmsTaskMetric {
    /// Seconds between the last event captured from the source and the instance's clock.
    CdcLatencySource,
    /// Seconds between the first event waiting to commit on the target and the instance's clock.
    CdcLatencyTarget,
    /// Change events waiting to be applied to the target.
    CdcIncomingChanges,
    /// Rows per second read from the source during CDC.
    CdcThroughputRowsSource,
    /// Rows per second written to the target during CDC.
    CdcThroughputRowsTarget,
    /// Rows per second written to the target during the full load.
    FullLoadThroughputRowsTarget,
}

impl DmsTaskMetric {
    /// The metric name DMS publishes, e.g. `CDCLatencySource` (cased unlike the variant).
    pub fn name(self) -> &'static str {
        match self {
            DmsTaskMetric::CdcLatencySource => "CDCLatencySource",
            DmsTaskMetric::CdcLatencyTarget => "CDCLatencyTarget",
            DmsTaskMetric::CdcIncomingChanges => "CDCIncomingChanges",
            DmsTaskMetric::CdcThroughputRowsSource => "CDCThroughputRowsSource",
            DmsTaskMetric::CdcThroughputRowsTarget => "CDCThroughputRowsTarget",
            DmsTaskMetric::FullLoadThroughputRowsTarget => "FullLoadThroughputRowsTarget",
        }
    }
}

/// The `Role` dimension of Aurora's cluster-level metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusterRole {
    /// The cluster's writer instance: `WRITER`.
    Writer,
    /// The cluster's reader instances, aggregated: `READER`; no data points while the cluster has no reader.
    Reader,
}

impl ClusterRole {
    /// The dimension value RDS publishes, in upper case: `WRITER` or `READER`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterRole::Writer => "WRITER",
            ClusterRole::Reader => "READER",
        }
    }
}

/// Aurora instance metrics that are also published per cluster and role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuroraMetric {
    /// `CPUUtilization`: percent of the instance class's CPU in use.
    CpuUtilization,
    /// `DatabaseConnections`: client connections open, which the engine's `max_connections` caps.
    DatabaseConnections,
}

impl AuroraMetric {
    /// The metric name RDS publishes, e.g. `CPUUtilization`.
    pub fn name(self) -> &'static str {
        match self {
            AuroraMetric::CpuUtilization => "CPUUtilization",
            AuroraMetric::DatabaseConnections => "DatabaseConnections",
        }
    }
}

/// Lambda function metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LambdaMetric {
    /// Invocations, successful or not; throttled requests are not counted.
    Invocations,
    /// Invocations that ended in a function error, a timeout included.
    Errors,
    /// Invocation requests refused for lack of concurrency.
    Throttles,
    /// Milliseconds the function ran, per invocation.
    Duration,
}

impl LambdaMetric {
    /// The metric name Lambda publishes.
    pub fn name(self) -> &'static str {
        match self {
            LambdaMetric::Invocations => "Invocations",
            LambdaMetric::Errors => "Errors",
            LambdaMetric::Throttles => "Throttles",
            LambdaMetric::Duration => "Duration",
        }
    }
}

/// REST API metrics (HTTP APIs publish other names under `ApiId`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiGatewayMetric {
    /// `Count`: requests the stage received.
    Count,
    /// `4XXError`: requests answered with a 4xx status, throttled and unauthorised ones included.
    ClientError,
    /// `5XXError`: requests answered with a 5xx status, integration failures and timeouts included.
    ServerError,
    /// Milliseconds from receiving a request to returning its response, the integration included.
    Latency,
    /// Milliseconds between relaying a request to the backend and receiving its response.
    IntegrationLatency,
}

impl ApiGatewayMetric {
    /// The metric name API Gateway publishes; the error metrics' names start with a digit (`4XXError`).
    pub fn name(self) -> &'static str {
        match self {
            ApiGatewayMetric::Count => "Count",
            ApiGatewayMetric::ClientError => "4XXError",
            ApiGatewayMetric::ServerError => "5XXError",
            ApiGatewayMetric::Latency => "Latency",
            ApiGatewayMetric::IntegrationLatency => "IntegrationLatency",
        }
    }
}

/// Step Functions execution metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatesMetric {
    /// Executions started, whatever their outcome.
    ExecutionsStarted,
    /// Executions that completed successfully.
    ExecutionsSucceeded,
    /// Executions that ended in failure: a `Fail` state, or an error no `Catch` handled.
    ExecutionsFailed,
    /// Executions stopped from outside (`StopExecution`), such as an operator aborting the run.
    ExecutionsAborted,
    /// Executions that ran past the state machine's `TimeoutSeconds`.
    ExecutionsTimedOut,
}

impl StatesMetric {
    /// The metric name Step Functions publishes.
    pub fn name(self) -> &'static str {
        match self {
            StatesMetric::ExecutionsStarted => "ExecutionsStarted",
            StatesMetric::ExecutionsSucceeded => "ExecutionsSucceeded",
            StatesMetric::ExecutionsFailed => "ExecutionsFailed",
            StatesMetric::ExecutionsAborted => "ExecutionsAborted",
            StatesMetric::ExecutionsTimedOut => "ExecutionsTimedOut",
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::cfn::{Attributes, LogicalId, Template};
    use crate::resources::dms::{MigrationType, ReplicationInstance, ReplicationTask};

    fn template() -> (Template, Named<ReplicationInstance>, Named<ReplicationTask>) {
        let mut template = Template::new("metrics");
        let instance = template.add_named(
            LogicalId::verbatim("Instance"),
            "Payment-Replication-Dev",
            ReplicationInstance::private(
                "dms.t3.medium",
                crate::resources::kms::KeyArn::existing(Expr::lit("key")),
                Expr::lit("group"),
                vec![],
            ),
            Attributes::new(),
        );
        let task = template.add_named(
            LogicalId::verbatim("Task"),
            "TASKRESOURCEID",
            ReplicationTask::between(
                MigrationType::Cdc,
                instance.replication_instance_arn(),
                Expr::lit("source"),
                Expr::lit("target"),
                &json!({"rules": []}),
            ),
            Attributes::new(),
        );
        (template, instance, task)
    }

    #[test]
    fn dms_dimensions_are_the_lowercased_instance_identifier_and_the_task_resource_id() {
        let (_, instance, task) = template();
        let metric = Metric::dms_task(
            &DmsTask::of(&instance, &task),
            DmsTaskMetric::CdcLatencySource,
        );
        let dimensions: Vec<(&str, &Expr)> = metric
            .dimensions()
            .iter()
            .map(|d| (d.name, &d.value))
            .collect();
        assert_eq!(
            dimensions,
            vec![
                (
                    "ReplicationInstanceIdentifier",
                    &Expr::lit("payment-replication-dev")
                ),
                ("ReplicationTaskIdentifier", &Expr::lit("TASKRESOURCEID")),
            ]
        );
    }

    /// The names the metrics take from the handles are the ones the template states.
    #[test]
    fn a_named_task_states_its_resource_identifier_and_the_instance_its_identifier() {
        let (template, instance, task) = template();
        let properties = template.properties_json(&[instance.logical_id(), task.logical_id()]);
        assert_eq!(
            properties["Instance"]["ReplicationInstanceIdentifier"],
            "Payment-Replication-Dev"
        );
        assert_eq!(properties["Task"]["ResourceIdentifier"], "TASKRESOURCEID");
        assert_eq!(
            properties["Task"]["ReplicationTaskIdentifier"],
            "TASKRESOURCEID"
        );
    }

    #[test]
    #[should_panic(expected = "AWS namespaces")]
    fn custom_metrics_cannot_borrow_an_aws_namespace() {
        Metric::custom("AWS/DMS", "CDCLatencySource", vec![]);
    }
}
