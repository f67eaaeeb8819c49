//! The states of a definition and their JSON.
//!
//! Fields render in one fixed order for every state type, so reviewers find them in the same place: `Type` and
//! `Comment`; what the state does (`Resource`, `Choices`, `Seconds`, `Branches`, `Result`, `Error`); the data
//! flow in the order Step Functions applies it (`InputPath`, `Parameters`, `ResultSelector`, `ResultPath`,
//! `OutputPath`); time limits; `Retry` and `Catch`; the transition (`Default`, `Next` or `End`).

use serde_json::{Map, Value, json};

use super::choice::{ChoiceRule, Condition};
use super::error::{Catcher, Retrier};
use super::integration::{Backoff, Integration};

/// A set of states with its start: the body of a state machine or of one branch of a Parallel state. States
/// keep the order they were added in, which is the order they render in.
#[derive(Clone, Debug, PartialEq)]
pub struct Branch {
    pub(crate) start_at: String,
    pub(crate) states: Vec<(String, State)>,
}

impl Branch {
    /// A branch that begins at the state named `start_at`; its states can only go to states of the same branch.
    pub fn new(start_at: impl Into<String>) -> Self {
        Branch {
            start_at: start_at.into(),
            states: Vec::new(),
        }
    }

    /// Adds a state named `name`; names must be unique across the whole definition, this branch's included.
    pub fn state(mut self, name: impl Into<String>, state: impl Into<State>) -> Self {
        self.states.push((name.into(), state.into()));
        self
    }

    pub(crate) fn states(&self) -> &[(String, State)] {
        &self.states
    }

    pub(crate) fn start_at(&self) -> &str {
        &self.start_at
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("StartAt".into(), json!(self.start_at));
        m.insert("States".into(), self.states_json());
        Value::Object(m)
    }

    pub(crate) fn states_json(&self) -> Value {
        Value::Object(
            self.states
                .iter()
                .map(|(name, state)| (name.clone(), state.to_json()))
                .collect(),
        )
    }

    /// Every Task state, here and in nested branches, in document order.
    pub(crate) fn tasks<'a>(&'a self, out: &mut Vec<(&'a str, &'a Task)>) {
        for (name, state) in &self.states {
            match state {
                State::Task(task) => out.push((name, task)),
                State::Parallel(p) => p.branches.iter().for_each(|b| b.tasks(out)),
                _ => {}
            }
        }
    }

    /// Every state name, here and in nested branches, in document order.
    pub(crate) fn names<'a>(&'a self, out: &mut Vec<&'a str>) {
        for (name, state) in &self.states {
            out.push(name);
            if let State::Parallel(p) = state {
                p.branches.iter().for_each(|b| b.names(out));
            }
        }
    }
}

/// Where a state goes next.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Transition {
    Next(String),
    End,
}

/// Fields shared by the states that process data and handle errors.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Flow {
    pub(crate) comment: Option<String>,
    pub(crate) input_path: Option<String>,
    pub(crate) parameters: Option<Value>,
    pub(crate) result_selector: Option<Value>,
    pub(crate) result_path: Option<String>,
    pub(crate) output_path: Option<String>,
    pub(crate) retry: Vec<Retrier>,
    pub(crate) catch: Vec<Catcher>,
    pub(crate) transition: Option<Transition>,
}

impl Flow {
    fn head(&self, kind: &str) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("Type".into(), json!(kind));
        if let Some(c) = &self.comment {
            m.insert("Comment".into(), json!(c));
        }
        m
    }

    fn data(&self, m: &mut Map<String, Value>) {
        if let Some(v) = &self.input_path {
            m.insert("InputPath".into(), json!(v));
        }
        if let Some(v) = &self.parameters {
            m.insert("Parameters".into(), v.clone());
        }
        if let Some(v) = &self.result_selector {
            m.insert("ResultSelector".into(), v.clone());
        }
        if let Some(v) = &self.result_path {
            m.insert("ResultPath".into(), json!(v));
        }
        if let Some(v) = &self.output_path {
            m.insert("OutputPath".into(), json!(v));
        }
    }

    fn errors(&self, m: &mut Map<String, Value>) {
        if !self.retry.is_empty() {
            m.insert(
                "Retry".into(),
                self.retry.iter().map(Retrier::to_json).collect(),
            );
        }
        if !self.catch.is_empty() {
            m.insert(
                "Catch".into(),
                self.catch.iter().map(Catcher::to_json).collect(),
            );
        }
    }

    fn transition(&self, m: &mut Map<String, Value>) {
        match &self.transition {
            Some(Transition::Next(n)) => {
                m.insert("Next".into(), json!(n));
            }
            Some(Transition::End) => {
                m.insert("End".into(), json!(true));
            }
            None => {}
        }
    }
}

