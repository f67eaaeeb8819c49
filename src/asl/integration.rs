//! Service integrations of Task states. Each takes typed handles of the resources it acts on and knows the
//! resource ARN Step Functions calls, the parameters the API takes, and the IAM actions (and the resources they
//! are authorized on) the execution role needs for it.
//!
//! Resources appear in the definition as `${Placeholder}`s named after the handle's logical id and the
//! attribute used (`${CutoverFunctionArn}`, `${CheckpointBucketName}`); the definition's
//! `DefinitionSubstitutions` bind each one to the handle's expression.
//!
//! AWS SDK integrations (`arn:aws:states:::aws-sdk:service:apiAction`) spell the API action in camelCase and its
//! parameters in PascalCase (Step Functions developer guide, supported-services-awssdk); a parameter whose value
//! is a JSONPath carries the `.$` suffix.

use serde_json::{Map, Value, json};

use super::error::{ErrorName, Retrier};
use crate::cfn::{Expr, Handle, Named};
use crate::resources::cloudwatch::{Alarm, CompositeAlarm};
use crate::resources::dms::{Endpoint, ReplicationInstance, ReplicationTask};
use crate::resources::iam::Statement;
use crate::resources::kms::Key;
use crate::resources::lambda::Function;
use crate::resources::s3::Bucket;
use crate::resources::sns::Topic;
use crate::resources::ssm::Parameter;
use crate::resources::stepfunctions::StateMachine;

/// A value passed to an integration: a constant, or the value at a JSONPath of the state's input (or of the
/// context object, `$$.…`).
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// A constant, written under the parameter's own name.
    Literal(Value),
    /// A JSONPath, written under `Name.$` so Step Functions reads it when the state runs; a path the input lacks fails
    /// the state with `States.Runtime`.
    Path(String),
}

impl Input {
    /// A constant string, passed as written.
    pub fn text(value: impl Into<String>) -> Self {
        Input::Literal(Value::String(value.into()))
    }

    /// Any constant JSON value (an object, a list, a number), passed as written.
    pub fn json(value: Value) -> Self {
        Input::Literal(value)
    }

    /// The value at `path` (`$.x`, or `$$.…` in the context object) when the state runs; see [`Input::Path`].
    pub fn path(path: impl Into<String>) -> Self {
        Input::Path(path.into())
    }

    /// Sets `key` (or `key.$` for a path) in `parameters`.
    fn insert_into(self, parameters: &mut Map<String, Value>, key: &str) {
        match self {
            Input::Literal(value) => {
                parameters.insert(key.to_string(), value);
            }
            Input::Path(path) => {
                parameters.insert(format!("{key}.$"), Value::String(path));
            }
        }
    }
}

/// An IAM action that AWS authorizes only on all resources (its service authorization reference lists no
/// resource type for it), with the reason it is needed. These go into a statement of their own, so the
/// reviewer sees the one place where `Resource: "*"` is granted and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnscopedAction {
    /// The IAM action (`service:Action`) granted on `*`.
    pub action: &'static str,
    /// Why it cannot be scoped to a resource; the reasons go into the description of the policy that grants these
    /// actions, for the reviewer.
    pub reason: &'static str,
}

/// Actions on one resource ARN that an integration needs.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Grant {
    pub(crate) sid: String,
    pub(crate) actions: Vec<&'static str>,
    pub(crate) resource: Expr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Service {
    Lambda,
    Dms,
    Ssm,
    S3,
    Sns,
    CloudWatch,
    StepFunctions,
    /// Any other service, through the generic AWS SDK integration ([`super::sdk::SdkCall`]): its error prefix is
    /// the service's name in PascalCase, which only the caller knows (`acmpca` is `AcmPca`).
    Sdk(&'static str),
}

impl Service {
    /// The prefix of the service's error names in Step Functions: the developer guide's table of AWS SDK
    /// integrations for `databasemigration` (`DatabaseMigration`), `ssm` (`Ssm`), `s3` (`S3`) and `cloudwatch`
    /// (`CloudWatch`); the optimized integrations' own for Lambda, SNS and Step Functions.
    pub(crate) fn error_prefix(self) -> &'static str {
        match self {
            Service::Lambda => "Lambda",
            Service::Dms => "DatabaseMigration",
            Service::Ssm => "Ssm",
            Service::S3 => "S3",
            Service::Sns => "SNS",
            Service::CloudWatch => "CloudWatch",
            Service::StepFunctions => "StepFunctions",
            Service::Sdk(prefix) => prefix,
        }
    }
}

