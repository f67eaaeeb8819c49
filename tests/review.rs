//! The review tools as a user runs them: `migen diff` on the committed artifacts and on edited copies, and the
//! architecture picture of every shipped environment. The change report's wording, in each format, is an insta
//! snapshot (`tests/snapshots/review__change_report_*.snap`).

mod common;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use common::{ENVS, migen};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The committed dev template as JSON.
fn committed_dev() -> Value {
    let text =
        std::fs::read_to_string(Path::new(ROOT).join("out/dev/stack.ap-southeast-1.yaml")).unwrap();
    serde_norway::from_str(&text).unwrap()
}

/// Writes `old` and `new` to a fresh folder and runs `migen diff OLD NEW` with `extra` arguments.
fn diff(name: &str, old: &Value, new: &Value, extra: &[&str]) -> std::process::Output {
    let dir = std::env::temp_dir().join(format!("migen-review-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (a, b): (PathBuf, PathBuf) = (dir.join("old.json"), dir.join("new.json"));
    std::fs::write(&a, serde_json::to_string(old).unwrap()).unwrap();
    std::fs::write(&b, serde_json::to_string(new).unwrap()).unwrap();
    let mut args = vec![
        "diff".to_string(),
        a.display().to_string(),
        b.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let output = migen(&args);
    let _ = std::fs::remove_dir_all(&dir);
    output
}

fn json_report(output: &std::process::Output) -> Value {
    let reports: Value = serde_json::from_slice(&output.stdout).expect("the JSON report parses");
    reports[0].clone()
}

fn change<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["logicalId"] == id)
        .unwrap_or_else(|| panic!("{id} is not in the report: {report:#}"))
}

#[test]
fn the_committed_artifacts_match_a_fresh_render() {
    for env in ENVS {
        let output = migen(&["diff", "--env", env]);
        let text = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(0), "{env}: {text}");
        for line in text
            .lines()
            .filter(|l| l.contains(": ") && l.contains("unchanged"))
        {
            assert!(
                line.contains(": 0 added, 0 removed, 0 changed in place, 0 replaced, 0 renamed,"),
                "{env}: {line}"
            );
        }
        assert!(text.contains("unchanged"), "{env}: {text}");
    }
}

