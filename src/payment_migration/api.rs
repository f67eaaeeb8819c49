//! The API layer: the payment API as a private API Gateway, guarded by a Lambda authorizer that also decides,
//! per client, whether a request goes to the production or the migration side.
//!
//! Clients reach the API only through the stack's `execute-api` VPC endpoint. The authorizer checks the bearer
//! token (kept in Secrets Manager), reads `workflow/enable-cutover` and `workflow/traffic-split-percentage` (at
//! most the spec's `api.settings_ttl_seconds` old) and returns the side in its context; its result is never
//! cached, so a
//! change of the split or a rollback applies to every request within that bound, without a redeploy. The method
//! passes the side to an internal Application Load Balancer as the [`BACKEND_HEADER`] header, through a VPC
//! link; a listener rule forwards `migration` to the migration backends and everything else to production, over
//! TLS, through the Transit Gateway where the backends are on-premises. Nothing crosses the internet.
//!
//! The split is sticky per client (the `X-Client-Id` header, else the source address, hashed into 100 buckets):
//! raising the percentage only moves clients from production to migration, so each client reads its own writes
//! on the side that took them while forward CDC (and, after cutover, reverse CDC) replicates the other way.

use serde_json::Value;

use crate::cfn::{Attributes, ConditionExpr, Expr, Handle, LogicalId, Named, Output, Parameter};
use crate::resources::apigateway::{
    Account, Authorizer, Deployment, HttpMethod, Integration, LoggingLevel, Method, MethodSetting,
    Resource as ApiResource, RestApi, Stage,
};
use crate::resources::apigatewayv2::VpcLink;
use crate::resources::cloudformation::WaitConditionHandle;
use crate::resources::ec2::{
    EgressRule, SecurityGroup, SecurityGroupIngress, Subnet, TcpPorts, VpcEndpoint,
};
use crate::resources::elasticloadbalancingv2::{
    Action, Listener, ListenerRule, LoadBalancer, RuleAction, RuleCondition, SslPolicy,
    TargetDescription, TargetGroup,
};
use crate::resources::iam::{PolicyDocument, Principal, Role, Statement};
use crate::resources::kms::Key;
use crate::resources::lambda::{Function, Permission};
use crate::resources::logs::LogGroup;
use crate::resources::secretsmanager::Secret;
use crate::spec::{Backend, Environment};

use super::configuration::Configuration;
use super::functions::{BuiltFunction, FunctionSpec, vpc_function};
use super::network::{Network, aws_apis};
use super::stack::{Layer, SYSTEM, Stack};
use super::storage::{LOAD_BALANCER_LOG_PREFIX, Storage};

/// The stage clients call.
pub const STAGE: &str = "live";
/// The header that carries the authorizer's decision to the load balancer.
pub const BACKEND_HEADER: &str = "X-Migration-Backend";
/// Addresses an Application Load Balancer needs free in each of its subnets to scale (ELB user guide).
const LOAD_BALANCER_ADDRESSES: u32 = 8;
const HTTPS: TcpPorts = TcpPorts { from: 443, to: 443 };

/// Where the API token lives: `payment-migration/<env>/api-token`, JSON `{"token": …}`.
pub fn token_secret_name(env: &Environment) -> String {
    format!("{SYSTEM}/{}/api-token", env.name)
}

/// The API layer's handles, for the alarms and the dashboard that watch the stage and the authorizer.
pub struct Api {
    /// The private REST API, reachable only through the stack's `execute-api` endpoint; its name and [`STAGE`]
    /// are the API Gateway metrics' dimensions.
    pub rest_api: Named<RestApi>,
    /// The Lambda authorizer that checks the token and picks each request's side of the split: its errors and
    /// throttles fail payments, so they are alarmed.
    pub authorizer_function: Named<Function>,
    /// The authorizer's log group: one JSON line per decision.
    pub authorizer_logs: Handle<LogGroup>,
    /// The stage's access log group: one JSON line per request
    /// ([`crate::resources::apigateway::ACCESS_LOG_FORMAT`]).
    pub access_logs: Handle<LogGroup>,
    /// The internal Application Load Balancer whose listener sends each side to its backends.
    pub load_balancer: Handle<LoadBalancer>,
}

