//! Dependencies point one way. Between the modules of one parent (the top-level modules of the crate, the layers of
//! `payment_migration`, the parts of `asl`, ...) the references of the library's code form no cycle, and every
//! reference is one of [`ALLOWED`]: the core under the IAM policy language, both under the resource builders, the
//! resources under the document formats (ASL, CloudWatch) that take their handles, those under the layers, the layers
//! under the render, the render under the review tools and the artifacts, and all of it under the command line. A new
//! edge fails this test: add it to [`ALLOWED`] only when it points the way the others do.
//!
//! What counts as a reference: a path from `crate::`, `super::` or `self::` (`use` or inline, braces expanded) in
//! code, not in comments or doc links, and not in unit tests (`tests.rs`, `#[cfg(test)] mod tests`), which may
//! use anything above what they test. A reference to an item of an ancestor module (a re-export) is not an edge;
//! the modules re-export only their children's items.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every edge between sibling modules of the library, `from -> to`.
const ALLOWED: &[&str] = &[
    "artifacts -> cfn",
    "artifacts -> render",
    "artifacts -> review",
    "artifacts -> spec",
    "asl -> cfn",
    "asl -> policy",
    "asl -> resources",
    "asl::definition -> asl::error",
    "asl::definition -> asl::integration",
    "asl::definition -> asl::sdk",
    "asl::definition -> asl::sequence",
    "asl::definition -> asl::state",
    "asl::definition -> asl::worst_case",
    "asl::explore -> asl::worst_case",
    "asl::explore::intrinsic -> asl::explore::jsonpath",
    "asl::integration -> asl::error",
    "asl::sdk -> asl::integration",
    "asl::sequence -> asl::choice",
    "asl::sequence -> asl::error",
    "asl::sequence -> asl::integration",
    "asl::sequence -> asl::path",
    "asl::sequence -> asl::state",
    "asl::state -> asl::choice",
    "asl::state -> asl::error",
    "asl::state -> asl::integration",
    "asl::worst_case -> asl::error",
    "asl::worst_case -> asl::state",
    "cfn::expr -> cfn::logical_id",
    "cfn::references -> cfn::sub",
    "cfn::resource -> cfn::expr",
    "cfn::resource -> cfn::logical_id",
    "cfn::template -> cfn::expr",
    "cfn::template -> cfn::logical_id",
    "cfn::template -> cfn::quota",
    "cfn::template -> cfn::references",
    "cfn::template -> cfn::resource",
    "cfn::template -> cfn::yaml",
    "cli -> artifacts",
    "cli -> cfn",
    "cli -> payment_migration",
    "cli -> render",
    "cli -> review",
    "cli -> spec",
    "cloudwatch -> cfn",
    "cloudwatch -> resources",
    "cloudwatch::dashboard -> cloudwatch::metric",
    "cloudwatch::published -> cloudwatch::metric",
    "payment_migration -> asl",
    "payment_migration -> cfn",
    "payment_migration -> cloudwatch",
    "payment_migration -> resources",
    "payment_migration -> spec",
    "payment_migration::alerting -> payment_migration::api",
    "payment_migration::alerting -> payment_migration::database",
    "payment_migration::alerting -> payment_migration::migration",
    "payment_migration::alerting -> payment_migration::notification",
    "payment_migration::alerting -> payment_migration::stack",
    "payment_migration::alerting -> payment_migration::validation",
    "payment_migration::alerting::alarms -> payment_migration::alerting::filters",
    "payment_migration::api -> payment_migration::capacity",
    "payment_migration::api -> payment_migration::configuration",
    "payment_migration::api -> payment_migration::functions",
    "payment_migration::api -> payment_migration::network",
    "payment_migration::api -> payment_migration::stack",
    "payment_migration::api -> payment_migration::storage",
    "payment_migration::capacity -> payment_migration::stack",
    "payment_migration::configuration -> payment_migration::database",
    "payment_migration::configuration -> payment_migration::migration",
    "payment_migration::configuration -> payment_migration::notification",
    "payment_migration::configuration -> payment_migration::stack",
    "payment_migration::configuration -> payment_migration::storage",
    "payment_migration::database -> payment_migration::network",
    "payment_migration::database -> payment_migration::stack",
    "payment_migration::encryption -> payment_migration::stack",
    "payment_migration::functions -> payment_migration::stack",
    "payment_migration::migration -> payment_migration::database",
    "payment_migration::migration -> payment_migration::network",
    "payment_migration::migration -> payment_migration::stack",
    "payment_migration::monitoring -> payment_migration::alerting",
    "payment_migration::monitoring -> payment_migration::api",
    "payment_migration::monitoring -> payment_migration::database",
    "payment_migration::monitoring -> payment_migration::orchestration",
    "payment_migration::monitoring -> payment_migration::stack",
    "payment_migration::monitoring -> payment_migration::validation",
    "payment_migration::network -> payment_migration::stack",
    "payment_migration::notification -> payment_migration::stack",
    "payment_migration::operations -> payment_migration::alerting",
    "payment_migration::operations -> payment_migration::api",
    "payment_migration::operations -> payment_migration::monitoring",
    "payment_migration::operations -> payment_migration::orchestration",
    "payment_migration::operations -> payment_migration::stack",
    "payment_migration::operations -> payment_migration::validation",
    "payment_migration::orchestration -> payment_migration::alerting",
    "payment_migration::orchestration -> payment_migration::configuration",
    "payment_migration::orchestration -> payment_migration::migration",
    "payment_migration::orchestration -> payment_migration::notification",
    "payment_migration::orchestration -> payment_migration::stack",
    "payment_migration::orchestration -> payment_migration::storage",
    "payment_migration::orchestration -> payment_migration::validation",
    "payment_migration::orchestration::cutover -> payment_migration::orchestration::pace",
    "payment_migration::orchestration::cutover -> payment_migration::orchestration::pieces",
    "payment_migration::orchestration::migration -> payment_migration::orchestration::cutover",
    "payment_migration::orchestration::migration -> payment_migration::orchestration::pace",
    "payment_migration::orchestration::migration -> payment_migration::orchestration::pieces",
    "payment_migration::orchestration::rollback -> payment_migration::orchestration::pace",
    "payment_migration::orchestration::rollback -> payment_migration::orchestration::pieces",
    "payment_migration::preflight -> payment_migration::capacity",
    "payment_migration::preflight -> payment_migration::orchestration",
    "payment_migration::preflight -> payment_migration::stack",
    "payment_migration::storage -> payment_migration::stack",
    "payment_migration::validation -> payment_migration::functions",
    "payment_migration::validation -> payment_migration::migration",
    "payment_migration::validation -> payment_migration::network",
    "payment_migration::validation -> payment_migration::stack",
    "payment_migration::validation -> payment_migration::storage",
    "policy -> cfn",
    "policy::actions -> policy::iam_actions",
    "policy::statement -> policy::actions",
    "render -> cfn",
    "render -> payment_migration",
    "render -> spec",
    "resources -> cfn",
    "resources -> policy",
    "resources::apigateway -> resources::generated",
    "resources::apigateway -> resources::iam",
    "resources::apigatewayv2 -> resources::generated",
    "resources::cloudformation -> resources::generated",
    "resources::cloudwatch -> resources::generated",
    "resources::cloudwatch -> resources::slot",
    "resources::dms -> resources::generated",
    "resources::dms -> resources::slot",
    "resources::ec2 -> resources::generated",
    "resources::ec2 -> resources::slot",
    "resources::elasticloadbalancingv2 -> resources::generated",
    "resources::elasticloadbalancingv2 -> resources::slot",
    "resources::generated -> resources::bounds",
    "resources::generated -> resources::slot",
    "resources::generated::catalog -> resources::generated::apigateway",
    "resources::generated::catalog -> resources::generated::apigatewayv2",
    "resources::generated::catalog -> resources::generated::cloudformation",
    "resources::generated::catalog -> resources::generated::cloudwatch",
    "resources::generated::catalog -> resources::generated::dms",
    "resources::generated::catalog -> resources::generated::ec2",
    "resources::generated::catalog -> resources::generated::elasticloadbalancingv2",
    "resources::generated::catalog -> resources::generated::iam",
    "resources::generated::catalog -> resources::generated::kms",
    "resources::generated::catalog -> resources::generated::lambda",
    "resources::generated::catalog -> resources::generated::logs",
    "resources::generated::catalog -> resources::generated::rds",
    "resources::generated::catalog -> resources::generated::s3",
    "resources::generated::catalog -> resources::generated::secretsmanager",
    "resources::generated::catalog -> resources::generated::sns",
    "resources::generated::catalog -> resources::generated::ssm",
    "resources::generated::catalog -> resources::generated::stepfunctions",
    "resources::iam -> resources::generated",
    "resources::iam -> resources::slot",
    "resources::kms -> resources::generated",
    "resources::kms -> resources::iam",
    "resources::kms -> resources::slot",
    "resources::lambda -> resources::generated",
    "resources::lambda -> resources::iam",
    "resources::logs -> resources::generated",
    "resources::rds -> resources::generated",
    "resources::rds -> resources::iam",
    "resources::rds -> resources::kms",
    "resources::rds -> resources::slot",
    "resources::s3 -> resources::generated",
    "resources::s3 -> resources::slot",
    "resources::secretsmanager -> resources::generated",
    "resources::secretsmanager -> resources::kms",
    "resources::secretsmanager -> resources::slot",
    "resources::sns -> resources::generated",
    "resources::sns -> resources::slot",
    "resources::ssm -> resources::generated",
    "resources::stepfunctions -> resources::generated",
    "resources::stepfunctions -> resources::slot",
    "review -> cfn",
    "review -> render",
    "review -> resources",
    "review -> spec",
    "review::report -> review::diff",
    "spec::regions -> spec::aws_data",
    "spec::validate -> spec::check",
    "spec::validate -> spec::model",
    "spec::validate -> spec::regions",
    "spec::validate -> spec::validate_api",
    "spec::validate -> spec::validate_database",
    "spec::validate -> spec::validate_orchestration",
    "spec::validate_api -> spec::check",
    "spec::validate_api -> spec::model",
    "spec::validate_api -> spec::regions",
    "spec::validate_database -> spec::aws_data",
    "spec::validate_database -> spec::check",
    "spec::validate_database -> spec::model",
    "spec::validate_database -> spec::pem",
    "spec::validate_database -> spec::regions",
    "spec::validate_orchestration -> spec::check",
    "spec::validate_orchestration -> spec::model",
];