/// How a retry of transient errors backs off: the first wait, how many retries, the factor between two waits and
/// the longest single wait.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    /// `IntervalSeconds`: the wait before the first retry.
    pub interval_seconds: u32,
    /// `MaxAttempts`: the retries after the first attempt; each is another whole call, up to the task's
    /// `TimeoutSeconds` in the worst case.
    pub max_attempts: u32,
    /// `BackoffRate`: the factor each wait grows by; at least 1.0.
    pub rate: f64,
    /// `MaxDelaySeconds`: the cap on any single wait.
    pub max_delay_seconds: u32,
}

/// Which errors of a call are worth retrying.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Transient {
    /// Every task failure (`States.TaskFailed`) but the integration's permanent errors: a throttled call or a
    /// service error, whatever name Step Functions gives it, is retried; a refusal that a retry cannot change is
    /// not.
    AllButPermanent,
    /// Only these: a call whose failure may also mean "the work ran and failed", which must not run again.
    Only(Vec<ErrorName>),
}

/// What a Task state calls: the `Resource` ARN, its `Parameters`, the placeholders those use, and the IAM
/// permissions the call needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Integration {
    pub(crate) resource: String,
    pub(crate) parameters: Map<String, Value>,
    pub(crate) placeholders: Vec<(String, Expr)>,
    pub(crate) grants: Vec<Grant>,
    pub(crate) unscoped: Vec<UnscopedAction>,
    pub(crate) service: Service,
    /// The API's errors that say the call cannot succeed as asked (a wrong state, a missing resource): never
    /// retried, and caught by name where the workflow has an answer to them.
    pub(crate) permanent: Vec<ErrorName>,
    pub(crate) transient: Transient,
    /// Whether calling twice does no more than calling once, so a timed-out call may be retried.
    pub(crate) idempotent: bool,
}

/// `${Name}`.
fn placeholder(name: &str) -> Value {
    Value::String(format!("${{{name}}}"))
}

/// The placeholder for an attribute of a resource: its logical id followed by the attribute, which keeps names
/// unique per (resource, attribute) and readable in the definition.
fn placeholder_name<R>(handle: &Handle<R>, attribute: &str) -> String {
    format!("{}{attribute}", handle.logical_id().as_str())
}

fn sid<R>(service: &str, handle: &Handle<R>) -> String {
    format!("{service}{}", handle.logical_id().as_str())
}

impl Integration {
    pub(crate) fn new(resource: impl Into<String>, service: Service) -> Self {
        Integration {
            resource: resource.into(),
            parameters: Map::new(),
            placeholders: Vec::new(),
            grants: Vec::new(),
            unscoped: Vec::new(),
            service,
            permanent: Vec::new(),
            transient: Transient::AllButPermanent,
            idempotent: true,
        }
    }

    /// Declares the API errors (as the API reference spells them) that a retry cannot change.
    pub(crate) fn permanent(mut self, api_errors: &[&str]) -> Self {
        let prefix = self.service.error_prefix();
        self.permanent
            .extend(api_errors.iter().map(|e| ErrorName::aws(prefix, e)));
        self
    }

    pub(crate) fn not_idempotent(mut self) -> Self {
        self.idempotent = false;
        self
    }

    /// The name Step Functions gives this service's API error `api_error` (see [`ErrorName::aws`]).
    pub fn error(&self, api_error: &str) -> ErrorName {
        ErrorName::aws(self.service.error_prefix(), api_error)
    }

    /// The errors of this call that are never retried.
    pub fn permanent_errors(&self) -> &[ErrorName] {
        &self.permanent
    }

    /// The Retry list for this call: its permanent errors first, never retried (Step Functions takes the first
    /// retrier that matches), then the transient ones with `backoff`; a timeout is retried only on an idempotent
    /// call. A Lambda invocation takes AWS's recommended retry of the Lambda service's transient errors instead.
    pub fn retriers(&self, backoff: Backoff) -> Vec<Retrier> {
        if self.service == Service::Lambda {
            return vec![Retrier::lambda_recommended()];
        }
        let mut out = Vec::new();
        if !self.permanent.is_empty() {
            out.push(Retrier::never(self.permanent.clone()));
        }
        let mut errors = match &self.transient {
            Transient::AllButPermanent => vec![ErrorName::TaskFailed],
            Transient::Only(errors) => errors.clone(),
        };
        if self.idempotent {
            errors.push(ErrorName::Timeout);
        }
        out.push(
            Retrier::new(errors)
                .interval_seconds(backoff.interval_seconds)
                .max_attempts(backoff.max_attempts)
                .backoff_rate(backoff.rate)
                .max_delay_seconds(backoff.max_delay_seconds),
        );
        out
    }

