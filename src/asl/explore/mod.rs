//! Every path of a workflow, against a model of the world it acts on.
//!
//! A test of a workflow that runs it in an emulator executes the paths the test chose. This module executes all
//! of them: it interprets a rendered Amazon States Language document (JSONPath mode: Pass, Task, Choice, Wait,
//! Succeed and Fail; Retry, Catch, InputPath, Parameters, ResultSelector, ResultPath, OutputPath, intrinsic
//! functions) and, wherever the outside world has a say, follows every answer a [`Model`] allows: each result
//! or error a Task's call may get, each change of the world while a Wait waits. Configurations (the state about
//! to run, the execution's data, the world, the retries made) that two paths share are explored once, so a
//! workflow whose loops count their rounds is explored completely in time proportional to its configurations,
//! not to its paths.
//!
//! The model checks what the workflow must guarantee: at each call (what is being written, and what the world
//! is when it is), and at each end ([`Model::end`]). A violation stops the exploration with the trace of states
//! that led to it. The exploration also fails if a configuration can repeat (a loop whose counter does not
//! count), if an execution would fail with `States.Runtime` (a path that does not exist, an intrinsic applied to
//! the wrong data), or if it could not finish.
//!
//! The [`Report`] counts the configurations and the distinct paths, and gives the most history events and the
//! longest time any path takes, with events counted as [`crate::asl::worst_case`] counts them and time as the
//! model's answers and the Wait states say.

mod intrinsic;
mod jsonpath;

use std::borrow::Cow;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Debug;
use std::hash::{Hash, Hasher};

use serde_json::{Map, Value, json};

use super::worst_case::WorstCase;
use jsonpath::JsonPath;

/// A state machine definition, ready to be explored.
#[derive(Clone, Debug)]
pub struct Machine {
    name: String,
    start_at: String,
    names: Vec<String>,
    states: Vec<Value>,
    index: HashMap<String, usize>,
}

impl Machine {
    /// `definition` is the ASL document with its placeholders bound; `name` names the state machine in the
    /// context object and in traces.
    pub fn new(name: &str, definition: &Value) -> Result<Machine, String> {
        let start_at = definition["StartAt"]
            .as_str()
            .ok_or("the definition has no StartAt")?
            .to_string();
        let states = definition["States"]
            .as_object()
            .ok_or("the definition has no States")?;
        let names: Vec<String> = states.keys().cloned().collect();
        let index = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        for (name, state) in states {
            if let Some(kind) = state["Type"].as_str()
                && !matches!(
                    kind,
                    "Pass" | "Task" | "Choice" | "Wait" | "Succeed" | "Fail"
                )
            {
                return Err(format!("state `{name}`: {kind} states are not explored"));
            }
        }
        Ok(Machine {
            name: name.to_string(),
            start_at,
            names,
            states: states.values().cloned().collect(),
            index,
        })
    }

    /// The state machine's name, as given to [`Machine::new`]: the one [`Call::machine`] and the model's `machine`
    /// arguments carry.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn position(&self, name: &str) -> Result<usize, String> {
        self.index
            .get(name)
            .copied()
            .ok_or_else(|| format!("no state named `{name}`"))
    }
}

/// A call a Task state makes, as the model sees it.
#[derive(Debug)]
pub struct Call<'a> {
    /// The name of the state machine making the call, for a model that serves several (one starting another, say).
    pub machine: &'a str,
    /// The name of the Task state making the call.
    pub state: &'a str,
    /// The Task's `Resource` ARN (`arn:aws:states:::aws-sdk:ssm:putParameter`, …): which API is called, and whether it
    /// waits (`.sync`, `.waitForTaskToken`).
    pub resource: &'a str,
    /// The call's parameters, paths and intrinsics resolved.
    pub parameters: &'a Value,
    /// The Task's `TimeoutSeconds`, if set: the longest an attempt may take before Step Functions fails it with
    /// `States.Timeout`.
    pub timeout_seconds: Option<u64>,
    /// 0 for the first attempt, then one more for each retry.
    pub attempt: u32,
}