type Module = Vec<String>;

/// The library's modules by path (`["payment_migration", "alerting", "alarms"]`), each with its source.
fn modules(src: &Path) -> BTreeMap<Module, String> {
    let mut modules = BTreeMap::new();
    let mut folders = vec![src.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("src reads") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).unwrap().with_extension("");
            let mut module: Module = relative
                .iter()
                .map(|s| s.to_string_lossy().into_owned())
                .collect();
            if module.last().is_some_and(|m| m == "mod") {
                module.pop();
            }
            if module == ["lib"] || module == ["main"] {
                module.clear();
            }
            let source = std::fs::read_to_string(&path).expect("a source file reads");
            modules.insert(module, source);
        }
    }
    assert!(
        modules.len() > 50,
        "the library's modules: {}",
        modules.len()
    );
    modules
}

/// The code of a module's source: without comments and without its unit tests.
fn code(module: &Module, source: &str) -> String {
    if module.last().is_some_and(|m| m == "tests") {
        return String::new();
    }
    let source = match source.find("#[cfg(test)]\nmod tests {") {
        Some(at) => &source[..at],
        None => source,
    };
    source
        .lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths a piece of code names from `crate::`, `super::` or `self::`, with `a::{b, c::{d}}` expanded.
fn paths(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    let mut at = 0;
    while at < code.len() {
        let rest = &code[at..];
        let starts = ["crate::", "super::", "self::"]
            .iter()
            .any(|s| rest.starts_with(s));
        let boundary = at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
        if !(starts && boundary) {
            at += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        }
        let length = path_length(rest);
        found.extend(expand(&rest[..length]));
        at += length.max(1);
    }
    found
}

/// The length of the path at the start of `text`, braces included.
fn path_length(text: &str) -> usize {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            c if depth == 0 && !(c.is_ascii_alphanumeric() || c == '_' || c == ':') => return i,
            _ => {}
        }
    }
    text.len()
}

