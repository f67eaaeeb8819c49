//! The **migration** workflow, `payment-migration-migration-<env>`, started as the original runbook does
//! (`aws stepfunctions start-execution --state-machine-arn … --input '{}'`): its input is ignored, and every
//! setting comes from the definition (the spec's pace and bounds) or Parameter Store.
//!
//! It refuses to start unless the phase is `not-started`, `cutover-declined` or `rolled-back` with the split at
//! `0` and cutover off: a migration that runs, completed, or was taken back by an operator is never re-run over
//! itself (the rollback workflow resets the phase). Then its phases, each announced the same way (`workflow/phase`
//! written, the state saved as `checkpoints/<execution>/<phase>.json`, the operations topic told):
//!
//! 1. `preparing`: the forward task's source and target endpoints tested (bounded polls);
//! 2. `full-load`: the forward task started by its status (`start-replication` when it never ran,
//!    `resume-processing` when it stopped or failed) and polled until the full load is complete and CDC runs;
//! 3. `cdc`: the forward CDC-latency gate awaited;
//! 4. `validating`: the validation function asked until it answers `consistent` (`not-ready` is asked again,
//!    bounded; `inconsistent` fails);
//! 5. `awaiting-approval`: an approval request with a task token; a rejection or the timeout ends the run as
//!    `cutover-declined`, traffic untouched;
//! 6. `cutover` ([`super::cutover`]): the reverse task running before any traffic moves, then the spec's steps,
//!    each checked before and baked after;
//! 7. `complete`.
//!
//! Every failure (a caught error, a bound reached, a verdict, an alarm) is recorded in `$.error`, saved as
//! `checkpoints/<execution>/failed.json`, and the rollback workflow is started with it as the reason; the
//! migration waits for it and fails with `Migration.RolledBack`, or pages `rollback-not-completed` and fails
//! with `Migration.RollbackNotCompleted`. An operator's change of the split or the switch ends it in
//! `taken-back` without a rollback of its own.

use serde_json::json;

use crate::asl::integration::{
    dms_describe_connections, dms_test_connection, lambda_invoke_with, sfn_start_execution_sync,
    sns_publish_wait_for_task_token,
};
use crate::asl::{
    Catcher, Choice, Condition, Definition, ErrorName, Fail, Input, Pass, Path, Poll, Retrier,
    Sequence, StateMachineDefinition, Succeed, Task,
};
use crate::cfn::Handle;
use crate::resources::stepfunctions::StateMachine;
use crate::spec::Environment;

use super::super::configuration::Phase;
use super::super::validation::TRANSIENT_ERROR;
use super::pace::{self, Pace, Polling};
use super::pieces::{
    CALL, CHECKPOINT_PREFIX, DISCARDED, GATE, POLL, POLL_READ, READS, SWITCHES, UNREAD, announce,
    call, catch_all, checkpoint, contains, handled, notify, read_gate, read_switches, start_task,
    unknown,
};
use super::{FAILED, Resources, TIMEOUT_MARGIN_PERCENT, built, cutover, failure};

/// The standalone ASL document of the migration workflow, written beside the templates.
pub const MIGRATION_ASL_FILE: &str = "migration.asl.json";
/// The error an operator gives `send-task-failure` to reject the cutover.
pub const APPROVAL_REJECTED: &str = "Approval.Rejected";
/// How long one validation may take: the function's 60-second timeout, and Lambda's own overhead.
const VALIDATION_CALL_SECONDS: u32 = 90;

/// The state machine's physical name, `payment-migration-migration-<env>`.
pub fn migration_state_machine_name(env: &Environment) -> String {
    format!("{}-migration-{}", super::super::stack::SYSTEM, env.name)
}

/// Where the start guard reads the switches.
const FOUND: Path = Path::new("$.found");
const CONNECTIONS: Path = POLL;
const FULL_LOAD: Path = POLL;
const CDC: Path = POLL;
const VALIDATION: Path = Path::new("$.validation");
const VALIDATIONS: Path = POLL;