/// What a call got.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The service's answer, and how long the call took.
    Success {
        /// The call's raw result, before the state's `ResultSelector` and `ResultPath` apply.
        result: Value,
        /// Seconds the call took, added to the path's duration.
        seconds: u64,
    },
    /// An error as Step Functions names it (`DatabaseMigration.InvalidResourceStateException`,
    /// `States.Timeout`, ...), and how long the call took before it failed.
    Failure {
        /// The error name the state's `Retry` and `Catch` match against.
        error: String,
        /// The error's `Cause`, which a catcher's `ResultPath` places next to the error.
        cause: String,
        /// Seconds the call ran before it failed, added to the path's duration.
        seconds: u64,
    },
}

impl Outcome {
    /// A success with `result`, taking no time.
    pub fn ok(result: Value) -> Self {
        Outcome::Success { result, seconds: 0 }
    }

    /// A failure named `error`, with an empty cause, taking no time.
    pub fn error(error: &str) -> Self {
        Outcome::Failure {
            error: error.to_string(),
            cause: String::new(),
            seconds: 0,
        }
    }
}

/// How an execution ended.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum End {
    /// The execution reached a Succeed state or a state with `End: true`.
    Succeeded {
        /// The execution's output as JSON text, which keeps an end hashable; [`End::output`] parses it.
        output: String,
    },
    /// The execution failed: at a Fail state, on an error no catcher caught, or with `States.Runtime`.
    Failed {
        /// The error name: a Fail state's `Error`, the uncaught error's, or `States.Runtime`.
        error: String,
        /// The cause that came with it.
        cause: String,
    },
}

impl End {
    /// The output of a successful end, parsed; `None` for a failure.
    pub fn output(&self) -> Option<Value> {
        match self {
            End::Succeeded { output } => serde_json::from_str(output).ok(),
            End::Failed { .. } => None,
        }
    }
}

/// The world a workflow acts on: what each call may answer and how the world may change while the workflow
/// waits, and what must hold when an execution ends. `World` is the part of it a configuration carries, so it
/// must be small and only hold what matters.
pub trait Model {
    /// The part of the world a configuration carries. Configurations with equal worlds (and equal data and state) are
    /// explored once, so it must hold only what the guarantees depend on.
    type World: Clone + Eq + Hash + Debug;

    /// Every outcome `call` may have, each with the world after it; `Err` is a violation.
    fn call(
        &mut self,
        world: &Self::World,
        call: &Call,
    ) -> Result<Vec<(Outcome, Self::World)>, String>;

    /// Every world the wait of `seconds` in `state` may lead to (the world as it was included, if nothing need
    /// change).
    fn wait(
        &mut self,
        world: &Self::World,
        machine: &str,
        state: &str,
        seconds: u64,
    ) -> Result<Vec<Self::World>, String>;

    /// Checks an execution's end; `Err` is a violation.
    fn end(&mut self, world: &Self::World, machine: &str, end: &End) -> Result<(), String>;
}

/// A guarantee that did not hold, with the states that led there.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// What the model or the exploration found wrong.
    pub message: String,
    /// The names of the states entered from the start up to the violation, in order.
    pub trace: Vec<String>,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}\n  after: {}", self.message, self.trace.join(" -> "))
    }
}

/// What an exploration covered.
#[derive(Clone, Debug)]
pub struct Report<W> {
    /// Distinct configurations reached.
    pub configurations: usize,
    /// Steps between them.
    pub transitions: usize,
    /// Distinct paths from the start to an end (a float: they multiply quickly).
    pub paths: f64,
    /// The most history events and the longest time of any path.
    pub worst: WorstCase,
    /// Each distinct way the execution ended, with the world it left.
    pub ends: Vec<(End, W)>,
    /// The states some path entered.
    pub states_entered: BTreeSet<String>,
}

