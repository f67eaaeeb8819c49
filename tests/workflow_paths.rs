//! Every path of both workflows, explored against a model of AWS (tests/workflow_model): the guarantees the
//! orchestration module states hold at every call and every end, whatever DMS, CloudWatch, Lambda, Parameter
//! Store and an operator do, within a budget of faults per path; the rollback keeps them from every state the
//! migration or an operator can leave, and run twice; no loop runs unbounded; and no path records more history
//! events or lasts longer than the worst case migen computes from the definition and checks against Step
//! Functions' limits.
//!
//! The definitions explored are the rendered ones, from the template (their placeholders bound to the names the
//! template gives the resources), for the shipped environments, the spec at every bound's maximum and the
//! spec at every bound's minimum. Each test prints what it covered. The last tests break a guarantee in a copy
//! of a definition and show the exploration fails.
//!
//! A debug build would take hours: the tests are ignored there, and scripts/test runs this file in release
//! (`cargo test --release --test workflow_paths`, about ten minutes on two cores).

mod common;
mod workflow_model;

use std::collections::BTreeSet;
use std::rc::Rc;

use serde_json::{Value, json};

use migen::asl::WorstCase;
use migen::asl::explore::{Machine, Report, explore};
use migen::cfn::Format;
use migen::payment_migration::alerting::alarms::{gate_name, health_alarm_name};
use migen::spec::Environment;

use common::{ENVS, array_at, at, environment, resources, str_at};
use workflow_model::{AlarmState, Aws, Dms, LIMIT, Names, World};

/// Faults a path may suffer: enough for every single fault anywhere and every pair.
const FAULTS: u8 = 2;
const ACCOUNT: &str = "111122223333";

/// A rendered environment's two workflows, bound, with their computed worst cases.
struct Workflows {
    migration: Machine,
    migration_json: Value,
    rollback: Rc<Machine>,
    rollback_json: Value,
    names: Names,
    migration_worst: WorstCase,
    rollback_worst: WorstCase,
}

fn spec(path: &str) -> Environment {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    migen::spec::load_file(&file, &migen::spec::Overrides::default()).unwrap()
}

/// Which of a rendered environment's workflows an exploration covers.
#[derive(Clone, Copy)]
enum Explored {
    /// The migration, with the rollbacks it starts.
    Migration,
    /// The rollback on its own.
    Rollback,
}

/// The environments whose workflows are explored: the shipped ones, every bound at its maximum, every bound at
/// its minimum; each with the workflows of its primary region, bound. An environment whose explored workflows
/// are those of one already listed but for its name (staging has dev's pace; every environment has the same
/// rollback) is not explored again: the test checks that they are the same, and says so.
fn environments(explored: Explored) -> Vec<(Environment, Workflows)> {
    let mut all: Vec<Environment> = ENVS.iter().map(|e| environment(e)).collect();
    all.push(spec("tests/fixtures/specs/verify-full.yaml"));
    all.push(spec("tests/fixtures/specs/out-of-scope.yaml"));
    let explored_json = |w: &Workflows| match explored {
        Explored::Migration => vec![w.migration_json.clone(), w.rollback_json.clone()],
        Explored::Rollback => vec![w.rollback_json.clone()],
    };
    let mut out: Vec<(Environment, Workflows)> = Vec::new();
    for env in all {
        // The same spec under an earlier environment's name renders that environment's documents exactly when
        // the two differ in nothing but the name.
        let same = out.iter().find(|(earlier, w)| {
            let renamed = Environment {
                name: earlier.name.clone(),
                ..env.clone()
            };
            explored_json(&workflows(&renamed)) == explored_json(w)
        });
        if let Some((same, _)) = same {
            let what = match explored {
                Explored::Migration => "both workflows are",
                Explored::Rollback => "the rollback is",
            };
            println!(
                "{}: {what} {}'s but for the environment's name; explored once",
                env.name, same.name
            );
            continue;
        }
        let w = workflows(&env);
        out.push((env, w));
    }
    out
}

