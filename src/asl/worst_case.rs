//! The worst case of a definition: the most history events an execution can record and the longest it can run,
//! computed from the states themselves.
//!
//! Step Functions fails a Standard execution, uncatchably, when its history reaches 25,000 events, and a workflow
//! whose `TimeoutSeconds` is shorter than its longest run times out in the middle of what it was doing. Both are
//! decided here from the definition rather than estimated by hand:
//!
//! - **Per state.** Pass, Choice, Wait and Succeed record two events (entered, exited); Fail one (the execution's
//!   end is counted once for the whole run). A Task records entered and exited plus, per attempt, scheduled,
//!   started and succeeded or failed, and `submitted` for `.sync` and `.waitForTaskToken` calls; its attempts are
//!   the first plus every retry its retriers allow (the retry events are an upper bound: AWS documents only that
//!   retries are state transitions). A Wait lasts its `Seconds`; a Task its `TimeoutSeconds` per attempt plus the
//!   retriers' waits. A Parallel state records its branches' events and lasts as long as its longest branch.
//! - **Per path.** Every cycle of the state graph must be a loop whose header (its one entry) declares how many
//!   times the loop may go round per entry ([`super::StateMachineDefinition::bounded_loop`]); the analysis takes
//!   each loop at that many rounds, nested loops inside their enclosing rounds, and the longest path through what
//!   remains. A cycle without a declared bound, or a loop entered at two places, is a [`super::Problem`].
//!
//! The result is an upper bound over every path, retries and catches included. That the declared bounds are the
//! ones the loops' counters enforce is not something this module can see; the workflow explorations in the tests
//! check it by running every path and comparing.

use std::collections::BTreeMap;
use std::ops::Add;

use super::state::{Branch, State, Task, WaitFor};

/// Step Functions' quota of events in a Standard execution's history.
pub const MAX_HISTORY_EVENTS: u64 = 25_000;
/// The longest a Standard execution may run: one year.
pub const MAX_EXECUTION_SECONDS: u64 = 365 * 24 * 3600;

/// The most history events an execution can record and the longest it can run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorstCase {
    /// Events in the execution's history, against the quota of [`MAX_HISTORY_EVENTS`].
    pub history_events: u64,
    /// Seconds, against the execution's `TimeoutSeconds` and [`MAX_EXECUTION_SECONDS`]. Each field is the maximum over
    /// paths on its own: the path with the most events need not be the longest.
    pub duration_seconds: u64,
}

impl Add for WorstCase {
    type Output = WorstCase;

    fn add(self, other: WorstCase) -> WorstCase {
        WorstCase {
            history_events: self.history_events + other.history_events,
            duration_seconds: self.duration_seconds + other.duration_seconds,
        }
    }
}

impl WorstCase {
    const fn new(history_events: u64, duration_seconds: u64) -> Self {
        WorstCase {
            history_events,
            duration_seconds,
        }
    }

    /// Each dimension's larger value: the worst path for events need not be the worst for time.
    fn max(self, other: WorstCase) -> WorstCase {
        WorstCase {
            history_events: self.history_events.max(other.history_events),
            duration_seconds: self.duration_seconds.max(other.duration_seconds),
        }
    }

    fn times(self, n: u64) -> WorstCase {
        WorstCase {
            history_events: self.history_events * n,
            duration_seconds: self.duration_seconds * n,
        }
    }
}

/// What keeps a definition's worst case from being computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Unbounded {
    /// A cycle through this state (its entry) with no declared bound.
    Loop(String),
    /// A loop entered at these states: no one state counts its rounds.
    SeveralEntries(Vec<String>),
    /// A Task without `TimeoutSeconds` (a Standard task's default is 99,999,999 s).
    TaskWithoutTimeout(String),
    /// A Wait on `SecondsPath`, whose length is data.
    WaitOnData(String),
}

