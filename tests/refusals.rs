//! Every spec migen refuses, as a user would meet it: `tests/fixtures/refused/*.yaml`, one a refusal, each naming
//! in its header the field and a phrase of what is allowed (`# refused: FIELD :: PHRASE`). The binary must exit 1
//! with one report naming the file, the field and the phrase, print nothing on stdout, never panic, and write
//! nothing under `--out`. What each refusal says, word for word, is one insta snapshot of them all in order
//! (`tests/snapshots/refusals__refusals.snap`).
//!
//! # Why the fixtures are patches
//!
//! A refusal is one wrong thing in an otherwise valid spec. Written out whole, the fixtures were copies of
//! `specs/dev.yaml` with one line changed: a new spec section had to be added to every one of them, and what a
//! fixture tested was visible only by diffing it against the dev spec. So a fixture says only what it breaks, as a
//! patch over a base spec, and the test materialises it into a complete spec (same file name, in a temporary folder,
//! so the error naming the file still names the fixture) and runs the binary on that exactly as a user would:
//!
//! ```yaml
//! # refused: api.backends.production.addresses[1] :: each address once
//! # base: specs/dev.yaml
//! # adds: api.authorizer_concurrency
//! api:
//!   backends:
//!     production: {addresses: [10.10.128.10, 10.10.128.10]}
//! ```
//!
//! The header is the comment lines the file starts with. `# refused:` is required. `# base:` names the spec the
//! patch applies to, from the repository root: `specs/dev.yaml` when absent, or a shared base under
//! `tests/fixtures/refused/bases/`, itself a patch (materialised the same way; the test checks migen accepts every
//! base, so a fixture is refused because of its own patch). `# adds:` lists, as dotted paths, the keys the patch
//! adds (see below). Other comment lines are free text, but a `# word:` line with an unknown word is an error,
//! so a misspelt header key cannot be silently ignored.
//!
//! The body is an RFC 7386 JSON Merge Patch written in YAML: a mapping merges into the base's mapping key by key,
//! recursively; `null` deletes the key; anything else (a scalar, a list: lists are replaced whole, never merged)
//! replaces the base's value.
//!
//! A merge patch cannot tell replacing from adding, so a misspelt key (`peak_request_per_second: 10000`) would
//! silently add an unknown field beside the one it meant to change. migen refuses unknown fields as well, so such a
//! fixture would still be refused, but for the wrong reason; the field and phrase assertions would catch that,
//! though only as a confusing mismatch. The applier fails loudly instead: a key the base lacks may be added only if
//! `# adds:` lists its path, `null` may delete only a key the base has, a replacement must change the value, and
//! every path `# adds:` lists must be added by the patch.
//!
//! Problems refused at the YAML level, before there is a document a patch could describe (a key repeated, `<<`
//! merging a scalar), stay whole documents, as short as they can be while refused for their stated reason:
//! `# whole: WHY` marks them, and the test runs them as written.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

mod common;

use common::migen;

/// The refusals there are: a fixture lost (or a folder read empty) fails the test rather than passing it.
const FIXTURES: usize = 43;

/// The spec a patch applies to when its header names no `# base:`.
const DEFAULT_BASE: &str = "specs/dev.yaml";

const FIXTURE_DIR: &str = "tests/fixtures/refused";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn refused_fixtures() -> Vec<PathBuf> {
    let dir = root().join(FIXTURE_DIR);
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    fixtures.sort();
    assert!(
        fixtures.len() >= FIXTURES,
        "one fixture per refusal, {FIXTURES} at least; found {}",
        fixtures.len()
    );
    fixtures
}

/// What a fixture's (or a base's) header says.
#[derive(Default)]
struct Header {
    /// `# refused: FIELD :: PHRASE`; FIELD `(document)` for errors about the YAML as a whole.
    refused: Option<(String, String)>,
    base: Option<String>,
    adds: BTreeSet<String>,
    /// `# whole: WHY`: a complete document, run as written.
    whole: Option<String>,
}

