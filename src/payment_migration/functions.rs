//! The stack's Lambda functions, hardened in one place: each runs in the migration VPC's private subnets behind
//! its own security group, logs to a log group created first (encrypted with the stack's key, kept for the
//! spec's retention), encrypts its environment with the key, is traced by X-Ray, has reserved concurrency, and
//! runs under a role of its own whose policy names exact resources.

use crate::cfn::{Attributes, Expr, Handle, Named};
use crate::resources::ec2::{SecurityGroup, Subnet};
use crate::resources::iam::{ManagedPolicy, PolicyDocument, Role, Statement};
use crate::resources::kms::Key;
use crate::resources::lambda::{
    ApplicationLogLevel, Architecture, Function, LoggingConfig, SystemLogLevel, TracingMode,
    VpcConfig,
};
use crate::resources::logs::LogGroup;

use super::stack::{Layer, Stack};

/// AWS-managed policies for the two things a function in a VPC must do on resources AWS does not let a policy
/// name: manage its network interfaces, and send trace segments.
const MANAGED_POLICIES: &[&str] = &[
    "service-role/AWSLambdaENIManagementAccess",
    "AWSXRayDaemonWriteAccess",
];

/// What a function is and needs.
pub struct FunctionSpec<'a> {
    /// The layer the function, its role, policies and log group belong to (the start of their logical ids).
    pub layer: Layer,
    /// The purpose the logical ids derive from, e.g. `"authorizer"`.
    pub purpose: &'a str,
    /// The physical name, which the runbook and the log group use.
    pub name: String,
    /// What the function does, as the Lambda console shows it.
    pub description: String,
    /// The Python source, embedded as `index.py`.
    pub source: &'static str,
    /// Lambda's timeout, in seconds: a caller that waits on the function must allow at least this long.
    pub timeout_seconds: u32,
    /// Memory in MB, which also sets the function's share of CPU.
    pub memory_mb: u32,
    /// Concurrency reserved for the function (also its ceiling): counted against the account's quota by
    /// [`super::capacity`]; beyond it Lambda throttles.
    pub reserved_concurrency: u32,
    /// Environment variables (name, value), encrypted with the stack's key; a secret goes in by its ARN, never
    /// by value (PCI DSS 8.3).
    pub environment: Vec<(&'static str, Expr)>,
    /// Permissions on named resources.
    pub statements: Vec<Statement>,
    /// Permissions AWS offers only on `*` (for example `cloudwatch:PutMetricData`), with the reason they are
    /// needed; they go into a policy of their own that says so to the compliance gate.
    pub unscoped: Vec<Statement>,
    /// Why [`FunctionSpec::unscoped`] needs `*`, recorded as the compliance gate's suppression reason.
    pub unscoped_reason: &'a str,
    /// The private subnets the function runs in; each takes one address in them, claimed with the stack.
    pub subnets: &'a [Handle<Subnet>],
    /// The function's own security group, which holds its egress (no function accepts connections).
    pub security_group: &'a Handle<SecurityGroup>,
    /// Who invokes the function, and waits for its answer: every function of the stack is invoked synchronously,
    /// so a dead-letter queue (which only asynchronous invocations use) would never receive anything.
    pub invoked_by: &'a str,
}

/// What [`vpc_function`] built, for the layer to wire up, alarm and chart.
pub struct BuiltFunction {
    /// The function, named as [`FunctionSpec::name`]: the name is its metrics' dimension.
    pub function: Named<Function>,
    /// Its execution role, holding exactly [`FunctionSpec::statements`] and the hardening's own permissions.
    pub role: Handle<Role>,
    /// `/aws/lambda/<name>`, where the function writes its JSON log lines.
    pub log_group: Handle<LogGroup>,
}

/// Adds a function hardened as this module describes, with its log group, role and policies; the function waits
/// for its policies and log group, so its first invocation can log and act.
pub fn vpc_function(stack: &mut Stack, key: &Handle<Key>, spec: FunctionSpec) -> BuiltFunction {
    let purpose = spec.purpose;
    let log_group = stack.service_log_group(
        spec.layer,
        &format!("{purpose} log group"),
        &format!("/aws/lambda/{}", spec.name),
        key,
    );
    let mut role = Role::for_service_in_this_account("lambda.amazonaws.com")
        .description(format!("Runs the {} function", spec.name));
    for policy in MANAGED_POLICIES {
        role = role.managed_policy(Expr::sub(format!(
            "arn:${{AWS::Partition}}:iam::aws:policy/{policy}"
        )));
    }
    let role = stack.add(spec.layer, &format!("{purpose} role"), role);

    let mut statements = vec![
        // The group's Arn attribute ends in `:*`, which covers exactly its log streams.
        Statement::allow(
            "WriteOwnLogs",
            &["logs:CreateLogStream", "logs:PutLogEvents"],
        )
        .resource(log_group.arn()),
        // The environment is encrypted with the stack's key; Lambda decrypts it as the function's role.
        Statement::allow("DecryptEnvironment", &["kms:Decrypt"]).resource(key.arn()),
    ];
    statements.extend(spec.statements);
    let policy = stack.add(
        spec.layer,
        &format!("{purpose} policy"),
        ManagedPolicy::new(PolicyDocument::new(statements))
            .description(format!("What the {} function may do", spec.name))
            .attach_to(role.role_name()),
    );
    let mut ready = Attributes::new().depends_on(&policy).depends_on(&log_group);
    if !spec.unscoped.is_empty() {
        let unscoped = stack.add_with(
            spec.layer,
            &format!("{purpose} unscoped policy"),
            ManagedPolicy::new(PolicyDocument::new(spec.unscoped))
                .description(format!(
                    "Actions of the {} function that AWS authorizes only on *",
                    spec.name
                ))
                .attach_to(role.role_name()),
            Attributes::new()
                .suppress_guard_rule("MIGEN_IAM_NO_WILDCARD_ACTIONS", spec.unscoped_reason),
        );
        ready = ready.depends_on(&unscoped);
    }

    stack.use_key_via("lambda");
    // Lambda shares one network interface per subnet and security-group combination among a function's
    // instances; each function here has a group of its own.
    stack.claim_addresses(spec.subnets, &format!("{} function", spec.name), 1);
    let mut function = Function::python_inline(spec.source, "index.handler", &role)
        .description(spec.description)
        .timeout(spec.timeout_seconds)
        .memory_size(spec.memory_mb)
        .reserved_concurrent_executions(spec.reserved_concurrency)
        .architecture(Architecture::Arm64)
        .kms_key_arn(key)
        .tracing(TracingMode::Active)
        .vpc_config(VpcConfig::inside(
            spec.subnets.iter().map(Handle::subnet_id).collect(),
            vec![spec.security_group.group_id()],
        ))
        .logging_config(LoggingConfig::json(
            log_group.log_group_name(),
            ApplicationLogLevel::Info,
            SystemLogLevel::Warn,
        ));
    for (name, value) in spec.environment {
        function = function.environment_variable(name, value);
    }
    let ready = ready.skip_checkov_check(
        "CKV_AWS_116",
        &format!(
            "Invoked synchronously by {}, which receives its errors; a dead-letter queue only receives failed \
             asynchronous invocations, which this function never has.",
            spec.invoked_by
        ),
    );
    let function = stack.add_named_with(
        spec.layer,
        &format!("{purpose} function"),
        spec.name.clone(),
        function,
        ready,
    );
    BuiltFunction {
        function,
        role,
        log_group,
    }
}
