//! Assertions over a rendered template, for the tests of a crate that builds or extends stacks with migen, in the
//! spirit of AWS CDK's `Template.hasResourceProperties`. A template is read back from what `render` produced
//! (YAML or JSON), so a test checks what CloudFormation will receive, not the builders' intentions.
//!
//! A property pattern matches when every key it names is present with a matching value: objects match as
//! subsets (keys the pattern does not name are ignored), arrays element by element with the same length, and
//! scalars by equality. Each failure names the resources of the type and what differs, so a test that fails says
//! why without a debugger; an assertion on a type the template does not have fails rather than passing vacuously.
//!
//! ```
//! use migen::cfn::{Format, LogicalId, Template};
//! use migen::resources::logs::LogGroup;
//! use migen::testing::RenderedTemplate;
//! use serde_json::json;
//!
//! let mut template = Template::new("example");
//! template.add(LogicalId::verbatim("Logs"), LogGroup::new(365));
//! let rendered = RenderedTemplate::parse(&template.render(Format::Yaml).unwrap().body).unwrap();
//! rendered.resource_count_is("AWS::Logs::LogGroup", 1);
//! rendered.has_resource_properties("AWS::Logs::LogGroup", &json!({"RetentionInDays": 365}));
//! ```

use serde_json::{Map, Value};

/// A rendered template, read back as a document.
#[derive(Clone, Debug)]
pub struct RenderedTemplate {
    document: Value,
}

impl RenderedTemplate {
    /// Reads a rendered template (YAML or JSON: JSON is YAML). Refuses a document without a `Resources` map.
    pub fn parse(body: &str) -> Result<Self, String> {
        let document: Value = serde_norway::from_str(body)
            .map_err(|e| format!("the template does not parse: {e}"))?;
        if document
            .get("Resources")
            .and_then(Value::as_object)
            .is_none()
        {
            return Err("the template has no Resources map".into());
        }
        Ok(RenderedTemplate { document })
    }

    /// The whole document.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// The resources of `type_name`, by logical id, in template order.
    pub fn resources_of_type(&self, type_name: &str) -> Vec<(&str, &Value)> {
        self.resources()
            .iter()
            .filter(|(_, resource)| resource.get("Type").and_then(Value::as_str) == Some(type_name))
            .map(|(id, resource)| (id.as_str(), resource))
            .collect()
    }

    /// Asserts that the template has exactly `count` resources of `type_name`.
    #[track_caller]
    pub fn resource_count_is(&self, type_name: &str, count: usize) {
        let found = self.resources_of_type(type_name);
        assert!(
            found.len() == count,
            "expected {count} {type_name} resource(s), found {}: {:?}",
            found.len(),
            found.iter().map(|(id, _)| id).collect::<Vec<_>>()
        );
    }

    /// Asserts that some resource of `type_name` has `Properties` matching `pattern`, and returns its logical
    /// id. Fails naming every resource of the type with the first difference of each.
    #[track_caller]
    pub fn has_resource_properties(&self, type_name: &str, pattern: &Value) -> String {
        self.has_resource(
            type_name,
            &Value::Object(Map::from_iter([(
                "Properties".to_string(),
                pattern.clone(),
            )])),
        )
    }

    /// Asserts that some resource of `type_name` matches `pattern` as a whole (`Properties`, `DeletionPolicy`,
    /// `DependsOn`, `Metadata`, ...), and returns its logical id.
    #[track_caller]
    pub fn has_resource(&self, type_name: &str, pattern: &Value) -> String {
        let candidates = self.resources_of_type(type_name);
        assert!(
            !candidates.is_empty(),
            "the template has no {type_name} resource"
        );
        let mut differences = Vec::new();
        for (id, resource) in &candidates {
            match difference(pattern, resource, "") {
                None => return (*id).to_string(),
                Some(difference) => differences.push(format!("{id}: {difference}")),
            }
        }
        panic!(
            "no {type_name} resource matches {pattern}:\n  {}",
            differences.join("\n  ")
        );
    }