/// The migration workflow's definition; failures start `rollback`, whose execution lasts at most
/// `rollback_timeout` seconds.
pub fn definition(
    env: &Environment,
    r: &Resources,
    rollback: &Handle<StateMachine>,
    rollback_timeout: u32,
) -> Definition {
    let pace = Pace::of(env);
    let orchestration = &env.orchestration;
    let rollback_name = super::rollback_state_machine_name(env);
    let body = start_guard(r, env)
        .append(preparing(r, env))
        .append(full_load(r, env, &pace))
        .append(cdc(r, env, &pace))
        .append(validating(r, env, &pace))
        .append(approval(r, env))
        .append(cutover::cutover(r, env, &pace))
        .append(cutover::taken_back(r, env))
        .append(failures(r, env, rollback, rollback_timeout));
    let definition = StateMachineDefinition::new("Initialize")
        .comment(format!(
            "Migrates the {} payment database: preparation, full load, CDC catch-up, validation, approval, \
             cutover in steps of {:?} % with {} min bakes under the migration-health alarm, the reverse task and \
             the switches. Any failure starts {rollback_name}. Start it with --input '{{}}': the input is not \
             read.",
            env.name, orchestration.traffic_steps, orchestration.bake_minutes
        ))
        .timeout_from_worst_case(TIMEOUT_MARGIN_PERCENT)
        .sequence(body, None);
    built("migration", definition.build())
}

/// Starts only from a phase where nothing runs and nothing has moved.
fn start_guard(r: &Resources, env: &Environment) -> Sequence {
    let values = SWITCHES.at("Values");
    let read = read_switches(r).retried(CALL);
    let found = |phase: Phase| Condition::boolean_equals(FOUND.at(phase_fact(phase)), true);
    let mut facts = serde_json::Map::new();
    facts.insert(
        "SwitchCount.$".into(),
        json!(format!("States.ArrayLength({values})")),
    );
    for phase in STARTABLE {
        facts.insert(
            format!("{}.$", phase_fact(phase)),
            contains(&values, phase.as_str()),
        );
    }
    facts.insert("SplitAtZero.$".into(), contains(&values, "0"));
    facts.insert("CutoverOff.$".into(), contains(&values, "false"));
    Sequence::new()
        .then(
            "Initialize",
            Pass::new()
                .comment("The input is ignored: every setting comes from the definition or Parameter Store")
                .parameters(json!({
                    "environment": env.name,
                    "execution.$": "$$.Execution.Id",
                }))
                .next("ReadWorkflowParameters"),
        )
        .then(
            "ReadWorkflowParameters",
            read.catch(Catcher::new(vec![ErrorName::All], "CouldNotStart").result_path("$.error"))
                .next("AssessStart"),
        )
        .then(
            "AssessStart",
            Pass::new()
                .parameters(serde_json::Value::Object(facts))
                .result_path(FOUND)
                .next("MayMigrationStart"),
        )
        .then(
            "MayMigrationStart",
            Choice::new()
                .comment(
                    "Only from not-started, cutover-declined or rolled-back, with the split at 0 and cutover \
                     off; the rollback workflow resets a run that ended any other way",
                )
                .when(
                    Condition::and(vec![
                        Condition::numeric_equals(FOUND.at("SwitchCount"), 3),
                        Condition::or(STARTABLE.iter().map(|p| found(*p)).collect()),
                        Condition::boolean_equals(FOUND.at("SplitAtZero"), true),
                        Condition::boolean_equals(FOUND.at("CutoverOff"), true),
                    ]),
                    "RecordPreparing",
                )
                .otherwise("Refused"),
        )
        .then(
            "Refused",
            Fail::new().error("Migration.Refused").cause(
                "The migration starts only when workflow/phase is not-started, cutover-declined or rolled-back, \
                 the split 0 and enable-cutover false. Another run is in progress, the migration completed, or \
                 traffic was moved: nothing was changed. Run the rollback workflow first to start over.",
            ),
        )
        .then(
            "CouldNotStart",
            Fail::new().error("Migration.NotStarted").cause(
                "The workflow parameters could not be read: nothing was changed",
            ),
        )
}

/// The phases a migration may start from.
const STARTABLE: [Phase; 3] = [Phase::NotStarted, Phase::CutoverDeclined, Phase::RolledBack];