fn expand(path: &str) -> Vec<String> {
    let Some(open) = path.find('{') else {
        return vec![path.trim_end_matches(':').to_string()];
    };
    let prefix = path[..open].trim_end_matches(':');
    let inner = &path[open + 1..path.len() - 1];
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    items
        .into_iter()
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .flat_map(|item| match item {
            "self" => vec![prefix.to_string()],
            item => expand(&format!("{prefix}::{item}")),
        })
        .collect()
}

/// The module a path from `module` names: the longest prefix that is a module.
fn target(module: &Module, path: &str, known: &BTreeSet<Module>) -> Module {
    let mut segments = path.split("::").filter(|s| !s.is_empty()).peekable();
    let mut current: Module = match segments.peek().copied() {
        Some("crate") => {
            segments.next();
            Vec::new()
        }
        Some("self") => {
            segments.next();
            module.clone()
        }
        _ => {
            let mut current = module.clone();
            while segments.peek() == Some(&"super") {
                segments.next();
                current.pop();
            }
            current
        }
    };
    for segment in segments {
        current.push(segment.to_string());
        if !known.contains(&current) {
            current.pop();
            break;
        }
    }
    current
}

/// The edges between sibling modules: a reference from `a::b::x` to `a::c::y` is the edge `a::b -> a::c`.
fn edges(modules: &BTreeMap<Module, String>) -> BTreeSet<(String, String)> {
    let known: BTreeSet<Module> = modules.keys().cloned().collect();
    let mut edges = BTreeSet::new();
    for (module, source) in modules {
        for path in paths(&code(module, source)) {
            let to = target(module, &path, &known);
            let common = module.iter().zip(&to).take_while(|(a, b)| a == b).count();
            if common == module.len() || common == to.len() {
                continue; // itself, a child, or an ancestor's re-export
            }
            edges.insert((module[..=common].join("::"), to[..=common].join("::")));
        }
    }
    edges
}

