//! CloudFormation's per-template quotas, checked at render time so a template that CloudFormation would refuse
//! never reaches a pull request.

/// Resources in one template.
pub const MAX_RESOURCES: usize = 500;
/// Parameters in one template.
pub const MAX_PARAMETERS: usize = 200;
/// Outputs in one template.
pub const MAX_OUTPUTS: usize = 200;
/// Mappings in one template.
pub const MAX_MAPPINGS: usize = 200;
/// A template body uploaded to S3 and passed by URL.
pub const MAX_BODY_BYTES: usize = 1_000_000;
/// A template body passed directly (`--template-body`, or `aws cloudformation deploy` without `--s3-bucket`).
pub const DIRECT_BODY_BYTES: usize = 51_200;
/// Share of a quota at which a warning is printed, in percent.
pub const WARN_AT_PERCENT: usize = 90;

/// What a rendered template uses of each quota, measured by the render pass on the final body.
#[derive(Clone, Copy, Debug, Default)]
pub struct Usage {
    /// Resources in the template, checked against [`MAX_RESOURCES`].
    pub resources: usize,
    /// Parameters in the template, checked against [`MAX_PARAMETERS`].
    pub parameters: usize,
    /// Outputs in the template, checked against [`MAX_OUTPUTS`].
    pub outputs: usize,
    /// Mappings in the template, checked against [`MAX_MAPPINGS`].
    pub mappings: usize,
    /// Size of the rendered body in bytes, in the format it is deployed in (YAML and JSON differ), checked
    /// against [`MAX_BODY_BYTES`] and [`DIRECT_BODY_BYTES`].
    pub body_bytes: usize,
}

/// What [`check`] found: errors CloudFormation would refuse the template for, warnings near a limit, and notes.
#[derive(Debug, Default)]
pub struct Report {
    /// Quotas exceeded: CloudFormation would refuse the template, so the render fails.
    pub errors: Vec<String>,
    /// Quotas used to [`WARN_AT_PERCENT`] or more, and a body close to [`DIRECT_BODY_BYTES`]: still deployable.
    pub warnings: Vec<String>,
    /// Facts the deployer must act on that are not problems of the template (the S3 upload).
    pub notes: Vec<String>,
}

/// Checks `usage` against every per-template quota: over a limit is an error, at [`WARN_AT_PERCENT`] of it a
/// warning, and a body over [`DIRECT_BODY_BYTES`] a note that the deploy needs `--s3-bucket`.
pub fn check(usage: &Usage) -> Report {
    let mut report = Report::default();
    let limits = [
        ("resources", usage.resources, MAX_RESOURCES),
        ("parameters", usage.parameters, MAX_PARAMETERS),
        ("outputs", usage.outputs, MAX_OUTPUTS),
        ("mappings", usage.mappings, MAX_MAPPINGS),
        ("template body bytes", usage.body_bytes, MAX_BODY_BYTES),
    ];
    for (what, used, limit) in limits {
        if used > limit {
            report.errors.push(format!(
                "{used} {what} exceed CloudFormation's limit of {limit} per template"
            ));
        } else if used * 100 >= limit * WARN_AT_PERCENT {
            report.warnings.push(format!(
                "{used} {what} is {}% of CloudFormation's limit of {limit}",
                used * 100 / limit
            ));
        }
    }
    if usage.body_bytes > DIRECT_BODY_BYTES {
        report.notes.push(format!(
            "the template body is {} bytes, over the {DIRECT_BODY_BYTES} bytes CloudFormation accepts inline: \
             deploy with `aws cloudformation deploy --s3-bucket <bucket>`",
            usage.body_bytes
        ));
    } else if usage.body_bytes * 100 >= DIRECT_BODY_BYTES * WARN_AT_PERCENT {
        report.warnings.push(format!(
            "the template body is {} bytes, {}% of the {DIRECT_BODY_BYTES} bytes CloudFormation accepts inline",
            usage.body_bytes,
            usage.body_bytes * 100 / DIRECT_BODY_BYTES
        ));
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_a_limit_is_an_error_and_near_it_a_warning() {
        let r = check(&Usage {
            resources: 501,
            outputs: 180,
            ..Usage::default()
        });
        assert_eq!(r.errors.len(), 1);
        assert!(r.errors[0].contains("501 resources"));
        assert_eq!(r.warnings.len(), 1);
        assert!(r.warnings[0].contains("180 outputs is 90%"));
    }

    #[test]
    fn body_size_thresholds() {
        let inline = check(&Usage {
            body_bytes: 51_200,
            ..Usage::default()
        });
        assert!(inline.errors.is_empty());
        assert!(inline.warnings[0].contains("100% of the 51200"));
        let s3 = check(&Usage {
            body_bytes: 51_201,
            ..Usage::default()
        });
        assert!(s3.warnings.is_empty());
        assert!(s3.notes[0].contains("--s3-bucket"));
        let too_big = check(&Usage {
            body_bytes: 1_000_001,
            ..Usage::default()
        });
        assert_eq!(too_big.errors.len(), 1);
    }
}