/// The name of the start guard's fact "the phase is `phase`".
fn phase_fact(phase: Phase) -> &'static str {
    match phase {
        Phase::NotStarted => "NotStarted",
        Phase::CutoverDeclined => "CutoverDeclined",
        Phase::RolledBack => "RolledBack",
        _ => "Other",
    }
}

fn preparing(r: &Resources, env: &Environment) -> Sequence {
    let replication = &r.replication;
    let polling = pace::CONNECTION_TESTS;
    let connection = |endpoint| {
        call(dms_describe_connections(endpoint))
            .result_selector(json!({"Statuses.$": "$.Connections[*].Status"}))
    };
    let tests = Poll::new(
        "ConnectionTests",
        CONNECTIONS,
        polling.interval_seconds,
        polling.max_polls,
    )
    .forgetting(
        READS,
        json!({"Source": {"Statuses": unknown()}, "Target": {"Statuses": unknown()}}),
    )
    .reads(
        Sequence::new()
            .then(
                "DescribeSourceConnection",
                connection(&replication.forward_source).result_path(READS.at("Source")),
            )
            .then(
                "DescribeTargetConnection",
                connection(&replication.forward_target).result_path(READS.at("Target")),
            ),
    )
    .tolerating_failed_reads(POLL_READ, UNREAD)
    .fact(
        "SourceConnected.$",
        contains(&READS.at("Source.Statuses"), "successful"),
    )
    .fact(
        "TargetConnected.$",
        contains(&READS.at("Target.Statuses"), "successful"),
    )
    .fact(
        "SourceFailed.$",
        contains(&READS.at("Source.Statuses"), "failed"),
    )
    .fact(
        "TargetFailed.$",
        contains(&READS.at("Target.Statuses"), "failed"),
    )
    .decided_by("AreEndpointsConnected")
    .when(
        Condition::and(vec![
            Condition::boolean_equals(CONNECTIONS.at("SourceConnected"), true),
            Condition::boolean_equals(CONNECTIONS.at("TargetConnected"), true),
        ]),
        "RecordFullLoad",
    )
    .when(
        Condition::or(vec![
            Condition::boolean_equals(CONNECTIONS.at("SourceFailed"), true),
            Condition::boolean_equals(CONNECTIONS.at("TargetFailed"), true),
        ]),
        "ConnectionFailed",
    )
    .otherwise("ConnectionTestTimedOut");
    announce(r, env, "Preparing", Phase::Preparing, FAILED)
        .append(
            handled(FAILED)
                .then(
                    "TestSourceConnection",
                    call(dms_test_connection(
                        &replication.instance,
                        &replication.forward_source,
                    ))
                    .result_path(DISCARDED),
                )
                .then(
                    "TestTargetConnection",
                    call(dms_test_connection(
                        &replication.instance,
                        &replication.forward_target,
                    ))
                    .result_path(DISCARDED),
                ),
        )
        .append(tests.into_sequence())
        .then(
            "ConnectionFailed",
            failure(
                "Migration.ConnectionFailed",
                "DMS could not connect to the source or the target endpoint: see the endpoint's connection test \
                 in the DMS console (security groups, the secret's host and port, TLS)",
            ),
        )
        .then(
            "ConnectionTestTimedOut",
            failure(
                "Migration.ConnectionTestTimedOut",
                format!(
                    "The endpoint connection tests did not finish within {} s",
                    polling.seconds()
                ),
            ),
        )
}

