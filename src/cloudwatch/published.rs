//! What the services publish: the table every alarm and widget is checked against.
//!
//! CloudWatch accepts an alarm or a widget on any namespace, metric name and dimension set, published or not: a
//! combination nobody publishes draws an empty graph and makes an alarm that never leaves its missing-data state.
//! [`PUBLISHED`] lists, one row per (namespace, metric, dimension set), what is known to be published, each row
//! naming where that is documented: an AWS documentation page for the services' metrics, the repository file or
//! resource for the system's own. [`is_published`] looks a combination up; `tests/published_metrics.rs` checks
//! every alarm and dashboard of every rendered template against it.
//!
//! A dimension set is matched exactly: CloudWatch stores a metric once per dimension combination it was
//! published with, and a query with a subset or a superset of those dimensions finds nothing.

use super::metric::Metric;

/// The namespace a row applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Namespace {
    /// Exactly this namespace.
    Exact(&'static str),
    /// Every namespace starting with this prefix: one per environment, such as the metric filters'
    /// `PaymentMigration/Logs/<env>`.
    Prefix(&'static str),
}

impl Namespace {
    /// Whether `namespace` is covered: equal to an exact one, or a prefix followed by at least one more character.
    pub fn matches(self, namespace: &str) -> bool {
        match self {
            Namespace::Exact(exact) => namespace == exact,
            Namespace::Prefix(prefix) => {
                namespace.len() > prefix.len() && namespace.starts_with(prefix)
            }
        }
    }
}

/// One published combination: a metric under one exact set of dimension names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Published {
    /// The namespace the metric is published under.
    pub namespace: Namespace,
    /// The metric name, exactly as published (names are case-sensitive).
    pub metric: &'static str,
    /// The names of the dimensions it is published under, all of them (order irrelevant).
    pub dimensions: &'static [&'static str],
    /// The CloudWatch unit of its data points.
    pub unit: &'static str,
    /// Where it is documented: an AWS documentation page, or the repository file or resource that publishes it.
    pub source: &'static str,
}

impl Published {
    /// Whether this row is the combination `namespace`/`metric` under exactly the dimension names given.
    pub fn matches(&self, namespace: &str, metric: &str, dimension_names: &[&str]) -> bool {
        self.namespace.matches(namespace)
            && self.metric == metric
            && same_set(self.dimensions, dimension_names)
    }
}

/// Two lists of names hold the same set (duplicates in `given` are not a set: they never match).
fn same_set(expected: &[&str], given: &[&str]) -> bool {
    let mut expected: Vec<&str> = expected.to_vec();
    let mut given: Vec<&str> = given.to_vec();
    expected.sort_unstable();
    given.sort_unstable();
    expected == given
}

const DMS: &str = "https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Monitoring.html";
const AURORA_DIMENSIONS: &str =
    "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/dimensions.html";
const AURORA_METRICS: &str = "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.AuroraMonitoring.Metrics.html";
const LAMBDA: &str = "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics.html";
const API_GATEWAY: &str = "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html";
const STATES: &str =
    "https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html";
const VALIDATION: &str = "templates/lambda/validation.py (_publish)";
const LOG_FILTERS: &str = "metric filter in src/payment_migration/monitoring/filters.rs";

const DMS_TASK: &[&str] = &["ReplicationInstanceIdentifier", "ReplicationTaskIdentifier"];
const AURORA_ROLE: &[&str] = &["DBClusterIdentifier", "Role"];
const AURORA_CLUSTER: &[&str] = &["DBClusterIdentifier"];
const LAMBDA_FUNCTION: &[&str] = &["FunctionName"];
const API_STAGE: &[&str] = &["ApiName", "Stage"];
const STATE_MACHINE: &[&str] = &["StateMachineArn"];
const ENVIRONMENT: &[&str] = &["Environment"];

