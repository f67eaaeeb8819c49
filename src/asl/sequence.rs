//! Composition: a workflow is written as a series of small pieces, not one long list of states.
//!
//! - [`Sequence`]: states that run one after the other. It wires each state's `Next` to the state after it, and
//!   gives every Task state without a Retry or Catch of its own the sequence's [`Handling`]: the retry of its
//!   integration's transient errors ([`crate::asl::Integration::retriers`]) and where a failure goes.
//! - [`Poll`]: a bounded polling loop (wait, read, count, decide), which declares its bound so that
//!   [`crate::asl::StateMachineDefinition::build`] can compute the workflow's worst case.

use serde_json::{Map, Value, json};

use super::choice::{ChoiceRule, Condition};
use super::error::{Catcher, ErrorName};
use super::integration::Backoff;
use super::path::Path;
use super::state::{Choice, Pass, State, Transition, Wait};

/// A state with its name.
pub(crate) type NamedState = (String, State);
/// A loop's header and the rounds it may make per entry.
pub(crate) type LoopBound = (String, u32);

/// What a [`Sequence`] gives each Task state that has no Retry or no Catch of its own.
#[derive(Clone, Debug, PartialEq)]
pub struct Handling {
    backoff: Backoff,
    catch: Option<Catcher>,
}

impl Handling {
    /// Retry each task's transient errors with `backoff`; an error left over fails the execution.
    pub fn retrying(backoff: Backoff) -> Self {
        Handling {
            backoff,
            catch: None,
        }
    }

    /// And then catch whatever is left with `catcher`.
    pub fn catching(mut self, catcher: Catcher) -> Self {
        self.catch = Some(catcher);
        self
    }

    pub(crate) fn apply(&self, state: State) -> State {
        match state {
            State::Task(mut task) => {
                if task.flow.retry.is_empty() {
                    task.flow.retry = task.integration.retriers(self.backoff);
                }
                if task.flow.catch.is_empty()
                    && let Some(catch) = &self.catch
                {
                    task.flow.catch.push(catch.clone());
                }
                State::Task(task)
            }
            other => other,
        }
    }
}

/// States run in order. Each state without a transition of its own goes to the state added after it; the last
/// one goes where the sequence is closed (`Sequence::close`). A Choice, Succeed or Fail state keeps its own
/// exits, so a sequence can also hold the states that only a Choice or a Catch leads to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sequence {
    handling: Option<Handling>,
    states: Vec<NamedState>,
    loops: Vec<LoopBound>,
}

impl Sequence {
    /// An empty sequence without [`Handling`]: its Task states keep only the Retry and Catch they set themselves.
    pub fn new() -> Self {
        Sequence::default()
    }

    /// A sequence whose Task states get `handling` unless they set their own.
    pub fn handled(handling: Handling) -> Self {
        Sequence {
            handling: Some(handling),
            ..Sequence::default()
        }
    }

    /// Appends a state.
    pub fn then(mut self, name: impl Into<String>, state: impl Into<State>) -> Self {
        let state = state.into();
        let state = match &self.handling {
            Some(handling) => handling.apply(state),
            None => state,
        };
        self.states.push((name.into(), state));
        self
    }

    /// Appends the states of `other`, already handled by its own handling, after this sequence's; its loop
    /// bounds come along.
    pub fn append(mut self, other: Sequence) -> Self {
        self.states.extend(other.states);
        self.loops.extend(other.loops);
        self
    }

    /// Declares that the states that lead back to `header` from inside its loop do so at most `max_back_edges`
    /// times each time the loop is entered (see [`crate::asl::StateMachineDefinition::bounded_loop`]).
    pub fn bounded_loop(mut self, header: impl Into<String>, max_back_edges: u32) -> Self {
        self.loops.push((header.into(), max_back_edges));
        self
    }

    /// The name of the first state, where the sequence is entered.
    pub fn first(&self) -> Option<&str> {
        self.states.first().map(|(name, _)| name.as_str())
    }

    /// Whether no state has been added, in which case there is no [`Sequence::first`] state to enter.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// The states with their transitions wired: the last state without one goes to `next`, or has none when
    /// `next` is `None` (a sequence that ends in Succeed or Fail). Also returns the loop bounds declared.
    pub(crate) fn close(self, next: Option<&str>) -> (Vec<NamedState>, Vec<LoopBound>) {
        let names: Vec<String> = self.states.iter().map(|(n, _)| n.clone()).collect();
        let states = self
            .states
            .into_iter()
            .enumerate()
            .map(|(i, (name, state))| {
                let following = names.get(i + 1).map(String::as_str).or(next);
                (name, wire(state, following))
            })
            .collect();
        (states, self.loops)
    }
}

