//! Error names, retriers and catchers, and the problems [`crate::asl::StateMachineDefinition::build`] reports.

use serde_json::{Map, Value, json};

/// An error a Retry or Catch matches. The `States.*` names are the runtime's own; the `Lambda.*` names are what
/// the Lambda integration raises for service-side failures (Step Functions developer guide,
/// bp-lambda-serviceexception); other services' errors come back as `Prefix.NameException` and are built with
/// [`ErrorName::aws`], which applies Step Functions' naming rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorName {
    /// `States.ALL`: any error. Must stand alone and in the last retrier or catcher.
    All,
    /// `States.Timeout`: the task ran longer than TimeoutSeconds or missed a heartbeat.
    Timeout,
    /// `States.TaskFailed`: any task failure except a timeout.
    TaskFailed,
    /// `States.HeartbeatTimeout`: no heartbeat within HeartbeatSeconds.
    HeartbeatTimeout,
    /// `Lambda.ServiceException`: an internal error of the Lambda service; transient ([`ErrorName::lambda_transient`]).
    LambdaServiceException,
    /// `Lambda.AWSLambdaException`: a Lambda service error without a more specific name; transient.
    LambdaAwsLambdaException,
    /// `Lambda.SdkClientException`: the call to Lambda failed on the caller's side (a network problem, say); transient.
    LambdaSdkClientException,
    /// `Lambda.TooManyRequestsException`: the invocation was throttled by a concurrency or request-rate limit;
    /// transient.
    LambdaTooManyRequestsException,
    /// `Lambda.Unknown`: the function timed out or ran out of memory without an error of its own.
    LambdaUnknown,
    /// Any other name, matched exactly: a Fail state's `Error`, a Lambda function's own error type, or an AWS service
    /// error built with [`ErrorName::aws`].
    Custom(String),
}

impl ErrorName {
    /// An error name taken as written; for an AWS API error use [`ErrorName::aws`], which applies Step Functions'
    /// `Exception` naming rule.
    pub fn custom(name: impl Into<String>) -> Self {
        ErrorName::Custom(name.into())
    }

    /// The name Step Functions gives the error `api_error` of the service whose exception prefix is `prefix`
    /// (`DatabaseMigration`, `Ssm`, `S3`, `SNS`, ...). Step Functions names an integration's errors
    /// `Prefix.ErrorName` in Pascal case and "always" with the `Exception` suffix, "even when the suffix is not
    /// already part of the error name provided by the service" (developer guide, supported-services-awssdk: S3's
    /// `BucketAlreadyExists` is caught as `S3.BucketAlreadyExistsException`). The names follow the AWS SDK for
    /// Java v2, which also turns an API's `...Fault` into `...Exception` (DMS's `InvalidResourceStateFault` is
    /// its SDK's `InvalidResourceStateException`; public state machines catch RDS's `DBInstanceNotFoundFault` as
    /// `Rds.DbInstanceNotFoundException`), so a `Fault` suffix is replaced rather than extended.
    pub fn aws(prefix: &str, api_error: &str) -> Self {
        let stem = api_error
            .strip_suffix("Fault")
            .or_else(|| api_error.strip_suffix("Exception"))
            .unwrap_or(api_error);
        ErrorName::Custom(format!("{prefix}.{stem}Exception"))
    }

    /// The name as Step Functions spells it in `ErrorEquals` and in a failure's `Error`.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorName::All => "States.ALL",
            ErrorName::Timeout => "States.Timeout",
            ErrorName::TaskFailed => "States.TaskFailed",
            ErrorName::HeartbeatTimeout => "States.HeartbeatTimeout",
            ErrorName::LambdaServiceException => "Lambda.ServiceException",
            ErrorName::LambdaAwsLambdaException => "Lambda.AWSLambdaException",
            ErrorName::LambdaSdkClientException => "Lambda.SdkClientException",
            ErrorName::LambdaTooManyRequestsException => "Lambda.TooManyRequestsException",
            ErrorName::LambdaUnknown => "Lambda.Unknown",
            ErrorName::Custom(name) => name,
        }
    }

    /// The transient Lambda service errors AWS recommends retrying on every Lambda task.
    pub fn lambda_transient() -> Vec<ErrorName> {
        vec![
            ErrorName::LambdaServiceException,
            ErrorName::LambdaAwsLambdaException,
            ErrorName::LambdaSdkClientException,
            ErrorName::LambdaTooManyRequestsException,
        ]
    }
}

