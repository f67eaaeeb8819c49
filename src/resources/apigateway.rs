//! Amazon API Gateway REST APIs: the API, its resources and methods, a Lambda authorizer, and the deployment and
//! stage that publish it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::iam::PolicyDocument;
use crate::cfn::{Expr, Tag};
use crate::resources::iam::RoleArn;
use crate::{optional_properties, physical_name, resource_type};

/// Where a REST API's endpoint can be reached from (`EndpointConfiguration.Types`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum EndpointType {
    /// Reachable only through `execute-api` interface VPC endpoints.
    Private,
    /// Public, served from the API's own region.
    Regional,
    /// Public, through a CloudFront distribution that API Gateway manages; what a REST API gets when no endpoint
    /// type is given.
    Edge,
}

/// A [`RestApi`]'s endpoint type and, for a private API, the VPC endpoints it accepts calls through. Only the
/// `RestApi` constructors build one, so a private API always names its endpoints.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct EndpointConfiguration {
    types: Vec<EndpointType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vpc_endpoint_ids: Option<Vec<Expr>>,
}

/// `AWS::ApiGateway::RestApi` defined by its resources and methods (no OpenAPI body). CloudFormation requires
/// nothing, but without a body the API needs a name (cfn-lint), so the name is a constructor argument.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct RestApi {
    name: Expr,
    endpoint_configuration: EndpointConfiguration,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<PolicyDocument>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    disable_execute_api_endpoint: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl RestApi {
    /// A private API, reachable only through the given `execute-api` VPC endpoints (PCI DSS 1.3: no path from the
    /// internet). A private API without a resource policy rejects every call, so the policy is required; it
    /// should allow `execute-api:Invoke` only with `aws:SourceVpce` equal to these endpoints.
    pub fn private(
        name: impl Into<Expr>,
        vpc_endpoint_ids: Vec<Expr>,
        policy: PolicyDocument,
    ) -> Self {
        RestApi {
            name: name.into(),
            endpoint_configuration: EndpointConfiguration {
                types: vec![EndpointType::Private],
                vpc_endpoint_ids: Some(vpc_endpoint_ids),
            },
            policy: Some(policy),
            description: None,
            disable_execute_api_endpoint: None,
            tags: None,
        }
    }

    /// A regional API, reachable from the internet unless its resource policy or `disable_execute_api_endpoint`
    /// (with a custom domain name) says otherwise.
    pub fn regional(name: impl Into<Expr>) -> Self {
        RestApi {
            name: name.into(),
            endpoint_configuration: EndpointConfiguration {
                types: vec![EndpointType::Regional],
                vpc_endpoint_ids: None,
            },
            policy: None,
            description: None,
            disable_execute_api_endpoint: None,
            tags: None,
        }
    }

    optional_properties! {
        /// The resource policy.
        policy: PolicyDocument,
        /// Free text for the console; it does not affect how requests are handled.
        description: String,
        /// Turns off `https://{api-id}.execute-api.{region}.amazonaws.com`, so clients can only use a custom
        /// domain name.
        disable_execute_api_endpoint: bool,
    }
}

physical_name!(RestApi, name, "Name", |name| Expr::lit(name));

resource_type!(RestApi, "AWS::ApiGateway::RestApi", tags: list, attributes {
    ref:
    /// The API's id (e.g. `a1bcdef2gh`): the first label of its `execute-api` host name and the API part of its
    /// `execute-api` ARNs.
    rest_api_id,
    /// The id of the API's root resource (`/`), the `parent_id` of its top-level [`Resource`]s.
    root_resource_id => "RootResourceId",
});

/// `AWS::ApiGateway::Resource`: one path segment under `parent_id`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Resource {
    rest_api_id: Expr,
    parent_id: Expr,
    path_part: String,
}

impl Resource {
    /// The path segment `path_part` under `parent_id` (the API's `root_resource_id` or another resource's id):
    /// literal text, a `{name}` path parameter, or `{name+}` for everything below ([`Resource::greedy_proxy`]).
    pub fn new(rest_api_id: Expr, parent_id: Expr, path_part: impl Into<String>) -> Self {
        Resource {
            rest_api_id,
            parent_id,
            path_part: path_part.into(),
        }
    }

