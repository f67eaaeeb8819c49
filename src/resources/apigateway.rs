//! Amazon API Gateway REST APIs: the API, its resources and methods, a Lambda authorizer, and the deployment and
//! stage that publish it. The types are generated (in `src/resources/generated/apigateway.rs`); the opinion on
//! top of them is written here.
//!
//! A [`Deployment`] is an immutable snapshot of the API. CloudFormation creates a new one only when the
//! resource's logical id changes, so derive the id from the API's content
//! ([`crate::cfn::LogicalId::with_content_hash`]) and make it depend on every method. Give it no `StageName`: that
//! would create a stage outside the template's control; a [`Stage`] points at the deployment instead.
//!
//! A [`Stage`] serves its deployment at `https://{api-id}.execute-api.{region}.amazonaws.com/{stage_name}`. The
//! name takes letters, digits, `-` and `_` (at most 128) and cannot change without replacing the stage.
//!
//! [`Account`] holds the region-wide role API Gateway uses to write execution logs to CloudWatch Logs. There is
//! one per account and region: two stacks declaring it overwrite each other's role. The role must trust
//! `apigateway.amazonaws.com` and may write to CloudWatch Logs (AWS's managed policy
//! `AmazonAPIGatewayPushToCloudWatchLogs` grants exactly that).

pub use super::generated::apigateway::*;
pub use method::{
    ConnectionType, HttpMethod, Integration, PassthroughBehavior, Type as IntegrationType,
};
pub use rest_api::{EndpointConfiguration, EndpointType};
pub use stage::{AccessLogSetting, LoggingLevel, MethodSetting};

use std::collections::BTreeMap;

use crate::cfn::Expr;
use crate::resources::iam::PolicyDocument;

impl RestApi {
    /// A private API, reachable only through the given `execute-api` VPC endpoints (PCI DSS 1.3: no path from the
    /// internet), which it always names. A private API without a resource policy rejects every call, so the
    /// policy is required; it should allow `execute-api:Invoke` only with `aws:SourceVpce` equal to these
    /// endpoints. Defined by its resources and methods (no OpenAPI body), the API needs a name (cfn-lint).
    pub fn private(
        name: impl Into<Expr>,
        vpc_endpoint_ids: Vec<Expr>,
        policy: PolicyDocument,
    ) -> Self {
        let endpoints = EndpointConfiguration::new()
            .types(vec![EndpointType::Private])
            .vpc_endpoint_ids(vpc_endpoint_ids);
        RestApi::new(endpoints, name).policy(policy)
    }

    /// A regional API, reachable from the internet unless its resource policy or `disable_execute_api_endpoint`
    /// (with a custom domain name) says otherwise.
    pub fn regional(name: impl Into<Expr>) -> Self {
        let endpoints = EndpointConfiguration::new().types(vec![EndpointType::Regional]);
        RestApi::new(endpoints, name)
    }
}

impl Resource {
    /// `{proxy+}`: matches every path below `parent_id` (the API's `root_resource_id` or another resource's id),
    /// which reaches the integration as the `proxy` path parameter (`method.request.path.proxy`). Other path
    /// parts ([`Resource::new`]) are literal text, a `{name}` path parameter, or `{name+}` for everything below.
    pub fn greedy_proxy(rest_api_id: Expr, parent_id: Expr) -> Self {
        Resource::new(parent_id, "{proxy+}", rest_api_id)
    }
}

impl Integration {
    /// `HTTP_PROXY` to `uri` through a VPC link V2 (`AWS::ApiGatewayV2::VpcLink`) to a private load balancer,
    /// which REST APIs name in `IntegrationTarget`; the request and response pass unchanged. CloudFormation's
    /// `AWS::ApiGateway::Method` has no `TlsConfig` (cfn-lint 1.58's schema lacks it), so an HTTPS backend's
    /// certificate must be valid for the host in `uri`.
    pub fn http_proxy_via_vpc_link(
        http_method: HttpMethod,
        uri: Expr,
        vpc_link_id: Expr,
        load_balancer_arn: Expr,
    ) -> Self {
        Integration::new(IntegrationType::HttpProxy)
            .integration_http_method(http_method)
            .uri(uri)
            .connection_type(ConnectionType::VpcLink)
            .connection_id(vpc_link_id)
            .integration_target(load_balancer_arn)
    }