/// The events and time one visit of `state` costs at worst.
fn state_cost(
    name: &str,
    state: &State,
    loops: &BTreeMap<String, u32>,
    problems: &mut Vec<Unbounded>,
) -> WorstCase {
    match state {
        State::Pass(_) | State::Choice(_) | State::Succeed(_) => WorstCase::new(2, 0),
        State::Fail(_) => WorstCase::new(1, 0),
        State::Wait(wait) => match &wait.wait {
            WaitFor::Seconds(s) => WorstCase::new(2, u64::from(*s)),
            WaitFor::SecondsPath(_) => {
                problems.push(Unbounded::WaitOnData(name.to_string()));
                WorstCase::new(2, 0)
            }
        },
        State::Task(task) => task_cost(name, task, problems),
        State::Parallel(parallel) => {
            let mut events = 4;
            let mut seconds = 0;
            for branch in &parallel.branches {
                let worst = scope_worst_case(branch, loops, problems);
                events += worst.history_events;
                seconds = seconds.max(worst.duration_seconds);
            }
            WorstCase::new(events, seconds)
        }
    }
}

fn task_cost(name: &str, task: &Task, problems: &mut Vec<Unbounded>) -> WorstCase {
    let resource = &task.integration.resource;
    let submitted =
        u64::from(resource.ends_with(".waitForTaskToken") || resource.contains(".sync"));
    let (retries, waited) = task
        .flow
        .retry
        .iter()
        .map(super::error::Retrier::worst_case)
        .fold((0u64, 0u64), |(n, w), (r, s)| (n + u64::from(r), w + s));
    let attempts = 1 + retries;
    let timeout = match task.timeout_seconds {
        Some(t) => u64::from(t),
        None => {
            problems.push(Unbounded::TaskWithoutTimeout(name.to_string()));
            0
        }
    };
    WorstCase::new(2 + attempts * (3 + submitted), attempts * timeout + waited)
}

/// The worst case of one scope (the state machine's body or a branch), from its StartAt to wherever it ends.
pub(crate) fn scope_worst_case(
    scope: &Branch,
    loops: &BTreeMap<String, u32>,
    problems: &mut Vec<Unbounded>,
) -> WorstCase {
    let states = scope.states();
    let index: BTreeMap<&str, usize> = states
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (n.as_str(), i))
        .collect();
    let Some(&start) = index.get(scope.start_at()) else {
        return WorstCase::default();
    };
    let graph = Graph {
        names: states.iter().map(|(n, _)| n.as_str()).collect(),
        successors: states
            .iter()
            .map(|(_, s)| {
                let mut out: Vec<usize> = s
                    .targets()
                    .into_iter()
                    .filter_map(|(_, t)| index.get(t).copied())
                    .collect();
                out.sort_unstable();
                out.dedup();
                out
            })
            .collect(),
        cost: states
            .iter()
            .map(|(n, s)| state_cost(n, s, loops, problems))
            .collect(),
        loops,
    };
    let region = vec![true; states.len()];
    match graph.distances(&region, start, false) {
        Ok(distances) => distances
            .into_iter()
            .flatten()
            .fold(WorstCase::default(), WorstCase::max),
        Err(problem) => {
            problems.push(problem);
            WorstCase::default()
        }
    }
}

struct Graph<'a> {
    names: Vec<&'a str>,
    successors: Vec<Vec<usize>>,
    cost: Vec<WorstCase>,
    loops: &'a BTreeMap<String, u32>,
}

