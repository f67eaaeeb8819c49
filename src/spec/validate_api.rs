//! Validation of the API section: the certificate, and backends the load balancer can reach.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use super::check::Checker;
use super::check::is_host_name;
use super::model::{ApiSpec, BackendSpec};
use super::{Api, Backend, Network, Source, VpcLayout};

/// Most addresses per side: each is a target of the side's target group, and a payment API's instances are
/// counted in tens.
const MAX_ADDRESSES: usize = 50;

/// Ranges an Application Load Balancer accepts as `ip` targets outside its VPC (RFC 1918 and RFC 6598).
const TARGET_RANGES: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
];

pub(super) fn api(
    c: &mut Checker,
    spec: &ApiSpec,
    primary_region: &str,
    network: Option<&Network>,
) -> Option<Api> {
    let host_ok = c.require(
        is_host_name(&spec.host_name) && spec.host_name.contains('.'),
        "api.host_name",
        &spec.host_name,
        "the DNS name the load balancer's certificate is issued for, e.g. payments-api.internal.example.com",
    );
    let certificate_ok = c.require(
        is_certificate_arn(&spec.certificate_arn, primary_region),
        "api.certificate_arn",
        &spec.certificate_arn,
        format!(
            "an ACM certificate ARN in the primary region: arn:aws:acm:{primary_region}:<12-digit account>:certificate/<id>"
        ),
    );
    let path = &spec.health_check_path;
    let path_ok = c.require(
        path.starts_with('/') && path.len() <= 1024 && is_url_path(path),
        "api.health_check_path",
        path,
        "a URL path starting with / of at most 1024 characters: letters, digits, - . _ ~ ! & ' ( ) * + , ; = : @ / \
         and %XX escapes (no $, no query, no spaces)",
    );
    let concurrency_ok = c.require(
        spec.authorizer_concurrency.is_none(),
        "api.authorizer_concurrency",
        spec.authorizer_concurrency.unwrap_or_default(),
        "not set: the authorizer's reserved concurrency is derived from api.peak_requests_per_second (README, \
         \"Capacity\"); state the API's peak rate there instead",
    ) & c.range("api.peak_requests_per_second", spec.peak_requests_per_second) & c.range("api.settings_ttl_seconds", spec.settings_ttl_seconds)
        & c.range("api.lambda_concurrency_quota", spec.lambda_concurrency_quota);
    let window_ok = c.range(
        "api.token_rotation_window_minutes",
        spec.token_rotation_window_minutes,
    );
    let settings_stale_ok = c.range(
        "api.settings_max_staleness_seconds",
        spec.settings_max_staleness_seconds,
    );
    let token_stale_ok = c.range(
        "api.token_max_staleness_seconds",
        spec.token_max_staleness_seconds,
    );
    let production = backend(
        c,
        "api.backends.production",
        &spec.backends.production,
        network.map(|n| {
            [
                ("network.production_vpc_cidr", n.production_vpc.cidr),
                ("network.on_premises_cidr", n.on_premises_cidr),
            ]
        }),
        network.map(|n| subnets_of(&n.production_vpc)),
    );
    let migration = backend(
        c,
        "api.backends.migration",
        &spec.backends.migration,
        network.map(|n| {
            [
                ("network.migration_vpc_cidr", n.migration_vpc.cidr),
                ("network.on_premises_cidr", n.on_premises_cidr),
            ]
        }),
        network.map(|n| subnets_of(&n.migration_vpc)),
    );
    let sides_ok = match (&production, &migration) {
        (Some(p), Some(m)) => distinct_sides(c, p, m),
        _ => true,
    };
    (host_ok
        && certificate_ok
        && path_ok
        && concurrency_ok
        && window_ok
        && settings_stale_ok
        && token_stale_ok
        && sides_ok)
        .then_some(())?;
    Some(Api {
        host_name: spec.host_name.clone(),
        certificate_arn: spec.certificate_arn.clone(),
        production: production?,
        migration: migration?,
        health_check_path: spec.health_check_path.clone(),
        peak_requests_per_second: spec.peak_requests_per_second,
        settings_ttl_seconds: spec.settings_ttl_seconds,
        lambda_concurrency_quota: spec.lambda_concurrency_quota,
        parameter_store_throughput: spec.parameter_store_throughput,
        token_rotation_window_minutes: spec.token_rotation_window_minutes,
        settings_max_staleness_seconds: spec.settings_max_staleness_seconds,
        token_max_staleness_seconds: spec.token_max_staleness_seconds,
    })
}

