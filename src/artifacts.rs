//! The files of an environment, as `migen render --out DIR` writes them under `DIR/<env>/`: each region's
//! template, the files its layers render beside it, the deploy runbook and the architecture picture, written
//! atomically. It sits above both the render and the review tools, since the picture is drawn from the render.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::cfn::Format;
use crate::render::{self, Artifact, RegionTemplate, RenderError};
use crate::review::graph::Architecture;
use crate::spec::Environment;

/// The architecture picture beside the templates.
pub const ARCHITECTURE_FILE: &str = "ARCHITECTURE.md";

/// An environment rendered as `migen render --out` renders it: each region's template (after the preflight
/// check), with the warnings and notes the CLI prints on stderr, and every file it writes.
pub struct Rendered {
    /// Each region's rendered template, primary first: the deploy order.
    pub templates: Vec<RegionTemplate>,
    /// Every file `--out` writes, paths relative to `DIR/<env>/`; pass them to [`write_atomically`].
    pub files: Vec<Artifact>,
}

impl Rendered {
    /// The warnings and notes of every template, each with its region, in deploy order.
    pub fn notes(&self) -> Vec<String> {
        render::notes(&self.templates)
    }
}

/// The library's one entry point to what the CLI renders for an environment: every region's template, through
/// the preflight check, and every file `--out` writes. `spec_file` names the spec in the runbook. The environment
/// comes from [`crate::spec::load_shipped`] or [`crate::spec::load_file`] with the overrides passed explicitly.
pub fn render_environment(
    env: &Environment,
    spec_file: &str,
    format: Format,
) -> Result<Rendered, RenderError> {
    let templates = render::templates(env, format)?;
    let files = artifacts(env, spec_file, &templates, format)?;
    Ok(Rendered { templates, files })
}

/// Every artifact of the environment from its rendered `templates`: each region's template, the files its
/// layers render beside it (such as a workflow's ASL document), the deploy runbook and the architecture picture.
/// `spec_file` names the spec in the runbook.
pub fn artifacts(
    env: &Environment,
    spec_file: &str,
    templates: &[RegionTemplate],
    format: Format,
) -> Result<Vec<Artifact>, RenderError> {
    let runbook = render::runbook(env, spec_file, templates, format)?;
    let mut artifacts: Vec<Artifact> = templates
        .iter()
        .map(|t| Artifact {
            path: PathBuf::from(t.file_name(format)),
            contents: t.template.body.clone(),
        })
        .collect();
    artifacts.extend(templates.iter().flat_map(|t| t.extra.iter().cloned()));
    artifacts.push(Artifact {
        path: PathBuf::from("RUNBOOK.md"),
        contents: runbook,
    });
    let architecture = Architecture::of(env, templates).map_err(RenderError::Architecture)?;
    artifacts.push(Artifact {
        path: PathBuf::from(ARCHITECTURE_FILE),
        contents: architecture.markdown(env),
    });
    Ok(artifacts)
}

/// Writes `artifacts` to `dir/<env>/`, replacing what was there. The files are written to a temporary folder
/// beside it first and swapped in with renames, so a failure leaves the previous artifacts untouched and never a
/// half-written set.
pub fn write_atomically(dir: &Path, env: &str, artifacts: &[Artifact]) -> io::Result<PathBuf> {
    fs::create_dir_all(dir)?;
    let target = dir.join(env);
    let staging = dir.join(format!(".{env}.new-{}", std::process::id()));
    let previous = dir.join(format!(".{env}.old-{}", std::process::id()));
    let result = (|| {
        if staging.exists() {
            fs::remove_dir_all(&staging)?;
        }
        for artifact in artifacts {
            let path = staging.join(&artifact.path);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(&path, &artifact.contents)?;
        }
        if target.exists() {
            fs::rename(&target, &previous)?;
        }
        if let Err(err) = fs::rename(&staging, &target) {
            if previous.exists() {
                fs::rename(&previous, &target)?;
            }
            return Err(err);
        }
        if previous.exists() {
            fs::remove_dir_all(&previous)?;
        }
        Ok(target.clone())
    })();
    if result.is_err() && staging.exists() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn artifact(path: &str, contents: &str) -> Artifact {
        Artifact {
            path: PathBuf::from(path),
            contents: contents.into(),
        }
    }

    #[test]
    fn a_failed_write_keeps_the_previous_artifacts_and_leaves_no_staging() {
        let dir = std::env::temp_dir().join(format!("migen-render-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        write_atomically(&dir, "dev", &[artifact("stack.yaml", "old")]).unwrap();
        // The second file cannot be created inside the first, so the write fails half-way.
        let err = write_atomically(&dir, "dev", &[artifact("x", "new"), artifact("x/y", "new")]);
        assert!(err.is_err());
        assert_eq!(
            fs::read_to_string(dir.join("dev/stack.yaml")).unwrap(),
            "old"
        );
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("dev")]);

        write_atomically(&dir, "dev", &[artifact("stack.yaml", "new")]).unwrap();
        assert_eq!(
            fs::read_to_string(dir.join("dev/stack.yaml")).unwrap(),
            "new"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
