//! README states facts that follow from the render and the tree: the artifacts `--out` writes, the outputs, the
//! dashboard's widget counts, every guard suppression and checkov skip the templates carry, migen's own guard
//! rules, the spec fields with their defaults, the pinned tool versions and the layout. Each test here reads one
//! such statement and compares it with its source, so README cannot drift from what migen renders. A failure
//! names the README section and what differs.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use common::{ENVS, all_spec_files};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).expect("README.md reads")
}

/// The text under a heading (the line as written, `## Outputs`) up to the next heading of the same or a higher
/// level. Panics when README has no such heading, so a renamed section fails here rather than checking nothing.
#[track_caller]
fn section(readme: &str, heading: &str) -> String {
    let level = heading.chars().take_while(|c| *c == '#').count();
    let mut lines = readme.lines().skip_while(|line| *line != heading);
    assert!(lines.next().is_some(), "README has no heading `{heading}`");
    let mut in_code = false;
    let mut body = Vec::new();
    for line in lines {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        let depth = line.chars().take_while(|c| *c == '#').count();
        if !in_code && depth > 0 && depth <= level && line[depth..].starts_with(' ') {
            break;
        }
        body.push(line);
    }
    body.join("\n")
}

/// The rows of the first Markdown table in `text`, without its header and separator, as cells. A `|` inside
/// backticks belongs to the cell.
#[track_caller]
fn table(text: &str) -> Vec<Vec<String>> {
    let rows: Vec<Vec<String>> = text
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .map(cells)
        .collect();
    assert!(rows.len() > 2, "no table with rows in:\n{text}");
    rows.into_iter().skip(2).collect()
}

fn cells(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut in_code = false;
    for c in line.trim().trim_matches('|').chars() {
        match c {
            '`' => {
                in_code = !in_code;
                cell.push(c);
            }
            '|' if !in_code => cells.push(std::mem::take(&mut cell).trim().to_string()),
            _ => cell.push(c),
        }
    }
    cells.push(cell.trim().to_string());
    cells
}

