//! AWS Lambda: small inline functions (such as an API Gateway authorizer) and the permissions that let a service
//! invoke them.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::cfn::{Expr, Tag};
use crate::resources::bounds::{Allowed, checked_option};
use crate::resources::iam::RoleArn;
use crate::resources::kms::KeyArn;
use crate::{optional_properties, physical_name, resource_type};

/// The Python runtime of inline functions: the newest that cfn-lint 1.58 lists as supported (its
/// `LmbdRuntimeLifecycle.json` names it the successor of every older Python, deprecated 2029-06-30), so a
/// function is not created on a runtime that Lambda stops patching during the migration.
pub const PYTHON_RUNTIME: &str = "python3.14";

/// The deployment package. Only inline source: CloudFormation writes it to a file named `index` and zips it, so
/// there is no artifact bucket to secure and the code a reviewer reads is the code that runs.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Code {
    zip_file: String,
}

#[derive(Clone, Debug, Default, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Environment {
    variables: BTreeMap<String, Expr>,
}

/// Where the function's network interfaces live. Both lists are required: the PCI DSS rule `LAMBDA_INSIDE_VPC`
/// (PCI DSS 1.3) wants functions inside the VPC, behind security groups.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct VpcConfig {
    subnet_ids: Vec<Expr>,
    security_group_ids: Vec<Expr>,
}

impl VpcConfig {
    pub fn new(subnet_ids: Vec<Expr>, security_group_ids: Vec<Expr>) -> Self {
        VpcConfig {
            subnet_ids,
            security_group_ids,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub enum TracingMode {
    /// Samples and traces requests even when the caller did not.
    Active,
    PassThrough,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
struct TracingConfig {
    mode: TracingMode,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub enum Architecture {
    #[serde(rename = "x86_64")]
    X86_64,
    #[serde(rename = "arm64")]
    Arm64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub enum LogFormat {
    Text,
    #[serde(rename = "JSON")]
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum ApplicationLogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum SystemLogLevel {
    Debug,
    Info,
    Warn,
}

/// Where and how the function logs. Lambda filters by log level only for JSON logs, so the levels come with
/// [`LoggingConfig::json`] and plain-text logs have none (cfn-lint rejects `SystemLogLevel` with `Text`).
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingConfig {
    log_group: Expr,
    log_format: LogFormat,
    #[serde(skip_serializing_if = "Option::is_none")]
    application_log_level: Option<ApplicationLogLevel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_log_level: Option<SystemLogLevel>,
}

impl LoggingConfig {
    /// Logs to `log_group` (its name) rather than the group Lambda would create on first invocation, which no
    /// template owns and which would keep logs forever unencrypted.
    pub fn json(log_group: Expr, application: ApplicationLogLevel, system: SystemLogLevel) -> Self {
        LoggingConfig {
            log_group,
            log_format: LogFormat::Json,
            application_log_level: Some(application),
            system_log_level: Some(system),
        }
    }

    pub fn text(log_group: Expr) -> Self {
        LoggingConfig {
            log_group,
            log_format: LogFormat::Text,
            application_log_level: None,
            system_log_level: None,
        }
    }
}

/// `AWS::Lambda::Function` with inline source. CloudFormation requires only `Code` and `Role`, but inline source
/// also needs a runtime (cfn-lint: a Python or Node.js one) and a handler, so all four are constructor arguments.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Function {
    code: Code,
    role: Expr,
    runtime: String,
    handler: String,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "timeout")]
    timeout: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "memory")]
    memory_size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    architectures: Option<Vec<Architecture>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    function_name: Option<Expr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    environment: Option<Environment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kms_key_arn: Option<KeyArn>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vpc_config: Option<VpcConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tracing_config: Option<TracingConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reserved_concurrent_executions: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logging_config: Option<LoggingConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<Tag>>,
}

fn timeout<S: serde::Serializer>(seconds: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
    checked_option("Timeout", Allowed::Range(1..=900), seconds, s)
}

fn memory<S: serde::Serializer>(megabytes: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
    checked_option("MemorySize", Allowed::Range(128..=10240), megabytes, s)
}

impl Function {
    /// A Python function on [`PYTHON_RUNTIME`] whose source is `source`. CloudFormation saves inline source as
    /// `index.py`, so `handler` is `index.<function>`.
    pub fn python_inline(
        source: impl Into<String>,
        handler: impl Into<String>,
        role_arn: impl Into<RoleArn>,
    ) -> Self {
        Function {
            code: Code {
                zip_file: source.into(),
            },
            role: role_arn.into().into_expr(),
            runtime: PYTHON_RUNTIME.into(),
            handler: handler.into(),
            timeout: None,
            memory_size: None,
            architectures: None,
            description: None,
            function_name: None,
            environment: None,
            kms_key_arn: None,
            vpc_config: None,
            tracing_config: None,
            reserved_concurrent_executions: None,
            logging_config: None,
            tags: None,
        }
    }

    /// Lambda runs a function on exactly one architecture, so this sets the one-element list.
    pub fn architecture(mut self, architecture: Architecture) -> Self {
        self.architectures = Some(vec![architecture]);
        self
    }

    /// Adds one environment variable. Lambda reserves names such as `AWS_REGION` and `_HANDLER`; cfn-lint
    /// reports them.
    pub fn environment_variable(mut self, name: &str, value: impl Into<Expr>) -> Self {
        self.environment
            .get_or_insert_with(Environment::default)
            .variables
            .insert(name.to_string(), value.into());
        self
    }

    pub fn tracing(mut self, mode: TracingMode) -> Self {
        self.tracing_config = Some(TracingConfig { mode });
        self
    }

    optional_properties! {
        /// Seconds; at most 900 (cfn-lint), and an API Gateway caller gives up after its integration timeout.
        timeout: u32,
        /// MB; Lambda allots CPU in proportion to memory.
        memory_size: u32,
        description: String,
        function_name: Expr,
        /// Encrypts the environment variables with a customer-managed key (PCI DSS 3.5) instead of Lambda's
        /// service key.
        kms_key_arn: KeyArn,
        vpc_config: VpcConfig,
        /// Caps the function's concurrency, so a flood of requests cannot starve the account's other functions,
        /// and guarantees it that much.
        reserved_concurrent_executions: u32,
        logging_config: LoggingConfig,
    }
}

physical_name!(Function, function_name, "FunctionName", |name| Some(
    Expr::lit(name)
));

resource_type!(Function, "AWS::Lambda::Function", tags: list, attributes {
    ref: function_name,
    arn => "Arn",
});

/// `AWS::Lambda::Permission`: a resource policy statement on a function.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Permission {
    action: String,
    function_name: Expr,
    principal: Expr,
    source_arn: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_account: Option<Expr>,
}

impl Permission {
    /// Lets `principal` (a service such as `apigateway.amazonaws.com`) invoke the function, only on behalf of
    /// `source_arn`. The source is required: a service principal without one lets any account's resource of that
    /// service invoke the function (the confused deputy; PCI DSS rule `LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED`).
    pub fn invoke(function_name: Expr, principal: impl Into<Expr>, source_arn: Expr) -> Self {
        Permission {
            action: "lambda:InvokeFunction".into(),
            function_name,
            principal: principal.into(),
            source_arn,
            source_account: None,
        }
    }

