//! The rendered artifacts are the product. The committed `out/` is their one golden copy: a test checks it equals a
//! fresh render of every shipped environment, so a pull request shows the real diff of the templates and CI fails
//! when `out/` is stale (there are no snapshots of the templates besides, which would review each change twice).
//! Also here: renders are byte-identical, JSON and YAML hold the same document, the ASL artifacts are the
//! definitions the templates embed, and `specs/schema.json` is current.

use std::path::Path;

use migen::cfn::Format;
use migen::render;
use migen::spec::{self, Overrides};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn all_artifacts(env: &spec::Environment, format: Format) -> Vec<render::Artifact> {
    let templates = templates(env, format);
    let artifacts =
        migen::artifacts::artifacts(env, &format!("specs/{}.yaml", env.name), &templates, format)
            .expect("renders");
    assert!(
        artifacts.len() > templates.len(),
        "{}: a template per region and the runbook",
        env.name
    );
    artifacts
}

/// Every shipped environment; at least the three the README documents, so loops over them cannot pass empty.
fn shipped() -> Vec<spec::Environment> {
    let envs: Vec<spec::Environment> = spec::SHIPPED
        .iter()
        .map(|(name, _)| {
            spec::load_shipped(name, &Overrides::default()).expect("shipped spec is valid")
        })
        .collect();
    assert!(envs.len() >= 3, "{} shipped environments", envs.len());
    envs
}

/// Every template of an environment, in one format; at least one.
fn templates(env: &spec::Environment, format: Format) -> Vec<render::RegionTemplate> {
    let templates = render::templates(env, format).expect("renders");
    assert!(!templates.is_empty(), "{} renders no template", env.name);
    templates
}