/// The spans of `text` written in backticks.
fn backticked(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

fn is_identifier(token: &str) -> bool {
    token.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && token.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Every spec the tests render, by file, with its templates as JSON documents (primary region first).
fn rendered_specs() -> Vec<(PathBuf, Vec<Value>)> {
    all_spec_files()
        .into_iter()
        .map(|file| {
            let documents = common::rendered(&file.display().to_string())
                .iter()
                .map(|(_, document)| document.clone())
                .collect();
            (file, documents)
        })
        .collect()
}

fn keys(document: &Value, key: &str) -> BTreeSet<String> {
    document
        .get(key)
        .and_then(Value::as_object)
        .map(|map| map.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn the_artifacts_out_writes_are_the_files_of_out() {
    let readme = readme();
    let paragraph = section(&readme, "## What gets rendered")
        .split("\n\n")
        .find(|p| p.starts_with("`migen render --env NAME --out out` writes"))
        .expect("`What gets rendered` has the paragraph on what `--out` writes")
        .to_string();
    let documented: BTreeSet<String> = backticked(&paragraph)
        .into_iter()
        .filter(|t| t.contains('.') && !t.contains(' ') && !t.contains('/'))
        .map(str::to_string)
        .collect();
    let mut written = BTreeSet::new();
    for env in ENVS {
        let dir = root().join("out").join(env);
        for entry in std::fs::read_dir(&dir).expect("out/<env> reads") {
            let name = entry.expect("an entry").file_name().into_string().unwrap();
            let name = match name.strip_prefix("stack.") {
                Some(_) => "stack.<region>.yaml".to_string(),
                None => name,
            };
            written.insert(name);
        }
    }
    assert_eq!(
        documented, written,
        "README's `What gets rendered` lists these files; out/<env>/ holds the right-hand ones"
    );
}

#[test]
fn the_outputs_table_names_every_output() {
    let readme = readme();
    let rows = table(&section(&readme, "## Outputs"));
    let mut primary = BTreeSet::new();
    let mut secondary = BTreeSet::new();
    for row in &rows {
        let ids = backticked(&row[1])
            .into_iter()
            .filter(|t| is_identifier(t))
            .map(str::to_string);
        if row[0] == "(secondary template)" {
            secondary.extend(ids);
        } else {
            primary.extend(ids);
        }
    }
    let (mut rendered_primary, mut rendered_secondary) = (BTreeSet::new(), BTreeSet::new());
    for (_, documents) in rendered_specs() {
        rendered_primary.extend(keys(&documents[0], "Outputs"));
        for document in &documents[1..] {
            rendered_secondary.extend(keys(document, "Outputs"));
        }
    }
    assert_eq!(
        primary, rendered_primary,
        "README's Outputs table against the primary templates' outputs (right)"
    );
    assert_eq!(
        secondary, rendered_secondary,
        "README's `(secondary template)` row against the secondary templates' outputs (right)"
    );
}

/// `19 widgets in dev and staging, 18 in prod`, from the dashboards in `out/`: environments with the same count
/// share a clause, in the order of [`ENVS`].
#[test]
fn the_widget_counts_are_the_dashboards() {
    let mut by_count: Vec<(usize, Vec<&str>)> = Vec::new();
    for env in ENVS {
        let body: Value = serde_json::from_str(
            &std::fs::read_to_string(root().join(format!("out/{env}/dashboard.json")))
                .expect("dashboard.json reads"),
        )
        .expect("dashboard.json is JSON");
        let count = common::array_at(&body, "widgets").len();
        match by_count.iter_mut().find(|(c, _)| *c == count) {
            Some((_, envs)) => envs.push(env),
            None => by_count.push((count, vec![env])),
        }
    }
    let clauses: Vec<String> = by_count
        .iter()
        .enumerate()
        .map(|(i, (count, envs))| {
            let envs = match envs.split_last() {
                Some((last, [])) => last.to_string(),
                Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
                None => unreachable!("a count has an environment"),
            };
            if i == 0 {
                format!("{count} widgets in {envs}")
            } else {
                format!("{count} in {envs}")
            }
        })
        .collect();
    let sentence = clauses.join(", ");
    let readme = readme();
    assert!(
        section(&readme, "## What gets rendered").contains(&sentence),
        "README's monitoring row must say `{sentence}`, as out/<env>/dashboard.json has it"
    );
}

/// The table of README's compliance stance whose header row starts with `header`, from that row on.
#[track_caller]
fn compliance_table(header: &str) -> String {
    let stance = section(&readme(), "## Compliance stance");
    let (_, rest) = stance
        .split_once(header)
        .unwrap_or_else(|| panic!("the compliance stance has no table headed `{header}`"));
    format!("{header}{rest}")
}

/// What a suppression table row names: logical ids, or every resource of a type, or every log group.
struct Documented {
    rules: Vec<String>,
    resources: Vec<String>,
    every_type: Option<String>,
    row: String,
}

impl Documented {
    fn covers(&self, rule: &str, id: &str, type_name: &str) -> bool {
        self.rules.iter().any(|r| r == rule)
            && (self.resources.iter().any(|r| r == id)
                || self.every_type.as_deref() == Some(type_name))
    }
}

fn documented_rows(text: &str) -> Vec<Documented> {
    table(text)
        .into_iter()
        .map(|row| {
            let every_type = if row[1].starts_with("every log group") {
                Some("AWS::Logs::LogGroup".to_string())
            } else if row[1].starts_with("every `") {
                backticked(&row[1]).first().map(|t| t.to_string())
            } else {
                None
            };
            Documented {
                rules: backticked(&row[0])
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
                resources: backticked(&row[1])
                    .into_iter()
                    .filter(|t| is_identifier(t))
                    .map(str::to_string)
                    .collect(),
                every_type,
                row: row.join(" | "),
            }
        })
        .collect()
}

/// Checks a suppression table against what the rendered templates suppress: every (rule, resource) a template
/// carries has a row, and every row is carried by some template of some spec.
fn check_suppressions(
    table_name: &str,
    rows: &[Documented],
    suppressed: impl Fn(&Value) -> Vec<String>,
) {
    let mut used = vec![false; rows.len()];
    let mut missing = BTreeSet::new();
    for (file, documents) in rendered_specs() {
        for document in &documents {
            for (id, resource) in common::object_at(document, "Resources") {
                let type_name = common::str_at(resource, "Type");
                for rule in suppressed(resource) {
                    match rows.iter().position(|r| r.covers(&rule, id, type_name)) {
                        Some(i) => used[i] = true,
                        None => {
                            missing.insert(format!(
                                "{rule} on {id} ({type_name}) in {}",
                                file.file_name().unwrap().to_string_lossy()
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "README's {table_name} table has no row for: {missing:#?}"
    );
    let unused: Vec<&str> = rows
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(row, _)| row.row.as_str())
        .collect();
    assert!(
        unused.is_empty(),
        "README's {table_name} table has rows no rendered template carries: {unused:#?}"
    );
}

#[test]
fn the_guard_suppression_table_is_every_suppression() {
    let text = compliance_table("| rule | resource |");
    check_suppressions("guard suppression", &documented_rows(&text), |resource| {
        resource
            .pointer("/Metadata/guard/SuppressedRules")
            .and_then(Value::as_array)
            .map(|rules| {
                rules
                    .iter()
                    .map(|r| r.as_str().expect("a rule name").to_string())
                    .collect()
            })
            .unwrap_or_default()
    });
}

#[test]
fn the_checkov_skip_table_is_every_skip() {
    let text = compliance_table("| check | resource |");
    check_suppressions("checkov skip", &documented_rows(&text), |resource| {
        resource
            .pointer("/Metadata/checkov/skip")
            .and_then(Value::as_array)
            .map(|skips| {
                skips
                    .iter()
                    .map(|s| common::str_at(s, "id").to_string())
                    .collect()
            })
            .unwrap_or_default()
    });
}

#[test]
fn the_rule_table_is_rules_migen_guard() {
    let text = compliance_table("| rule | promise |");
    let documented: Vec<String> = table(&text)
        .iter()
        .flat_map(|row| backticked(&row[0]).into_iter().map(str::to_string))
        .collect();
    let rules = std::fs::read_to_string(root().join("rules/migen.guard")).expect("rules read");
    let declared: Vec<String> = rules
        .lines()
        .filter_map(|line| line.strip_prefix("rule "))
        .map(|rest| rest.split_whitespace().next().unwrap().to_string())
        .collect();
    assert!(
        declared.len() >= 10,
        "rules/migen.guard declares {declared:?}"
    );
    assert_eq!(
        documented, declared,
        "README's table of migen's rules against rules/migen.guard (right), in its order"
    );
}

/// The spec schema's fields as dotted paths (`secondary_regions[].region`), each with its default when the schema
/// states one that is not null. Objects are walked into; a field that is itself documented covers the fields
/// under it (checked separately).
fn schema_fields() -> BTreeMap<String, Option<Value>> {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("specs/schema.json")).expect("the schema reads"),
    )
    .expect("the schema is JSON");
    let mut fields = BTreeMap::new();
    walk(&schema, &schema, "", &mut fields);
    assert!(fields.len() > 40, "the schema has fields: {fields:?}");
    fields
}

fn resolve<'a>(schema: &'a Value, node: &'a Value) -> &'a Value {
    if let Some(target) = node.get("$ref").and_then(Value::as_str) {
        let name = target.trim_start_matches("#/$defs/");
        return resolve(schema, common::at(schema, ["$defs", name]));
    }
    if let Some(alternatives) = node.get("anyOf").and_then(Value::as_array) {
        if let Some(object) = alternatives
            .iter()
            .map(|a| resolve(schema, a))
            .find(|a| a.get("properties").is_some() || a.get("items").is_some())
        {
            return object;
        }
    }
    node
}

fn walk(schema: &Value, node: &Value, prefix: &str, fields: &mut BTreeMap<String, Option<Value>>) {
    let resolved = resolve(schema, node);
    if let Some(items) = resolved.get("items") {
        let items = resolve(schema, items);
        if items.get("properties").is_some() {
            walk(schema, items, &format!("{prefix}[]"), fields);
        }
        return;
    }
    let Some(properties) = resolved.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (name, property) in properties {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        // An empty list or map as default is "optional": README says what an entry is, not that none is the
        // default.
        let default = property
            .get("default")
            .filter(|d| !d.is_null() && d != &&Value::Array(vec![]) && d != &&serde_json::json!({}))
            .cloned();
        fields.insert(path.clone(), default);
        walk(schema, property, &path, fields);
    }
}

/// The fields a spec-table row names: `a.b`, and `.c` after it for `a.c`.
fn row_fields(cell: &str) -> Vec<String> {
    let mut fields: Vec<String> = Vec::new();
    for token in backticked(cell) {
        let field = match token.strip_prefix('.') {
            Some(rest) => {
                let previous = fields.last().expect("a `.field` follows a full one");
                let parent = previous.rsplit_once('.').expect("a dotted field").0;
                format!("{parent}.{rest}")
            }
            None => token.to_string(),
        };
        fields.push(field);
    }
    fields
}

/// How README writes a default: a number as is, anything else in backticks.
fn written_default(default: &Value) -> String {
    match default {
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("`{s}`"),
        Value::Array(items) => format!(
            "`[{}]`",
            items
                .iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => format!("`{other}`"),
    }
}

#[test]
fn the_spec_table_is_the_schema() {
    let readme = readme();
    let rows = table(&section(&readme, "## Environment specs"));
    let fields = schema_fields();
    let mut problems = Vec::new();
    let mut documented: BTreeMap<String, &Vec<String>> = BTreeMap::new();
    for row in &rows {
        let names = row_fields(&row[0]);
        // The rules cell holds one `;`-separated part per field when the row names several.
        let parts: Vec<&str> = if names.len() > 1 {
            row[2].splitn(names.len(), "; ").collect()
        } else {
            vec![row[2].as_str()]
        };
        for (i, name) in names.iter().enumerate() {
            let Some(default) = fields.get(name) else {
                problems.push(format!("`{name}` is not a field of specs/schema.json"));
                continue;
            };
            documented.insert(name.clone(), row);
            let part = parts.get(i).copied().unwrap_or("");
            let says = part
                .split_once("default ")
                .map(|(_, rest)| rest.split([',', ';', '.', ' ']).next().unwrap_or(""));
            match (default, says) {
                (Some(default), Some(says)) => {
                    let expected = written_default(default);
                    // A backticked default may hold the separators `says` splits on.
                    let said = if says.starts_with('`') {
                        part.split_once("default ").unwrap().1
                    } else {
                        says
                    };
                    if !said.starts_with(&expected) {
                        problems.push(format!(
                            "`{name}`: README says default {said:?}, the schema {expected}"
                        ));
                    }
                }
                (Some(default), None) => problems.push(format!(
                    "`{name}`: the schema's default {} is not in README",
                    written_default(default)
                )),
                (None, Some(says)) => problems.push(format!(
                    "`{name}`: README says default {says}, the schema has none"
                )),
                (None, None) => {}
            }
        }
    }
    for name in fields.keys() {
        if documented.contains_key(name) {
            continue;
        }
        // A field under a documented one is covered when that row names it.
        let covered = documented.iter().any(|(parent, row)| {
            let leaf = name.rsplit('.').next().unwrap();
            let under = name
                .strip_prefix(parent.as_str())
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with("[]."));
            under
                && row.iter().any(|cell| {
                    backticked(cell).iter().any(|span| {
                        span.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                            .any(|word| word == leaf)
                    })
                })
        });
        // An object whose every field is documented needs no row of its own.
        let parent_only = fields
            .keys()
            .any(|f| f.starts_with(&format!("{name}.")) || f.starts_with(&format!("{name}[].")));
        if !covered && !parent_only {
            problems.push(format!(
                "`{name}` is in the schema but not in README's spec table"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "README's spec table against specs/schema.json:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_tool_versions_are_the_pinned_ones() {
    let tools = std::fs::read_to_string(root().join("scripts/tools")).expect("scripts/tools reads");
    let pinned = |variable: &str| -> String {
        tools
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{variable}=")))
            .unwrap_or_else(|| panic!("scripts/tools pins {variable}"))
            .trim_matches('"')
            .to_string()
    };
    let readme = readme();
    let section = section(&readme, "## Tools and versions");
    for (tool, variable) in [
        ("cfn-lint", "CFN_LINT_VERSION"),
        ("cfn-guard", "CFN_GUARD_VERSION"),
        ("statelint", "STATELINT_VERSION"),
        ("checkov", "CHECKOV_VERSION"),
        ("the AWS CLI", "AWSCLI_VERSION"),
    ] {
        let stated = format!("{tool} {}", pinned(variable));
        assert!(
            section.contains(&stated),
            "README's `Tools and versions` must say `{stated}`, as scripts/tools pins it"
        );
    }
}

/// The layout block: each line that starts in column 0 names one or more paths (`src/cli.rs, src/main.rs`),
/// the rest of the line and its continuation lines describe them.
fn layout_entries(readme: &str) -> Vec<(Vec<String>, String)> {
    let layout = section(readme, "## Layout");
    let block = layout
        .split("```")
        .nth(1)
        .expect("the layout section has a code block");
    let mut entries: Vec<(Vec<String>, String)> = Vec::new();
    for line in block.lines().filter(|l| !l.trim().is_empty()) {
        if line.starts_with(' ') {
            let (_, text) = entries.last_mut().expect("a continuation follows an entry");
            text.push(' ');
            text.push_str(line.trim());
            continue;
        }
        let (paths, text) = line.split_once("  ").unwrap_or((line, ""));
        entries.push((
            paths.split(", ").map(|p| p.trim().to_string()).collect(),
            text.trim().to_string(),
        ));
    }
    entries
}

/// Tracked-looking entries of a folder: not hidden, not build or install output.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("an entry").file_name().into_string().unwrap())
        .filter(|n| {
            !n.starts_with('.') && !["target", "node_modules", "__pycache__"].contains(&n.as_str())
        })
        .collect();
    names.sort();
    names
}

#[test]
fn the_layout_is_the_tree() {
    let readme = readme();
    let layout = layout_entries(&readme);
    let mut problems = Vec::new();
    let listed: BTreeSet<String> = layout.iter().flat_map(|(p, _)| p.clone()).collect();
    for path in &listed {
        if !root().join(path).exists() {
            problems.push(format!("`{path}` is listed but does not exist"));
        }
    }
    // Every folder at the top and every entry of src/ has a line of its own.
    for name in entries(root()) {
        let folder = format!("{name}/");
        if root().join(&name).is_dir() && !listed.iter().any(|p| p.starts_with(&folder)) {
            problems.push(format!("the folder `{name}/` has no line"));
        }
    }
    for name in entries(&root().join("src")) {
        let path = if root().join("src").join(&name).is_dir() {
            format!("src/{name}/")
        } else {
            format!("src/{name}")
        };
        if !listed.contains(&path) {
            problems.push(format!("`{path}` has no line"));
        }
    }
    // What a folder's line describes names every entry of these folders: each script, each template, each
    // kind of test input, each service module and each document-format module.
    for folder in [
        "scripts",
        "templates",
        "tests",
        "src/resources",
        "src/asl",
        "src/cloudwatch",
        "src/policy",
        "src/review",
        "src/payment_migration",
    ] {
        let Some((_, text)) = layout
            .iter()
            .find(|(paths, _)| paths.contains(&format!("{folder}/")))
        else {
            problems.push(format!("the folder `{folder}/` has no line"));
            continue;
        };
        for name in entries(&root().join(folder)) {
            let path = root().join(folder).join(&name);
            let stem = if folder.starts_with("src/") {
                name.trim_end_matches(".rs").to_string()
            } else {
                name.clone()
            };
            // The end-to-end test files are "end-to-end tests"; a module's root and unit tests go without saying.
            let implied = (folder == "tests" && path.is_file())
                || (folder.starts_with("src/") && ["mod", "tests"].contains(&stem.as_str()));
            let named = implied || {
                text.split(|c: char| !(c.is_ascii_alphanumeric() || "_-./".contains(c)))
                    .any(|word| {
                        word.trim_end_matches(['.', '/']) == stem
                            || word == format!("{folder}/{stem}/")
                            || word == format!("{folder}/{stem}")
                    })
            };
            if !named {
                problems.push(format!("the `{folder}/` line does not name `{name}`"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "README's layout against the tree:\n{}",
        problems.join("\n")
    );
}

/// The change report README shows is what `migen diff` prints for the change it describes: the dev template
/// with the migration cluster's `KmsKeyId` set to another key's ARN. A README line ending in `…` is the start of
/// the printed line.
#[test]
fn the_diff_example_is_what_migen_prints() {
    let readme = readme();
    let reviewing = section(&readme, "## Reviewing a change");
    let example = reviewing
        .split("```")
        .nth(1)
        .expect("`Reviewing a change` has an example block");
    let mut lines = example.lines().filter(|l| !l.is_empty());
    let command = lines
        .next()
        .and_then(|l| l.strip_prefix("$ migen "))
        .expect("the example starts with `$ migen …`");
    let mut template = common::primary("dev");
    *template
        .pointer_mut("/Resources/DatabaseMigrationCluster/Properties/KmsKeyId")
        .expect("the migration cluster has a KmsKeyId") = Value::String(
        "arn:aws:kms:ap-southeast-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab".into(),
    );
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("readme-diff-example");
    std::fs::create_dir_all(&dir).expect("the folder is created");
    std::fs::write(dir.join("new.json"), template.to_string()).expect("new.json is written");
    let args: Vec<String> = command
        .split_whitespace()
        .map(|arg| match arg.strip_prefix("out/") {
            Some(_) => root().join(arg).to_string_lossy().into_owned(),
            None => arg.to_string(),
        })
        .collect();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_migen"))
        .args(&args)
        .current_dir(&dir)
        .output()
        .expect("migen runs");
    assert_eq!(output.status.code(), Some(1), "the guard fails the example");
    let printed = String::from_utf8(output.stdout).expect("UTF-8");
    let printed: Vec<&str> = printed.lines().collect();
    let shown: Vec<&str> = lines.collect();
    assert_eq!(
        shown.len(),
        printed.len(),
        "README shows {shown:#?}\nmigen prints {printed:#?}"
    );
    for (shown, printed) in shown.iter().zip(&printed) {
        match shown.strip_suffix('…') {
            Some(start) => assert!(
                printed.starts_with(start.trim_end()),
                "README shows `{shown}`, migen prints `{printed}`"
            ),
            None => assert_eq!(shown, printed, "README's diff example"),
        }
    }
}