/// Builder methods for the fields in [`Flow`] that a state type has.
macro_rules! flow_methods {
    (common) => {
        /// `Comment`: a note for readers of the definition; it does not change what the state does.
        pub fn comment(mut self, comment: impl Into<String>) -> Self {
            self.flow.comment = Some(comment.into());
            self
        }

        /// `InputPath`: the part of the state's input it works on (`$`, the whole input, by default); a path the input
        /// lacks fails the state with `States.Runtime`.
        pub fn input_path(mut self, path: impl Into<String>) -> Self {
            self.flow.input_path = Some(path.into());
            self
        }

        /// `OutputPath`: the part of the state's output, after `ResultPath` has placed the result, that goes on to the
        /// next state.
        pub fn output_path(mut self, path: impl Into<String>) -> Self {
            self.flow.output_path = Some(path.into());
            self
        }
    };
    (transition) => {
        /// `Next`: the state to go to once this one is done, in the same scope.
        pub fn next(mut self, state: impl Into<String>) -> Self {
            self.flow.transition = Some(Transition::Next(state.into()));
            self
        }

        /// `End: true`: the state ends its scope (the execution, or its Parallel branch) with its output.
        pub fn end(mut self) -> Self {
            self.flow.transition = Some(Transition::End);
            self
        }
    };
    (result) => {
        /// Where the state's result goes in its input (`"$.x"`); without it the result replaces the input.
        pub fn result_path(mut self, path: impl Into<String>) -> Self {
            self.flow.result_path = Some(path.into());
            self
        }
    };
    (selector) => {
        /// `ResultSelector`: reshapes the raw result (keys ending in `.$` take paths into it) before `ResultPath`
        /// places it, so only what later states read travels on.
        pub fn result_selector(mut self, selector: Value) -> Self {
            self.flow.result_selector = Some(selector);
            self
        }
    };
    (errors) => {
        /// Appends a retrier; `States.ALL`, if used, must come last.
        pub fn retry(mut self, retrier: Retrier) -> Self {
            self.flow.retry.push(retrier);
            self
        }

        /// Appends a catcher; `States.ALL`, if used, must come last.
        pub fn catch(mut self, catcher: Catcher) -> Self {
            self.flow.catch.push(catcher);
            self
        }
    };
}

/// A Task state calling one [`Integration`].
#[derive(Clone, Debug, PartialEq)]
pub struct Task {
    pub(crate) integration: Integration,
    pub(crate) flow: Flow,
    pub(crate) timeout_seconds: Option<u32>,
    pub(crate) heartbeat_seconds: Option<u32>,
}

impl Task {
    /// A Task calling `integration`. It still needs a transition, a `TimeoutSeconds`
    /// ([`crate::asl::StateMachineDefinition::build`] reports a task without one) and, as a rule, a Retry
    /// ([`Task::retried`], or the [`crate::asl::Handling`] of a [`crate::asl::Sequence`]).
    pub fn new(integration: Integration) -> Self {
        Task {
            integration,
            flow: Flow::default(),
            timeout_seconds: None,
            heartbeat_seconds: None,
        }
    }

    flow_methods!(common);
    flow_methods!(transition);
    flow_methods!(result);
    flow_methods!(selector);
    flow_methods!(errors);

    /// Adds a parameter to the integration's (`key` ending in `.$` for a JSONPath), e.g. `Subject` for SNS.
    pub fn parameter(mut self, key: impl Into<String>, value: Value) -> Self {
        self.integration.parameters.insert(key.into(), value);
        self
    }

    /// `TimeoutSeconds`: the longest one attempt may run before it fails with `States.Timeout`. Required: without it a
    /// Standard task may wait 99,999,999 s and the worst case has no bound.
    pub fn timeout_seconds(mut self, seconds: u32) -> Self {
        self.timeout_seconds = Some(seconds);
        self
    }

