//! Unit tests of the ASL builder: JSON shapes, placeholders, derived policy, and one failing definition per
//! validation rule.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};

use super::integration::*;
use super::*;
use crate::cfn::{Expr, Handle, LogicalId, Named};
use crate::resources::dms::{Endpoint, ReplicationInstance, ReplicationTask};
use crate::resources::kms::Key;
use crate::resources::lambda::Function;
use crate::resources::s3::Bucket;
use crate::resources::sns::Topic;
use crate::resources::ssm::Parameter;

fn handle<R>(id: &str) -> Handle<R> {
    Handle::new(LogicalId::verbatim(id))
}

fn function() -> Handle<Function> {
    handle("CutoverFunction")
}

fn task() -> Handle<ReplicationTask> {
    handle("FullLoadTask")
}

fn parameter() -> Named<Parameter> {
    Named::new(
        handle("TrafficSplit"),
        "/migration/test/workflow/traffic-split-percentage".into(),
    )
}

fn bucket() -> Handle<Bucket> {
    handle("CheckpointBucket")
}

fn topic() -> Handle<Topic> {
    handle("OpsTopic")
}

fn key() -> Handle<Key> {
    handle("OpsKey")
}

/// A Task with the timeout every task needs for the worst case to be computed.
fn timed(integration: Integration) -> Task {
    Task::new(integration).timeout_seconds(60)
}

fn json_of(state: impl Into<State>) -> Value {
    state.into().to_json()
}

fn errors_of(definition: StateMachineDefinition) -> Vec<AslError> {
    definition
        .build()
        .expect_err("the definition has a problem")
}

/// Asserts that building reports `problem` in `state` (and shows every error if not).
fn assert_reports(definition: StateMachineDefinition, state: &str, problem: Problem) {
    let errors = errors_of(definition);
    assert!(
        errors
            .iter()
            .any(|e| e.state == state && e.problem == problem),
        "expected `{state}`: {problem:?}; got {errors:#?}"
    );
}

/// A small workflow that uses every integration: the statelint test lints it and the policy tests read it.
pub(crate) fn sample() -> StateMachineDefinition {
    let instance: Handle<ReplicationInstance> = handle("ReplicationInstance");
    let endpoint: Handle<Endpoint> = handle("SourceEndpoint");
    StateMachineDefinition::new("TestSource")
        .comment("Sample workflow using every integration")
        .timeout_seconds(86_400)
        .state(
            "TestSource",
            timed(dms_test_connection(&instance, &endpoint))
                .result_path("$.test")
                .next("DescribeConnection"),
        )
        .state(
            "DescribeConnection",
            timed(dms_describe_connections(&endpoint))
                .result_selector(json!({"Status.$": "$.Connections[0].Status"}))
                .result_path("$.connection")
                .next("StartTask"),
        )
        .state(
            "StartTask",
            timed(dms_start_replication_task(
                &task(),
                StartReplicationTaskType::StartReplication,
            ))
            .retry(
                Retrier::new(vec![ErrorName::aws(
                    "DatabaseMigration",
                    "InvalidResourceStateFault",
                )])
                .interval_seconds(30)
                .max_attempts(5),
            )
            .catch(Catcher::new(vec![ErrorName::All], "Notify").result_path("$.error"))
            .result_path("$.start")
            .next("Describe"),
        )
        .state(
            "Describe",
            timed(dms_describe_replication_task(&task()))
                .result_selector(json!({"Status.$": "$.ReplicationTasks[0].Status"}))
                .result_path("$.task")
                .next("IsRunning"),
        )
        .state(
            "IsRunning",
            Choice::new()
                .when(
                    Condition::string_equals("$.task.Status", "running"),
                    "Validate",
                )
                .when(
                    Condition::or(vec![
                        Condition::string_equals("$.task.Status", "failed"),
                        Condition::not(Condition::is_present("$.task.Status", true)),
                    ]),
                    "Notify",
                )
                .otherwise("WaitForTask"),
        )
        .state("WaitForTask", Wait::seconds(60).next("Describe"))
        .state(
            "Validate",
            timed(lambda_invoke(&function()))
                .with_lambda_retry()
                .result_selector(json!({"consistent.$": "$.Payload.consistent"}))
                .result_path("$.validation")
                .next("Consistent"),
        )
        .state(
            "Consistent",
            Choice::new()
                .when(
                    Condition::boolean_equals("$.validation.consistent", true),
                    "Approve",
                )
                .otherwise("Stop"),
        )
        .state(
            "Approve",
            timed(
                sns_publish_wait_for_task_token(&topic(), json!({"event": "approval"}))
                    .encrypted_with(&key()),
            )
            .timeout_seconds(3_600)
            .catch(Catcher::new(vec![ErrorName::Timeout], "Stop"))
            .result_path("$.approval")
            .next("Shift"),
        )
        .state(
            "Shift",
            Parallel::new(vec![
                Branch::new("ReadSplit")
                    .state(
                        "ReadSplit",
                        timed(ssm_get_parameter(&parameter()))
                            .result_selector(json!({"Value.$": "$.Parameter.Value"}))
                            .next("WriteSplit"),
                    )
                    .state(
                        "WriteSplit",
                        timed(ssm_put_parameter(&parameter(), Input::text("10"))).end(),
                    ),
                Branch::new("Checkpoint").state(
                    "Checkpoint",
                    timed(s3_put_object(
                        &bucket(),
                        "checkpoints/",
                        Input::path("$$.Execution.Name"),
                        Input::path("$"),
                    ))
                    .end(),
                ),
            ])
            .result_path("$.shift")
            .next("Done"),
        )
        .state(
            "Stop",
            timed(dms_stop_replication_task(&task())).next("Notify"),
        )
        .state(
            "Notify",
            timed(
                sns_publish(&topic(), Input::path("States.JsonToString($)")).encrypted_with(&key()),
            )
            .parameter("Subject", json!("Migration stopped"))
            .next("Failed"),
        )
        .state(
            "Failed",
            Fail::new()
                .error("Migration.Stopped")
                .cause("The migration stopped before cutover"),
        )
        .state("Done", Succeed::new())
        .bounded_loop("Describe", 10)
}