    pub(crate) fn bind(mut self, key: &str, name: String, value: Expr) -> Self {
        self.parameters.insert(key.to_string(), placeholder(&name));
        self.placeholders.push((name, value));
        self
    }

    pub(crate) fn grant(mut self, sid: String, actions: &[&'static str], resource: Expr) -> Self {
        self.grants.push(Grant {
            sid,
            actions: actions.to_vec(),
            resource,
        });
        self
    }

    pub(crate) fn set(mut self, key: &str, input: Input) -> Self {
        input.insert_into(&mut self.parameters, key);
        self
    }

    /// The `Resource` field of the Task state.
    pub fn resource_arn(&self) -> &str {
        &self.resource
    }

    /// The `Parameters` field of the Task state.
    pub fn parameters(&self) -> &Map<String, Value> {
        &self.parameters
    }

    /// Whether the task waits for a task token to be returned (`.waitForTaskToken`).
    pub fn waits_for_task_token(&self) -> bool {
        self.resource.ends_with(".waitForTaskToken")
    }

    pub(crate) fn is_lambda(&self) -> bool {
        self.service == Service::Lambda
    }

    /// The resource this integration writes to or publishes on is encrypted with `key`: adds the KMS actions
    /// the service performs with the caller's permissions (SNS: `kms:GenerateDataKey` and `kms:Decrypt` to
    /// publish to an encrypted topic; S3: `kms:GenerateDataKey` to put an object under SSE-KMS). Integrations
    /// whose calls do not encrypt data with the caller's permissions (Lambda, DMS, SSM `String` parameters)
    /// need nothing and are returned unchanged.
    pub fn encrypted_with(self, key: &Handle<Key>) -> Self {
        let actions: &[&'static str] = match self.service {
            Service::Sns => &["kms:Decrypt", "kms:GenerateDataKey"],
            Service::S3 => &["kms:GenerateDataKey"],
            Service::Lambda
            | Service::Dms
            | Service::Ssm
            | Service::CloudWatch
            | Service::StepFunctions
            | Service::Sdk(_) => return self,
        };
        self.grant(sid("Kms", key), actions, key.arn())
    }
}

/// Invokes a Lambda function synchronously with the state's input as payload (the optimized integration); the
/// function's result is under `$.Payload` of the task's output.
pub fn lambda_invoke(function: &Handle<Function>) -> Integration {
    let name = placeholder_name(function, "Arn");
    Integration::new("arn:aws:states:::lambda:invoke", Service::Lambda)
        .bind("FunctionName", name, function.arn())
        .set("Payload", Input::path("$"))
        .grant(
            sid("Lambda", function),
            &["lambda:InvokeFunction"],
            function.arn(),
        )
}

/// Invokes a Lambda function synchronously with `payload` (rather than the whole state) as its event.
pub fn lambda_invoke_with(function: &Handle<Function>, payload: Input) -> Integration {
    let mut integration = lambda_invoke(function);
    integration.parameters.remove("Payload.$");
    payload.insert_into(&mut integration.parameters, "Payload");
    integration
}

/// How `StartReplicationTask` starts a task. `start-replication` is valid only on a task's first run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartReplicationTaskType {
    /// `start-replication`: the task's first run, from the `ready` status.
    StartReplication,
    /// `resume-processing`: continues a task that has run before (now `stopped` or `failed`) from where it stopped.
    ResumeProcessing,
    /// `reload-target`: starts the full load over, loading the target's tables again.
    ReloadTarget,
}

impl StartReplicationTaskType {
    /// The value of the API's `StartReplicationTaskType` parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            StartReplicationTaskType::StartReplication => "start-replication",
            StartReplicationTaskType::ResumeProcessing => "resume-processing",
            StartReplicationTaskType::ReloadTarget => "reload-target",
        }
    }
}

fn dms_task(resource: &'static str, task: &Handle<ReplicationTask>) -> Integration {
    let name = placeholder_name(task, "Arn");
    Integration::new(resource, Service::Dms).bind(
        "ReplicationTaskArn",
        name,
        task.replication_task_arn(),
    )
}

