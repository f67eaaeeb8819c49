//! The generic AWS SDK integration: an API action of any service Step Functions' AWS SDK integration supports
//! (`arn:aws:states:::aws-sdk:service:apiAction`), for a call the typed integrations of
//! [`super::integration`] do not cover. A typed integration knows its IAM actions, its resources and its
//! permanent errors; here the caller states them, and the definition still derives the execution role's
//! statements from them, so the role holds exactly what the call needs and nothing the caller forgot to say
//! renders a role without it: [`crate::asl::StateMachineDefinition::build`] refuses a call that grants no action.
//!
//! ```
//! use migen::asl::{Input, SdkCall, StateMachineDefinition, Task};
//! use migen::cfn::Expr;
//!
//! // EC2 authorizes DescribeVpcs only on "*" (its service authorization reference lists no resource type).
//! let describe = SdkCall::new("ec2", "describeVpcs", "Ec2")
//!     .parameter("VpcIds", Input::json(serde_json::json!(["vpc-0a1b2c3d"])))
//!     .allow_on_all("ec2:DescribeVpcs", "EC2 authorizes Describe actions only on all resources")
//!     .into_integration();
//! let definition = StateMachineDefinition::new("Describe")
//!     .state("Describe", Task::new(describe).timeout_seconds(30).end())
//!     .build()
//!     .expect("a valid definition");
//! assert_eq!(definition.unscoped_actions()[0].action, "ec2:DescribeVpcs");
//! ```

use super::integration::{Input, Integration, Service, UnscopedAction};
use crate::cfn::Expr;

/// One call of the generic AWS SDK integration, built up with what the call needs, then turned into the
/// [`Integration`] a [`crate::asl::Task`] runs.
#[derive(Clone, Debug, PartialEq)]
pub struct SdkCall {
    integration: Integration,
}

impl SdkCall {
    /// A call of `api_action` (camelCase, as the SDK spells it: `describeVpcs`) of `service` (the SDK's lower-case
    /// service name, as in the Resource ARN: `ec2`, `databasemigration`, `acmpca`). `error_prefix` is the service's
    /// name in PascalCase, with which Step Functions prefixes the call's errors (`Ec2`, `DatabaseMigration`,
    /// `AcmPca`): it is not derivable from the lower-case name, so the caller says it.
    /// [`crate::asl::StateMachineDefinition::build`] refuses names of the wrong shape.
    pub fn new(
        service: &'static str,
        api_action: &'static str,
        error_prefix: &'static str,
    ) -> Self {
        SdkCall {
            integration: Integration::new(
                format!("arn:aws:states:::aws-sdk:{service}:{api_action}"),
                Service::Sdk(error_prefix),
            ),
        }
    }

    /// Sets the API parameter `name` (PascalCase, as Step Functions spells SDK parameters) to `value`: a constant,
    /// or a JSONPath of the state's input.
    pub fn parameter(mut self, name: &str, value: Input) -> Self {
        self.integration = self.integration.set(name, value);
        self
    }

    /// Sets the API parameter `name` to a resource of the template, through the placeholder `placeholder` that
    /// `DefinitionSubstitutions` binds to `value` (a handle's `Ref` or attribute). Two calls binding one
    /// placeholder name to different values are refused by `build`.
    pub fn resource_parameter(mut self, name: &str, placeholder: &str, value: Expr) -> Self {
        self.integration = self.integration.bind(name, placeholder.to_string(), value);
        self
    }

