//! Choice rules: typed comparisons over JSONPath variables, combined with And, Or and Not.

use serde_json::{Map, Number, Value, json};

/// A Boolean expression of a Choice rule. Comparisons name the operator ASL spells (`StringEquals`,
/// `NumericLessThanPath`, …); the `*_path` forms compare with another value of the input rather than a constant.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// One comparison: the value at `variable` against `value`, by `operator`.
    Compare {
        /// The JSONPath read. A path the input lacks fails the Choice state with `States.Runtime`; where it may be
        /// missing, an earlier rule can test it with `IsPresent`.
        variable: String,
        /// The ASL operator (`StringEquals`, `NumericLessThanPath`, `IsPresent`, …), which is also the key `value` is
        /// written under.
        operator: &'static str,
        /// The constant compared with, or, for a `*Path` operator, the JSONPath of the other operand.
        value: Value,
    },
    /// `And`: holds when every condition holds.
    And(Vec<Condition>),
    /// `Or`: holds when at least one condition holds.
    Or(Vec<Condition>),
    /// `Not`: holds when the condition does not.
    Not(Box<Condition>),
}

macro_rules! comparisons {
    ($($(#[$m:meta])* $name:ident, $path_name:ident: $ty:ty => $op:literal, $path_op:literal;)*) => {
        $(
            $(#[$m])*
            pub fn $name(variable: impl Into<String>, value: impl Into<$ty>) -> Self {
                Condition::compare(variable, $op, json!(value.into()))
            }

            #[doc = concat!("`", $path_op, "`: compares with the value at another path of the input.")]
            pub fn $path_name(variable: impl Into<String>, path: impl Into<String>) -> Self {
                Condition::compare(variable, $path_op, json!(path.into()))
            }
        )*
    };
}

impl Condition {
    fn compare(variable: impl Into<String>, operator: &'static str, value: Value) -> Self {
        Condition::Compare {
            variable: variable.into(),
            operator,
            value,
        }
    }

    comparisons! {
        /// `StringEquals`: the string at `variable` is exactly `value` (case-sensitive).
        string_equals, string_equals_path: String => "StringEquals", "StringEqualsPath";
        /// `StringLessThan`: the string at `variable` sorts before `value`.
        string_less_than, string_less_than_path: String => "StringLessThan", "StringLessThanPath";
        /// `StringGreaterThan`: the string at `variable` sorts after `value`.
        string_greater_than, string_greater_than_path: String => "StringGreaterThan", "StringGreaterThanPath";
        /// `NumericEquals`: the number at `variable` equals `value`.
        numeric_equals, numeric_equals_path: Number => "NumericEquals", "NumericEqualsPath";
        /// `NumericLessThan`: the number at `variable` is below `value` (how a poll checks its count against its
        /// bound).
        numeric_less_than, numeric_less_than_path: Number => "NumericLessThan", "NumericLessThanPath";
        /// `NumericLessThanEquals`: the number at `variable` is at most `value`.
        numeric_less_than_equals, numeric_less_than_equals_path: Number
            => "NumericLessThanEquals", "NumericLessThanEqualsPath";
        /// `NumericGreaterThan`: the number at `variable` is above `value`.
        numeric_greater_than, numeric_greater_than_path: Number => "NumericGreaterThan", "NumericGreaterThanPath";
        /// `NumericGreaterThanEquals`: the number at `variable` is at least `value`.
        numeric_greater_than_equals, numeric_greater_than_equals_path: Number
            => "NumericGreaterThanEquals", "NumericGreaterThanEqualsPath";
        /// `BooleanEquals`: the JSON boolean at `variable` is `value`.
        boolean_equals, boolean_equals_path: bool => "BooleanEquals", "BooleanEqualsPath";
        /// `TimestampLessThan`: the timestamp at `variable` is earlier than `value`; both are RFC 3339 strings such as
        /// `2026-01-01T00:00:00Z`.
        timestamp_less_than, timestamp_less_than_path: String => "TimestampLessThan", "TimestampLessThanPath";
        /// `TimestampGreaterThan`: the timestamp at `variable` is later than `value`; both are RFC 3339 strings such as
        /// `2026-01-01T00:00:00Z`.
        timestamp_greater_than, timestamp_greater_than_path: String
            => "TimestampGreaterThan", "TimestampGreaterThanPath";
    }

    /// `StringMatches` with `*` wildcards.
    pub fn string_matches(variable: impl Into<String>, pattern: impl Into<String>) -> Self {
        Condition::compare(variable, "StringMatches", json!(pattern.into()))
    }

    /// `IsPresent`: whether the input has a value at `variable` (true) or not (false).
    pub fn is_present(variable: impl Into<String>, present: bool) -> Self {
        Condition::compare(variable, "IsPresent", json!(present))
    }

    /// `IsNull`: whether the value at `variable` is JSON `null` (true) or not (false).
    pub fn is_null(variable: impl Into<String>, is_null: bool) -> Self {
        Condition::compare(variable, "IsNull", json!(is_null))
    }

    /// `And` of `conditions`; ASL requires the list to be non-empty.
    pub fn and(conditions: Vec<Condition>) -> Self {
        Condition::And(conditions)
    }

    /// `Or` of `conditions`; ASL requires the list to be non-empty.
    pub fn or(conditions: Vec<Condition>) -> Self {
        Condition::Or(conditions)
    }

    /// `Not`: holds when `condition` does not.
    #[allow(clippy::should_implement_trait)]
    pub fn not(condition: Condition) -> Self {
        Condition::Not(Box::new(condition))
    }

    /// Every JSONPath the condition reads (variables and `*Path` operands), with the field naming it.
    pub(crate) fn paths(&self, out: &mut Vec<(&'static str, String)>) {
        match self {
            Condition::Compare {
                variable,
                operator,
                value,
            } => {
                out.push(("Variable", variable.clone()));
                if operator.ends_with("Path")
                    && let Some(path) = value.as_str()
                {
                    out.push((operator, path.to_string()));
                }
            }
            Condition::And(items) | Condition::Or(items) => {
                items.iter().for_each(|c| c.paths(out));
            }
            Condition::Not(inner) => inner.paths(out),
        }
    }

    fn fill(&self, m: &mut Map<String, Value>) {
        match self {
            Condition::Compare {
                variable,
                operator,
                value,
            } => {
                m.insert("Variable".into(), json!(variable));
                m.insert((*operator).into(), value.clone());
            }
            Condition::And(items) => {
                m.insert("And".into(), items.iter().map(Condition::to_json).collect());
            }
            Condition::Or(items) => {
                m.insert("Or".into(), items.iter().map(Condition::to_json).collect());
            }
            Condition::Not(inner) => {
                m.insert("Not".into(), inner.to_json());
            }
        }
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut m = Map::new();
        self.fill(&mut m);
        Value::Object(m)
    }
}

/// A top-level rule of a Choice state: when `condition` holds, go to `next`.
#[derive(Clone, Debug, PartialEq)]
pub struct ChoiceRule {
    pub(crate) condition: Condition,
    pub(crate) next: String,
}

impl ChoiceRule {
    /// Goes to `next`, a state of the same scope, when `condition` holds. A Choice tries its rules in order and the
    /// first that holds wins.
    pub fn new(condition: Condition, next: impl Into<String>) -> Self {
        ChoiceRule {
            condition,
            next: next.into(),
        }
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut m = Map::new();
        self.condition.fill(&mut m);
        m.insert("Next".into(), json!(self.next));
        Value::Object(m)
    }
}
