//! The definition builder, its validation, and the built [`Definition`] with its substitutions and policy.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::error::{AslError, ErrorName, Problem, Retrier};
use super::integration::{self, Grant, UnscopedAction};
use super::sequence::Sequence;
use super::state::{Branch, State, Task, WaitFor};
use super::worst_case::{self, Unbounded, WorstCase};
use super::{MAX_DEFINITION_BYTES, MAX_STATE_NAME_LEN};
use crate::cfn::Expr;
use crate::resources::iam::Statement;

/// How the execution's `TimeoutSeconds` is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timeout {
    None,
    Fixed(u32),
    /// The worst-case duration plus this many percent, in whole minutes.
    WorstCasePlus(u32),
}

/// A state machine definition being built: `StateMachineDefinition::new("First").state("First", …)…build()`.
#[derive(Clone, Debug, PartialEq)]
pub struct StateMachineDefinition {
    comment: Option<String>,
    timeout: Timeout,
    body: Branch,
    /// Loop headers and the rounds each loop may make per entry.
    loops: BTreeMap<String, u32>,
}

impl StateMachineDefinition {
    /// Starts a definition whose executions begin at the state named `start_at` (`StartAt`);
    /// [`StateMachineDefinition::build`] reports it if no top-level state has that name.
    pub fn new(start_at: impl Into<String>) -> Self {
        StateMachineDefinition {
            comment: None,
            timeout: Timeout::None,
            body: Branch::new(start_at),
            loops: BTreeMap::new(),
        }
    }

    /// The definition's top-level `Comment`, for readers of the document; Step Functions does not act on it.
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// The longest an execution may run; without it a STANDARD execution may run for a year.
    pub fn timeout_seconds(mut self, seconds: u32) -> Self {
        self.timeout = Timeout::Fixed(seconds);
        self
    }

    /// `TimeoutSeconds` from the definition's own worst-case duration ([`Definition::worst_case`]) plus
    /// `margin_percent`, rounded up to whole minutes: long enough for every path, so a timeout means something
    /// outside the definition went wrong, and no longer than that.
    pub fn timeout_from_worst_case(mut self, margin_percent: u32) -> Self {
        self.timeout = Timeout::WorstCasePlus(margin_percent);
        self
    }

    /// Adds a top-level state named `name`. Names must be unique in the whole definition, branches included, and at
    /// most [`crate::asl::MAX_STATE_NAME_LEN`] characters long.
    pub fn state(mut self, name: impl Into<String>, state: impl Into<State>) -> Self {
        self.body = self.body.state(name, state);
        self
    }

    /// Adds the states of `sequence`; its last state without a transition goes to `next`.
    pub fn sequence(mut self, sequence: Sequence, next: Option<&str>) -> Self {
        let (states, loops) = sequence.close(next);
        for (name, state) in states {
            self.body = self.body.state(name, state);
        }
        self.loops.extend(loops);
        self
    }

    /// Declares the loop entered at `header`: the states inside it lead back to `header` at most
    /// `max_back_edges` times each time the loop is entered from outside (a poll loop of at most N polls goes
    /// back N - 1 times). [`StateMachineDefinition::build`] needs one for every cycle, to compute the worst case.
    pub fn bounded_loop(mut self, header: impl Into<String>, max_back_edges: u32) -> Self {
        self.loops.insert(header.into(), max_back_edges);
        self
    }

    #[cfg(test)]
    pub(crate) fn loops_mut(&mut self) -> &mut BTreeMap<String, u32> {
        &mut self.loops
    }

    fn tasks(&self) -> Vec<(&str, &Task)> {
        let mut out = Vec::new();
        self.body.tasks(&mut out);
        out
    }

    fn grants(&self) -> Vec<Grant> {
        self.tasks()
            .into_iter()
            .flat_map(|(_, t)| t.integration.grants.iter().cloned())
            .collect()
    }

    /// The statements the definition's integrations need on their own resources (see
    /// [`Definition::policy_statements`]).
    pub fn policy_statements(&self) -> Vec<Statement> {
        integration::statements(&self.grants())
    }

    /// The actions AWS authorizes only on `*` that the integrations need, each once, in document order.
    pub fn unscoped_actions(&self) -> Vec<UnscopedAction> {
        let mut out: Vec<UnscopedAction> = Vec::new();
        for (_, task) in self.tasks() {
            for action in &task.integration.unscoped {
                if !out.contains(action) {
                    out.push(*action);
                }
            }
        }
        out
    }

