//! The intrinsic functions workflows use in Parameters and ResultSelector (`States.Format`, `States.MathAdd`,
//! `States.ArrayContains`, ...), evaluated as the Step Functions developer guide describes them
//! (intrinsic-functions). Arguments are JSONPaths, quoted strings (`\'`, `\{`, `\}` and `\\` escaped), numbers,
//! `true`, `false`, `null`, or other intrinsics.

use serde_json::{Value, json};

use super::jsonpath::JsonPath;

/// Evaluates `expression`; `data` is the state's effective input and `context` the context object.
pub(crate) fn evaluate(expression: &str, data: &Value, context: &Value) -> Result<Value, String> {
    let mut parser = Parser {
        text: expression,
        at: 0,
    };
    let value = parser.call(data, context)?;
    parser.skip_spaces();
    if parser.at != expression.len() {
        return Err(format!("`{expression}`: unexpected text after the call"));
    }
    Ok(restore_braces(value))
}

/// An escaped brace in a quoted argument is a literal brace, not a `States.Format` placeholder: it is carried as
/// a private-use character until the result is complete.
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

fn restore_braces(value: Value) -> Value {
    match value {
        Value::String(s) => Value::String(s.replace(OPEN, "{").replace(CLOSE, "}")),
        Value::Array(items) => Value::Array(items.into_iter().map(restore_braces).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, restore_braces(v)))
                .collect(),
        ),
        other => other,
    }
}

pub(crate) fn is_intrinsic(text: &str) -> bool {
    text.starts_with("States.")
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    fn skip_spaces(&mut self) {
        while self.rest().starts_with(' ') {
            self.at += 1;
        }
    }

    fn call(&mut self, data: &Value, context: &Value) -> Result<Value, String> {
        self.skip_spaces();
        let open = self
            .rest()
            .find('(')
            .ok_or_else(|| format!("`{}`: no argument list", self.text))?;
        let name = self.rest()[..open].trim().to_string();
        self.at += open + 1;
        let mut arguments = Vec::new();
        loop {
            self.skip_spaces();
            if self.rest().starts_with(')') {
                self.at += 1;
                break;
            }
            arguments.push(self.argument(data, context)?);
            self.skip_spaces();
            if self.rest().starts_with(',') {
                self.at += 1;
            } else if self.rest().starts_with(')') {
                self.at += 1;
                break;
            } else {
                return Err(format!("`{}`: expected , or )", self.text));
            }
        }
        apply(&name, arguments).map_err(|e| format!("{name}: {e}"))
    }

    fn argument(&mut self, data: &Value, context: &Value) -> Result<Value, String> {
        let rest = self.rest();
        if rest.starts_with("States.") {
            return self.call(data, context);
        }
        if let Some(quoted) = rest.strip_prefix('\'') {
            let mut out = String::new();
            let mut chars = quoted.char_indices();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        let (_, escaped) = chars
                            .next()
                            .ok_or_else(|| format!("`{}`: dangling escape", self.text))?;
                        out.push(match escaped {
                            '{' => OPEN,
                            '}' => CLOSE,
                            other => other,
                        });
                    }
                    '\'' => {
                        self.at += 1 + i + 1;
                        return Ok(Value::String(out));
                    }
                    _ => out.push(c),
                }
            }
            return Err(format!("`{}`: unclosed string", self.text));
        }
        let end = rest.find([',', ')']).unwrap_or(rest.len());
        let token = rest[..end].trim().to_string();
        self.at += end;
        if token.starts_with('$') {
            let path = JsonPath::parse(&token)?;
            let root = if path.is_context() { context } else { data };
            return path
                .get(root)
                .ok_or_else(|| format!("the path {token} was not found"));
        }
        serde_json::from_str(&token).map_err(|_| format!("`{token}` is not an argument"))
    }
}