/// Where a configuration is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum At {
    /// About to run the state; `retries` counts each retrier's retries while a Task is retrying.
    State {
        index: usize,
        retries: Vec<u32>,
    },
    Ended(End),
}

#[derive(Clone, Debug)]
struct Configuration<W> {
    at: At,
    data: Value,
    world: W,
}

impl<W: Hash> Configuration<W> {
    /// 64 bits identifying the configuration (a SipHash of its content). Two configurations of one exploration
    /// share a fingerprint by chance with a probability of about n² / 2⁶⁵: under 10⁻⁵ for ten million.
    fn fingerprint(&self) -> u64 {
        let mut h = DefaultHasher::new();
        self.at.hash(&mut h);
        hash_value(&self.data, &mut h);
        self.world.hash(&mut h);
        h.finish()
    }
}

/// Hashes a JSON value as it is laid out (objects in their order), without serializing it.
fn hash_value(value: &Value, h: &mut DefaultHasher) {
    match value {
        Value::Null => 0u8.hash(h),
        Value::Bool(b) => (1u8, b).hash(h),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => (2u8, i).hash(h),
            (None, Some(f)) => (6u8, f.to_bits()).hash(h),
            (None, None) => (7u8, n.as_u64()).hash(h),
        },
        Value::String(s) => (3u8, s).hash(h),
        Value::Array(items) => {
            (4u8, items.len()).hash(h);
            items.iter().for_each(|v| hash_value(v, h));
        }
        Value::Object(map) => {
            (5u8, map.len()).hash(h);
            for (k, v) in map {
                k.hash(h);
                hash_value(v, h);
            }
        }
    }
}

struct Step<W> {
    next: Configuration<W>,
    cost: WorstCase,
}

