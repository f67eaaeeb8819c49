//! A model of the AWS the two workflows act on, and the guarantees they make (the orchestration module's
//! "What the workflows guarantee"), checked at every call and every end of every path the explorer follows.
//!
//! **What the model answers**, as AWS does (names and behaviours from DOMAIN.md §4 and §11):
//! - Parameter Store: the three workflow parameters, each write checked against its `AllowedPattern`;
//!   GetParameters answers in an order of its own (the reverse of the request's here).
//! - DMS: tasks move `ready → starting → running`, `running → stopping → stopped`, and may fail or stop at any
//!   wait; `start-replication` is accepted only on a `ready` task, `resume-processing` on a stopped or failed one,
//!   a stop only on a running one (on a starting one, either way: AWS does not document it); a refused call is
//!   `DatabaseMigration.InvalidResourceStateException`, a filter that matches no task
//!   `DatabaseMigration.ResourceNotFoundException`; the full load completes at some wait; connection tests
//!   succeed or fail.
//! - CloudWatch: a gate opens at some wait once its task runs (and closes when it stops: missing data is
//!   breaching); the health alarm may fire.
//! - Lambda: the validation answers `consistent`, `inconsistent` or `not-ready`.
//! - The approval is given, rejected, or times out.
//! - The rollback, started by the migration, is itself explored from the world the migration leaves.
//!
//! **Faults**, each spending one of the path's fault budget: any call may fail with a transient error (so a
//! Retry is taken, and if the budget allows, exhausted), or have done its work and still time out (a lost
//! answer); a task may stop or fail at any wait; an alarm may fire; the validation may err or answer nonsense;
//! an operator may set the split to 0 or 100, turn cutover off, or run a whole rollback while the workflow waits.

pub mod world;

use std::collections::HashMap;
use std::rc::Rc;

use serde_json::{Value, json};

use migen::asl::explore::{Call, End, Machine, Model, Outcome, Report, explore};
use migen::payment_migration::configuration::Phase;

pub use world::{AlarmState, Connection, Dms, Ghost, Page, World};

/// How long the split must have been 0 with the reverse task running, and its gate OK, for the writes taken on
/// the migration side to be back on production: the authorizer's settings TTL, then the gate's whole window.
pub const DRAIN_SECONDS: u16 = 5 + 3 * 60;
/// How many waits a long outage lasts: one more than a traffic step tolerates unread checks.
const LONG_OUTAGE_WAITS: u8 =
    migen::payment_migration::orchestration::pace::UNKNOWN_CHECKS_TOLERATED as u8 + 1;
/// The cap of the drain's clock: beyond it, more quiet changes nothing.
const QUIET_CAP: u16 = 600;
/// The most configurations one exploration may reach.
pub const LIMIT: usize = 20_000_000;

/// The names the workflows' resources were bound to, and the spec's steps.
#[derive(Clone, Debug)]
pub struct Names {
    pub phase: String,
    pub split: String,
    pub cutover: String,
    pub forward_task: String,
    pub reverse_task: String,
    pub forward_source: String,
    pub forward_target: String,
    pub forward_gate: String,
    pub reverse_gate: String,
    pub health: String,
    pub steps: Vec<u8>,
}

/// Which workflow a call comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Migration,
    Rollback,
}

/// The model, and what it has seen of the rollbacks it ran for the migration.
pub struct Aws {
    pub names: Names,
    migration: String,
    rollback: Rc<Machine>,
    nested: HashMap<World, Vec<(End, World)>>,
    /// Configurations, paths and the worst events of the rollbacks the migration started, summed.
    pub nested_configurations: usize,
    pub nested_runs: usize,
    pub nested_worst_events: u64,
}

impl Aws {
    pub fn new(names: Names, migration: &Machine, rollback: Rc<Machine>) -> Aws {
        Aws {
            names,
            migration: migration.name().to_string(),
            rollback,
            nested: HashMap::new(),
            nested_configurations: 0,
            nested_runs: 0,
            nested_worst_events: 0,
        }
    }

    fn role(&self, machine: &str) -> Role {
        if machine == self.migration {
            Role::Migration
        } else {
            Role::Rollback
        }
    }

    /// Explores the rollback from `world` (a migration's failure, or an operator's start).
    pub fn explore_rollback(&mut self, world: &World) -> Result<Report<World>, String> {
        self.explore_rollback_with(world, json!({"reason": "explored"}))
    }

