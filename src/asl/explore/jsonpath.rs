//! The JSONPath that Amazon States Language workflows use, as Step Functions evaluates it (Jayway JsonPath):
//! `$` (the data) or `$$` (the context object), then `.name`, `['name']`, `[n]`, `[*]` and filters
//! `[?(@.field == 'text')]` (also `!=`, numbers and `true`/`false`).
//!
//! A path with a wildcard or a filter is *indefinite*: it always gives a list, empty when nothing matches. A
//! definite path that reaches nothing is an error (`States.Runtime` in a Parameters field, a Choice variable
//! that is absent).

use serde_json::{Map, Value};

#[derive(Clone, Debug, PartialEq)]
enum Segment {
    Field(String),
    Index(usize),
    All,
    Filter {
        field: Vec<String>,
        equal: bool,
        value: Value,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct JsonPath {
    context: bool,
    segments: Vec<Segment>,
}

impl JsonPath {
    pub(crate) fn parse(text: &str) -> Result<JsonPath, String> {
        let (context, mut rest) = if let Some(r) = text.strip_prefix("$$") {
            (true, r)
        } else if let Some(r) = text.strip_prefix('$') {
            (false, r)
        } else {
            return Err(format!("`{text}` is not a JSONPath"));
        };
        let mut segments = Vec::new();
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('.') {
                let end = r.find(['.', '[']).unwrap_or(r.len());
                if end == 0 {
                    return Err(format!("`{text}`: empty field name"));
                }
                if &r[..end] == "*" {
                    segments.push(Segment::All);
                } else {
                    segments.push(Segment::Field(r[..end].to_string()));
                }
                rest = &r[end..];
            } else if let Some(r) = rest.strip_prefix("[?(") {
                let end = r
                    .find(")]")
                    .ok_or_else(|| format!("`{text}`: unclosed filter"))?;
                segments.push(parse_filter(&r[..end], text)?);
                rest = &r[end + 2..];
            } else if let Some(r) = rest.strip_prefix('[') {
                let end = r.find(']').ok_or_else(|| format!("`{text}`: unclosed ["))?;
                let inside = r[..end].trim();
                if inside == "*" {
                    segments.push(Segment::All);
                } else if let Some(name) =
                    inside.strip_prefix('\'').and_then(|s| s.strip_suffix('\''))
                {
                    segments.push(Segment::Field(name.to_string()));
                } else {
                    let n = inside
                        .parse()
                        .map_err(|_| format!("`{text}`: `[{inside}]` is not supported"))?;
                    segments.push(Segment::Index(n));
                }
                rest = &r[end + 1..];
            } else {
                return Err(format!("`{text}`: unexpected `{rest}`"));
            }
        }
        Ok(JsonPath { context, segments })
    }

    pub(crate) fn is_context(&self) -> bool {
        self.context
    }

    fn is_definite(&self) -> bool {
        self.segments
            .iter()
            .all(|s| matches!(s, Segment::Field(_) | Segment::Index(_)))
    }

    /// The value at the path: `Ok(None)` when a definite path reaches nothing; an indefinite one always gives a
    /// list.
    pub(crate) fn get(&self, root: &Value) -> Option<Value> {
        let mut current: Vec<&Value> = vec![root];
        for segment in &self.segments {
            let mut next = Vec::new();
            for value in current {
                match segment {
                    Segment::Field(name) => {
                        if let Some(v) = value.get(name) {
                            next.push(v);
                        }
                    }
                    Segment::Index(i) => {
                        if let Some(v) = value.get(*i) {
                            next.push(v);
                        }
                    }
                    Segment::All => match value {
                        Value::Array(items) => next.extend(items),
                        Value::Object(map) => next.extend(map.values()),
                        _ => {}
                    },
                    Segment::Filter {
                        field,
                        equal,
                        value: wanted,
                    } => {
                        let items: Vec<&Value> = match value {
                            Value::Array(items) => items.iter().collect(),
                            Value::Object(map) => map.values().collect(),
                            _ => Vec::new(),
                        };
                        for item in items {
                            let found = field.iter().try_fold(item, |v, f| v.get(f));
                            let matches = found == Some(wanted);
                            if matches == *equal && found.is_some() {
                                next.push(item);
                            }
                        }
                    }
                }
            }
            current = next;
        }
        if self.is_definite() {
            current.first().map(|v| (*v).clone())
        } else {
            Some(Value::Array(current.into_iter().cloned().collect()))
        }
    }

    /// Puts `value` at the path in `root` (a ResultPath): `$` replaces the whole; fields are created on the way.
    pub(crate) fn set(&self, root: &mut Value, value: Value) -> Result<(), String> {
        let mut current = root;
        for segment in &self.segments {
            let Segment::Field(name) = segment else {
                return Err("a ResultPath may only name fields".into());
            };
            if !current.is_object() {
                *current = Value::Object(Map::new());
            }
            let map = current
                .as_object_mut()
                .unwrap_or_else(|| unreachable!("made an object above"));
            current = map.entry(name.clone()).or_insert(Value::Null);
        }
        *current = value;
        Ok(())
    }
}

fn parse_filter(expression: &str, text: &str) -> Result<Segment, String> {
    let (left, equal, right) = if let Some((l, r)) = expression.split_once("==") {
        (l, true, r)
    } else if let Some((l, r)) = expression.split_once("!=") {
        (l, false, r)
    } else {
        return Err(format!("`{text}`: only == and != filters are supported"));
    };
    let field = left
        .trim()
        .strip_prefix("@.")
        .ok_or_else(|| format!("`{text}`: a filter compares a field of @"))?;
    let right = right.trim();
    let value = if let Some(s) = right.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        Value::String(s.to_string())
    } else {
        serde_json::from_str(right).map_err(|_| format!("`{text}`: `{right}` is not a value"))?
    };
    Ok(Segment::Filter {
        field: field.split('.').map(str::to_string).collect(),
        equal,
        value,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn get(path: &str, data: &Value) -> Option<Value> {
        JsonPath::parse(path).unwrap().get(data)
    }

    #[test]
    fn definite_paths_give_a_value_or_nothing() {
        let data = json!({"a": {"b": [10, 20]}});
        assert_eq!(get("$", &data), Some(data.clone()));
        assert_eq!(get("$.a.b[1]", &data), Some(json!(20)));
        assert_eq!(get("$.a['b'][0]", &data), Some(json!(10)));
        assert_eq!(get("$.a.c", &data), None);
        assert_eq!(get("$.a.b[2]", &data), None);
    }

    #[test]
    fn indefinite_paths_always_give_a_list() {
        let data = json!({"Tasks": [
            {"Arn": "f", "Status": "running", "Stats": {"Progress": 100}},
            {"Arn": "r", "Status": "ready"}
        ]});
        assert_eq!(
            get("$.Tasks[*].Status", &data),
            Some(json!(["running", "ready"]))
        );
        assert_eq!(get("$.Tasks[*].Stats.Progress", &data), Some(json!([100])));
        assert_eq!(
            get("$.Tasks[?(@.Arn == 'r')].Status", &data),
            Some(json!(["ready"]))
        );
        assert_eq!(
            get("$.Tasks[?(@.Arn == 'x')].Status", &data),
            Some(json!([]))
        );
        assert_eq!(
            get("$.Tasks[?(@.Arn != 'r')].Arn", &data),
            Some(json!(["f"]))
        );
        assert_eq!(get("$.Missing[*].Status", &data), Some(json!([])));
    }

    #[test]
    fn result_paths_create_what_they_name() {
        let mut data = json!({"keep": 1});
        JsonPath::parse("$.a.b")
            .unwrap()
            .set(&mut data, json!(2))
            .unwrap();
        assert_eq!(data, json!({"keep": 1, "a": {"b": 2}}));
        JsonPath::parse("$")
            .unwrap()
            .set(&mut data, json!([]))
            .unwrap();
        assert_eq!(data, json!([]));
    }

    #[test]
    fn what_is_not_supported_is_refused() {
        assert!(JsonPath::parse("a.b").is_err());
        assert!(JsonPath::parse("$.a[1:2]").is_err());
        assert!(JsonPath::parse("$.a[?(@.x > 1)]").is_err());
    }
}