/// Sets `Next` on a state that needs a transition and has none.
fn wire(mut state: State, next: Option<&str>) -> State {
    let Some(next) = next else { return state };
    let flow = match &mut state {
        State::Task(s) => &mut s.flow,
        State::Wait(s) => &mut s.flow,
        State::Pass(s) => &mut s.flow,
        State::Parallel(s) => &mut s.flow,
        State::Choice(_) | State::Succeed(_) | State::Fail(_) => return state,
    };
    if flow.transition.is_none() {
        flow.transition = Some(Transition::Next(next.to_string()));
    }
    state
}

/// A bounded polling loop named `name`:
///
/// `Start<name>Polls` (the count at 0) → `WaitFor<name>` → the reads → `Count<name>Poll` (the count plus one,
/// and the facts the rules read) → the decision, whose rules are tried in order, then "fewer than `max_polls`
/// polls: poll again", otherwise `on_exhausted`.
///
/// With [`Poll::reading_first`] the first poll reads at once and the wait comes before each later one.
/// The count and the facts live at `counter` (`Polls` and the fields of `Poll::facts`).
#[derive(Clone, Debug)]
pub struct Poll {
    name: String,
    counter: Path,
    interval_seconds: u32,
    max_polls: u32,
    wait_first: bool,
    initial: Map<String, Value>,
    forget: Option<(Path, Value)>,
    failed_reads: Option<(Backoff, Path)>,
    reads: Sequence,
    facts: Map<String, Value>,
    decision: String,
    rules: Vec<ChoiceRule>,
    on_exhausted: String,
}

impl Poll {
    /// A loop named `name` (the stem of its states' names) that keeps its count and facts at `counter`, waits
    /// `interval_seconds` between polls and makes at most `max_polls` polls. Set [`Poll::otherwise`] too: without it
    /// the decision's `Default` names no state.
    pub fn new(
        name: impl Into<String>,
        counter: Path,
        interval_seconds: u32,
        max_polls: u32,
    ) -> Self {
        let name = name.into();
        Poll {
            decision: format!("Is{name}Over"),
            name,
            counter,
            interval_seconds,
            max_polls,
            wait_first: true,
            initial: Map::new(),
            forget: None,
            failed_reads: None,
            reads: Sequence::new(),
            facts: Map::new(),
            rules: Vec::new(),
            on_exhausted: String::new(),
        }
    }

    /// The first poll reads at once.
    pub fn reading_first(mut self) -> Self {
        self.wait_first = false;
        self
    }

    /// The states of one poll's reading (Tasks that describe something), in order.
    pub fn reads(mut self, reads: Sequence) -> Self {
        self.reads = reads;
        self
    }

    /// Another field of the counter's start (besides `Polls: 0`).
    pub fn initially(mut self, field: &str, value: Value) -> Self {
        self.initial.insert(field.to_string(), value);
        self
    }

    /// Before each poll's reads, `Forget<name>` puts `neutral` at `path`: what the reads write there then says
    /// "not read" until a read answers, so a read that fails never leaves the previous poll's answer in place.
    pub fn forgetting(mut self, path: Path, neutral: Value) -> Self {
        self.forget = Some((path, neutral));
        self
    }

    /// Each read without a Retry of its own retries its transient errors with `backoff`; one without a catch-all
    /// (it may catch definite answers, like a resource that does not exist) then, if it still fails, leaves its
    /// error at `errors` and lets the poll go on: what it should have read stays as [`Poll::forgetting`] left it,
    /// and the rules decide what an unknown answer means.
    pub fn tolerating_failed_reads(mut self, backoff: Backoff, errors: Path) -> Self {
        self.failed_reads = Some((backoff, errors));
        self
    }

    /// A fact the counting state computes at each poll, under `counter` (`"Running.$"` and an intrinsic, say).
    pub fn fact(mut self, key: &str, value: Value) -> Self {
        self.facts.insert(key.to_string(), value);
        self
    }

    /// The name of the Choice state that decides after each poll (default `Is<name>Over`).
    pub fn decided_by(mut self, state: impl Into<String>) -> Self {
        self.decision = state.into();
        self
    }

    /// When `condition` holds after a poll, go to `next` (tried in the order given, before the bound).
    pub fn when(mut self, condition: Condition, next: impl Into<String>) -> Self {
        self.rules.push(ChoiceRule::new(condition, next));
        self
    }

    /// Where to go when `max_polls` polls have been made and no rule held.
    pub fn otherwise(mut self, next: impl Into<String>) -> Self {
        self.on_exhausted = next.into();
        self
    }