#[test]
fn the_sample_builds() {
    let definition = sample().build().unwrap_or_else(|e| panic!("{e:#?}"));
    let text = definition.to_pretty_string();
    assert!(text.ends_with("}\n"));
    let value: Value = serde_json::from_str(&text).unwrap();
    let states: Vec<&String> = value["States"].as_object().unwrap().keys().collect();
    assert_eq!(states[0], "TestSource", "states keep insertion order");
    assert_eq!(states.last().unwrap().as_str(), "Done");
    let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["Comment", "StartAt", "TimeoutSeconds", "States"]);
}

#[test]
fn lambda_invoke_has_the_documented_shape() {
    let state = json_of(
        Task::new(lambda_invoke(&function()))
            .with_lambda_retry()
            .output_path("$.Payload")
            .next("Next"),
    );
    assert_eq!(
        state,
        json!({
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "${CutoverFunctionArn}", "Payload.$": "$"},
            "OutputPath": "$.Payload",
            "Retry": [{
                "ErrorEquals": [
                    "Lambda.ServiceException",
                    "Lambda.AWSLambdaException",
                    "Lambda.SdkClientException",
                    "Lambda.TooManyRequestsException"
                ],
                "IntervalSeconds": 2,
                "MaxAttempts": 6,
                "BackoffRate": 2.0
            }],
            "Next": "Next"
        })
    );
    let text = serde_json::to_string(&state).unwrap();
    let order = [
        "\"Type\"",
        "\"Resource\"",
        "\"Parameters\"",
        "\"OutputPath\"",
        "\"Retry\"",
        "\"Next\"",
    ]
    .map(|k| text.find(k).unwrap());
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
}