fn full_load(r: &Resources, env: &Environment, pace: &Pace) -> Sequence {
    let forward = &r.replication.forward_task;
    let Polling {
        interval_seconds,
        max_polls,
    } = pace.full_load;
    let statuses = READS.at("Forward.Statuses");
    let describe = crate::asl::integration::dms_describe_replication_task(forward);
    let gone = describe.error("ResourceNotFoundFault");
    let poll = Poll::new("FullLoad", FULL_LOAD, interval_seconds, max_polls);
    let count = poll.count_state();
    let poll = poll
        .forgetting(
            READS,
            json!({"Forward": {"Statuses": unknown(), "Progress": []}}),
        )
        .reads(
            Sequence::new().then(
                "DescribeFullLoad",
                call(describe)
                    .result_selector(json!({
                        "Statuses.$": "$.ReplicationTasks[*].Status",
                        "Progress.$": "$.ReplicationTasks[*].ReplicationTaskStats.FullLoadProgressPercent",
                    }))
                    .result_path(READS.at("Forward"))
                    // DMS's answer that the task does not exist is definite: no use waiting for it.
                    .catch(Catcher::new(vec![gone], "ForwardTaskGone").result_path(UNREAD))
                    .catch(Catcher::new(vec![ErrorName::All], count).result_path(UNREAD)),
            ),
        )
        .tolerating_failed_reads(POLL_READ, UNREAD)
        .fact("Running.$", contains(&statuses, "running"))
        .fact(
            "Loaded.$",
            json!(format!("States.ArrayContains({}, 100)", READS.at("Forward.Progress"))),
        )
        .fact("Failed.$", contains(&statuses, "failed"))
        .fact("Stopped.$", contains(&statuses, "stopped"))
        .decided_by("IsFullLoadComplete")
        .when(
            Condition::and(vec![
                Condition::boolean_equals(FULL_LOAD.at("Running"), true),
                Condition::boolean_equals(FULL_LOAD.at("Loaded"), true),
            ]),
            "RecordCdc",
        )
        .when(
            Condition::or(vec![
                Condition::boolean_equals(FULL_LOAD.at("Failed"), true),
                Condition::boolean_equals(FULL_LOAD.at("Stopped"), true),
            ]),
            "ForwardTaskStopped",
        )
        .otherwise("FullLoadTimedOut");
    announce(r, env, "FullLoad", Phase::FullLoad, FAILED)
        .append(start_task(
            forward,
            "ForwardTask",
            &poll.start_state(),
            "ForwardTaskNotStartable",
            FAILED,
        ))
        .then(
            "ForwardTaskNotStartable",
            failure(
                "Migration.TaskNotStartable",
                "The forward task is absent, or neither ready, stopped, failed nor running (it is being created, \
                 modified, stopped or deleted); run the migration again once it settles",
            ),
        )
        .append(poll.into_sequence())
        .then(
            "ForwardTaskStopped",
            failure(
                "Migration.ForwardTaskStopped",
                "The forward task stopped or failed during the full load: see its last failure message in the DMS \
                 console and its CloudWatch log group",
            ),
        )
        .then(
            "ForwardTaskGone",
            failure(
                "Migration.ForwardTaskGone",
                "DMS says the forward task does not exist: it was deleted during the full load",
            ),
        )
        .then(
            "FullLoadTimedOut",
            failure(
                "Migration.FullLoadTimedOut",
                format!(
                    "The full load did not complete within {} h (orchestration.full_load_timeout_hours)",
                    env.orchestration.full_load_timeout_hours
                ),
            ),
        )
}

fn cdc(r: &Resources, env: &Environment, pace: &Pace) -> Sequence {
    let Polling {
        interval_seconds,
        max_polls,
    } = pace.cdc_catch_up;
    let poll = Poll::new("CdcCatchUp", CDC, interval_seconds, max_polls)
        .reading_first()
        .forgetting(READS, json!({"Gate": {"States": unknown()}}))
        .reads(Sequence::new().then(
            "DescribeCdcLatencyGate",
            read_gate(&r.alarms.forward_cdc_latency, "forward"),
        ))
        .tolerating_failed_reads(POLL_READ, UNREAD)
        .fact("CaughtUp.$", contains(&GATE.at("States"), "OK"))
        .decided_by("IsCdcCaughtUp")
        .when(
            Condition::boolean_equals(CDC.at("CaughtUp"), true),
            "RecordValidating",
        )
        .otherwise("CdcTimedOut");
    announce(r, env, "Cdc", Phase::Cdc, FAILED)
        .append(poll.into_sequence())
        .then(
            "CdcTimedOut",
            failure(
                "Migration.CdcTimedOut",
                format!(
                    "CDC latency did not stay under {} s within {} min (orchestration.cdc_catch_up_minutes)",
                    env.migration.max_cdc_latency_seconds, env.orchestration.cdc_catch_up_minutes
                ),
            ),
        )
}