    /// The execution role may call `actions` (`service:Action`, checked against the pinned IAM action list when
    /// the template renders) on `resource`.
    pub fn allow(mut self, actions: &[&'static str], resource: Expr) -> Self {
        let sid = format!("{}Call", self.integration.service.error_prefix());
        self.integration = self.integration.grant(sid, actions, resource);
        self
    }

    /// The execution role may call `action` on `*`, which the service's authorization reference leaves as the only
    /// choice; `reason` goes into the description of the separate policy that grants it, for the reviewer.
    pub fn allow_on_all(mut self, action: &'static str, reason: &'static str) -> Self {
        self.integration
            .unscoped
            .push(UnscopedAction { action, reason });
        self
    }

    /// The API errors (as the service's API reference spells them) that a retry cannot change: the call's
    /// retriers never retry them, and a Catch can name them with [`Integration::error`].
    pub fn permanent_errors(mut self, api_errors: &[&str]) -> Self {
        self.integration = self.integration.permanent(api_errors);
        self
    }

    /// The call does more when made twice (it creates, sends or starts something), so a timed-out attempt is not
    /// retried.
    pub fn not_idempotent(mut self) -> Self {
        self.integration = self.integration.not_idempotent();
        self
    }

    /// The integration a Task state runs.
    pub fn into_integration(self) -> Integration {
        self.integration
    }
}

/// Whether `resource` is a well-formed generic SDK resource: lower-case service, camelCase action, and a
/// PascalCase error prefix. `None` for the typed integrations.
pub(crate) fn shape_problem(integration: &Integration) -> Option<String> {
    let Service::Sdk(prefix) = integration.service else {
        return None;
    };
    let rest = integration
        .resource
        .strip_prefix("arn:aws:states:::aws-sdk:")
        .unwrap_or_default();
    let (service, action) = rest.split_once(':').unwrap_or((rest, ""));
    let service_ok = !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let action_ok = action.starts_with(|c: char| c.is_ascii_lowercase())
        && action.chars().all(|c| c.is_ascii_alphanumeric());
    let prefix_ok = prefix.starts_with(|c: char| c.is_ascii_uppercase())
        && prefix.chars().all(|c| c.is_ascii_alphanumeric());
    if !(service_ok && action_ok && prefix_ok) {
        return Some(format!(
            "service `{service}`, action `{action}`, error prefix `{prefix}`; allowed: a lower-case service name \
             (`ec2`), a camelCase API action (`describeVpcs`) and the service's name in PascalCase (`Ec2`)"
        ));
    }
    if integration.grants.is_empty() && integration.unscoped.is_empty() {
        return Some(format!(
            "`{service}:{action}` grants the execution role no action, so every execution would be denied; \
             allowed: a call with allow or allow_on_all"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asl::{AslError, ErrorName, StateMachineDefinition, Task};

    fn build(call: SdkCall) -> Result<crate::asl::Definition, Vec<AslError>> {
        StateMachineDefinition::new("Call")
            .state(
                "Call",
                Task::new(call.into_integration()).timeout_seconds(30).end(),
            )
            .build()
    }

    #[test]
    fn a_call_renders_its_resource_parameters_statements_and_error_names() {
        let call = SdkCall::new("acmpca", "describeCertificateAuthority", "AcmPca")
            .resource_parameter(
                "CertificateAuthorityArn",
                "AuthorityArn",
                Expr::lit("arn:aws:acm-pca:ap-southeast-1:123456789012:certificate-authority/x"),
            )
            .allow(
                &["acm-pca:DescribeCertificateAuthority"],
                Expr::lit("arn:aws:acm-pca:ap-southeast-1:123456789012:certificate-authority/x"),
            )
            .permanent_errors(&["ResourceNotFoundException"]);
        let integration = call.clone().into_integration();
        assert_eq!(
            integration.resource_arn(),
            "arn:aws:states:::aws-sdk:acmpca:describeCertificateAuthority"
        );
        assert_eq!(
            integration.error("InvalidArnException"),
            ErrorName::Custom("AcmPca.InvalidArnException".into())
        );
        let definition = build(call).expect("valid");
        let document = serde_json::Value::Object(definition.to_json());
        assert_eq!(
            document["States"]["Call"]["Parameters"]["CertificateAuthorityArn"],
            "${AuthorityArn}"
        );
        let statements = serde_json::to_value(definition.policy_statements()).unwrap();
        assert_eq!(
            statements[0]["Action"],
            serde_json::json!("acm-pca:DescribeCertificateAuthority")
        );
        assert!(definition.substitutions().contains_key("AuthorityArn"));
    }

    #[test]
    fn a_call_without_a_permission_or_with_misshapen_names_is_refused() {
        let errors = build(SdkCall::new("ec2", "describeVpcs", "Ec2")).unwrap_err();
        assert!(
            errors[0]
                .to_string()
                .contains("grants the execution role no action"),
            "{errors:?}"
        );
        let errors = build(
            SdkCall::new("EC2", "DescribeVpcs", "ec2")
                .allow_on_all("ec2:DescribeVpcs", "only on *"),
        )
        .unwrap_err();
        assert!(
            errors[0].to_string().contains("a lower-case service name"),
            "{errors:?}"
        );
    }
}