/// What a substitution stands for once deployed: the literal name where the template gives one, an ARN of the
/// right shape otherwise.
fn resolve(doc: &Value, region: &str, expr: &Value) -> String {
    let (id, attribute) = match expr {
        Value::Object(m) if m.contains_key("Ref") => (str_at(expr, "Ref").to_string(), None),
        Value::Object(m) if m.contains_key("Fn::GetAtt") => {
            let parts = array_at(expr, "Fn::GetAtt");
            (
                parts[0].as_str().unwrap().to_string(),
                parts[1].as_str().map(str::to_string),
            )
        }
        other => panic!("a substitution that is neither Ref nor GetAtt: {other}"),
    };
    let resource = at(doc, ["Resources", id.as_str()]);
    let kind = str_at(resource, "Type");
    let property = |name: &str| str_at(resource, ["Properties", name]).to_string();
    let arn = |service: &str, rest: String| format!("arn:aws:{service}:{region}:{ACCOUNT}:{rest}");
    match kind {
        "AWS::SSM::Parameter" => property("Name"),
        "AWS::CloudWatch::Alarm" | "AWS::CloudWatch::CompositeAlarm" => property("AlarmName"),
        "AWS::DMS::ReplicationTask" => {
            arn("dms", format!("task:{}", property("ResourceIdentifier")))
        }
        "AWS::DMS::Endpoint" => arn("dms", format!("endpoint:{id}")),
        "AWS::DMS::ReplicationInstance" => arn("dms", format!("rep:{id}")),
        "AWS::SNS::Topic" => arn("sns", id),
        "AWS::S3::Bucket" => id.to_lowercase(),
        "AWS::Lambda::Function" => arn("lambda", format!("function:{}", property("FunctionName"))),
        "AWS::StepFunctions::StateMachine" => arn(
            "states",
            format!("stateMachine:{}", property("StateMachineName")),
        ),
        other => panic!("a substitution of {other} {id} ({attribute:?})"),
    }
}

/// A state machine's Definition with its DefinitionSubstitutions applied.
fn bound(doc: &Value, region: &str, name: &str) -> Value {
    let machine = resources(doc, "AWS::StepFunctions::StateMachine")
        .into_iter()
        .find(|(_, r)| str_at(r, "Properties.StateMachineName") == name)
        .unwrap_or_else(|| panic!("no state machine {name}"))
        .1;
    let mut text = at(machine, "Properties.Definition").to_string();
    for (placeholder, expr) in common::object_at(machine, "Properties.DefinitionSubstitutions") {
        text = text.replace(&format!("${{{placeholder}}}"), &resolve(doc, region, expr));
    }
    assert!(!text.contains("${"), "{name}: a placeholder left unbound");
    serde_json::from_str(&text).unwrap()
}

