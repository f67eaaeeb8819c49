//! A policy statement: who (for resource and trust policies), may or may not do which actions, on which resources,
//! under which conditions. Single items render as scalars, as policies are usually written.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Serialize, Serializer};

use super::actions::note_unknown;
use crate::cfn::Expr;

/// Whether a statement grants or refuses its actions. An explicit `Deny` in any policy that applies overrides
/// every `Allow`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub enum Effect {
    /// Grants the actions, unless some policy that applies denies them.
    Allow,
    /// Refuses the actions whatever any policy allows: for guards such as refusing requests without TLS.
    Deny,
}

/// Who a resource policy statement applies to.
#[derive(Clone, Debug, PartialEq, JsonSchema)]
pub enum Principal {
    /// AWS services by service principal, e.g. `states.amazonaws.com`; narrow it with the source account or
    /// source ARN (the confused-deputy guard).
    Service(Vec<Expr>),
    /// Accounts or IAM principals by ARN. A role or user named here must exist when the policy is saved, or AWS
    /// refuses the policy as naming an invalid principal.
    Aws(Vec<Expr>),
    /// `"*"`: used only in Deny statements (TLS enforcement) and with conditions that narrow it.
    Everyone,
}

impl Principal {
    /// One service principal, e.g. `vpc-flow-logs.amazonaws.com`.
    pub fn service(name: impl Into<Expr>) -> Self {
        Principal::Service(vec![name.into()])
    }

    /// One account or IAM principal, by ARN.
    pub fn aws(arn: Expr) -> Self {
        Principal::Aws(vec![arn])
    }
}

/// A list that renders as a scalar when it has one element, as policies are usually written.
fn one_or_many<S: Serializer, T: Serialize>(items: &[T], serializer: S) -> Result<S::Ok, S::Error> {
    match items {
        [single] => single.serialize(serializer),
        many => many.serialize(serializer),
    }
}

/// The statement's actions, each checked against the pinned IAM actions ([`super::actions`]) as the statement is
/// serialized into a template.
fn checked_actions<S: Serializer>(actions: &[String], serializer: S) -> Result<S::Ok, S::Error> {
    note_unknown(actions);
    one_or_many(actions, serializer)
}

impl Serialize for Principal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        struct OneOrMany<'a>(&'a [Expr]);
        impl Serialize for OneOrMany<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                one_or_many(self.0, s)
            }
        }
        match self {
            Principal::Everyone => serializer.serialize_str("*"),
            Principal::Service(items) | Principal::Aws(items) => {
                let key = if matches!(self, Principal::Service(_)) {
                    "Service"
                } else {
                    "AWS"
                };
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry(key, &OneOrMany(items))?;
                map.end()
            }
        }
    }
}

/// The value of one condition key.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ConditionValue {
    /// A JSON boolean, for the `Bool` operator (e.g. `aws:SecureTransport`).
    Bool(bool),
    /// A single value, e.g. the account id for `aws:SourceAccount`.
    One(Expr),
    /// Several values: the condition holds when the key matches any of them.
    Many(Vec<Expr>),
}

impl From<Expr> for ConditionValue {
    fn from(value: Expr) -> Self {
        ConditionValue::One(value)
    }
}

impl From<&str> for ConditionValue {
    fn from(value: &str) -> Self {
        ConditionValue::One(value.into())
    }
}

impl From<bool> for ConditionValue {
    fn from(value: bool) -> Self {
        ConditionValue::Bool(value)
    }
}

impl From<Vec<Expr>> for ConditionValue {
    fn from(value: Vec<Expr>) -> Self {
        ConditionValue::Many(value)
    }
}

/// One statement of a policy document. Every statement has a `Sid`, unique within its policy, by which reviews
/// and the stack's deduplication of grants identify it.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
    effect: Effect,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal: Option<Principal>,
    #[serde(serialize_with = "checked_actions")]
    action: Vec<String>,
    /// Empty only in trust policies, where the role itself is the resource.
    #[serde(serialize_with = "one_or_many", skip_serializing_if = "Vec::is_empty")]
    resource: Vec<Expr>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    condition: BTreeMap<String, BTreeMap<String, ConditionValue>>,
}

impl Statement {
    /// Allows `actions` (`service:Action`, with `*` wildcards), each checked against the known IAM actions when
    /// the template renders. IAM accepts only ASCII letters and digits in a `Sid`.
    pub fn allow(sid: &str, actions: &[&str]) -> Self {
        Self::new(sid, Effect::Allow, actions)
    }

    /// Denies `actions` whatever other statements or policies allow; `sid` and `actions` as for
    /// [`Statement::allow`].
    pub fn deny(sid: &str, actions: &[&str]) -> Self {
        Self::new(sid, Effect::Deny, actions)
    }

    fn new(sid: &str, effect: Effect, actions: &[&str]) -> Self {
        Statement {
            sid: Some(sid.to_string()),
            effect,
            principal: None,
            action: actions.iter().map(|a| a.to_string()).collect(),
            resource: Vec::new(),
            condition: BTreeMap::new(),
        }
    }

    /// Whom the statement applies to. Only resource and trust policies take a principal: IAM rejects one in a
    /// managed policy.
    pub fn principal(mut self, principal: Principal) -> Self {
        self.principal = Some(principal);
        self
    }

    /// Adds a resource the actions apply to: an ARN, an ARN pattern with `*`, or `*`.
    pub fn resource(mut self, resource: impl Into<Expr>) -> Self {
        self.resource.push(resource.into());
        self
    }

    /// Adds several resources, as [`Statement::resource`] does.
    pub fn resources(mut self, resources: impl IntoIterator<Item = Expr>) -> Self {
        self.resource.extend(resources);
        self
    }

    /// Adds `{operator: {key: value}}` to the statement's Condition block.
    pub fn condition(
        mut self,
        operator: &str,
        key: &str,
        value: impl Into<ConditionValue>,
    ) -> Self {
        self.condition
            .entry(operator.to_string())
            .or_default()
            .insert(key.to_string(), value.into());
        self
    }

    /// Limits a service principal to acting on behalf of this account (the confused-deputy guard).
    pub fn from_this_account(self) -> Self {
        self.condition("StringEquals", "aws:SourceAccount", Expr::account_id())
    }

    /// The `Sid`, by which reports and the stack's deduplication of grants identify the statement.
    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    /// Whether the statement grants or refuses its actions.
    pub fn effect(&self) -> Effect {
        self.effect
    }

    /// The actions as written: a glob such as `kms:GenerateDataKey*` is not expanded.
    pub fn actions(&self) -> &[String] {
        &self.action
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn single_items_render_as_scalars_and_conditions_keep_booleans() {
        let statement = Statement::deny("DenyInsecureTransport", &["s3:*"])
            .principal(Principal::Everyone)
            .resource(Expr::lit("arn:aws:s3:::b"))
            .resource(Expr::lit("arn:aws:s3:::b/*"))
            .condition("Bool", "aws:SecureTransport", false);
        assert_eq!(
            serde_json::to_value(&statement).unwrap(),
            json!({
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                "Condition": {"Bool": {"aws:SecureTransport": false}}
            })
        );
    }
}