/// Explores every path of `machine` from `input` in `world`. `limit` caps the configurations, so that a model
/// that lets the world change without end fails rather than runs out of memory.
pub fn explore<M: Model>(
    machine: &Machine,
    model: &mut M,
    world: M::World,
    input: Value,
    limit: usize,
) -> Result<Report<M::World>, Violation> {
    let context = json!({
        "Execution": {
            "Id": format!("arn:aws:states:region:account:execution:{}:explored", machine.name),
            "Name": "explored",
            "StartTime": "2026-01-01T00:00:00Z",
            "Input": input.clone(),
        },
        "StateMachine": {"Id": format!("arn:aws:states:region:account:stateMachine:{}", machine.name), "Name": machine.name},
        "Task": {"Token": "explored-task-token"},
    });
    let start = Configuration {
        at: At::State {
            index: machine
                .position(&machine.start_at)
                .map_err(|m| violation(m, Vec::new()))?,
            retries: Vec::new(),
        },
        data: input,
        world,
    };
    let mut ids: HashMap<u64, u32> = HashMap::new();
    // Per configuration: the first configuration that led to it and the state it is at, for traces.
    let mut parent: Vec<(u32, u32)> = Vec::new();
    let mut edges: Vec<Vec<(u32, WorstCase)>> = Vec::new();
    let mut color: Vec<u8> = Vec::new();
    let mut order: Vec<u32> = Vec::new();
    let mut ends: BTreeMap<String, (End, M::World)> = BTreeMap::new();
    let mut entered: BTreeSet<String> = BTreeSet::new();
    let at_state = |c: &Configuration<M::World>| match &c.at {
        At::State { index, .. } => *index as u32,
        At::Ended(_) => u32::MAX,
    };
    let trace = |parent: &Vec<(u32, u32)>, mut id: u32| {
        let mut out = Vec::new();
        while id != u32::MAX {
            let (p, s) = parent[id as usize];
            if s != u32::MAX {
                out.push(machine.names[s as usize].clone());
            }
            id = p;
        }
        out.reverse();
        out
    };

    ids.insert(start.fingerprint(), 0);
    parent.push((u32::MAX, at_state(&start)));
    edges.push(Vec::new());
    color.push(1);
    let mut stack: Vec<(u32, Vec<Step<M::World>>)> = Vec::new();
    let first = successors(machine, model, &start, &context)
        .map_err(|m| violation(m, trace(&parent, 0)))?;
    stack.push((0, first));
    if let At::State { index, .. } = &start.at {
        entered.insert(machine.names[*index].clone());
    }

    while let Some((id, pending)) = stack.last_mut() {
        let id = *id;
        let Some(step) = pending.pop() else {
            color[id as usize] = 2;
            order.push(id);
            stack.pop();
            continue;
        };
        let fingerprint = step.next.fingerprint();
        let target = match ids.get(&fingerprint) {
            Some(&t) => {
                if color[t as usize] == 1 {
                    let mut path = trace(&parent, id);
                    path.extend(trace(&parent, t).into_iter().rev().take(1));
                    return Err(violation(
                        "a configuration repeats: a loop of the workflow does not count its rounds"
                            .into(),
                        path,
                    ));
                }
                t
            }
            None => {
                let t = parent.len() as u32;
                if parent.len() >= limit {
                    let mut per_state = vec![0usize; machine.names.len()];
                    for &(_, s) in &parent {
                        if let Some(n) = per_state.get_mut(s as usize) {
                            *n += 1;
                        }
                    }
                    let mut busiest: Vec<(usize, &String)> =
                        per_state.into_iter().zip(&machine.names).collect();
                    busiest.sort_by_key(|b| std::cmp::Reverse(b.0));
                    let busiest: Vec<String> = busiest
                        .iter()
                        .take(5)
                        .map(|(n, name)| format!("{name} {n}"))
                        .collect();
                    return Err(violation(
                        format!(
                            "more than {limit} configurations (most at {}): the model lets the world change \
                             without end, or the workflow's data differs on every path",
                            busiest.join(", ")
                        ),
                        trace(&parent, id),
                    ));
                }
                ids.insert(fingerprint, t);
                parent.push((id, at_state(&step.next)));
                edges.push(Vec::new());
                color.push(1);
                let next = match &step.next.at {
                    At::Ended(end) => {
                        model
                            .end(&step.next.world, &machine.name, end)
                            .map_err(|m| violation(m, trace(&parent, t)))?;
                        let key = format!("{end:?}{:?}", step.next.world);
                        ends.entry(key)
                            .or_insert_with(|| (end.clone(), step.next.world.clone()));
                        Vec::new()
                    }
                    At::State { index, .. } => {
                        entered.insert(machine.names[*index].clone());
                        successors(machine, model, &step.next, &context)
                            .map_err(|m| violation(m, trace(&parent, t)))?
                    }
                };
                stack.push((t, next));
                t
            }
        };
        edges[id as usize].push((target, step.cost));
    }

    // `order` is a post-order: every configuration comes after all it leads to.
    let n = parent.len();
    let mut worst = vec![WorstCase::default(); n];
    let mut paths = vec![0f64; n];
    for &id in &order {
        let out = &edges[id as usize];
        if out.is_empty() {
            paths[id as usize] = 1.0;
            continue;
        }
        let mut w = WorstCase::default();
        let mut p = 0.0;
        for &(t, cost) in out {
            let through = worst[t as usize] + cost;
            w = WorstCase {
                history_events: w.history_events.max(through.history_events),
                duration_seconds: w.duration_seconds.max(through.duration_seconds),
            };
            p += paths[t as usize];
        }
        worst[id as usize] = w;
        paths[id as usize] = p;
    }
    let mut total = worst[0];
    // The execution's start.
    total.history_events += 1;
    Ok(Report {
        configurations: n,
        transitions: edges.iter().map(Vec::len).sum(),
        paths: paths[0],
        worst: total,
        ends: ends.into_values().collect(),
        states_entered: entered,
    })
}

