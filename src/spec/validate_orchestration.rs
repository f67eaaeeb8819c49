//! Validation of the orchestration section: traffic steps the cutover can walk, and bounds that keep the
//! migration workflow's worst-case run inside Step Functions' limits.
//!
//! A Standard execution keeps at most 25,000 history events and runs at most a year. The polling loops are
//! what grow the history, so their pace (orchestration::pace) caps each loop's polls and polls less often for
//! a longer bound: the full load at most 288 polls, the CDC catch-up 60, the validation 72 attempts, a step's
//! bake 30 checks. The bounds here keep the spec's values sensible; the workflow's real worst case (every loop
//! at its bound, every retry spent, the rollback it starts) is computed from the rendered definition, and a
//! spec whose run could exceed the limits is refused at render time naming the orchestration fields to lower
//! (the spec at every maximum, tests/fixtures/specs/verify-full.yaml, stays within them).

use super::Orchestration;
use super::check::Checker;
use super::model::OrchestrationSpec;

/// Most traffic steps: each is a bake of its own, and ten already move the split by 10 % at a time.
pub(super) const MAX_TRAFFIC_STEPS: usize = 10;

pub(super) fn orchestration(c: &mut Checker, spec: &OrchestrationSpec) -> Option<Orchestration> {
    let before = c.problems.len();
    let steps = &spec.traffic_steps;
    let shown = format!(
        "[{}]",
        steps
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    if steps.is_empty() || steps.len() > MAX_TRAFFIC_STEPS {
        c.push(
            "orchestration.traffic_steps",
            &shown,
            format!("1 to {MAX_TRAFFIC_STEPS} percentages, e.g. [10, 50, 100]"),
        );
    } else if let Some(bad) = steps.iter().find(|p| !(1..=100).contains(*p)) {
        c.push(
            "orchestration.traffic_steps",
            &shown,
            format!("percentages from 1 to 100 ({bad} is not)"),
        );
    } else if steps.windows(2).any(|w| w[0] >= w[1]) {
        c.push(
            "orchestration.traffic_steps",
            &shown,
            "strictly increasing percentages: each step sends more traffic to the migration backend",
        );
    } else if steps.last() != Some(&100) {
        c.push(
            "orchestration.traffic_steps",
            &shown,
            "a last step of 100: the cutover ends with all traffic on the migration backend",
        );
    }
    c.range("orchestration.bake_minutes", spec.bake_minutes);
    c.range(
        "orchestration.approval_timeout_hours",
        spec.approval_timeout_hours,
    );
    c.range(
        "orchestration.full_load_timeout_hours",
        spec.full_load_timeout_hours,
    );
    c.range(
        "orchestration.cdc_catch_up_minutes",
        spec.cdc_catch_up_minutes,
    );
    c.range(
        "orchestration.validation_timeout_minutes",
        spec.validation_timeout_minutes,
    );
    (c.problems.len() == before).then(|| Orchestration {
        traffic_steps: steps.clone(),
        bake_minutes: spec.bake_minutes,
        approval_timeout_hours: spec.approval_timeout_hours,
        full_load_timeout_hours: spec.full_load_timeout_hours,
        cdc_catch_up_minutes: spec.cdc_catch_up_minutes,
        validation_timeout_minutes: spec.validation_timeout_minutes,
    })
}
