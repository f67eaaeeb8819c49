//! Review tools: what a change to the rendered templates does, read offline before merge.

pub mod diff;
pub mod graph;
pub mod report;

use std::collections::BTreeSet;

use serde_json::Value;

use crate::cfn::references::{RefKind, references as walk};

/// The logical ids a value refers to through `Ref`, `Fn::GetAtt` or `Fn::Sub`: the resources and parameters it
/// depends on, read by the core's walker.
pub(crate) fn references(value: &Value, out: &mut BTreeSet<String>) {
    out.extend(
        walk(value)
            .into_iter()
            .filter(|r| r.kind != RefKind::Condition)
            .map(|r| r.target),
    );
}