/// Why the stage caches nothing, to each checker that asks for a cache.
const NO_CACHE_REASON: &str = "Payment responses must never be served from a cache: a cached response would answer \
                               another request (or another client) with a payment that request did not make, and \
                               the authorizer decides each request's side of the split. The stage's method \
                               settings turn on metrics and error logging, without request or response bodies.";

/// The API layer, from the backends inward: the internal load balancer and its listener choosing the side, the
/// VPC link to it, the private REST API behind the `execute-api` endpoint, its Lambda authorizer, the methods and
/// their deployment, the stage clients call, and the stack's outputs.
pub fn build(
    stack: &mut Stack,
    key: &Handle<Key>,
    network: &Network,
    configuration: &Configuration,
    storage: &Storage,
) -> Api {
    let subnets = &network.migration.private_subnets;
    let vpc_id = network.migration.vpc.vpc_id();
    let (balancer_group, link_group) = security_groups(stack, vpc_id.clone());
    let load_balancer = load_balancer(stack, storage, subnets, &balancer_group);
    listener(stack, &load_balancer, vpc_id);
    let link = vpc_link(stack, subnets, &link_group);
    let rest_api = private_rest_api(stack, network, subnets);
    let authorizer_built = authorizer_function(stack, key, network, configuration, &rest_api);
    let authorizer = authorizer(stack, &rest_api, &authorizer_built.function);
    let deployment = methods_deployed(stack, &rest_api, &authorizer, &link, &load_balancer);
    let access_logs = stage(stack, key, &rest_api, &deployment);
    outputs(stack, &rest_api, &authorizer_built.function);
    Api {
        rest_api,
        authorizer_function: authorizer_built.function,
        authorizer_logs: authorizer_built.log_group,
        access_logs,
        load_balancer,
    }
}

/// The load balancer's and the VPC link's security groups: the link sends HTTPS to the load balancer only, and
/// the load balancer takes HTTPS from the link only and reaches each backend address on its port and nothing
/// else.
fn security_groups(
    stack: &mut Stack,
    vpc_id: Expr,
) -> (Handle<SecurityGroup>, Handle<SecurityGroup>) {
    let api = &stack.env.api;
    let backend_egress = [
        ("production", &api.production),
        ("migration", &api.migration),
    ]
    .into_iter()
    .flat_map(|(side, backend)| {
        let ports = TcpPorts {
            from: backend.port,
            to: backend.port,
        };
        backend.addresses.iter().map(move |address| {
            EgressRule::tcp_to_cidr(
                ports,
                format!("{address}/32"),
                &format!("The {side} backend"),
            )
        })
    })
    .collect();
    let balancer_group = stack.add(
        Layer::Api,
        "load balancer security group",
        SecurityGroup::with_egress(
            "Internal load balancer of the payment API: HTTPS from the VPC link only",
            vpc_id.clone(),
            backend_egress,
        ),
    );
    let link_group = stack.add(
        Layer::Api,
        "vpc link security group",
        SecurityGroup::with_egress(
            "VPC link of the payment API: no ingress, HTTPS to the load balancer only",
            vpc_id,
            vec![EgressRule::tcp_to_group(
                HTTPS,
                balancer_group.group_id(),
                "The payment API's load balancer",
            )],
        ),
    );
    stack.add(
        Layer::Api,
        "load balancer ingress from vpc link",
        SecurityGroupIngress::tcp_from_group(
            balancer_group.group_id(),
            HTTPS,
            link_group.group_id(),
            "HTTPS from the API's VPC link",
        ),
    );
    (balancer_group, link_group)
}

/// The internal Application Load Balancer in the migration VPC's private subnets. Every request to the
/// cardholder data environment is logged (PCI DSS 10.2.1); ELB checks the bucket's policy when logging is
/// switched on, hence the dependency.
fn load_balancer(
    stack: &mut Stack,
    storage: &Storage,
    subnets: &[Handle<Subnet>],
    balancer_group: &Handle<SecurityGroup>,
) -> Handle<LoadBalancer> {
    let load_balancer = stack.add_with(
        Layer::Api,
        "load balancer",
        LoadBalancer::internal_application(
            subnets.iter().map(Handle::subnet_id).collect(),
            vec![balancer_group.group_id()],
            stack.env.database.deletion_protection,
        )
        .access_logs(&storage.load_balancer_logs, LOAD_BALANCER_LOG_PREFIX),
        Attributes::new().depends_on(&storage.load_balancer_log_delivery),
    );
    stack.claim_addresses(subnets, "API load balancer", LOAD_BALANCER_ADDRESSES);
    load_balancer
}