    /// `Start<name>Polls`, which sets the count to 0: the state to go to from outside to run the loop.
    pub fn start_state(&self) -> String {
        format!("Start{}Polls", self.name)
    }

    /// `WaitFor<name>`, the Wait before each later poll: the state to go to to poll again.
    pub fn wait_state(&self) -> String {
        format!("WaitFor{}", self.name)
    }

    /// `Forget<name>`, the Pass that resets the read values before each poll's reads; it exists only with
    /// [`Poll::forgetting`].
    pub fn forget_state(&self) -> String {
        format!("Forget{}", self.name)
    }

    /// `Count<name>Poll`, which counts the poll and computes the facts: where the last read goes, and where a read's
    /// own catcher can go to let the poll go on.
    pub fn count_state(&self) -> String {
        format!("Count{}Poll", self.name)
    }

    /// The Choice state that decides after each poll: `Is<name>Over`, unless [`Poll::decided_by`] named it.
    pub fn decision_state(&self) -> &str {
        &self.decision
    }

    /// The loop's states, as a sequence entered at `Start<name>Polls`.
    pub fn into_sequence(self) -> Sequence {
        let start = self.start_state();
        let wait = self.wait_state();
        let count = self.count_state();
        let forget = self.forget_state();
        let mut reads = self.reads;
        if let Some((backoff, errors)) = &self.failed_reads {
            let names: Vec<String> = reads.states.iter().map(|(n, _)| n.clone()).collect();
            for (i, (_, state)) in reads.states.iter_mut().enumerate() {
                if let State::Task(task) = state {
                    if task.flow.retry.is_empty() {
                        task.flow.retry = task.integration.retriers(*backoff);
                    }
                    if !task
                        .flow
                        .catch
                        .iter()
                        .any(|c| c.error_equals == [ErrorName::All])
                    {
                        let following = names.get(i + 1).cloned().unwrap_or(count.clone());
                        task.flow.catch.push(
                            Catcher::new(vec![ErrorName::All], following).result_path(*errors),
                        );
                    }
                }
            }
        }
        let first_read = match &self.forget {
            Some(_) => forget.clone(),
            None => reads.first().map(str::to_string).unwrap_or(count.clone()),
        };
        let mut facts = Map::new();
        facts.insert(
            "Polls.$".into(),
            json!(format!("States.MathAdd({}, 1)", self.counter.at("Polls"))),
        );
        facts.extend(self.facts);
        let mut decide = Choice::new();
        for rule in self.rules {
            decide = decide.when(rule.condition, rule.next);
        }
        let (again, header) = if self.wait_first {
            (wait.clone(), wait.clone())
        } else {
            (wait.clone(), first_read.clone())
        };
        // A poll that reads at once and at most once has nothing to wait for and no way back.
        let single = !self.wait_first && self.max_polls <= 1;
        if !single {
            decide = decide.when(
                Condition::numeric_less_than(self.counter.at("Polls"), self.max_polls),
                again,
            );
        }
        decide = decide.otherwise(self.on_exhausted);
        let wait_state = Wait::seconds(self.interval_seconds);
        let mut initial = Map::new();
        initial.insert("Polls".into(), json!(0));
        initial.extend(self.initial);
        let mut sequence = Sequence::new().then(
            start,
            Pass::new()
                .result(Value::Object(initial))
                .result_path(self.counter),
        );
        if self.wait_first {
            sequence = sequence.then(wait.clone(), wait_state.clone());
        }
        if let Some((path, neutral)) = self.forget {
            sequence = sequence.then(forget, Pass::new().result(neutral).result_path(path));
        }
        let (reads, loops) = reads.close(Some(&count));
        sequence.states.extend(reads);
        sequence.loops.extend(loops);
        sequence = sequence
            .then(
                count,
                Pass::new()
                    .parameters(Value::Object(facts))
                    .result_path(self.counter),
            )
            .then(self.decision, decide);
        if single {
            return sequence;
        }
        if !self.wait_first {
            sequence = sequence.then(wait, wait_state.next(first_read));
        }
        sequence.bounded_loop(header, self.max_polls.saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asl::integration::dms_describe_replication_task;
    use crate::asl::{ErrorName, Retrier, Task};
    use crate::cfn::{Handle, LogicalId};

    fn describe() -> Task {
        Task::new(dms_describe_replication_task(&Handle::new(
            LogicalId::verbatim("ForwardTask"),
        )))
        .timeout_seconds(60)
    }

    const BACKOFF: Backoff = Backoff {
        interval_seconds: 1,
        max_attempts: 2,
        rate: 2.0,
        max_delay_seconds: 10,
    };

    #[test]
    fn a_sequence_wires_next_and_keeps_explicit_exits() {
        let (states, _) = Sequence::new()
            .then("A", Pass::new())
            .then("B", Wait::seconds(5))
            .then("C", Pass::new().next("Elsewhere"))
            .then(
                "D",
                Choice::new().when(Condition::is_present("$.x", true), "A"),
            )
            .close(Some("After"));
        let next = |i: usize| states[i].1.to_json()["Next"].clone();
        assert_eq!(next(0), json!("B"));
        assert_eq!(next(1), json!("C"));
        assert_eq!(next(2), json!("Elsewhere"));
        assert_eq!(states[3].1.to_json().get("Next"), None);
    }

    #[test]
    fn handling_gives_tasks_their_retry_and_catch_unless_they_have_their_own() {
        let handling = Handling::retrying(BACKOFF)
            .catching(Catcher::new(vec![ErrorName::All], "Failed").result_path("$.error"));
        let own = Retrier::new(vec![ErrorName::Timeout]);
        let (states, _) = Sequence::handled(handling)
            .then("Default", describe())
            .then("Own", describe().retry(own.clone()))
            .close(Some("End"));
        let default = states[0].1.to_json();
        assert_eq!(
            default["Retry"][0],
            json!({"ErrorEquals": ["DatabaseMigration.ResourceNotFoundException"], "MaxAttempts": 0})
        );
        assert_eq!(
            default["Retry"][1]["ErrorEquals"],
            json!(["States.TaskFailed", "States.Timeout"])
        );
        assert_eq!(default["Catch"][0]["Next"], json!("Failed"));
        let own_json = states[1].1.to_json();
        assert_eq!(own_json["Retry"], json!([own.to_json()]));
        assert_eq!(own_json["Catch"][0]["Next"], json!("Failed"));
    }

    #[test]
    fn a_poll_counts_decides_and_declares_its_bound() {
        const COUNTER: Path = Path::new("$.load");
        let poll = Poll::new("Load", COUNTER, 300, 12)
            .reads(Sequence::new().then("DescribeLoad", describe().result_path("$.task")))
            .fact(
                "Done.$",
                json!("States.ArrayContains($.task.Statuses, 'running')"),
            )
            .when(
                Condition::boolean_equals(COUNTER.at("Done"), true),
                "Loaded",
            )
            .otherwise("TimedOut");
        let (states, loops) = poll.into_sequence().close(None);
        let names: Vec<&str> = states.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "StartLoadPolls",
                "WaitForLoad",
                "DescribeLoad",
                "CountLoadPoll",
                "IsLoadOver"
            ]
        );
        assert_eq!(loops, vec![("WaitForLoad".to_string(), 11)]);
        let decide = states[4].1.to_json();
        assert_eq!(
            decide["Choices"][1],
            json!({"Variable": "$.load.Polls", "NumericLessThan": 12, "Next": "WaitForLoad"})
        );
        assert_eq!(decide["Default"], json!("TimedOut"));
        assert_eq!(
            states[3].1.to_json()["Parameters"]["Polls.$"],
            json!("States.MathAdd($.load.Polls, 1)")
        );
    }

