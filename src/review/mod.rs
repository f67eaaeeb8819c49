//! Review tools: what a change to the rendered templates does, read offline before merge.

pub mod create_only;
pub mod diff;
pub mod graph;
pub mod report;

use std::collections::BTreeSet;

use serde_json::Value;

/// The logical ids a value refers to through `Ref`, `Fn::GetAtt` or `Fn::Sub`.
pub(crate) fn references(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(id)) = map.get("Ref") {
                out.insert(id.clone());
            }
            match map.get("Fn::GetAtt") {
                Some(Value::Array(parts)) => {
                    if let Some(Value::String(id)) = parts.first() {
                        out.insert(id.clone());
                    }
                }
                Some(Value::String(dotted)) => {
                    out.insert(dotted.split('.').next().unwrap_or_default().to_string());
                }
                _ => {}
            }
            if let Some(sub) = map.get("Fn::Sub") {
                let (text, variables) = match sub {
                    Value::String(t) => (t.as_str(), None),
                    Value::Array(parts) => (
                        parts.first().and_then(Value::as_str).unwrap_or_default(),
                        parts.get(1).and_then(Value::as_object),
                    ),
                    _ => ("", None),
                };
                let mut rest = text;
                while let Some(start) = rest.find("${") {
                    let after = &rest[start + 2..];
                    let Some(end) = after.find('}') else { break };
                    let name = &after[..end];
                    if !name.starts_with('!') && !name.starts_with("AWS::") {
                        let id = name.split('.').next().unwrap_or_default();
                        if variables.is_none_or(|v| !v.contains_key(id)) {
                            out.insert(id.to_string());
                        }
                    }
                    rest = &after[end + 1..];
                }
                if let Some(variables) = variables {
                    for v in variables.values() {
                        references(v, out);
                    }
                }
            }
            for (key, v) in map {
                if key != "Ref" && key != "Fn::GetAtt" && key != "Fn::Sub" {
                    references(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, out)),
        _ => {}
    }
}