#[test]
fn dms_integrations_use_the_sdk_names() {
    let start = json_of(
        Task::new(dms_start_replication_task(
            &task(),
            StartReplicationTaskType::ResumeProcessing,
        ))
        .end(),
    );
    assert_eq!(
        start["Resource"],
        "arn:aws:states:::aws-sdk:databasemigration:startReplicationTask"
    );
    assert_eq!(
        start["Parameters"],
        json!({"ReplicationTaskArn": "${FullLoadTaskArn}", "StartReplicationTaskType": "resume-processing"})
    );
    let stop = json_of(Task::new(dms_stop_replication_task(&task())).end());
    assert_eq!(
        stop["Resource"],
        "arn:aws:states:::aws-sdk:databasemigration:stopReplicationTask"
    );
    assert_eq!(
        stop["Parameters"],
        json!({"ReplicationTaskArn": "${FullLoadTaskArn}"})
    );
    let describe = json_of(Task::new(dms_describe_replication_task(&task())).end());
    assert_eq!(
        describe["Resource"],
        "arn:aws:states:::aws-sdk:databasemigration:describeReplicationTasks"
    );
    assert_eq!(
        describe["Parameters"],
        json!({
            "Filters": [{"Name": "replication-task-arn", "Values": ["${FullLoadTaskArn}"]}],
            "WithoutSettings": true
        })
    );
}

#[test]
fn ssm_s3_and_sns_integrations_have_the_documented_shapes() {
    let put = json_of(Task::new(ssm_put_parameter(&parameter(), Input::path("$.split"))).end());
    assert_eq!(put["Resource"], "arn:aws:states:::aws-sdk:ssm:putParameter");
    assert_eq!(
        put["Parameters"],
        json!({"Name": "${TrafficSplitName}", "Value.$": "$.split", "Type": "String", "Overwrite": true})
    );
    let get = json_of(Task::new(ssm_get_parameter(&parameter())).end());
    assert_eq!(get["Resource"], "arn:aws:states:::aws-sdk:ssm:getParameter");
    assert_eq!(get["Parameters"], json!({"Name": "${TrafficSplitName}"}));

    let s3 = json_of(
        Task::new(s3_put_object(
            &bucket(),
            "it's/",
            Input::path("$.id"),
            Input::text("ok"),
        ))
        .end(),
    );
    assert_eq!(s3["Resource"], "arn:aws:states:::aws-sdk:s3:putObject");
    assert_eq!(
        s3["Parameters"],
        json!({
            "Bucket": "${CheckpointBucketName}",
            "Key.$": "States.Format('it\\'s/{}', $.id)",
            "Body": "ok"
        })
    );
    let literal = s3_put_object(&bucket(), "a/", Input::text("b.json"), Input::path("$"));
    assert_eq!(literal.parameters()["Key"], "a/b.json");
    assert_eq!(literal.parameters()["Body.$"], "$");

    let sns = json_of(Task::new(sns_publish(&topic(), Input::text("hello"))).end());
    assert_eq!(sns["Resource"], "arn:aws:states:::sns:publish");
    assert_eq!(
        sns["Parameters"],
        json!({"TopicArn": "${OpsTopicArn}", "Message": "hello"})
    );
    let wait = json_of(
        Task::new(sns_publish_wait_for_task_token(
            &topic(),
            json!({"event": "approval"}),
        ))
        .timeout_seconds(60)
        .end(),
    );
    assert_eq!(
        wait["Resource"],
        "arn:aws:states:::sns:publish.waitForTaskToken"
    );
    assert_eq!(
        wait["Parameters"],
        json!({"TopicArn": "${OpsTopicArn}", "Message": {"event": "approval", "TaskToken.$": "$$.Task.Token"}})
    );
}

#[test]
fn choice_wait_pass_and_fail_render_their_fields() {
    let choice = json_of(
        Choice::new()
            .when(
                Condition::and(vec![
                    Condition::numeric_less_than("$.lag", 5),
                    Condition::numeric_less_than_path("$.lag", "$.limit"),
                    Condition::is_present("$.lag", true),
                ]),
                "Go",
            )
            .otherwise("Wait"),
    );
    assert_eq!(
        choice,
        json!({
            "Type": "Choice",
            "Choices": [{
                "And": [
                    {"Variable": "$.lag", "NumericLessThan": 5},
                    {"Variable": "$.lag", "NumericLessThanPath": "$.limit"},
                    {"Variable": "$.lag", "IsPresent": true}
                ],
                "Next": "Go"
            }],
            "Default": "Wait"
        })
    );
    assert_eq!(
        json_of(Wait::seconds_path("$.delay").next("X")),
        json!({"Type": "Wait", "SecondsPath": "$.delay", "Next": "X"})
    );
    assert_eq!(
        json_of(
            Pass::new()
                .result(json!({"split": 0}))
                .result_path("$.init")
                .end()
        ),
        json!({"Type": "Pass", "Result": {"split": 0}, "ResultPath": "$.init", "End": true})
    );
    assert_eq!(
        json_of(Fail::new().error("E").cause("C")),
        json!({"Type": "Fail", "Error": "E", "Cause": "C"})
    );
}