fn workflows(env: &Environment) -> Workflows {
    let templates = migen::render::templates(env, Format::Json).unwrap();
    let primary = &templates[0];
    let doc: Value = serde_json::from_str(&primary.template.body).unwrap();
    let region = primary.region.as_str();
    let migration_name = format!("payment-migration-migration-{}", env.name);
    let rollback_name = format!("payment-migration-rollback-{}", env.name);
    let worst = |name: &str| {
        primary
            .workflows
            .iter()
            .find(|w| w.name == name)
            .unwrap_or_else(|| panic!("no limits for {name}"))
            .worst_case
    };
    let parameter = |suffix: &str| {
        resources(&doc, "AWS::SSM::Parameter")
            .into_iter()
            .map(|(_, r)| str_at(r, "Properties.Name").to_string())
            .find(|n| n.ends_with(suffix))
            .unwrap_or_else(|| panic!("no parameter {suffix}"))
    };
    let task = |kind: &str| {
        resources(&doc, "AWS::DMS::ReplicationTask")
            .into_iter()
            .find(|(_, r)| str_at(r, "Properties.MigrationType") == kind)
            .unwrap()
            .1
            .clone()
    };
    let forward = task("full-load-and-cdc");
    let names = Names {
        phase: parameter("/workflow/phase"),
        split: parameter("/workflow/traffic-split-percentage"),
        cutover: parameter("/workflow/enable-cutover"),
        forward_task: resolve(
            &doc,
            region,
            &json!({"Ref": task_id(&doc, "full-load-and-cdc")}),
        ),
        reverse_task: resolve(&doc, region, &json!({"Ref": task_id(&doc, "cdc")})),
        forward_source: resolve(&doc, region, at(&forward, "Properties.SourceEndpointArn")),
        forward_target: resolve(&doc, region, at(&forward, "Properties.TargetEndpointArn")),
        forward_gate: gate_name(env, "forward"),
        reverse_gate: gate_name(env, "reverse"),
        health: health_alarm_name(env),
        steps: env
            .orchestration
            .traffic_steps
            .iter()
            .map(|s| *s as u8)
            .collect(),
    };
    let migration_json = bound(&doc, region, &migration_name);
    let rollback_json = bound(&doc, region, &rollback_name);
    Workflows {
        migration: Machine::new(&migration_name, &migration_json).unwrap(),
        rollback: Rc::new(Machine::new(&rollback_name, &rollback_json).unwrap()),
        migration_json,
        rollback_json,
        names,
        migration_worst: worst(&migration_name),
        rollback_worst: worst(&rollback_name),
    }
}

fn task_id(doc: &Value, kind: &str) -> String {
    resources(doc, "AWS::DMS::ReplicationTask")
        .into_iter()
        .find(|(_, r)| str_at(r, "Properties.MigrationType") == kind)
        .unwrap()
        .0
        .clone()
}

/// Where a migration may be started from: a fresh stack, a second run after a declined cutover or a rollback,
/// and three it must refuse (completed, running, traffic moved by hand).
fn migration_starts() -> Vec<(&'static str, World)> {
    let fresh = World::fresh(FAULTS);
    let mut declined = fresh.clone();
    declined.phase = "cutover-declined";
    declined.forward = Dms::Running;
    declined.loaded = true;
    declined.forward_gate = AlarmState::Ok;
    let mut rolled_back = fresh.clone();
    rolled_back.phase = "rolled-back";
    rolled_back.forward = Dms::Stopped;
    rolled_back.reverse = Dms::Stopped;
    rolled_back.loaded = true;
    let mut complete = declined.clone();
    complete.phase = "complete";
    complete.split = 100;
    complete.cutover = true;
    complete.reverse = Dms::Running;
    complete.reverse_gate = AlarmState::Ok;
    complete.ghost.undrained = true;
    let mut running = declined.clone();
    running.phase = "cdc";
    let mut moved = fresh.clone();
    moved.split = 10;
    moved.cutover = true;
    let mut creating = fresh.clone();
    creating.forward = Dms::Creating;
    let mut reverse_modifying = fresh.clone();
    reverse_modifying.reverse = Dms::Modifying;
    vec![
        ("a fresh stack", fresh),
        ("the forward task still being created", creating),
        ("the reverse task being modified", reverse_modifying),
        ("after a declined cutover", declined),
        ("after a rollback", rolled_back),
        ("a completed migration", complete),
        ("a running migration", running),
        ("traffic moved by hand", moved),
    ]
}