const fn row(
    namespace: &'static str,
    metric: &'static str,
    dimensions: &'static [&'static str],
    unit: &'static str,
    source: &'static str,
) -> Published {
    Published {
        namespace: Namespace::Exact(namespace),
        metric,
        dimensions,
        unit,
        source,
    }
}

const fn prefixed(
    prefix: &'static str,
    metric: &'static str,
    dimensions: &'static [&'static str],
    unit: &'static str,
    source: &'static str,
) -> Published {
    Published {
        namespace: Namespace::Prefix(prefix),
        metric,
        dimensions,
        unit,
        source,
    }
}

/// `AWS/DMS` replication task metrics. "Monitoring AWS DMS tasks", section "Replication task metrics", lists
/// them with their meaning: CDC latency source/target in seconds (their sum is the task's replica lag), incoming
/// changes waiting to be applied, and CDC and full-load throughput in rows per second. Task metrics carry both the
/// replication instance's identifier (lower case, as DMS stores it) and the task's identifier, which is the
/// task's resource id (the last part of its ARN), not its friendly `ReplicationTaskIdentifier` property. The
/// copy of the page this table was checked against names the metrics but not that dimension pair, which rests
/// on how DMS publishes them (the `ReplicationInstanceIdentifier, ReplicationTaskIdentifier` group of the
/// CloudWatch console) and on `metric.rs`: confirm it on the live page when it is next reviewed.
const DMS_ROWS: [Published; 6] = [
    row("AWS/DMS", "CDCLatencySource", DMS_TASK, "Seconds", DMS),
    row("AWS/DMS", "CDCLatencyTarget", DMS_TASK, "Seconds", DMS),
    row("AWS/DMS", "CDCIncomingChanges", DMS_TASK, "Count", DMS),
    row(
        "AWS/DMS",
        "CDCThroughputRowsSource",
        DMS_TASK,
        "Count/Second",
        DMS,
    ),
    row(
        "AWS/DMS",
        "CDCThroughputRowsTarget",
        DMS_TASK,
        "Count/Second",
        DMS,
    ),
    row(
        "AWS/DMS",
        "FullLoadThroughputRowsTarget",
        DMS_TASK,
        "Count/Second",
        DMS,
    ),
];

/// `AWS/RDS` instance metrics aggregated per Aurora cluster and role. "Amazon CloudWatch dimensions for Aurora":
/// `DBClusterIdentifier, Role` filters "a specific Aurora DB cluster, aggregating the metric by instance role
/// (WRITER/READER)". The metrics and units are from "Amazon CloudWatch metrics for Amazon Aurora"
/// (Aurora.AuroraMonitoring.Metrics), instance-level table: `CPUUtilization` in percent, `DatabaseConnections` a
/// count, both for Aurora MySQL and Aurora PostgreSQL.
const AURORA_ROLE_ROWS: [Published; 2] = [
    row(
        "AWS/RDS",
        "CPUUtilization",
        AURORA_ROLE,
        "Percent",
        AURORA_DIMENSIONS,
    ),
    row(
        "AWS/RDS",
        "DatabaseConnections",
        AURORA_ROLE,
        "Count",
        AURORA_DIMENSIONS,
    ),
];

/// `AWS/RDS` cluster-level metric of an Aurora global database. "Amazon CloudWatch metrics for Amazon Aurora",
/// cluster-level table: `AuroraGlobalDBReplicationLag`, "for an Aurora Global Database, the amount of lag when
/// replicating updates from the primary AWS Region", in milliseconds, published per cluster
/// (`DBClusterIdentifier`, "a specific Aurora DB cluster" on the dimensions page) by the secondary cluster.
const AURORA_CLUSTER_ROWS: [Published; 1] = [row(
    "AWS/RDS",
    "AuroraGlobalDBReplicationLag",
    AURORA_CLUSTER,
    "Milliseconds",
    AURORA_METRICS,
)];

