//! Elastic Load Balancing: an internal Application Load Balancer with HTTPS listeners, `ip` target groups and
//! header-based rules, which splits traffic between the production and the migration backends. The types are
//! generated (in `src/resources/generated/elasticloadbalancingv2.rs`); the opinion on top of them is written here.
//!
//! A [`ListenerRule`] belongs to exactly one listener and applies its actions to requests matching all its
//! conditions; its priority is 1 to 50,000, unique per listener, and lower is evaluated first. CloudFormation's
//! schemas give a listener's default actions ([`Action`]) and a rule's ([`RuleAction`]) their own types.

pub use super::generated::elasticloadbalancingv2::*;
pub use listener::{Action, Certificate};
pub use listener_rule::{Action as RuleAction, RuleCondition};
pub use load_balancer::{IpAddressType, LoadBalancerAttribute};
pub use target_group::{Matcher, ProtocolVersion, TargetDescription, TargetGroupAttribute};

use crate::cfn::Expr;
use crate::resources::slot::BucketName;
use listener_rule::{HttpHeaderConfig, PathPatternConfig};
use load_balancer::{Scheme, Type as LoadBalancerType};
use target_group::{HealthCheckProtocol, Protocol as TargetProtocol, TargetType};

/// A `{Key, Value}` attribute of a load balancer or target group. Values are strings even for booleans and
/// numbers.
trait Attribute {
    /// The attribute's key and value.
    fn key_value(&mut self) -> (&mut Option<Expr>, &mut Option<Expr>);
    /// An attribute with neither set.
    fn empty() -> Self;
}

impl Attribute for LoadBalancerAttribute {
    fn key_value(&mut self) -> (&mut Option<Expr>, &mut Option<Expr>) {
        (&mut self.key, &mut self.value)
    }
    fn empty() -> Self {
        LoadBalancerAttribute::new()
    }
}

impl Attribute for TargetGroupAttribute {
    fn key_value(&mut self) -> (&mut Option<Expr>, &mut Option<Expr>) {
        (&mut self.key, &mut self.value)
    }
    fn empty() -> Self {
        TargetGroupAttribute::new()
    }
}

/// Sets `key` to `value` in `attributes`, replacing an earlier value, so a builder call overrides a default.
fn set_attribute<A: Attribute>(attributes: &mut Vec<A>, key: &str, value: Expr) {
    let key = Expr::lit(key);
    let existing = attributes.iter_mut().find_map(|attribute| {
        let (k, v) = attribute.key_value();
        (k.as_ref() == Some(&key)).then_some(v)
    });
    match existing {
        Some(existing) => *existing = Some(value),
        None => {
            let mut attribute = A::empty();
            let (k, v) = attribute.key_value();
            *k = Some(key);
            *v = Some(value);
            attributes.push(attribute);
        }
    }
}

fn flag(enabled: bool) -> Expr {
    Expr::lit(if enabled { "true" } else { "false" })
}

impl LoadBalancer {
    /// An internal Application Load Balancer in `subnets` (at least two, in different Availability Zones), with
    /// no public address (PCI DSS 1.3.1). It drops requests with header fields that are not valid HTTP, which
    /// request smuggling relies on (PCI DSS 6.2.4; the rule `ALB_HTTP_DROP_INVALID_HEADER_ENABLED`). Deletion
    /// protection is a choice, not a default, because it also blocks deleting the stack. Leave the name to
    /// CloudFormation unless it must be known in advance: a name (at most 32 characters) makes replacement fail.
    pub fn internal_application(
        subnets: Vec<Expr>,
        security_groups: Vec<Expr>,
        deletion_protection: bool,
    ) -> Self {
        let mut attributes = Vec::new();
        set_attribute(
            &mut attributes,
            "routing.http.drop_invalid_header_fields.enabled",
            flag(true),
        );
        set_attribute(
            &mut attributes,
            "deletion_protection.enabled",
            flag(deletion_protection),
        );
        LoadBalancer::new(
            attributes,
            Scheme::Internal,
            security_groups,
            subnets,
            LoadBalancerType::Application,
        )
    }

    /// Writes access logs to `bucket` (its name) under `prefix` (PCI DSS 10.2.1); the bucket's policy must let
    /// the region's log delivery write to it.
    pub fn access_logs(mut self, bucket: impl Into<BucketName>, prefix: impl Into<String>) -> Self {
        let attributes = &mut self.load_balancer_attributes;
        set_attribute(attributes, "access_logs.s3.enabled", flag(true));
        set_attribute(
            attributes,
            "access_logs.s3.bucket",
            bucket.into().into_expr(),
        );
        set_attribute(
            attributes,
            "access_logs.s3.prefix",
            Expr::lit(prefix.into()),
        );
        self
    }