#[test]
fn a_new_cluster_key_replaces_the_cluster_and_the_guard_fails_the_command() {
    let old = committed_dev();
    let mut new = old.clone();
    new["Resources"]["DatabaseMigrationCluster"]["Properties"]["KmsKeyId"] =
        json!("arn:aws:kms:ap-southeast-1:111122223333:key/11111111-2222-3333-4444-555555555555");
    let output = diff("kms", &old, &new, &["--format", "json"]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = json_report(&output);
    let cluster = change(&report, "DatabaseMigrationCluster");
    assert_eq!(cluster["change"], "replaced");
    assert_eq!(
        cluster["reasons"],
        json!(["KmsKeyId changed (create-only)"])
    );
    assert_eq!(cluster["losesData"], json!(true));
    assert!(
        report["blocking"]
            .as_array()
            .unwrap()
            .contains(&json!("DatabaseMigrationCluster"))
    );
    // The cluster's instances name it in a create-only property: replaced with it.
    let instances: Vec<&Value> = report["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "AWS::RDS::DBInstance")
        .collect();
    assert!(!instances.is_empty());
    for instance in instances {
        assert_eq!(instance["change"], "replaced", "{instance}");
    }

    let acknowledged = diff(
        "kms-ack",
        &old,
        &new,
        &[
            "--format",
            "json",
            "--acknowledge",
            "DatabaseMigrationCluster=re-encrypting from a snapshot, rehearsed",
        ],
    );
    assert_eq!(acknowledged.status.code(), Some(0));
    assert_eq!(
        change(&json_report(&acknowledged), "DatabaseMigrationCluster")["acknowledged"],
        "re-encrypting from a snapshot, rehearsed"
    );
}

#[test]
fn a_new_task_resource_identifier_replaces_the_task_mid_migration() {
    let old = committed_dev();
    let mut new = old.clone();
    new["Resources"]["MigrationForwardTask"]["Properties"]["ResourceIdentifier"] =
        json!("migration-forward-2");
    let output = diff("task", &old, &new, &[]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("REPLACED"), "{text}");
    assert!(text.contains("MigrationForwardTask"), "{text}");
    assert!(
        text.contains("ResourceIdentifier changed (create-only)"),
        "{text}"
    );
    assert!(text.contains("DATA-LOSS GUARD"), "{text}");
}

#[test]
fn in_place_changes_renames_and_outputs_are_told_apart() {
    let old = committed_dev();
    let mut new = old.clone();
    new["Resources"]["DatabaseMigrationCluster"]["Properties"]["BackupRetentionPeriod"] = json!(14);
    let resources = new["Resources"].as_object_mut().unwrap();
    let dashboard = resources.remove("MonitoringDashboard").unwrap();
    resources.insert("MonitoringMigrationDashboard".into(), dashboard);
    new["Outputs"]["DashboardName"]["Value"] = json!({"Ref": "MonitoringMigrationDashboard"});
    new["Outputs"]["DashboardArn"]["Value"]["Fn::Sub"][1]["Name"] =
        json!({"Ref": "MonitoringMigrationDashboard"});
    let output = diff("misc", &old, &new, &["--format", "json"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let report = json_report(&output);
    assert_eq!(
        change(&report, "DatabaseMigrationCluster")["change"],
        "modified"
    );
    assert_eq!(
        change(&report, "DatabaseMigrationCluster")["properties"],
        json!(["BackupRetentionPeriod"])
    );
    let renamed = change(&report, "MonitoringMigrationDashboard");
    assert_eq!(renamed["change"], "renamed");
    assert_eq!(renamed["from"], "MonitoringDashboard");
    let outputs: Vec<&Value> = report["outputs"].as_array().unwrap().iter().collect();
    assert_eq!(outputs.len(), 2, "{outputs:?}");

    let markdown = diff("misc-md", &old, &new, &["--format", "markdown"]);
    let text = String::from_utf8_lossy(&markdown.stdout);
    assert!(text.starts_with("## Change report"), "{text}");
    assert!(
        text.contains("| | change | resource | type | detail |"),
        "{text}"
    );
}

#[test]
fn an_unreadable_template_is_an_error_naming_the_file() {
    let dir = std::env::temp_dir().join(format!("migen-review-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "just: [a, list").unwrap();
    let output = migen(&["diff", bad.to_str().unwrap(), bad.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("bad.yaml") && err.contains("not YAML"),
        "{err}"
    );
}

#[test]
fn every_environment_pictures_all_ten_layers() {
    for env in ENVS {
        let path = Path::new(ROOT).join(format!("out/{env}/ARCHITECTURE.md"));
        let text = std::fs::read_to_string(&path).expect("ARCHITECTURE.md is committed");
        assert!(text.contains("```mermaid\nflowchart LR\n"), "{env}");
        for layer in [
            "encryption",
            "network",
            "database",
            "migration",
            "storage",
            "notification",
            "configuration",
            "api",
            "validation",
            "orchestration",
            "monitoring",
        ] {
            assert!(
                text.contains(&format!("[\"{layer} layer\"]")),
                "{env}: no {layer} layer"
            );
        }
        assert!(
            text.contains("==>|\"reads\"|") && text.contains("==>|\"writes\"|"),
            "{env}: DMS data flows"
        );
        let edges = text
            .lines()
            .filter(|l| l.contains(" --- ") || l.contains(" ==>"))
            .count();
        assert!(edges >= 30, "{env}: {edges} edges");
    }
    let prod = std::fs::read_to_string(Path::new(ROOT).join("out/prod/ARCHITECTURE.md")).unwrap();
    assert!(prod.contains("replicates to ap-southeast-2"));
    assert!(prod.contains("subgraph ap_southeast_2[\"ap-southeast-2\"]"));
}

#[test]
fn migen_graph_prints_mermaid_or_dot() {
    let mermaid = migen(&["graph", "--env", "staging"]);
    assert_eq!(mermaid.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&mermaid.stdout).starts_with("flowchart LR\n"));
    let dot = migen(&["graph", "--env", "staging", "--format", "dot"]);
    assert_eq!(dot.status.code(), Some(0));
    let dot = String::from_utf8_lossy(&dot.stdout);
    assert!(
        dot.starts_with("digraph \"payment migration: staging\" {"),
        "{dot}"
    );
    assert!(dot.trim_end().ends_with('}'));
}

#[test]
fn the_base_revision_is_read_from_git() {
    // CI runs on a clean clone, where HEAD's out/ is this render.
    let output = migen(&["diff", "--env", "staging", "--base", "HEAD"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        text.starts_with("HEAD:out/staging/stack.ap-southeast-1.yaml: 0 added,"),
        "{text}"
    );
    let unknown = migen(&["diff", "--env", "staging", "--base", "no-such-revision"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("--base no-such-revision"));
}

/// The change report of one representative change, in each format, as a reviewer reads it: the migration cluster's
/// key replaced by a literal ARN (a replacement the data-loss guard stops), an alarm removed, a topic added and an
/// alarm's threshold changed in place. The report has no other golden copy, so its wording is reviewed here. The
/// files are named relatively (the command runs in their folder), so no temporary path reaches the snapshot; nor
/// does the count of unchanged resources, which is the dev template's size (reviewed in `out/`), checked here and
/// then written `[UNCHANGED]`.
#[test]
fn the_change_report_reads_as_reviewed() {
    let old = committed_dev();
    // 1 removed, 1 changed in place and 3 replaced: the cluster and its two instances.
    let unchanged = old["Resources"].as_object().unwrap().len() - 5;
    let mut new = old.clone();
    let resources = new["Resources"].as_object_mut().unwrap();
    resources["DatabaseMigrationCluster"]["Properties"]["KmsKeyId"] =
        json!("arn:aws:kms:ap-southeast-1:111122223333:key/11111111-2222-3333-4444-555555555555");
    resources
        .shift_remove("MonitoringDmsTaskErrorsAlarm")
        .expect("the dev template has a DMS task errors alarm");
    resources["MonitoringReplicationLagAlarm"]["Properties"]["Threshold"] = json!(600.0);
    resources.insert(
        "NotificationAuditTopic".into(),
        json!({
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "TopicName": "payment-migration-audit-dev",
                "KmsMasterKeyId": {"Ref": "EncryptionKey"}
            }
        }),
    );
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("review-change-report");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("old.json"), serde_json::to_string(&old).unwrap()).unwrap();
    std::fs::write(dir.join("new.json"), serde_json::to_string(&new).unwrap()).unwrap();
    for format in ["text", "markdown", "json"] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_migen"))
            .args(["diff", "old.json", "new.json", "--format", format])
            .current_dir(&dir)
            .output()
            .expect("migen runs");
        let stdout = String::from_utf8(output.stdout).expect("UTF-8");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{format}: the guard fails the diff: {stderr}"
        );
        assert!(stderr.is_empty(), "{format}: {stderr}");
        let count = match format {
            "json" => format!("\"unchanged\": {unchanged},"),
            _ => format!(", {unchanged} unchanged"),
        };
        assert_eq!(
            stdout.matches(&count).count(),
            1,
            "{format}: {count:?} once in {stdout}"
        );
        let stdout = stdout.replace(
            &count,
            &count.replace(&unchanged.to_string(), "[UNCHANGED]"),
        );
        insta::assert_snapshot!(format!("change_report_{format}"), stdout);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
