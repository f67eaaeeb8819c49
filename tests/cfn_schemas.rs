//! Every property name and value type that migen's resource structs can emit exists in CloudFormation's own
//! resource schemas, as cfn-lint bundles them; every property CloudFormation requires is a constructor argument;
//! and a type is taggable in migen exactly when CloudFormation lets it carry `Tags`. The shipped specs exercise
//! only some properties, so this check walks the structs' JSON Schemas rather than the rendered templates.
//!
//! The schemas come from the cfn-lint that `scripts/tools` installs into `.tools/` (or from the folder named by
//! `CFN_LINT_SCHEMAS`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The regions of the shipped specs: a type must exist, with these properties, in each.
const REGIONS: &[&str] = &["ap-southeast-1", "ap-southeast-2"];

fn schemas_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("CFN_LINT_SCHEMAS") {
        return PathBuf::from(dir);
    }
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/venv/lib");
    let found = std::fs::read_dir(&lib).ok().and_then(|entries| {
        entries
            .filter_map(Result::ok)
            .map(|e| e.path().join("site-packages/cfnlint/data/schemas"))
            .find(|p| p.is_dir())
    });
    found.unwrap_or_else(|| {
        panic!(
            "cfn-lint's schemas were not found under {}: run scripts/tools (or set CFN_LINT_SCHEMAS)",
            lib.display()
        )
    })
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Follows a local `$ref` (`#/$defs/X` in schemars output, `#/definitions/X` in CloudFormation's).
fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    let mut current = schema;
    for _ in 0..32 {
        let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
            return current;
        };
        let pointer = reference.trim_start_matches('#');
        match root.pointer(pointer) {
            Some(target) => current = target,
            None => return current,
        }
    }
    current
}

/// The non-null branch of an `Option`'s schema (`anyOf: [X, {type: null}]`).
fn strip_null<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    let schema = resolve(schema, root);
    if let Some(branches) = schema.get("anyOf").and_then(Value::as_array) {
        let non_null: Vec<&Value> = branches
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) != Some("null"))
            .collect();
        if non_null.len() == 1 {
            return resolve(non_null[0], root);
        }
    }
    schema
}

fn types(schema: &Value) -> BTreeSet<String> {
    match schema.get("type") {
        Some(Value::String(t)) => [t.clone()].into(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .map(String::from)
            .collect(),
        _ => BTreeSet::new(),
    }
}

fn check(
    ours: &Value,
    ours_root: &Value,
    theirs: &Value,
    theirs_root: &Value,
    path: &str,
    problems: &mut Vec<String>,
) {
    let ours = strip_null(ours, ours_root);
    let theirs = resolve(theirs, theirs_root);

    // CloudFormation sometimes states a type only inside alternatives: it fits if one alternative fits.
    for combinator in ["anyOf", "oneOf"] {
        if theirs.get("type").is_none()
            && theirs.get("properties").is_none()
            && let Some(branches) = theirs.get(combinator).and_then(Value::as_array)
        {
            let fits = branches.iter().any(|b| {
                let mut found = Vec::new();
                check(ours, ours_root, b, theirs_root, path, &mut found);
                found.is_empty()
            });
            if !fits {
                problems.push(format!(
                    "{path}: fits none of CloudFormation's alternatives"
                ));
            }
            return;
        }
    }

    let our_types = types(ours);
    let their_types = types(theirs);
    if !their_types.is_empty() {
        for t in &our_types {
            let fits =
                their_types.contains(t) || (t == "integer" && their_types.contains("number"));
            if !fits {
                problems.push(format!(
                    "{path}: migen emits {t}, CloudFormation expects {their_types:?}"
                ));
            }
        }
    }

    if let Some(properties) = ours.get("properties").and_then(Value::as_object) {
        let Some(their_properties) = theirs.get("properties").and_then(Value::as_object) else {
            // A free-form JSON value (a policy document, a map): CloudFormation does not describe its inside.
            return;
        };
        for (name, sub) in properties {
            match their_properties.get(name) {
                Some(their_sub) => check(
                    sub,
                    ours_root,
                    their_sub,
                    theirs_root,
                    &format!("{path}.{name}"),
                    problems,
                ),
                None => problems.push(format!(
                    "{path}.{name}: not a property in CloudFormation's schema"
                )),
            }
        }
    }
    if let (Some(items), Some(their_items)) = (ours.get("items"), theirs.get("items")) {
        check(
            items,
            ours_root,
            their_items,
            theirs_root,
            &format!("{path}[]"),
            problems,
        );
    }
}

#[test]
#[ignore = "reads the CloudFormation schemas of the cfn-lint scripts/tools installs; scripts/test runs it"]
fn every_emittable_property_exists_in_cloudformation_schemas() {
    let dir = schemas_dir();
    let mut problems = Vec::new();
    let catalog = migen::resources::catalog();
    assert!(
        catalog.len() >= 30,
        "the catalogue lists every resource type"
    );
    for region in REGIONS {
        let provider = read_json(&dir.join(format!("providers/{region}.json")));
        for entry in &catalog {
            let Some(hash) = provider.get(entry.type_name).and_then(Value::as_str) else {
                problems.push(format!(
                    "{region}: {} is not a CloudFormation type there",
                    entry.type_name
                ));
                continue;
            };
            let theirs = read_json(&dir.join(format!("resources/{hash}.json")));
            let ours = entry.schema.as_value();
            check(ours, ours, &theirs, &theirs, entry.type_name, &mut problems);

            let our_required: BTreeSet<&str> = ours
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for required in theirs
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name = required.as_str().unwrap_or_default();
                if !our_required.contains(name) {
                    problems.push(format!(
                        "{}.{name}: CloudFormation requires it, so it must be a constructor argument",
                        entry.type_name
                    ));
                }
            }

            let cfn_taggable = theirs.pointer("/properties/Tags").is_some();
            if cfn_taggable != entry.taggable {
                problems.push(format!(
                    "{}: CloudFormation {} Tags, migen's type says taggable = {}",
                    entry.type_name,
                    if cfn_taggable { "accepts" } else { "has no" },
                    entry.taggable
                ));
            }
        }
    }
    problems.sort();
    problems.dedup();
    assert!(
        problems.is_empty(),
        "{} mismatch(es):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

/// The JSON pointer of an attribute in a CloudFormation resource schema: `Endpoint.Address` is
/// `/properties/Endpoint/Address`.
fn attribute_pointer(attribute: &str) -> String {
    format!("/properties/{}", attribute.replace('.', "/"))
}

/// Whether CloudFormation's schema lets `Fn::GetAtt` read `attribute`: it is a read-only property (what
/// CloudFormation computes, such as `Arn`) or a property the schema describes (some types return their own
/// properties, such as a VPC's `CidrBlock`).
fn schema_has_attribute(schema: &Value, attribute: &str) -> bool {
    let pointer = attribute_pointer(attribute);
    let read_only = schema
        .get("readOnlyProperties")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|p| p.as_str() == Some(pointer.as_str()));
    read_only || property(schema, attribute).is_some()
}

/// The schema of a property, following `$ref`s: `Endpoint.Port` is `Port` in the schema of `Endpoint`.
fn property<'a>(schema: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(schema, |current, segment| {
        resolve(current, schema).get("properties")?.get(segment)
    })
}