    /// Sets any other attribute, e.g. `idle_timeout.timeout_seconds`.
    pub fn attribute(mut self, key: &str, value: impl Into<Expr>) -> Self {
        set_attribute(&mut self.load_balancer_attributes, key, value.into());
        self
    }
}

impl TargetDescription {
    /// A target inside the load balancer's VPC, at the group's port unless [`TargetDescription::port`] says
    /// otherwise.
    pub fn ip(address: impl Into<Expr>) -> Self {
        TargetDescription::new(address)
    }

    /// A target outside the VPC (a peered or Transit Gateway-attached network, or on premises): ELB requires
    /// `AvailabilityZone: all` for an address outside the VPC's CIDR blocks.
    pub fn ip_outside_vpc(address: impl Into<Expr>) -> Self {
        Self::ip(address).availability_zone("all")
    }
}

impl TargetGroup {
    /// A group of IP addresses in `vpc_id` whose targets listen for HTTPS on `port`: traffic stays encrypted
    /// between the load balancer and the backends (PCI DSS 4.2.1), and health checks use HTTPS too. `ip` targets
    /// need a port, protocol and VPC (cfn-lint). The load balancer does not validate the targets' certificates,
    /// so a self-signed one is enough.
    pub fn https_ip(vpc_id: Expr, port: u16) -> Self {
        TargetGroup::new(
            HealthCheckProtocol::Https,
            port,
            TargetProtocol::Https,
            TargetType::Ip,
            vpc_id,
        )
    }

    /// Checks `path` and counts the codes in `http_codes` (e.g. `200` or `200-299`) as healthy.
    pub fn health_check(self, path: impl Into<String>, http_codes: impl Into<String>) -> Self {
        self.health_check_enabled(true)
            .health_check_path(path.into())
            .matcher(Matcher::new().http_code(http_codes.into()))
    }

    /// How often (5–300 s) and how patiently (2–120 s, less than the interval) to check, and how many checks in
    /// a row (2–10) make a target healthy or unhealthy.
    pub fn health_check_timing(
        self,
        interval_seconds: u32,
        timeout_seconds: u32,
        healthy_threshold: u32,
        unhealthy_threshold: u32,
    ) -> Self {
        self.health_check_interval_seconds(interval_seconds)
            .health_check_timeout_seconds(timeout_seconds)
            .healthy_threshold_count(healthy_threshold)
            .unhealthy_threshold_count(unhealthy_threshold)
    }

    /// Registers a target. ELB accepts only private addresses (RFC 1918 or RFC 6598, or the VPC's own), never
    /// publicly routable ones.
    pub fn target(mut self, target: TargetDescription) -> Self {
        self.targets.get_or_insert_with(Vec::new).push(target);
        self
    }

    /// Sets a target group attribute, e.g. `deregistration_delay.timeout_seconds`.
    pub fn attribute(mut self, key: &str, value: impl Into<Expr>) -> Self {
        set_attribute(
            self.target_group_attributes.get_or_insert_with(Vec::new),
            key,
            value.into(),
        );
        self
    }
}

/// The constructors of a listener's and a rule's action, whose types CloudFormation's schemas keep apart.
macro_rules! action_constructors {
    ($module:ident) => {
        impl $module::Action {
            /// Sends the request to the target group with ARN `target_group_arn` (`Ref` of a [`TargetGroup`]).
            pub fn forward(target_group_arn: Expr) -> Self {
                Self::new($module::Type::Forward).target_group_arn(target_group_arn)
            }

            /// Answers without a backend: `status_code` is a 2xx, 4xx or 5xx code, e.g. `404` for unmatched
            /// requests.
            pub fn fixed_response(
                status_code: u16,
                content_type: &str,
                message_body: &str,
            ) -> Self {
                let config = $module::FixedResponseConfig::new(status_code.to_string())
                    .content_type(content_type)
                    .message_body(message_body);
                Self::new($module::Type::FixedResponse).fixed_response_config(config)
            }
        }
    };
}

action_constructors!(listener);
action_constructors!(listener_rule);

/// The TLS negotiation policies an HTTPS listener may use: TLS 1.2 or later with forward-secret AEAD ciphers
/// only, the strong cryptography PCI DSS 4.2.1 asks for. Older policies (TLS 1.0/1.1, CBC ciphers) are not
/// offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslPolicy {
    /// TLS 1.3 and TLS 1.2, the policy AWS recommends.
    Tls13And12,
    /// TLS 1.3 and TLS 1.2 with the restricted (AES-GCM, ECDHE) cipher list.
    Tls13And12Restricted,
    /// TLS 1.3 only.
    Tls13Only,
}