    /// `{proxy+}`: matches every path below `parent_id`, which reaches the integration as the `proxy` path
    /// parameter (`method.request.path.proxy`).
    pub fn greedy_proxy(rest_api_id: Expr, parent_id: Expr) -> Self {
        Self::new(rest_api_id, parent_id, "{proxy+}")
    }
}

resource_type!(Resource, "AWS::ApiGateway::Resource", tags: none, attributes {
    ref:
    /// The resource's id (e.g. `abc123`), which its [`Method`]s and child resources name.
    resource_id,
});

/// The HTTP method a [`Method`] answers, or the one an [`Integration`] uses towards its backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// `ANY`: as a method, every HTTP method that has no [`Method`] of its own on the resource.
    Any,
    /// `GET`.
    Get,
    /// `HEAD`.
    Head,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
    /// `OPTIONS`, which browsers send as a CORS preflight without credentials, hence
    /// [`Method::unauthenticated`].
    Options,
}

/// How API Gateway hands a request to the backend (`Integration.Type`). [`Integration`]'s constructors build
/// `HTTP_PROXY` only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IntegrationType {
    /// An AWS service action, with mapping templates shaping the request and the response.
    Aws,
    /// A Lambda function receiving the whole request as its event, its result being the response.
    AwsProxy,
    /// An HTTP backend, with mapping templates shaping the request and the response.
    Http,
    /// An HTTP backend receiving the request unchanged, its response returned unchanged.
    HttpProxy,
    /// No backend: API Gateway answers from the integration response's templates.
    Mock,
}

/// How API Gateway reaches an HTTP integration's backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConnectionType {
    /// Over the internet, to a public host name (the default).
    Internet,
    /// Through a VPC link (`connection_id`) to a load balancer inside a VPC, which needs no public endpoint.
    VpcLink,
}

/// What an integration with request mapping templates does with a body whose `Content-Type` none of them
/// matches. Proxy integrations pass every body through regardless.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PassthroughBehavior {
    /// Passes the body through unchanged (the default).
    WhenNoMatch,
    /// Passes it through only if the integration has no templates at all; otherwise answers
    /// `415 Unsupported Media Type`.
    WhenNoTemplates,
    /// Answers `415 Unsupported Media Type`.
    Never,
}

/// Where a method sends its requests. CloudFormation's `AWS::ApiGateway::Method` has no `TlsConfig` (cfn-lint
/// 1.58's schema lacks it), so an HTTPS backend's certificate must be valid for the host in `uri`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Integration {
    #[serde(rename = "Type")]
    kind: IntegrationType,
    #[serde(skip_serializing_if = "Option::is_none")]
    integration_http_method: Option<HttpMethod>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    connection_type: Option<ConnectionType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    connection_id: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    integration_target: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_parameters: Option<BTreeMap<String, Expr>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timeout_in_millis: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    passthrough_behavior: Option<PassthroughBehavior>,
}

impl Integration {
    /// `HTTP_PROXY` to `uri` through a VPC link V2 (`AWS::ApiGatewayV2::VpcLink`) to a private load balancer,
    /// which REST APIs name in `IntegrationTarget`; the request and response pass unchanged.
    pub fn http_proxy_via_vpc_link(
        http_method: HttpMethod,
        uri: Expr,
        vpc_link_id: Expr,
        load_balancer_arn: Expr,
    ) -> Self {
        Integration {
            kind: IntegrationType::HttpProxy,
            integration_http_method: Some(http_method),
            uri: Some(uri),
            connection_type: Some(ConnectionType::VpcLink),
            connection_id: Some(vpc_link_id),
            integration_target: Some(load_balancer_arn),
            request_parameters: None,
            timeout_in_millis: None,
            passthrough_behavior: None,
        }
    }

    /// `HTTP_PROXY` to a public `uri`.
    pub fn http_proxy(http_method: HttpMethod, uri: Expr) -> Self {
        Integration {
            kind: IntegrationType::HttpProxy,
            integration_http_method: Some(http_method),
            uri: Some(uri),
            connection_type: Some(ConnectionType::Internet),
            connection_id: None,
            integration_target: None,
            request_parameters: None,
            timeout_in_millis: None,
            passthrough_behavior: None,
        }
    }