fn violation(message: String, trace: Vec<String>) -> Violation {
    Violation { message, trace }
}

/// The configurations one step of `config` leads to, with what the step costs.
fn successors<M: Model>(
    machine: &Machine,
    model: &mut M,
    config: &Configuration<M::World>,
    context: &Value,
) -> Result<Vec<Step<M::World>>, String> {
    let At::State { index, retries } = &config.at else {
        return Ok(Vec::new());
    };
    let name = &machine.names[*index];
    let state = &machine.states[*index];
    match evaluate_state(machine, model, name, state, config, retries, context) {
        Ok(steps) => Ok(steps),
        Err(Failure::Runtime(cause)) => Ok(vec![Step {
            next: Configuration {
                at: At::Ended(End::Failed {
                    error: "States.Runtime".into(),
                    cause: format!("state `{name}`: {cause}"),
                }),
                data: Value::Null,
                world: config.world.clone(),
            },
            cost: WorstCase {
                history_events: 1,
                duration_seconds: 0,
            },
        }]),
        Err(Failure::Model(message)) => Err(message),
    }
}

enum Failure {
    /// The execution fails with States.Runtime.
    Runtime(String),
    /// The model reported a violation.
    Model(String),
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::Runtime(message)
    }
}

fn cost(history_events: u64, duration_seconds: u64) -> WorstCase {
    WorstCase {
        history_events,
        duration_seconds,
    }
}

fn evaluate_state<M: Model>(
    machine: &Machine,
    model: &mut M,
    name: &str,
    state: &Value,
    config: &Configuration<M::World>,
    retries: &[u32],
    context: &Value,
) -> Result<Vec<Step<M::World>>, Failure> {
    let kind = state["Type"].as_str().unwrap_or_default();
    let effective = path_or_whole(state.get("InputPath"), &config.data)?;
    let go = |data: Value, world: M::World, cost: WorstCase, to: Result<At, Failure>| {
        to.map(|at| Step {
            next: Configuration { at, data, world },
            cost,
        })
    };
    match kind {
        "Pass" => {
            let result = if let Some(parameters) = state.get("Parameters") {
                payload(parameters, &effective, context)?
            } else if let Some(result) = state.get("Result") {
                result.clone()
            } else {
                effective.into_owned()
            };
            let data = output(state, &config.data, result)?;
            let to = next(machine, state, &data);
            Ok(vec![go(data, config.world.clone(), cost(2, 0), to)?])
        }
        "Choice" => {
            let target = choose(state, &effective)?;
            let data = path_or_whole(state.get("OutputPath"), &effective)?.into_owned();
            Ok(vec![go(
                data,
                config.world.clone(),
                cost(2, 0),
                machine
                    .position(&target)
                    .map(|index| At::State {
                        index,
                        retries: Vec::new(),
                    })
                    .map_err(Failure::Runtime),
            )?])
        }
        "Wait" => {
            let seconds = state["Seconds"]
                .as_u64()
                .ok_or_else(|| "a Wait without Seconds".to_string())?;
            let data = path_or_whole(state.get("OutputPath"), &effective)?.into_owned();
            let worlds = model
                .wait(&config.world, &machine.name, name, seconds)
                .map_err(Failure::Model)?;
            worlds
                .into_iter()
                .map(|world| {
                    let to = next(machine, state, &data);
                    go(data.clone(), world, cost(2, seconds), to)
                })
                .collect()
        }
        "Succeed" => {
            let data = path_or_whole(state.get("OutputPath"), &effective)?.into_owned();
            let end = End::Succeeded {
                output: data.to_string(),
            };
            Ok(vec![go(
                Value::Null,
                config.world.clone(),
                cost(3, 0),
                Ok(At::Ended(end)),
            )?])
        }
        "Fail" => {
            let field = |fixed: &str, path: &str| -> Result<String, Failure> {
                match state.get(path).and_then(Value::as_str) {
                    Some(p) => match JsonPath::parse(p)?.get(&effective) {
                        Some(Value::String(s)) => Ok(s),
                        _ => Err(Failure::Runtime(format!(
                            "{path} {p} is not a string of the input"
                        ))),
                    },
                    None => Ok(state[fixed].as_str().unwrap_or_default().to_string()),
                }
            };
            let end = End::Failed {
                error: field("Error", "ErrorPath")?,
                cause: field("Cause", "CausePath")?,
            };
            Ok(vec![go(
                Value::Null,
                config.world.clone(),
                cost(2, 0),
                Ok(At::Ended(end)),
            )?])
        }
        "Task" => task(
            machine, model, name, state, config, retries, &effective, context,
        ),
        other => Err(Failure::Runtime(format!("{other} states are not explored"))),
    }
}

