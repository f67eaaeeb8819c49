//! The execution role a state machine needs, derived from what it runs and how it is configured: the calls of
//! its definition (scoped to the resources they act on), encryption of execution data with the key it is
//! configured with, log delivery when it logs and X-Ray when it traces. A state machine added with
//! [`add_state_machine`] gets that role and nothing more; [`StateMachine::running`] with a role of the caller's
//! is the explicit opt-out, for a role managed elsewhere.

use super::Definition;
use crate::cfn::{Attributes, Expr, Handle, LogicalId, Template};
use crate::policy::{PolicyDocument, Statement};
use crate::resources::iam::{ManagedPolicy, Role};
use crate::resources::stepfunctions::StateMachine;

/// Why CloudWatch Logs' delivery actions are granted on `*`.
const LOG_DELIVERY_REASON: &str = "CloudWatch Logs authorizes the log-delivery actions Step Functions logging needs only on all resources";
/// Why X-Ray's actions are granted on `*`.
const TRACING_REASON: &str =
    "X-Ray authorizes sending trace segments and reading sampling rules only on all resources";

/// What an execution role must hold for one state machine, in two policies: what can be scoped to a resource,
/// and what AWS authorizes only on `*`, with the reasons a reviewer reads in that policy's description.
#[derive(Clone, Debug, PartialEq)]
pub struct ExecutionPolicies {
    /// The definition's calls on their resources, and encryption of execution data with the configured key.
    pub scoped: Vec<Statement>,
    /// The definition's unscoped actions, log delivery when the state machine logs, X-Ray when it traces; empty
    /// when there is none.
    pub unscoped: Vec<Statement>,
    /// One reason per kind of unscoped grant, in the order of [`ExecutionPolicies::unscoped`].
    pub reasons: Vec<&'static str>,
}

impl Definition {
    /// The policies the execution role of `machine`, which runs this definition, must hold.
    pub fn execution_policies(&self, machine: &StateMachine) -> ExecutionPolicies {
        let mut scoped = self.policy_statements();
        if let Some(key) = machine
            .encryption_configuration
            .as_ref()
            .and_then(|c| c.kms_key_id.as_ref())
        {
            // The execution data is encrypted with the key, as the execution role.
            scoped.push(
                Statement::allow(
                    "EncryptExecutionData",
                    &["kms:Decrypt", "kms:GenerateDataKey"],
                )
                .resource(key.clone().into_expr()),
            );
        }
        let mut unscoped: Vec<Statement> = self.unscoped_statement().into_iter().collect();
        let mut reasons: Vec<&'static str> =
            self.unscoped_actions().iter().map(|a| a.reason).collect();
        let logs = machine
            .logging_configuration
            .as_ref()
            .is_some_and(|l| l.destinations.as_ref().is_some_and(|d| !d.is_empty()));
        if logs {
            unscoped.push(
                Statement::allow(
                    "DeliverExecutionLogs",
                    &[
                        "logs:CreateLogDelivery",
                        "logs:DeleteLogDelivery",
                        "logs:DescribeLogGroups",
                        "logs:DescribeResourcePolicies",
                        "logs:GetLogDelivery",
                        "logs:ListLogDeliveries",
                        "logs:PutResourcePolicy",
                        "logs:UpdateLogDelivery",
                    ],
                )
                .resource("*"),
            );
            reasons.push(LOG_DELIVERY_REASON);
        }
        let traces = machine
            .tracing_configuration
            .as_ref()
            .is_some_and(|t| t.enabled == Some(true));
        if traces {
            unscoped.push(
                Statement::allow(
                    "SendTraces",
                    &[
                        "xray:GetSamplingRules",
                        "xray:GetSamplingTargets",
                        "xray:PutTelemetryRecords",
                        "xray:PutTraceSegments",
                    ],
                )
                .resource("*"),
            );
            reasons.push(TRACING_REASON);
        }
        ExecutionPolicies {
            scoped,
            unscoped,
            reasons,
        }
    }
}

