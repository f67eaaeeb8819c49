//! Capacity from the spec: the authorizer's reserved concurrency derived from the API's peak rate, and the
//! account quotas it must fit.
//!
//! A REQUEST authorizer whose result is never cached runs once per API request, so by Little's law it needs
//! `peak requests per second × invocation duration` instances at once. migen reserves that with
//! [`HEADROOM`] for bursts and slow invocations; beyond its reserved concurrency Lambda throttles and API
//! Gateway answers 500. The duration is a stated design figure, [`AUTHORIZER_INVOCATION_MS`]: a warm
//! invocation's handler costs tens of microseconds in process (`scripts/bench` measures it), an invocation as
//! Lambda bills it a few milliseconds, and a settings or token read once per TTL tens of milliseconds; 50 ms
//! covers the slow tail.
//!
//! Two account quotas bound it. Lambda keeps [`UNRESERVED_CONCURRENCY`] of the account's concurrent executions
//! unreserved, so the functions of a region's stack reserve at most the quota less that. Every warm authorizer
//! instance reads its settings once per TTL, so at most `concurrency / TTL` GetParameters calls a second, which
//! must stay within [`PARAMETER_STORE_SHARE_PERCENT`] of the account's Parameter Store throughput (the rest is
//! the account's other users, the workflows among them).

use serde_json::Value;

use crate::spec::{Environment, Problem};

use super::stack::Stack;

/// The authorizer invocation's duration migen designs for, in milliseconds.
pub const AUTHORIZER_INVOCATION_MS: u32 = 50;
/// Concurrency reserved over the steady-state need.
pub const HEADROOM: u32 = 2;
/// The least concurrency reserved for the authorizer, whatever the peak rate: cold starts come in bursts.
pub const MIN_AUTHORIZER_CONCURRENCY: u32 = 10;
/// Concurrent executions Lambda keeps unreserved in every account and region.
pub const UNRESERVED_CONCURRENCY: u32 = 100;
/// The share of the account's Parameter Store throughput the authorizer's settings reads may take.
pub const PARAMETER_STORE_SHARE_PERCENT: u32 = 50;

/// The authorizer's reserved concurrency: `ceil(peak × duration × headroom)`, at least
/// [`MIN_AUTHORIZER_CONCURRENCY`].
pub fn authorizer_concurrency(env: &Environment) -> u32 {
    let needed = (u64::from(env.api.peak_requests_per_second)
        * u64::from(AUTHORIZER_INVOCATION_MS)
        * u64::from(HEADROOM))
    .div_ceil(1000);
    u32::try_from(needed)
        .unwrap_or(u32::MAX)
        .max(MIN_AUTHORIZER_CONCURRENCY)
}

/// GetParameters calls a second the authorizer makes at most: every reserved instance warm, each reading once
/// per TTL.
pub fn settings_reads_per_second(env: &Environment) -> f64 {
    f64::from(authorizer_concurrency(env)) / f64::from(env.api.settings_ttl_seconds)
}

/// Whether a region's stack fits the account: its functions' reserved concurrency within the Lambda quota, and
/// (in the region that runs the authorizer) the settings reads within Parameter Store's throughput.
pub fn problems(stack: &Stack) -> Vec<Problem> {
    let env = stack.env;
    let mut problems = Vec::new();
    let mut reserved = Vec::new();
    let mut has_authorizer = false;
    for (id, type_name, properties) in stack.template.resources() {
        if type_name != "AWS::Lambda::Function" {
            continue;
        }
        if let Some(n) = properties
            .get("ReservedConcurrentExecutions")
            .and_then(Value::as_u64)
        {
            reserved.push((id.to_string(), n));
        }
        has_authorizer |= properties
            .get("FunctionName")
            .and_then(Value::as_str)
            .is_some_and(|name| name.contains("-authorizer-"));
    }
    let total: u64 = reserved.iter().map(|(_, n)| n).sum();
    let quota = u64::from(env.api.lambda_concurrency_quota);
    let allowed = quota.saturating_sub(u64::from(UNRESERVED_CONCURRENCY));
    if total > allowed {
        let detail = reserved
            .iter()
            .map(|(id, n)| format!("{id} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        problems.push(Problem {
            field: "api.lambda_concurrency_quota".into(),
            value: env.api.lambda_concurrency_quota.to_string(),
            allowed: format!(
                "a quota whose reservable part ({quota} less the {UNRESERVED_CONCURRENCY} Lambda keeps unreserved \
                 = {allowed}) holds what the functions of {} reserve: {total} ({detail}). Raise the account's \
                 quota (Service Quotas, \"Concurrent executions\") and state it here, or lower \
                 api.peak_requests_per_second",
                stack.region
            ),
        });
    }
    if has_authorizer {
        let reads = settings_reads_per_second(env);
        let throughput = env.api.parameter_store_throughput.transactions_per_second();
        let budget = f64::from(throughput) * f64::from(PARAMETER_STORE_SHARE_PERCENT) / 100.0;
        if reads > budget {
            let concurrency = authorizer_concurrency(env);
            let ttl_needed = (f64::from(concurrency) / budget).ceil();
            problems.push(Problem {
                field: "api.settings_ttl_seconds".into(),
                value: env.api.settings_ttl_seconds.to_string(),
                allowed: format!(
                    "a TTL whose re-reads fit Parameter Store: {concurrency} authorizer instances reading every {} \
                     s make {reads:.1} GetParameters calls a second, over {budget:.0} ({PARAMETER_STORE_SHARE_PERCENT} \
                     % of the account's {throughput}). Set api.settings_ttl_seconds to at least {ttl_needed} (a \
                     split change then takes that long to reach every request), or enable Parameter Store's \
                     higher throughput and set api.parameter_store_throughput: higher",
                    env.api.settings_ttl_seconds
                ),
            });
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(peak: u32) -> Environment {
        let mut env = crate::spec::load_shipped("dev", &Default::default()).unwrap();
        env.api.peak_requests_per_second = peak;
        env
    }

    #[test]
    fn concurrency_is_the_peak_rate_times_the_duration_with_headroom() {
        assert_eq!(authorizer_concurrency(&env(1)), MIN_AUTHORIZER_CONCURRENCY);
        assert_eq!(authorizer_concurrency(&env(100)), 10);
        assert_eq!(authorizer_concurrency(&env(1000)), 100);
        assert_eq!(authorizer_concurrency(&env(1001)), 101, "rounded up");
        assert_eq!(authorizer_concurrency(&env(10_000)), 1000);
    }

    #[test]
    fn settings_reads_are_every_instance_once_per_ttl() {
        let mut e = env(1000);
        e.api.settings_ttl_seconds = 5;
        assert_eq!(settings_reads_per_second(&e), 20.0);
    }
}
