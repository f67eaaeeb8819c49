//! The `migen` command line. [`run`] writes to injected writers and returns the exit code, so every command is
//! tested in-process; `main` only wires it to the process.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::cfn::Format;
use crate::render::{self, RenderError};
use crate::review;
use crate::spec::{self, Environment, Overrides, SpecError};

/// Success.
pub const EXIT_OK: i32 = 0;
/// The spec or the rendered template is invalid, or the artifacts could not be written.
pub const EXIT_INVALID: i32 = 1;
/// The command line is wrong.
pub const EXIT_USAGE: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "migen",
    version,
    about = "Renders the AWS infrastructure of the zero-downtime payment-database migration as CloudFormation",
    after_help = "Examples:\n  \
        migen render --env dev > stack.yaml\n  \
        migen render --env prod --format json\n  \
        migen render --spec my-env.yaml --out out\n  \
        migen check --all\n  \
        migen schema > specs/schema.json\n\n\
        ENVIRONMENT_SUFFIX, REPOSITORY and COMMIT_AUTHOR in the environment override the spec's environment \
        name and tags.\n\
        Exit codes: 0 success, 1 invalid spec or template, 2 usage."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Render an environment: the primary region's template to stdout, or every artifact under --out.
    #[command(
        override_usage = "migen render (--env NAME | --spec FILE) [--format yaml|json] [--region REGION | --out DIR]",
        after_help = "--region picks the one template written to stdout; --out writes every region's template and \
                      the other artifacts to DIR/<env>/, so the two exclude each other.\n\n\
                      Examples:\n  migen render --env dev > stack.yaml\n  migen render --env staging --out out"
    )]
    Render(RenderArgs),
    /// Validate specs and render their templates, reporting sizes and warnings without writing anything.
    #[command(after_help = "Examples:\n  migen check --env prod\n  migen check --all")]
    Check(CheckArgs),
    /// Print the JSON Schema of environment specs (for editors).
    Schema,
    /// List the shipped environments and their regions.
    Envs,
    /// Report what a change does to the deployed stacks, offline: per resource added, removed, changed in place,
    /// replaced (and why) or renamed; exits 1 when a change would lose data and is not acknowledged.
    #[command(
        override_usage = "migen diff (--env NAME | --spec FILE) [--region REGION] [--against DIR] [--base REV] \
                                [--format text|markdown|json] [--acknowledge ID=REASON]...\n       \
                                migen diff OLD NEW [--format text|markdown|json] [--acknowledge ID=REASON]...",
        after_help = "Examples:\n  \
        migen diff --env prod                      # the committed out/prod/ against a fresh render\n  \
        migen diff --env prod --format markdown    # for a pull-request comment\n  \
        migen diff --env prod --base origin/main   # main's committed out/prod/ against this render\n  \
        migen diff old.yaml new.yaml --format json\n  \
        migen diff --env dev --acknowledge MigrationForwardTask='restart the full load on purpose'\n\n\
        Exit codes: 0 no unacknowledged data loss, 1 data loss to acknowledge (or unreadable input), 2 usage \
        (a baseline that is not there among them)."
    )]
    Diff(DiffArgs),
    /// Print the architecture of an environment's templates as a Mermaid or Graphviz diagram.
    #[command(
        after_help = "Examples:\n  migen graph --env prod\n  migen graph --env dev --format dot | dot -Tsvg > dev.svg"
    )]
    Graph(GraphArgs),
}

#[derive(Args, Debug)]
struct DiffArgs {
    /// A shipped environment: its committed artifacts against a fresh render of its spec.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["spec", "old"])]
    env: Option<String>,
    /// An environment spec file of your own, against its artifacts under --against.
    #[arg(long, value_name = "FILE", conflicts_with = "old")]
    spec: Option<PathBuf>,
    /// Only this region's template (default: every region of the environment).
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// Where the committed artifacts are (DIR/<env>/stack.<region>.yaml).
    #[arg(long, value_name = "DIR", default_value = "out")]
    against: PathBuf,
    /// Read the committed artifacts as they are at this git revision (e.g. origin/main) instead of the working
    /// tree: the report a pull request's reviewer wants, base against the change.
    #[arg(long, value_name = "REV", conflicts_with = "old")]
    base: Option<String>,
    /// Two template files to compare instead: the old one, then the new one.
    #[arg(value_name = "OLD", requires = "new")]
    old: Option<PathBuf>,
    #[arg(value_name = "NEW")]
    new: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    format: ReportFormat,
    /// Accept a change that loses data: the resource's logical id and why (repeatable).
    #[arg(long, value_name = "ID=REASON")]
    acknowledge: Vec<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ReportFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Args, Debug)]