#[test]
fn out_equals_a_fresh_render() {
    let mut stale = Vec::new();
    for env in shipped() {
        let dir = Path::new(ROOT).join("out").join(&env.name);
        let artifacts = all_artifacts(&env, Format::Yaml);
        for artifact in &artifacts {
            let path = dir.join(&artifact.path);
            if std::fs::read_to_string(&path).ok().as_deref() != Some(artifact.contents.as_str()) {
                stale.push(path.display().to_string());
            }
        }
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        on_disk.sort();
        let mut expected: Vec<String> = artifacts
            .iter()
            .map(|a| a.path.display().to_string())
            .collect();
        expected.sort();
        if on_disk != expected {
            stale.push(format!(
                "{}: holds {on_disk:?}, a render writes {expected:?}",
                dir.display()
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "out/ is stale; run `for e in dev staging prod; do cargo run -- render --env $e --out out; done`:\n  {}",
        stale.join("\n  ")
    );
}

#[test]
fn renders_are_byte_identical() {
    for env in shipped() {
        for format in [Format::Yaml, Format::Json] {
            let first = all_artifacts(&env, format);
            let again = all_artifacts(
                &spec::load_shipped(&env.name, &Overrides::default()).unwrap(),
                format,
            );
            assert_eq!(first, again, "{} {format:?}", env.name);
        }
    }
}

#[test]
fn json_and_yaml_hold_the_same_document() {
    for env in shipped() {
        let yaml = templates(&env, Format::Yaml);
        let json = templates(&env, Format::Json);
        assert_eq!(yaml.len(), json.len(), "{}", env.name);
        for (yaml, json) in yaml.iter().zip(&json) {
            assert_eq!(yaml.region, json.region, "{}", env.name);
            let from_yaml: serde_json::Value = serde_norway::from_str(&yaml.template.body).unwrap();
            let from_json: serde_json::Value = serde_json::from_str(&json.template.body).unwrap();
            assert_eq!(from_yaml, from_json, "{} {}", env.name, yaml.region);
        }
    }
}

#[test]
fn the_committed_spec_schema_is_current() {
    let committed = std::fs::read_to_string(Path::new(ROOT).join("specs/schema.json")).unwrap();
    assert_eq!(
        committed,
        spec::json_schema(),
        "run `cargo run -- schema > specs/schema.json`"
    );
    assert!(!spec::SHIPPED.is_empty());
    for (name, yaml) in spec::SHIPPED {
        assert!(
            yaml.starts_with("# yaml-language-server: $schema=./schema.json\n"),
            "specs/{name}.yaml names the schema for editors"
        );
    }
}

/// Every `*.asl.json` artifact of an environment, with its contents; read from a fresh render.
fn asl_documents(env: &spec::Environment) -> Vec<(String, String)> {
    all_artifacts(env, Format::Yaml)
        .into_iter()
        .filter(|a| a.path.to_string_lossy().ends_with(".asl.json"))
        .map(|a| (a.path.display().to_string(), a.contents))
        .collect()
}

#[test]
fn each_asl_artifact_is_the_definition_its_template_embeds() {
    let mut checked = 0;
    for env in shipped() {
        let documents = asl_documents(&env);
        for workflow in ["migration.asl.json", "rollback.asl.json"] {
            assert!(
                documents.iter().any(|(path, _)| path == workflow),
                "{}: no {workflow}",
                env.name
            );
        }
        let embedded: Vec<(serde_json::Value, serde_json::Value)> = templates(&env, Format::Yaml)
            .iter()
            .flat_map(|t| {
                let doc: serde_json::Value = serde_norway::from_str(&t.template.body).unwrap();
                doc["Resources"]
                    .as_object()
                    .unwrap()
                    .values()
                    .filter(|r| r["Type"] == "AWS::StepFunctions::StateMachine")
                    .map(|r| {
                        (
                            r["Properties"]["Definition"].clone(),
                            r["Properties"]["DefinitionSubstitutions"].clone(),
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        for (path, contents) in documents {
            assert!(
                contents.ends_with("}\n"),
                "{}/{path}: pretty JSON, one newline",
                env.name
            );
            let artifact: serde_json::Value = serde_json::from_str(&contents).unwrap();
            let matching: Vec<_> = embedded.iter().filter(|(d, _)| *d == artifact).collect();
            assert_eq!(
                matching.len(),
                1,
                "{}/{path}: equals exactly one state machine's Definition",
                env.name
            );
            // Every placeholder the standalone document uses is bound by that state machine's substitutions.
            let substitutions = matching[0].1.as_object().unwrap();
            let mut rest = contents.as_str();
            while let Some(start) = rest.find("${") {
                let end = rest[start..].find('}').unwrap() + start;
                let name = &rest[start + 2..end];
                assert!(
                    substitutions.contains_key(name),
                    "{}/{path}: ${{{name}}} has no substitution",
                    env.name
                );
                rest = &rest[end..];
            }
            checked += 1;
        }
    }
    assert!(checked >= 6, "ASL documents checked: {checked}");
}

/// The `statelint` that `scripts/tools` installs into `.tools/venv` (or the one named by `STATELINT`).
fn statelint() -> std::path::PathBuf {
    if let Some(path) = std::env::var_os("STATELINT") {
        return path.into();
    }
    let path = Path::new(ROOT).join(".tools/venv/bin/statelint");
    assert!(
        path.exists(),
        "{} not found: run scripts/tools (or set STATELINT)",
        path.display()
    );
    path
}

#[test]
#[ignore = "runs the statelint that scripts/tools installs; scripts/test runs it"]
fn statelint_finds_nothing_in_any_rendered_asl_document() {
    let dir = std::env::temp_dir().join(format!("migen-asl-artifacts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut linted = 0;
    for env in shipped() {
        for (path, contents) in asl_documents(&env) {
            let file = dir.join(format!("{}-{path}", env.name));
            std::fs::write(&file, &contents).unwrap();
            let output = std::process::Command::new(statelint())
                .arg(&file)
                .output()
                .unwrap();
            assert!(
                output.status.success() && output.stdout.is_empty(),
                "statelint on {}/{path}:\n{}{}",
                env.name,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            linted += 1;
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(linted >= 3, "ASL documents linted: {linted}");
}