impl From<SslPolicy> for Expr {
    fn from(value: SslPolicy) -> Expr {
        Expr::lit(match value {
            SslPolicy::Tls13And12 => "ELBSecurityPolicy-TLS13-1-2-2021-06",
            SslPolicy::Tls13And12Restricted => "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
            SslPolicy::Tls13Only => "ELBSecurityPolicy-TLS13-1-3-2021-06",
        })
    }
}

impl Listener {
    /// A listener that terminates HTTPS: it takes the certificate and the TLS policy, so it never accepts
    /// plaintext (PCI DSS 4.2.1) and never falls back to the ELB default policy, which still allows TLS 1.0.
    /// `certificate_arn` is an ACM certificate: the PCI DSS rule `ELBV2_ACM_CERTIFICATE_REQUIRED` accepts a
    /// literal ACM ARN or a `Ref` to an `AWS::CertificateManager::Certificate` in the same template.
    pub fn https(
        load_balancer_arn: Expr,
        port: u16,
        certificate_arn: Expr,
        ssl_policy: SslPolicy,
        default_action: Action,
    ) -> Self {
        Listener::new(
            vec![Certificate::new().certificate_arn(certificate_arn)],
            vec![default_action],
            load_balancer_arn,
            port,
            listener::Protocol::Https,
            ssl_policy,
        )
    }
}

fn strings(values: &[&str]) -> Vec<Expr> {
    values.iter().map(|v| Expr::lit(*v)).collect()
}

impl RuleCondition {
    /// The header `name` has one of `values` (case-insensitive; `*` and `?` are wildcards).
    pub fn http_header(name: impl Into<String>, values: &[&str]) -> Self {
        RuleCondition::new()
            .field("http-header")
            .http_header_config(
                HttpHeaderConfig::new()
                    .http_header_name(name.into())
                    .values(strings(values)),
            )
    }

    /// The path matches one of `patterns` (case-sensitive; `*` and `?` are wildcards).
    pub fn path_pattern(patterns: &[&str]) -> Self {
        RuleCondition::new()
            .field("path-pattern")
            .path_pattern_config(PathPatternConfig::new().values(strings(patterns)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn internal_alb_drops_invalid_headers_and_keeps_one_value_per_attribute() {
        let alb = LoadBalancer::internal_application(vec!["a".into(), "b".into()], vec![], true)
            .attribute("deletion_protection.enabled", "false");
        let value = serde_json::to_value(&alb).unwrap();
        assert_eq!(value["Type"], json!("application"));
        assert_eq!(value["Scheme"], json!("internal"));
        assert_eq!(
            value["LoadBalancerAttributes"],
            json!([
                {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
                {"Key": "deletion_protection.enabled", "Value": "false"},
            ])
        );
    }

    #[test]
    fn targets_outside_the_vpc_are_in_all_zones() {
        let group = TargetGroup::https_ip("vpc".into(), 443)
            .health_check("/health", "200")
            .target(TargetDescription::ip_outside_vpc("10.9.0.5").port(8443));
        let value = serde_json::to_value(&group).unwrap();
        assert_eq!(value["TargetType"], json!("ip"));
        assert_eq!(value["Protocol"], json!("HTTPS"));
        assert_eq!(value["Port"], json!(443));
        assert_eq!(value["HealthCheckProtocol"], json!("HTTPS"));
        assert_eq!(value["Matcher"], json!({"HttpCode": "200"}));
        assert_eq!(
            value["Targets"],
            json!([{"Id": "10.9.0.5", "Port": 8443, "AvailabilityZone": "all"}])
        );
    }

    #[test]
    fn https_listener_and_header_rule_render() {
        let listener = Listener::https(
            "alb".into(),
            443,
            "cert".into(),
            SslPolicy::Tls13And12,
            Action::forward("prod".into()),
        );
        let value = serde_json::to_value(&listener).unwrap();
        assert_eq!(value["Protocol"], json!("HTTPS"));
        assert_eq!(value["Port"], json!(443));
        assert_eq!(
            value["SslPolicy"],
            json!("ELBSecurityPolicy-TLS13-1-2-2021-06")
        );
        assert_eq!(value["Certificates"], json!([{"CertificateArn": "cert"}]));
        assert_eq!(
            value["DefaultActions"],
            json!([{"Type": "forward", "TargetGroupArn": "prod"}])
        );
        let rule = ListenerRule::new(
            vec![RuleAction::fixed_response(404, "text/plain", "none")],
            vec![RuleCondition::http_header("X-Backend", &["migration"])],
            "listener",
            10,
        );
        let value = serde_json::to_value(&rule).unwrap();
        assert_eq!(value["ListenerArn"], json!("listener"));
        assert_eq!(value["Priority"], json!(10));
        assert_eq!(
            value["Conditions"],
            json!([{"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Backend", "Values": ["migration"]}}])
        );
        assert_eq!(
            value["Actions"],
            json!([{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain", "MessageBody": "none"}}])
        );
    }
}
