//! The render of an environment: each region's template with the files its layers render beside it and the
//! facts the runbook needs, and the deploy runbook. [`crate::artifacts`] assembles them with the architecture
//! picture into the files `--out` writes.

use std::path::PathBuf;

use crate::cfn::{Format, RenderedTemplate, TemplateError};
use crate::payment_migration;
use crate::spec::Environment;

/// One file of an environment's artifacts, with its path relative to `DIR/<env>/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    /// Where the file goes, relative to `DIR/<env>/`; a subfolder is created as needed.
    pub path: PathBuf,
    /// The file's full contents, rendered deterministically so a re-render of the same spec changes no byte.
    pub contents: String,
}

/// A rendered region's template and what the render noticed.
#[derive(Clone, Debug)]
pub struct RegionTemplate {
    /// The AWS region the template is deployed to, which also names the file (see [`RegionTemplate::file_name`]).
    pub region: String,
    /// The rendered body, with its resource count, quota warnings and deploy notes.
    pub template: RenderedTemplate,
    /// Files the region's layers render beside the template (a workflow's ASL document), paths relative to
    /// `DIR/<env>/`.
    pub extra: Vec<Artifact>,
    /// The region's alarms, for the runbook: name, whether it pages the operations topic, and its description
    /// (what it means, and how it treats missing data).
    pub alarms: Vec<AlarmSummary>,
    /// The region's DMS replication instances, by identifier; the runbook's connection test runs from the first.
    pub dms_instances: Vec<String>,
    /// The region's DMS endpoints, by identifier, each of which the runbook's connection test tries.
    pub dms_endpoints: Vec<String>,
    /// The region's log groups whose names the template states: logical id and name, for the runbook.
    pub log_groups: Vec<(String, String)>,
    /// The region's workflows: each one's computed worst case and the timeout set from it.
    pub workflows: Vec<payment_migration::orchestration::WorkflowLimits>,
}

pub use payment_migration::stack::AlarmSummary;

impl RegionTemplate {
    /// `stack.<region>.<yaml|json>`: the region is in the name so tools (and `cfn-lint --regions`) can read it.
    pub fn file_name(&self, format: Format) -> String {
        format!("stack.{}.{}", self.region, format.extension())
    }
}

/// Why an environment cannot be rendered. Each variant names the region where it has one, since the same spec
/// renders a template per region.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A region's template is invalid: every problem the render pass found in it.
    #[error("{region}: {source}")]
    Template {
        /// The region whose template failed.
        region: String,
        /// Every problem of that template.
        #[source]
        source: TemplateError,
    },
    /// The runbook template did not render; a defect of migen rather than of the spec.
    #[error("the runbook cannot be rendered: {0}")]
    Runbook(String),
    /// The architecture picture could not be drawn from the rendered templates, e.g. one that does not parse.
    #[error("the architecture picture cannot be drawn: {0}")]
    Architecture(String),
    /// A region was asked for that the environment does not deploy to.
    #[error("region {region} is not one of the environment's regions ({known})")]
    UnknownRegion {
        /// The region asked for.
        region: String,
        /// The environment's regions, in deploy order and comma-separated, for the message.
        known: String,
    },
    /// The spec validates, but the stack built from it would exceed what AWS allows.
    #[error("{region}: the stack does not fit AWS's limits")]
    DoesNotFit {
        /// The region whose stack does not fit.
        region: String,
        /// What exceeds AWS's limits, with the spec fields that drive it, reported like an invalid spec.
        problems: Vec<crate::spec::Problem>,
    },
}

/// The template of one region of the environment.
pub fn region_template(
    env: &Environment,
    region: &str,
    format: Format,
) -> Result<RegionTemplate, RenderError> {
    let stack = build_region(env, region).ok_or_else(|| RenderError::UnknownRegion {
        region: region.to_string(),
        known: env.regions().collect::<Vec<_>>().join(", "),
    })?;
    let problems = payment_migration::preflight::check(&stack, &|other| {
        build_region(other, region).map_or(0, |s| s.template.resource_count())
    });
    if !problems.is_empty() {
        return Err(RenderError::DoesNotFit {
            region: region.to_string(),
            problems,
        });
    }
    let template = stack
        .template
        .render(format)
        .map_err(|source| RenderError::Template {
            region: region.to_string(),
            source,
        })?;
    let extra = stack
        .artifacts()
        .iter()
        .map(|(path, contents)| Artifact {
            path: PathBuf::from(path),
            contents: contents.clone(),
        })
        .collect();
    Ok(RegionTemplate {
        region: region.to_string(),
        template,
        extra,
        alarms: stack.runbook.alarms.clone(),
        log_groups: stack.runbook.log_groups.clone(),
        dms_instances: stack.runbook.dms_instances.clone(),
        dms_endpoints: stack.runbook.dms_endpoints.clone(),
        workflows: stack.workflow_limits.clone(),
    })
}