/// Where an operator may start a rollback: every state a migration or an operator can leave.
fn rollback_starts() -> Vec<(&'static str, World)> {
    let fresh = World::fresh(FAULTS);
    let mut cutover = fresh.clone();
    cutover.phase = "cutover";
    cutover.cutover = true;
    cutover.forward = Dms::Running;
    cutover.loaded = true;
    cutover.forward_gate = AlarmState::Ok;
    let mut mid_shift = cutover.clone();
    mid_shift.split = 50;
    mid_shift.reverse = Dms::Running;
    mid_shift.reverse_gate = AlarmState::Ok;
    mid_shift.ghost.undrained = true;
    let mut reverse_starting = cutover.clone();
    reverse_starting.reverse = Dms::Starting;
    let mut forward_stopped = mid_shift.clone();
    forward_stopped.forward = Dms::Stopped;
    let mut taken_back = mid_shift.clone();
    taken_back.split = 0;
    taken_back.cutover = false;
    taken_back.phase = "taken-back";
    let mut reverse_failed = taken_back.clone();
    reverse_failed.reverse = Dms::Failed;
    reverse_failed.reverse_gate = AlarmState::Alarm;
    let mut complete = mid_shift.clone();
    complete.split = 100;
    complete.phase = "complete";
    let mut rolled_back = fresh.clone();
    rolled_back.phase = "rolled-back";
    rolled_back.forward = Dms::Stopped;
    rolled_back.reverse = Dms::Stopped;
    let mut absent = fresh.clone();
    absent.forward = Dms::Absent;
    absent.reverse = Dms::Absent;
    let mut modifying = mid_shift.clone();
    modifying.forward = Dms::Modifying;
    let mut deleting = mid_shift.clone();
    deleting.reverse = Dms::Deleting;
    vec![
        ("nothing started", fresh),
        ("mid-shift", mid_shift),
        ("the reverse task starting", reverse_starting),
        ("the forward task stopped", forward_stopped),
        ("traffic taken back by hand", taken_back),
        (
            "the reverse task failed with writes to carry",
            reverse_failed,
        ),
        ("a completed migration", complete),
        ("after a rollback", rolled_back),
        ("no DMS task", absent),
        ("the forward task being modified", modifying),
        (
            "the reverse task being deleted with writes to carry",
            deleting,
        ),
    ]
}

fn coverage(name: &str, definition: &Value, entered: &BTreeSet<String>) {
    let all: BTreeSet<String> = common::object_at(definition, "States")
        .keys()
        .cloned()
        .collect();
    let missed: Vec<&String> = all.difference(entered).collect();
    assert!(
        missed.is_empty(),
        "{name}: states no explored path entered: {missed:?}"
    );
}

fn summary<W>(what: &str, report: &Report<W>) -> String {
    format!(
        "{what}: {} configurations, {} steps, {:.3e} paths, at worst {} events and {} s",
        report.configurations,
        report.transitions,
        report.paths,
        report.worst.history_events,
        report.worst.duration_seconds
    )
}