#[test]
#[ignore = "reads the CloudFormation schemas of the cfn-lint scripts/tools installs; scripts/test runs it"]
fn every_declared_attribute_exists_in_cloudformation_schemas() {
    let dir = schemas_dir();
    let catalog = migen::resources::catalog();
    let declared: usize = catalog.iter().map(|e| e.attributes.len()).sum();
    assert!(declared >= 20, "only {declared} attributes declared");
    let mut problems = Vec::new();
    for region in REGIONS {
        let provider = read_json(&dir.join(format!("providers/{region}.json")));
        for entry in catalog.iter().filter(|e| !e.attributes.is_empty()) {
            let hash = provider
                .get(entry.type_name)
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{region}: {} has no schema", entry.type_name));
            let theirs = read_json(&dir.join(format!("resources/{hash}.json")));
            for attribute in entry.attributes {
                if !schema_has_attribute(&theirs, attribute) {
                    let read_only: Vec<&str> = theirs
                        .get("readOnlyProperties")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect();
                    problems.push(format!(
                        "{region}: {}.{attribute}: not in CloudFormation's schema (read-only: {read_only:?})",
                        entry.type_name
                    ));
                }
            }
        }
    }
    problems.sort();
    problems.dedup();
    assert!(
        problems.is_empty(),
        "{} mismatch(es):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

/// The attribute check itself must be able to fail.
#[test]
fn the_attribute_check_reports_an_unknown_attribute() {
    let schema = serde_json::json!({
        "definitions": {"Endpoint": {"type": "object", "properties": {"Port": {"type": "string"}}}},
        "properties": {"CidrBlock": {"type": "string"}, "Endpoint": {"$ref": "#/definitions/Endpoint"}},
        "readOnlyProperties": ["/properties/Arn", "/properties/Endpoint/Address"],
    });
    assert!(schema_has_attribute(&schema, "Arn"));
    assert!(schema_has_attribute(&schema, "CidrBlock"));
    assert!(schema_has_attribute(&schema, "Endpoint.Address"));
    assert!(schema_has_attribute(&schema, "Endpoint.Port"));
    assert!(!schema_has_attribute(&schema, "Endpoint.HostedZoneId"));
    assert!(!schema_has_attribute(&schema, "Endpoint.type"));
    assert!(!schema_has_attribute(&schema, "GroupId"));
}

#[test]
fn the_catalogue_covers_every_type_the_shipped_templates_use() {
    let known: BTreeSet<&str> = migen::resources::catalog()
        .iter()
        .map(|e| e.type_name)
        .collect();
    for (name, _) in migen::spec::SHIPPED {
        let env =
            migen::spec::load_shipped(name, &Default::default()).expect("shipped spec is valid");
        for t in migen::render::templates(&env, migen::cfn::Format::Json).expect("renders") {
            let doc: Value = serde_json::from_str(&t.template.body).expect("JSON");
            for resource in doc["Resources"].as_object().expect("resources").values() {
                let type_name = resource["Type"].as_str().expect("type");
                assert!(
                    known.contains(type_name),
                    "{type_name} is missing from resources::catalog()"
                );
            }
        }
    }
}

/// The checker itself must be able to fail: a property CloudFormation does not have is reported.
#[test]
fn the_check_reports_an_unknown_property() {
    let ours = serde_json::json!({"type": "object", "properties": {"CidrBlock": {"type": "string"}, "Bogus": {"type": "string"}}});
    let theirs =
        serde_json::json!({"type": "object", "properties": {"CidrBlock": {"type": "string"}}});
    let mut problems = Vec::new();
    check(
        &ours,
        &ours,
        &theirs,
        &theirs,
        "AWS::EC2::VPC",
        &mut problems,
    );
    assert_eq!(
        problems,
        vec!["AWS::EC2::VPC.Bogus: not a property in CloudFormation's schema".to_string()]
    );

    let wrong_type =
        serde_json::json!({"type": "object", "properties": {"CidrBlock": {"type": "integer"}}});
    let mut problems = Vec::new();
    check(
        &wrong_type,
        &wrong_type,
        &theirs,
        &theirs,
        "AWS::EC2::VPC",
        &mut problems,
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
}
