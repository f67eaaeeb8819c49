//! The collector of spec problems and the field checks several parts of the spec share.

use std::fmt::Display;

use ipnet::Ipv4Net;

use super::Problem;

/// The bounds of the spec's whole-number fields, in one place: validation holds values to them, and a value the
/// field's type cannot even hold (`port: 70000`, `readers: -1`) is reported with them too. `*` stands for one
/// segment of the path (a side, a cluster).
const RANGES: &[(&str, u64, u64)] = &[
    ("api.backends.*.port", 1, 65535),
    ("api.lambda_concurrency_quota", 100, 1_000_000),
    ("api.peak_requests_per_second", 1, 10_000),
    ("api.settings_max_staleness_seconds", 0, 3600),
    ("api.settings_ttl_seconds", 1, 60),
    ("api.token_max_staleness_seconds", 0, 3600),
    ("api.token_rotation_window_minutes", 0, 1440),
    ("database.*.readers", 0, 15),
    ("database.backup_retention_days", 1, 35),
    ("database.credential_rotation_days", 1, 365),
    ("migration.allocated_storage_gb", 5, 6144),
    ("migration.max_cdc_latency_seconds", 1, 3600),
    ("migration.source.external.port", 1, 65535),
    ("network.availability_zones", 2, 3),
    ("orchestration.approval_timeout_hours", 1, 168),
    ("orchestration.bake_minutes", 1, 120),
    ("orchestration.cdc_catch_up_minutes", 1, 240),
    ("orchestration.full_load_timeout_hours", 1, 72),
    ("orchestration.validation_timeout_minutes", 5, 720),
];

/// The bounds of a whole-number field, by its path (`api.backends.production.port`).
pub(super) fn range_of(field: &str) -> Option<(u64, u64)> {
    let segments: Vec<&str> = field.split('.').collect();
    RANGES.iter().find_map(|(pattern, min, max)| {
        let pattern: Vec<&str> = pattern.split('.').collect();
        (pattern.len() == segments.len()
            && pattern
                .iter()
                .zip(&segments)
                .all(|(p, s)| *p == "*" || p == s))
        .then_some((*min, *max))
    })
}

/// How many items of a list a message shows.
const SHOWN: usize = 6;

/// A list as a message shows it: whole when short, else the first few and how many in all, so that one problem
/// stays one readable line.
pub(super) fn first_few<T: Display>(items: &[T]) -> String {
    let shown: Vec<String> = items.iter().take(SHOWN).map(T::to_string).collect();
    if items.len() <= SHOWN {
        shown.join(", ")
    } else {
        format!("{}, ... ({} in all)", shown.join(", "), items.len())
    }
}

/// Collects every problem of a spec, so one run reports all of them.
#[derive(Default)]
pub(super) struct Checker {
    pub problems: Vec<Problem>,
}

impl Checker {
    pub fn push(&mut self, field: &str, value: impl Display, allowed: impl Into<String>) {
        self.problems.push(Problem {
            field: field.to_string(),
            value: value.to_string(),
            allowed: allowed.into(),
        });
    }

    /// Checks `ok`; when it fails, reports the value with what is allowed.
    pub fn require(
        &mut self,
        ok: bool,
        field: &str,
        value: impl Display,
        allowed: impl Into<String>,
    ) -> bool {
        if !ok {
            self.push(field, value, allowed);
        }
        ok
    }

    /// A whole number within the field's bounds in [`RANGES`].
    pub fn range(&mut self, field: &str, value: impl Into<u64> + Display + Copy) -> bool {
        let Some((min, max)) = range_of(field) else {
            self.push(
                field,
                value,
                "a value within bounds migen states for this field (it states none: a defect of migen, please \
                 report it)",
            );
            return false;
        };
        let number: u64 = value.into();
        self.require(
            min <= number && number <= max,
            field,
            value,
            format!("{min} to {max}"),
        )
    }

    /// An IPv4 CIDR block whose address is the network address.
    pub fn cidr(&mut self, field: &str, value: &str) -> Option<Ipv4Net> {
        let Ok(net) = value.parse::<Ipv4Net>() else {
            self.push(field, value, "an IPv4 CIDR block such as 10.0.0.0/16");
            return None;
        };
        if net.network() != net.addr() {
            self.push(
                field,
                value,
                format!("a network address without host bits, here {}", net.trunc()),
            );
            return None;
        }
        Some(net)
    }

    /// A CIDR inside the private (RFC 1918) ranges.
    pub fn private_cidr(&mut self, field: &str, value: &str) -> Option<Ipv4Net> {
        let net = self.cidr(field, value)?;
        let private = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
            .iter()
            .filter_map(|p| p.parse::<Ipv4Net>().ok())
            .any(|p| p.contains(&net));
        self.require(
            private,
            field,
            value,
            "a private (RFC 1918) range: 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16",
        )
        .then_some(net)
    }

    /// `value` matches: first character from `first`, the rest from `rest`, length within `max`.
    pub fn identifier(&mut self, field: &str, value: &str, max: usize, describe: &str) -> bool {
        let mut chars = value.chars();
        let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
            && value.len() <= max;
        self.require(
            ok,
            field,
            value,
            format!("{describe}: 1-{max} letters, digits and underscores, starting with a letter"),
        )
    }
}

pub(super) fn overlaps(a: Ipv4Net, b: Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// A DNS host name (RFC 1123): labels of 1-63 letters, digits and inner hyphens, at most 253 characters, and a
/// last label that is not all digits, so that `999.1.1.1` (no IPv4 address) is not taken for a name.
pub(super) fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
        })
        && host
            .rsplit('.')
            .next()
            .is_some_and(|last| !last.chars().all(|ch| ch.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_path_finds_its_bounds_with_any_side_or_cluster() {
        assert_eq!(range_of("api.backends.production.port"), Some((1, 65535)));
        assert_eq!(range_of("api.backends.migration.port"), Some((1, 65535)));
        assert_eq!(range_of("database.migration.readers"), Some((0, 15)));
        assert_eq!(range_of("api.backends.port"), None);
        assert_eq!(range_of("api.backends.production.port.x"), None);
    }

    #[test]
    fn long_lists_show_their_first_few_and_how_many() {
        assert_eq!(first_few(&[1, 2, 3]), "1, 2, 3");
        let many: Vec<u32> = (1..=40).collect();
        assert_eq!(first_few(&many), "1, 2, 3, 4, 5, 6, ... (40 in all)");
    }
}