/// The HTTPS listener and the two sides' target groups: only the authorizer's `migration` in [`BACKEND_HEADER`]
/// reaches the migration side; anything else, including no header, goes to production.
fn listener(stack: &mut Stack, load_balancer: &Handle<LoadBalancer>, vpc_id: Expr) {
    let api = &stack.env.api;
    let production = target_group(stack, "production", &api.production, vpc_id.clone());
    let migration = target_group(stack, "migration", &api.migration, vpc_id);
    let listener = stack.add(
        Layer::Api,
        "listener",
        Listener::https(
            load_balancer.load_balancer_arn(),
            443,
            Expr::lit(&api.certificate_arn),
            SslPolicy::Tls13And12,
            Action::forward(production.target_group_arn()),
        ),
    );
    stack.add(
        Layer::Api,
        "migration listener rule",
        ListenerRule::new(
            vec![RuleAction::forward(migration.target_group_arn())],
            vec![RuleCondition::http_header(BACKEND_HEADER, &["migration"])],
            listener.listener_arn(),
            10,
        ),
    );
}

/// The VPC link through which API Gateway reaches the internal load balancer, one address in each private
/// subnet.
fn vpc_link(
    stack: &mut Stack,
    subnets: &[Handle<Subnet>],
    link_group: &Handle<SecurityGroup>,
) -> Handle<VpcLink> {
    let link = stack.add(
        Layer::Api,
        "vpc link",
        VpcLink::new(
            Expr::lit(stack.name("api")),
            vec![link_group.group_id()],
            subnets.iter().map(Handle::subnet_id).collect::<Vec<_>>(),
        ),
    );
    stack.claim_addresses(subnets, "API VPC link", 1);
    link
}

/// The private REST API, whose resource policy lets it be invoked through the stack's `execute-api` VPC
/// endpoint and no other.
fn private_rest_api(
    stack: &mut Stack,
    network: &Network,
    subnets: &[Handle<Subnet>],
) -> Named<RestApi> {
    let endpoint = execute_api_endpoint(
        stack,
        network,
        subnets.iter().map(Handle::subnet_id).collect(),
    );
    let name = stack.name("api");
    stack.add_named(
        Layer::Api,
        "rest api",
        name.clone(),
        RestApi::private(
            Expr::lit(name),
            vec![endpoint.vpc_endpoint_id()],
            PolicyDocument::new(vec![
                Statement::allow("InvokeThroughStackEndpoint", &["execute-api:Invoke"])
                    .principal(Principal::Everyone)
                    .resource("execute-api:/*")
                    .condition("StringEquals", "aws:SourceVpce", endpoint.vpc_endpoint_id()),
                Statement::deny("DenyOtherPaths", &["execute-api:Invoke"])
                    .principal(Principal::Everyone)
                    .resource("execute-api:/*")
                    .condition(
                        "StringNotEquals",
                        "aws:SourceVpce",
                        endpoint.vpc_endpoint_id(),
                    ),
            ]),
        )
        .description(format!("Payment API of {}", stack.env.name)),
    )
}

/// The REQUEST authorizer `payment-token` on the authorizer function, and the permission that lets API Gateway
/// invoke it for this API's authorizer only.
fn authorizer(
    stack: &mut Stack,
    rest_api: &Handle<RestApi>,
    function: &Handle<Function>,
) -> Handle<Authorizer> {
    let authorizer = stack.add(
        Layer::Api,
        "authorizer",
        Authorizer::lambda_request(rest_api.rest_api_id(), "payment-token", function.arn()),
    );
    stack.add(
        Layer::Api,
        "authorizer permission",
        Permission::invoke(
            function.function_name(),
            "apigateway.amazonaws.com",
            Expr::sub_with(
                "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/authorizers/${Authorizer}",
                [
                    ("Api", rest_api.rest_api_id()),
                    ("Authorizer", authorizer.authorizer_id()),
                ],
            ),
        ),
    );
    authorizer
}