#[test]
fn substitutions_hold_exactly_one_entry_per_placeholder() {
    let definition = sample().build().unwrap();
    let substitutions = definition.substitutions();
    let names: Vec<&str> = substitutions.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "CheckpointBucketName",
            "CutoverFunctionArn",
            "FullLoadTaskArn",
            "OpsTopicArn",
            "ReplicationInstanceArn",
            "SourceEndpointArn",
            "TrafficSplitName"
        ]
    );
    let text = definition.to_pretty_string();
    let mut used: Vec<String> = text
        .split("${")
        .skip(1)
        .map(|rest| rest[..rest.find('}').unwrap()].to_string())
        .collect();
    used.sort();
    used.dedup();
    assert_eq!(used, names);
    assert_eq!(substitutions["CutoverFunctionArn"], function().arn());
    assert_eq!(
        substitutions["FullLoadTaskArn"],
        task().replication_task_arn()
    );
    assert_eq!(
        substitutions["TrafficSplitName"],
        parameter().parameter_name()
    );
}

#[test]
fn a_placeholder_for_two_resources_is_reported() {
    // Two handles whose logical ids and attributes give the same placeholder name.
    let a: Handle<Topic> = handle("Ops");
    let b: Handle<Function> = handle("Ops");
    let definition = StateMachineDefinition::new("A")
        .state("A", Task::new(sns_publish(&a, Input::text("x"))).next("B"))
        .state("B", Task::new(lambda_invoke(&b)).with_lambda_retry().end());
    assert_reports(definition, "B", Problem::PlaceholderClash("OpsArn".into()));
}

fn statement_json(definition: &Definition) -> Value {
    serde_json::to_value(definition.policy_statements()).unwrap()
}

/// A parameter outside a hierarchy (`feature-flag`, no leading `/`) has the ARN `…:parameter/feature-flag`:
/// `…:parameter` followed by the name would name no parameter, and the role would be denied at run time.
#[test]
fn a_parameter_name_without_a_leading_slash_gets_the_slash_in_its_arn() {
    let flat = Named::new(handle("FeatureFlag"), "feature-flag".into());
    let definition = StateMachineDefinition::new("Read")
        .state("Read", timed(ssm_get_parameter(&flat)).end())
        .build()
        .unwrap();
    assert_eq!(
        statement_json(&definition),
        json!([
            {"Sid": "SsmFeatureFlag", "Effect": "Allow", "Action": "ssm:GetParameter",
             "Resource": {"Fn::Sub": [
                 "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${Name}",
                 {"Name": {"Ref": "FeatureFlag"}}]}}
        ])
    );
}