    /// `HeartbeatSeconds`: the longest the task may go without a heartbeat (`SendTaskHeartbeat`) before it fails with
    /// `States.HeartbeatTimeout`; must be below `TimeoutSeconds`.
    pub fn heartbeat_seconds(mut self, seconds: u32) -> Self {
        self.heartbeat_seconds = Some(seconds);
        self
    }

    /// Puts AWS's recommended retry of transient Lambda errors first in the Retry list
    /// ([`Retrier::lambda_recommended`]), ahead of any `States.ALL` retrier.
    pub fn with_lambda_retry(mut self) -> Self {
        self.flow.retry.insert(0, Retrier::lambda_recommended());
        self
    }

    /// The call this task makes: its resource ARN, parameters and the permissions it needs.
    pub fn integration(&self) -> &Integration {
        &self.integration
    }

    /// Adds the integration's own retriers ([`Integration::retriers`]) at this `backoff`: its permanent errors
    /// never retried, its transient ones (and a timeout, when the call is idempotent) retried.
    pub fn retried(mut self, backoff: Backoff) -> Self {
        for retrier in self.integration.retriers(backoff) {
            self = self.retry(retrier);
        }
        self
    }

    fn to_json(&self) -> Value {
        let mut m = self.flow.head("Task");
        m.insert("Resource".into(), json!(self.integration.resource));
        let parameters = &self.integration.parameters;
        let flow = Flow {
            parameters: (!parameters.is_empty()).then(|| Value::Object(parameters.clone())),
            ..self.flow.clone()
        };
        flow.data(&mut m);
        if let Some(v) = self.timeout_seconds {
            m.insert("TimeoutSeconds".into(), json!(v));
        }
        if let Some(v) = self.heartbeat_seconds {
            m.insert("HeartbeatSeconds".into(), json!(v));
        }
        self.flow.errors(&mut m);
        self.flow.transition(&mut m);
        Value::Object(m)
    }
}

/// A Choice state: the first rule that holds picks the next state, else `Default`.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    pub(crate) flow: Flow,
    pub(crate) rules: Vec<ChoiceRule>,
    pub(crate) default: Option<String>,
}

impl Choice {
    /// A Choice with no rules yet; it needs at least one ([`Choice::when`]) and, so that no input fails it, a Default
    /// ([`Choice::otherwise`]).
    pub fn new() -> Self {
        Choice {
            flow: Flow::default(),
            rules: Vec::new(),
            default: None,
        }
    }

    flow_methods!(common);

    /// Adds a rule: when `condition` holds, go to `next`. Rules are tried in the order added; the first that holds
    /// wins.
    pub fn when(mut self, condition: Condition, next: impl Into<String>) -> Self {
        self.rules.push(ChoiceRule::new(condition, next));
        self
    }

    /// `Default`: where to go when no rule holds. Without it such an input fails the execution with
    /// `States.NoChoiceMatched`.
    pub fn otherwise(mut self, next: impl Into<String>) -> Self {
        self.default = Some(next.into());
        self
    }

    fn to_json(&self) -> Value {
        let mut m = self.flow.head("Choice");
        m.insert(
            "Choices".into(),
            self.rules.iter().map(ChoiceRule::to_json).collect(),
        );
        self.flow.data(&mut m);
        if let Some(d) = &self.default {
            m.insert("Default".into(), json!(d));
        }
        Value::Object(m)
    }
}

