//! The explorer on small workflows and toy worlds: every path followed, loops that do not count caught, errors
//! retried and caught as Step Functions does, and violations reported with their trace.

use serde_json::{Value, json};

use super::*;

/// A task that starts `starting`, may become `running` or `failed` at each wait, and a workflow polling it.
#[derive(Default)]
struct TaskWorld {
    calls: usize,
    /// Fail the first describe this many times with a throttling error.
    throttled: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Status(&'static str);

impl Model for TaskWorld {
    type World = Status;

    fn call(&mut self, world: &Status, call: &Call) -> Result<Vec<(Outcome, Status)>, String> {
        self.calls += 1;
        assert_eq!(call.parameters, &json!({"Task": "t"}));
        if call.attempt < self.throttled {
            return Ok(vec![(
                Outcome::error("Service.ThrottlingException"),
                world.clone(),
            )]);
        }
        Ok(vec![(
            Outcome::ok(
                json!({"Tasks": [{"Id": "t", "Status": world.0}, {"Id": "u", "Status": "x"}]}),
            ),
            world.clone(),
        )])
    }

    fn wait(&mut self, world: &Status, _: &str, _: &str, _: u64) -> Result<Vec<Status>, String> {
        Ok(match world.0 {
            "starting" => vec![Status("starting"), Status("running"), Status("failed")],
            _ => vec![world.clone()],
        })
    }

    fn end(&mut self, _: &Status, _: &str, end: &End) -> Result<(), String> {
        match end {
            End::Failed { error, .. } if error == "States.Runtime" => Err(format!("{end:?}")),
            _ => Ok(()),
        }
    }
}

fn poll(max_polls: u32) -> Value {
    json!({
        "StartAt": "Start",
        "States": {
            "Start": {"Type": "Pass", "Result": {"Polls": 0}, "ResultPath": "$.poll", "Next": "Describe"},
            "Describe": {
                "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:x:describe",
                "Parameters": {"Task": "t"},
                "ResultSelector": {"Statuses.$": "$.Tasks[?(@.Id == 't')].Status"},
                "ResultPath": "$.task",
                "TimeoutSeconds": 10,
                "Retry": [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 2, "IntervalSeconds": 3}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Gave up"}],
                "Next": "Count"
            },
            "Count": {
                "Type": "Pass",
                "Parameters": {
                    "Polls.$": "States.MathAdd($.poll.Polls, 1)",
                    "Running.$": "States.ArrayContains($.task.Statuses, 'running')"
                },
                "ResultPath": "$.poll",
                "Next": "Decide"
            },
            "Decide": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.poll.Running", "BooleanEquals": true, "Next": "Done"},
                    {"Variable": "$.task.Statuses[0]", "StringEquals": "failed", "Next": "Gave up"},
                    {"Variable": "$.poll.Polls", "NumericLessThan": max_polls, "Next": "Wait"}
                ],
                "Default": "Gave up"
            },
            "Wait": {"Type": "Wait", "Seconds": 60, "Next": "Describe"},
            "Done": {"Type": "Succeed"},
            "Gave up": {"Type": "Fail", "Error": "Poll.GaveUp"}
        }
    })
}

fn run(definition: &Value, model: &mut TaskWorld) -> Result<Report<Status>, Violation> {
    let machine = Machine::new("poll", definition).unwrap();
    explore(&machine, model, Status("starting"), json!({}), 100_000)
}

#[test]
fn every_path_of_a_bounded_poll_is_followed() {
    let report = run(&poll(3), &mut TaskWorld::default()).unwrap();
    // Per poll the task stays starting, runs or fails: running at poll 2 or 3, failed at 2 or 3, or starting
    // until the third poll gives up.
    assert_eq!(report.paths, 5.0);
    let mut ends: Vec<String> = report
        .ends
        .iter()
        .map(|(e, w)| format!("{e:?} {}", w.0))
        .collect();
    ends.sort();
    // Two ways to give up (the task failed, or still starting) and two to succeed (at poll 2 or 3).
    assert_eq!(ends.len(), 4, "{ends:?}");
    assert!(ends[0].contains("Poll.GaveUp") && ends[0].ends_with("failed"));
    assert!(ends[1].contains("Poll.GaveUp") && ends[1].ends_with("starting"));
    assert!(ends[2].starts_with("Succeeded") && ends[2].contains("Polls\\\":2"));
    assert!(ends[3].starts_with("Succeeded") && ends[3].contains("Polls\\\":3"));
    // The longest path: start, three polls of Describe (5), Count, Decide, two waits, and Succeed with the
    // execution's end.
    assert_eq!(report.worst.duration_seconds, 120);
    assert_eq!(
        report.worst.history_events,
        1 + 2 + 3 * (5 + 2 + 2) + 2 * 2 + 3
    );
    assert!(report.states_entered.contains("Wait"));
}

#[test]
fn retries_take_their_attempts_before_the_catch() {
    let mut model = TaskWorld {
        throttled: 5,
        ..TaskWorld::default()
    };
    let report = run(&poll(3), &mut model).unwrap();
    // Two retries, then the catcher ends the run: no poll ever succeeds.
    assert_eq!(report.paths, 1.0);
    assert_eq!(model.calls, 3);
    let [(End::Failed { error, .. }, _)] = report.ends.as_slice() else {
        panic!("{:?}", report.ends)
    };
    assert_eq!(error, "Poll.GaveUp");
    // Waits of 3 and 6 seconds between the attempts.
    assert_eq!(report.worst.duration_seconds, 9);
}

#[test]
fn a_loop_that_does_not_count_is_caught() {
    let mut definition = poll(3);
    definition["States"]["Count"]["Parameters"]["Polls.$"] = json!("$.poll.Polls");
    let violation = run(&definition, &mut TaskWorld::default()).unwrap_err();
    assert!(
        violation.message.contains("does not count its rounds"),
        "{violation}"
    );
    assert!(violation.trace.contains(&"Wait".to_string()), "{violation}");
}

#[test]
fn a_runtime_error_reaches_the_model_with_its_trace() {
    let mut definition = poll(3);
    definition["States"]["Decide"]["Choices"][1]["Variable"] = json!("$.task.Status");
    let violation = run(&definition, &mut TaskWorld::default()).unwrap_err();
    assert!(violation.message.contains("States.Runtime"), "{violation}");
    assert!(violation.message.contains("$.task.Status"), "{violation}");
    assert_eq!(violation.trace.last().map(String::as_str), Some("Decide"));
}

#[test]
fn error_names_match_as_step_functions_matches_them() {
    assert!(matches(&json!(["States.ALL"]), "X.YException"));
    assert!(matches(&json!(["States.TaskFailed"]), "X.YException"));
    assert!(!matches(&json!(["States.TaskFailed"]), "States.Timeout"));
    assert!(matches(&json!(["States.Timeout"]), "States.Timeout"));
    assert!(!matches(&json!(["States.ALL"]), "States.Runtime"));
    assert!(!matches(&json!(["X.Y"]), "X.YException"));
}