/// `AWS/Lambda` function metrics. "Working with Lambda function metrics": the `FunctionName` dimension gives
/// "aggregate metrics for all versions and aliases of a function"; under "Types of metrics"
/// (monitoring-metrics-types), `Invocations`, `Errors` and `Throttles` are invocation metrics read as counts
/// (`Sum`), `Duration` a performance metric in milliseconds.
const LAMBDA_ROWS: [Published; 4] = [
    row(
        "AWS/Lambda",
        "Invocations",
        LAMBDA_FUNCTION,
        "Count",
        LAMBDA,
    ),
    row("AWS/Lambda", "Errors", LAMBDA_FUNCTION, "Count", LAMBDA),
    row("AWS/Lambda", "Throttles", LAMBDA_FUNCTION, "Count", LAMBDA),
    row(
        "AWS/Lambda",
        "Duration",
        LAMBDA_FUNCTION,
        "Milliseconds",
        LAMBDA,
    ),
];

/// `AWS/ApiGateway` REST API stage metrics. "Amazon API Gateway dimensions and metrics": `ApiName, Stage`
/// "filters API Gateway metrics for the API stage resource with the specified API name and stage"; `Count`,
/// `4XXError` and `5XXError` are counts (the average of an error metric is its rate), `Latency` and
/// `IntegrationLatency` milliseconds. HTTP APIs publish other names under `ApiId`, which this table leaves out.
const API_GATEWAY_ROWS: [Published; 5] = [
    row("AWS/ApiGateway", "Count", API_STAGE, "Count", API_GATEWAY),
    row(
        "AWS/ApiGateway",
        "4XXError",
        API_STAGE,
        "Count",
        API_GATEWAY,
    ),
    row(
        "AWS/ApiGateway",
        "5XXError",
        API_STAGE,
        "Count",
        API_GATEWAY,
    ),
    row(
        "AWS/ApiGateway",
        "Latency",
        API_STAGE,
        "Milliseconds",
        API_GATEWAY,
    ),
    row(
        "AWS/ApiGateway",
        "IntegrationLatency",
        API_STAGE,
        "Milliseconds",
        API_GATEWAY,
    ),
];

/// `AWS/States` execution metrics. "Monitoring Step Functions using CloudWatch", "Execution metrics": counts of
/// started, succeeded, failed, aborted and timed-out executions, whose one dimension is `StateMachineArn`, "the
/// ARN of the state machine for the execution in question".
const STATES_ROWS: [Published; 5] = [
    row(
        "AWS/States",
        "ExecutionsStarted",
        STATE_MACHINE,
        "Count",
        STATES,
    ),
    row(
        "AWS/States",
        "ExecutionsSucceeded",
        STATE_MACHINE,
        "Count",
        STATES,
    ),
    row(
        "AWS/States",
        "ExecutionsFailed",
        STATE_MACHINE,
        "Count",
        STATES,
    ),
    row(
        "AWS/States",
        "ExecutionsAborted",
        STATE_MACHINE,
        "Count",
        STATES,
    ),
    row(
        "AWS/States",
        "ExecutionsTimedOut",
        STATE_MACHINE,
        "Count",
        STATES,
    ),
];

/// `PaymentMigration/Validation`: what the validation function's `_publish` puts with `PutMetricData` after each
/// run, every datum with the one dimension `Environment`: a 0/1 per verdict, the counts of inconsistent and
/// not-ready tables and of failed and suspended validation records, and, when DMS reported it, the CDC latency
/// (source plus target) in seconds.
const VALIDATION_ROWS: [Published; 8] = [
    row(
        "PaymentMigration/Validation",
        "ValidationConsistent",
        ENVIRONMENT,
        "Count",
        VALIDATION,
    ),
    row(
        "PaymentMigration/Validation",
        "ValidationInconsistent",
        ENVIRONMENT,
        "Count",
        VALIDATION,
    ),
    row(
        "PaymentMigration/Validation",
        "ValidationNotReady",
        ENVIRONMENT,
        "Count",
        VALIDATION,
    ),
    row(
        "PaymentMigration/Validation",
        "TablesInconsistent",
        ENVIRONMENT,
        "Count",
        VALIDATION,
    ),
    row(
        "PaymentMigration/Validation",
        "TablesNotReady",
        ENVIRONMENT,
        "Count",
        VALIDATION,
    ),
    row(
        "PaymentMigration/Validation",
        "ValidationFailedRecords",
        ENVIRONMENT,
        "Count",
        VALIDATION,
    ),
    row(
        "PaymentMigration/Validation",
        "ValidationSuspendedRecords",
        ENVIRONMENT,
        "Count",
        VALIDATION,
    ),
    row(
        "PaymentMigration/Validation",
        "CdcLatencySeconds",
        ENVIRONMENT,
        "Seconds",
        VALIDATION,
    ),
];