fn error_list(errors: &[ErrorName]) -> Value {
    Value::Array(errors.iter().map(|e| json!(e.as_str())).collect())
}

/// One entry of a state's `Retry` list. Unset fields take the ASL defaults (IntervalSeconds 1, MaxAttempts 3,
/// BackoffRate 2.0).
#[derive(Clone, Debug, PartialEq)]
pub struct Retrier {
    pub(crate) error_equals: Vec<ErrorName>,
    interval_seconds: Option<u32>,
    max_attempts: Option<u32>,
    backoff_rate: Option<f64>,
    max_delay_seconds: Option<u32>,
}

impl Retrier {
    /// Retries the errors in `error_equals` (at least one; `States.ALL` only alone and in the last retrier), with the
    /// ASL defaults until set.
    pub fn new(error_equals: Vec<ErrorName>) -> Self {
        Retrier {
            error_equals,
            interval_seconds: None,
            max_attempts: None,
            backoff_rate: None,
            max_delay_seconds: None,
        }
    }

    /// AWS's recommended retry for Lambda tasks: the transient service errors, from 2 s, doubling, 6 attempts.
    pub fn lambda_recommended() -> Self {
        Retrier::new(ErrorName::lambda_transient())
            .interval_seconds(2)
            .max_attempts(6)
            .backoff_rate(2.0)
    }

    /// `IntervalSeconds`: the wait before the first retry (ASL default 1); must be positive.
    pub fn interval_seconds(mut self, seconds: u32) -> Self {
        self.interval_seconds = Some(seconds);
        self
    }

    /// `MaxAttempts`: the retries after the first attempt (ASL default 3); 0 never retries (see [`Retrier::never`]).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts);
        self
    }

    /// `BackoffRate`: the factor each wait grows by (ASL default 2.0); must be at least 1.0, and above 1.0 to count as
    /// backoff on a Lambda task.
    pub fn backoff_rate(mut self, rate: f64) -> Self {
        self.backoff_rate = Some(rate);
        self
    }

    /// `MaxDelaySeconds`: the cap on any single wait, however far the backoff has grown; without it the waits keep
    /// growing.
    pub fn max_delay_seconds(mut self, seconds: u32) -> Self {
        self.max_delay_seconds = Some(seconds);
        self
    }

    /// A retrier that never retries (`MaxAttempts: 0`): placed before a broader one, it keeps `errors` from
    /// being retried by it, since Step Functions uses the first retrier whose `ErrorEquals` matches.
    pub fn never(errors: Vec<ErrorName>) -> Self {
        Retrier::new(errors).max_attempts(0)
    }

    /// The retries this retrier may make, and the seconds it may wait between them in all: each wait is the
    /// interval times the backoff rate to the power of the retry's index, capped at `MaxDelaySeconds`.
    pub fn worst_case(&self) -> (u32, u64) {
        let attempts = self.effective_max_attempts();
        let mut delay = f64::from(self.interval_seconds.unwrap_or(1));
        let mut waited = 0u64;
        for _ in 0..attempts {
            let capped = match self.max_delay_seconds {
                Some(cap) => delay.min(f64::from(cap)),
                None => delay,
            };
            waited += capped.ceil() as u64;
            delay *= self.effective_backoff_rate();
        }
        (attempts, waited)
    }

    pub(crate) fn effective_max_attempts(&self) -> u32 {
        self.max_attempts.unwrap_or(3)
    }

    pub(crate) fn effective_backoff_rate(&self) -> f64 {
        self.backoff_rate.unwrap_or(2.0)
    }

    pub(crate) fn interval(&self) -> Option<u32> {
        self.interval_seconds
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("ErrorEquals".into(), error_list(&self.error_equals));
        if let Some(v) = self.interval_seconds {
            m.insert("IntervalSeconds".into(), json!(v));
        }
        if let Some(v) = self.max_attempts {
            m.insert("MaxAttempts".into(), json!(v));
        }
        if let Some(v) = self.backoff_rate {
            m.insert("BackoffRate".into(), json!(v));
        }
        if let Some(v) = self.max_delay_seconds {
            m.insert("MaxDelaySeconds".into(), json!(v));
        }
        Value::Object(m)
    }
}