struct GraphArgs {
    #[command(flatten)]
    source: Source,
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    format: GraphFormat,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum GraphFormat {
    Mermaid,
    Dot,
}

#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
struct Source {
    /// A shipped environment (see `migen envs`).
    #[arg(long, value_name = "NAME")]
    env: Option<String>,
    /// An environment spec file of your own.
    #[arg(long, value_name = "FILE")]
    spec: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct RenderArgs {
    #[command(flatten)]
    source: Source,
    /// Region whose template goes to stdout (default: the spec's primary region).
    #[arg(long, value_name = "REGION", conflicts_with = "out")]
    region: Option<String>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Yaml)]
    format: OutputFormat,
    /// Write every artifact of the environment to DIR/<env>/, replacing what is there.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

#[derive(Args, Debug)]
#[group(id = "check_source", required = true, multiple = false)]
struct CheckArgs {
    /// A shipped environment.
    #[arg(long, value_name = "NAME")]
    env: Option<String>,
    /// An environment spec file of your own.
    #[arg(long, value_name = "FILE")]
    spec: Option<PathBuf>,
    /// Every shipped environment.
    #[arg(long)]
    all: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum OutputFormat {
    Yaml,
    Json,
}

impl From<OutputFormat> for Format {
    fn from(value: OutputFormat) -> Self {
        match value {
            OutputFormat::Yaml => Format::Yaml,
            OutputFormat::Json => Format::Json,
        }
    }
}

/// Runs the command line `args` (program name first), writing results to `out` and reports to `err`.
pub fn run(
    args: impl IntoIterator<Item = OsString>,
    overrides: &Overrides,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let text = e.render().to_string();
            let _ = if e.use_stderr() {
                err.write_all(text.as_bytes())
            } else {
                out.write_all(text.as_bytes())
            };
            return code;
        }
    };
    let result = match cli.command {
        Command::Render(args) => render(args, overrides, out, err),
        Command::Check(args) => check(args, overrides, out, err),
        Command::Schema => write(out, &spec::json_schema()),
        Command::Envs => envs(overrides, out),
        Command::Diff(args) => diff(args, overrides, out),
        Command::Graph(args) => graph(args, overrides, out),
    };
    match result {
        Ok(()) => EXIT_OK,
        Err(Failure::DataLoss) => EXIT_INVALID,
        Err(Failure::Usage(message)) => {
            let _ = writeln!(err, "error: {message}");
            EXIT_USAGE
        }
        Err(failure) => {
            let _ = writeln!(err, "error: {failure}");
            EXIT_INVALID
        }
    }
}

/// Why a command failed; printed as one report.
/// A stack that does not fit AWS's limits is the spec's problem: reported like any invalid spec, with the file.
fn in_spec(spec_file: &str) -> impl Fn(RenderError) -> Failure + '_ {
    move |e| match e {
        RenderError::DoesNotFit { problems, .. } => Failure::Spec(SpecError {
            file: spec_file.to_string(),
            kind: spec::SpecErrorKind::Invalid(problems),
        }),
        other => Failure::Render(other),
    }
}