fn header(file: &Path, text: &str) -> Header {
    let mut header = Header::default();
    let mut seen = BTreeSet::new();
    for line in text.lines().take_while(|l| l.starts_with('#')) {
        let Some((key, value)) = line.strip_prefix("# ").and_then(|l| l.split_once(':')) else {
            continue;
        };
        if !key.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
            continue; // free text
        }
        assert!(
            seen.insert(key.to_string()),
            "{}: `# {key}:` given twice",
            file.display()
        );
        let value = value.trim();
        match key {
            "refused" => {
                let (field, phrase) = value.split_once(" :: ").unwrap_or_else(|| {
                    panic!(
                        "{}: `# refused: FIELD :: PHRASE` expected, got {line:?}",
                        file.display()
                    )
                });
                header.refused = Some((field.to_string(), phrase.to_string()));
            }
            "base" => header.base = Some(value.to_string()),
            "adds" => header.adds = value.split(',').map(|p| p.trim().to_string()).collect(),
            "whole" => header.whole = Some(value.to_string()),
            _ => panic!(
                "{}: unknown header `# {key}:` (known: refused, base, adds, whole)",
                file.display()
            ),
        }
    }
    if let Some(why) = &header.whole {
        assert!(
            !why.is_empty() && header.base.is_none() && header.adds.is_empty(),
            "{}: `# whole:` says why the document is whole, and takes no `# base:` or `# adds:`",
            file.display()
        );
    }
    assert!(
        header.adds.iter().all(|p| !p.is_empty()),
        "{}: an empty path in `# adds:`",
        file.display()
    );
    header
}

/// The field and phrase a fixture's error must hold.
fn expectation(fixture: &Path) -> (String, String) {
    let text = std::fs::read_to_string(fixture).expect("the fixture reads");
    header(fixture, &text).refused.unwrap_or_else(|| {
        panic!(
            "{}: the header must say `# refused: FIELD :: PHRASE`",
            fixture.display()
        )
    })
}

/// The base a fixture names, as a path.
fn base_of(file: &Path) -> PathBuf {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let base = header(file, &text).base;
    root().join(base.as_deref().unwrap_or(DEFAULT_BASE))
}

/// A fixture or base as the complete spec it stands for: a whole document as written, a patch applied to its base.
fn materialise(file: &Path) -> String {
    materialise_within(file, 0)
}

/// A base's complete spec: a patch under the fixtures' folder materialised, any other spec (a shipped one) read.
fn spec_text(base: &Path, depth: usize) -> String {
    if base.starts_with(root().join(FIXTURE_DIR)) {
        materialise_within(base, depth)
    } else {
        std::fs::read_to_string(base).unwrap_or_else(|e| panic!("{}: {e}", base.display()))
    }
}

fn materialise_within(file: &Path, depth: usize) -> String {
    assert!(
        depth < 4,
        "{}: bases nest too deep (a base naming itself?)",
        file.display()
    );
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let header = header(file, &text);
    if header.whole.is_some() {
        return text;
    }
    let base = root().join(header.base.as_deref().unwrap_or(DEFAULT_BASE));
    let base_text = spec_text(&base, depth + 1);
    let mut document: Value = serde_norway::from_str(&base_text)
        .unwrap_or_else(|e| panic!("{}: the base does not parse: {e}", base.display()));
    let patch: Value = serde_norway::from_str(&text)
        .unwrap_or_else(|e| panic!("{}: the patch does not parse: {e}", file.display()));
    let (Some(target), Some(patch)) = (document.as_object_mut(), patch.as_object()) else {
        panic!(
            "{}: the base and the patch must both be mappings",
            file.display()
        );
    };
    let mut adds = header.adds.clone();
    merge_patch(file, target, patch, "", &mut adds);
    assert!(
        adds.is_empty(),
        "{}: `# adds:` lists {adds:?}, which the patch does not add",
        file.display()
    );
    format!(
        "# {} over {}, materialised by tests/refusals.rs\n{}",
        file.strip_prefix(root()).unwrap_or(file).display(),
        base.strip_prefix(root()).unwrap_or(&base).display(),
        serde_norway::to_string(&document).expect("a JSON value serializes as YAML")
    )
}