    /// Maps `integration.request.{location}.{name}` to a method request value or a literal (in single quotes),
    /// e.g. `integration.request.path.proxy` ← `method.request.path.proxy`.
    pub fn request_parameter(mut self, integration: &str, source: impl Into<Expr>) -> Self {
        self.request_parameters
            .get_or_insert_with(BTreeMap::new)
            .insert(integration.to_string(), source.into());
        self
    }

    optional_properties! {
        /// 50 ms to 29,000 ms by default (more only with a raised account quota).
        timeout_in_millis: u32,
        /// See [`PassthroughBehavior`]; it matters only where request templates exist.
        passthrough_behavior: PassthroughBehavior,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum AuthorizationType {
    None,
    AwsIam,
    Custom,
}

/// `AWS::ApiGateway::Method`. The constructors fix how callers are authorized, so a `CUSTOM` method always names
/// its authorizer and an authorizer is never attached to a method that would ignore it.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Method {
    rest_api_id: Expr,
    resource_id: Expr,
    http_method: HttpMethod,
    authorization_type: AuthorizationType,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorizer_id: Option<Expr>,
    integration: Integration,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_parameters: Option<BTreeMap<String, bool>>,
}

impl Method {
    fn new(
        rest_api_id: Expr,
        resource_id: Expr,
        http_method: HttpMethod,
        authorization_type: AuthorizationType,
        integration: Integration,
    ) -> Self {
        Method {
            rest_api_id,
            resource_id,
            http_method,
            authorization_type,
            authorizer_id: None,
            integration,
            request_parameters: None,
        }
    }

    /// Every call is authorized by `authorizer_id` (an [`Authorizer`] of the same API; cfn-lint checks both).
    pub fn with_authorizer(
        rest_api_id: Expr,
        resource_id: Expr,
        http_method: HttpMethod,
        authorizer_id: Expr,
        integration: Integration,
    ) -> Self {
        let mut method = Self::new(
            rest_api_id,
            resource_id,
            http_method,
            AuthorizationType::Custom,
            integration,
        );
        method.authorizer_id = Some(authorizer_id);
        method
    }

