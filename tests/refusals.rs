//! Every spec migen refuses, as a user would meet it: `tests/fixtures/refused/*.yaml`, one a refusal, each
//! naming on its second line the field and a phrase of what is allowed (`# refused: FIELD :: PHRASE`). The binary
//! must exit 1 with one report naming the file, the field and the value, print nothing on stdout, never panic,
//! and write nothing under `--out`.

use std::path::{Path, PathBuf};

mod common;

use common::migen;

fn refused_specs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/refused");
    let mut specs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    specs.sort();
    specs
}

/// `# refused: FIELD :: PHRASE` on the second line; FIELD `(document)` for errors about the YAML as a whole.
fn expectation(spec: &Path) -> (String, String) {
    let text = std::fs::read_to_string(spec).expect("the fixture reads");
    let line = text
        .lines()
        .nth(1)
        .and_then(|l| l.strip_prefix("# refused: "))
        .unwrap_or_else(|| {
            panic!(
                "{}: line 2 must be `# refused: FIELD :: PHRASE`",
                spec.display()
            )
        });
    let (field, phrase) = line.split_once(" :: ").unwrap_or_else(|| {
        panic!(
            "{}: `FIELD :: PHRASE` expected, got {line:?}",
            spec.display()
        )
    });
    (field.to_string(), phrase.to_string())
}

#[test]
fn every_refused_spec_gets_a_precise_error_and_leaves_nothing_behind() {
    let specs = refused_specs();
    assert!(
        specs.len() >= 20,
        "one fixture per refusal; found {}",
        specs.len()
    );
    let out = std::env::temp_dir().join(format!("migen-refusals-{}", std::process::id()));
    let mut failures = Vec::new();
    for spec in &specs {
        let _ = std::fs::remove_dir_all(&out);
        let (field, phrase) = expectation(spec);
        let output = migen(&[
            "render".as_ref(),
            "--spec".as_ref(),
            spec.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let name = spec.display().to_string();
        let mut wanted = vec![name.clone(), phrase.clone()];
        if field != "(document)" {
            wanted.push(format!("field `{field}`"));
        }
        let written: Vec<_> = std::fs::read_dir(&out)
            .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        if output.status.code() != Some(1) {
            failures.push(format!(
                "{name}: exit {:?}, expected 1: {stderr}",
                output.status.code()
            ));
        } else if stderr.contains("panicked") || !output.stdout.is_empty() {
            failures.push(format!("{name}: panicked or wrote to stdout: {stderr}"));
        } else if let Some(missing) = wanted.iter().find(|w| !stderr.contains(w.as_str())) {
            failures.push(format!("{name}: the error lacks {missing:?}: {stderr}"));
        } else if !written.is_empty() {
            failures.push(format!("{name}: left {written:?} behind"));
        }
    }
    let _ = std::fs::remove_dir_all(&out);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Each fixture breaks one rule, so it cannot pass for a reason other than the one it names: its report holds
/// problems of that field only.
#[test]
fn each_refused_spec_has_exactly_one_problem() {
    for spec in refused_specs() {
        let output = migen(&["check".as_ref(), "--spec".as_ref(), spec.as_os_str()]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reports = stderr.lines().filter(|l| l.starts_with("error: ")).count();
        let problems = stderr
            .lines()
            .filter(|l| l.starts_with("  - field"))
            .count();
        assert_eq!(reports, 1, "{}: {stderr}", spec.display());
        let (field, _) = expectation(&spec);
        // One problem, or one per security group where one field overfills several.
        let all_same_field = stderr
            .lines()
            .filter(|l| l.starts_with("  - field"))
            .all(|l| l.starts_with(&format!("  - field `{field}`")));
        assert!(
            problems <= 1 || all_same_field,
            "{}: more than one problem: {stderr}",
            spec.display()
        );
    }
}