    /// `HTTP_PROXY` to a public `uri`, whose certificate must be valid for its host (as for
    /// [`Integration::http_proxy_via_vpc_link`]).
    pub fn http_proxy(http_method: HttpMethod, uri: Expr) -> Self {
        Integration::new(IntegrationType::HttpProxy)
            .integration_http_method(http_method)
            .uri(uri)
            .connection_type(ConnectionType::Internet)
    }

    /// Maps `integration.request.{location}.{name}` to a method request value or a literal (in single quotes),
    /// e.g. `integration.request.path.proxy` ← `method.request.path.proxy`.
    pub fn request_parameter(mut self, integration: &str, source: impl Into<Expr>) -> Self {
        self.request_parameters
            .get_or_insert_with(BTreeMap::new)
            .insert(integration.to_string(), source.into());
        self
    }
}

impl Method {
    /// The constructors fix how callers are authorized (`NONE`, `AWS_IAM` or `CUSTOM`), so a `CUSTOM` method
    /// always names its authorizer and an authorizer is never attached to a method that would ignore it.
    fn authorized(
        rest_api_id: Expr,
        resource_id: Expr,
        http_method: HttpMethod,
        authorization_type: &str,
        integration: Integration,
    ) -> Self {
        Method::new(
            authorization_type,
            http_method,
            integration,
            resource_id,
            rest_api_id,
        )
    }

    /// Every call is authorized by `authorizer_id` (an [`Authorizer`] of the same API; cfn-lint checks both):
    /// a `CUSTOM` method built here always names its authorizer.
    pub fn with_authorizer(
        rest_api_id: Expr,
        resource_id: Expr,
        http_method: HttpMethod,
        authorizer_id: Expr,
        integration: Integration,
    ) -> Self {
        Self::authorized(rest_api_id, resource_id, http_method, "CUSTOM", integration)
            .authorizer_id(authorizer_id)
    }

    /// Callers sign requests with IAM credentials (SigV4); no authorizer is attached, which the method would
    /// ignore.
    pub fn with_iam(
        rest_api_id: Expr,
        resource_id: Expr,
        http_method: HttpMethod,
        integration: Integration,
    ) -> Self {
        Self::authorized(
            rest_api_id,
            resource_id,
            http_method,
            "AWS_IAM",
            integration,
        )
    }

    /// No authorization at the API: only for calls the backend authenticates itself, such as CORS preflight.
    pub fn unauthenticated(
        rest_api_id: Expr,
        resource_id: Expr,
        http_method: HttpMethod,
        integration: Integration,
    ) -> Self {
        Self::authorized(rest_api_id, resource_id, http_method, "NONE", integration)
    }

    /// Declares `method.request.{location}.{name}` (e.g. `method.request.path.proxy`) and whether the request
    /// must carry it.
    pub fn request_parameter(mut self, name: &str, required: bool) -> Self {
        self.request_parameters
            .get_or_insert_with(BTreeMap::new)
            .insert(name.to_string(), required);
        self
    }
}

impl Authorizer {
    /// A `REQUEST` authorizer that calls `function_arn` for every request: the TTL is 0, so a revoked caller is
    /// refused at once rather than when a cached allow expires, and with no cache no identity source is needed.
    /// The function needs an [`super::lambda::Permission`] for `apigateway.amazonaws.com` (or
    /// [`Authorizer::authorizer_credentials`], a role API Gateway assumes to invoke it instead).
    pub fn lambda_request(rest_api_id: Expr, name: impl Into<String>, function_arn: Expr) -> Self {
        Authorizer::new(
            0,
            lambda_invocation_uri(function_arn),
            name.into(),
            rest_api_id,
            "REQUEST",
        )
    }