    fn to_json(&self, timeout_seconds: Option<u32>) -> Map<String, Value> {
        let mut m = Map::new();
        if let Some(c) = &self.comment {
            m.insert("Comment".into(), json!(c));
        }
        m.insert("StartAt".into(), json!(self.body.start_at));
        if let Some(t) = timeout_seconds {
            m.insert("TimeoutSeconds".into(), json!(t));
        }
        m.insert("States".into(), self.body.states_json());
        m
    }

    /// Checks the definition and returns it with its substitutions and policy, or every problem found, each
    /// naming its state.
    pub fn build(self) -> Result<Definition, Vec<AslError>> {
        let mut errors = Vec::new();
        let mut names = Vec::new();
        self.body.names(&mut names);
        let mut seen = BTreeSet::new();
        let mut reported = BTreeSet::new();
        for name in names {
            if !seen.insert(name) && reported.insert(name) {
                errors.push(err(name, Problem::DuplicateName));
            }
            if name.chars().count() > MAX_STATE_NAME_LEN {
                errors.push(err(name, Problem::NameTooLong(name.chars().count())));
            }
        }
        check_scope(&self.body, &mut errors);

        let mut substitutions: BTreeMap<String, Expr> = BTreeMap::new();
        for (state, task) in self.tasks() {
            if let Some(problem) = super::sdk::shape_problem(&task.integration) {
                errors.push(err(state, Problem::MalformedSdkCall(problem)));
            }
            for (name, value) in &task.integration.placeholders {
                match substitutions.get(name) {
                    Some(existing) if existing != value => {
                        errors.push(err(state, Problem::PlaceholderClash(name.clone())));
                    }
                    Some(_) => {}
                    None => {
                        substitutions.insert(name.clone(), value.clone());
                    }
                }
            }
        }

        for header in self.loops.keys() {
            if !self.body.states.iter().any(|(n, _)| n == header) {
                errors.push(err(header, Problem::UnknownLoopHeader));
            }
        }
        let mut unbounded = Vec::new();
        let mut worst = worst_case::scope_worst_case(&self.body, &self.loops, &mut unbounded);
        // The execution's own start and end.
        worst.history_events += 2;
        for problem in unbounded {
            errors.push(match problem {
                Unbounded::Loop(header) => err(&header, Problem::UnboundedLoop),
                Unbounded::SeveralEntries(entries) => err(
                    &entries[0],
                    Problem::LoopWithSeveralEntries(entries.join(", ")),
                ),
                Unbounded::TaskWithoutTimeout(state) => err(&state, Problem::TaskWithoutTimeout),
                Unbounded::WaitOnData(state) => err(&state, Problem::WaitOnData),
            });
        }
        let timeout_seconds = match self.timeout {
            Timeout::None => None,
            Timeout::Fixed(seconds) => Some(seconds),
            Timeout::WorstCasePlus(margin) => {
                let seconds = worst.duration_seconds * (100 + u64::from(margin)) / 100;
                Some(u32::try_from(seconds.div_ceil(60) * 60).unwrap_or(u32::MAX))
            }
        };

        let json = self.to_json(timeout_seconds);
        let text = Value::Object(json.clone()).to_string();
        if text.len() > MAX_DEFINITION_BYTES {
            errors.push(err(
                &self.body.start_at,
                Problem::DefinitionTooLarge(text.len()),
            ));
        }
        for name in placeholders_in(&text) {
            if !substitutions.contains_key(name) {
                errors.push(err(
                    &self.body.start_at,
                    Problem::UnboundPlaceholder(name.to_string()),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Definition {
            statements: self.policy_statements(),
            unscoped: self.unscoped_actions(),
            json,
            substitutions,
            worst_case: worst,
            timeout_seconds,
        })
    }
}

/// The names of the `${Name}` placeholders in a definition's text: the names `Fn::Sub` would substitute that are
/// letters and digits only, the form [`crate::asl::integration`] gives them.
fn placeholders_in(text: &str) -> BTreeSet<&str> {
    crate::cfn::sub::names(text)
        .filter(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()))
        .collect()
}

fn err(state: &str, problem: Problem) -> AslError {
    AslError {
        state: state.to_string(),
        problem,
    }
}

/// The checks within one scope (the state machine's body or one branch), then its branches.
fn check_scope(scope: &Branch, errors: &mut Vec<AslError>) {
    let index: BTreeMap<&str, usize> = scope
        .states
        .iter()
        .enumerate()
        .rev()
        .map(|(i, (n, _))| (n.as_str(), i))
        .collect();
    let start = index.get(scope.start_at.as_str()).copied();
    if start.is_none() {
        errors.push(err(
            &scope.start_at,
            Problem::UndefinedStartAt(scope.start_at.clone()),
        ));
    }

    let mut edges: Vec<Vec<usize>> = Vec::with_capacity(scope.states.len());
    for (name, state) in &scope.states {
        let mut out = Vec::new();
        for (field, target) in state.targets() {
            match index.get(target) {
                Some(&i) => out.push(i),
                None => errors.push(err(
                    name,
                    Problem::UndefinedTarget {
                        field,
                        target: target.to_string(),
                    },
                )),
            }
        }
        edges.push(out);
        check_state(name, state, errors);
    }

    if let Some(start) = start {
        let mut reachable = vec![false; scope.states.len()];
        let mut stack = vec![start];
        while let Some(i) = stack.pop() {
            if !std::mem::replace(&mut reachable[i], true) {
                stack.extend(edges[i].iter().copied());
            }
        }
        // A state can finish if it is terminal or can go to a state that can; iterate to the fixpoint.
        let mut finishes: Vec<bool> = scope.states.iter().map(|(_, s)| s.is_terminal()).collect();
        let mut changed = true;
        while changed {
            changed = false;
            for i in 0..scope.states.len() {
                if !finishes[i] && edges[i].iter().any(|&j| finishes[j]) {
                    finishes[i] = true;
                    changed = true;
                }
            }
        }
        for (i, (name, _)) in scope.states.iter().enumerate() {
            if !reachable[i] {
                errors.push(err(name, Problem::Unreachable));
            } else if !finishes[i] {
                errors.push(err(name, Problem::NoReachableTerminal));
            }
        }
    }

    for (_, state) in &scope.states {
        if let State::Parallel(p) = state {
            p.branches.iter().for_each(|b| check_scope(b, errors));
        }
    }
}

fn check_path(state: &str, field: &'static str, path: &str, errors: &mut Vec<AslError>) {
    if !path.starts_with('$') {
        errors.push(err(
            state,
            Problem::NotAPath {
                field,
                path: path.to_string(),
            },
        ));
    }
}

/// `States.ALL` alone and last; no empty lists.
fn check_error_lists(
    state: &str,
    field: &'static str,
    lists: &[&[ErrorName]],
    errors: &mut Vec<AslError>,
) {
    let last = lists.len().saturating_sub(1);
    let mut misplaced = false;
    for (i, list) in lists.iter().enumerate() {
        if list.is_empty() {
            errors.push(err(state, Problem::EmptyErrorEquals(field)));
        }
        if list.contains(&ErrorName::All) && (list.len() > 1 || i != last) {
            misplaced = true;
        }
    }
    if misplaced {
        errors.push(err(state, Problem::StatesAllNotAloneAndLast(field)));
    }
}

/// Whether `retrier` retries `error` with backoff.
fn retries_with_backoff(retrier: &Retrier, error: &ErrorName) -> bool {
    let matches = retrier
        .error_equals
        .iter()
        .any(|e| e == error || *e == ErrorName::All || *e == ErrorName::TaskFailed);
    matches && retrier.effective_max_attempts() > 0 && retrier.effective_backoff_rate() > 1.0
}

fn check_state(name: &str, state: &State, errors: &mut Vec<AslError>) {
    let needs_transition = matches!(
        state,
        State::Task(_) | State::Wait(_) | State::Pass(_) | State::Parallel(_)
    );
    if let Some(flow) = state.flow() {
        if needs_transition && flow.transition.is_none() {
            errors.push(err(name, Problem::NoTransition));
        }
        for (field, path) in [
            ("InputPath", &flow.input_path),
            ("ResultPath", &flow.result_path),
            ("OutputPath", &flow.output_path),
        ] {
            if let Some(path) = path {
                check_path(name, field, path, errors);
            }
        }
        let retry: Vec<&[ErrorName]> = flow.retry.iter().map(|r| &r.error_equals[..]).collect();
        check_error_lists(name, "Retry", &retry, errors);
        let catch: Vec<&[ErrorName]> = flow.catch.iter().map(|c| &c.error_equals[..]).collect();
        check_error_lists(name, "Catch", &catch, errors);
        for retrier in &flow.retry {
            if retrier.effective_backoff_rate() < 1.0 {
                errors.push(err(name, Problem::BackoffBelowOne("Retry")));
            }
            if retrier.interval() == Some(0) {
                errors.push(err(name, Problem::ZeroSeconds("Retry IntervalSeconds")));
            }
        }
        for catcher in &flow.catch {
            if let Some(path) = &catcher.result_path {
                check_path(name, "Catch ResultPath", path, errors);
            }
        }
    }
    match state {
        State::Task(task) => check_task(name, task, errors),
        State::Choice(choice) => {
            if choice.rules.is_empty() {
                errors.push(err(name, Problem::EmptyChoice));
            }
            let mut paths = Vec::new();
            choice
                .rules
                .iter()
                .for_each(|r| r.condition.paths(&mut paths));
            for (field, path) in paths {
                check_path(name, field, &path, errors);
            }
        }
        State::Wait(wait) => {
            if let WaitFor::SecondsPath(path) = &wait.wait {
                check_path(name, "SecondsPath", path, errors);
            }
        }
        State::Parallel(p) if p.branches.is_empty() => {
            errors.push(err(name, Problem::NoBranches));
        }
        _ => {}
    }
}

fn check_task(name: &str, task: &Task, errors: &mut Vec<AslError>) {
    if task.integration.waits_for_task_token()
        && task.timeout_seconds.is_none()
        && task.heartbeat_seconds.is_none()
    {
        errors.push(err(name, Problem::TaskTokenWithoutTimeout));
    }
    if task.timeout_seconds == Some(0) {
        errors.push(err(name, Problem::ZeroSeconds("TimeoutSeconds")));
    }
    if task.heartbeat_seconds == Some(0) {
        errors.push(err(name, Problem::ZeroSeconds("HeartbeatSeconds")));
    }
    if let (Some(heartbeat), Some(timeout)) = (task.heartbeat_seconds, task.timeout_seconds)
        && heartbeat >= timeout
    {
        errors.push(err(
            name,
            Problem::HeartbeatNotBelowTimeout { heartbeat, timeout },
        ));
    }
    if task.integration.is_lambda() {
        let transient = ErrorName::lambda_transient();
        let missing: Vec<&str> = transient
            .iter()
            .filter(|e| !task.flow.retry.iter().any(|r| retries_with_backoff(r, e)))
            .map(ErrorName::as_str)
            .collect();
        if !missing.is_empty() {
            errors.push(err(name, Problem::MissingLambdaRetry(missing.join(", "))));
        }
    }
    for (key, value) in &task.integration.parameters {
        if key.ends_with(".$")
            && let Some(path) = value.as_str()
            && !path.starts_with("States.")
        {
            check_path(name, "Parameters", path, errors);
        }
    }
}

/// A checked definition: its ASL JSON, the `DefinitionSubstitutions` for its placeholders, and the execution
/// role's statements its integrations need.
#[derive(Clone, Debug, PartialEq)]
pub struct Definition {
    json: Map<String, Value>,
    substitutions: BTreeMap<String, Expr>,
    statements: Vec<Statement>,
    unscoped: Vec<UnscopedAction>,
    worst_case: WorstCase,
    timeout_seconds: Option<u32>,
}

impl crate::resources::stepfunctions::DefinitionDocument for Definition {
    fn document(&self) -> Map<String, Value> {
        self.to_json()
    }

    fn substitutions(&self) -> BTreeMap<String, Expr> {
        Definition::substitutions(self)
    }
}

impl Definition {
    /// The most history events an execution can record and the longest it can run (see
    /// [`crate::asl::worst_case`]).
    pub fn worst_case(&self) -> WorstCase {
        self.worst_case
    }

    /// The execution's `TimeoutSeconds`, if it has one.
    pub fn timeout_seconds(&self) -> Option<u32> {
        self.timeout_seconds
    }

    /// The ASL document, with `${Placeholder}`s for resources.
    pub fn to_json(&self) -> Map<String, Value> {
        self.json.clone()
    }

    /// The standalone artifact: pretty-printed JSON with a trailing newline.
    pub fn to_pretty_string(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.json)
            .unwrap_or_else(|_| unreachable!("a JSON map always serializes"));
        text.push('\n');
        text
    }

    /// `DefinitionSubstitutions`: exactly one entry per placeholder in the definition, sorted by name.
    pub fn substitutions(&self) -> BTreeMap<String, Expr> {
        self.substitutions.clone()
    }

    /// The statements the integrations need on their own resources: one per resource ARN with its actions,
    /// deduplicated, in the order the resources first appear in the definition. Putting exactly these in the
    /// execution role keeps the role from drifting from the definition.
    pub fn policy_statements(&self) -> Vec<Statement> {
        self.statements.clone()
    }

    /// The actions AWS authorizes only on `*` (such as `dms:DescribeReplicationTasks`), with why each is needed.
    pub fn unscoped_actions(&self) -> &[UnscopedAction] {
        &self.unscoped
    }

    /// The statement granting [`Definition::unscoped_actions`] on `*`, for a separate policy whose description
    /// gives the reasons; `None` when the definition needs none.
    pub fn unscoped_statement(&self) -> Option<Statement> {
        if self.unscoped.is_empty() {
            return None;
        }
        let actions: Vec<&str> = self.unscoped.iter().map(|a| a.action).collect();
        Some(Statement::allow("OnlyAuthorizedOnAllResources", &actions).resource(Expr::lit("*")))
    }
}