/// A side's addresses: valid, private, each once, and inside a network the load balancer reaches (its own VPC,
/// or through the Transit Gateway).
fn backend(
    c: &mut Checker,
    field: &str,
    spec: &BackendSpec,
    reachable: Option<[(&str, Ipv4Net); 2]>,
    subnets: Option<Vec<Ipv4Net>>,
) -> Option<Backend> {
    let mut ok = c.require(
        (1..=MAX_ADDRESSES).contains(&spec.addresses.len()),
        &format!("{field}.addresses"),
        format!("{} addresses", spec.addresses.len()),
        format!("1 to {MAX_ADDRESSES} addresses"),
    );
    ok &= c.range(&format!("{field}.port"), spec.port);
    let mut addresses: Vec<Ipv4Addr> = Vec::new();
    for (i, text) in spec.addresses.iter().enumerate() {
        let item = format!("{field}.addresses[{i}]");
        let Ok(address) = text.parse::<Ipv4Addr>() else {
            ok = c.require(false, &item, text, "an IPv4 address");
            continue;
        };
        let private = TARGET_RANGES
            .iter()
            .filter_map(|r| r.parse::<Ipv4Net>().ok())
            .any(|r| r.contains(&address));
        ok &= c.require(
            private,
            &item,
            text,
            "a private address (RFC 1918 or RFC 6598): a load balancer's ip targets are never public",
        );
        if let Some(networks) = reachable {
            let inside = networks.iter().any(|(_, net)| net.contains(&address));
            ok &= c.require(
                inside,
                &item,
                text,
                format!(
                    "an address in {} ({}) or {} ({}), which the load balancer reaches",
                    networks[0].0, networks[0].1, networks[1].0, networks[1].1
                ),
            );
        }
        if let Some((subnet, what)) = subnets.as_deref().and_then(|s| reserved(s, address)) {
            ok = c.require(
                false,
                &item,
                text,
                format!(
                    "an address AWS does not reserve: it is {what} of the stack's subnet {subnet} (AWS keeps the \
                     first four and the last address of every subnet; no instance can hold it)"
                ),
            );
        }
        if let Some(first) = addresses.iter().position(|a| *a == address) {
            ok = c.require(
                false,
                &item,
                text,
                format!("each address once (it repeats {field}.addresses[{first}])"),
            );
        }
        addresses.push(address);
    }
    ok.then_some(Backend {
        addresses,
        port: spec.port,
    })
}

/// No backend is the migration source's database host: a target there would open the load balancer's security
/// group, and a path for API traffic, to the cardholder database. (The stack's own databases have DNS
/// endpoints, never an address a spec could name.)
pub(super) fn backends_apart_from_the_source(c: &mut Checker, api: &Api, source: &Source) {
    let Source::External(external) = source else {
        return;
    };
    let Ok(host) = external.host.parse::<Ipv4Addr>() else {
        return;
    };
    for (side, backend) in [
        ("production", &api.production),
        ("migration", &api.migration),
    ] {
        for (i, address) in backend.addresses.iter().enumerate() {
            if *address == host {
                c.require(
                    false,
                    &format!("api.backends.{side}.addresses[{i}]"),
                    address,
                    "an application's address, not the database host of migration.source.external.host: the load \
                     balancer's security group would reach the cardholder database",
                );
            }
        }
    }
}

/// The stack's subnets of a VPC, public and private.
fn subnets_of(vpc: &VpcLayout) -> Vec<Ipv4Net> {
    vpc.public_subnets
        .iter()
        .chain(&vpc.private_subnets)
        .copied()
        .collect()
}