fn build_region<'e>(env: &'e Environment, region: &str) -> Option<payment_migration::Stack<'e>> {
    if region == env.primary_region {
        Some(payment_migration::build(env))
    } else {
        env.secondary_regions
            .iter()
            .find(|s| s.region == region)
            .map(|secondary| payment_migration::build_secondary(env, secondary))
    }
}

/// Every region's template in deploy order: the primary first (it creates the global database), then the
/// secondary regions that join it.
pub fn templates(env: &Environment, format: Format) -> Result<Vec<RegionTemplate>, RenderError> {
    env.regions()
        .map(|region| region_template(env, region, format))
        .collect()
}

/// The warnings (a template near a CloudFormation quota) and notes (a template to deploy through S3) of
/// `templates`, each with its region, as the CLI prints them on stderr.
pub fn notes(templates: &[RegionTemplate]) -> Vec<String> {
    templates
        .iter()
        .flat_map(|t| {
            let warnings = t
                .template
                .warnings
                .iter()
                .map(|w| format!("warning: {}: {w}", t.region));
            let notes = t
                .template
                .notes
                .iter()
                .map(|n| format!("note: {}: {n}", t.region));
            warnings.chain(notes).collect::<Vec<_>>()
        })
        .collect()
}

/// The deploy runbook, from `templates/runbook.md.j2`: the order, the exact commands (with `--s3-bucket` where a
/// body is too large to pass inline) and what to do after the first deploy.
pub fn runbook(
    env: &Environment,
    spec_file: &str,
    templates: &[RegionTemplate],
    format: Format,
) -> Result<String, RenderError> {
    let mut jinja = minijinja::Environment::new();
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .build()
        .map_err(|e| RenderError::Runbook(e.to_string()))?;
    jinja.set_syntax(syntax);
    jinja
        .add_template("runbook", include_str!("../templates/runbook.md.j2"))
        .map_err(|e| RenderError::Runbook(e.to_string()))?;
    let rows: Vec<_> = templates
        .iter()
        .map(|t| {
            minijinja::context! {
                region => &t.region,
                dms_instance => t.dms_instances.first(),
                dms_endpoints => &t.dms_endpoints,
                log_groups => t.log_groups.iter().map(|(id, name)| minijinja::context! { id => id, name => name }).collect::<Vec<_>>(),
                file => t.file_name(format),
                resources => t.template.resource_count,
                bytes => t.template.body.len(),
                needs_s3 => t.template.needs_s3_upload,
                auto_expand => t.template.needs_auto_expand,
                alarms => t
                    .alarms
                    .iter()
                    .map(|a| minijinja::context! {
                        name => &a.name,
                        pages => a.pages,
                        description => &a.description,
                    })
                    .collect::<Vec<_>>(),
            }
        })
        .collect();
    jinja
        .get_template("runbook")
        .and_then(|template| {
            template.render(minijinja::context! {
                env => &env.name,
                spec_file => spec_file,
                deletion_protection => env.database.deletion_protection,
                primary_region => &env.primary_region,
                templates => rows,
                any_s3 => templates.iter().any(|t| t.template.needs_s3_upload),
                operations_email => &env.operations_email,
                on_premises_attachment => &env.network.on_premises_attachment_id,
                on_premises_cidr => env.network.on_premises_cidr.to_string(),
                log_retention_days => env.log_retention_days,
                settings_ttl => env.api.settings_ttl_seconds,
                rotation_window => env.api.token_rotation_window_minutes,
                max_cdc_latency => env.migration.max_cdc_latency_seconds,
                full_load_hours => env.orchestration.full_load_timeout_hours,
                cdc_minutes => env.orchestration.cdc_catch_up_minutes,
                validation_minutes => env.orchestration.validation_timeout_minutes,
                approval_hours => env.orchestration.approval_timeout_hours,
                traffic_steps => env.orchestration.traffic_steps.iter().map(u32::to_string).collect::<Vec<_>>().join(", "),
                bake_minutes => env.orchestration.bake_minutes,
                workflows => templates.first().map(|t| t.workflows.iter().map(|w| minijinja::context! {
                    name => &w.name,
                    events => w.worst_case.history_events,
                    hours => w.worst_case.duration_seconds.div_ceil(3600),
                    timeout_hours => u64::from(w.timeout_seconds).div_ceil(3600),
                }).collect::<Vec<_>>()).unwrap_or_default(),
                control_schema => &env.migration.control_schema,
                ..minijinja::Value::from(minijinja::value::Serde(payment_migration::operations::OperatorFacts::of(env))),
            })
        })
        .map_err(|e| RenderError::Runbook(e.to_string()))
}
