//! The `migen` binary end to end: exit codes, where output goes, and that bad input never leaves files behind. The
//! help of every command and the usage errors a user meets are insta snapshots (`tests/snapshots/cli__*.snap`), their
//! one golden copy.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{array_at, migen, resource, str_at};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_clean_failure(output: &Output, code: i32, needles: &[&str]) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    assert!(
        output.stdout.is_empty(),
        "nothing on stdout: {}",
        text(&output.stdout)
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{stderr}"
    );
    for needle in needles {
        assert!(stderr.contains(needle), "stderr lacks {needle:?}: {stderr}");
    }
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("migen-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn render_prints_the_primary_template() {
    let output = migen(&["render", "--env", "dev"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let body = text(&output.stdout);
    assert!(
        body.starts_with("AWSTemplateFormatVersion: '2010-09-09'\n"),
        "{}",
        &body[..80]
    );
    assert!(
        text(&output.stderr).contains("--s3-bucket"),
        "the size note goes to stderr"
    );

    let json = migen(&["render", "--env", "prod", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON output parses");
    assert!(resource(&doc, "NetworkTransitGateway").is_object());
}

#[test]
fn out_writes_every_artifact_under_the_environment() {
    let dir = temp_dir("out");
    let output = migen(&["render", "--env", "staging", "--out", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(output.stdout.is_empty());
    let written = std::fs::read_to_string(dir.join("staging/stack.ap-southeast-1.yaml")).unwrap();
    assert_eq!(
        written,
        text(&migen(&["render", "--env", "staging"]).stdout)
    );
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers,
        vec![std::ffi::OsString::from("staging")],
        "no staging folders left behind"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_fails_cleanly_and_writes_nothing() {
    let dir = temp_dir("bad");
    let out = dir.join("out");
    let spec = |name: &str, yaml: &str| {
        let path = dir.join(name);
        std::fs::write(&path, yaml).unwrap();
        path.to_str().unwrap().to_string()
    };
    let valid =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/dev.yaml"))
            .unwrap();
    let cases: Vec<(String, Vec<String>)> = vec![
        (
            spec(
                "unknown.yaml",
                &valid.replace("egress:", "nat: 1\n  egress:"),
            ),
            vec!["unknown.yaml".into(), "network.nat".into()],
        ),
        (
            spec(
                "type.yaml",
                &valid.replace("availability_zones: 2", "availability_zones: two"),
            ),
            vec!["network.availability_zones".into()],
        ),
        (
            spec("malformed.yaml", "environment: [dev"),
            vec!["malformed.yaml".into()],
        ),
        (
            spec(
                "overlap.yaml",
                &valid.replace("10.20.0.0/16", "10.10.0.0/16"),
            ),
            vec![
                "network.migration_vpc_cidr".into(),
                "does not overlap".into(),
            ],
        ),
        (
            spec(
                "region.yaml",
                &valid.replace(
                    "primary_region: ap-southeast-1",
                    "primary_region: mars-east-1",
                ),
            ),
            vec!["primary_region".into(), "mars-east-1".into()],
        ),
        (
            dir.join("missing.yaml").to_str().unwrap().to_string(),
            vec!["missing.yaml".into(), "cannot be read".into()],
        ),
    ];
    for (path, needles) in &cases {
        let output = migen(&["render", "--spec", path, "--out", out.to_str().unwrap()]);
        let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
        assert_clean_failure(&output, 1, &needles);
        assert!(!out.exists(), "{path}: nothing written under --out");
    }
    assert_clean_failure(
        &migen(&["render", "--env", "qa", "--out", out.to_str().unwrap()]),
        1,
        &["\"qa\"", "dev, staging, prod"],
    );
    assert!(!out.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_secondary_region_renders_its_own_template() {
    let output = migen(&[
        "render",
        "--env",
        "prod",
        "--region",
        "ap-southeast-2",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        str_at(
            resource(&doc, "DatabaseSecondaryCluster"),
            "Properties.SourceRegion"
        ),
        "ap-southeast-1"
    );
}

#[test]
fn environment_variables_override_the_spec() {
    let output = Command::new(env!("CARGO_BIN_EXE_migen"))
        .args(["render", "--env", "dev", "--format", "json"])
        .env("ENVIRONMENT_SUFFIX", "pr42")
        .env("COMMIT_AUTHOR", "jane")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let tags = array_at(resource(&doc, "NetworkProductionVpc"), "Properties.Tags");
    let tag = |key: &str| {
        tags.iter()
            .find(|t| str_at(t, "Key") == key)
            .map(|t| str_at(t, "Value"))
    };
    assert_eq!(tag("Environment"), Some("pr42"));
    assert_eq!(tag("CommitAuthor"), Some("jane"));

    let bad = Command::new(env!("CARGO_BIN_EXE_migen"))
        .args(["render", "--env", "dev"])
        .env("ENVIRONMENT_SUFFIX", "PR 42")
        .output()
        .unwrap();
    assert_clean_failure(&bad, 1, &["$ENVIRONMENT_SUFFIX"]);
}

#[test]
fn check_schema_and_envs() {
    let check = migen(&["check", "--all"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
    let report = text(&check.stdout);
    for env in ["dev", "staging", "prod"] {
        assert!(
            report.contains(&format!("{env} ap-southeast-1: ok")),
            "{report}"
        );
    }

    let schema: serde_json::Value = serde_json::from_slice(&migen(&["schema"]).stdout).unwrap();
    assert_eq!(str_at(&schema, "title"), "migen environment spec");

    let envs = text(&migen(&["envs"]).stdout);
    assert!(
        envs.contains("prod\tap-southeast-1, ap-southeast-2"),
        "{envs}"
    );
}

#[test]
fn a_wrong_question_is_refused_naming_what_was_looked_for() {
    // A diff with no committed baseline would report every resource as added: refused, exit 2.
    let empty = temp_dir("no-baseline");
    let against = empty.display().to_string();
    let output = migen(&["diff", "--env", "prod", "--against", &against]);
    assert_clean_failure(
        &output,
        2,
        &[
            &format!("{}", empty.join("prod").display()),
            "no committed template",
            "--against",
            "--base",
        ],
    );
    std::fs::create_dir_all(empty.join("prod")).unwrap();
    let output = migen(&["diff", "--env", "prod", "--against", &against]);
    assert_clean_failure(&output, 2, &["no committed template"]);

    let _ = std::fs::remove_dir_all(&empty);
}

/// Runs `migen` in `dir` (without the environment's overrides) and writes what a user sees as a transcript entry:
/// the command, its exit code, then its stderr.
fn transcript_entry(dir: &Path, args: &[&str]) -> (Output, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_migen"))
        .args(args)
        .current_dir(dir)
        .env_remove("ENVIRONMENT_SUFFIX")
        .env_remove("REPOSITORY")
        .env_remove("COMMIT_AUTHOR")
        .output()
        .expect("migen runs");
    let entry = format!(
        "$ migen {} (exit {})\n{}\n",
        args.join(" "),
        output
            .status
            .code()
            .map_or("by a signal".into(), |c| c.to_string()),
        text(&output.stderr)
    );
    (output, entry)
}

/// The subcommands `migen --help` lists, besides `help`.
const SUBCOMMANDS: [&str; 6] = ["render", "check", "schema", "envs", "diff", "graph"];

/// The help of `migen` and of every subcommand, in one snapshot: it has no other golden copy.
#[test]
fn the_help_reads_as_reviewed() {
    let dir = temp_dir("help");
    let mut all = String::new();
    let top = text(&migen(&["--help"]).stdout);
    let listed: Vec<&str> = top
        .split("Commands:\n")
        .nth(1)
        .expect("`migen --help` lists its commands")
        .lines()
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .collect();
    assert_eq!(
        listed, SUBCOMMANDS,
        "a subcommand added or removed: snapshot its help"
    );
    for args in
        std::iter::once(vec!["--help"]).chain(SUBCOMMANDS.iter().map(|s| vec![*s, "--help"]))
    {
        let (output, _) = transcript_entry(&dir, &args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&output.stderr)
        );
        assert!(
            output.stderr.is_empty(),
            "{args:?}: {}",
            text(&output.stderr)
        );
        all.push_str(&format!(
            "$ migen {}\n{}\n",
            args.join(" "),
            text(&output.stdout)
        ));
    }
    std::fs::remove_dir_all(&dir).unwrap();
    insta::assert_snapshot!("help", all);
}

/// The errors a user meets for a command line migen cannot act on, in one snapshot: each run in a folder of its
/// own with relative paths, so no temporary path reaches the snapshot. None writes to stdout.
#[test]
fn the_usage_errors_read_as_reviewed() {
    let dir = temp_dir("usage-wording");
    std::fs::write(dir.join("stack.yaml"), "kept").unwrap();
    std::fs::create_dir_all(dir.join("empty")).unwrap();
    let cases: &[&[&str]] = &[
        &["render"],
        &["render", "--env", "dev", "--spec", "x.yaml"],
        &["render", "--env", "dev", "--format", "toml"],
        &[
            "render",
            "--env",
            "prod",
            "--region",
            "ap-southeast-2",
            "--out",
            "out",
        ],
        &["render", "--env", "dev", "--out", "stack.yaml"],
        &["render", "--env", "qa"],
        &["render", "--env", "prod", "--region", "eu-west-1"],
        &["render", "--spec", "missing.yaml"],
        &["deploy"],
        &["check"],
        &["check", "--all", "--env", "dev"],
        &["diff", "--env", "prod", "--against", "empty"],
    ];
    let mut all = String::new();
    for args in cases {
        let (output, entry) = transcript_entry(&dir, args);
        assert!(
            matches!(output.status.code(), Some(1 | 2)),
            "{args:?}: {entry}"
        );
        assert!(
            output.stdout.is_empty(),
            "{args:?}: {}",
            text(&output.stdout)
        );
        all.push_str(&entry);
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("stack.yaml")).unwrap(),
        "kept"
    );
    assert!(!dir.join("out").exists(), "nothing written under --out");
    std::fs::remove_dir_all(&dir).unwrap();
    insta::assert_snapshot!("usage_errors", all);
}