/// One entry of a state's `Catch` list: on a matching error, go to `next` with the error at `result_path`.
#[derive(Clone, Debug, PartialEq)]
pub struct Catcher {
    pub(crate) error_equals: Vec<ErrorName>,
    pub(crate) next: String,
    pub(crate) result_path: Option<String>,
}

impl Catcher {
    /// Catches the errors in `error_equals` once the retriers are done with them and goes to `next`, a state of the
    /// same scope. Catchers are tried in order; `States.ALL`, if used, must be the last.
    pub fn new(error_equals: Vec<ErrorName>, next: impl Into<String>) -> Self {
        Catcher {
            error_equals,
            next: next.into(),
            result_path: None,
        }
    }

    /// Where the error output goes in the input; without it the error replaces the input.
    pub fn result_path(mut self, path: impl Into<String>) -> Self {
        self.result_path = Some(path.into());
        self
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("ErrorEquals".into(), error_list(&self.error_equals));
        if let Some(p) = &self.result_path {
            m.insert("ResultPath".into(), json!(p));
        }
        m.insert("Next".into(), json!(self.next));
        Value::Object(m)
    }
}

/// What is wrong with a state. Each is something Step Functions rejects when the state machine is created or
/// fails on at run time, or something AWS's guidance asks for.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Problem {
    /// A generic AWS SDK call ([`crate::asl::SdkCall`]) whose names have the wrong shape, or that grants the
    /// execution role no action: Step Functions rejects the first, IAM denies every execution of the second.
    #[error("the AWS SDK call is malformed: {0}")]
    MalformedSdkCall(String),
    /// `StartAt` (of the definition or of a Parallel branch) names no state of its scope; Step Functions rejects the
    /// definition.
    #[error("StartAt names `{0}`, which is not a state here")]
    UndefinedStartAt(String),
    /// A transition names a state outside its scope (a branch can only go to its own states); Step Functions rejects
    /// the definition.
    #[error("{field} names `{target}`, which is not a state in the same scope")]
    UndefinedTarget {
        /// The field that names it: `Next`, `Default`, `Choices[].Next` or `Catch[].Next`.
        field: &'static str,
        /// The name that matches no state of the scope.
        target: String,
    },
    /// State names must be unique across the whole definition, branches included.
    #[error("the name is used by more than one state")]
    DuplicateName,
    /// The name's length in characters, over [`crate::asl::MAX_STATE_NAME_LEN`].
    #[error("the name is {0} characters long; Step Functions allows at most 80")]
    NameTooLong(usize),
    /// No transition from the scope's `StartAt` leads here; Step Functions rejects unreachable states.
    #[error("the state is not reachable from StartAt")]
    Unreachable,
    /// Every path from here goes round forever: an execution that gets here can only end by timing out or by
    /// reaching the history quota.
    #[error("no Succeed, Fail or End state is reachable from here")]
    NoReachableTerminal,
    /// A Task, Wait, Pass or Parallel state needs `Next` or `End`.
    #[error("the state has neither Next nor End")]
    NoTransition,
    /// `Choices` must hold at least one rule.
    #[error("a Choice state needs at least one rule")]
    EmptyChoice,
    /// `Branches` must hold at least one branch.
    #[error("a Parallel state needs at least one branch")]
    NoBranches,
    /// An entry of the field (`Retry` or `Catch`) matches no error.
    #[error("{0}: ErrorEquals is empty")]
    EmptyErrorEquals(&'static str),
    /// The field (`Retry` or `Catch`) has `States.ALL` beside other names or in an entry before the last; Step
    /// Functions rejects it.
    #[error("{0}: States.ALL must be alone in ErrorEquals and in the last entry")]
    StatesAllNotAloneAndLast(&'static str),
    /// A retrier of the field shrinks its waits; ASL requires a `BackoffRate` of at least 1.0.
    #[error("{0}: BackoffRate must be at least 1.0")]
    BackoffBelowOne(&'static str),
    /// A `.waitForTaskToken` task has neither `TimeoutSeconds` nor `HeartbeatSeconds`: a token that never comes back
    /// would hold the execution for up to a year.
    #[error(
        "a .waitForTaskToken task waits up to a year without TimeoutSeconds or HeartbeatSeconds; set one"
    )]
    TaskTokenWithoutTimeout,
    /// Step Functions requires `HeartbeatSeconds` below `TimeoutSeconds`.
    #[error("HeartbeatSeconds ({heartbeat}) must be less than TimeoutSeconds ({timeout})")]
    HeartbeatNotBelowTimeout {
        /// `HeartbeatSeconds` as set.
        heartbeat: u32,
        /// `TimeoutSeconds` as set.
        timeout: u32,
    },
    /// The field (`TimeoutSeconds`, `HeartbeatSeconds`, `Retry IntervalSeconds`) is 0; ASL requires a positive integer.
    #[error("{0} must be positive")]
    ZeroSeconds(&'static str),
    /// A Lambda task does not retry these transient errors (comma-separated) with backoff, as AWS's best practices ask
    /// ([`ErrorName::lambda_transient`]).
    #[error(
        "a Lambda task should retry {0} with backoff, as AWS recommends (see Task::with_lambda_retry)"
    )]
    MissingLambdaRetry(String),
    /// A field that takes a JSONPath holds something that does not start with `$`.
    #[error("{field} `{path}` is not a JSONPath (it must start with `$`)")]
    NotAPath {
        /// Where the value is used (`InputPath`, `ResultPath`, `Variable`, `SecondsPath`, `Parameters`, …).
        field: &'static str,
        /// The value as given.
        path: String,
    },
    /// Two integrations bind this `${Name}` to different expressions; `DefinitionSubstitutions` can hold only one.
    #[error("placeholder `{0}` stands for two different resources")]
    PlaceholderClash(String),
    /// The compact JSON's length in bytes, over [`crate::asl::MAX_DEFINITION_BYTES`]; reported at the `StartAt` state.
    #[error(
        "the definition is {0} bytes; CloudFormation and Step Functions allow at most 1,048,576"
    )]
    DefinitionTooLarge(usize),
    /// A cycle enters here with no bound declared at its header ([`crate::asl::StateMachineDefinition::bounded_loop`]).
    #[error(
        "a loop is entered here without a declared bound (bounded_loop): its worst case cannot be computed"
    )]
    UnboundedLoop,
    /// A loop can be entered at these states (comma-separated); its rounds can only be counted at one entry.
    #[error("a loop is entered at several states ({0}); give it one entry that counts its rounds")]
    LoopWithSeveralEntries(String),
    /// `bounded_loop` names a state that is not among the definition's top-level states.
    #[error("a bound is declared for a loop at this state, which does not exist")]
    UnknownLoopHeader,
    /// The task has no `TimeoutSeconds`, so neither its own duration nor the execution's worst case has a bound.
    #[error(
        "the task has no TimeoutSeconds: a Standard workflow's task waits up to 99,999,999 s by default"
    )]
    TaskWithoutTimeout,
    /// A Wait on `SecondsPath` lasts as long as the input says, so the worst case has no bound.
    #[error(
        "a Wait on SecondsPath lasts as long as its data says: its worst case cannot be computed"
    )]
    WaitOnData,
    /// The definition's text holds `${Name}` (written by hand in a parameter, say) that no integration binds, so
    /// `DefinitionSubstitutions` has no value for it; reported at the `StartAt` state.
    #[error("`${{{0}}}` is used in the definition but no integration binds it")]
    UnboundPlaceholder(String),
}

/// A problem in a named state.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("state `{state}`: {problem}")]
pub struct AslError {
    /// The state the problem is in; a problem of the whole definition names its `StartAt` state.
    pub state: String,
    /// What is wrong there.
    pub problem: Problem,
}