#[allow(clippy::too_many_arguments)]
fn task<M: Model>(
    machine: &Machine,
    model: &mut M,
    name: &str,
    state: &Value,
    config: &Configuration<M::World>,
    retries: &[u32],
    effective: &Value,
    context: &Value,
) -> Result<Vec<Step<M::World>>, Failure> {
    let resource = state["Resource"].as_str().unwrap_or_default();
    let parameters = match state.get("Parameters") {
        Some(p) => payload(p, effective, context)?,
        None => effective.clone(),
    };
    let first_attempt = retries.is_empty();
    let attempt = retries.iter().sum::<u32>();
    let submitted =
        u64::from(resource.contains(".sync") || resource.ends_with(".waitForTaskToken"));
    let attempt_events = 3 + submitted + u64::from(first_attempt);
    let outcomes = model
        .call(
            &config.world,
            &Call {
                machine: &machine.name,
                state: name,
                resource,
                parameters: &parameters,
                timeout_seconds: state["TimeoutSeconds"].as_u64(),
                attempt,
            },
        )
        .map_err(Failure::Model)?;
    let no_retriers = Vec::new();
    let retriers = state["Retry"].as_array().unwrap_or(&no_retriers);
    let mut steps = Vec::new();
    for (outcome, world) in outcomes {
        match outcome {
            Outcome::Success { result, seconds } => {
                let selected = match state.get("ResultSelector") {
                    Some(selector) => payload(selector, &result, context)?,
                    None => result,
                };
                let data = output(state, &config.data, selected)?;
                steps.push(Step {
                    next: Configuration {
                        at: next(machine, state, &data)?,
                        data,
                        world,
                    },
                    cost: cost(attempt_events + 1, seconds),
                });
            }
            Outcome::Failure {
                error,
                cause,
                seconds,
            } => {
                let mut counts: Vec<u32> = if retries.is_empty() {
                    vec![0; retriers.len()]
                } else {
                    retries.to_vec()
                };
                let retrier = retriers
                    .iter()
                    .position(|r| matches(&r["ErrorEquals"], &error));
                if let Some(i) = retrier {
                    let r = &retriers[i];
                    let max = r["MaxAttempts"].as_u64().unwrap_or(3) as u32;
                    if counts[i] < max {
                        let interval = r["IntervalSeconds"].as_f64().unwrap_or(1.0);
                        let rate = r["BackoffRate"].as_f64().unwrap_or(2.0);
                        let mut delay = interval * rate.powi(counts[i] as i32);
                        if let Some(cap) = r["MaxDelaySeconds"].as_f64() {
                            delay = delay.min(cap);
                        }
                        counts[i] += 1;
                        steps.push(Step {
                            next: Configuration {
                                at: At::State {
                                    index: machine.position(name)?,
                                    retries: counts,
                                },
                                data: config.data.clone(),
                                world,
                            },
                            cost: cost(attempt_events, seconds + delay.ceil() as u64),
                        });
                        continue;
                    }
                }
                let catcher = state["Catch"]
                    .as_array()
                    .and_then(|c| c.iter().find(|c| matches(&c["ErrorEquals"], &error)));
                match catcher {
                    Some(catcher) => {
                        let mut data = config.data.clone();
                        let at = catcher["ResultPath"].as_str().unwrap_or("$");
                        JsonPath::parse(at)?
                            .set(&mut data, json!({"Error": error, "Cause": cause}))?;
                        let target = catcher["Next"].as_str().unwrap_or_default();
                        steps.push(Step {
                            next: Configuration {
                                at: At::State {
                                    index: machine.position(target)?,
                                    retries: Vec::new(),
                                },
                                data,
                                world,
                            },
                            cost: cost(attempt_events + 1, seconds),
                        });
                    }
                    None => steps.push(Step {
                        next: Configuration {
                            at: At::Ended(End::Failed { error, cause }),
                            data: Value::Null,
                            world,
                        },
                        cost: cost(attempt_events + 1, seconds),
                    }),
                }
            }
        }
    }
    Ok(steps)
}