    /// Caches the function's answer for `ttl_seconds` (at most 3,600), keyed by `identity_source` (e.g.
    /// `method.request.header.Authorization`), which a request must carry or be refused without a call.
    pub fn cached(self, identity_source: impl Into<String>, ttl_seconds: u32) -> Self {
        self.identity_source(identity_source.into())
            .authorizer_result_ttl_in_seconds(ttl_seconds)
    }
}

/// The URI through which API Gateway invokes a Lambda function.
pub fn lambda_invocation_uri(function_arn: Expr) -> Expr {
    Expr::sub_with(
        "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${FunctionArn}/invocations",
        [("FunctionArn", function_arn)],
    )
}

impl MethodSetting {
    /// Settings for the methods matching `resource_path` and `http_method` (`/*` and `*`: all of them).
    /// `resource_path` is the path with `/` written `~1` and starting with `/` (e.g. `/~1orders/GET`'s path
    /// `/~1orders`); `/*` matches every resource. Data trace (full request and response bodies in the execution
    /// log) is off: payment requests carry cardholder data, which must not land in logs (PCI DSS 3.3, 3.4).
    /// Execution logging (`logging_level`, a [`LoggingLevel`]) needs the account's [`Account`] role; detailed
    /// metrics (`metrics_enabled`, per resource and method on top of the per-stage ones) are charged at
    /// CloudWatch's rates.
    pub fn for_methods(resource_path: impl Into<String>, http_method: impl Into<String>) -> Self {
        MethodSetting::new()
            .resource_path(resource_path.into())
            .http_method(http_method.into())
            .data_trace_enabled(false)
    }

    /// Settings for every method of the stage (`/*` and `*`); a setting for a specific method overrides it.
    pub fn all_methods() -> Self {
        Self::for_methods("/*", "*")
    }

    /// Requests per second (steady) and the burst above it.
    pub fn throttling(self, rate_limit: f64, burst_limit: u32) -> Self {
        self.throttling_rate_limit(rate_limit)
            .throttling_burst_limit(burst_limit)
    }

    /// Caches responses, encrypted (PCI DSS 3.5; the rule `API_GW_CACHE_ENABLED_AND_ENCRYPTED`); the stage needs
    /// a cache cluster ([`Stage::cache_cluster`]).
    pub fn encrypted_cache(self) -> Self {
        self.caching_enabled(true).cache_data_encrypted(true)
    }
}

/// An access log line as JSON: who called (source IP, authorizer principal), what (method, path, protocol), when,
/// and the outcome with its cause (status, authorizer and integration errors), as PCI DSS 10.2.2 asks of audit
/// records. No headers or bodies.
pub const ACCESS_LOG_FORMAT: &str = concat!(
    r#"{"requestId":"$context.requestId","extendedRequestId":"$context.extendedRequestId","#,
    r#""requestTime":"$context.requestTime","sourceIp":"$context.identity.sourceIp","#,
    r#""vpceId":"$context.identity.vpceId","principalId":"$context.authorizer.principalId","#,
    r#""httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","path":"$context.path","#,
    r#""protocol":"$context.protocol","status":"$context.status","responseLength":"$context.responseLength","#,
    r#""authorizerError":"$context.authorizer.error","integrationStatus":"$context.integration.status","#,
    r#""integrationError":"$context.integration.error","integrationLatency":"$context.integration.latency"}"#
);

impl Stage {
    /// Writes an access log line per request, in [`ACCESS_LOG_FORMAT`], to the log group whose ARN is
    /// `destination_arn` (PCI DSS 10.2.1).
    pub fn access_logs(self, destination_arn: Expr) -> Self {
        self.access_logs_formatted(destination_arn, ACCESS_LOG_FORMAT)
    }

    /// Access logs in a format of the caller's, built from `$context` variables; API Gateway requires it to
    /// include `$context.requestId` or `$context.extendedRequestId`. Leave out headers and bodies: they can carry
    /// cardholder data (PCI DSS 3.3, 3.4).
    pub fn access_logs_formatted(self, destination_arn: Expr, format: impl Into<String>) -> Self {
        self.access_log_setting(
            AccessLogSetting::new()
                .destination_arn(destination_arn)
                .format(format.into()),
        )
    }