/// `PaymentMigration/Logs/<env>`: counts the stack's CloudWatch Logs metric filters make of log events (the
/// authorizer's denials, degraded requests and failures, the DMS task's error lines, the validation verdicts by their
/// `Verdict` field). A filter without dimensions publishes its metric with none; one with a dimension, with
/// exactly that one.
const LOG_FILTER_ROWS: [Published; 5] = [
    prefixed(
        "PaymentMigration/Logs/",
        "AuthorizerFailures",
        &[],
        "Count",
        LOG_FILTERS,
    ),
    prefixed(
        "PaymentMigration/Logs/",
        "AuthorizerDenials",
        &[],
        "Count",
        LOG_FILTERS,
    ),
    prefixed(
        "PaymentMigration/Logs/",
        "AuthorizerDegraded",
        &[],
        "Count",
        LOG_FILTERS,
    ),
    prefixed(
        "PaymentMigration/Logs/",
        "DmsTaskErrors",
        &[],
        "Count",
        LOG_FILTERS,
    ),
    prefixed(
        "PaymentMigration/Logs/",
        "ValidationVerdicts",
        &["Verdict"],
        "Count",
        LOG_FILTERS,
    ),
];

const GROUPS: [&[Published]; 8] = [
    &DMS_ROWS,
    &AURORA_ROLE_ROWS,
    &AURORA_CLUSTER_ROWS,
    &LAMBDA_ROWS,
    &API_GATEWAY_ROWS,
    &STATES_ROWS,
    &VALIDATION_ROWS,
    &LOG_FILTER_ROWS,
];

const ROWS: usize = {
    let mut total = 0;
    let mut i = 0;
    while i < GROUPS.len() {
        total += GROUPS[i].len();
        i += 1;
    }
    total
};

const fn flatten() -> [Published; ROWS] {
    let mut out = [DMS_ROWS[0]; ROWS];
    let (mut group, mut at) = (0, 0);
    while group < GROUPS.len() {
        let mut i = 0;
        while i < GROUPS[group].len() {
            out[at] = GROUPS[group][i];
            at += 1;
            i += 1;
        }
        group += 1;
    }
    out
}

const TABLE: [Published; ROWS] = flatten();

/// Every published combination the system reads, one row per (namespace, metric, dimension set).
pub const PUBLISHED: &[Published] = &TABLE;

/// The row publishing `metric` in `namespace` under exactly the dimension names `dimension_names` (in any
/// order), or `None` when nothing is documented to publish that combination.
pub fn is_published(
    namespace: &str,
    metric: &str,
    dimension_names: &[&str],
) -> Option<&'static Published> {
    PUBLISHED
        .iter()
        .find(|row| row.matches(namespace, metric, dimension_names))
}