/// `DatabaseMigration.StartReplicationTask` on one task.
pub fn dms_start_replication_task(
    task: &Handle<ReplicationTask>,
    start_type: StartReplicationTaskType,
) -> Integration {
    dms_task(
        "arn:aws:states:::aws-sdk:databasemigration:startReplicationTask",
        task,
    )
    .set("StartReplicationTaskType", Input::text(start_type.as_str()))
    .grant(
        sid("Dms", task),
        &["dms:StartReplicationTask"],
        task.replication_task_arn(),
    )
    .permanent(&[
        "InvalidResourceStateFault",
        "ResourceNotFoundFault",
        "AccessDeniedFault",
    ])
    // A start whose answer was lost may have started the task: the workflow reads the status instead.
    .not_idempotent()
}

/// `DatabaseMigration.StopReplicationTask` on one task.
pub fn dms_stop_replication_task(task: &Handle<ReplicationTask>) -> Integration {
    dms_task(
        "arn:aws:states:::aws-sdk:databasemigration:stopReplicationTask",
        task,
    )
    .grant(
        sid("Dms", task),
        &["dms:StopReplicationTask"],
        task.replication_task_arn(),
    )
    .permanent(&["InvalidResourceStateFault", "ResourceNotFoundFault"])
    .not_idempotent()
}

/// Why `dms:DescribeReplicationTasks` is granted on `*`.
pub const DESCRIBE_REPLICATION_TASKS: UnscopedAction = UnscopedAction {
    action: "dms:DescribeReplicationTasks",
    reason: "DMS authorizes DescribeReplicationTasks only on all resources; the workflow filters on one task's ARN \
             to read its status",
};

/// Why `dms:DescribeConnections` is granted on `*`.
pub const DESCRIBE_CONNECTIONS: UnscopedAction = UnscopedAction {
    action: "dms:DescribeConnections",
    reason: "DMS authorizes DescribeConnections only on all resources; the workflow filters on one endpoint's ARN \
             to read the result of a connection test",
};

/// `DatabaseMigration.DescribeReplicationTasks` filtered to one task, without its settings (which can be tens
/// of kilobytes, against the 256 KB state payload quota). Its status is at `$.ReplicationTasks[0].Status`.
/// DMS authorizes this action only on `*` ([`DESCRIBE_REPLICATION_TASKS`]).
pub fn dms_describe_replication_task(task: &Handle<ReplicationTask>) -> Integration {
    let mut integration = dms_describe_filtered(
        "arn:aws:states:::aws-sdk:databasemigration:describeReplicationTasks",
        "replication-task-arn",
        placeholder_name(task, "Arn"),
        task.replication_task_arn(),
        DESCRIBE_REPLICATION_TASKS,
    );
    integration
        .parameters
        .insert("WithoutSettings".into(), json!(true));
    integration
}

/// `DatabaseMigration.DescribeReplicationTasks` of several tasks in one call, without their settings. The
/// answer's order is not the request's (`$.ReplicationTasks[*].Status` lists the statuses in any order). DMS
/// authorizes this action only on `*` ([`DESCRIBE_REPLICATION_TASKS`]).
pub fn dms_describe_replication_tasks(tasks: &[&Handle<ReplicationTask>]) -> Integration {
    let mut integration = Integration::new(
        "arn:aws:states:::aws-sdk:databasemigration:describeReplicationTasks",
        Service::Dms,
    );
    let mut values = Vec::new();
    for task in tasks {
        let name = placeholder_name(task, "Arn");
        values.push(placeholder(&name));
        integration
            .placeholders
            .push((name, task.replication_task_arn()));
    }
    integration.parameters.insert(
        "Filters".into(),
        json!([{"Name": "replication-task-arn", "Values": values}]),
    );
    integration
        .parameters
        .insert("WithoutSettings".into(), json!(true));
    integration.unscoped.push(DESCRIBE_REPLICATION_TASKS);
    integration.permanent(&["ResourceNotFoundFault"])
}

/// A DMS `Describe…` call filtered to the one resource whose ARN the placeholder `name` binds; DMS authorizes
/// these only on `*` (`unscoped` says why).
fn dms_describe_filtered(
    resource: &'static str,
    filter: &str,
    name: String,
    arn: Expr,
    unscoped: UnscopedAction,
) -> Integration {
    let mut integration = Integration::new(resource, Service::Dms);
    integration.parameters.insert(
        "Filters".into(),
        json!([{"Name": filter, "Values": [placeholder(&name)]}]),
    );
    integration.placeholders.push((name, arn));
    integration.unscoped.push(unscoped);
    integration.permanent(&["ResourceNotFoundFault"])
}

