//! Every action a statement names is checked against the IAM actions of the pinned cfn-lint as the statement is
//! serialized into a template: a misspelt action is refused by the render, where IAM would otherwise deny it at run
//! time without a word.

use super::iam_actions::ACTIONS;

/// Notes each of `actions` that names no IAM action, for the render of the template being serialized to report
/// with the resource's logical id; outside a render nothing is recorded.
pub(super) fn note_unknown(actions: &[String]) {
    for action in actions {
        if let Err(problem) = known_action(action) {
            crate::cfn::note_problem(problem);
        }
    }
}

/// Whether `action` (`service:Action`, `*` matching any characters) names at least one IAM action.
pub fn known_action(action: &str) -> Result<(), String> {
    if action == "*" {
        return Ok(());
    }
    let Some((service, name)) = action.split_once(':') else {
        return Err(format!("the IAM action `{action}` has no service prefix"));
    };
    let Some((_, actions)) = ACTIONS
        .iter()
        .find(|(prefix, _)| prefix.eq_ignore_ascii_case(service))
    else {
        return Err(format!(
            "the IAM action `{action}` is of a service not in src/policy/iam_actions.services"
        ));
    };
    let name = name.to_ascii_lowercase();
    let known = if name.contains('*') {
        actions.iter().any(|a| glob_matches(&name, a))
    } else {
        actions.binary_search(&name.as_str()).is_ok()
    };
    if known {
        Ok(())
    } else {
        Err(format!("`{action}` is not an IAM action of {service}"))
    }
}

/// `*`-glob matching, as IAM applies it to action names.
fn glob_matches(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            text.starts_with(head)
                && (0..=text.len() - head.len())
                    .any(|skip| glob_matches(rest, &text[head.len() + skip..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_checked_against_the_pinned_table_case_insensitively_with_globs() {
        assert_eq!(known_action("kms:Decrypt"), Ok(()));
        assert_eq!(known_action("KMS:decrypt"), Ok(()));
        assert_eq!(known_action("kms:GenerateDataKey*"), Ok(()));
        assert_eq!(known_action("s3:*"), Ok(()));
        assert_eq!(known_action("*"), Ok(()));
        assert_eq!(
            known_action("kms:Decript"),
            Err("`kms:Decript` is not an IAM action of kms".into())
        );
        assert_eq!(
            known_action("kms:Nothing*"),
            Err("`kms:Nothing*` is not an IAM action of kms".into())
        );
        assert!(
            known_action("frobnicate:Run")
                .unwrap_err()
                .contains("iam_actions.services")
        );
        assert!(
            known_action("Decrypt")
                .unwrap_err()
                .contains("no service prefix")
        );
    }

    /// A misspelt action is refused at render, naming the resource; outside a template nothing is recorded.
    #[test]
    fn a_misspelt_action_is_refused_by_the_render() {
        use crate::cfn::{Format, LogicalId, Template};
        let mut template = Template::new("test");
        template.add(
            LogicalId::verbatim("Policy"),
            crate::resources::iam::ManagedPolicy::new(crate::policy::PolicyDocument::new(vec![
                crate::policy::Statement::allow("Read", &["s3:GetObjekt"]).resource("*"),
            ])),
        );
        assert_eq!(
            template.render(Format::Json).unwrap_err().problems,
            ["resource Policy: `s3:GetObjekt` is not an IAM action of s3"]
        );
    }
}
