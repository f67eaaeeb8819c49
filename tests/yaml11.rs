//! A YAML 1.1 reader (PyYAML, as cfn-lint uses; CloudFormation reads YAML 1.1 too) must read every rendered YAML
//! template as the same document as its JSON rendering, even when spec values look like YAML 1.1 booleans,
//! numbers or timestamps: an environment named `no` must not become `Environment: false`.
//!
//! Runs PyYAML from `.tools/venv` (installed by `scripts/tools`, which CI always runs); a missing venv fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use migen::cfn::Format;
use migen::render;
use migen::spec::{self, Overrides};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Loads argv[1] with PyYAML's SafeLoader and argv[2] with json, and exits 1 naming the first difference. Types
/// must match (in Python `True == 1`); CloudFormation short-form tags, should any appear, load as long forms.
const COMPARE: &str = r#"
import json, sys, yaml
class Loader(yaml.SafeLoader): pass
def short_form(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode): value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode): value = loader.construct_sequence(node, deep=True)
    else: value = loader.construct_mapping(node, deep=True)
    return {suffix: value} if suffix in ("Ref", "Condition") else {"Fn::" + suffix: value}
Loader.add_multi_constructor("!", short_form)
def diff(a, b, path):
    if type(a) is not type(b): return f"{path}: YAML reads {a!r}, JSON {b!r}"
    if isinstance(b, dict):
        if list(a) != list(b): return f"{path}: keys {list(a)!r} != {list(b)!r}"
        return next((d for k in b for d in [diff(a[k], b[k], f"{path}.{k}")] if d), None)
    if isinstance(b, list):
        if len(a) != len(b): return f"{path}: lengths differ"
        return next((d for i, (x, y) in enumerate(zip(a, b)) for d in [diff(x, y, f"{path}[{i}]")] if d), None)
    return None if a == b else f"{path}: YAML reads {a!r}, JSON {b!r}"
with open(sys.argv[1], encoding="utf-8") as y, open(sys.argv[2], encoding="utf-8") as j:
    try:
        found = diff(yaml.load(y, Loader=Loader), json.load(j), "$")
    except yaml.YAMLError as error:
        found = f"the YAML does not load: {error}"
if found:
    print(found)
    sys.exit(1)
"#;

fn python() -> PathBuf {
    let python = Path::new(ROOT).join(".tools/venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/tools, which installs PyYAML with cfn-lint",
        python.display()
    );
    python
}

/// Whether PyYAML reads `yaml` as the document `json` holds; on a difference, what differs.
fn yaml_1_1_reads_as_json(name: &str, yaml: &str, json: &str) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("migen-yaml11-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let yaml_path = dir.join(format!("{name}.yaml"));
    let json_path = dir.join(format!("{name}.json"));
    std::fs::write(&yaml_path, yaml).unwrap();
    std::fs::write(&json_path, json).unwrap();
    let output = Command::new(python())
        .arg("-c")
        .arg(COMPARE)
        .arg(&yaml_path)
        .arg(&json_path)
        .output()
        .expect("python runs");
    let _ = std::fs::remove_file(&yaml_path);
    let _ = std::fs::remove_file(&json_path);
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// specs/dev.yaml with an environment named `no` and tags whose values YAML 1.1 reads as booleans, numbers,
/// timestamps and null, and `=`, which PyYAML cannot even load when plain.
fn tricky_spec() -> spec::Environment {
    let dev = std::fs::read_to_string(Path::new(ROOT).join("specs/dev.yaml")).unwrap();
    let text = dev
        .replace("\nenvironment: dev\n", "\nenvironment: \"no\"\n")
        .replace("commit_author: platform-team", "commit_author: \"off\"")
        .replace(
            "  cost_centre: payments-platform\n",
            "  cost_centre: \"yes\"\n  extra:\n    Switch: \"on\"\n    Mode: \"OFF\"\n    \"y\": \"Y\"\n    \
             \"on\": \"n\"\n    Window: \"10:30\"\n    Clock: \"190:20:30\"\n    Code: \"0x1F\"\n    \
             Octal: \"0123\"\n    Count: \"1_000\"\n    Float: \"1.5\"\n    Exponent: \"1e3\"\n    \
             Date: \"2002-12-14\"\n    Equals: \"=\"\n    Nothing: \"null\"\n    Version: \"3.5.4\"\n",
        );
    assert!(text.contains("environment: \"no\"") && text.contains("Window"));
    spec::parse("yaml11.yaml", &text, &Overrides::default()).expect("the tricky spec is valid")
}

#[test]
#[ignore = "runs the PyYAML that scripts/tools installs; scripts/test runs it"]
fn yaml_1_1_reads_the_yaml_templates_as_their_json_twins() {
    let env = tricky_spec();
    assert_eq!(env.name, "no");
    let yaml = render::templates(&env, Format::Yaml).expect("renders");
    let json = render::templates(&env, Format::Json).expect("renders");
    assert_eq!(yaml.len(), json.len());
    for (y, j) in yaml.iter().zip(&json) {
        assert!(
            y.template.body.contains("Value: 'no'\n"),
            "the Environment tag is quoted"
        );
        assert!(j.template.body.contains("\"Value\": \"no\""));
        if let Err(problem) = yaml_1_1_reads_as_json(&y.region, &y.template.body, &j.template.body)
        {
            panic!(
                "{}: a YAML 1.1 reader reads the YAML template differently from the JSON one: {problem}",
                y.region
            );
        }
    }
}

/// The comparison catches a misreading: a YAML 1.2 emitter writes the Environment tag as `Value: no`, which
/// PyYAML reads as false.
#[test]
#[ignore = "runs the PyYAML that scripts/tools installs; scripts/test runs it"]
fn the_comparison_fails_on_plain_yaml_1_1_booleans() {
    let json = render::templates(&tricky_spec(), Format::Json)
        .expect("renders")
        .remove(0)
        .template
        .body;
    let document: serde_json::Value = serde_json::from_str(&json).unwrap();
    let environment_tag = document["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|r| r["Properties"].get("Tags")?.as_array())
        .flatten()
        .find(|tag| tag["Key"] == "Environment")
        .expect("a resource has an Environment tag");
    let tags = serde_json::json!({ "Tags": [environment_tag] });
    let yaml_1_2 = serde_norway::to_string(&tags).unwrap();
    assert!(yaml_1_2.contains("Value: no\n"), "{yaml_1_2}");
    let problem = yaml_1_1_reads_as_json("yaml-1.2", &yaml_1_2, &tags.to_string())
        .expect_err("PyYAML reads a plain no as false");
    assert!(problem.contains("YAML reads False, JSON 'no'"), "{problem}");
    assert_eq!(
        yaml_1_1_reads_as_json(
            "yaml-1.1",
            &migen::cfn::yaml::to_string(&tags),
            &tags.to_string()
        ),
        Ok(())
    );
}