/// The row publishing a typed [`Metric`], or `None`.
pub fn published(metric: &Metric) -> Option<&'static Published> {
    let names: Vec<&str> = metric.dimensions().iter().map(|d| d.name).collect();
    is_published(metric.namespace(), metric.name(), &names)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::json;

    use super::*;
    use crate::asl::{StateMachineDefinition, Succeed};
    use crate::cfn::{Attributes, Expr, LogicalId, Named, Template};
    use crate::cloudwatch::metric::{
        ApiGatewayMetric, ApiStage, AuroraMetric, ClusterRole, DmsTask, DmsTaskMetric,
        LambdaMetric, StatesMetric,
    };
    use crate::resources::apigateway::RestApi;
    use crate::resources::dms::{MigrationType, ReplicationInstance, ReplicationTask};
    use crate::resources::lambda::Function;
    use crate::resources::rds::DbCluster;
    use crate::resources::stepfunctions::StateMachine;

    // Every variant of each metric enum. The `match` without a wildcard stops compiling when a variant is added,
    // so a new metric cannot skip the table.

    fn dms_metrics() -> Vec<DmsTaskMetric> {
        use DmsTaskMetric::*;
        let all = vec![
            CdcLatencySource,
            CdcLatencyTarget,
            CdcIncomingChanges,
            CdcThroughputRowsSource,
            CdcThroughputRowsTarget,
            FullLoadThroughputRowsTarget,
        ];
        for metric in &all {
            match metric {
                CdcLatencySource
                | CdcLatencyTarget
                | CdcIncomingChanges
                | CdcThroughputRowsSource
                | CdcThroughputRowsTarget
                | FullLoadThroughputRowsTarget => {}
            }
        }
        all
    }

    fn aurora_metrics() -> Vec<AuroraMetric> {
        use AuroraMetric::*;
        let all = vec![CpuUtilization, DatabaseConnections];
        for metric in &all {
            match metric {
                CpuUtilization | DatabaseConnections => {}
            }
        }
        all
    }

    fn cluster_roles() -> Vec<ClusterRole> {
        use ClusterRole::*;
        let all = vec![Writer, Reader];
        for role in &all {
            match role {
                Writer | Reader => {}
            }
        }
        all
    }

    fn lambda_metrics() -> Vec<LambdaMetric> {
        use LambdaMetric::*;
        let all = vec![Invocations, Errors, Throttles, Duration];
        for metric in &all {
            match metric {
                Invocations | Errors | Throttles | Duration => {}
            }
        }
        all
    }

    fn api_metrics() -> Vec<ApiGatewayMetric> {
        use ApiGatewayMetric::*;
        let all = vec![Count, ClientError, ServerError, Latency, IntegrationLatency];
        for metric in &all {
            match metric {
                Count | ClientError | ServerError | Latency | IntegrationLatency => {}
            }
        }
        all
    }

    fn states_metrics() -> Vec<StatesMetric> {
        use StatesMetric::*;
        let all = vec![
            ExecutionsStarted,
            ExecutionsSucceeded,
            ExecutionsFailed,
            ExecutionsAborted,
            ExecutionsTimedOut,
        ];
        for metric in &all {
            match metric {
                ExecutionsStarted | ExecutionsSucceeded | ExecutionsFailed | ExecutionsAborted
                | ExecutionsTimedOut => {}
            }
        }
        all
    }

    /// One resource of each kind a metric constructor takes, with the literal names the constructors read.
    struct Resources {
        instance: Named<ReplicationInstance>,
        task: Named<ReplicationTask>,
        cluster: Named<DbCluster>,
        function: Named<Function>,
        api: Named<RestApi>,
        state_machine: Named<StateMachine>,
    }

    fn resources() -> Resources {
        let mut template = Template::new("published");
        let none = Attributes::new;
        let instance = template.add_named(
            LogicalId::verbatim("Instance"),
            "Payment-Replication-Test",
            ReplicationInstance::private(
                "dms.t3.medium",
                crate::resources::kms::KeyArn::existing(Expr::lit("key")),
                Expr::lit("group"),
                vec![],
            ),
            none(),
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
            none(),
        );
        let cluster = template.add_named(
            LogicalId::verbatim("Cluster"),
            "Payment-Cluster-Test",
            DbCluster::aurora_postgresql(
                "16.4",
                crate::resources::kms::KeyArn::existing(Expr::lit("key")),
                Expr::lit("subnets"),
                vec![],
            ),
            none(),
        );
        let function = template.add_named(
            LogicalId::verbatim("Function"),
            "payment-function-test",
            Function::python_inline(
                "",
                "index.handler",
                crate::resources::iam::RoleArn::existing(Expr::lit("role")),
            ),
            none(),
        );
        let api = template.add_named(
            LogicalId::verbatim("Api"),
            "payment-api-test",
            RestApi::regional("payment-api-test"),
            none(),
        );
        let definition = StateMachineDefinition::new("Done")
            .state("Done", Succeed::new())
            .build()
            .unwrap_or_else(|e| panic!("{e:?}"));
        let state_machine = template.add_named(
            LogicalId::verbatim("StateMachine"),
            "payment-workflow-test",
            StateMachine::running(
                crate::resources::iam::RoleArn::existing(Expr::lit("role")),
                &definition,
            ),
            none(),
        );
        Resources {
            instance,
            task,
            cluster,
            function,
            api,
            state_machine,
        }
    }

    /// Every metric the constructors of `metric.rs` can build: each variant of each enum, through the
    /// constructor that takes it.
    fn every_constructible_metric() -> Vec<Metric> {
        let r = resources();
        let mut metrics = Vec::new();
        let task = DmsTask::of(&r.instance, &r.task);
        for metric in dms_metrics() {
            metrics.push(Metric::dms_task(&task, metric));
        }
        for role in cluster_roles() {
            for metric in aurora_metrics() {
                metrics.push(Metric::aurora_cluster(&r.cluster, role, metric));
            }
        }
        metrics.push(Metric::aurora_global_replication_lag(&r.cluster));
        for metric in lambda_metrics() {
            metrics.push(Metric::lambda(&r.function, metric));
        }
        let stage = ApiStage::of(&r.api, "v1");
        for metric in api_metrics() {
            metrics.push(Metric::api_stage(&stage, metric));
        }
        for metric in states_metrics() {
            metrics.push(Metric::state_machine(&r.state_machine, metric));
        }
        metrics
    }

    fn is_aws(row: &Published) -> bool {
        matches!(row.namespace, Namespace::Exact(namespace) if namespace.starts_with("AWS/"))
    }

    fn dimension_names(metric: &Metric) -> Vec<&'static str> {
        metric.dimensions().iter().map(|d| d.name).collect()
    }

    #[test]
    fn every_metric_the_constructors_build_is_published() {
        let metrics = every_constructible_metric();
        assert_eq!(metrics.len(), 6 + 2 * 2 + 1 + 4 + 5 + 5);
        let unpublished: Vec<String> = metrics
            .iter()
            .filter(|m| published(m).is_none())
            .map(|m| format!("{}/{} {:?}", m.namespace(), m.name(), dimension_names(m)))
            .collect();
        assert!(unpublished.is_empty(), "not in the table: {unpublished:#?}");
    }

    #[test]
    fn every_aws_row_is_reached_by_a_constructor() {
        // The converse: a row of an AWS namespace no constructor builds is either dead or a missing constructor.
        let built: Vec<&'static Published> = every_constructible_metric()
            .iter()
            .map(|m| published(m).expect("published"))
            .collect();
        for row in PUBLISHED {
            if is_aws(row) {
                assert!(
                    built.contains(&row),
                    "{:?}/{} {:?}: no constructor builds it",
                    row.namespace,
                    row.metric,
                    row.dimensions
                );
            }
        }
    }

    #[test]
    fn the_validation_rows_are_exactly_what_the_function_publishes() {
        let source = include_str!("../../templates/lambda/validation.py");
        let publish = source
            .split("def _publish(")
            .nth(1)
            .expect("validation.py defines _publish")
            .split("\ndef ")
            .next()
            .expect("a body");
        assert!(
            publish.contains(r#"dims = [{"Name": "Environment", "Value": cfg["ENVIRONMENT"]}]"#),
            "_publish no longer publishes under the single dimension Environment:\n{publish}"
        );
        let published_names: BTreeSet<&str> = publish
            .split("datum(\"")
            .skip(1)
            .map(|rest| rest.split('"').next().expect("a closing quote"))
            .collect();
        let table_names: BTreeSet<&str> = PUBLISHED
            .iter()
            .filter(|row| row.namespace == Namespace::Exact("PaymentMigration/Validation"))
            .map(|row| {
                assert_eq!(row.dimensions, ENVIRONMENT);
                row.metric
            })
            .collect();
        assert_eq!(published_names, table_names);
    }

    #[test]
    fn dimension_order_is_irrelevant_but_the_set_is_exact() {
        let forward = ["ReplicationInstanceIdentifier", "ReplicationTaskIdentifier"];
        let backward = ["ReplicationTaskIdentifier", "ReplicationInstanceIdentifier"];
        assert!(is_published("AWS/DMS", "CDCLatencySource", &forward).is_some());
        assert!(is_published("AWS/DMS", "CDCLatencySource", &backward).is_some());
        let superset = [
            "ReplicationInstanceIdentifier",
            "ReplicationTaskIdentifier",
            "Extra",
        ];
        assert_eq!(is_published("AWS/DMS", "CDCLatencySource", &superset), None);
        let repeated = [
            "ReplicationInstanceIdentifier",
            "ReplicationInstanceIdentifier",
        ];
        assert_eq!(is_published("AWS/DMS", "CDCLatencySource", &repeated), None);
    }

    #[test]
    fn wrong_dimension_sets_are_rejected() {
        // A DMS task metric without the instance: DMS publishes task metrics under both identifiers.
        assert_eq!(
            is_published(
                "AWS/DMS",
                "CDCLatencySource",
                &["ReplicationTaskIdentifier"]
            ),
            None
        );
        // ApiId is the HTTP APIs' dimension; REST API stages publish under ApiName and Stage.
        assert_eq!(is_published("AWS/ApiGateway", "5XXError", &["ApiId"]), None);
        // Lambda has no Stage dimension.
        assert_eq!(
            is_published("AWS/Lambda", "Errors", &["FunctionName", "Stage"]),
            None
        );
        // Role aggregates per cluster, not per instance.
        assert_eq!(
            is_published(
                "AWS/RDS",
                "CPUUtilization",
                &["DBInstanceIdentifier", "Role"]
            ),
            None
        );
    }

    #[test]
    fn log_filter_namespaces_match_by_prefix_only_with_an_environment() {
        assert!(is_published("PaymentMigration/Logs/dev", "AuthorizerDenials", &[]).is_some());
        assert!(
            is_published(
                "PaymentMigration/Logs/prod",
                "ValidationVerdicts",
                &["Verdict"]
            )
            .is_some()
        );
        assert_eq!(
            is_published("PaymentMigration/Logs/", "AuthorizerDenials", &[]),
            None
        );
        assert_eq!(
            is_published("PaymentMigration/Logs/dev", "ValidationVerdicts", &[]),
            None
        );
        assert_eq!(
            is_published("PaymentMigration/Validation", "AuthorizerDenials", &[]),
            None
        );
    }

    #[test]
    fn rows_are_unique_and_cite_a_source() {
        for (i, row) in PUBLISHED.iter().enumerate() {
            assert!(!row.source.is_empty() && !row.unit.is_empty(), "{row:?}");
            if is_aws(row) {
                assert!(
                    row.source.starts_with("https://docs.aws.amazon.com/"),
                    "{row:?}: an AWS metric cites the AWS documentation"
                );
            }
            for other in &PUBLISHED[i + 1..] {
                assert!(
                    !(row.namespace == other.namespace
                        && row.metric == other.metric
                        && same_set(row.dimensions, other.dimensions)),
                    "{row:?} is listed twice"
                );
            }
        }
        assert_eq!(PUBLISHED.len(), 36);
    }
}