    #[test]
    fn a_poll_of_one_look_has_no_wait() {
        let poll = Poll::new("Load", Path::new("$.load"), 30, 1)
            .reading_first()
            .reads(Sequence::new().then("DescribeLoad", describe()))
            .otherwise("TimedOut");
        let (states, loops) = poll.into_sequence().close(None);
        let names: Vec<&str> = states.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "StartLoadPolls",
                "DescribeLoad",
                "CountLoadPoll",
                "IsLoadOver"
            ]
        );
        assert!(loops.is_empty());
        assert_eq!(states[3].1.to_json()["Default"], json!("TimedOut"));
    }

    #[test]
    fn a_poll_that_reads_first_waits_before_each_later_read() {
        let poll = Poll::new("Load", Path::new("$.load"), 30, 5)
            .reading_first()
            .reads(Sequence::new().then("DescribeLoad", describe()))
            .otherwise("TimedOut");
        let (states, loops) = poll.into_sequence().close(None);
        let names: Vec<&str> = states.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "StartLoadPolls",
                "DescribeLoad",
                "CountLoadPoll",
                "IsLoadOver",
                "WaitForLoad"
            ]
        );
        assert_eq!(states[4].1.to_json()["Next"], json!("DescribeLoad"));
        assert_eq!(loops, vec![("DescribeLoad".to_string(), 4)]);
    }
}