fn within(name: &str, explored: WorstCase, computed: WorstCase) {
    assert!(
        explored.history_events <= computed.history_events
            && explored.duration_seconds <= computed.duration_seconds,
        "{name}: a path took {explored:?}, beyond the computed worst case {computed:?}"
    );
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "explores millions of configurations: scripts/test runs it in release"
)]
fn every_path_of_the_migration_keeps_its_guarantees() {
    for (env, w) in environments(Explored::Migration) {
        let started = std::time::Instant::now();
        let mut aws = Aws::new(w.names.clone(), &w.migration, Rc::clone(&w.rollback));
        let mut entered = BTreeSet::new();
        let mut worst = WorstCase::default();
        let mut configurations = 0;
        let mut paths = 0.0;
        for (start, world) in migration_starts() {
            let world = aws.start_migration(world);
            let report = explore(&w.migration, &mut aws, world, json!({}), LIMIT)
                .unwrap_or_else(|v| panic!("{} migration from {start}: {v}", env.name));
            println!(
                "{} migration from {start}: {}",
                env.name,
                summary("", &report)
            );
            entered.extend(report.states_entered.iter().cloned());
            worst.history_events = worst.history_events.max(report.worst.history_events);
            worst.duration_seconds = worst.duration_seconds.max(report.worst.duration_seconds);
            configurations += report.configurations;
            paths += report.paths;
        }
        coverage(
            &format!("{} migration", env.name),
            &w.migration_json,
            &entered,
        );
        within(&format!("{} migration", env.name), worst, w.migration_worst);
        println!(
            "{} migration: {configurations} configurations and {paths:.3e} paths in all, with {} rollbacks \
             explored from the states the migration left ({} configurations); at worst {} of the computed {} \
             events, in {:.0?}",
            env.name,
            aws.nested_runs,
            aws.nested_configurations,
            worst.history_events,
            w.migration_worst.history_events,
            started.elapsed()
        );
    }
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "explores millions of configurations: scripts/test runs it in release"
)]
fn every_path_of_the_rollback_keeps_its_guarantees_from_any_state_and_twice() {
    for (env, w) in environments(Explored::Rollback) {
        let started = std::time::Instant::now();
        let mut aws = Aws::new(w.names.clone(), &w.migration, Rc::clone(&w.rollback));
        let mut entered = BTreeSet::new();
        let mut worst = WorstCase::default();
        let mut again = 0;
        let mut restarted = std::collections::HashSet::new();
        for (i, (start, world)) in rollback_starts().into_iter().enumerate() {
            // The first start, as an operator may run it, gives no reason.
            let input = if i == 0 {
                json!({})
            } else {
                json!({"reason": "explored"})
            };
            let report = aws
                .explore_rollback_with(&world, input)
                .unwrap_or_else(|v| panic!("{} rollback from {start}: {v}", env.name));
            println!(
                "{} rollback from {start}: {}",
                env.name,
                summary("", &report)
            );
            entered.extend(report.states_entered.iter().cloned());
            worst.history_events = worst.history_events.max(report.worst.history_events);
            worst.duration_seconds = worst.duration_seconds.max(report.worst.duration_seconds);
            // Run it again from wherever it ended, with a fault budget of its own: what the first run left
            // (writes still to carry back among it) is the second run's world.
            for (end, mut after) in report.ends.clone() {
                after.faults_left = 1;
                after.outage = 0;
                after.ghost = workflow_model::Ghost {
                    undrained: after.ghost.undrained,
                    quiet_seconds: after.ghost.quiet_seconds,
                    ..Default::default()
                };
                if !restarted.insert(after.clone()) {
                    continue;
                }
                let second = aws.explore_rollback(&after).unwrap_or_else(|v| {
                    panic!(
                        "{} rollback run again after {start} ended {end:?}: {v}",
                        env.name
                    )
                });
                entered.extend(second.states_entered.iter().cloned());
                again += 1;
            }
        }
        coverage(
            &format!("{} rollback", env.name),
            &w.rollback_json,
            &entered,
        );
        within(&format!("{} rollback", env.name), worst, w.rollback_worst);
        println!(
            "{} rollback: run again from {again} distinct ends; at worst {} of the computed {} events, in {:.0?}",
            env.name,
            worst.history_events,
            w.rollback_worst.history_events,
            started.elapsed()
        );
    }
}

/// The explorations find what is wrong: each of these copies breaks one guarantee, and the exploration says so.
mod broken {
    use super::*;

    fn explore_migration(w: &Workflows, definition: &Value) -> String {
        let machine = Machine::new(w.migration.name(), definition).unwrap();
        let mut aws = Aws::new(w.names.clone(), &machine, Rc::clone(&w.rollback));
        let mut failures = Vec::new();
        for (_, world) in migration_starts().into_iter().take(1) {
            let world = aws.start_migration(world);
            if let Err(v) = explore(&machine, &mut aws, world, json!({}), LIMIT) {
                failures.push(v.to_string());
            }
        }
        failures.join("\n")
    }

    fn explore_rollback(w: &Workflows, definition: &Value) -> String {
        let machine = Rc::new(Machine::new(w.rollback.name(), definition).unwrap());
        let mut aws = Aws::new(w.names.clone(), &w.migration, Rc::clone(&machine));
        let mut failures = Vec::new();
        for (_, world) in rollback_starts() {
            if let Err(v) = aws.explore_rollback(&world) {
                failures.push(v);
            }
        }
        failures.join("\n")
    }

    fn dev() -> Workflows {
        workflows(&environment("dev"))
    }