/// What AWS keeps `address` for, when it is one of the five addresses AWS reserves in the subnet that holds it
/// (VPC user guide, "Subnet CIDR blocks"): the network address, the VPC router, the DNS server, one for future
/// use, and the network broadcast address.
fn reserved(subnets: &[Ipv4Net], address: Ipv4Addr) -> Option<(Ipv4Net, &'static str)> {
    let subnet = subnets.iter().find(|s| s.contains(&address))?;
    let offset = u32::from(address) - u32::from(subnet.network());
    let last = u32::from(subnet.broadcast()) - u32::from(subnet.network());
    let what = match offset {
        0 => "the network address",
        1 => "the VPC router's address",
        2 => "the Amazon DNS server's address",
        3 => "the address AWS keeps for future use",
        o if o == last => "the broadcast address",
        _ => return None,
    };
    Some((*subnet, what))
}

/// The two sides are two applications: an address and port on both would make the split move nothing (and two
/// identical security-group rules, which EC2 refuses).
fn distinct_sides(c: &mut Checker, production: &Backend, migration: &Backend) -> bool {
    if production.port != migration.port {
        return true;
    }
    let mut ok = true;
    for (i, address) in migration.addresses.iter().enumerate() {
        if let Some(j) = production.addresses.iter().position(|a| a == address) {
            ok = c.require(
                false,
                &format!("api.backends.migration.addresses[{i}]"),
                format!("{address} port {}", migration.port),
                format!(
                    "an address and port that are not the production side's (api.backends.production.addresses[{j}] \
                     is {address} on the same port): the split would send both sides' traffic to one application"
                ),
            );
        }
    }
    ok
}

/// RFC 3986's path characters (unreserved, sub-delimiters but `$`, `:`, `@`, `/`, percent escapes): what a load
/// balancer sends as the health check's request path. `$` is left out: `${...}` in a template string is a
/// substitution to CloudFormation's linters.
fn is_url_path(path: &str) -> bool {
    let bytes = path.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let escape = bytes.get(i + 1..i + 3);
            if !escape.is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)) {
                return false;
            }
            i += 3;
            continue;
        }
        if !(b.is_ascii_alphanumeric() || b"-._~!&'()*+,;=:@/".contains(&b)) {
            return false;
        }
        i += 1;
    }
    true
}

/// `arn:aws:acm:<region>:<account>:certificate/<id>` in the commercial partition. While the primary region is
/// itself invalid (reported on its own field), any region is taken.
fn is_certificate_arn(arn: &str, region: &str) -> bool {
    let Some(rest) = arn.strip_prefix("arn:aws:acm:") else {
        return false;
    };
    let Some((arn_region, rest)) = rest.split_once(':') else {
        return false;
    };
    if arn_region != region && super::regions::region(region).is_some() {
        return false;
    }
    let Some((account, id)) = rest.split_once(":certificate/") else {
        return false;
    };
    account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_paths_take_rfc_3986_characters_and_whole_escapes_only() {
        for ok in [
            "/",
            "/health",
            "/v1/health-check_2.json",
            "/a%20b",
            "/~user/x;y=1",
            "/@:!*'(),+&=",
        ] {
            assert!(is_url_path(ok), "{ok}");
        }
        for bad in [
            "/health/${Stage}",
            "/a b",
            "/a?b=1",
            "/a#b",
            "/%2",
            "/%zz",
            "/a\"b",
            "/é",
        ] {
            assert!(!is_url_path(bad), "{bad}");
        }
    }

    #[test]
    fn the_five_addresses_aws_reserves_in_a_subnet_are_named() {
        let subnets: Vec<Ipv4Net> = vec!["10.0.0.0/24".parse().unwrap()];
        let at = |a: &str| reserved(&subnets, a.parse().unwrap()).map(|(_, what)| what);
        assert_eq!(at("10.0.0.0"), Some("the network address"));
        assert_eq!(at("10.0.0.1"), Some("the VPC router's address"));
        assert_eq!(at("10.0.0.2"), Some("the Amazon DNS server's address"));
        assert_eq!(at("10.0.0.3"), Some("the address AWS keeps for future use"));
        assert_eq!(at("10.0.0.255"), Some("the broadcast address"));
        assert_eq!(at("10.0.0.4"), None);
        assert_eq!(at("10.0.0.254"), None);
        assert_eq!(at("10.0.1.1"), None, "outside every subnet of the stack");
    }
}
