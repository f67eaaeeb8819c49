//! Metric filters: numbers that exist only in the logs, made metrics an alarm or a widget can read. Their
//! namespace is the environment's own, `PaymentMigration/Logs/<env>`: a filter's dimensions can only come from
//! the log event, so the environment cannot be a dimension.

use crate::cfn::Handle;
use crate::cloudwatch::{Dimension, Metric};
use crate::resources::logs::{LogGroup, MetricFilter};

use super::super::stack::{Layer, Stack};

/// The metrics the filters publish.
pub struct LogMetrics {
    /// Requests the authorizer denied (a missing, wrong or expired token, or a configuration it cannot read).
    pub authorizer_denials: Metric,
    /// Requests the authorizer served from stale settings or token versions, or sent to production for want of
    /// settings, or denied for want of token versions, because Parameter Store or Secrets Manager failed.
    pub authorizer_degraded: Metric,
    /// Requests API Gateway answered 500 because the authorizer failed (an error, a timeout, or Lambda
    /// throttling it at its reserved concurrency), from the stage's access log.
    pub authorizer_failures: Metric,
    /// Error lines (`]E:`) DMS wrote for the replication tasks.
    pub dms_task_errors: Metric,
    /// The validation function's verdicts, one per run, by `Verdict`.
    pub validation_verdicts: Vec<(&'static str, Metric)>,
}

/// The namespace of the environment's log-derived metrics.
pub fn namespace(env: &str) -> String {
    format!("PaymentMigration/Logs/{env}")
}

/// The verdicts the validation function writes, as `{"event": "validation", "verdict": …}`.
const VERDICTS: [&str; 3] = ["consistent", "inconsistent", "not-ready"];

/// The metric filters over the authorizer's log, the stage's access log, the DMS task log and the validation
/// function's log, each counting into [`namespace`]; the returned metrics are what the alarms and the dashboard
/// read.
pub fn build(
    stack: &mut Stack,
    authorizer_logs: &Handle<LogGroup>,
    access_logs: &Handle<LogGroup>,
    task_logs: &Handle<LogGroup>,
    validation_logs: &Handle<LogGroup>,
) -> LogMetrics {
    let namespace = namespace(&stack.env.name);
    // The authorizer writes one JSON line per decision (templates/lambda/authorizer.py).
    let denials = stack.name("authorizer denials");
    stack.add(
        Layer::Monitoring,
        "authorizer denials filter",
        MetricFilter::count(
            denials,
            "{ $.event = \"denied\" }",
            authorizer_logs.log_group_name(),
            namespace.clone(),
            "AuthorizerDenials",
        ),
    );
    let degraded = stack.name("authorizer degraded");
    stack.add(
        Layer::Monitoring,
        "authorizer degraded filter",
        MetricFilter::count(
            degraded,
            "{ $.event = \"degraded\" }",
            authorizer_logs.log_group_name(),
            namespace.clone(),
            "AuthorizerDegraded",
        ),
    );
    // API Gateway writes "-" for a context variable without a value (the stage's access log format).
    let failures = stack.name("authorizer failures");
    stack.add(
        Layer::Monitoring,
        "authorizer failures filter",
        MetricFilter::count(
            failures,
            "{ ($.status = \"500\") && ($.authorizerError != \"-\") }",
            access_logs.log_group_name(),
            namespace.clone(),
            "AuthorizerFailures",
        ),
    );
    // DMS task log lines read `<timestamp> [<COMPONENT> ]E:  <message>` for errors (DMS user guide, task logs).
    let errors = stack.name("dms task errors");
    stack.add(
        Layer::Monitoring,
        "dms task errors filter",
        MetricFilter::count(
            errors,
            "\"]E:\"",
            task_logs.log_group_name(),
            namespace.clone(),
            "DmsTaskErrors",
        ),
    );
    let verdicts = stack.name("validation verdicts");
    stack.add(
        Layer::Monitoring,
        "validation verdicts filter",
        MetricFilter::count_by(
            verdicts,
            "{ $.event = \"validation\" }",
            validation_logs.log_group_name(),
            namespace.clone(),
            "ValidationVerdicts",
            "Verdict",
            "verdict",
        ),
    );
    LogMetrics {
        authorizer_denials: Metric::custom(namespace.clone(), "AuthorizerDenials", Vec::new()),
        authorizer_degraded: Metric::custom(namespace.clone(), "AuthorizerDegraded", Vec::new()),
        authorizer_failures: Metric::custom(namespace.clone(), "AuthorizerFailures", Vec::new()),
        dms_task_errors: Metric::custom(namespace.clone(), "DmsTaskErrors", Vec::new()),
        validation_verdicts: VERDICTS
            .iter()
            .map(|verdict| {
                (
                    *verdict,
                    Metric::custom(
                        namespace.clone(),
                        "ValidationVerdicts",
                        vec![Dimension {
                            name: "Verdict",
                            value: crate::cfn::Expr::lit(*verdict),
                        }],
                    ),
                )
            })
            .collect(),
    }
}
