//! Rendering helpers the end-to-end tests share: shipped environments, their templates as JSON documents, and
//! resource look-ups by type.

#![allow(dead_code)]

use serde_json::Value;

use migen::cfn::Format;
use migen::spec::{self, Overrides};

pub const ENVS: [&str; 3] = ["dev", "staging", "prod"];

pub fn environment(name: &str) -> spec::Environment {
    spec::load_shipped(name, &Overrides::default()).unwrap()
}

/// Every template of an environment, by region in deploy order, as JSON documents.
pub fn documents(env: &spec::Environment) -> Vec<(String, Value)> {
    migen::render::templates(env, Format::Json)
        .unwrap()
        .into_iter()
        .map(|t| (t.region, serde_json::from_str(&t.template.body).unwrap()))
        .collect()
}

/// The primary region's template of a shipped environment.
pub fn primary(name: &str) -> Value {
    documents(&environment(name)).remove(0).1
}

/// The resources of a type, with their logical ids.
pub fn resources<'a>(doc: &'a Value, type_name: &str) -> Vec<(&'a String, &'a Value)> {
    doc["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == type_name)
        .collect()
}
