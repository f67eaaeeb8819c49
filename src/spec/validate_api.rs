//! Validation of the API section: the certificate, and backends the load balancer can reach.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use super::check::Checker;
use super::model::{ApiSpec, BackendSpec};
use super::validate::is_host_name;
use super::{Api, Backend, Network};

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
        path.starts_with('/') && path.len() <= 1024 && path.chars().all(|ch| ch.is_ascii_graphic()),
        "api.health_check_path",
        path,
        "a path starting with / of at most 1024 printable characters",
    );
    let concurrency_ok = c.range(
        "api.authorizer_concurrency",
        spec.authorizer_concurrency,
        1,
        1000,
    );
    let window_ok = c.range(
        "api.token_rotation_window_minutes",
        spec.token_rotation_window_minutes,
        0,
        1440,
    );
    let settings_stale_ok = c.range(
        "api.settings_max_staleness_seconds",
        spec.settings_max_staleness_seconds,
        0,
        3600,
    );
    let token_stale_ok = c.range(
        "api.token_max_staleness_seconds",
        spec.token_max_staleness_seconds,
        0,
        3600,
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
    );
    (host_ok
        && certificate_ok
        && path_ok
        && concurrency_ok
        && window_ok
        && settings_stale_ok
        && token_stale_ok)
        .then_some(())?;
    Some(Api {
        host_name: spec.host_name.clone(),
        certificate_arn: spec.certificate_arn.clone(),
        production: production?,
        migration: migration?,
        health_check_path: spec.health_check_path.clone(),
        authorizer_concurrency: spec.authorizer_concurrency,
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
) -> Option<Backend> {
    let mut ok = c.require(
        (1..=MAX_ADDRESSES).contains(&spec.addresses.len()),
        &format!("{field}.addresses"),
        format!("{} addresses", spec.addresses.len()),
        format!("1 to {MAX_ADDRESSES} addresses"),
    );
    ok &= c.range(&format!("{field}.port"), spec.port, 1, 65535);
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