impl Default for Choice {
    fn default() -> Self {
        Choice::new()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum WaitFor {
    Seconds(u32),
    SecondsPath(String),
}

/// A Wait state: pauses for a fixed number of seconds or for the number at a path of the input.
#[derive(Clone, Debug, PartialEq)]
pub struct Wait {
    pub(crate) flow: Flow,
    pub(crate) wait: WaitFor,
}

impl Wait {
    /// Waits `seconds`, which the worst-case duration counts in full.
    pub fn seconds(seconds: u32) -> Self {
        Wait {
            flow: Flow::default(),
            wait: WaitFor::Seconds(seconds),
        }
    }

    /// Waits the number of seconds at `path` of the input. Its length is data, so
    /// [`crate::asl::StateMachineDefinition::build`] reports it ([`crate::asl::Problem::WaitOnData`]).
    pub fn seconds_path(path: impl Into<String>) -> Self {
        Wait {
            flow: Flow::default(),
            wait: WaitFor::SecondsPath(path.into()),
        }
    }

    flow_methods!(common);
    flow_methods!(transition);

    fn to_json(&self) -> Value {
        let mut m = self.flow.head("Wait");
        match &self.wait {
            WaitFor::Seconds(s) => m.insert("Seconds".into(), json!(s)),
            WaitFor::SecondsPath(p) => m.insert("SecondsPath".into(), json!(p)),
        };
        self.flow.data(&mut m);
        self.flow.transition(&mut m);
        Value::Object(m)
    }
}

/// A Pass state: passes its input on, or a fixed `Result`, optionally reshaped by `Parameters`.
#[derive(Clone, Debug, PartialEq)]
pub struct Pass {
    pub(crate) flow: Flow,
    pub(crate) result: Option<Value>,
}

impl Pass {
    /// A Pass that hands its input on unchanged until given a `Result` or `Parameters`.
    pub fn new() -> Self {
        Pass {
            flow: Flow::default(),
            result: None,
        }
    }

    flow_methods!(common);
    flow_methods!(transition);
    flow_methods!(result);

    /// `Result`: a fixed value output in place of the input (or placed at `ResultPath`), such as a counter's starting
    /// value.
    pub fn result(mut self, result: Value) -> Self {
        self.result = Some(result);
        self
    }

    /// `Parameters`: a value built from the input (keys ending in `.$` take paths or intrinsic functions such as
    /// `States.MathAdd`), such as a counter's next value.
    pub fn parameters(mut self, parameters: Value) -> Self {
        self.flow.parameters = Some(parameters);
        self
    }

    fn to_json(&self) -> Value {
        let mut m = self.flow.head("Pass");
        if let Some(r) = &self.result {
            m.insert("Result".into(), r.clone());
        }
        self.flow.data(&mut m);
        self.flow.transition(&mut m);
        Value::Object(m)
    }
}

impl Default for Pass {
    fn default() -> Self {
        Pass::new()
    }
}

/// A Parallel state: runs every branch on the same input; its result is the array of the branches' outputs.
#[derive(Clone, Debug, PartialEq)]
pub struct Parallel {
    pub(crate) flow: Flow,
    pub(crate) branches: Vec<Branch>,
}

impl Parallel {
    /// Runs every branch at once on the same input (at least one branch); a branch that fails fails the whole state,
    /// which its Retry and Catch then handle.
    pub fn new(branches: Vec<Branch>) -> Self {
        Parallel {
            flow: Flow::default(),
            branches,
        }
    }

    flow_methods!(common);
    flow_methods!(transition);
    flow_methods!(result);
    flow_methods!(selector);
    flow_methods!(errors);

    /// `Parameters`: the input every branch gets, built from the state's input.
    pub fn parameters(mut self, parameters: Value) -> Self {
        self.flow.parameters = Some(parameters);
        self
    }

    fn to_json(&self) -> Value {
        let mut m = self.flow.head("Parallel");
        m.insert(
            "Branches".into(),
            self.branches.iter().map(Branch::to_json).collect(),
        );
        self.flow.data(&mut m);
        self.flow.errors(&mut m);
        self.flow.transition(&mut m);
        Value::Object(m)
    }
}

/// A Succeed state: ends the execution (or branch) successfully.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Succeed {
    pub(crate) flow: Flow,
}

impl Succeed {
    /// A Succeed state: ends its scope successfully, with its input as output.
    pub fn new() -> Self {
        Succeed::default()
    }

    flow_methods!(common);

    fn to_json(&self) -> Value {
        let mut m = self.flow.head("Succeed");
        self.flow.data(&mut m);
        Value::Object(m)
    }
}

/// A Fail state: ends the execution with an error name and a cause, which appear in the execution history.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fail {
    pub(crate) comment: Option<String>,
    pub(crate) error: Option<String>,
    pub(crate) cause: Option<String>,
    pub(crate) error_path: Option<String>,
    pub(crate) cause_path: Option<String>,
}

impl Fail {
    /// A Fail state; give it an error and a cause ([`Fail::error`] and [`Fail::cause`] or their `*_path` forms), which
    /// the failed execution reports.
    pub fn new() -> Self {
        Fail::default()
    }

