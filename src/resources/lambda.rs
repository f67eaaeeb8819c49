//! AWS Lambda: small inline functions (such as an API Gateway authorizer) and the permissions that let a service
//! invoke them. The types are generated (in `src/resources/generated/lambda.rs`); the opinion on top of them is written here.

pub use super::generated::lambda::*;
pub use function::{
    ApplicationLogLevel, Architectures as Architecture, LogFormat, LoggingConfig,
    Mode as TracingMode, Runtime, SystemLogLevel, VpcConfig,
};

use crate::cfn::Expr;
use crate::resources::iam::RoleArn;
use function::{Code, Environment, TracingConfig};

/// The Python runtime of inline functions: the newest that cfn-lint 1.58 lists as supported (its
/// `LmbdRuntimeLifecycle.json` names it the successor of every older Python, deprecated 2029-06-30), so a
/// function is not created on a runtime that Lambda stops patching during the migration.
pub const PYTHON_RUNTIME: Runtime = Runtime::Python3_14;

impl VpcConfig {
    /// Where the function's network interfaces live. Both lists are required: the PCI DSS rule
    /// `LAMBDA_INSIDE_VPC` (PCI DSS 1.3) wants functions inside the VPC, behind security groups.
    pub fn inside(subnet_ids: Vec<Expr>, security_group_ids: Vec<Expr>) -> Self {
        VpcConfig::new()
            .subnet_ids(subnet_ids)
            .security_group_ids(security_group_ids)
    }
}

impl LoggingConfig {
    /// Logs as JSON to `log_group` (its name) rather than the group Lambda would create on first invocation,
    /// which no template owns and which would keep logs forever unencrypted. Lambda filters by log level only for
    /// JSON logs, so the levels come with this constructor and plain-text logs have none (cfn-lint rejects
    /// `SystemLogLevel` with `Text`).
    pub fn json(log_group: Expr, application: ApplicationLogLevel, system: SystemLogLevel) -> Self {
        LoggingConfig::new()
            .log_group(log_group)
            .log_format(LogFormat::Json)
            .application_log_level(application)
            .system_log_level(system)
    }

    /// Logs as plain text to `log_group` (its name), for the same reason as [`LoggingConfig::json`].
    pub fn text(log_group: Expr) -> Self {
        LoggingConfig::new()
            .log_group(log_group)
            .log_format(LogFormat::Text)
    }
}

impl Function {
    /// A Python function on [`PYTHON_RUNTIME`] whose source is `source`. CloudFormation requires only `Code` and
    /// `Role`, but inline source also needs a runtime and a handler. Only inline source: CloudFormation saves it
    /// as `index.py` and zips it, so there is no artifact bucket to secure and the code a reviewer reads is the
    /// code that runs; `handler` is `index.<function>`.
    pub fn python_inline(
        source: impl Into<String>,
        handler: impl Into<String>,
        role_arn: impl Into<RoleArn>,
    ) -> Self {
        let code = Code::new().zip_file(source.into());
        Function::new(code, handler.into(), role_arn, PYTHON_RUNTIME)
    }

    /// Lambda runs a function on exactly one architecture, so this sets the one-element list.
    pub fn architecture(self, architecture: Architecture) -> Self {
        self.architectures(vec![architecture])
    }

    /// Adds one environment variable. Lambda reserves names such as `AWS_REGION` and `_HANDLER`; cfn-lint
    /// reports them.
    pub fn environment_variable(mut self, name: &str, value: impl Into<Expr>) -> Self {
        let environment = self.environment.get_or_insert_with(Environment::new);
        let variables = environment.variables.get_or_insert_with(Default::default);
        variables.insert(name.to_string(), value.into());
        self
    }

    /// Traces requests with X-Ray in `mode` (`Active` samples even when the caller did not).
    pub fn tracing(self, mode: TracingMode) -> Self {
        self.tracing_config(TracingConfig::new().mode(mode))
    }
}

impl Permission {
    /// Lets `principal` (a service such as `apigateway.amazonaws.com`) invoke the function, only on behalf of
    /// `source_arn`. The source is required: a service principal without one lets any account's resource of that
    /// service invoke the function (the confused deputy; PCI DSS rule `LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED`).
    pub fn invoke(function_name: Expr, principal: impl Into<Expr>, source_arn: Expr) -> Self {
        Permission::new("lambda:InvokeFunction", function_name, principal).source_arn(source_arn)
    }
}

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