#[test]
fn the_policy_is_exactly_what_the_integrations_need() {
    let definition = sample().build().unwrap();
    let statements = statement_json(&definition);
    assert_eq!(
        statements,
        json!([
            {"Sid": "DmsReplicationInstance", "Effect": "Allow", "Action": "dms:TestConnection",
             "Resource": {"Ref": "ReplicationInstance"}},
            {"Sid": "DmsSourceEndpoint", "Effect": "Allow", "Action": "dms:TestConnection",
             "Resource": {"Ref": "SourceEndpoint"}},
            {"Sid": "DmsFullLoadTask", "Effect": "Allow",
             "Action": ["dms:StartReplicationTask", "dms:StopReplicationTask"],
             "Resource": {"Ref": "FullLoadTask"}},
            {"Sid": "LambdaCutoverFunction", "Effect": "Allow", "Action": "lambda:InvokeFunction",
             "Resource": {"Fn::GetAtt": ["CutoverFunction", "Arn"]}},
            {"Sid": "SnsOpsTopic", "Effect": "Allow", "Action": "sns:Publish", "Resource": {"Ref": "OpsTopic"}},
            {"Sid": "KmsOpsKey", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
             "Resource": {"Fn::GetAtt": ["OpsKey", "Arn"]}},
            {"Sid": "SsmTrafficSplit", "Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:PutParameter"],
             "Resource": {"Fn::Sub": [
                 "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${Name}",
                 {"Name": {"Ref": "TrafficSplit"}}]}},
            {"Sid": "S3CheckpointBucket", "Effect": "Allow", "Action": "s3:PutObject",
             "Resource": {"Fn::Sub": ["${BucketArn}/checkpoints/*",
                 {"BucketArn": {"Fn::GetAtt": ["CheckpointBucket", "Arn"]}}]}}
        ])
    );
    let unscoped: Vec<&str> = definition
        .unscoped_actions()
        .iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(
        unscoped,
        ["dms:DescribeConnections", "dms:DescribeReplicationTasks"]
    );
    assert_eq!(
        serde_json::to_value(definition.unscoped_statement().unwrap()).unwrap(),
        json!({"Sid": "OnlyAuthorizedOnAllResources", "Effect": "Allow",
               "Action": ["dms:DescribeConnections", "dms:DescribeReplicationTasks"], "Resource": "*"})
    );
    assert_eq!(
        serde_json::to_value(sample().policy_statements()).unwrap(),
        statements,
        "the builder and the built definition agree"
    );
}

#[test]
fn removing_an_integration_removes_its_permission() {
    let with = StateMachineDefinition::new("Invoke")
        .state(
            "Invoke",
            timed(lambda_invoke(&function()))
                .with_lambda_retry()
                .next("Stop"),
        )
        .state("Stop", timed(dms_stop_replication_task(&task())).end());
    let without = StateMachineDefinition::new("Stop")
        .state("Stop", timed(dms_stop_replication_task(&task())).end());
    let actions = |d: StateMachineDefinition| -> Vec<String> {
        d.build()
            .unwrap()
            .policy_statements()
            .iter()
            .flat_map(|s| s.actions().to_vec())
            .collect()
    };
    assert_eq!(
        actions(with),
        ["lambda:InvokeFunction", "dms:StopReplicationTask"]
    );
    assert_eq!(actions(without), ["dms:StopReplicationTask"]);
    let describe_only = StateMachineDefinition::new("Stop")
        .state("Stop", timed(dms_stop_replication_task(&task())).end())
        .build()
        .unwrap();
    assert!(describe_only.unscoped_statement().is_none());
}

#[test]
fn s3_grants_are_per_prefix() {
    let definition = StateMachineDefinition::new("A")
        .state(
            "A",
            timed(s3_put_object(
                &bucket(),
                "a/",
                Input::text("x"),
                Input::text("1"),
            ))
            .next("B"),
        )
        .state(
            "B",
            timed(s3_put_object(
                &bucket(),
                "b/",
                Input::text("x"),
                Input::text("1"),
            ))
            .end(),
        )
        .build()
        .unwrap();
    let sids: Vec<String> = definition
        .policy_statements()
        .iter()
        .map(|s| s.sid().unwrap().to_string())
        .collect();
    assert_eq!(sids, ["S3CheckpointBucket", "S3CheckpointBucket2"]);
    assert_eq!(definition.substitutions().len(), 1);
}

// One failing definition per rule; each error names its state.

fn end_pass() -> Pass {
    Pass::new().end()
}

#[test]
fn start_at_must_be_a_state() {
    assert_reports(
        StateMachineDefinition::new("Missing").state("A", end_pass()),
        "Missing",
        Problem::UndefinedStartAt("Missing".into()),
    );
}