/// Whether an `ErrorEquals` list matches `error`. `States.ALL` matches everything but the terminal
/// `States.Runtime` and `States.DataLimitExceeded`; `States.TaskFailed` everything but those and a timeout.
fn matches(list: &Value, error: &str) -> bool {
    let terminal = matches!(error, "States.Runtime" | "States.DataLimitExceeded");
    list.as_array()
        .into_iter()
        .flatten()
        .any(|e| match e.as_str() {
            Some("States.ALL") => !terminal,
            Some("States.TaskFailed") => !terminal && error != "States.Timeout",
            Some(name) => name == error,
            None => false,
        })
}

/// Where a state goes once done: its `Next`, or the execution's end with `data` as output.
fn next(machine: &Machine, state: &Value, data: &Value) -> Result<At, Failure> {
    if state["End"] == json!(true) {
        return Ok(At::Ended(End::Succeeded {
            output: data.to_string(),
        }));
    }
    let target = state["Next"]
        .as_str()
        .ok_or_else(|| "a state with neither Next nor End".to_string())?;
    Ok(At::State {
        index: machine.position(target)?,
        retries: Vec::new(),
    })
}

fn path_or_whole<'v>(path: Option<&Value>, data: &'v Value) -> Result<Cow<'v, Value>, Failure> {
    match path.and_then(Value::as_str) {
        None | Some("$") => Ok(Cow::Borrowed(data)),
        Some(p) => JsonPath::parse(p)?
            .get(data)
            .map(Cow::Owned)
            .ok_or_else(|| Failure::Runtime(format!("the path {p} was not found"))),
    }
}

/// ResultPath then OutputPath.
fn output(state: &Value, input: &Value, result: Value) -> Result<Value, Failure> {
    let mut data = match state.get("ResultPath") {
        Some(Value::Null) => input.clone(),
        Some(Value::String(path)) => {
            let mut data = input.clone();
            JsonPath::parse(path)?.set(&mut data, result)?;
            data
        }
        None => result,
        Some(other) => return Err(Failure::Runtime(format!("ResultPath {other}"))),
    };
    if let Some(p) = state.get("OutputPath").and_then(Value::as_str)
        && p != "$"
    {
        data = path_or_whole(Some(&json!(p)), &data)?.into_owned();
    }
    Ok(data)
}

/// A payload template (Parameters, ResultSelector): `key.$` fields take the value of their path or intrinsic.
fn payload(template: &Value, data: &Value, context: &Value) -> Result<Value, Failure> {
    match template {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                if let Some(key) = key.strip_suffix(".$") {
                    let text = value
                        .as_str()
                        .ok_or_else(|| format!("`{key}.$` is not a path"))?;
                    let resolved = if intrinsic::is_intrinsic(text) {
                        intrinsic::evaluate(text, data, context)?
                    } else {
                        let path = JsonPath::parse(text)?;
                        let root = if path.is_context() { context } else { data };
                        path.get(root).ok_or_else(|| {
                            format!("the JSONPath {text} of `{key}.$` was not found")
                        })?
                    };
                    out.insert(key.to_string(), resolved);
                } else {
                    out.insert(key.clone(), payload(value, data, context)?);
                }
            }
            Ok(Value::Object(out))
        }
        Value::Array(items) => items
            .iter()
            .map(|v| payload(v, data, context))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        other => Ok(other.clone()),
    }
}