/// RFC 7386 applied to `target`, refusing what would let a typo pass: see the module's documentation. `adds` holds
/// the paths still to be added; each is removed as the patch adds it.
fn merge_patch(
    file: &Path,
    target: &mut Map<String, Value>,
    patch: &Map<String, Value>,
    parent: &str,
    adds: &mut BTreeSet<String>,
) {
    let name = file.display();
    assert!(
        !patch.is_empty(),
        "{name}: `{parent}: {{}}` changes nothing"
    );
    for (key, value) in patch {
        let path = if parent.is_empty() {
            key.clone()
        } else {
            format!("{parent}.{key}")
        };
        let declared = adds.remove(&path);
        let Some(current) = target.get_mut(key) else {
            assert!(
                !value.is_null(),
                "{name}: `{path}: null` deletes a key the base does not have: a misspelt key?"
            );
            assert!(
                declared,
                "{name}: `{path}` is not in the base, so the patch would add it: a misspelt key? List a key meant \
                 to be added in `# adds:`"
            );
            assert!(
                !holds_null(value),
                "{name}: `{path}` is added holding a `null`, which has nothing to delete"
            );
            target.insert(key.clone(), value.clone());
            continue;
        };
        assert!(
            !declared,
            "{name}: `# adds:` lists `{path}`, but the base has it: the patch replaces it; drop it from `# adds:`"
        );
        match (current, value) {
            (_, Value::Null) => {
                target.shift_remove(key);
            }
            (Value::Object(current), Value::Object(changes)) => {
                merge_patch(file, current, changes, &path, adds);
            }
            (current, value) => {
                assert!(
                    current != value,
                    "{name}: `{path}` replaces {current} with the same value, which changes nothing"
                );
                assert!(
                    !holds_null(value),
                    "{name}: `{path}` is replaced by a value holding a `null`, which has nothing to delete"
                );
                *current = value.clone();
            }
        }
    }
}

/// Whether a mapping added or replacing holds a `null` among its keys, which RFC 7386 would drop rather than write:
/// a deletion of nothing. (A `null` in a list is a value and is written as one.)
fn holds_null(value: &Value) -> bool {
    value
        .as_object()
        .is_some_and(|map| map.values().any(|v| v.is_null() || holds_null(v)))
}

/// A fixture, materialised.
struct Case {
    fixture: PathBuf,
    /// The complete spec the binary reads: the fixture's file name in a temporary folder.
    spec: PathBuf,
}

impl Case {
    /// Names both files in a failure: the fixture to edit and the spec the binary read.
    fn name(&self) -> String {
        format!("{} (as {})", self.fixture.display(), self.spec.display())
    }
}

/// Every fixture materialised into `folder` (emptied first), a test's own so tests running at once do not meet.
fn cases(folder: &Path) -> Vec<Case> {
    let _ = std::fs::remove_dir_all(folder);
    std::fs::create_dir_all(folder).unwrap_or_else(|e| panic!("{}: {e}", folder.display()));
    refused_fixtures()
        .into_iter()
        .map(|fixture| {
            let spec = folder.join(fixture.file_name().expect("a file name"));
            std::fs::write(&spec, materialise(&fixture))
                .unwrap_or_else(|e| panic!("{}: {e}", spec.display()));
            Case { fixture, spec }
        })
        .collect()
}

fn temp_folder(purpose: &str) -> PathBuf {
    std::env::temp_dir().join(format!("migen-refusals-{}-{purpose}", std::process::id()))
}