/// The methods, `ANY /` and `ANY /{proxy+}`, each behind the authorizer and proxied over the VPC link to the load
/// balancer with the authorizer's side in [`BACKEND_HEADER`]; then their deployment.
fn methods_deployed(
    stack: &mut Stack,
    rest_api: &Handle<RestApi>,
    authorizer: &Handle<Authorizer>,
    link: &Handle<VpcLink>,
    load_balancer: &Handle<LoadBalancer>,
) -> Handle<Deployment> {
    let api = &stack.env.api;
    let proxy = stack.add(
        Layer::Api,
        "proxy resource",
        ApiResource::greedy_proxy(rest_api.rest_api_id(), rest_api.root_resource_id()),
    );
    let integration = |path: &str| {
        Integration::http_proxy_via_vpc_link(
            HttpMethod::Any,
            Expr::lit(format!("https://{}{path}", api.host_name)),
            link.vpc_link_id(),
            load_balancer.load_balancer_arn(),
        )
        .request_parameter(
            &format!("integration.request.header.{BACKEND_HEADER}"),
            "context.authorizer.backend",
        )
    };
    let root_method = stack.add(
        Layer::Api,
        "root method",
        Method::with_authorizer(
            rest_api.rest_api_id(),
            rest_api.root_resource_id(),
            HttpMethod::Any,
            authorizer.authorizer_id(),
            integration("/"),
        ),
    );
    let proxy_method = stack.add(
        Layer::Api,
        "proxy method",
        Method::with_authorizer(
            rest_api.rest_api_id(),
            proxy.resource_id(),
            HttpMethod::Any,
            authorizer.authorizer_id(),
            integration("/{proxy}").request_parameter(
                "integration.request.path.proxy",
                "method.request.path.proxy",
            ),
        )
        .request_parameter("method.request.path.proxy", true),
    );
    let parts = [
        rest_api.logical_id(),
        proxy.logical_id(),
        authorizer.logical_id(),
        root_method.logical_id(),
        proxy_method.logical_id(),
    ];
    deployment(stack, rest_api, &parts, [&root_method, &proxy_method])
}

/// A deployment is a snapshot made when it is created: its id follows the content of the API's `parts`, so any
/// change to the API makes a new one, and it waits for every one of the `methods` so it never snapshots half an
/// API.
fn deployment(
    stack: &mut Stack,
    rest_api: &Handle<RestApi>,
    parts: &[&LogicalId],
    methods: [&Handle<Method>; 2],
) -> Handle<Deployment> {
    let content: Value = stack.template.properties_json(parts);
    let waiting = methods
        .into_iter()
        .fold(Attributes::new(), |attributes, method| {
            attributes.depends_on(method)
        });
    stack.template.add_with(
        LogicalId::with_content_hash("ApiDeployment", &content),
        Deployment::new(rest_api.rest_api_id()).description(format!(
            "Payment API of {}, as rendered by migen",
            stack.env.name
        )),
        waiting,
    )
}

/// The stage clients call, [`STAGE`]: every request in its access log group, X-Ray tracing, metrics and error
/// logging on every method, and no cache. Returns the access log group.
fn stage(
    stack: &mut Stack,
    key: &Handle<Key>,
    rest_api: &Handle<RestApi>,
    deployment: &Handle<Deployment>,
) -> Handle<LogGroup> {
    let account_ready = account_logging_role(stack);
    let access_logs = stack.log_group(Layer::Api, "access log group", "api-access", key);
    // API Gateway wants the group's ARN without the `:*` its Arn attribute ends in.
    let access_log_arn = Expr::sub_with(
        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${Group}",
        [("Group", access_logs.log_group_name())],
    );
    stack.add_with(
        Layer::Api,
        "stage",
        Stage::new(deployment.deployment_id(), rest_api.rest_api_id(), STAGE)
            .access_logs(access_log_arn)
            .tracing_enabled(true)
            .method_setting(
                MethodSetting::all_methods()
                    .logging_level(LoggingLevel::Error)
                    .metrics_enabled(true),
            ),
        Attributes::new()
            .depends_on(&account_ready)
            .suppress_guard_rule("API_GW_CACHE_ENABLED_AND_ENCRYPTED", NO_CACHE_REASON)
            .skip_checkov_check("CKV_AWS_120", NO_CACHE_REASON),
    );
    access_logs
}