    /// Asserts that the template has an output `id` whose `Value` matches `pattern`.
    #[track_caller]
    pub fn has_output(&self, id: &str, pattern: &Value) {
        let output = self
            .document
            .get("Outputs")
            .and_then(|outputs| outputs.get(id))
            .unwrap_or_else(|| panic!("the template has no output {id}"));
        let value = output.get("Value").unwrap_or(&Value::Null);
        if let Some(difference) = difference(pattern, value, "") {
            panic!("output {id}: {difference}");
        }
    }

    fn resources(&self) -> &Map<String, Value> {
        self.document["Resources"]
            .as_object()
            .unwrap_or_else(|| unreachable!("parse refuses a template without Resources"))
    }
}

/// Where `actual` does not match `pattern`, if anywhere: the path and what differs.
fn difference(pattern: &Value, actual: &Value, path: &str) -> Option<String> {
    match (pattern, actual) {
        (Value::Object(expected), Value::Object(found)) => {
            expected.iter().find_map(|(key, value)| {
                let here = format!("{path}.{key}");
                match found.get(key) {
                    Some(found) => difference(value, found, &here),
                    None => Some(format!("{here} is missing")),
                }
            })
        }
        (Value::Array(expected), Value::Array(found)) => {
            if expected.len() != found.len() {
                return Some(format!(
                    "{path} has {} item(s), the pattern {}",
                    found.len(),
                    expected.len()
                ));
            }
            expected
                .iter()
                .zip(found)
                .enumerate()
                .find_map(|(i, (e, f))| difference(e, f, &format!("{path}[{i}]")))
        }
        (expected, found) if expected == found => None,
        (expected, found) => Some(format!(
            "{} is {found}, the pattern {expected}",
            display(path)
        )),
    }
}

fn display(path: &str) -> &str {
    if path.is_empty() { "the value" } else { path }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const TEMPLATE: &str = "Resources:\n  Logs:\n    Type: AWS::Logs::LogGroup\n    DeletionPolicy: Retain\n    \
                            Properties:\n      RetentionInDays: 365\n      Tags:\n      - Key: Team\n        \
                            Value: payments\nOutputs:\n  LogsName:\n    Value:\n      Ref: Logs\n";

    #[test]
    fn a_subset_of_the_properties_matches_and_the_logical_id_is_returned() {
        let t = RenderedTemplate::parse(TEMPLATE).unwrap();
        t.resource_count_is("AWS::Logs::LogGroup", 1);
        assert_eq!(
            t.has_resource_properties("AWS::Logs::LogGroup", &json!({"RetentionInDays": 365})),
            "Logs"
        );
        t.has_resource("AWS::Logs::LogGroup", &json!({"DeletionPolicy": "Retain"}));
        t.has_output("LogsName", &json!({"Ref": "Logs"}));
    }

    #[test]
    #[should_panic(expected = "Logs: .Properties.RetentionInDays is 365, the pattern 30")]
    fn a_different_value_fails_naming_the_path() {
        let t = RenderedTemplate::parse(TEMPLATE).unwrap();
        t.has_resource_properties("AWS::Logs::LogGroup", &json!({"RetentionInDays": 30}));
    }

    #[test]
    #[should_panic(expected = ".Properties.Tags has 1 item(s), the pattern 2")]
    fn arrays_match_item_by_item() {
        let t = RenderedTemplate::parse(TEMPLATE).unwrap();
        t.has_resource_properties(
            "AWS::Logs::LogGroup",
            &json!({"Tags": [{"Key": "Team"}, {"Key": "Owner"}]}),
        );
    }

    #[test]
    #[should_panic(expected = "the template has no AWS::S3::Bucket resource")]
    fn a_type_the_template_lacks_fails_instead_of_passing() {
        RenderedTemplate::parse(TEMPLATE)
            .unwrap()
            .has_resource_properties("AWS::S3::Bucket", &json!({}));
    }

    #[test]
    fn a_document_without_resources_is_refused() {
        assert!(RenderedTemplate::parse("Outputs: {}\n").is_err());
    }
}
