//! How often the workflows look, and how many times: every wait of a workflow is a bounded poll, and its
//! interval grows with the bound the spec asks for, so that no loop polls more than a fixed number of times and
//! the worst-case history stays inside Step Functions' quota whatever the spec's bounds (the orchestration
//! layer computes and checks it, see [`super::check_limits`]).

use crate::spec::Environment;

/// A poll loop's pace: seconds between two looks, and the most looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Polling {
    /// Seconds between two looks: a `Wait` state's duration.
    pub interval_seconds: u32,
    /// The most looks before the loop gives up; it bounds the loop's history events.
    pub max_polls: u32,
}

impl Polling {
    /// `total_seconds` covered by at most `max_polls` looks, at least `min_interval` apart, in whole minutes once
    /// the interval passes a minute.
    fn covering(total_seconds: u32, min_interval: u32, max_polls: u32) -> Polling {
        let mut interval = min_interval.max(total_seconds.div_ceil(max_polls));
        if interval > 60 {
            interval = interval.div_ceil(60) * 60;
        }
        Polling {
            interval_seconds: interval,
            max_polls: total_seconds.div_ceil(interval).max(1),
        }
    }

    /// How long the polls may take in all.
    pub fn seconds(&self) -> u32 {
        self.interval_seconds * self.max_polls
    }
}

/// Looks at the endpoints' connection tests: every 30 s, for 5 minutes.
pub const CONNECTION_TESTS: Polling = Polling {
    interval_seconds: 30,
    max_polls: 10,
};
/// Looks at a DMS task that was just started, until it runs: every 30 s, for 10 minutes.
pub const TASK_START: Polling = Polling {
    interval_seconds: 30,
    max_polls: 20,
};
/// Looks at a DMS task that was asked to stop, until it has: every 30 s, for 10 minutes.
pub const TASK_STOP: Polling = Polling {
    interval_seconds: 30,
    max_polls: 20,
};
/// Looks at the reverse task's CDC-latency gate after the reverse task starts, before any traffic moves: every
/// minute, for 15 minutes (the gate needs its 3-minute window of data first).
pub const REVERSE_GATE: Polling = Polling {
    interval_seconds: 60,
    max_polls: 15,
};
/// Health checks of one traffic step that may fail to be read (a throttled or failed call) before the step is
/// rolled back for want of knowing.
pub const UNKNOWN_CHECKS_TOLERATED: u32 = 3;

/// Most looks at the full load, at the CDC gate, and validations; most health checks of one traffic step.
const FULL_LOAD_MAX_POLLS: u32 = 288;
const CDC_MAX_POLLS: u32 = 60;
const VALIDATION_MAX_ATTEMPTS: u32 = 72;
const BAKE_MAX_CHECKS: u32 = 30;

/// The migration workflow's pace, from the spec's bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pace {
    /// The full load: every 5 minutes, or less often for a bound over 24 hours.
    pub full_load: Polling,
    /// The forward CDC-latency gate after the full load: every minute, or less often past an hour.
    pub cdc_catch_up: Polling,
    /// Validations answering `not-ready`: every 5 minutes, or less often past 6 hours.
    pub validation: Polling,
    /// A traffic step's health checks: every minute, or less often for a bake over 30 minutes; the step lasts
    /// `max_polls` checks that could be read.
    pub bake: Polling,
}

impl Pace {
    /// The pace for the spec's `orchestration` bounds, each covered by at most a fixed number of looks.
    pub fn of(env: &Environment) -> Pace {
        let o = &env.orchestration;
        Pace {
            full_load: Polling::covering(
                o.full_load_timeout_hours * 3600,
                300,
                FULL_LOAD_MAX_POLLS,
            ),
            cdc_catch_up: Polling::covering(o.cdc_catch_up_minutes * 60, 60, CDC_MAX_POLLS),
            validation: Polling::covering(
                o.validation_timeout_minutes * 60,
                300,
                VALIDATION_MAX_ATTEMPTS,
            ),
            bake: Polling::covering(o.bake_minutes * 60, 60, BAKE_MAX_CHECKS),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_bounds_poll_at_the_base_rate() {
        assert_eq!(
            Polling::covering(24 * 3600, 300, FULL_LOAD_MAX_POLLS),
            Polling {
                interval_seconds: 300,
                max_polls: 288
            }
        );
        assert_eq!(
            Polling::covering(15 * 60, 60, BAKE_MAX_CHECKS),
            Polling {
                interval_seconds: 60,
                max_polls: 15
            }
        );
    }

    #[test]
    fn long_bounds_poll_less_often_and_never_more_than_their_cap() {
        let full_load = Polling::covering(72 * 3600, 300, FULL_LOAD_MAX_POLLS);
        assert_eq!(full_load.interval_seconds, 900);
        assert_eq!(full_load.max_polls, 288);
        let bake = Polling::covering(120 * 60, 60, BAKE_MAX_CHECKS);
        assert_eq!(bake.interval_seconds, 240);
        assert_eq!(bake.max_polls, 30);
        let odd = Polling::covering(47 * 60, 60, BAKE_MAX_CHECKS);
        assert_eq!(odd.interval_seconds, 120);
        assert!(odd.seconds() >= 47 * 60 && odd.max_polls <= BAKE_MAX_CHECKS);
    }
}