/// The stack's outputs of the API layer: the stage's invoke URL, the API's id and the authorizer's ARN.
fn outputs(stack: &mut Stack, rest_api: &Handle<RestApi>, authorizer_function: &Handle<Function>) {
    for (id, description, value) in [
        (
            "ApiGatewayEndpoint",
            "Invoke URL of the payment API's stage, reachable through the stack's execute-api VPC endpoint \
             (api_gateway_endpoint)",
            Expr::sub_with(
                format!(
                    "https://${{Api}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{STAGE}"
                ),
                [("Api", rest_api.rest_api_id())],
            ),
        ),
        (
            "ApiGatewayId",
            "Payment API (api_gateway_id)",
            rest_api.rest_api_id(),
        ),
        (
            "AuthorizerLambdaArn",
            "API authorizer Lambda (authorizer_lambda_arn)",
            authorizer_function.arn(),
        ),
    ] {
        stack
            .template
            .output(LogicalId::verbatim(id), Output::new(description, value));
    }
}

/// A side's target group: its addresses over HTTPS, health-checked on the spec's path. Addresses outside the
/// migration VPC (on-premises, the production VPC) are reached through the Transit Gateway.
fn target_group(
    stack: &mut Stack,
    side: &str,
    backend: &Backend,
    vpc_id: Expr,
) -> Handle<TargetGroup> {
    let env = stack.env;
    let vpc = env.network.migration_vpc.cidr;
    let mut group = TargetGroup::https_ip(vpc_id, backend.port)
        .health_check(env.api.health_check_path.clone(), "200-399");
    for address in &backend.addresses {
        let target = if vpc.contains(address) {
            TargetDescription::ip(address.to_string())
        } else {
            TargetDescription::ip_outside_vpc(address.to_string())
        };
        group = group.target(target);
    }
    stack.add(Layer::Api, &format!("{side} target group"), group)
}

/// The interface endpoint through which the private API is called, and its security group: HTTPS from the
/// migration VPC, the on-premises network and the spec's application networks.
fn execute_api_endpoint(
    stack: &mut Stack,
    network: &Network,
    subnet_ids: Vec<Expr>,
) -> Handle<VpcEndpoint> {
    let env = stack.env;
    let group = stack.add(
        Layer::Api,
        "endpoint security group",
        SecurityGroup::with_egress(
            "execute-api endpoint of the payment API: HTTPS from the networks of its clients",
            network.migration.vpc.vpc_id(),
            vec![EgressRule::none()],
        ),
    );
    let mut clients = vec![
        ("migration vpc".to_string(), env.network.migration_vpc.cidr),
        ("on premises".to_string(), env.network.on_premises_cidr),
    ];
    for (i, cidr) in env.database.application_cidrs.iter().enumerate() {
        clients.push((format!("application {}", i + 1), *cidr));
    }
    for (name, cidr) in clients {
        stack.add(
            Layer::Api,
            &format!("endpoint ingress {name}"),
            SecurityGroupIngress::tcp_from_cidr(
                group.group_id(),
                HTTPS,
                cidr.to_string(),
                "HTTPS to the payment API",
            ),
        );
    }
    stack.claim_addresses(
        &network.migration.private_subnets,
        "execute-api endpoint",
        1,
    );
    stack.add(
        Layer::Api,
        "execute api endpoint",
        VpcEndpoint::interface(
            network.migration.vpc.vpc_id(),
            "execute-api",
            subnet_ids,
            vec![group.group_id()],
        ),
    )
}