/// A cycle among `edges`, as the modules along it, if there is one.
fn cycle(edges: &BTreeSet<(String, String)>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeSet<(String, String)>,
        state: &mut BTreeMap<String, bool>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_string(), false);
        path.push(node.to_string());
        for (_, next) in edges.iter().filter(|(from, _)| from == node) {
            match state.get(next) {
                Some(false) => {
                    let start = path.iter().position(|p| p == next).unwrap();
                    let mut found = path[start..].to_vec();
                    found.push(next.clone());
                    return Some(found);
                }
                Some(true) => {}
                None => {
                    if let Some(found) = visit(next, edges, state, path) {
                        return Some(found);
                    }
                }
            }
        }
        path.pop();
        state.insert(node.to_string(), true);
        None
    }
    let mut state = BTreeMap::new();
    for (from, _) in edges {
        if !state.contains_key(from) {
            if let Some(found) = visit(from, edges, &mut state, &mut Vec::new()) {
                return Some(found);
            }
        }
    }
    None
}

#[test]
fn no_module_depends_on_a_module_that_depends_on_it() {
    let edges = edges(&modules(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src")));
    if let Some(found) = cycle(&edges) {
        panic!("a module cycle: {}", found.join(" -> "));
    }
}

#[test]
fn every_edge_between_modules_is_an_allowed_one() {
    let edges: BTreeSet<String> =
        edges(&modules(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src")))
            .into_iter()
            .map(|(from, to)| format!("{from} -> {to}"))
            .collect();
    let allowed: BTreeSet<String> = ALLOWED.iter().map(|e| e.to_string()).collect();
    let new: Vec<&String> = edges.difference(&allowed).collect();
    let gone: Vec<&String> = allowed.difference(&edges).collect();
    assert!(
        new.is_empty(),
        "new dependencies between modules: {new:#?}\nadd one to ALLOWED only when it points the way the others do"
    );
    assert!(
        gone.is_empty(),
        "ALLOWED lists dependencies the code no longer has (remove them, so they cannot come back unnoticed): \
         {gone:#?}"
    );
}

fn synthetic(files: &[(&str, &str)]) -> BTreeMap<Module, String> {
    files
        .iter()
        .map(|(path, source)| {
            let module = path
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            (module, source.to_string())
        })
        .collect()
}

/// The analysis itself must be able to fail: a cycle through `use` groups, `super::` and inline paths is found,
/// while comments, unit tests and re-exports from a parent are not edges.
#[test]
fn the_analysis_finds_a_cycle_and_ignores_what_is_not_a_dependency() {
    let modules = synthetic(&[
        ("", "pub mod core; pub mod layers;"),
        ("core", "pub mod expr; pub mod template;"),
        (
            "core::expr",
            "use super::template::Template; // crate::layers in a comment",
        ),
        ("core::template", "use super::{expr::{self}, super::core};"),
        (
            "layers",
            "pub use self::a::Thing; fn f() { crate::core::expr::x(); }\n#[cfg(test)]\nmod tests {\n use crate::cli; }",
        ),
        (
            "layers::a",
            "use super::Thing; fn g() -> crate::layers::b::B { todo!() }",
        ),
        ("layers::b", "/// [`crate::layers::a`]\npub struct B;"),
    ]);
    let edges = edges(&modules);
    let listed: Vec<String> = edges.iter().map(|(a, b)| format!("{a} -> {b}")).collect();
    assert_eq!(
        listed,
        [
            "core::expr -> core::template",
            "core::template -> core::expr",
            "layers -> core",
            "layers::a -> layers::b",
        ]
    );
    assert_eq!(
        cycle(&edges),
        Some(vec![
            "core::expr".to_string(),
            "core::template".to_string(),
            "core::expr".to_string()
        ])
    );
}
