//! Whole-number properties with ranges AWS documents, checked as a resource is serialized into a template: a value
//! outside is reported by the template's render, naming the property and what is allowed, where CloudFormation
//! would otherwise refuse it only while deploying (or, for some, quietly round it).

use std::ops::RangeInclusive;

use serde::{Serialize, Serializer};

/// What a property allows, as its CloudFormation schema says (`minimum`/`maximum`, or `enum`): a range, or a list
/// of values. The generated resource types check every integer property that has either.
pub enum Allowed {
    Range(RangeInclusive<i64>),
    OneOf(&'static [i64]),
}

impl Allowed {
    fn admits(&self, value: i64) -> bool {
        match self {
            Allowed::Range(range) => range.contains(&value),
            Allowed::OneOf(values) => values.contains(&value),
        }
    }

    fn describe(&self) -> String {
        match self {
            Allowed::Range(range) => format!("{} to {}", range.start(), range.end()),
            Allowed::OneOf(values) => {
                let values: Vec<String> = values.iter().map(i64::to_string).collect();
                format!("one of {}", values.join(", "))
            }
        }
    }
}

/// Serializes `value` of `property`, noting a problem when `allowed` does not admit it.
pub fn checked<S: Serializer>(
    property: &str,
    allowed: Allowed,
    value: i64,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    if !allowed.admits(value) {
        crate::cfn::note_problem(format!(
            "{property} is {value}; AWS allows {}",
            allowed.describe()
        ));
    }
    value.serialize(serializer)
}

/// [`checked`] for an optional property (skipped when absent, so only `Some` reaches here).
pub fn checked_option<S: Serializer>(
    property: &str,
    allowed: Allowed,
    value: &Option<i64>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => checked(property, allowed, *value, serializer),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use crate::cfn::{Format, LogicalId, Template};
    use crate::resources::iam::PolicyDocument;
    use crate::resources::kms::Key;
    use crate::resources::logs::LogGroup;

    /// A value outside its documented range is refused at render, naming the property and what is allowed.
    #[test]
    fn a_documented_range_is_held_at_render() {
        let mut template = Template::new("test");
        template.add(
            LogicalId::verbatim("Key"),
            Key::rotating(PolicyDocument::new(vec![])).pending_window_in_days(45),
        );
        template.add(LogicalId::verbatim("Logs"), LogGroup::new(100));
        assert_eq!(
            template.render(Format::Json).unwrap_err().problems,
            [
                "resource Key: PendingWindowInDays is 45; AWS allows 7 to 30",
                "resource Logs: RetentionInDays is 100; AWS allows one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, \
                 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
            ]
        );
        let mut fine = Template::new("test");
        fine.add(
            LogicalId::verbatim("Key"),
            Key::rotating(PolicyDocument::new(vec![])).pending_window_in_days(30),
        );
        fine.add(LogicalId::verbatim("Logs"), LogGroup::new(365));
        assert!(fine.render(Format::Json).is_ok());
    }
}