    /// Redirects every rule of `state` that goes to `from` so that it goes to `to`.
    fn redirect(definition: &mut Value, state: &str, from: &str, to: &str) {
        let mut found = false;
        for rule in definition["States"][state]["Choices"]
            .as_array_mut()
            .unwrap()
        {
            if rule["Next"] == json!(from) {
                rule["Next"] = json!(to);
                found = true;
            }
        }
        assert!(found, "{state} has no rule to {from}");
    }

    #[test]
    #[cfg_attr(
        debug_assertions,
        ignore = "explores millions of configurations: scripts/test runs it in release"
    )]
    fn raising_traffic_without_both_tasks_running_is_caught() {
        let w = dev();
        let mut definition = w.migration_json.clone();
        redirect(
            &mut definition,
            "MayRaiseTraffic",
            "ReplicationStopped",
            "SetTrafficSplit",
        );
        let found = explore_migration(&w, &definition);
        assert!(found.contains("the split rose to"), "{found}");
        assert!(found.contains("reverse task"), "{found}");
    }

    #[test]
    #[cfg_attr(
        debug_assertions,
        ignore = "explores millions of configurations: scripts/test runs it in release"
    )]
    fn ignoring_an_operators_change_is_caught() {
        let w = dev();
        let mut definition = w.migration_json.clone();
        redirect(
            &mut definition,
            "IsStepHealthy",
            "TakenBack",
            "CountUnknownCheck",
        );
        redirect(
            &mut definition,
            "MayRaiseTraffic",
            "TakenBack",
            "SetTrafficSplit",
        );
        let found = explore_migration(&w, &definition);
        assert!(
            found.contains("over an operator's") || found.contains("with cutover false"),
            "{found}"
        );
    }

    #[test]
    #[cfg_attr(
        debug_assertions,
        ignore = "explores millions of configurations: scripts/test runs it in release"
    )]
    fn a_rollback_that_reads_before_it_moves_traffic_is_caught() {
        let w = dev();
        let mut definition = w.rollback_json.clone();
        definition["States"]["DefaultReason"]["Next"] = json!("ReadPhaseBeforeRollback");
        definition["States"]["KeepReason"]["Next"] = json!("ReadPhaseBeforeRollback");
        let found = explore_rollback(&w, &definition);
        assert!(found.contains("before moving traffic"), "{found}");
    }

    #[test]
    #[cfg_attr(
        debug_assertions,
        ignore = "explores millions of configurations: scripts/test runs it in release"
    )]
    fn stopping_the_reverse_task_before_it_drained_is_caught() {
        let w = dev();
        let mut definition = w.rollback_json.clone();
        redirect(
            &mut definition,
            "IsReverseTaskSettled",
            "StartDrainPolls",
            "StopReverseTask",
        );
        let found = explore_rollback(&w, &definition);
        assert!(found.contains("stopped before its drain"), "{found}");
    }

    #[test]
    #[cfg_attr(
        debug_assertions,
        ignore = "explores millions of configurations: scripts/test runs it in release"
    )]
    fn a_loop_that_does_not_count_is_caught() {
        let w = dev();
        let mut definition = w.migration_json.clone();
        definition["States"]["CountFullLoadPoll"]["Parameters"]["Polls.$"] = json!("$.poll.Polls");
        let found = explore_migration(&w, &definition);
        assert!(found.contains("does not count its rounds"), "{found}");
    }

    #[test]
    #[cfg_attr(
        debug_assertions,
        ignore = "explores millions of configurations: scripts/test runs it in release"
    )]
    fn a_migration_that_ends_without_rolling_back_is_caught() {
        let w = dev();
        let mut definition = w.migration_json.clone();
        definition["States"]["SaveFailure"]["Next"] = json!("RolledBack");
        definition["States"]["SaveFailure"]["Catch"][0]["Next"] = json!("RolledBack");
        let found = explore_migration(&w, &definition);
        assert!(found.contains("rolled back, but"), "{found}");
    }
}