    /// Explores the rollback started with `input` (an operator may give no reason).
    pub fn explore_rollback_with(
        &mut self,
        world: &World,
        input: Value,
    ) -> Result<Report<World>, String> {
        let rollback = Rc::clone(&self.rollback);
        explore(&rollback, self, world.clone(), input, LIMIT).map_err(|v| v.to_string())
    }

    fn startable(&self, w: &World) -> bool {
        ["not-started", "cutover-declined", "rolled-back"].contains(&w.phase)
            && w.split == 0
            && !w.cutover
    }

    /// Starts a migration execution in `world`: its ghost facts are its own.
    pub fn start_migration(&self, mut world: World) -> World {
        world.ghost = Ghost {
            startable: self.startable(&world),
            undrained: world.ghost.undrained,
            quiet_seconds: world.ghost.quiet_seconds,
            ..Ghost::default()
        };
        world
    }

    fn task(&self, arn: &str) -> Result<Which, String> {
        if arn == self.names.forward_task {
            Ok(Which::Forward)
        } else if arn == self.names.reverse_task {
            Ok(Which::Reverse)
        } else {
            Err(format!(
                "a call names the task {arn}, which the stack does not have"
            ))
        }
    }

    fn put_parameter(&self, role: Role, w: &World, p: &Value) -> Result<World, String> {
        let name = p["Name"].as_str().unwrap_or_default();
        let value = p["Value"].as_str().unwrap_or_default();
        let mut w = w.clone();
        let g = &mut w.ghost;
        if name == self.names.phase {
            let Some(value) = Phase::ALL.iter().map(|p| p.as_str()).find(|p| *p == value) else {
                return Err(format!(
                    "phase `{value}` does not match the parameter's AllowedPattern"
                ));
            };
            match role {
                Role::Migration => {
                    if value == "complete" {
                        let all = self.names.steps.len() as u8;
                        if !(w.split == 100
                            && w.cutover
                            && w.forward == Dms::Running
                            && w.reverse == Dms::Running
                            && g.steps_written == all)
                        {
                            return Err(format!(
                                "`complete` written with split {} cutover {} forward {:?} reverse {:?}, {} of {all} steps",
                                w.split, w.cutover, w.forward, w.reverse, g.steps_written
                            ));
                        }
                    }
                    if ["rolling-back", "rolled-back"].contains(&value) {
                        return Err(format!(
                            "the migration wrote the rollback's phase `{value}`"
                        ));
                    }
                }
                Role::Rollback => {
                    if !["rolling-back", "rolled-back"].contains(&value) {
                        return Err(format!("the rollback wrote the phase `{value}`"));
                    }
                    if !(g.moved_split && g.moved_cutover) {
                        return Err("the rollback wrote the phase before moving traffic".into());
                    }
                }
            }
            w.phase = value;
        } else if name == self.names.split {
            let percent: u8 = value.parse().ok().filter(|p| *p <= 100).ok_or_else(|| {
                format!("split `{value}` does not match the parameter's AllowedPattern")
            })?;
            match role {
                Role::Migration => {
                    let done = g.steps_written as usize;
                    // A write retried after its answer was lost writes the same step again.
                    let retry =
                        done > 0 && self.names.steps[done - 1] == percent && w.split == percent;
                    let step = if retry { done - 1 } else { done };
                    if self.names.steps.get(step) != Some(&percent) {
                        return Err(format!(
                            "the migration set the split to {percent} after {done} steps: the split must rise \
                             through exactly the steps {:?}",
                            self.names.steps
                        ));
                    }
                    // The operator's hand wins: the split is raised only from the value this execution last
                    // wrote.
                    let before = step.checked_sub(1).map_or(0, |i| self.names.steps[i]);
                    if !retry && w.split != before {
                        return Err(format!(
                            "the migration set the split to {percent} over an operator's {} (it last wrote {before})",
                            w.split
                        ));
                    }
                    if !(w.cutover && g.validated && g.approved) {
                        return Err(format!(
                            "the split rose to {percent} with cutover {}, validated {}, approved {}",
                            w.cutover, g.validated, g.approved
                        ));
                    }
                    if !(w.reverse == Dms::Running && w.forward == Dms::Running) {
                        return Err(format!(
                            "the split rose to {percent} with the reverse task {:?} and the forward task {:?}",
                            w.reverse, w.forward
                        ));
                    }
                    g.steps_written = step as u8 + 1;
                }
                Role::Rollback => {
                    if percent != 0 {
                        return Err(format!("the rollback set the split to {percent}"));
                    }
                    g.moved_split = true;
                }
            }
            w.split = percent;
        } else if name == self.names.cutover {
            let on = match value {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(format!(
                        "cutover `{value}` does not match its AllowedPattern"
                    ));
                }
            };
            match role {
                Role::Migration => {
                    if !(on && g.validated && g.approved) {
                        return Err(format!(
                            "the migration set cutover {on} (validated {}, approved {})",
                            g.validated, g.approved
                        ));
                    }
                }
                Role::Rollback => {
                    if on {
                        return Err("the rollback turned cutover on".into());
                    }
                    if !g.moved_split {
                        return Err("the rollback turned cutover off before the split was 0".into());
                    }
                    g.moved_cutover = true;
                }
            }
            w.cutover = on;
        } else {
            return Err(format!("a write to the unknown parameter {name}"));
        }
        if role == Role::Migration {
            w.ghost.changed = true;
            if !w.ghost.startable {
                return Err("a migration that had to be refused changed a parameter".into());
            }
        }
        if w.traffic_on_migration() {
            w.ghost.undrained = true;
            w.ghost.quiet_seconds = 0;
        }
        Ok(w)
    }

    fn describe_tasks(&self, w: &World, p: &Value) -> Result<Vec<(Outcome, World)>, String> {
        let arns: Vec<&str> = p["Filters"][0]["Values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut tasks = Vec::new();
        for arn in arns.iter().rev() {
            let which = self.task(arn)?;
            let status = which.of(w);
            if status == Dms::Absent {
                continue;
            }
            let identifier = arn.rsplit(':').next().unwrap_or_default();
            tasks.push(json!({
                "ReplicationTaskArn": arn,
                "ReplicationTaskIdentifier": identifier,
                "Status": status.as_str(),
                "ReplicationTaskStats": {"FullLoadProgressPercent": if w.loaded { 100 } else { 40 }},
            }));
        }
        if tasks.is_empty() {
            return Ok(vec![(
                Outcome::error("DatabaseMigration.ResourceNotFoundException"),
                w.clone(),
            )]);
        }
        Ok(vec![(
            Outcome::ok(json!({"ReplicationTasks": tasks})),
            w.clone(),
        )])
    }

    fn start_task(
        &self,
        role: Role,
        w: &World,
        p: &Value,
    ) -> Result<Vec<(Outcome, World)>, String> {
        let which = self.task(p["ReplicationTaskArn"].as_str().unwrap_or_default())?;
        if role == Role::Migration && !w.ghost.startable {
            return Err("a migration that had to be refused started a task".into());
        }
        let status = which.of(w);
        let allowed = match p["StartReplicationTaskType"].as_str() {
            Some("start-replication") => status == Dms::Ready,
            Some("resume-processing") => matches!(status, Dms::Stopped | Dms::Failed),
            other => return Err(format!("StartReplicationTaskType {other:?}")),
        };
        if !allowed {
            return Ok(vec![(
                Outcome::error("DatabaseMigration.InvalidResourceStateException"),
                w.clone(),
            )]);
        }
        let mut after = w.clone();
        which.set(&mut after, Dms::Starting);
        after.ghost.changed |= role == Role::Migration;
        let mut out = vec![(
            Outcome::ok(json!({"ReplicationTask": {"Status": "starting"}})),
            after.clone(),
        )];
        if let Some(lost) = after.fault() {
            out.push((Outcome::error("States.Timeout"), lost));
        }
        Ok(out)
    }

    fn stop_task(&self, role: Role, w: &World, p: &Value) -> Result<Vec<(Outcome, World)>, String> {
        let which = self.task(p["ReplicationTaskArn"].as_str().unwrap_or_default())?;
        if role == Role::Migration {
            return Err("the migration stopped a task: only the rollback does".into());
        }
        let status = which.of(w);
        let refused = (
            Outcome::error("DatabaseMigration.InvalidResourceStateException"),
            w.clone(),
        );
        let stopping = || -> Result<World, String> {
            let mut after = w.clone();
            if which == Which::Reverse && after.ghost.undrained {
                return Err(format!(
                    "the reverse task was stopped before its drain: {} s quiet, gate {:?}, status {:?}",
                    after.ghost.quiet_seconds, after.reverse_gate, after.reverse
                ));
            }
            which.set(&mut after, Dms::Stopping);
            Ok(after)
        };
        Ok(match status {
            Dms::Running => vec![(Outcome::ok(json!({})), stopping()?)],
            // AWS does not say whether a starting task can be stopped: both answers are explored.
            Dms::Starting => vec![(Outcome::ok(json!({})), stopping()?), refused],
            _ => vec![refused],
        })
    }

    fn describe_alarms(&self, w: &World, p: &Value) -> Result<Vec<(Outcome, World)>, String> {
        let mut metric = Vec::new();
        let mut composite = Vec::new();
        for name in p["AlarmNames"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            let entry =
                |state: AlarmState| json!({"AlarmName": name, "StateValue": state.as_str()});
            if name == self.names.forward_gate {
                metric.push(entry(w.forward_gate));
            } else if name == self.names.reverse_gate {
                metric.push(entry(w.reverse_gate));
            } else if name == self.names.health {
                composite.push(entry(w.health));
            } else {
                return Err(format!("a read of the unknown alarm {name}"));
            }
        }
        Ok(vec![(
            Outcome::ok(json!({"MetricAlarms": metric, "CompositeAlarms": composite})),
            w.clone(),
        )])
    }

    fn connection(&self, endpoint: &str) -> Result<usize, String> {
        if endpoint == self.names.forward_source {
            Ok(0)
        } else if endpoint == self.names.forward_target {
            Ok(1)
        } else {
            Err(format!(
                "a connection test of the unknown endpoint {endpoint}"
            ))
        }
    }

    fn publish(&self, w: &World, p: &Value) -> World {
        let message = match &p["Message"] {
            Value::String(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            other => other.clone(),
        };
        let event = message["event"].as_str().unwrap_or_default();
        let mut w = w.clone();
        if let Some(event) = ["rollback-failed", "rollback-not-completed", "taken-back"]
            .into_iter()
            .find(|e| *e == event)
        {
            let error = message["error"]["Error"].as_str().map(|e| {
                ROLLBACK_PAGES
                    .into_iter()
                    .find(|p| *p == e)
                    .unwrap_or("another error")
            });
            w.ghost.pages.push(Page { event, error });
        }
        w
    }

    fn run_rollback(&mut self, w: &World) -> Result<Vec<(Outcome, World)>, String> {
        let mut key = w.clone();
        key.ghost = Ghost {
            undrained: w.ghost.undrained,
            quiet_seconds: w.ghost.quiet_seconds,
            ..Ghost::default()
        };
        key.connections = [Connection::None; 2];
        key.loaded = false;
        // The rollback a migration starts may suffer one more fault; the rollback's own exploration, from every
        // state an operator may start it in, allows two.
        key.faults_left = key.faults_left.min(1);
        let ends = match self.nested.get(&key) {
            Some(ends) => ends.clone(),
            None => {
                let report = self.explore_rollback(&key)?;
                self.nested_runs += 1;
                self.nested_configurations += report.configurations;
                self.nested_worst_events =
                    self.nested_worst_events.max(report.worst.history_events);
                self.nested.insert(key, report.ends.clone());
                report.ends
            }
        };
        Ok(ends
            .into_iter()
            .map(|(end, mut after)| {
                let mut ghost = w.ghost.clone();
                ghost.started_rollback = true;
                ghost.undrained = after.ghost.undrained;
                ghost.quiet_seconds = after.ghost.quiet_seconds;
                ghost.pages.extend(after.ghost.pages.iter().copied());
                after.ghost = ghost;
                after.connections = w.connections;
                after.loaded = w.loaded;
                let outcome = match end {
                    End::Succeeded { output } => Outcome::ok(json!({"Output": output})),
                    End::Failed { error, cause } => Outcome::Failure {
                        error: "States.TaskFailed".into(),
                        cause: format!("{error}: {cause}"),
                        seconds: 0,
                    },
                };
                (outcome, after)
            })
            .collect())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    Forward,
    Reverse,
}

impl Which {
    fn of(self, w: &World) -> Dms {
        match self {
            Which::Forward => w.forward,
            Which::Reverse => w.reverse,
        }
    }

    fn set(self, w: &mut World, status: Dms) {
        match self {
            Which::Forward => w.forward = status,
            Which::Reverse => w.reverse = status,
        }
    }
}

/// The transient error Step Functions would raise for a throttled or failing call of this resource's service.
fn transient_error(resource: &str) -> &'static str {
    if resource.contains(":ssm:") {
        "Ssm.ThrottlingException"
    } else if resource.contains(":databasemigration:") {
        "DatabaseMigration.DatabaseMigrationException"
    } else if resource.contains(":cloudwatch:") {
        "CloudWatch.CloudWatchException"
    } else if resource.contains(":s3:") {
        "S3.S3Exception"
    } else if resource.contains(":sns:") {
        "SNS.ThrottledException"
    } else if resource.contains(":lambda:") {
        "Lambda.TooManyRequestsException"
    } else {
        "StepFunctions.ExecutionLimitExceededException"
    }
}

impl Model for Aws {
    type World = World;

    fn call(&mut self, w: &World, call: &Call) -> Result<Vec<(Outcome, World)>, String> {
        let role = self.role(call.machine);
        let p = call.parameters;
        let resource = call.resource;
        let mut tried = w.clone();
        if resource.ends_with(":states:startExecution.sync:2") {
            // Whatever comes of it, the migration tried to start the rollback.
            tried.ghost.started_rollback = true;
        }
        let w = &tried;
        if w.outage > 0 {
            // Every call fails while the outage lasts, retries included.
            return Ok(vec![(Outcome::error(transient_error(resource)), w.clone())]);
        }
        let traffic_moved = w.ghost.moved_split && w.ghost.moved_cutover;
        let moves_or_pages =
            resource.ends_with(":ssm:putParameter") || resource.ends_with(":sns:publish");
        if role == Role::Rollback && !traffic_moved && !moves_or_pages {
            return Err(format!(
                "the rollback called {resource} before moving traffic (split moved {}, cutover moved {})",
                w.ghost.moved_split, w.ghost.moved_cutover
            ));
        }
        let mut out = if resource.ends_with(":ssm:putParameter") {
            let after = self.put_parameter(role, w, p)?;
            let mut out = vec![(Outcome::ok(json!({"Version": 2})), after.clone())];
            if let Some(lost) = after.fault() {
                out.push((Outcome::error("States.Timeout"), lost));
            }
            out
        } else if resource.ends_with(":ssm:getParameters") {
            let mut values = Vec::new();
            for name in p["Names"].as_array().into_iter().flatten().rev() {
                let name = name.as_str().unwrap_or_default();
                let value = if name == self.names.phase {
                    w.phase.to_string()
                } else if name == self.names.split {
                    w.split.to_string()
                } else if name == self.names.cutover {
                    w.cutover.to_string()
                } else {
                    return Err(format!("a read of the unknown parameter {name}"));
                };
                values.push(json!({"Name": name, "Value": value}));
            }
            vec![(
                Outcome::ok(json!({"Parameters": values, "InvalidParameters": []})),
                w.clone(),
            )]
        } else if resource.ends_with(":s3:putObject") {
            vec![(Outcome::ok(json!({"ETag": "e"})), w.clone())]
        } else if resource.ends_with(":sns:publish") {
            vec![(Outcome::ok(json!({"MessageId": "m"})), self.publish(w, p))]
        } else if resource.ends_with(":sns:publish.waitForTaskToken") {
            // The answer may take hours: the world goes on meanwhile, as at a wait.
            let waited = self.wait(w, call.machine, call.state, 3600)?;
            let mut out = Vec::new();
            for after in waited {
                let mut approved = after.clone();
                approved.ghost.approved = true;
                out.push((Outcome::ok(json!({"approvedBy": "explorer"})), approved));
                out.push((Outcome::error("Approval.Rejected"), after.clone()));
                out.push((
                    Outcome::Failure {
                        error: "States.Timeout".into(),
                        cause: String::new(),
                        seconds: call.timeout_seconds.unwrap_or_default(),
                    },
                    after,
                ));
            }
            out
        } else if resource.ends_with(":lambda:invoke") {
            let mut consistent = w.clone();
            consistent.ghost.validated = true;
            let verdict = |v: &str| Outcome::ok(json!({"Payload": {"verdict": v, "tables": 3}}));
            let mut out = vec![
                (verdict("consistent"), consistent),
                (verdict("inconsistent"), w.clone()),
                (verdict("not-ready"), w.clone()),
            ];
            if let Some(f) = w.fault() {
                out.push((Outcome::error("DependencyUnavailable"), f.clone()));
                out.push((Outcome::error("Lambda.Unknown"), f.clone()));
                out.push((Outcome::ok(json!({"Payload": {"unexpected": true}})), f));
            }
            out
        } else if resource.ends_with(":databasemigration:testConnection") {
            let i = self.connection(p["EndpointArn"].as_str().unwrap_or_default())?;
            let mut after = w.clone();
            after.connections[i] = Connection::Testing;
            vec![(
                Outcome::ok(json!({"Connection": {"Status": "testing"}})),
                after,
            )]
        } else if resource.ends_with(":databasemigration:describeConnections") {
            let endpoint = p["Filters"][0]["Values"][0].as_str().unwrap_or_default();
            let status = match w.connections[self.connection(endpoint)?] {
                Connection::None => None,
                Connection::Testing => Some("testing"),
                Connection::Successful => Some("successful"),
                Connection::Failed => Some("failed"),
            };
            let connections: Vec<Value> =
                status.into_iter().map(|s| json!({"Status": s})).collect();
            vec![(Outcome::ok(json!({"Connections": connections})), w.clone())]
        } else if resource.ends_with(":databasemigration:describeReplicationTasks") {
            self.describe_tasks(w, p)?
        } else if resource.ends_with(":databasemigration:startReplicationTask") {
            self.start_task(role, w, p)?
        } else if resource.ends_with(":databasemigration:stopReplicationTask") {
            self.stop_task(role, w, p)?
        } else if resource.ends_with(":cloudwatch:describeAlarms") {
            self.describe_alarms(w, p)?
        } else if resource.ends_with(":states:startExecution.sync:2") {
            if role != Role::Migration {
                return Err("the rollback started an execution".into());
            }
            self.run_rollback(w)?
        } else {
            return Err(format!("the model does not know {resource}"));
        };
        if let Some(f) = w.fault() {
            out.push((Outcome::error(transient_error(resource)), f.clone()));
            // An outage: every call fails until the next wait, or for longer than a step tolerates.
            for waits in [1, LONG_OUTAGE_WAITS] {
                let mut outage = f.clone();
                outage.outage = waits;
                out.push((Outcome::error(transient_error(resource)), outage));
            }
        }
        Ok(out)
    }

    fn wait(&mut self, w: &World, _: &str, _: &str, seconds: u64) -> Result<Vec<World>, String> {
        let mut calm = w.clone();
        calm.outage = calm.outage.saturating_sub(1);
        let mut worlds = vec![calm];
        // What happens by itself: each part may move on or not.
        let mut evolve = |f: &dyn Fn(&World) -> Vec<World>| {
            worlds = worlds.iter().flat_map(f).collect();
        };
        evolve(&|x| progress(x, |w| &mut w.forward));
        evolve(&|x| progress(x, |w| &mut w.reverse));
        evolve(&|x| {
            if x.forward == Dms::Running && !x.loaded {
                let mut done = x.clone();
                done.loaded = true;
                vec![x.clone(), done]
            } else {
                vec![x.clone()]
            }
        });
        evolve(&|x| {
            if before_cutover(x) {
                gate(x, x.forward == Dms::Running && x.loaded, |w| {
                    &mut w.forward_gate
                })
            } else {
                vec![x.clone()]
            }
        });
        evolve(&|x| gate(x, x.reverse == Dms::Running, |w| &mut w.reverse_gate));
        evolve(&|x| {
            let mut out = vec![x.clone()];
            for i in 0..2 {
                if x.connections[i] == Connection::Testing {
                    out = out
                        .into_iter()
                        .flat_map(|y| {
                            [
                                Connection::Testing,
                                Connection::Successful,
                                Connection::Failed,
                            ]
                            .map(|c| {
                                let mut z = y.clone();
                                z.connections[i] = c;
                                z
                            })
                        })
                        .collect();
                }
            }
            out
        });
        // At most one fault per wait.
        let mut faulted = Vec::new();
        for x in &worlds {
            let Some(f) = x.fault() else { continue };
            for task in [Which::Forward, Which::Reverse] {
                if task.of(&f) == Dms::Running {
                    for dead in [Dms::Failed, Dms::Stopped] {
                        let mut y = f.clone();
                        task.set(&mut y, dead);
                        faulted.push(y);
                    }
                }
                if task.of(&f).live() {
                    // Someone deletes the task (the stack, a console click); it may be gone by the next look.
                    for gone in [Dms::Deleting, Dms::Absent] {
                        let mut y = f.clone();
                        task.set(&mut y, gone);
                        faulted.push(y);
                    }
                }
            }
            // Alarms fire where a workflow reads them: the health alarm during the cutover, the reverse gate while
            // its task runs, the forward gate until the cutover.
            let mut fire = |alarm: fn(&mut World) -> &mut AlarmState| {
                let mut y = f.clone();
                if *alarm(&mut y) == AlarmState::Ok {
                    *alarm(&mut y) = AlarmState::Alarm;
                    faulted.push(y);
                }
            };
            if f.phase == "cutover" {
                fire(|w| &mut w.health);
            }
            if f.reverse == Dms::Running {
                fire(|w| &mut w.reverse_gate);
            }
            if f.phase == "cdc" {
                fire(|w| &mut w.forward_gate);
            }
            // An operator's hand, while the migration runs (a rollback's own run is not raced by one).
            if ["rolling-back", "rolled-back"].contains(&f.phase) {
                continue;
            }
            if f.split > 0 {
                let mut y = f.clone();
                y.split = 0;
                faulted.push(y);
            }
            if f.cutover && f.split < 100 {
                let mut y = f.clone();
                y.split = 100;
                faulted.push(y);
            }
            if f.cutover {
                let mut y = f.clone();
                y.cutover = false;
                faulted.push(y);
            }
            if f.cutover || f.split > 0 || ["full-load", "cutover"].contains(&f.phase) {
                // An operator's whole rollback, drained and done, while this execution waited.
                let mut y = f.clone();
                y.split = 0;
                y.cutover = false;
                y.phase = "rolled-back";
                for task in [Which::Forward, Which::Reverse] {
                    if task.of(&y).live() {
                        task.set(&mut y, Dms::Stopped);
                    }
                }
                y.ghost.undrained = false;
                faulted.push(y);
            }
        }
        worlds.extend(faulted);
        for x in &mut worlds {
            if x.phase == "rolled-back" && w.phase != "rolled-back" {
                // The operator's rollback: drained and done.
                x.ghost.quiet_seconds = 0;
                continue;
            }
            let flowing = x.traffic_on_migration() || w.traffic_on_migration();
            if flowing {
                x.ghost.undrained = true;
                x.ghost.quiet_seconds = 0;
            } else if x.reverse == Dms::Running && w.reverse == Dms::Running {
                let quiet = u64::from(x.ghost.quiet_seconds) + seconds;
                x.ghost.quiet_seconds = quiet.min(u64::from(QUIET_CAP)) as u16;
                // Drained: no payment has reached the migration side for the settings TTL and the gate's window,
                // and the reverse task, still running, keeps its latency under the gate.
                if x.ghost.quiet_seconds >= DRAIN_SECONDS && x.reverse_gate == AlarmState::Ok {
                    x.ghost.undrained = false;
                }
            } else {
                x.ghost.quiet_seconds = 0;
            }
        }
        worlds.dedup();
        Ok(worlds)
    }

    fn end(&mut self, w: &World, machine: &str, end: &End) -> Result<(), String> {
        match self.role(machine) {
            Role::Migration => self.migration_end(w, end),
            Role::Rollback => rollback_end(w, end),
        }
    }
}

impl Aws {
    fn migration_end(&self, w: &World, end: &End) -> Result<(), String> {
        let g = &w.ghost;
        match end {
            End::Succeeded { .. } => match w.phase {
                "complete" => {
                    let done = w.split == 100
                        && w.cutover
                        && w.forward == Dms::Running
                        && w.reverse == Dms::Running
                        && g.steps_written as usize == self.names.steps.len();
                    done.then_some(())
                        .ok_or_else(|| format!("complete, but {w:?}"))
                }
                "cutover-declined" if g.steps_written == 0 && !g.started_rollback => Ok(()),
                other => Err(format!("the migration succeeded in phase {other}: {w:?}")),
            },
            End::Failed { error, cause } => match error.as_str() {
                "Migration.Refused" | "Migration.NotStarted" => (!g.changed)
                    .then_some(())
                    .ok_or_else(|| format!("{error}, but the execution changed something")),
                "Migration.TakenBack" => {
                    if g.started_rollback {
                        return Err(
                            "taken back, but the migration started a rollback of its own".into(),
                        );
                    }
                    let last = match g.steps_written {
                        0 => 0,
                        n => self.names.steps[n as usize - 1],
                    };
                    let by_rollback = ["rolling-back", "rolled-back"].contains(&w.phase);
                    // An outage may keep `taken-back` from being written; the execution's error says it.
                    if !(by_rollback || w.phase == "taken-back" || w.outage > 0) {
                        return Err(format!("taken back, but the phase says {}", w.phase));
                    }
                    if w.split == last && w.cutover && !by_rollback && g.steps_written > 0 {
                        return Err(format!("taken back with nothing changed: {w:?}"));
                    }
                    Ok(())
                }
                "Migration.RolledBack" => {
                    (g.started_rollback && w.split == 0 && !w.cutover && w.phase == "rolled-back")
                        .then_some(())
                        .ok_or_else(|| format!("rolled back, but {w:?}"))
                }
                // The execution's failure pages (the workflow-failed alarm); the topic's message, when it could
                // be sent, says the same.
                "Migration.RollbackNotCompleted" => g
                    .started_rollback
                    .then_some(())
                    .ok_or_else(|| "RollbackNotCompleted without a rollback".to_string()),
                _ => Err(format!("the migration failed with {error}: {cause}")),
            },
        }
    }
}

/// The errors a failed rollback may end with, each a page (the workflow-failed alarm pages on the execution's
/// failure, and its error names what is left), from the most severe: each says that what the ones after it
/// would say may be left too, since the rollback stops at the first.
const ROLLBACK_PAGES: [&str; 6] = [
    "Rollback.TrafficNotMoved",
    "Rollback.CutoverNotDisabled",
    "Rollback.ForwardTaskNotStopped",
    "Rollback.ReplicationBackIncomplete",
    "Rollback.ReverseTaskNotStopped",
    "Rollback.PhaseNotRecorded",
];

fn rollback_end(w: &World, end: &End) -> Result<(), String> {
    let settled = |d: Dms| {
        !matches!(
            d,
            Dms::Running | Dms::Starting | Dms::Stopping | Dms::Modifying
        )
    };
    // The most severe thing left, as an index into ROLLBACK_PAGES; the length when nothing is.
    let left = if w.split != 0 {
        0
    } else if w.cutover {
        1
    } else if !settled(w.forward) {
        2
    } else if w.ghost.undrained {
        3
    } else if !settled(w.reverse) {
        4
    } else if w.phase != "rolled-back" {
        5
    } else {
        ROLLBACK_PAGES.len()
    };
    match end {
        End::Succeeded { .. } => (left == ROLLBACK_PAGES.len())
            .then_some(())
            .ok_or_else(|| format!("the rollback succeeded, but {w:?}")),
        End::Failed { error, cause } if error == "Rollback.NotificationFailed" => (left
            == ROLLBACK_PAGES.len())
        .then_some(())
        .ok_or_else(|| format!("the rollback said it was done ({cause}), but {w:?}")),
        End::Failed { error, cause } => {
            let Some(said) = ROLLBACK_PAGES.iter().position(|p| p == error) else {
                return Err(format!("the rollback failed with {error}: {cause}"));
            };
            // Saying more is left than is, is safe; saying less is not.
            if said > left {
                return Err(format!(
                    "the rollback failed with {error} ({cause}), but what is left is worse: {w:?}"
                ));
            }
            if let Some(page) = w
                .ghost
                .pages
                .iter()
                .rev()
                .find(|p| p.event == "rollback-failed")
                && page.error != Some(error.as_str())
            {
                return Err(format!(
                    "the rollback paged {:?} but failed with {error}",
                    page.error
                ));
            }
            Ok(())
        }
    }
}

/// Whether the migration has not reached its cutover: the forward gate is still read.
fn before_cutover(w: &World) -> bool {
    ["not-started", "preparing", "full-load", "cdc", "validating"].contains(&w.phase)
}

/// A task's own progress at a wait: a starting task may come up, a stopping one may stop.
fn progress(x: &World, field: fn(&mut World) -> &mut Dms) -> Vec<World> {
    let mut y = x.clone();
    let next = match *field(&mut y) {
        Dms::Starting => Dms::Running,
        Dms::Stopping => Dms::Stopped,
        Dms::Creating => Dms::Ready,
        Dms::Deleting => Dms::Absent,
        _ => return vec![x.clone()],
    };
    *field(&mut y) = next;
    vec![x.clone(), y]
}

/// A gate's own progress: it may open while its task runs; it is shut while it does not.
fn gate(x: &World, running: bool, field: fn(&mut World) -> &mut AlarmState) -> Vec<World> {
    let mut y = x.clone();
    if !running {
        *field(&mut y) = AlarmState::Alarm;
        return vec![y];
    }
    if *field(&mut y) == AlarmState::Ok {
        return vec![y];
    }
    *field(&mut y) = AlarmState::Ok;
    vec![x.clone(), y]
}