#[test]
fn every_refused_spec_gets_a_precise_error_and_leaves_nothing_behind() {
    let folder = temp_folder("specs");
    let cases = cases(&folder);
    let out = temp_folder("out");
    let mut failures = Vec::new();
    for case in &cases {
        let _ = std::fs::remove_dir_all(&out);
        let (field, phrase) = expectation(&case.fixture);
        let output = migen(&[
            "render".as_ref(),
            "--spec".as_ref(),
            case.spec.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let name = case.name();
        let mut wanted = vec![case.spec.display().to_string(), phrase.clone()];
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
    // The materialised specs stay for a look when something failed.
    if failures.is_empty() {
        let _ = std::fs::remove_dir_all(&folder);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Each fixture breaks one rule, so it cannot pass for a reason other than the one it names: its report holds
/// problems of that field only.
#[test]
fn each_refused_spec_has_exactly_one_problem() {
    let folder = temp_folder("check");
    for case in cases(&folder) {
        let output = migen(&["check".as_ref(), "--spec".as_ref(), case.spec.as_os_str()]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reports = stderr.lines().filter(|l| l.starts_with("error: ")).count();
        let problems = stderr
            .lines()
            .filter(|l| l.starts_with("  - field"))
            .count();
        assert_eq!(reports, 1, "{}: {stderr}", case.name());
        let (field, _) = expectation(&case.fixture);
        // One problem, or one per security group where one field overfills several.
        let all_same_field = stderr
            .lines()
            .filter(|l| l.starts_with("  - field"))
            .all(|l| l.starts_with(&format!("  - field `{field}`")));
        assert!(
            problems <= 1 || all_same_field,
            "{}: more than one problem: {stderr}",
            case.name()
        );
    }
    let _ = std::fs::remove_dir_all(&folder);
}

/// Every base a patch names is a spec migen accepts, so each fixture is refused for what its own patch changes.
#[test]
fn every_base_is_accepted() {
    let bases: BTreeSet<PathBuf> = refused_fixtures()
        .iter()
        .filter(|fixture| {
            let text = std::fs::read_to_string(fixture).expect("the fixture reads");
            header(fixture, &text).whole.is_none()
        })
        .map(|fixture| base_of(fixture))
        .collect();
    assert!(
        bases.contains(&root().join(DEFAULT_BASE)),
        "no fixture patches {DEFAULT_BASE}: {bases:?}"
    );
    let folder = temp_folder("bases");
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).expect("the folder is created");
    for base in &bases {
        let spec = folder.join(base.file_name().expect("a file name"));
        std::fs::write(&spec, spec_text(base, 0)).expect("the base is written");
        let output = migen(&["check".as_ref(), "--spec".as_ref(), spec.as_os_str()]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{} (as {}) is refused: {}",
            base.display(),
            spec.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&folder);
}

/// What a user reads for every refusal, in one snapshot in the fixtures' order, so a change to any wording shows up
/// in review. The binary runs in the folder of the materialised specs and is given the file name alone, so each
/// report names the fixture's own file, never the temporary folder.
#[test]
fn the_refusals_read_as_reviewed() {
    let folder = temp_folder("wording");
    let cases = cases(&folder);
    let mut all = String::new();
    for case in &cases {
        let name = case.spec.file_name().expect("a file name");
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_migen"))
            .args(["render".as_ref(), "--spec".as_ref(), name])
            .current_dir(&folder)
            .env_remove("ENVIRONMENT_SUFFIX")
            .env_remove("REPOSITORY")
            .env_remove("COMMIT_AUTHOR")
            .output()
            .expect("migen runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{}: {stderr}", case.name());
        assert!(
            !stderr.contains(&*folder.to_string_lossy()),
            "{}: the temporary folder reaches the report: {stderr}",
            case.name()
        );
        all.push_str(&format!("── {}\n{stderr}\n", name.to_string_lossy()));
    }
    let _ = std::fs::remove_dir_all(&folder);
    insta::assert_snapshot!("refusals", all);
}