/// `DatabaseMigration.TestConnection` between a replication instance and an endpoint, authorized on both.
pub fn dms_test_connection(
    instance: &Handle<ReplicationInstance>,
    endpoint: &Handle<Endpoint>,
) -> Integration {
    Integration::new(
        "arn:aws:states:::aws-sdk:databasemigration:testConnection",
        Service::Dms,
    )
    .bind(
        "ReplicationInstanceArn",
        placeholder_name(instance, "Arn"),
        instance.replication_instance_arn(),
    )
    .bind(
        "EndpointArn",
        placeholder_name(endpoint, "Arn"),
        endpoint.endpoint_arn(),
    )
    .grant(
        sid("Dms", instance),
        &["dms:TestConnection"],
        instance.replication_instance_arn(),
    )
    .grant(
        sid("Dms", endpoint),
        &["dms:TestConnection"],
        endpoint.endpoint_arn(),
    )
    .permanent(&[
        "ResourceNotFoundFault",
        "InvalidResourceStateFault",
        "KMSKeyNotAccessibleFault",
        "ResourceQuotaExceededFault",
        "AccessDeniedFault",
    ])
}

/// `DatabaseMigration.DescribeConnections` filtered to one endpoint; the test's status is at
/// `$.Connections[0].Status`. DMS authorizes this action only on `*` ([`DESCRIBE_CONNECTIONS`]).
pub fn dms_describe_connections(endpoint: &Handle<Endpoint>) -> Integration {
    dms_describe_filtered(
        "arn:aws:states:::aws-sdk:databasemigration:describeConnections",
        "endpoint-arn",
        placeholder_name(endpoint, "Arn"),
        endpoint.endpoint_arn(),
        DESCRIBE_CONNECTIONS,
    )
}

/// The ARN of a parameter from its name: `…:parameter` followed by the name when it starts with `/` (a name in a
/// hierarchy, as migen's `/migration/{env}/…` are), and `…:parameter/` followed by it when it does not. The name
/// itself stays a reference to the parameter, so the policy names the resource the template creates.
fn parameter_arn(parameter: &Named<Parameter>) -> Expr {
    let arn = if parameter.name().starts_with('/') {
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${Name}"
    } else {
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${Name}"
    };
    Expr::sub_with(arn, [("Name", parameter.parameter_name())])
}

/// `SSM.PutParameter` overwriting a `String` parameter with `value`.
pub fn ssm_put_parameter(parameter: &Named<Parameter>, value: Input) -> Integration {
    Integration::new("arn:aws:states:::aws-sdk:ssm:putParameter", Service::Ssm)
        .bind(
            "Name",
            placeholder_name(parameter, "Name"),
            parameter.parameter_name(),
        )
        .set("Value", value)
        .set("Type", Input::text("String"))
        .set("Overwrite", Input::json(json!(true)))
        .grant(
            sid("Ssm", parameter),
            &["ssm:PutParameter"],
            parameter_arn(parameter),
        )
        .permanent(&[
            "ParameterPatternMismatchException",
            "HierarchyTypeMismatchException",
            "UnsupportedParameterType",
        ])
}

/// `SSM.GetParameter`; the value is at `$.Parameter.Value`.
pub fn ssm_get_parameter(parameter: &Named<Parameter>) -> Integration {
    Integration::new("arn:aws:states:::aws-sdk:ssm:getParameter", Service::Ssm)
        .bind(
            "Name",
            placeholder_name(parameter, "Name"),
            parameter.parameter_name(),
        )
        .grant(
            sid("Ssm", parameter),
            &["ssm:GetParameter"],
            parameter_arn(parameter),
        )
        .permanent(&["ParameterNotFound"])
}

/// `SSM.GetParameters` of several parameters in one call (five history events where a call each would take five
/// each). The answer's order is not the request's (`$.Parameters[*].Value` lists the values in any order), and a
/// parameter that does not exist is listed under `InvalidParameters` rather than failing the call.
pub fn ssm_get_parameters(parameters: &[&Named<Parameter>]) -> Integration {
    let mut integration =
        Integration::new("arn:aws:states:::aws-sdk:ssm:getParameters", Service::Ssm);
    let mut names = Vec::new();
    for parameter in parameters {
        let name = placeholder_name(parameter, "Name");
        names.push(placeholder(&name));
        integration
            .placeholders
            .push((name, parameter.parameter_name()));
        integration = integration.grant(
            sid("Ssm", parameter),
            &["ssm:GetParameters"],
            parameter_arn(parameter),
        );
    }
    integration
        .parameters
        .insert("Names".into(), Value::Array(names));
    integration
}

