//! The one walker of references in a rendered template: what a value names through `Ref`, `Fn::GetAtt` (the list
//! form migen writes, and the dotted string form other tools write), the names inside `Fn::Sub` strings that are
//! not the substitution's own variables, and `Fn::If` and `Condition`. The render pass checks each reference
//! against the template; the review tools read the same list to see which resources depend on which.

use serde_json::Value;

use super::sub;

/// What a reference names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefKind {
    /// `Ref` or `${Name}`: a resource or a parameter.
    Ref,
    /// `Fn::GetAtt` or `${Resource.Attribute}`: a resource.
    GetAtt,
    /// `Fn::If` or `Condition`: a condition.
    Condition,
}

impl RefKind {
    /// What the reference must name, for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            RefKind::Ref => "resource or parameter",
            RefKind::GetAtt => "resource",
            RefKind::Condition => "condition",
        }
    }
}

/// One reference: its kind, the logical id it names and, for an attribute read, which attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// Which function names the target, and so whether it may be a parameter or condition.
    pub kind: RefKind,
    /// The logical id named, as written in the template (checked against the template, not assumed to exist).
    pub target: String,
    /// What a [`RefKind::GetAtt`] reads, when it names an attribute.
    pub attribute: Option<AttributeRead>,
}

/// An attribute named by `Fn::GetAtt` or inside an `Fn::Sub` string (`${Resource.Attribute}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttributeRead {
    /// The attribute, e.g. `Arn` or `Endpoint.Address`.
    pub name: String,
    /// `Fn::GetAtt` or `Fn::Sub`, for error messages.
    pub function: &'static str,
}

impl Reference {
    fn to(kind: RefKind, target: &str) -> Self {
        Reference {
            kind,
            target: target.to_string(),
            attribute: None,
        }
    }

    fn attribute(target: &str, name: &str, function: &'static str) -> Self {
        Reference {
            kind: RefKind::GetAtt,
            target: target.to_string(),
            attribute: Some(AttributeRead {
                name: name.to_string(),
                function,
            }),
        }
    }
}

/// Every reference in a rendered value, in document order. Pseudo parameters (`AWS::Region`) are not
/// references: no template declares them.
pub fn references(value: &Value) -> Vec<Reference> {
    let mut found = Vec::new();
    collect(value, &mut found);
    found
}

fn collect(value: &Value, found: &mut Vec<Reference>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| collect(v, found)),
        Value::Object(map) if map.len() == 1 => {
            let (key, arg) = map.iter().next().expect("map has one entry");
            match (key.as_str(), arg) {
                ("Ref", Value::String(target)) => {
                    if !sub::is_pseudo(target) {
                        found.push(Reference::to(RefKind::Ref, target));
                    }
                }
                ("Fn::GetAtt", Value::Array(parts)) => match (parts.first(), parts.get(1)) {
                    (Some(Value::String(target)), Some(Value::String(attribute))) => {
                        found.push(Reference::attribute(target, attribute, "Fn::GetAtt"));
                    }
                    (Some(Value::String(target)), _) => {
                        found.push(Reference::to(RefKind::GetAtt, target));
                    }
                    _ => {}
                },
                ("Fn::GetAtt", Value::String(dotted)) => match dotted.split_once('.') {
                    Some((target, attribute)) => {
                        found.push(Reference::attribute(target, attribute, "Fn::GetAtt"));
                    }
                    None => found.push(Reference::to(RefKind::GetAtt, dotted)),
                },
                ("Fn::Sub", Value::String(template)) => substituted(template, &[], found),
                ("Fn::Sub", Value::Array(parts)) => {
                    let variables: Vec<&str> = parts
                        .get(1)
                        .and_then(Value::as_object)
                        .map(|m| m.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    if let Some(Value::String(template)) = parts.first() {
                        substituted(template, &variables, found);
                    }
                    parts.iter().skip(1).for_each(|v| collect(v, found));
                }
                ("Fn::If", Value::Array(parts)) => {
                    if let Some(Value::String(condition)) = parts.first() {
                        found.push(Reference::to(RefKind::Condition, condition));
                    }
                    parts.iter().skip(1).for_each(|v| collect(v, found));
                }
                ("Condition", Value::String(condition)) => {
                    found.push(Reference::to(RefKind::Condition, condition));
                }
                _ => collect(arg, found),
            }
        }
        Value::Object(map) => map.values().for_each(|v| collect(v, found)),
        _ => {}
    }
}

/// The names an `Fn::Sub` string substitutes that are neither pseudo parameters nor its own variables.
fn substituted(template: &str, variables: &[&str], found: &mut Vec<Reference>) {
    for name in sub::names(template) {
        if sub::is_pseudo(name) || variables.contains(&name) {
            continue;
        }
        found.push(match name.split_once('.') {
            Some((target, attribute)) => Reference::attribute(target, attribute, "Fn::Sub"),
            None => Reference::to(RefKind::Ref, name),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn targets(value: Value) -> Vec<(RefKind, String, Option<String>)> {
        references(&value)
            .into_iter()
            .map(|r| (r.kind, r.target, r.attribute.map(|a| a.name)))
            .collect()
    }

    #[test]
    fn every_form_of_reference_is_found_and_pseudo_parameters_and_variables_are_not() {
        let found = targets(json!({
            "A": {"Ref": "Vpc"},
            "B": {"Ref": "AWS::Region"},
            "C": {"Fn::GetAtt": ["Key", "Arn"]},
            "D": {"Fn::GetAtt": "Bucket.Arn"},
            "E": {"Fn::Sub": "${Topic}/${!Literal}/${AWS::AccountId}/${Role.Arn}"},
            "F": {"Fn::Sub": ["${Var}-${Param}", {"Var": {"Ref": "Queue"}}]},
            "G": {"Fn::If": ["IsProd", {"Ref": "Big"}, {"Ref": "AWS::NoValue"}]},
            "H": {"Condition": "HasReplica"},
        }));
        let kinds =
            |k: RefKind, t: &str, a: Option<&str>| (k, t.to_string(), a.map(str::to_string));
        assert_eq!(
            found,
            [
                kinds(RefKind::Ref, "Vpc", None),
                kinds(RefKind::GetAtt, "Key", Some("Arn")),
                kinds(RefKind::GetAtt, "Bucket", Some("Arn")),
                kinds(RefKind::Ref, "Topic", None),
                kinds(RefKind::GetAtt, "Role", Some("Arn")),
                kinds(RefKind::Ref, "Param", None),
                kinds(RefKind::Ref, "Queue", None),
                kinds(RefKind::Condition, "IsProd", None),
                kinds(RefKind::Ref, "Big", None),
                kinds(RefKind::Condition, "HasReplica", None),
            ]
        );
    }
}
