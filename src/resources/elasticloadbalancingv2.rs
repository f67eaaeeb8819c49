//! Elastic Load Balancing: an internal Application Load Balancer with HTTPS listeners, `ip` target groups and
//! header-based rules, which splits traffic between the production and the migration backends.

use schemars::JsonSchema;
use serde::Serialize;

use crate::cfn::{Expr, Tag};
use crate::resources::s3::BucketName;
use crate::{optional_properties, resource_type};

/// A `{Key, Value}` attribute of a load balancer or target group. Values are strings even for booleans and
/// numbers.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Attribute {
    key: String,
    value: Expr,
}

/// Sets `key` to `value` in `attributes`, replacing an earlier value, so a builder call overrides a default.
fn set_attribute(attributes: &mut Vec<Attribute>, key: &str, value: Expr) {
    match attributes.iter_mut().find(|a| a.key == key) {
        Some(existing) => existing.value = value,
        None => attributes.push(Attribute {
            key: key.to_string(),
            value,
        }),
    }
}

fn flag(enabled: bool) -> Expr {
    Expr::lit(if enabled { "true" } else { "false" })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum LoadBalancerType {
    Application,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
enum Scheme {
    Internal,
}

/// The IP versions on which the load balancer accepts connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum IpAddressType {
    /// IPv4 only, CloudFormation's default.
    Ipv4,
    /// IPv4 and IPv6: every subnet of the load balancer needs an IPv6 CIDR block.
    Dualstack,
}

/// `AWS::ElasticLoadBalancingV2::LoadBalancer`: an internal Application Load Balancer, with no public address
/// (PCI DSS 1.3.1).
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct LoadBalancer {
    #[serde(rename = "Type")]
    kind: LoadBalancerType,
    scheme: Scheme,
    subnets: Vec<Expr>,
    security_groups: Vec<Expr>,
    load_balancer_attributes: Vec<Attribute>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ip_address_type: Option<IpAddressType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl LoadBalancer {
    /// An internal ALB in `subnets` (at least two, in different Availability Zones). It drops requests with
    /// header fields that are not valid HTTP, which request smuggling relies on (PCI DSS 6.2.4; the rule
    /// `ALB_HTTP_DROP_INVALID_HEADER_ENABLED`). Deletion protection is a choice, not a default, because it also
    /// blocks deleting the stack.
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
        LoadBalancer {
            kind: LoadBalancerType::Application,
            scheme: Scheme::Internal,
            subnets,
            security_groups,
            load_balancer_attributes: attributes,
            name: None,
            ip_address_type: None,
            tags: None,
        }
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

    optional_properties! {
        /// At most 32 characters; a name makes replacement fail, so leave it to CloudFormation unless it must be
        /// known in advance.
        name: Expr,
        /// IPv4 unless set.
        ip_address_type: IpAddressType,
    }
}

resource_type!(LoadBalancer, "AWS::ElasticLoadBalancingV2::LoadBalancer", tags: list, attributes {
    ref:
    /// The load balancer's ARN, which `Ref` returns: what a [`Listener`] takes.
    load_balancer_arn,
    /// The DNS name; an internal load balancer's resolves to private addresses only.
    dns_name => "DNSName",
    /// `app/{name}/{id}`: the `LoadBalancer` dimension of CloudWatch metrics.
    load_balancer_full_name => "LoadBalancerFullName",
    /// The Route 53 hosted zone of the DNS name, which an alias record to the load balancer names.
    canonical_hosted_zone_id => "CanonicalHostedZoneID",
    /// The name, given or generated by CloudFormation.
    load_balancer_name => "LoadBalancerName",
});

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum TargetType {
    Ip,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
enum Protocol {
    Https,
}

/// The protocol the load balancer speaks to the targets of a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum ProtocolVersion {
    /// HTTP/1.1, the default: requests that arrive over HTTP/2 reach the targets as HTTP/1.1.
    Http1,
    /// HTTP/2, for requests that arrive over HTTP/2.
    Http2,
    /// gRPC, for gRPC requests only.
    Grpc,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct Matcher {
    http_code: String,
}

/// One registered target of an `ip` target group.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct TargetDescription {
    id: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    availability_zone: Option<String>,
}

impl TargetDescription {
    /// A target inside the load balancer's VPC, at the group's port unless [`TargetDescription::port`] says
    /// otherwise.
    pub fn ip(address: impl Into<Expr>) -> Self {
        TargetDescription {
            id: address.into(),
            port: None,
            availability_zone: None,
        }
    }

    /// A target outside the VPC (a peered or Transit Gateway-attached network, or on premises): ELB requires
    /// `AvailabilityZone: all` for an address outside the VPC's CIDR blocks.
    pub fn ip_outside_vpc(address: impl Into<Expr>) -> Self {
        TargetDescription {
            availability_zone: Some("all".into()),
            ..Self::ip(address)
        }
    }

    /// The port this target listens on, if not the group's.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }
}

/// `AWS::ElasticLoadBalancingV2::TargetGroup` of IP addresses reached over HTTPS, so traffic stays encrypted
/// between the load balancer and the backends (PCI DSS 4.2.1). `ip` targets need a port, protocol and VPC
/// (cfn-lint), so all three are fixed or constructor arguments. Health checks use HTTPS too.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct TargetGroup {
    target_type: TargetType,
    protocol: Protocol,
    port: u16,
    vpc_id: Expr,
    health_check_protocol: Protocol,
    #[serde(skip_serializing_if = "Option::is_none")]
    protocol_version: Option<ProtocolVersion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    health_check_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    health_check_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    health_check_port: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    health_check_interval_seconds: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    health_check_timeout_seconds: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    healthy_threshold_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unhealthy_threshold_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    matcher: Option<Matcher>,
    #[serde(skip_serializing_if = "Option::is_none")]
    targets: Option<Vec<TargetDescription>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_group_attributes: Option<Vec<Attribute>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl TargetGroup {
    /// A group in `vpc_id` whose targets listen for HTTPS on `port`. The load balancer does not validate the
    /// targets' certificates, so a self-signed one is enough.
    pub fn https_ip(vpc_id: Expr, port: u16) -> Self {
        TargetGroup {
            target_type: TargetType::Ip,
            protocol: Protocol::Https,
            port,
            vpc_id,
            health_check_protocol: Protocol::Https,
            protocol_version: None,
            health_check_enabled: None,
            health_check_path: None,
            health_check_port: None,
            health_check_interval_seconds: None,
            health_check_timeout_seconds: None,
            healthy_threshold_count: None,
            unhealthy_threshold_count: None,
            matcher: None,
            targets: None,
            target_group_attributes: None,
            name: None,
            tags: None,
        }
    }

    /// Checks `path` and counts the codes in `http_codes` (e.g. `200` or `200-299`) as healthy.
    pub fn health_check(mut self, path: impl Into<String>, http_codes: impl Into<String>) -> Self {
        self.health_check_enabled = Some(true);
        self.health_check_path = Some(path.into());
        self.matcher = Some(Matcher {
            http_code: http_codes.into(),
        });
        self
    }

    /// How often (5–300 s) and how patiently (2–120 s, less than the interval) to check, and how many checks in
    /// a row (2–10) make a target healthy or unhealthy.
    pub fn health_check_timing(
        mut self,
        interval_seconds: u32,
        timeout_seconds: u32,
        healthy_threshold: u32,
        unhealthy_threshold: u32,
    ) -> Self {
        self.health_check_interval_seconds = Some(interval_seconds);
        self.health_check_timeout_seconds = Some(timeout_seconds);
        self.healthy_threshold_count = Some(healthy_threshold);
        self.unhealthy_threshold_count = Some(unhealthy_threshold);
        self
    }

    /// Checks health on `port` instead of the traffic port.
    pub fn health_check_port(mut self, port: u16) -> Self {
        self.health_check_port = Some(port.to_string());
        self
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

    optional_properties! {
        /// HTTP/1.1 unless set.
        protocol_version: ProtocolVersion,
        /// At most 32 characters; a name makes replacement fail.
        name: Expr,
    }
}

resource_type!(TargetGroup, "AWS::ElasticLoadBalancingV2::TargetGroup", tags: list, attributes {
    ref:
    /// The target group's ARN, which `Ref` returns: what [`Action::forward`] takes.
    target_group_arn,
    /// `targetgroup/{name}/{id}`: the `TargetGroup` dimension of CloudWatch metrics.
    target_group_full_name => "TargetGroupFullName",
    /// The name, given or generated by CloudFormation.
    target_group_name => "TargetGroupName",
});

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
enum ActionType {
    Forward,
    FixedResponse,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct FixedResponseConfig {
    status_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_body: Option<String>,
}

/// What a listener or rule does with a request.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Action {
    #[serde(rename = "Type")]
    kind: ActionType,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_group_arn: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fixed_response_config: Option<FixedResponseConfig>,
}

impl Action {
    /// Sends the request to the target group with ARN `target_group_arn` (`Ref` of a [`TargetGroup`]).
    pub fn forward(target_group_arn: Expr) -> Self {
        Action {
            kind: ActionType::Forward,
            target_group_arn: Some(target_group_arn),
            fixed_response_config: None,
        }
    }

    /// Answers without a backend: `status_code` is a 2xx, 4xx or 5xx code, e.g. `404` for unmatched requests.
    pub fn fixed_response(status_code: u16, content_type: &str, message_body: &str) -> Self {
        Action {
            kind: ActionType::FixedResponse,
            target_group_arn: None,
            fixed_response_config: Some(FixedResponseConfig {
                status_code: status_code.to_string(),
                content_type: Some(content_type.to_string()),
                message_body: Some(message_body.to_string()),
            }),
        }
    }
}

/// The TLS negotiation policies an HTTPS listener may use: TLS 1.2 or later with forward-secret AEAD ciphers
/// only, the strong cryptography PCI DSS 4.2.1 asks for. Older policies (TLS 1.0/1.1, CBC ciphers) are not
/// offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub enum SslPolicy {
    /// TLS 1.3 and TLS 1.2, the policy AWS recommends.
    #[serde(rename = "ELBSecurityPolicy-TLS13-1-2-2021-06")]
    Tls13And12,
    /// TLS 1.3 and TLS 1.2 with the restricted (AES-GCM, ECDHE) cipher list.
    #[serde(rename = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06")]
    Tls13And12Restricted,
    /// TLS 1.3 only.
    #[serde(rename = "ELBSecurityPolicy-TLS13-1-3-2021-06")]
    Tls13Only,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct Certificate {
    certificate_arn: Expr,
}

/// `AWS::ElasticLoadBalancingV2::Listener` that terminates HTTPS: the only constructor takes the certificate and
/// the TLS policy, so a listener never accepts plaintext (PCI DSS 4.2.1) and never falls back to the ELB default
/// policy, which still allows TLS 1.0.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Listener {
    load_balancer_arn: Expr,
    port: u16,
    protocol: Protocol,
    ssl_policy: SslPolicy,
    certificates: Vec<Certificate>,
    default_actions: Vec<Action>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl Listener {
    /// `certificate_arn` is an ACM certificate: the PCI DSS rule `ELBV2_ACM_CERTIFICATE_REQUIRED` accepts a
    /// literal ACM ARN or a `Ref` to an `AWS::CertificateManager::Certificate` in the same template.
    pub fn https(
        load_balancer_arn: Expr,
        port: u16,
        certificate_arn: Expr,
        ssl_policy: SslPolicy,
        default_action: Action,
    ) -> Self {
        Listener {
            load_balancer_arn,
            port,
            protocol: Protocol::Https,
            ssl_policy,
            certificates: vec![Certificate { certificate_arn }],
            default_actions: vec![default_action],
            tags: None,
        }
    }
}

resource_type!(Listener, "AWS::ElasticLoadBalancingV2::Listener", tags: list, attributes {
    ref:
    /// The listener's ARN, which `Ref` returns: what [`ListenerRule::new`] takes.
    listener_arn,
});

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
enum ConditionField {
    HttpHeader,
    PathPattern,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct HttpHeaderConfig {
    http_header_name: String,
    values: Vec<String>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct PathPatternConfig {
    values: Vec<String>,
}

/// A condition of a listener rule; a rule matches when all its conditions do.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct RuleCondition {
    field: ConditionField,
    #[serde(skip_serializing_if = "Option::is_none")]
    http_header_config: Option<HttpHeaderConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path_pattern_config: Option<PathPatternConfig>,
}

impl RuleCondition {
    /// The header `name` has one of `values` (case-insensitive; `*` and `?` are wildcards).
    pub fn http_header(name: impl Into<String>, values: &[&str]) -> Self {
        RuleCondition {
            field: ConditionField::HttpHeader,
            http_header_config: Some(HttpHeaderConfig {
                http_header_name: name.into(),
                values: values.iter().map(|v| v.to_string()).collect(),
            }),
            path_pattern_config: None,
        }
    }

    /// The path matches one of `patterns` (case-sensitive; `*` and `?` are wildcards).
    pub fn path_pattern(patterns: &[&str]) -> Self {
        RuleCondition {
            field: ConditionField::PathPattern,
            http_header_config: None,
            path_pattern_config: Some(PathPatternConfig {
                values: patterns.iter().map(|v| v.to_string()).collect(),
            }),
        }
    }
}

/// `AWS::ElasticLoadBalancingV2::ListenerRule`. CloudFormation's schema does not require `ListenerArn`, but a
/// rule belongs to exactly one listener, so it is a constructor argument.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ListenerRule {
    listener_arn: Expr,
    /// 1 to 50,000, unique per listener; lower is evaluated first.
    priority: u16,
    conditions: Vec<RuleCondition>,
    actions: Vec<Action>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl ListenerRule {
    /// A rule of the listener `listener_arn` that applies `action` to requests matching `condition`. `priority` is
    /// 1 to 50,000, unique per listener; lower is evaluated first.
    pub fn new(
        listener_arn: Expr,
        priority: u16,
        condition: RuleCondition,
        action: Action,
    ) -> Self {
        ListenerRule {
            listener_arn,
            priority,
            conditions: vec![condition],
            actions: vec![action],
            tags: None,
        }
    }

    /// Adds a condition that must hold as well.
    pub fn and_condition(mut self, condition: RuleCondition) -> Self {
        self.conditions.push(condition);
        self
    }
}

resource_type!(ListenerRule, "AWS::ElasticLoadBalancingV2::ListenerRule", tags: list, attributes {
    ref:
    /// The rule's ARN, which `Ref` returns.
    rule_arn,
});

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
            "listener".into(),
            10,
            RuleCondition::http_header("X-Backend", &["migration"]),
            Action::forward("migration".into()),
        );
        let value = serde_json::to_value(&rule).unwrap();
        assert_eq!(
            value["Conditions"],
            json!([{"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Backend", "Values": ["migration"]}}])
        );
    }
}