#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("{0}")]
    Spec(#[from] SpecError),
    #[error("{0}")]
    Render(#[from] RenderError),
    #[error("{0}")]
    Io(String),
    /// The change report found data loss nobody acknowledged; the report itself says which.
    #[error("data loss not acknowledged")]
    DataLoss,
    /// The question cannot be answered as asked (exit 2): what was looked for, and how to ask instead.
    #[error("{0}")]
    Usage(String),
}

/// The environment and the name of the spec it came from.
fn load(
    env: Option<&str>,
    spec_file: Option<&PathBuf>,
    overrides: &Overrides,
) -> Result<(Environment, String), Failure> {
    match (env, spec_file) {
        (_, Some(path)) => Ok((
            spec::load_file(path, overrides)?,
            path.display().to_string(),
        )),
        (Some(name), None) => Ok((
            spec::load_shipped(name, overrides)?,
            format!("specs/{name}.yaml"),
        )),
        (None, None) => Err(Failure::Io(
            "name a spec with --env NAME or --spec FILE".into(),
        )),
    }
}

fn render(
    args: RenderArgs,
    overrides: &Overrides,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Failure> {
    let (env, spec_file) = load(
        args.source.env.as_deref(),
        args.source.spec.as_ref(),
        overrides,
    )?;
    let format = Format::from(args.format);
    match args.out {
        Some(dir) => {
            if dir.exists() && !dir.is_dir() {
                return Err(Failure::Io(format!(
                    "--out {}: a file, not a directory: --out names the directory under which <env>/ is written \
                     (e.g. --out out); to write the primary template to a file, leave --out out and redirect \
                     stdout",
                    dir.display()
                )));
            }
            let rendered = crate::artifacts::render_environment(&env, &spec_file, format)
                .map_err(in_spec(&spec_file))?;
            report_warnings(&rendered.templates, err);
            let artifacts = rendered.files;
            let target = crate::artifacts::write_atomically(&dir, &env.name, &artifacts).map_err(|e| {
                let why = match e.kind() {
                    std::io::ErrorKind::PermissionDenied => {
                        "this user may not write there (permission denied)".to_string()
                    }
                    std::io::ErrorKind::NotADirectory => {
                        "a part of the path is a file, not a directory".to_string()
                    }
                    std::io::ErrorKind::ReadOnlyFilesystem => {
                        "the file system is read-only".to_string()
                    }
                    std::io::ErrorKind::StorageFull => "the disk is full".to_string(),
                    _ => e.to_string(),
                };
                Failure::Io(format!(
                    "--out {}: cannot write the artifacts of {} there: {why}; nothing was changed",
                    dir.display(),
                    env.name
                ))
            })?;
            for artifact in &artifacts {
                let _ = writeln!(err, "wrote {}", target.join(&artifact.path).display());
            }
            Ok(())
        }
        None => {
            let region = args.region.unwrap_or_else(|| env.primary_region.clone());
            let template =
                render::region_template(&env, &region, format).map_err(in_spec(&spec_file))?;
            report_warnings(std::slice::from_ref(&template), err);
            write(out, &template.template.body)
        }
    }
}

fn report_warnings(templates: &[render::RegionTemplate], err: &mut dyn Write) {
    for line in render::notes(templates) {
        let _ = writeln!(err, "{line}");
    }
}

fn check(
    args: CheckArgs,
    overrides: &Overrides,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), Failure> {
    let envs: Vec<(Environment, String)> = if args.all {
        spec::SHIPPED
            .iter()
            .map(|(name, _)| load(Some(name), None, overrides))
            .collect::<Result<_, _>>()?
    } else {
        vec![load(args.env.as_deref(), args.spec.as_ref(), overrides)?]
    };
    for (env, spec_file) in &envs {
        let templates = render::templates(env, Format::Yaml).map_err(in_spec(spec_file))?;
        report_warnings(&templates, err);
        for t in &templates {
            let deploy = if t.template.needs_s3_upload {
                "deploy with --s3-bucket"
            } else {
                "deployable inline"
            };
            write(
                out,
                &format!(
                    "{} {}: ok, {} resources, {} bytes ({deploy})\n",
                    env.name,
                    t.region,
                    t.template.resource_count,
                    t.template.body.len()
                ),
            )?;
            for w in &t.workflows {
                write(
                    out,
                    &format!(
                        "  {}: at worst {} history events (budget {}), {} s; TimeoutSeconds {}\n",
                        w.name,
                        w.worst_case.history_events,
                        crate::payment_migration::orchestration::HISTORY_EVENTS_BUDGET,
                        w.worst_case.duration_seconds,
                        w.timeout_seconds
                    ),
                )?;
            }
        }
    }
    Ok(())
}

fn envs(overrides: &Overrides, out: &mut dyn Write) -> Result<(), Failure> {
    for (name, _) in spec::SHIPPED {
        let env = spec::load_shipped(name, overrides)?;
        let regions: Vec<&str> = env.regions().collect();
        write(out, &format!("{name}\t{}\n", regions.join(", ")))?;
    }
    Ok(())
}

fn write(out: &mut dyn Write, text: &str) -> Result<(), Failure> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Failure::Io(format!("cannot write to stdout: {e}")))
}

fn read_template(path: &std::path::Path) -> Result<review::diff::TemplateDoc, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Io(format!("{}: cannot read: {e}", path.display())))?;
    review::diff::TemplateDoc::parse(&text)
        .map_err(|e| Failure::Io(format!("{}: {e}", path.display())))
}

/// The template at `path` as committed at `rev` (`git show REV:PATH`); an empty template when the revision has
/// no such file (a new environment or region).
fn template_at_revision(
    rev: &str,
    path: &std::path::Path,
) -> Result<review::diff::TemplateDoc, Failure> {
    let spec = format!("{rev}:{}", path.display());
    let output = std::process::Command::new("git")
        .args(["show", &spec])
        .output()
        .map_err(|e| Failure::Io(format!("--base {rev}: cannot run git: {e}")))?;
    if output.status.success() {
        let text = String::from_utf8_lossy(&output.stdout);
        return review::diff::TemplateDoc::parse(&text)
            .map_err(|e| Failure::Io(format!("{spec}: {e}")));
    }
    let message = String::from_utf8_lossy(&output.stderr);
    if message.contains("does not exist in") || message.contains("exists on disk, but not in") {
        return Ok(review::diff::TemplateDoc::default());
    }
    Err(Failure::Io(format!(
        "--base {rev}: git show {spec}: {}",
        message.trim()
    )))
}