#[test]
fn every_target_must_be_a_state_in_scope() {
    let undefined = |field: &'static str, target: &str| Problem::UndefinedTarget {
        field,
        target: target.into(),
    };
    assert_reports(
        StateMachineDefinition::new("A").state("A", Pass::new().next("Nowhere")),
        "A",
        undefined("Next", "Nowhere"),
    );
    assert_reports(
        StateMachineDefinition::new("A")
            .state(
                "A",
                Choice::new()
                    .when(Condition::string_equals("$.x", "y"), "Gone")
                    .otherwise("Elsewhere"),
            )
            .state("B", end_pass()),
        "A",
        undefined("Choices[].Next", "Gone"),
    );
    assert_reports(
        StateMachineDefinition::new("A").state(
            "A",
            Choice::new()
                .when(Condition::string_equals("$.x", "y"), "A")
                .otherwise("Elsewhere"),
        ),
        "A",
        undefined("Default", "Elsewhere"),
    );
    assert_reports(
        StateMachineDefinition::new("A").state(
            "A",
            Task::new(dms_stop_replication_task(&task()))
                .catch(Catcher::new(vec![ErrorName::All], "Handler"))
                .end(),
        ),
        "A",
        undefined("Catch[].Next", "Handler"),
    );
    // A branch cannot go to a state outside it.
    assert_reports(
        StateMachineDefinition::new("P")
            .state(
                "P",
                Parallel::new(vec![Branch::new("In").state("In", Pass::new().next("Out"))]).end(),
            )
            .state("Out", end_pass()),
        "In",
        undefined("Next", "Out"),
    );
}

#[test]
fn every_state_must_be_reachable() {
    assert_reports(
        StateMachineDefinition::new("A")
            .state("A", end_pass())
            .state("Orphan", end_pass()),
        "Orphan",
        Problem::Unreachable,
    );
}

#[test]
fn a_terminal_state_must_be_reachable() {
    assert_reports(
        StateMachineDefinition::new("Poll")
            .state("Poll", Wait::seconds(10).next("Again"))
            .state("Again", Pass::new().next("Poll")),
        "Poll",
        Problem::NoReachableTerminal,
    );
}

#[test]
fn task_wait_pass_and_parallel_need_a_transition() {
    assert_reports(
        StateMachineDefinition::new("A").state("A", Wait::seconds(1)),
        "A",
        Problem::NoTransition,
    );
}

#[test]
fn states_all_must_be_alone_and_last() {
    assert_reports(
        StateMachineDefinition::new("A").state(
            "A",
            Task::new(dms_stop_replication_task(&task()))
                .retry(Retrier::new(vec![ErrorName::All]))
                .retry(Retrier::new(vec![ErrorName::Timeout]))
                .end(),
        ),
        "A",
        Problem::StatesAllNotAloneAndLast("Retry"),
    );
    assert_reports(
        StateMachineDefinition::new("A")
            .state(
                "A",
                Task::new(dms_stop_replication_task(&task()))
                    .catch(Catcher::new(vec![ErrorName::Timeout, ErrorName::All], "B"))
                    .end(),
            )
            .state("B", end_pass()),
        "A",
        Problem::StatesAllNotAloneAndLast("Catch"),
    );
    assert_reports(
        StateMachineDefinition::new("A").state(
            "A",
            Task::new(dms_stop_replication_task(&task()))
                .retry(Retrier::new(vec![]))
                .end(),
        ),
        "A",
        Problem::EmptyErrorEquals("Retry"),
    );
}

#[test]
fn a_task_token_wait_needs_a_timeout() {
    assert_reports(
        StateMachineDefinition::new("Approve").state(
            "Approve",
            Task::new(sns_publish_wait_for_task_token(
                &topic(),
                json!({"event": "approval"}),
            ))
            .end(),
        ),
        "Approve",
        Problem::TaskTokenWithoutTimeout,
    );
    // A heartbeat alone bounds no wait: an answering heartbeat can keep the task open for a year.
    let heartbeat_only = StateMachineDefinition::new("Approve").state(
        "Approve",
        Task::new(sns_publish_wait_for_task_token(
            &topic(),
            json!({"event": "approval"}),
        ))
        .heartbeat_seconds(600)
        .end(),
    );
    assert_reports(heartbeat_only, "Approve", Problem::TaskWithoutTimeout);
    assert_reports(
        StateMachineDefinition::new("Approve").state(
            "Approve",
            Task::new(sns_publish_wait_for_task_token(
                &topic(),
                json!({"event": "approval"}),
            ))
            .timeout_seconds(60)
            .heartbeat_seconds(60)
            .end(),
        ),
        "Approve",
        Problem::HeartbeatNotBelowTimeout {
            heartbeat: 60,
            timeout: 60,
        },
    );
}