impl ExecutionPolicies {
    /// The managed policies that hold these statements, attached to the role `role_name` and described for `what`
    /// (`the state machine Report`): the scoped one, and, when anything is granted on `*`, the unscoped one with the
    /// attributes that record its reasons against the wildcard-action guard rule.
    pub fn into_managed_policies(
        self,
        role_name: Expr,
        what: &str,
    ) -> (ManagedPolicy, Option<(ManagedPolicy, Attributes)>) {
        let scoped = ManagedPolicy::new(PolicyDocument::new(self.scoped))
            .description(format!("Exactly the calls of {what}, on its resources"))
            .attach_to(role_name.clone());
        let unscoped = (!self.unscoped.is_empty()).then(|| {
            let reason = self.reasons.join("; ");
            (
                ManagedPolicy::new(PolicyDocument::new(self.unscoped))
                    .description(format!("Actions of {what} that AWS authorizes only on *"))
                    .attach_to(role_name),
                Attributes::new().suppress_guard_rule("MIGEN_IAM_NO_WILDCARD_ACTIONS", &reason),
            )
        });
        (scoped, unscoped)
    }
}

/// A state machine added with its derived execution role: the handles of all four resources.
pub struct Workflow {
    /// The state machine, depending on both policies so that no execution starts before its role may act.
    pub state_machine: Handle<StateMachine>,
    /// The execution role, which Step Functions may assume only for this account.
    pub role: Handle<Role>,
    /// The managed policy of [`ExecutionPolicies::scoped`].
    pub policy: Handle<ManagedPolicy>,
    /// The managed policy of [`ExecutionPolicies::unscoped`], when there is any.
    pub unscoped_policy: Option<Handle<ManagedPolicy>>,
}