fn apply(name: &str, arguments: Vec<Value>) -> Result<Value, String> {
    let argument = |i: usize| {
        arguments
            .get(i)
            .ok_or_else(|| format!("argument {} is missing", i + 1))
    };
    match name {
        "States.MathAdd" => {
            let (a, b) = (argument(0)?, argument(1)?);
            match (a.as_i64(), b.as_i64()) {
                (Some(a), Some(b)) => Ok(json!(a + b)),
                _ => Err(format!("{a} and {b} are not both integers")),
            }
        }
        "States.ArrayContains" => {
            let list = argument(0)?
                .as_array()
                .ok_or("the first argument is not a list")?;
            Ok(Value::Bool(list.contains(argument(1)?)))
        }
        "States.ArrayLength" => Ok(json!(
            argument(0)?
                .as_array()
                .ok_or("the argument is not a list")?
                .len()
        )),
        "States.ArrayGetItem" => {
            let list = argument(0)?
                .as_array()
                .ok_or("the first argument is not a list")?;
            let index = argument(1)?.as_u64().ok_or("the index is not a number")?;
            list.get(index as usize)
                .cloned()
                .ok_or_else(|| format!("no item at index {index} of a list of {}", list.len()))
        }
        "States.Array" => Ok(Value::Array(arguments)),
        "States.ArrayUnique" => {
            let list = argument(0)?
                .as_array()
                .ok_or("the argument is not a list")?;
            let mut unique: Vec<Value> = Vec::new();
            for item in list {
                if !unique.contains(item) {
                    unique.push(item.clone());
                }
            }
            Ok(Value::Array(unique))
        }
        "States.JsonToString" => Ok(Value::String(argument(0)?.to_string())),
        "States.Format" => {
            let template = argument(0)?
                .as_str()
                .ok_or("the template is not a string")?;
            let mut values = arguments[1..].iter();
            let mut out = String::new();
            let mut pieces = template.split("{}");
            out.push_str(pieces.next().unwrap_or_default());
            for piece in pieces {
                let value = values
                    .next()
                    .ok_or("fewer arguments than {} in the template")?;
                match value {
                    Value::String(s) => out.push_str(s),
                    Value::Number(_) | Value::Bool(_) | Value::Null => {
                        out.push_str(&value.to_string())
                    }
                    _ => return Err("a list or an object cannot be formatted".into()),
                }
                out.push_str(piece);
            }
            if values.next().is_some() {
                return Err("more arguments than {} in the template".into());
            }
            Ok(Value::String(out))
        }
        other => Err(format!(
            "{other} is not an intrinsic this interpreter knows"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_functions_workflows_use() {
        let data = json!({"n": 2, "list": ["a", "b"], "name": "run-1"});
        let context = json!({"Execution": {"Name": "exec"}});
        let eval = |e: &str| evaluate(e, &data, &context).unwrap();
        assert_eq!(eval("States.MathAdd($.n, 1)"), json!(3));
        assert_eq!(eval("States.ArrayContains($.list, 'b')"), json!(true));
        assert_eq!(eval("States.ArrayLength($.list)"), json!(2));
        assert_eq!(
            eval("States.ArrayUnique(States.Array('a', 'b', 'a'))"),
            json!(["a", "b"])
        );
        assert_eq!(eval("States.ArrayGetItem($.list, 1)"), json!("b"));
        assert_eq!(
            eval("States.Format('checkpoints/{}/{}.json', $$.Execution.Name, $.n)"),
            json!("checkpoints/exec/2.json")
        );
        assert_eq!(
            eval("States.Format('a\\'b\\{\\}{}', $.name)"),
            json!("a'b{}run-1")
        );
        assert_eq!(eval("States.JsonToString($.list)"), json!("[\"a\",\"b\"]"));
        assert_eq!(
            eval("States.ArrayContains(States.Array('x', $.name), 'run-1')"),
            json!(true)
        );
    }

    #[test]
    fn errors_name_what_went_wrong() {
        let data = json!({"list": []});
        let err = evaluate("States.ArrayGetItem($.list, 0)", &data, &Value::Null).unwrap_err();
        assert!(err.contains("no item at index 0"), "{err}");
        let err = evaluate("States.MathAdd($.missing, 1)", &data, &Value::Null).unwrap_err();
        assert!(err.contains("$.missing"), "{err}");
    }
}