#[test]
fn a_lambda_task_needs_the_recommended_retry() {
    let all = "Lambda.ServiceException, Lambda.AWSLambdaException, Lambda.SdkClientException, \
               Lambda.TooManyRequestsException";
    assert_reports(
        StateMachineDefinition::new("Invoke")
            .state("Invoke", Task::new(lambda_invoke(&function())).end()),
        "Invoke",
        Problem::MissingLambdaRetry(all.into()),
    );
    // Retrying without backoff does not count.
    assert_reports(
        StateMachineDefinition::new("Invoke").state(
            "Invoke",
            Task::new(lambda_invoke(&function()))
                .retry(Retrier::new(ErrorName::lambda_transient()).backoff_rate(1.0))
                .end(),
        ),
        "Invoke",
        Problem::MissingLambdaRetry(all.into()),
    );
    // The helper goes first, so a States.ALL retrier can still be last.
    let helped = StateMachineDefinition::new("Invoke").state(
        "Invoke",
        timed(lambda_invoke(&function()))
            .retry(Retrier::new(vec![ErrorName::All]).max_attempts(1))
            .with_lambda_retry()
            .end(),
    );
    assert!(helped.build().is_ok());
}

#[test]
fn state_names_are_unique_and_short() {
    assert_reports(
        StateMachineDefinition::new("A")
            .state("A", Pass::new().next("B"))
            .state("B", Pass::new().next("A"))
            .state("A", end_pass()),
        "A",
        Problem::DuplicateName,
    );
    // Names must be unique across branches too.
    assert_reports(
        StateMachineDefinition::new("P").state(
            "P",
            Parallel::new(vec![
                Branch::new("X").state("X", end_pass()),
                Branch::new("X").state("X", end_pass()),
            ])
            .end(),
        ),
        "X",
        Problem::DuplicateName,
    );
    let long = "N".repeat(81);
    assert_reports(
        StateMachineDefinition::new(long.clone()).state(long.clone(), end_pass()),
        &long,
        Problem::NameTooLong(81),
    );
    let max = "N".repeat(80);
    assert!(
        StateMachineDefinition::new(max.clone())
            .state(max, end_pass())
            .build()
            .is_ok()
    );
}

#[test]
fn paths_must_be_json_paths() {
    assert_reports(
        StateMachineDefinition::new("A").state("A", Pass::new().result_path("result").end()),
        "A",
        Problem::NotAPath {
            field: "ResultPath",
            path: "result".into(),
        },
    );
    assert_reports(
        StateMachineDefinition::new("A")
            .state(
                "A",
                Choice::new()
                    .when(Condition::string_equals("status", "x"), "B")
                    .otherwise("B"),
            )
            .state("B", end_pass()),
        "A",
        Problem::NotAPath {
            field: "Variable",
            path: "status".into(),
        },
    );
}

#[test]
fn empty_choices_and_parallels_are_reported() {
    assert_reports(
        StateMachineDefinition::new("A")
            .state("A", Choice::new().otherwise("B"))
            .state("B", end_pass()),
        "A",
        Problem::EmptyChoice,
    );
    assert_reports(
        StateMachineDefinition::new("A").state("A", Parallel::new(vec![]).end()),
        "A",
        Problem::NoBranches,
    );
}

#[test]
fn errors_say_which_state() {
    let errors = errors_of(StateMachineDefinition::new("A").state("A", Pass::new().next("B")));
    assert_eq!(
        errors[0].to_string(),
        "state `A`: Next names `B`, which is not a state in the same scope"
    );
}

