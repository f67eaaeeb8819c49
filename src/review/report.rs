//! The change report as people and tools read it: plain text for a terminal, Markdown for a pull-request
//! comment, JSON for tools.

use serde_json::{Value, json};

use super::diff::{Kind, ResourceChange, TemplateReport};

fn detail(change: &ResourceChange) -> String {
    let mut parts = Vec::new();
    match &change.kind {
        Kind::Replaced { reasons, .. } => parts.push(
            reasons
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Kind::Modified { properties } => parts.push(properties.join(", ")),
        Kind::Renamed { from, .. } => parts.push(format!("was {from}")),
        Kind::Removed { .. } | Kind::Added => {}
    }
    if change.loses_data {
        parts.push(format!("loses {}", change.holds.unwrap_or("data")));
    }
    parts.extend(change.notes.iter().cloned());
    if let Some(reason) = &change.acknowledged {
        parts.push(format!("acknowledged: {reason}"));
    }
    parts.join(". ")
}

fn summary(report: &TemplateReport) -> String {
    let count = |label: &str| {
        report
            .resources
            .iter()
            .filter(|c| c.kind.label() == label)
            .count()
    };
    format!(
        "{} added, {} removed, {} changed in place, {} replaced, {} renamed, {} unchanged",
        count("added"),
        count("removed"),
        count("changed in place"),
        count("REPLACED"),
        count("renamed (remove + add)"),
        report.unchanged
    )
}

fn guard_line(report: &TemplateReport) -> Option<String> {
    let blocking = report.blocking();
    (!blocking.is_empty()).then(|| {
        format!(
            "DATA-LOSS GUARD: {} change(s) lose data and are not acknowledged: {}. Acknowledge each with \
             --acknowledge ID=REASON once you are sure.",
            blocking.len(),
            blocking.iter().map(|c| c.logical_id.as_str()).collect::<Vec<_>>().join(", ")
        )
    })
}

/// The reports for a terminal: per template a summary line, the data-loss guard when it blocks, and a line per
/// change, marked `!` when it loses data unacknowledged.
pub fn text(reports: &[TemplateReport]) -> String {
    let mut out = String::new();
    for report in reports {
        out.push_str(&format!("{}: {}\n", report.name, summary(report)));
        if let Some(line) = guard_line(report) {
            out.push_str(&format!("  {line}\n"));
        }
        for change in &report.resources {
            let mark = if change.loses_data && change.acknowledged.is_none() {
                "!"
            } else {
                " "
            };
            out.push_str(&format!(
                " {mark} {:<24} {} ({})",
                change.kind.label(),
                change.logical_id,
                change.type_name
            ));
            let detail = detail(change);
            if !detail.is_empty() {
                out.push_str(&format!(": {detail}"));
            }
            out.push('\n');
        }
        for (section, entries) in [
            ("output", &report.outputs),
            ("parameter", &report.parameters),
        ] {
            for entry in entries {
                out.push_str(&format!("   {section} {} {}\n", entry.id, entry.kind));
            }
        }
    }
    out
}

/// The reports as a pull-request comment: per template a summary, the guard, and a table of the changes, marked
/// ⚠️ when they lose data unacknowledged (`|` in details escaped so the table holds).
pub fn markdown(reports: &[TemplateReport]) -> String {
    let mut out = String::from("## Change report\n");
    for report in reports {
        out.push_str(&format!("\n### `{}`\n\n{}\n", report.name, summary(report)));
        if let Some(line) = guard_line(report) {
            out.push_str(&format!("\n> **{line}**\n"));
        }
        if !report.resources.is_empty() {
            out.push_str("\n| | change | resource | type | detail |\n|---|---|---|---|---|\n");
            for change in &report.resources {
                let mark = if change.loses_data && change.acknowledged.is_none() {
                    "⚠️"
                } else {
                    ""
                };
                out.push_str(&format!(
                    "| {mark} | {} | `{}` | `{}` | {} |\n",
                    change.kind.label(),
                    change.logical_id,
                    change.type_name,
                    detail(change).replace('|', "\\|")
                ));
            }
        }
        for (section, entries) in [
            ("Outputs", &report.outputs),
            ("Parameters", &report.parameters),
        ] {
            if !entries.is_empty() {
                let list: Vec<String> = entries
                    .iter()
                    .map(|e| format!("`{}` {}", e.id, e.kind))
                    .collect();
                out.push_str(&format!("\n{section}: {}\n", list.join(", ")));
            }
        }
    }
    out
}

/// The reports for tools, as pretty JSON: per template the blocking logical ids and every change with its kind,
/// reasons and acknowledgement, under camelCase keys.
pub fn json(reports: &[TemplateReport]) -> String {
    let value: Vec<Value> = reports
        .iter()
        .map(|report| {
            json!({
                "template": report.name,
                "unchanged": report.unchanged,
                "blocking": report.blocking().iter().map(|c| c.logical_id.clone()).collect::<Vec<_>>(),
                "resources": report.resources.iter().map(|c| {
                    let mut entry = json!({
                        "logicalId": c.logical_id,
                        "type": c.type_name,
                        "change": match &c.kind {
                            Kind::Added => "added",
                            Kind::Removed { .. } => "removed",
                            Kind::Modified { .. } => "modified",
                            Kind::Replaced { .. } => "replaced",
                            Kind::Renamed { .. } => "renamed",
                        },
                        "losesData": c.loses_data,
                        "acknowledged": c.acknowledged,
                        "notes": c.notes,
                    });
                    match &c.kind {
                        Kind::Replaced { reasons, properties } => {
                            entry["reasons"] = json!(reasons.iter().map(ToString::to_string).collect::<Vec<_>>());
                            entry["properties"] = json!(properties);
                        }
                        Kind::Modified { properties } => entry["properties"] = json!(properties),
                        Kind::Renamed { from, retained } => {
                            entry["from"] = json!(from);
                            entry["retained"] = json!(retained);
                        }
                        Kind::Removed { retained } => entry["retained"] = json!(retained),
                        Kind::Added => {}
                    }
                    entry
                }).collect::<Vec<_>>(),
                "outputs": report.outputs.iter().map(|e| json!({"id": e.id, "change": e.kind})).collect::<Vec<_>>(),
                "parameters": report.parameters.iter().map(|e| json!({"id": e.id, "change": e.kind})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&value).expect("a report serializes");
    text.push('\n');
    text
}