/// Asks the validation function until it answers `consistent`. The function's `DependencyUnavailable` (an AWS
/// call it makes was throttled or failed transiently) and `Lambda.Unknown` (it timed out) are retried; its other
/// errors (a misconfiguration, a refusal) are not, and fail the run.
fn validating(r: &Resources, env: &Environment, pace: &Pace) -> Sequence {
    let Polling {
        interval_seconds,
        max_polls,
    } = pace.validation;
    let verdict = VALIDATION.at("Summary.verdict");
    let is = |v: &str| Condition::string_equals(verdict.clone(), v.to_string());
    let validate = Task::new(lambda_invoke_with(
        &r.validation.function,
        Input::json(json!({"execution.$": "$$.Execution.Id"})),
    ))
    .timeout_seconds(VALIDATION_CALL_SECONDS)
    .with_lambda_retry()
    .retry(
        Retrier::new(vec![
            ErrorName::custom(TRANSIENT_ERROR),
            ErrorName::LambdaUnknown,
        ])
        .interval_seconds(5)
        .max_attempts(2)
        .backoff_rate(2.0),
    )
    .result_selector(json!({"Summary.$": "$.Payload"}))
    .result_path(VALIDATION)
    .catch(catch_all(FAILED));
    let poll = Poll::new("Validation", VALIDATIONS, interval_seconds, max_polls)
        .reading_first()
        .reads(Sequence::new().then("Validate", validate))
        .decided_by("ValidationVerdict")
        .when(
            Condition::is_present(verdict.clone(), false),
            "UnknownVerdict",
        )
        .when(is("consistent"), "RecordAwaitingApproval")
        .when(is("inconsistent"), "DataInconsistent")
        .when(Condition::not(is("not-ready")), "UnknownVerdict")
        .otherwise("ValidationTimedOut");
    announce(r, env, "Validating", Phase::Validating, FAILED)
        .append(poll.into_sequence())
        .then(
            "DataInconsistent",
            failure(
                "Migration.DataInconsistent",
                "The validation found source and target disagreeing: see its report under validation/ in the \
                 checkpoints bucket",
            ),
        )
        .then(
            "ValidationTimedOut",
            failure(
                "Migration.ValidationTimedOut",
                format!(
                    "The validation still answered not-ready after {} min (orchestration.validation_timeout_minutes)",
                    env.orchestration.validation_timeout_minutes
                ),
            ),
        )
        .then(
            "UnknownVerdict",
            failure(
                "Migration.UnknownVerdict",
                "The validation function answered neither consistent, inconsistent nor not-ready",
            ),
        )
}

fn approval(r: &Resources, env: &Environment) -> Sequence {
    let orchestration = &env.orchestration;
    let request = sns_publish_wait_for_task_token(
        &r.notification.operations_topic,
        json!({
            "event": "approval-requested",
            "environment": env.name,
            "execution.$": "$$.Execution.Id",
            "validation.$": VALIDATION.as_str(),
            "approve": format!(
                "aws stepfunctions send-task-success --region {} --task-token \"$TASK_TOKEN\" --task-output '{{\"approvedBy\":\"NAME\"}}'",
                env.primary_region
            ),
            "reject": format!(
                "aws stepfunctions send-task-failure --region {} --task-token \"$TASK_TOKEN\" --error {APPROVAL_REJECTED} --cause 'WHY'",
                env.primary_region
            ),
            "expiresInHours": orchestration.approval_timeout_hours,
        }),
    )
    .encrypted_with(r.key);
    let rejected = ErrorName::custom(APPROVAL_REJECTED);
    announce(r, env, "AwaitingApproval", Phase::AwaitingApproval, FAILED)
        .then(
            "RequestApproval",
            Task::new(request)
                .comment("An operator answers with the TaskToken of the message; without an answer the run ends")
                .parameter(
                    "Subject",
                    json!(format!("Payment migration {}: approve the cutover?", env.name)),
                )
                .timeout_seconds(orchestration.approval_timeout_hours * 3600)
                .result_path("$.approval")
                // A rejection is an answer, not a failure to deliver the request: never asked again.
                .retry(Retrier::never(vec![rejected.clone()]))
                .retry(
                    Retrier::new(vec![ErrorName::TaskFailed])
                        .interval_seconds(CALL.interval_seconds)
                        .max_attempts(CALL.max_attempts)
                        .backoff_rate(CALL.rate)
                        .max_delay_seconds(CALL.max_delay_seconds),
                )
                .catch(Catcher::new(vec![rejected], "RecordCutoverDeclined").result_path("$.declined"))
                .catch(
                    Catcher::new(vec![ErrorName::Timeout], "RecordCutoverDeclined")
                        .result_path("$.declined"),
                )
                .catch(catch_all(FAILED))
                .next("RecordCutover"),
        )
        .append(announce(
            r,
            env,
            "CutoverDeclined",
            Phase::CutoverDeclined,
            FAILED,
        ))
        .then(
            "CutoverDeclined",
            Succeed::new().comment(
                "Rejected or not answered in time: traffic stays on production, replication runs",
            ),
        )
}