/// Adds to `template` a state machine running `definition`, configured by `configure` (its type, logging,
/// tracing, encryption, name), with an execution role that holds exactly what [`Definition::execution_policies`]
/// derives: the resources are `<id>Role`, `<id>Policy`, `<id>UnscopedPolicy` (only when something is granted on
/// `*`, its description carrying the reasons) and `<id>` itself. A key it encrypts with must still let Step
/// Functions use it in the key's own policy.
pub fn add_state_machine(
    template: &mut Template,
    id: &str,
    definition: &Definition,
    configure: impl FnOnce(StateMachine) -> StateMachine,
) -> Workflow {
    let role = template.add(
        LogicalId::verbatim(format!("{id}Role")),
        Role::for_service_in_this_account("states.amazonaws.com")
            .description(format!("Runs the state machine {id}")),
    );
    let machine = configure(StateMachine::running(&role, definition));
    let (scoped, unscoped) = definition
        .execution_policies(&machine)
        .into_managed_policies(role.role_name(), &format!("the state machine {id}"));
    let policy = template.add(LogicalId::verbatim(format!("{id}Policy")), scoped);
    let mut attributes = Attributes::new().depends_on(&policy);
    let unscoped_policy = unscoped.map(|(unscoped, unscoped_attributes)| {
        template.add_with(
            LogicalId::verbatim(format!("{id}UnscopedPolicy")),
            unscoped,
            unscoped_attributes,
        )
    });
    if let Some(unscoped) = &unscoped_policy {
        attributes = attributes.depends_on(unscoped);
    }
    let state_machine = template.add_with(LogicalId::verbatim(id), machine, attributes);
    Workflow {
        state_machine,
        role,
        policy,
        unscoped_policy,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::asl::integration::sns_publish;
    use crate::asl::{Input, SdkCall, StateMachineDefinition, Task};
    use crate::cfn::{Expr, Format};
    use crate::resources::iam::Principal;
    use crate::resources::kms::Key;
    use crate::resources::sns::Topic;
    use crate::resources::stepfunctions::{EncryptionConfiguration, TracingConfiguration};
    use crate::testing::RenderedTemplate;

    fn key(template: &mut Template) -> Handle<Key> {
        template.add(
            LogicalId::verbatim("Key"),
            Key::rotating(PolicyDocument::new(vec![
                Statement::allow("AccountAdministers", &["kms:*"])
                    .principal(Principal::aws(Expr::account_root_arn()))
                    .resource("*"),
            ])),
        )
    }

    /// A template with a key and a topic encrypted with it, and the task publishing to that topic.
    fn publishing(template: &mut Template) -> (Handle<Key>, Task) {
        let key = key(template);
        let topic = template.add(LogicalId::verbatim("Topic"), Topic::encrypted(&key));
        let publish = Task::new(sns_publish(&topic, Input::text("done")).encrypted_with(&key))
            .timeout_seconds(30);
        (key, publish)
    }

    #[test]
    fn the_role_holds_the_definitions_calls_and_what_the_configuration_needs() {
        let mut template = Template::new("a derived execution role");
        let (key, publish) = publishing(&mut template);
        let definition = StateMachineDefinition::new("Publish")
            .state("Publish", publish.next("Describe"))
            .state(
                "Describe",
                Task::new(
                    SdkCall::new("ec2", "describeVpcs", "Ec2")
                        .allow_on_all(
                            "ec2:DescribeVpcs",
                            "EC2 authorizes Describe actions only on *",
                        )
                        .into_integration(),
                )
                .timeout_seconds(30)
                .end(),
            )
            .build()
            .expect("valid");
        let workflow = add_state_machine(&mut template, "Report", &definition, |machine| {
            machine
                .encryption_configuration(EncryptionConfiguration::customer_managed_key(&key))
                .tracing_configuration(TracingConfiguration::new().enabled(true))
        });
        assert!(workflow.unscoped_policy.is_some());
        let rendered =
            RenderedTemplate::parse(&template.render(Format::Json).expect("renders").body).unwrap();
        rendered.has_resource_properties(
            "AWS::IAM::ManagedPolicy",
            &json!({
                "Roles": [{"Ref": "ReportRole"}],
                "PolicyDocument": {"Statement": [
                    {"Action": "sns:Publish", "Resource": {"Ref": "Topic"}},
                    {"Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": {"Fn::GetAtt": ["Key", "Arn"]}},
                    {"Sid": "EncryptExecutionData", "Resource": {"Fn::GetAtt": ["Key", "Arn"]}},
                ]},
            }),
        );
        let unscoped = rendered.has_resource_properties(
            "AWS::IAM::ManagedPolicy",
            &json!({"PolicyDocument": {"Statement": [
                {"Action": "ec2:DescribeVpcs", "Resource": "*"},
                {"Sid": "SendTraces", "Resource": "*"},
            ]}}),
        );
        assert_eq!(unscoped, "ReportUnscopedPolicy");
        rendered.has_resource(
            "AWS::StepFunctions::StateMachine",
            &json!({"DependsOn": ["ReportPolicy", "ReportUnscopedPolicy"]}),
        );
    }

    #[test]
    fn a_role_with_nothing_unscoped_has_one_policy() {
        let mut template = Template::new("a derived execution role");
        let (_, publish) = publishing(&mut template);
        let definition = StateMachineDefinition::new("Publish")
            .state("Publish", publish.end())
            .build()
            .expect("valid");
        let workflow = add_state_machine(&mut template, "Report", &definition, |machine| machine);
        assert!(workflow.unscoped_policy.is_none());
        let rendered =
            RenderedTemplate::parse(&template.render(Format::Json).expect("renders").body).unwrap();
        rendered.resource_count_is("AWS::IAM::ManagedPolicy", 1);
        rendered.has_resource(
            "AWS::StepFunctions::StateMachine",
            &json!({"DependsOn": ["ReportPolicy"]}),
        );
    }
}