impl Graph<'_> {
    /// The worst cost of reaching each node of `region` from `entry` (each node's own cost included), `None` for
    /// the unreachable. With `cut`, the edges back into `entry` are left out: they close the loop being measured.
    fn distances(
        &self,
        region: &[bool],
        entry: usize,
        cut: bool,
    ) -> Result<Vec<Option<WorstCase>>, Unbounded> {
        let n = self.names.len();
        let edges = |u: usize| {
            self.successors[u]
                .iter()
                .copied()
                .filter(move |&v| region[v] && !(cut && v == entry))
        };
        let components = strongly_connected(n, entry, &edges);
        let mut component_of = vec![usize::MAX; n];
        for (c, members) in components.iter().enumerate() {
            for &m in members {
                component_of[m] = c;
            }
        }
        // Each looping component is measured on its own: its header, the rounds it may make, and the worst cost
        // of reaching each of its nodes once entered.
        let mut offset: Vec<Option<WorstCase>> = vec![None; n];
        for members in &components {
            let looping = members.len() > 1 || edges(members[0]).any(|v| v == members[0]);
            if !looping {
                offset[members[0]] = Some(self.cost[members[0]]);
                continue;
            }
            let c = component_of[members[0]];
            let mut headers: Vec<usize> = members
                .iter()
                .copied()
                .filter(|&v| {
                    v == entry
                        || (0..n).any(|u| {
                            component_of[u] != usize::MAX
                                && component_of[u] != c
                                && edges(u).any(|w| w == v)
                        })
                })
                .collect();
            headers.sort_unstable();
            let header = match headers.as_slice() {
                [one] => *one,
                _ => {
                    return Err(Unbounded::SeveralEntries(
                        headers.iter().map(|&h| self.names[h].to_string()).collect(),
                    ));
                }
            };
            let Some(&rounds) = self.loops.get(self.names[header]) else {
                return Err(Unbounded::Loop(self.names[header].to_string()));
            };
            let mut inside = vec![false; n];
            members.iter().for_each(|&m| inside[m] = true);
            let inner = self.distances(&inside, header, true)?;
            let round = members
                .iter()
                .filter(|&&u| edges(u).any(|v| v == header))
                .filter_map(|&u| inner[u])
                .fold(WorstCase::default(), WorstCase::max);
            let rounds = round.times(u64::from(rounds));
            for &m in members {
                offset[m] = inner[m].map(|d| rounds + d);
            }
        }
        // Components come out of Tarjan's algorithm in reverse topological order.
        let mut distance: Vec<Option<WorstCase>> = vec![None; n];
        let entry_component = &components[component_of[entry]];
        for &m in entry_component {
            distance[m] = offset[m];
        }
        for members in components.iter().rev() {
            for &u in members {
                let Some(du) = distance[u] else { continue };
                for v in edges(u) {
                    if component_of[v] == component_of[u] {
                        continue;
                    }
                    for &m in &components[component_of[v]] {
                        if let Some(o) = offset[m] {
                            distance[m] = Some(match distance[m] {
                                Some(d) => d.max(du + o),
                                None => du + o,
                            });
                        }
                    }
                }
            }
        }
        Ok(distance)
    }
}