/// The Lambda authorizer in the migration VPC, with its bearer token in Secrets Manager (retained) and its
/// security group (HTTPS to AWS APIs only): it checks the token and reads the cutover switch and the split from
/// Parameter Store to pick each client's side.
fn authorizer_function(
    stack: &mut Stack,
    key: &Handle<Key>,
    network: &Network,
    configuration: &Configuration,
    rest_api: &Handle<RestApi>,
) -> BuiltFunction {
    let env = stack.env;
    // Retained like every secret of the stack: deleting it would lock out clients of a stack redeployed later.
    let token = stack.add_with(
        Layer::Api,
        "token secret",
        Secret::api_token(key)
            .name(Expr::lit(token_secret_name(env)))
            .description(format!(
                "Bearer token of the {} payment API; rotate with put-secret-value",
                env.name
            )),
        Attributes::new().retain(),
    );
    let group = stack.add(
        Layer::Api,
        "authorizer security group",
        SecurityGroup::with_egress(
            "API authorizer Lambda: no ingress, HTTPS to AWS APIs only",
            network.migration.vpc.vpc_id(),
            vec![EgressRule::tcp_to_cidr(
                HTTPS,
                aws_apis(env.network.egress, &env.network.migration_vpc),
                "AWS APIs (Secrets Manager, Systems Manager)",
            )],
        ),
    );
    let parameter_arn =
        |path: &str| Expr::arn("ssm", &format!("parameter{}", stack.parameter_path(path)));
    let settings = [
        parameter_arn("workflow/enable-cutover"),
        parameter_arn("workflow/traffic-split-percentage"),
    ];
    let enable_cutover = configuration.enable_cutover.r#ref();
    let split = configuration.traffic_split_percentage.r#ref();
    vpc_function(
        stack,
        key,
        FunctionSpec {
            layer: Layer::Api,
            purpose: "authorizer",
            name: format!("{SYSTEM}-authorizer-{}", env.name),
            description:
                "Checks the payment API's bearer token and picks each client's side of the split"
                    .into(),
            source: include_str!("../../templates/lambda/authorizer.py"),
            timeout_seconds: 5,
            memory_mb: 256,
            reserved_concurrency: super::capacity::authorizer_concurrency(env),
            environment: vec![
                ("TOKEN_SECRET_ARN", token.secret_arn()),
                (
                    "ROTATION_WINDOW_SECONDS",
                    Expr::lit((env.api.token_rotation_window_minutes * 60).to_string()),
                ),
                ("ENABLE_CUTOVER_PARAMETER", enable_cutover),
                ("TRAFFIC_SPLIT_PARAMETER", split),
                (
                    "SETTINGS_TTL_SECONDS",
                    Expr::lit(env.api.settings_ttl_seconds.to_string()),
                ),
                (
                    "SETTINGS_MAX_STALENESS_SECONDS",
                    Expr::lit(env.api.settings_max_staleness_seconds.to_string()),
                ),
                (
                    "TOKEN_MAX_STALENESS_SECONDS",
                    Expr::lit(env.api.token_max_staleness_seconds.to_string()),
                ),
                ("API_ID", rest_api.rest_api_id()),
                ("STAGE", Expr::lit(STAGE)),
            ],
            statements: vec![
                Statement::allow("ReadToken", &["secretsmanager:GetSecretValue"])
                    .resource(token.secret_arn()),
                Statement::allow("ReadSplitSettings", &["ssm:GetParameters"]).resources(settings),
            ],
            unscoped: Vec::new(),
            unscoped_reason: "",
            subnets: &network.migration.private_subnets,
            security_group: &group,
            invoked_by: "API Gateway, once per request",
        },
    )
}

/// API Gateway writes access and execution logs through one role per account and region. Like the DMS service
/// roles, the stack sets it when the `ConfigureApiGatewayAccount` parameter is `true` (the default), and the
/// stage waits for it; pass `false` where the account already has one.
fn account_logging_role(stack: &mut Stack) -> Handle<WaitConditionHandle> {
    let parameter = stack.template.parameter(
        LogicalId::verbatim("ConfigureApiGatewayAccount"),
        Parameter::string(
            "Set the account's API Gateway CloudWatch Logs role (false where the account already has one)",
        )
        .default("true")
        .allowed_values(&["true", "false"]),
    );
    let condition = stack.template.condition(
        LogicalId::verbatim("ConfigureApiGatewayAccount"),
        ConditionExpr::Equals(parameter.r#ref(), Expr::lit("true")),
    );
    let role = stack.add_with(
        Layer::Api,
        "cloudwatch role",
        Role::for_service_in_this_account("apigateway.amazonaws.com")
            .description("Lets API Gateway write the account's API logs to CloudWatch Logs")
            .managed_policy(Expr::sub(
                "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
            )),
        Attributes::new().condition(&condition),
    );
    let account = stack.add_with(
        Layer::Api,
        "account",
        Account::new(&role),
        Attributes::new().condition(&condition),
    );
    let mut anchors = serde_json::Map::new();
    anchors.insert(
        "account".into(),
        crate::cfn::expr::to_json(&condition.choose(account.r#ref(), Expr::lit(""))),
    );
    stack.add_with(
        Layer::Api,
        "account ready",
        WaitConditionHandle::new(),
        Attributes::new().metadata("DependsOnApiGatewayAccount", Value::Object(anchors)),
    )
}