    /// Callers sign requests with IAM credentials (SigV4).
    pub fn with_iam(
        rest_api_id: Expr,
        resource_id: Expr,
        http_method: HttpMethod,
        integration: Integration,
    ) -> Self {
        Self::new(
            rest_api_id,
            resource_id,
            http_method,
            AuthorizationType::AwsIam,
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
        Self::new(
            rest_api_id,
            resource_id,
            http_method,
            AuthorizationType::None,
            integration,
        )
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

resource_type!(Method, "AWS::ApiGateway::Method", tags: none);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
enum AuthorizerType {
    Request,
}

/// `AWS::ApiGateway::Authorizer` backed by a Lambda function.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Authorizer {
    rest_api_id: Expr,
    name: String,
    #[serde(rename = "Type")]
    kind: AuthorizerType,
    authorizer_uri: Expr,
    authorizer_result_ttl_in_seconds: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity_source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorizer_credentials: Option<Expr>,
}

impl Authorizer {
    /// A `REQUEST` authorizer that calls `function_arn` for every request: the TTL is 0, so a revoked caller is
    /// refused at once rather than when a cached allow expires, and with no cache no identity source is needed.
    /// The function needs an [`super::lambda::Permission`] for `apigateway.amazonaws.com` (or
    /// [`Authorizer::authorizer_credentials`]).
    pub fn lambda_request(rest_api_id: Expr, name: impl Into<String>, function_arn: Expr) -> Self {
        Authorizer {
            rest_api_id,
            name: name.into(),
            kind: AuthorizerType::Request,
            authorizer_uri: lambda_invocation_uri(function_arn),
            authorizer_result_ttl_in_seconds: 0,
            identity_source: None,
            authorizer_credentials: None,
        }
    }

    /// Caches the function's answer for `ttl_seconds` (at most 3,600), keyed by `identity_source` (e.g.
    /// `method.request.header.Authorization`), which a request must carry or be refused without a call.
    pub fn cached(mut self, identity_source: impl Into<String>, ttl_seconds: u32) -> Self {
        self.identity_source = Some(identity_source.into());
        self.authorizer_result_ttl_in_seconds = ttl_seconds;
        self
    }

    optional_properties! {
        /// A role API Gateway assumes to invoke the function, instead of the function's resource policy.
        authorizer_credentials: Expr,
    }
}

/// The URI through which API Gateway invokes a Lambda function.
pub fn lambda_invocation_uri(function_arn: Expr) -> Expr {
    Expr::sub_with(
        "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${FunctionArn}/invocations",
        [("FunctionArn", function_arn)],
    )
}

resource_type!(Authorizer, "AWS::ApiGateway::Authorizer", tags: none, attributes {
    ref:
    /// The authorizer's id, which [`Method::with_authorizer`] takes.
    authorizer_id,
});

/// `AWS::ApiGateway::Deployment`: an immutable snapshot of the API. CloudFormation creates a new one only when
/// the resource's logical id changes, so derive the id from the API's content
/// ([`crate::cfn::LogicalId::with_content_hash`]) and make it depend on every method. No `StageName`: that would
/// create a stage outside the template's control; a [`Stage`] points at the deployment instead.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Deployment {
    rest_api_id: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

impl Deployment {
    /// A snapshot of `rest_api_id`'s resources and methods as they are when CloudFormation creates it.
    pub fn new(rest_api_id: Expr) -> Self {
        Deployment {
            rest_api_id,
            description: None,
        }
    }

    optional_properties! {
        /// Free text for the console; changing it updates the deployment in place and snapshots nothing new.
        description: String,
    }
}

resource_type!(Deployment, "AWS::ApiGateway::Deployment", tags: none, attributes {
    ref:
    /// The deployment's id (e.g. `123abc`), which a [`Stage`] serves.
    deployment_id,
});

/// How much a stage writes to its execution log (`API-Gateway-Execution-Logs_{api}/{stage}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum LoggingLevel {
    /// No execution log.
    Off,
    /// Error entries only.
    Error,
    /// Error entries and informational ones about every request's processing.
    Info,
}

/// Settings for the methods matching `resource_path` and `http_method` (`/*` and `*`: all of them). Data trace
/// (full request and response bodies in the execution log) is always off: payment requests carry cardholder
/// data, which must not land in logs (PCI DSS 3.3, 3.4).
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct MethodSetting {
    resource_path: String,
    http_method: String,
    data_trace_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    logging_level: Option<LoggingLevel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metrics_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    throttling_burst_limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    throttling_rate_limit: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    caching_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cache_data_encrypted: Option<bool>,
}

impl MethodSetting {
    /// `resource_path` is the path with `/` written `~1` and starting with `/` (e.g. `/~1orders/GET`'s path
    /// `/~1orders`); `/*` matches every resource.
    pub fn new(resource_path: impl Into<String>, http_method: impl Into<String>) -> Self {
        MethodSetting {
            resource_path: resource_path.into(),
            http_method: http_method.into(),
            data_trace_enabled: false,
            logging_level: None,
            metrics_enabled: None,
            throttling_burst_limit: None,
            throttling_rate_limit: None,
            caching_enabled: None,
            cache_data_encrypted: None,
        }
    }

    /// Settings for every method of the stage (`/*` and `*`); a setting for a specific method overrides it.
    pub fn all_methods() -> Self {
        Self::new("/*", "*")
    }

    /// Requests per second (steady) and the burst above it.
    pub fn throttling(mut self, rate_limit: f64, burst_limit: u32) -> Self {
        self.throttling_rate_limit = Some(rate_limit);
        self.throttling_burst_limit = Some(burst_limit);
        self
    }

    /// Caches responses, encrypted (PCI DSS 3.5; the rule `API_GW_CACHE_ENABLED_AND_ENCRYPTED`); the stage needs
    /// a cache cluster ([`Stage::cache_cluster`]).
    pub fn encrypted_cache(mut self) -> Self {
        self.caching_enabled = Some(true);
        self.cache_data_encrypted = Some(true);
        self
    }