    optional_properties! {
        /// Needed when `source_arn` has no account in it (S3 bucket ARNs), so another account's bucket of the
        /// same name cannot invoke the function.
        source_account: Expr,
    }
}

resource_type!(Permission, "AWS::Lambda::Permission", tags: none);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn inline_python_function_renders_runtime_handler_and_logging() {
        let function = Function::python_inline(
            "def handler(e, c): pass",
            "index.handler",
            RoleArn::existing("r".into()),
        )
        .architecture(Architecture::Arm64)
        .environment_variable("TABLE", "t")
        .tracing(TracingMode::Active)
        .logging_config(LoggingConfig::json(
            "/x".into(),
            ApplicationLogLevel::Info,
            SystemLogLevel::Warn,
        ));
        let value = serde_json::to_value(&function).unwrap();
        assert_eq!(value["Runtime"], json!("python3.14"));
        assert_eq!(value["Code"], json!({"ZipFile": "def handler(e, c): pass"}));
        assert_eq!(value["Architectures"], json!(["arm64"]));
        assert_eq!(value["Environment"], json!({"Variables": {"TABLE": "t"}}));
        assert_eq!(value["TracingConfig"], json!({"Mode": "Active"}));
        assert_eq!(
            value["LoggingConfig"],
            json!({"LogGroup": "/x", "LogFormat": "JSON", "ApplicationLogLevel": "INFO", "SystemLogLevel": "WARN"})
        );
        let text = serde_json::to_value(LoggingConfig::text("/x".into())).unwrap();
        assert_eq!(text, json!({"LogGroup": "/x", "LogFormat": "Text"}));
    }
}
