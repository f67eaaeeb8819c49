//! Rendering helpers the end-to-end tests share: shipped environments, their templates as JSON documents, and
//! look-ups that fail loudly.
//!
//! Indexing a `serde_json::Value` with a key that is not there yields `Null`, so `assert_ne!(x["CidrIp"], "…")`
//! passes when `CidrIp` is misspelt or missing, and a loop over the resources of a type passes when there are
//! none. Tests therefore reach into documents only through these helpers: [`resources`] panics when a type has
//! no resources, [`at`] when any segment of a path is missing, and [`absent`] checks that the parent of a key
//! that must not be there does exist.

#![allow(dead_code)]

use serde_json::{Map, Value};

use migen::cfn::Format;
use migen::spec::{self, Overrides};

pub const ENVS: [&str; 3] = ["dev", "staging", "prod"];

pub fn environment(name: &str) -> spec::Environment {
    spec::load_shipped(name, &Overrides::default()).unwrap()
}

/// Every template of an environment, by region in deploy order, as JSON documents.
pub fn documents(env: &spec::Environment) -> Vec<(String, Value)> {
    let documents: Vec<(String, Value)> = migen::render::templates(env, Format::Json)
        .unwrap()
        .into_iter()
        .map(|t| (t.region, serde_json::from_str(&t.template.body).unwrap()))
        .collect();
    assert!(!documents.is_empty(), "{} renders no template", env.name);
    documents
}

/// The templates of a spec, rendered once per test binary and shared by its tests: `name` is a shipped
/// environment (`dev`) or a spec file's path. Tests that render a spec they changed call [`documents`].
pub fn rendered(name: &str) -> &'static [(String, Value)] {
    use std::collections::BTreeMap;
    use std::sync::{Mutex, OnceLock};
    type Renders = BTreeMap<String, &'static [(String, Value)]>;
    static RENDERS: OnceLock<Mutex<Renders>> = OnceLock::new();
    let mut renders = RENDERS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(found) = renders.get(name) {
        return found;
    }
    let env = if name.ends_with(".yaml") {
        spec::load_file(std::path::Path::new(name), &Overrides::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    } else {
        environment(name)
    };
    let documents: &'static [(String, Value)] = Vec::leak(documents(&env));
    renders.insert(name.to_string(), documents);
    documents
}

/// The primary region's template of a shipped environment (or of a spec file, by path).
pub fn primary(name: &str) -> Value {
    rendered(name)[0].1.clone()
}

/// Which template a document is, for failure messages: its description names the environment and region.
pub fn template_name(doc: &Value) -> &str {
    doc.get("Description")
        .and_then(Value::as_str)
        .unwrap_or("a template without a Description")
}

/// The resources of a type, with their logical ids. Panics when there are none, so a loop over them cannot pass
/// by looping zero times; use [`optional_resources`] where none is a legitimate answer.
#[track_caller]
pub fn resources<'a>(doc: &'a Value, type_name: &str) -> Vec<(&'a String, &'a Value)> {
    let found = optional_resources(doc, type_name);
    assert!(
        !found.is_empty(),
        "no {type_name} resource in the template `{}`",
        template_name(doc)
    );
    found
}

/// The resources of a type, possibly none: for asserting absence or counting.
#[track_caller]
pub fn optional_resources<'a>(doc: &'a Value, type_name: &str) -> Vec<(&'a String, &'a Value)> {
    object_at(doc, "Resources")
        .iter()
        .filter(|(_, r)| str_at(r, "Type") == type_name)
        .collect()
}

/// The resource with a logical id; panics listing the template's ids when it is not there.
#[track_caller]
pub fn resource<'a>(doc: &'a Value, id: &str) -> &'a Value {
    at(doc, ["Resources", id])
}

/// A path into a document: `"Properties.SecurityGroupEgress.0.CidrIp"` (segments separated by dots, array
/// indices as numbers), or a list of segments for keys that contain dots (`["Parameters", "rds.force_ssl"]`).
pub trait Path {
    fn segments(&self) -> Vec<&str>;
}

impl Path for &str {
    fn segments(&self) -> Vec<&str> {
        self.split('.').collect()
    }
}