/// The Choice state's next state: the first rule that holds, else `Default`.
fn choose(state: &Value, data: &Value) -> Result<String, Failure> {
    for rule in state["Choices"].as_array().into_iter().flatten() {
        if holds(rule, data)? {
            return Ok(rule["Next"].as_str().unwrap_or_default().to_string());
        }
    }
    state["Default"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| Failure::Runtime("States.NoChoiceMatched".into()))
}

/// Whether a rule holds. Every member of And and Or is evaluated, and a comparison on a variable that does not
/// exist is an error (only `IsPresent` may look at one): a rule that depends on which member is read first is
/// not relied on.
fn holds(rule: &Value, data: &Value) -> Result<bool, Failure> {
    if let Some(items) = rule.get("And").and_then(Value::as_array) {
        let results = items
            .iter()
            .map(|r| holds(r, data))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(results.into_iter().all(|b| b));
    }
    if let Some(items) = rule.get("Or").and_then(Value::as_array) {
        let results = items
            .iter()
            .map(|r| holds(r, data))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(results.into_iter().any(|b| b));
    }
    if let Some(inner) = rule.get("Not") {
        return Ok(!holds(inner, data)?);
    }
    let variable = rule["Variable"]
        .as_str()
        .ok_or_else(|| "a rule without Variable".to_string())?;
    let value = JsonPath::parse(variable)?.get(data);
    if let Some(present) = rule.get("IsPresent") {
        return Ok(value.is_some() == (present == &json!(true)));
    }
    let value = value.ok_or_else(|| format!("the Choice variable {variable} was not found"))?;
    let operand = |operator: &str| -> Result<Value, Failure> {
        let given = &rule[operator];
        if operator.ends_with("Path") {
            let path = given.as_str().unwrap_or_default();
            JsonPath::parse(path)?
                .get(data)
                .ok_or_else(|| Failure::Runtime(format!("the path {path} was not found")))
        } else {
            Ok(given.clone())
        }
    };
    let object = rule.as_object().cloned().unwrap_or_default();
    let operator = object
        .keys()
        .find(|k| *k != "Variable" && *k != "Next")
        .cloned()
        .ok_or_else(|| "a rule without an operator".to_string())?;
    let other = operand(&operator)?;
    let base = operator.trim_end_matches("Path");
    let numeric = |f: fn(f64, f64) -> bool| match (value.as_f64(), other.as_f64()) {
        (Some(a), Some(b)) => f(a, b),
        _ => false,
    };
    Ok(match base {
        "StringEquals" => value.is_string() && value == other,
        "StringLessThan" => matches!((value.as_str(), other.as_str()), (Some(a), Some(b)) if a < b),
        "StringGreaterThan" => {
            matches!((value.as_str(), other.as_str()), (Some(a), Some(b)) if a > b)
        }
        "NumericEquals" => numeric(|a, b| a == b),
        "NumericLessThan" => numeric(|a, b| a < b),
        "NumericLessThanEquals" => numeric(|a, b| a <= b),
        "NumericGreaterThan" => numeric(|a, b| a > b),
        "NumericGreaterThanEquals" => numeric(|a, b| a >= b),
        "BooleanEquals" => value.is_boolean() && value == other,
        "IsNull" => value.is_null() == (other == json!(true)),
        other => {
            return Err(Failure::Runtime(format!(
                "the operator {other} is not explored"
            )));
        }
    })
}

#[cfg(test)]
mod tests;