/// Escapes the characters `States.Format` treats specially in its template.
fn format_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\'' | '{' | '}' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `S3.PutObject` of `body` at `key_prefix` + `key_suffix` in `bucket` (the AWS SDK integration: the optimized
/// `arn:aws:states:::s3:putObject` is a Distributed Map ResultWriter, not a Task resource). A suffix taken from
/// the input is joined with `States.Format`, so the key always lies under the prefix and `s3:PutObject` is
/// granted on `bucket-arn/prefix*` only.
pub fn s3_put_object(
    bucket: &Handle<Bucket>,
    key_prefix: &str,
    key_suffix: Input,
    body: Input,
) -> Integration {
    let key = match key_suffix {
        Input::Literal(Value::String(suffix)) => Input::text(format!("{key_prefix}{suffix}")),
        Input::Literal(other) => Input::text(format!("{key_prefix}{other}")),
        Input::Path(path) => Input::path(format!(
            "States.Format('{}{{}}', {path})",
            format_escape(key_prefix)
        )),
    };
    let object_arn = Expr::sub_with(
        format!("${{BucketArn}}/{key_prefix}*"),
        [("BucketArn", bucket.arn())],
    );
    Integration::new("arn:aws:states:::aws-sdk:s3:putObject", Service::S3)
        .bind(
            "Bucket",
            placeholder_name(bucket, "Name"),
            bucket.bucket_name(),
        )
        .set("Key", key)
        .set("Body", body)
        .grant(sid("S3", bucket), &["s3:PutObject"], object_arn)
        .permanent(&["NoSuchBucket"])
}

/// `S3.PutObject` of `body` at a key built with `States.Format`: `key_prefix` (a literal, escaped here) followed
/// by `tail`, a `States.Format` template whose `{}`s take the values at `arguments` (paths of the input or the
/// context object). `s3:PutObject` is granted on `bucket-arn/prefix*` only, so the tail cannot leave the prefix.
pub fn s3_put_object_formatted(
    bucket: &Handle<Bucket>,
    key_prefix: &str,
    tail: &str,
    arguments: &[&str],
    body: Input,
) -> Integration {
    let mut format = format!("States.Format('{}{tail}'", format_escape(key_prefix));
    for argument in arguments {
        format.push_str(", ");
        format.push_str(argument);
    }
    format.push(')');
    let object_arn = Expr::sub_with(
        format!("${{BucketArn}}/{key_prefix}*"),
        [("BucketArn", bucket.arn())],
    );
    Integration::new("arn:aws:states:::aws-sdk:s3:putObject", Service::S3)
        .bind(
            "Bucket",
            placeholder_name(bucket, "Name"),
            bucket.bucket_name(),
        )
        .set("Key", Input::path(format))
        .set("Body", body)
        .grant(sid("S3", bucket), &["s3:PutObject"], object_arn)
        .permanent(&["NoSuchBucket"])
}

/// `SNS.Publish` of `message` to `topic` (the optimized integration).
pub fn sns_publish(topic: &Handle<Topic>, message: Input) -> Integration {
    Integration::new("arn:aws:states:::sns:publish", Service::Sns)
        .bind(
            "TopicArn",
            placeholder_name(topic, "Arn"),
            topic.topic_arn(),
        )
        .set("Message", message)
        .grant(sid("Sns", topic), &["sns:Publish"], topic.topic_arn())
        .permanent(SNS_PERMANENT)
}

/// SNS Publish's errors that a retry cannot change (SNS API reference, Publish).
const SNS_PERMANENT: &[&str] = &[
    "NotFound",
    "AuthorizationError",
    "InvalidParameter",
    "KMSDisabled",
    "KMSNotFound",
    "KMSAccessDenied",
];

/// `SNS.Publish` of `message` (a JSON object) that then waits for the task token to come back (a manual
/// approval): `TaskToken` is added to the message from `$$.Task.Token`, so whoever answers can call
/// `SendTaskSuccess` or `SendTaskFailure` with it. The task needs `TimeoutSeconds` or `HeartbeatSeconds`.
pub fn sns_publish_wait_for_task_token(topic: &Handle<Topic>, message: Value) -> Integration {
    let mut message = match message {
        Value::Object(map) => map,
        other => {
            let mut map = Map::new();
            map.insert("Message".into(), other);
            map
        }
    };
    message.insert("TaskToken.$".into(), json!("$$.Task.Token"));
    Integration::new(
        "arn:aws:states:::sns:publish.waitForTaskToken",
        Service::Sns,
    )
    .bind(
        "TopicArn",
        placeholder_name(topic, "Arn"),
        topic.topic_arn(),
    )
    .set("Message", Input::json(Value::Object(message)))
    .grant(sid("Sns", topic), &["sns:Publish"], topic.topic_arn())
    .permanent(SNS_PERMANENT)
}

/// The EventBridge rule Step Functions manages to learn when a child execution started with `.sync` ends.
const SYNC_EXECUTION_RULE: &str = "StepFunctionsGetEventsForStepFunctionsExecutionRule";

/// `StepFunctions.StartExecution` of `state_machine` with `input`, waiting for it to finish
/// (`startExecution.sync:2`, whose output is the child's output as JSON). Besides `states:StartExecution` on the
/// state machine, `.sync` needs to describe and stop its executions and the managed EventBridge rule that
/// reports their end (Step Functions developer guide, stepfunctions-iam).
pub fn sfn_start_execution_sync(state_machine: &Handle<StateMachine>, input: Input) -> Integration {
    let executions = Expr::sub_with(
        "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${Name}:*",
        [("Name", state_machine.name_attribute())],
    );
    let rule = Expr::sub(format!(
        "arn:${{AWS::Partition}}:events:${{AWS::Region}}:${{AWS::AccountId}}:rule/{SYNC_EXECUTION_RULE}"
    ));
    Integration::new(
        "arn:aws:states:::states:startExecution.sync:2",
        Service::StepFunctions,
    )
    .bind(
        "StateMachineArn",
        placeholder_name(state_machine, "Arn"),
        state_machine.state_machine_arn(),
    )
    .set("Input", input)
    .grant(
        sid("States", state_machine),
        &["states:StartExecution"],
        state_machine.state_machine_arn(),
    )
    .grant(
        format!("{}Executions", sid("States", state_machine)),
        &["states:DescribeExecution", "states:StopExecution"],
        executions,
    )
    .grant(
        "ManagedExecutionRule".to_string(),
        &["events:DescribeRule", "events:PutRule", "events:PutTargets"],
        rule,
    )
    .permanent(&[
        "ExecutionAlreadyExists",
        "InvalidArn",
        "InvalidExecutionInput",
        "InvalidName",
        "StateMachineDeleting",
        "StateMachineDoesNotExist",
    ])
    .start_retried_on_refusal_only()
}

impl Integration {
    /// Starting a child execution is retried only when Step Functions refused to start it (too many open
    /// executions, throttling, a client-side failure), never when the child ran and failed: that comes back as
    /// `States.TaskFailed`, and the child has already done (and reported) what it could. The developer guide's
    /// nested-workflow example retries `StepFunctions.ExecutionLimitExceeded`; the integration's recorded
    /// errors carry the `Exception` suffix; both spellings are listed.
    fn start_retried_on_refusal_only(mut self) -> Self {
        let mut transient: Vec<ErrorName> = [
            "ExecutionLimitExceeded",
            "Throttling",
            "SdkClient",
            "AWSStepFunctions",
        ]
        .iter()
        .map(|e| self.error(e))
        .collect();
        transient.push(ErrorName::custom("StepFunctions.ExecutionLimitExceeded"));
        self.transient = Transient::Only(transient);
        self.idempotent = false;
        self
    }
}

/// Why `cloudwatch:DescribeAlarms` is granted on `*` for a composite alarm.
pub const DESCRIBE_COMPOSITE_ALARMS: UnscopedAction = UnscopedAction {
    action: "cloudwatch:DescribeAlarms",
    reason: "CloudWatch returns composite alarms to DescribeAlarms only when the permission has a * scope; the \
             workflow names the one composite alarm it reads",
};

/// `CloudWatch.DescribeAlarms` of the alarm named by the placeholder `name` (bound to `alarm_name`), of
/// `alarm_type` only.
fn describe_alarm(name: String, alarm_name: Expr, alarm_type: &str) -> Integration {
    let mut integration = Integration::new(
        "arn:aws:states:::aws-sdk:cloudwatch:describeAlarms",
        Service::CloudWatch,
    );
    integration
        .parameters
        .insert("AlarmNames".into(), json!([placeholder(&name)]));
    integration
        .parameters
        .insert("AlarmTypes".into(), json!([alarm_type]));
    integration.placeholders.push((name, alarm_name));
    integration
}

/// `CloudWatch.DescribeAlarms` of one metric alarm; its state (`OK`, `ALARM`, `INSUFFICIENT_DATA`) is at
/// `$.MetricAlarms[0].StateValue`. Authorized on the alarm's ARN.
pub fn cloudwatch_describe_alarm(alarm: &Handle<Alarm>) -> Integration {
    describe_alarm(
        placeholder_name(alarm, "Name"),
        alarm.alarm_name(),
        "MetricAlarm",
    )
    .grant(
        sid("CloudWatch", alarm),
        &["cloudwatch:DescribeAlarms"],
        alarm.arn(),
    )
}

/// `CloudWatch.DescribeAlarms` of one composite alarm; its state is at `$.CompositeAlarms[0].StateValue`.
/// CloudWatch authorizes reading composite alarms only on `*` ([`DESCRIBE_COMPOSITE_ALARMS`]).
pub fn cloudwatch_describe_composite_alarm(alarm: &Handle<CompositeAlarm>) -> Integration {
    let mut integration = describe_alarm(
        placeholder_name(alarm, "Name"),
        alarm.alarm_name(),
        "CompositeAlarm",
    );
    integration.unscoped.push(DESCRIBE_COMPOSITE_ALARMS);
    integration
}

/// `CloudWatch.DescribeAlarms` of metric and composite alarms in one call; their states are at
/// `$.MetricAlarms[*].StateValue` and `$.CompositeAlarms[*].StateValue`. Composite alarms are returned only to a
/// `*`-scoped permission ([`DESCRIBE_COMPOSITE_ALARMS`]), which then covers the metric alarms too.
pub fn cloudwatch_describe_alarms(
    metric_alarms: &[&Handle<Alarm>],
    composite_alarms: &[&Handle<CompositeAlarm>],
) -> Integration {
    let mut integration = Integration::new(
        "arn:aws:states:::aws-sdk:cloudwatch:describeAlarms",
        Service::CloudWatch,
    );
    let mut names = Vec::new();
    let mut types = Vec::new();
    for alarm in metric_alarms {
        let name = placeholder_name(alarm, "Name");
        names.push(placeholder(&name));
        integration.placeholders.push((name, alarm.alarm_name()));
    }
    if !metric_alarms.is_empty() {
        types.push("MetricAlarm");
    }
    for alarm in composite_alarms {
        let name = placeholder_name(alarm, "Name");
        names.push(placeholder(&name));
        integration.placeholders.push((name, alarm.alarm_name()));
    }
    if !composite_alarms.is_empty() {
        types.push("CompositeAlarm");
        integration.unscoped.push(DESCRIBE_COMPOSITE_ALARMS);
    } else {
        for alarm in metric_alarms {
            integration = integration.grant(
                sid("CloudWatch", alarm),
                &["cloudwatch:DescribeAlarms"],
                alarm.arn(),
            );
        }
    }
    integration
        .parameters
        .insert("AlarmNames".into(), Value::Array(names));
    integration
        .parameters
        .insert("AlarmTypes".into(), json!(types));
    integration
}

/// The statements for a set of grants: one per resource ARN, its actions sorted, in the order resources first
/// appear; Sids made unique with a counter where two resources share a logical id.
pub(crate) fn statements(grants: &[Grant]) -> Vec<Statement> {
    let mut merged: Vec<Grant> = Vec::new();
    for grant in grants {
        match merged.iter_mut().find(|g| g.resource == grant.resource) {
            Some(existing) => {
                existing.actions.extend(grant.actions.iter().copied());
                existing.actions.sort_unstable();
                existing.actions.dedup();
            }
            None => {
                let mut grant = grant.clone();
                grant.actions.sort_unstable();
                grant.actions.dedup();
                merged.push(grant);
            }
        }
    }
    let mut used: Vec<String> = Vec::new();
    merged
        .into_iter()
        .map(|g| {
            let mut sid = g.sid.clone();
            let mut n = 2;
            while used.contains(&sid) {
                sid = format!("{}{n}", g.sid);
                n += 1;
            }
            used.push(sid.clone());
            Statement::allow(&sid, &g.actions).resource(g.resource)
        })
        .collect()
}