    /// A stage variable, readable as `${stageVariables.name}` in integration URIs.
    pub fn variable(mut self, name: &str, value: impl Into<Expr>) -> Self {
        self.variables
            .get_or_insert_with(BTreeMap::new)
            .insert(name.to_string(), value.into());
        self
    }

    /// Adds settings for the methods `setting` matches.
    pub fn method_setting(mut self, setting: MethodSetting) -> Self {
        self.method_settings
            .get_or_insert_with(Vec::new)
            .push(setting);
        self
    }

    /// A response cache of `size` GB (`0.5`, `1.6`, `6.1`, …), which [`MethodSetting::encrypted_cache`] uses.
    pub fn cache_cluster(self, size: impl Into<String>) -> Self {
        self.cache_cluster_enabled(true)
            .cache_cluster_size(size.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn vpc_link_v2_integration_names_the_load_balancer() {
        let integration = Integration::http_proxy_via_vpc_link(
            HttpMethod::Any,
            "https://api.internal/{proxy}".into(),
            "link".into(),
            "alb-arn".into(),
        )
        .request_parameter(
            "integration.request.path.proxy",
            "method.request.path.proxy",
        );
        let method = Method::with_authorizer(
            "api".into(),
            "res".into(),
            HttpMethod::Any,
            "auth".into(),
            integration,
        )
        .request_parameter("method.request.path.proxy", true);
        let value = serde_json::to_value(&method).unwrap();
        assert_eq!(value["AuthorizationType"], json!("CUSTOM"));
        assert_eq!(value["AuthorizerId"], json!("auth"));
        assert_eq!(value["HttpMethod"], json!("ANY"));
        assert_eq!(value["ResourceId"], json!("res"));
        assert_eq!(value["RestApiId"], json!("api"));
        assert_eq!(
            value["Integration"],
            json!({
                "Type": "HTTP_PROXY",
                "IntegrationHttpMethod": "ANY",
                "Uri": "https://api.internal/{proxy}",
                "ConnectionType": "VPC_LINK",
                "ConnectionId": "link",
                "IntegrationTarget": "alb-arn",
                "RequestParameters": {"integration.request.path.proxy": "method.request.path.proxy"},
            })
        );
        assert_eq!(
            value["RequestParameters"],
            json!({"method.request.path.proxy": true})
        );
    }

    #[test]
    fn request_authorizer_does_not_cache_by_default() {
        let value =
            serde_json::to_value(Authorizer::lambda_request("api".into(), "a", "fn".into()))
                .unwrap();
        assert_eq!(value["Type"], json!("REQUEST"));
        assert_eq!(value["Name"], json!("a"));
        assert_eq!(value["RestApiId"], json!("api"));
        assert_eq!(value["AuthorizerResultTtlInSeconds"], json!(0));
        assert!(value.get("IdentitySource").is_none());
    }

    #[test]
    fn greedy_proxy_sits_under_its_parent() {
        let value =
            serde_json::to_value(Resource::greedy_proxy("api".into(), "root".into())).unwrap();
        assert_eq!(
            value,
            json!({"ParentId": "root", "PathPart": "{proxy+}", "RestApiId": "api"})
        );
    }

    #[test]
    fn method_settings_never_trace_data() {
        let stage = Stage::new("dep", "api", "live")
            .method_setting(MethodSetting::all_methods().logging_level(LoggingLevel::Error));
        let value = serde_json::to_value(&stage).unwrap();
        assert_eq!(value["RestApiId"], json!("api"));
        assert_eq!(value["DeploymentId"], json!("dep"));
        assert_eq!(
            value["MethodSettings"],
            json!([{"ResourcePath": "/*", "HttpMethod": "*", "DataTraceEnabled": false, "LoggingLevel": "ERROR"}])
        );
        let format: serde_json::Value = serde_json::from_str(ACCESS_LOG_FORMAT).unwrap();
        assert_eq!(format["requestId"], json!("$context.requestId"));
    }
}