    /// `Comment`: a note for readers of the definition; not part of the failure.
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// `Error`: the error name the execution fails with; inside a Parallel branch, the name the Parallel state's
    /// Retry and Catch match.
    pub fn error(mut self, error: impl Into<String>) -> Self {
        self.error = Some(error.into());
        self
    }

    /// `Cause`: the human-readable explanation recorded with the error in the execution history.
    pub fn cause(mut self, cause: impl Into<String>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// The error name taken from the state's input at `path` (instead of a fixed `Error`), so one Fail state
    /// can end the execution with whichever error the path to it decided.
    pub fn error_path(mut self, path: impl Into<String>) -> Self {
        self.error_path = Some(path.into());
        self
    }

    /// The cause taken from the state's input at `path` (instead of a fixed `Cause`).
    pub fn cause_path(mut self, path: impl Into<String>) -> Self {
        self.cause_path = Some(path.into());
        self
    }

    fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("Type".into(), json!("Fail"));
        if let Some(c) = &self.comment {
            m.insert("Comment".into(), json!(c));
        }
        if let Some(e) = &self.error {
            m.insert("Error".into(), json!(e));
        }
        if let Some(e) = &self.error_path {
            m.insert("ErrorPath".into(), json!(e));
        }
        if let Some(c) = &self.cause {
            m.insert("Cause".into(), json!(c));
        }
        if let Some(c) = &self.cause_path {
            m.insert("CausePath".into(), json!(c));
        }
        Value::Object(m)
    }
}

/// Any state.
#[derive(Clone, Debug, PartialEq)]
pub enum State {
    /// Calls a service or a Lambda function.
    Task(Task),
    /// Picks the next state from the input.
    Choice(Choice),
    /// Pauses the execution.
    Wait(Wait),
    /// Sets or reshapes data without calling anything.
    Pass(Pass),
    /// Runs branches at once.
    Parallel(Parallel),
    /// Ends its scope successfully.
    Succeed(Succeed),
    /// Ends the execution (or its Parallel branch) with an error.
    Fail(Fail),
}

macro_rules! from_state {
    ($($ty:ident),*) => {
        $(impl From<$ty> for State {
            fn from(state: $ty) -> Self {
                State::$ty(state)
            }
        })*
    };
}

from_state!(Task, Choice, Wait, Pass, Parallel, Succeed, Fail);

impl State {
    pub(crate) fn to_json(&self) -> Value {
        match self {
            State::Task(s) => s.to_json(),
            State::Choice(s) => s.to_json(),
            State::Wait(s) => s.to_json(),
            State::Pass(s) => s.to_json(),
            State::Parallel(s) => s.to_json(),
            State::Succeed(s) => s.to_json(),
            State::Fail(s) => s.to_json(),
        }
    }

    pub(crate) fn flow(&self) -> Option<&Flow> {
        match self {
            State::Task(s) => Some(&s.flow),
            State::Choice(s) => Some(&s.flow),
            State::Wait(s) => Some(&s.flow),
            State::Pass(s) => Some(&s.flow),
            State::Parallel(s) => Some(&s.flow),
            State::Succeed(s) => Some(&s.flow),
            State::Fail(_) => None,
        }
    }

    /// Whether the state can end its scope: Succeed, Fail, or `End: true`.
    pub(crate) fn is_terminal(&self) -> bool {
        match self {
            State::Succeed(_) | State::Fail(_) => true,
            State::Choice(_) => false,
            _ => self
                .flow()
                .is_some_and(|f| f.transition == Some(Transition::End)),
        }
    }

    /// Every state this one can go to, with the field that names it.
    pub(crate) fn targets(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        if let State::Choice(c) = self {
            out.extend(c.rules.iter().map(|r| ("Choices[].Next", r.next.as_str())));
            if let Some(d) = &c.default {
                out.push(("Default", d.as_str()));
            }
        }
        if let Some(flow) = self.flow() {
            if let Some(Transition::Next(n)) = &flow.transition {
                out.push(("Next", n.as_str()));
            }
            out.extend(flow.catch.iter().map(|c| ("Catch[].Next", c.next.as_str())));
        }
        out
    }
}