    optional_properties! {
        /// Execution logging to `API-Gateway-Execution-Logs_{api}/{stage}`; needs the account's
        /// [`Account`] role.
        logging_level: LoggingLevel,
        /// Detailed CloudWatch metrics, per resource and method on top of the per-stage ones; charged at
        /// CloudWatch's rates.
        metrics_enabled: bool,
    }
}

/// Where a [`Stage`] writes its access log and in what format; set with [`Stage::access_logs`].
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct AccessLogSetting {
    destination_arn: Expr,
    format: String,
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

/// `AWS::ApiGateway::Stage`. CloudFormation requires only the API, but a stage without a deployment serves
/// nothing and one without a name gets none, so both are constructor arguments.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Stage {
    rest_api_id: Expr,
    deployment_id: Expr,
    stage_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tracing_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    variables: Option<BTreeMap<String, Expr>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    method_settings: Option<Vec<MethodSetting>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_log_setting: Option<AccessLogSetting>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cache_cluster_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cache_cluster_size: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

impl Stage {
    /// Serves `deployment_id` at `https://{api-id}.execute-api.{region}.amazonaws.com/{stage_name}`. The name
    /// takes letters, digits, `-` and `_` (at most 128) and cannot change without replacing the stage.
    pub fn new(rest_api_id: Expr, deployment_id: Expr, stage_name: impl Into<String>) -> Self {
        Stage {
            rest_api_id,
            deployment_id,
            stage_name: stage_name.into(),
            description: None,
            tracing_enabled: None,
            variables: None,
            method_settings: None,
            access_log_setting: None,
            cache_cluster_enabled: None,
            cache_cluster_size: None,
            tags: None,
        }
    }

    /// Writes an access log line per request, in [`ACCESS_LOG_FORMAT`], to the log group whose ARN is
    /// `destination_arn` (PCI DSS 10.2.1).
    pub fn access_logs(self, destination_arn: Expr) -> Self {
        self.access_logs_formatted(destination_arn, ACCESS_LOG_FORMAT)
    }

    /// Access logs in a format of the caller's, built from `$context` variables; API Gateway requires it to
    /// include `$context.requestId` or `$context.extendedRequestId`. Leave out headers and bodies: they can carry
    /// cardholder data (PCI DSS 3.3, 3.4).
    pub fn access_logs_formatted(
        mut self,
        destination_arn: Expr,
        format: impl Into<String>,
    ) -> Self {
        self.access_log_setting = Some(AccessLogSetting {
            destination_arn,
            format: format.into(),
        });
        self
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
    pub fn cache_cluster(mut self, size: impl Into<String>) -> Self {
        self.cache_cluster_enabled = Some(true);
        self.cache_cluster_size = Some(size.into());
        self
    }

    optional_properties! {
        /// Free text for the console.
        description: String,
        /// X-Ray traces of every request, through the authorizer and the integration.
        tracing_enabled: bool,
    }
}

resource_type!(Stage, "AWS::ApiGateway::Stage", tags: list, attributes {
    ref:
    /// The stage's name (not an id): the first path segment of its invoke URL and the stage part of its
    /// `execute-api` ARNs.
    stage_name,
});

/// `AWS::ApiGateway::Account`: the region-wide role API Gateway uses to write execution logs to CloudWatch Logs.
/// One per account and region: two stacks declaring it overwrite each other's role.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Account {
    cloud_watch_role_arn: Expr,
}

impl Account {
    /// `cloud_watch_role_arn` must trust `apigateway.amazonaws.com` and may write to CloudWatch Logs (AWS's
    /// managed policy `AmazonAPIGatewayPushToCloudWatchLogs` grants exactly that).
    pub fn new(cloud_watch_role_arn: impl Into<RoleArn>) -> Self {
        Account {
            cloud_watch_role_arn: cloud_watch_role_arn.into().into_expr(),
        }
    }
}

resource_type!(Account, "AWS::ApiGateway::Account", tags: none);

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
        assert_eq!(value["AuthorizerResultTtlInSeconds"], json!(0));
        assert!(value.get("IdentitySource").is_none());
    }

    #[test]
    fn method_settings_never_trace_data() {
        let stage = Stage::new("api".into(), "dep".into(), "live")
            .method_setting(MethodSetting::all_methods().logging_level(LoggingLevel::Error));
        let value = serde_json::to_value(&stage).unwrap();
        assert_eq!(
            value["MethodSettings"],
            json!([{"ResourcePath": "/*", "HttpMethod": "*", "DataTraceEnabled": false, "LoggingLevel": "ERROR"}])
        );
        let format: serde_json::Value = serde_json::from_str(ACCESS_LOG_FORMAT).unwrap();
        assert_eq!(format["requestId"], json!("$context.requestId"));
    }
}