/// Tarjan's strongly connected components of the nodes reachable from `root`, in reverse topological order.
fn strongly_connected<I: Iterator<Item = usize>>(
    n: usize,
    root: usize,
    edges: &dyn Fn(usize) -> I,
) -> Vec<Vec<usize>> {
    struct Frame {
        node: usize,
        successors: Vec<usize>,
        next: usize,
    }
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut components = Vec::new();
    let mut counter = 0;
    let mut frames = vec![Frame {
        node: root,
        successors: edges(root).collect(),
        next: 0,
    }];
    index[root] = counter;
    low[root] = counter;
    counter += 1;
    stack.push(root);
    on_stack[root] = true;
    while let Some(frame) = frames.last_mut() {
        if frame.next < frame.successors.len() {
            let w = frame.successors[frame.next];
            frame.next += 1;
            let v = frame.node;
            if index[w] == usize::MAX {
                index[w] = counter;
                low[w] = counter;
                counter += 1;
                stack.push(w);
                on_stack[w] = true;
                frames.push(Frame {
                    node: w,
                    successors: edges(w).collect(),
                    next: 0,
                });
            } else if on_stack[w] {
                low[v] = low[v].min(index[w]);
            }
            continue;
        }
        let v = frame.node;
        frames.pop();
        if let Some(parent) = frames.last() {
            low[parent.node] = low[parent.node].min(low[v]);
        }
        if low[v] == index[v] {
            let mut component = Vec::new();
            while let Some(w) = stack.pop() {
                on_stack[w] = false;
                component.push(w);
                if w == v {
                    break;
                }
            }
            component.sort_unstable();
            components.push(component);
        }
    }
    components
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::asl::integration::ssm_get_parameter;
    use crate::asl::{
        Choice, Condition, ErrorName, Pass, Problem, Retrier, StateMachineDefinition, Succeed,
        Task, Wait,
    };
    use crate::cfn::{Handle, LogicalId, Named};

    fn read() -> Task {
        Task::new(ssm_get_parameter(&Named::new(
            Handle::new(LogicalId::verbatim("Split")),
            "/split".into(),
        )))
        .timeout_seconds(10)
    }

    fn counted_loop(rounds: u32) -> StateMachineDefinition {
        StateMachineDefinition::new("Start")
            .state(
                "Start",
                Pass::new().result(json!(0)).result_path("$.n").next("Wait"),
            )
            .state("Wait", Wait::seconds(60).next("Read"))
            .state("Read", read().result_path("$.r").next("Count"))
            .state(
                "Count",
                Pass::new()
                    .parameters(json!({"n.$": "States.MathAdd($.n, 1)"}))
                    .next("Again"),
            )
            .state(
                "Again",
                Choice::new()
                    .when(Condition::numeric_less_than("$.n", rounds + 1), "Wait")
                    .otherwise("Done"),
            )
            .state("Done", Succeed::new())
            .bounded_loop("Wait", rounds)
    }

    #[test]
    fn a_straight_run_costs_the_sum_of_its_states() {
        let definition = StateMachineDefinition::new("Read")
            .state("Read", read().next("Done"))
            .state("Done", Succeed::new())
            .build()
            .unwrap();
        // Execution 2, Task 5, Succeed 2; the task may take its whole timeout.
        assert_eq!(definition.worst_case(), WorstCase::new(9, 10));
    }

    #[test]
    fn retries_add_their_attempts_and_waits() {
        let definition = StateMachineDefinition::new("Read")
            .state(
                "Read",
                read()
                    .retry(Retrier::never(vec![ErrorName::Timeout]))
                    .retry(
                        Retrier::new(vec![ErrorName::TaskFailed])
                            .interval_seconds(2)
                            .max_attempts(3)
                            .backoff_rate(2.0)
                            .max_delay_seconds(5),
                    )
                    .next("Done"),
            )
            .state("Done", Succeed::new())
            .build()
            .unwrap();
        // Four attempts of three events, plus entered and exited; waits 2 + 4 + 5 (capped).
        assert_eq!(
            definition.worst_case(),
            WorstCase::new(2 + 14 + 2, 4 * 10 + 11)
        );
    }

    #[test]
    fn a_loop_is_taken_at_its_declared_rounds() {
        let definition = counted_loop(4).build().unwrap();
        // Start 2; five rounds of Wait, Read, Count, Again (2 + 5 + 2 + 2); Done 2; execution 2.
        assert_eq!(
            definition.worst_case(),
            WorstCase::new(2 + 5 * 11 + 2 + 2, 5 * (60 + 10))
        );
    }

    #[test]
    fn nested_loops_multiply() {
        let definition = StateMachineDefinition::new("Outer")
            .state("Outer", Pass::new().next("Inner"))
            .state("Inner", Wait::seconds(10).next("InnerAgain"))
            .state(
                "InnerAgain",
                Choice::new()
                    .when(Condition::is_present("$.more", true), "Inner")
                    .otherwise("OuterAgain"),
            )
            .state(
                "OuterAgain",
                Choice::new()
                    .when(Condition::is_present("$.again", true), "Outer")
                    .otherwise("Done"),
            )
            .state("Done", Succeed::new())
            .bounded_loop("Outer", 2)
            .bounded_loop("Inner", 9)
            .build()
            .unwrap();
        // Three outer rounds, each: Outer 2, ten inner rounds of 4 events and 10 s, OuterAgain 2.
        assert_eq!(
            definition.worst_case(),
            WorstCase::new(3 * (2 + 10 * 4 + 2) + 2 + 2, 3 * 100)
        );
    }

    #[test]
    fn a_cycle_without_a_bound_is_reported_at_its_entry() {
        let mut definition = counted_loop(3);
        definition.loops_mut().clear();
        let errors = definition.build().unwrap_err();
        assert!(
            errors
                .iter()
                .any(|e| e.state == "Wait" && e.problem == Problem::UnboundedLoop),
            "{errors:?}"
        );
    }

    #[test]
    fn a_task_without_timeout_is_reported() {
        let errors = StateMachineDefinition::new("Read")
            .state(
                "Read",
                Task::new(ssm_get_parameter(&Named::new(
                    Handle::new(LogicalId::verbatim("S")),
                    "/s".into(),
                )))
                .end(),
            )
            .build()
            .unwrap_err();
        assert!(
            errors
                .iter()
                .any(|e| e.state == "Read" && e.problem == Problem::TaskWithoutTimeout),
            "{errors:?}"
        );
    }

    #[test]
    fn the_timeout_follows_the_worst_case_with_its_margin() {
        let definition = counted_loop(4).timeout_from_worst_case(10).build().unwrap();
        // 350 s plus 10 %, rounded up to whole minutes.
        assert_eq!(definition.timeout_seconds(), Some(420));
        assert_eq!(definition.to_json()["TimeoutSeconds"], json!(420));
    }
}