fn diff(args: DiffArgs, overrides: &Overrides, out: &mut dyn Write) -> Result<(), Failure> {
    let mut acknowledged = std::collections::BTreeMap::new();
    for entry in &args.acknowledge {
        match entry.split_once('=') {
            Some((id, reason)) if !id.is_empty() && !reason.trim().is_empty() => {
                acknowledged.insert(id.to_string(), reason.trim().to_string());
            }
            _ => {
                return Err(Failure::Io(format!(
                    "--acknowledge {entry:?}: expected LOGICAL_ID=REASON, with a reason"
                )));
            }
        }
    }
    let reports = match (&args.old, &args.new) {
        (Some(old), Some(new)) => vec![review::diff::compare(
            &new.display().to_string(),
            &read_template(old)?,
            &read_template(new)?,
            &acknowledged,
        )],
        _ => {
            let (env, spec_file) = load(args.env.as_deref(), args.spec.as_ref(), overrides)?;
            let templates = render::templates(&env, Format::Yaml).map_err(in_spec(&spec_file))?;
            if args.base.is_none() {
                baseline_exists(&args.against, &env.name)?;
            }
            let mut reports = Vec::new();
            for t in templates
                .iter()
                .filter(|t| args.region.as_ref().is_none_or(|r| *r == t.region))
            {
                let committed = args.against.join(&env.name).join(t.file_name(Format::Yaml));
                let old = match &args.base {
                    Some(rev) => template_at_revision(rev, &committed)?,
                    None if committed.exists() => read_template(&committed)?,
                    None => review::diff::TemplateDoc::default(),
                };
                let new =
                    review::diff::TemplateDoc::parse(&t.template.body).map_err(Failure::Io)?;
                let name = match &args.base {
                    Some(rev) => format!("{rev}:{}", committed.display()),
                    None => committed.display().to_string(),
                };
                reports.push(review::diff::compare(&name, &old, &new, &acknowledged));
            }
            if reports.is_empty() {
                return Err(Failure::Io(format!(
                    "--region {}: not a region of {} (its regions: {})",
                    args.region.unwrap_or_default(),
                    env.name,
                    env.regions().collect::<Vec<_>>().join(", ")
                )));
            }
            reports
        }
    };
    let text = match args.format {
        ReportFormat::Text => review::report::text(&reports),
        ReportFormat::Markdown => review::report::markdown(&reports),
        ReportFormat::Json => review::report::json(&reports),
    };
    write(out, &text)?;
    if reports.iter().any(|r| !r.blocking().is_empty()) {
        return Err(Failure::DataLoss);
    }
    Ok(())
}

/// The committed artifacts of `env` under `against`: at least one template, or the comparison would report every
/// resource as added and answer a question nobody asked. (A region added to an environment whose other templates
/// are there is a new stack, and is reported so.)
fn baseline_exists(against: &std::path::Path, env: &str) -> Result<(), Failure> {
    let dir = against.join(env);
    let has_template = std::fs::read_dir(&dir).is_ok_and(|entries| {
        entries.filter_map(Result::ok).any(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.starts_with("stack.") && (name.ends_with(".yaml") || name.ends_with(".json"))
        })
    });
    if has_template {
        return Ok(());
    }
    Err(Failure::Usage(format!(
        "{}: no committed template (stack.<region>.yaml) to compare with: run migen diff from the repository that \
         holds out/, or point --against at the directory that holds {env}/, or --base at a git revision",
        dir.display()
    )))
}

fn graph(args: GraphArgs, overrides: &Overrides, out: &mut dyn Write) -> Result<(), Failure> {
    let (env, spec_file) = load(
        args.source.env.as_deref(),
        args.source.spec.as_ref(),
        overrides,
    )?;
    let templates = render::templates(&env, Format::Json).map_err(in_spec(&spec_file))?;
    let architecture = review::graph::Architecture::of(&env, &templates).map_err(Failure::Io)?;
    let text = match args.format {
        GraphFormat::Mermaid => architecture.mermaid(),
        GraphFormat::Dot => architecture.dot(),
    };
    write(out, &text)
}
