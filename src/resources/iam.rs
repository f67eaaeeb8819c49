//! AWS Identity and Access Management: roles and managed policies, over the types generated in
//! `src/resources/generated/iam.rs`, and the policy language they share with key, bucket and topic policies
//! ([`crate::policy`], re-exported here).

pub use super::generated::iam::*;
pub use super::slot::RoleArn;
pub use crate::policy::{ConditionValue, Effect, PolicyDocument, Principal, Statement};

use crate::cfn::Expr;

impl Role {
    /// A role that the given service principal may assume.
    pub fn for_service(service_principal: impl Into<Expr>) -> Self {
        Role::new(PolicyDocument::new(vec![
            Statement::allow("TrustService", &["sts:AssumeRole"])
                .principal(Principal::service(service_principal)),
        ]))
    }

    /// A role that the given service principal may assume only when acting for this account (the
    /// confused-deputy guard, `aws:SourceAccount`).
    pub fn for_service_in_this_account(service_principal: impl Into<Expr>) -> Self {
        Role::new(PolicyDocument::new(vec![
            Statement::allow("TrustService", &["sts:AssumeRole"])
                .principal(Principal::service(service_principal))
                .from_this_account(),
        ]))
    }

    /// Attaches the managed policy with ARN `arn` (`Ref` of a [`ManagedPolicy`]). IAM's default quota is 10
    /// managed policies per role. A role has no inline `Policies`: permissions come from managed policies, which
    /// PCI DSS 7.2 reviews can list and audit (cfn-guard `IAM_NO_INLINE_POLICY_CHECK`).
    pub fn managed_policy(mut self, arn: Expr) -> Self {
        self.managed_policy_arns
            .get_or_insert_with(Vec::new)
            .push(arn);
        self
    }
}

impl ManagedPolicy {
    /// Attaches the policy to a role (by the role's name, which is what `Ref` of a role returns).
    pub fn attach_to(mut self, role_name: Expr) -> Self {
        self.roles.get_or_insert_with(Vec::new).push(role_name);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn service_roles_trust_only_their_service() {
        let role = Role::for_service("vpc-flow-logs.amazonaws.com");
        let value = serde_json::to_value(&role).unwrap();
        assert_eq!(
            value["AssumeRolePolicyDocument"]["Statement"][0]["Principal"],
            json!({"Service": "vpc-flow-logs.amazonaws.com"})
        );
    }

    #[test]
    fn roles_cannot_carry_inline_policies() {
        // Asked of the schema of everything a Role can serialize, not of one rendered role, which would pass
        // whatever the struct allowed.
        let schema = serde_json::to_value(schemars::schema_for!(Role)).unwrap();
        let properties = schema["properties"]
            .as_object()
            .expect("a role's schema lists its properties");
        assert!(properties.contains_key("ManagedPolicyArns"));
        assert!(!properties.contains_key("Policies"), "{properties:?}");
    }
}