/// The `statelint` that `scripts/tools` installs into `.tools/venv` (or the one named by `STATELINT`).
fn statelint() -> PathBuf {
    if let Some(path) = std::env::var_os("STATELINT") {
        return PathBuf::from(path);
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools/venv/bin/statelint");
    assert!(
        path.exists(),
        "{} not found: run scripts/tools (or set STATELINT)",
        path.display()
    );
    path
}

/// Runs statelint on `document` and returns its exit status and output.
fn lint(document: &str) -> (bool, String) {
    let dir = std::env::temp_dir().join(format!("migen-asl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{:x}.asl.json", document.len()));
    std::fs::write(&file, document).unwrap();
    let output = Command::new(statelint()).arg(&file).output().unwrap();
    let _ = std::fs::remove_file(&file);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
#[ignore = "runs the statelint that scripts/tools installs; scripts/test runs it"]
fn statelint_accepts_the_sample_and_rejects_a_broken_document() {
    let (ok, output) = lint(&sample().build().unwrap().to_pretty_string());
    assert!(ok, "statelint reported findings:\n{output}");

    let broken = json!({
        "StartAt": "A",
        "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Nowhere"}}
    });
    let (ok, output) = lint(&serde_json::to_string_pretty(&broken).unwrap());
    assert!(
        !ok,
        "statelint accepted a Next to a missing state:\n{output}"
    );
    assert!(output.contains("Nowhere"), "{output}");
}

/// A template with an encrypted topic and a state machine publishing to `topic` (from this template or not).
fn template_publishing_to(topic: Option<&Handle<Topic>>) -> crate::cfn::Template {
    use crate::cfn::Template;
    use crate::resources::iam::Role;
    use crate::resources::stepfunctions::{LogLevel, LoggingConfiguration, StateMachine};
    let mut t = Template::new("test");
    let own = t.add(
        LogicalId::verbatim("OpsTopic"),
        Topic::encrypted(crate::resources::kms::KeyArn::existing(Expr::lit(
            "alias/ops",
        ))),
    );
    let role = t.add(
        LogicalId::verbatim("WorkflowRole"),
        Role::for_service("states.amazonaws.com"),
    );
    let definition = StateMachineDefinition::new("Notify")
        .state(
            "Notify",
            timed(sns_publish(topic.unwrap_or(&own), Input::text("hi"))).end(),
        )
        .build()
        .unwrap();
    t.add(
        LogicalId::verbatim("Workflow"),
        StateMachine::running(&role, &definition).logging_configuration(
            LoggingConfiguration::to_log_group(
                LogLevel::All,
                false,
                Expr::lit("arn:aws:logs:us-east-1:111122223333:log-group:x"),
            ),
        ),
    );
    t
}

#[test]
fn the_state_machine_resource_carries_definition_and_substitutions() {
    let body = template_publishing_to(None)
        .render(crate::cfn::Format::Json)
        .unwrap()
        .body;
    let doc: Value = serde_json::from_str(&body).unwrap();
    let properties = &doc["Resources"]["Workflow"]["Properties"];
    assert_eq!(
        properties["Definition"]["States"]["Notify"]["Parameters"]["TopicArn"],
        "${OpsTopicArn}"
    );
    assert_eq!(
        properties["DefinitionSubstitutions"],
        json!({"OpsTopicArn": {"Ref": "OpsTopic"}})
    );
    assert_eq!(
        properties["RoleArn"],
        json!({"Fn::GetAtt": ["WorkflowRole", "Arn"]})
    );
    assert_eq!(properties["LoggingConfiguration"]["Level"], "ALL");
}

#[test]
fn a_resource_missing_from_the_template_is_a_dangling_substitution() {
    let mut other = crate::cfn::Template::new("other");
    let foreign = other.add(
        LogicalId::verbatim("ForeignTopic"),
        Topic::encrypted(crate::resources::kms::KeyArn::existing(Expr::lit(
            "alias/ops",
        ))),
    );
    let err = template_publishing_to(Some(&foreign))
        .render(crate::cfn::Format::Json)
        .unwrap_err();
    assert!(
        err.problems
            .iter()
            .any(|p| p.contains("resource Workflow") && p.contains("`ForeignTopic`")),
        "{:?}",
        err.problems
    );
}
