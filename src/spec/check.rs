//! The collector of spec problems and the field checks several parts of the spec share.

use std::fmt::Display;

use ipnet::Ipv4Net;

use super::Problem;

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

    pub fn range<T: PartialOrd + Display + Copy>(
        &mut self,
        field: &str,
        value: T,
        min: T,
        max: T,
    ) -> bool {
        self.require(
            min <= value && value <= max,
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