impl Path for &String {
    fn segments(&self) -> Vec<&str> {
        self.split('.').collect()
    }
}

impl<const N: usize> Path for [&str; N] {
    fn segments(&self) -> Vec<&str> {
        self.to_vec()
    }
}

/// Segments already split, for the helpers that pass a path on.
struct Segments<'s>(&'s [&'s str]);

impl Path for Segments<'_> {
    fn segments(&self) -> Vec<&str> {
        self.0.to_vec()
    }
}

/// The names of an object's keys, or what the value is when it is not an object.
fn describe(value: &Value) -> String {
    match value {
        Value::Object(map) => format!("an object with keys {:?}", map.keys().collect::<Vec<_>>()),
        Value::Array(items) => format!("an array of {} item(s)", items.len()),
        other => format!("the scalar {other}"),
    }
}

/// The value at a path. Panics naming the first segment that is missing (a key that is not there, an index out
/// of range, or a step into a scalar) and showing what the parent holds.
#[track_caller]
pub fn at(value: &Value, path: impl Path) -> &Value {
    let segments = path.segments();
    let mut current = value;
    for (depth, segment) in segments.iter().enumerate() {
        let parent = segments[..depth].join(".");
        let parent = if parent.is_empty() {
            "the root".to_string()
        } else {
            format!("`{parent}`")
        };
        let next = match current {
            Value::Object(map) => map.get(*segment),
            Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        current = next.unwrap_or_else(|| {
            panic!(
                "`{}`: no `{segment}` under {parent}, which is {}",
                segments.join("."),
                describe(current)
            )
        });
    }
    current
}

/// The string at a path; panics when the path is missing or holds something else.
#[track_caller]
pub fn str_at(value: &Value, path: impl Path) -> &str {
    let segments = path.segments();
    let found = at(value, Segments(&segments));
    found
        .as_str()
        .unwrap_or_else(|| panic!("`{}` is {found}, not a string", segments.join(".")))
}

/// The array at a path; panics when the path is missing or holds something else.
#[track_caller]
pub fn array_at(value: &Value, path: impl Path) -> &Vec<Value> {
    let segments = path.segments();
    let found = at(value, Segments(&segments));
    found
        .as_array()
        .unwrap_or_else(|| panic!("`{}` is {found}, not an array", segments.join(".")))
}

/// The object at a path; panics when the path is missing or holds something else.
#[track_caller]
pub fn object_at(value: &Value, path: impl Path) -> &Map<String, Value> {
    let segments = path.segments();
    let found = at(value, Segments(&segments));
    found.as_object().unwrap_or_else(|| {
        panic!(
            "`{}` is {}, not an object",
            segments.join("."),
            describe(found)
        )
    })
}

/// Asserts that the last key of a path is absent from an object that is present: `absent(group,
/// "Properties.SecurityGroupIngress")` fails when the group has no `Properties` at all, where a plain
/// `.get(…).is_none()` would pass.
#[track_caller]
pub fn absent(value: &Value, path: impl Path) {
    let segments = path.segments();
    let (key, parent) = segments
        .split_last()
        .expect("a path has at least one segment");
    let holder = object_at(value, Segments(parent));
    if let Some(found) = holder.get(*key) {
        panic!("`{}` must be absent, but is {found}", segments.join("."));
    }
}

/// Every spec the tests render: the shipped ones and the accepted fixtures of `tests/fixtures/specs/`.
pub fn all_spec_files() -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut specs = Vec::new();
    for dir in ["specs", "tests/fixtures/specs"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("the folder reads") {
            let path = entry.expect("an entry").path();
            if path.extension().is_some_and(|e| e == "yaml") {
                specs.push(path);
            }
        }
    }
    specs.sort();
    assert!(specs.len() >= 6, "shipped and fixture specs: {specs:?}");
    specs
}

/// Runs the `migen` binary without the environment's overrides, which would rename the spec's environment.
pub fn migen<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_migen"))
        .args(args)
        .env_remove("ENVIRONMENT_SUFFIX")
        .env_remove("REPOSITORY")
        .env_remove("COMMIT_AUTHOR")
        .output()
        .expect("migen runs")
}