/// Saves the error, runs the rollback and waits for it, then fails; pages if the rollback did not complete.
fn failures(
    r: &Resources,
    env: &Environment,
    rollback: &Handle<StateMachine>,
    rollback_timeout: u32,
) -> Sequence {
    let rollback_name = super::rollback_state_machine_name(env);
    let start = sfn_start_execution_sync(
        rollback,
        Input::json(json!({
            "reason.$": "States.Format('{} failed: {}', $$.Execution.Name, $.error.Error)",
            "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id",
        })),
    );
    let roll_back = Task::new(start)
        .comment(format!("Runs {rollback_name} and waits for it"))
        .timeout_seconds(rollback_timeout)
        .result_path(DISCARDED)
        .retried(CALL);
    Sequence::new()
        .then(
            FAILED,
            call(checkpoint(r, "{}/failed.json", &["$$.Execution.Name"]))
                .comment("Keeps the state and the error for the post-mortem; a failure here must not block the rollback")
                .result_path(DISCARDED)
                .catch(Catcher::new(vec![ErrorName::All], "KeepTheError").result_path(UNREAD))
                .next("KeepTheError"),
        )
        .then(
            "KeepTheError",
            Pass::new()
                .comment("What follows needs only the error; the whole state is in failed.json")
                .parameters(json!({
                    "environment": env.name,
                    "execution.$": "$$.Execution.Id",
                    "error.$": "$.error",
                }))
                .next("RollBack"),
        )
        .append(
            Sequence::handled(crate::asl::Handling::retrying(CALL))
                .then(
                    "RollBack",
                    roll_back
                        .catch(
                            Catcher::new(vec![ErrorName::All], "NotifyRollbackNotCompleted")
                                .result_path("$.rollbackError"),
                        )
                        .next("RolledBack"),
                )
                .then(
                    "RolledBack",
                    Fail::new().error("Migration.RolledBack").cause(format!(
                        "The migration failed and {rollback_name} rolled it back; the error is in \
                         {CHECKPOINT_PREFIX}<execution>/failed.json of the checkpoints bucket"
                    )),
                )
                .then(
                    "NotifyRollbackNotCompleted",
                    call(notify(
                        r,
                        json!({
                            "event": "rollback-not-completed",
                            "environment": env.name,
                            "execution.$": "$$.Execution.Id",
                            "error.$": "$.error",
                            "rollbackError.$": "$.rollbackError",
                            "left": format!(
                                "The migration failed and {rollback_name} did not complete: traffic may still reach \
                                 the migration side and replication back to production may be incomplete. Start \
                                 the rollback workflow by hand and watch it; its own message says what it left."
                            ),
                        }),
                    ))
                    .parameter(
                        "Subject",
                        json!(format!(
                            "Payment migration {}: ROLLBACK NOT COMPLETED, act now",
                            env.name
                        )),
                    )
                    .result_path(DISCARDED)
                    .catch(
                        Catcher::new(vec![ErrorName::All], "RollbackNotCompleted")
                            .result_path(UNREAD),
                    ),
                )
                .then(
                    "RollbackNotCompleted",
                    Fail::new()
                        .error("Migration.RollbackNotCompleted")
                        .cause(format!(
                            "The migration failed and {rollback_name} did not complete: start it by hand and watch it"
                        )),
                ),
        )
}
