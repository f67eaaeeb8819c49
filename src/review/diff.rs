//! The change report: two renders of one template compared resource by resource, as CloudFormation would carry
//! the change out, without credentials or a deployed stack.
//!
//! - A resource whose type changed, or whose create-only property changed ([`crate::resources::create_only`], from
//!   CloudFormation's own schemas), is **replaced**: a new one is created and the old one deleted.
//! - A replacement changes the resource's physical id, so a resource that names it in a create-only property
//!   (`Ref`, `Fn::GetAtt`, `Fn::Sub`) is replaced in turn; the report says because of what.
//! - A removed resource and an added one of the same type with the same properties are a **rename**: to
//!   CloudFormation still a delete and a create.
//! - The **data-loss guard**: removing or replacing a resource that holds data or identity (a cluster, the global
//!   cluster, a bucket, a key, a log group, a secret, a DMS task and its progress, a workflow parameter, a state
//!   machine whose executions may be running) fails the report unless acknowledged with a reason.
//!   `DeletionPolicy: Retain` makes a removal an orphaning (the resource stays in the account, outside the stack):
//!   reported, not guarded. A replacement is guarded either way: the stack then points at a new, empty resource.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::references;
use crate::resources::create_only;

/// A template as the report reads it.
#[derive(Clone, Debug, Default)]
pub struct TemplateDoc {
    resources: BTreeMap<String, ResourceDoc>,
    outputs: BTreeMap<String, Value>,
    parameters: BTreeMap<String, Value>,
}

#[derive(Clone, Debug, PartialEq)]
struct ResourceDoc {
    type_name: String,
    properties: Value,
    deletion_policy: Option<String>,
}

impl TemplateDoc {
    /// Reads a template (JSON, or YAML in the long form migen writes: `Ref:` and `Fn::…:` keys, no tags).
    pub fn parse(text: &str) -> Result<Self, String> {
        let value: Value = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?
        } else {
            serde_norway::from_str(text).map_err(|e| format!("not YAML: {e}"))?
        };
        Self::from_value(&value)
    }

    /// Reads a template already parsed (as JSON values): its resources, outputs and parameters. Fails when there
    /// is no `Resources` section or a resource has no `Type`, since neither is a template CloudFormation accepts.
    pub fn from_value(value: &Value) -> Result<Self, String> {
        let section = |name: &str| -> BTreeMap<String, Value> {
            value
                .get(name)
                .and_then(Value::as_object)
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default()
        };
        let mut resources = BTreeMap::new();
        for (id, resource) in section("Resources") {
            let type_name = resource
                .get("Type")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("resource {id} has no Type"))?
                .to_string();
            resources.insert(
                id,
                ResourceDoc {
                    type_name,
                    properties: resource.get("Properties").cloned().unwrap_or(json!({})),
                    deletion_policy: resource
                        .get("DeletionPolicy")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                },
            );
        }
        if resources.is_empty() && value.get("Resources").is_none() {
            return Err("no Resources section: not a CloudFormation template".into());
        }
        Ok(TemplateDoc {
            resources,
            outputs: section("Outputs"),
            parameters: section("Parameters"),
        })
    }
}

/// Why a resource is replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A create-only property changed.
    CreateOnly(String),
    /// The resource's `Type` changed: CloudFormation always replaces it.
    TypeChanged {
        /// The type in the old template.
        from: String,
        /// The type in the new template.
        to: String,
    },
    /// A create-only property names a resource that is itself replaced.
    Dependency {
        /// The create-only property, as a path below `Properties` (`A` or `A/B`).
        property: String,
        /// The logical id of the replaced resource it names.
        resource: String,
    },
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::CreateOnly(p) => write!(f, "{p} changed (create-only)"),
            Reason::TypeChanged { from, to } => write!(f, "type {from} became {to}"),
            Reason::Dependency { property, resource } => {
                write!(f, "{property} names {resource}, which is replaced")
            }
        }
    }
}

/// What CloudFormation does with one resource on the update, as read from the two templates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Only in the new template: created.
    Added,
    /// Removed; `retained` when `DeletionPolicy: Retain` keeps it in the account.
    Removed {
        /// Whether `DeletionPolicy: Retain` leaves it in the account, outside the stack: an orphan, not a loss.
        retained: bool,
    },
    /// Changed in place: the top-level properties that differ.
    Modified {
        /// The top-level property names, sorted.
        properties: Vec<String>,
    },
    /// Created anew (a new physical id) and the old one deleted once the update succeeds.
    Replaced {
        /// Why: a create-only property or the type changed, or a create-only property names a replaced resource.
        reasons: Vec<Reason>,
        /// The top-level properties that differ, sorted; empty when only a resource it names is replaced.
        properties: Vec<String>,
    },
    /// Removed under `from` and added under this id with the same type and properties.
    Renamed {
        /// The logical id in the old template.
        from: String,
        /// Whether the old `DeletionPolicy: Retain` leaves the old resource in the account, outside the stack.
        retained: bool,
    },
}

impl Kind {
    /// How the text and Markdown reports name the change; `REPLACED` is in capitals to stand out.
    pub fn label(&self) -> &'static str {
        match self {
            Kind::Added => "added",
            Kind::Removed { .. } => "removed",
            Kind::Modified { .. } => "changed in place",
            Kind::Replaced { .. } => "REPLACED",
            Kind::Renamed { .. } => "renamed (remove + add)",
        }
    }
}

/// One resource's change.
#[derive(Clone, Debug)]
pub struct ResourceChange {
    /// The logical id in the new template, or in the old one for a removal.
    pub logical_id: String,
    /// The resource type in the new template, or in the old one for a removal.
    pub type_name: String,
    /// What CloudFormation does with the resource.
    pub kind: Kind,
    /// Why this type's loss matters, when it holds data or identity.
    pub holds: Option<&'static str>,
    /// The change loses what the resource holds: removed without Retain, replaced, or renamed.
    pub loses_data: bool,
    /// The acknowledgement given for it, if any.
    pub acknowledged: Option<String>,
    /// What else a reviewer should know (a custom name blocking the replacement, running executions).
    pub notes: Vec<String>,
}

/// A change of an output or parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryChange {
    /// The output's or parameter's logical id.
    pub id: String,
    /// `added`, `removed` or `changed`, as the reports print it.
    pub kind: &'static str,
}

/// The report for one template.
#[derive(Clone, Debug, Default)]
pub struct TemplateReport {
    /// What the report is titled by: the path of the compared template (with the revision, when one is named).
    pub name: String,
    /// The changes, those that lose data first, then by kind and logical id, so the report reads the same each run.
    pub resources: Vec<ResourceChange>,
    /// Outputs added, removed or changed, by id.
    pub outputs: Vec<EntryChange>,
    /// Parameters added, removed or changed, by id.
    pub parameters: Vec<EntryChange>,
    /// Resources in both templates that neither change nor are replaced.
    pub unchanged: usize,
}

impl TemplateReport {
    /// Changes that lose data and were not acknowledged.
    pub fn blocking(&self) -> Vec<&ResourceChange> {
        self.resources
            .iter()
            .filter(|c| c.loses_data && c.acknowledged.is_none())
            .collect()
    }
}

/// What a type holds that a delete or a replacement loses; `None` for types that hold nothing of their own.
pub fn holds(type_name: &str) -> Option<&'static str> {
    Some(match type_name {
        "AWS::RDS::DBCluster" => "a database cluster's data",
        "AWS::RDS::GlobalCluster" => "the global database and its secondary regions' membership",
        "AWS::S3::Bucket" => "objects (checkpoints, rollback state, access logs)",
        "AWS::KMS::Key" => {
            "the key everything is encrypted with: data encrypted under it becomes unreadable"
        }
        "AWS::Logs::LogGroup" => "audit logs PCI DSS requires to be kept",
        "AWS::SecretsManager::Secret" => "credentials: clients and DMS lose access",
        "AWS::DMS::ReplicationTask" => {
            "a migration's progress: a new task starts the full load again"
        }
        "AWS::SSM::Parameter" => {
            "the workflow's state (phase, cutover switch, traffic split), reset to its default"
        }
        "AWS::StepFunctions::StateMachine" => {
            "workflow executions: whether one is running is not knowable offline"
        }
        _ => return None,
    })
}

/// The value at a create-only path (`A` or `A/B`); `None` when absent.
fn at_path<'v>(properties: &'v Value, path: &str) -> Option<&'v Value> {
    let mut current = properties;
    for segment in path.split('/') {
        current = current.get(segment)?;
    }
    Some(current)
}

fn changed_properties(old: &Value, new: &Value) -> Vec<String> {
    let empty = Map::new();
    let old = old.as_object().unwrap_or(&empty);
    let new = new.as_object().unwrap_or(&empty);
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .cloned()
        .collect()
}

/// A custom physical name CloudFormation cannot reuse for a replacement: the update fails.
fn custom_name_note(resource: &ResourceDoc) -> Option<String> {
    create_only(&resource.type_name)
        .iter()
        .filter(|p| !p.contains('/') && (p.ends_with("Name") || p.ends_with("Identifier")))
        .find_map(|p| {
            at_path(&resource.properties, p).and_then(Value::as_str).map(|name| {
                format!(
                    "{p} is the custom name {name:?}: CloudFormation cannot replace a custom-named resource and \
                     the update fails; change the name too, or remove and re-add it in two deploys"
                )
            })
        })
}

/// Compares `old` with `new`; `acknowledged` maps logical ids to the reason a data-losing change is accepted.
pub fn compare(
    name: &str,
    old: &TemplateDoc,
    new: &TemplateDoc,
    acknowledged: &BTreeMap<String, String>,
) -> TemplateReport {
    let mut changes: Vec<ResourceChange> = Vec::new();
    let mut unchanged = 0;
    let mut replaced: BTreeSet<String> = BTreeSet::new();

    // Direct changes of resources present in both.
    for (id, new_resource) in &new.resources {
        let Some(old_resource) = old.resources.get(id) else {
            continue;
        };
        let properties = changed_properties(&old_resource.properties, &new_resource.properties);
        let mut reasons = Vec::new();
        if old_resource.type_name != new_resource.type_name {
            reasons.push(Reason::TypeChanged {
                from: old_resource.type_name.clone(),
                to: new_resource.type_name.clone(),
            });
        } else {
            for path in create_only(&new_resource.type_name) {
                if at_path(&old_resource.properties, path)
                    != at_path(&new_resource.properties, path)
                {
                    reasons.push(Reason::CreateOnly((*path).to_string()));
                }
            }
        }
        if !reasons.is_empty() {
            replaced.insert(id.clone());
            changes.push(change(
                id,
                new_resource,
                Kind::Replaced {
                    reasons,
                    properties,
                },
            ));
        } else if !properties.is_empty() {
            changes.push(change(id, new_resource, Kind::Modified { properties }));
        } else {
            unchanged += 1;
        }
    }

    // Replacements carried by references in create-only properties, to a fixed point.
    loop {
        let mut more = Vec::new();
        for (id, resource) in &new.resources {
            if replaced.contains(id) || !old.resources.contains_key(id) {
                continue;
            }
            for path in create_only(&resource.type_name) {
                let Some(value) = at_path(&resource.properties, path) else {
                    continue;
                };
                let mut named = BTreeSet::new();
                references(value, &mut named);
                if let Some(target) = named.iter().find(|n| replaced.contains(*n)) {
                    more.push((
                        id.clone(),
                        Reason::Dependency {
                            property: (*path).to_string(),
                            resource: target.clone(),
                        },
                    ));
                    break;
                }
            }
        }
        if more.is_empty() {
            break;
        }
        for (id, reason) in more {
            replaced.insert(id.clone());
            let resource = &new.resources[&id];
            match changes.iter_mut().find(|c| c.logical_id == id) {
                Some(existing) => {
                    let properties = match &existing.kind {
                        Kind::Modified { properties } => properties.clone(),
                        _ => Vec::new(),
                    };
                    existing.kind = Kind::Replaced {
                        reasons: vec![reason],
                        properties,
                    };
                }
                None => {
                    unchanged -= 1;
                    changes.push(change(
                        &id,
                        resource,
                        Kind::Replaced {
                            reasons: vec![reason],
                            properties: Vec::new(),
                        },
                    ));
                }
            }
        }
    }

    // Removed and added, pairing renames.
    let mut added: Vec<&String> = new
        .resources
        .keys()
        .filter(|id| !old.resources.contains_key(*id))
        .collect();
    for (id, old_resource) in &old.resources {
        if new.resources.contains_key(id) {
            continue;
        }
        let retained = old_resource.deletion_policy.as_deref() == Some("Retain");
        let twin = added.iter().position(|a| {
            let candidate = &new.resources[*a];
            candidate.type_name == old_resource.type_name
                && candidate.properties == old_resource.properties
        });
        match twin {
            Some(index) => {
                let to = added.remove(index);
                changes.push(change(
                    to,
                    &new.resources[to],
                    Kind::Renamed {
                        from: id.clone(),
                        retained,
                    },
                ));
            }
            None => changes.push(change(id, old_resource, Kind::Removed { retained })),
        }
    }
    for id in added {
        changes.push(change(id, &new.resources[id], Kind::Added));
    }

    for c in &mut changes {
        c.loses_data = c.holds.is_some()
            && match &c.kind {
                Kind::Removed { retained } => !retained,
                Kind::Replaced { .. } => true,
                Kind::Renamed { .. } => true,
                Kind::Added | Kind::Modified { .. } => false,
            };
        let resource = new
            .resources
            .get(&c.logical_id)
            .or_else(|| old.resources.get(&c.logical_id));
        if let (Kind::Replaced { .. }, Some(resource)) = (&c.kind, resource)
            && let Some(note) = custom_name_note(resource)
        {
            c.notes.push(note);
        }
        if let Kind::Removed { retained: true } | Kind::Renamed { retained: true, .. } = c.kind {
            c.notes.push(
                "DeletionPolicy Retain: CloudFormation leaves the old resource in the account, outside the stack"
                    .into(),
            );
        }
        if c.type_name == "AWS::StepFunctions::StateMachine" && c.loses_data {
            c.notes.push(
                "whether an execution is running is not knowable offline: check before deploying"
                    .into(),
            );
        }
        let keys = [c.logical_id.clone()].into_iter().chain(match &c.kind {
            Kind::Renamed { from, .. } => Some(from.clone()),
            _ => None,
        });
        for key in keys {
            if let Some(reason) = acknowledged.get(&key) {
                c.acknowledged = Some(reason.clone());
            }
        }
    }
    changes.sort_by(|a, b| {
        (!a.loses_data, a.kind.label(), &a.logical_id).cmp(&(
            !b.loses_data,
            b.kind.label(),
            &b.logical_id,
        ))
    });

    TemplateReport {
        name: name.to_string(),
        resources: changes,
        outputs: entries(&old.outputs, &new.outputs),
        parameters: entries(&old.parameters, &new.parameters),
        unchanged,
    }
}

fn change(id: &str, resource: &ResourceDoc, kind: Kind) -> ResourceChange {
    ResourceChange {
        logical_id: id.to_string(),
        type_name: resource.type_name.clone(),
        kind,
        holds: holds(&resource.type_name),
        loses_data: false,
        acknowledged: None,
        notes: Vec::new(),
    }
}

fn entries(old: &BTreeMap<String, Value>, new: &BTreeMap<String, Value>) -> Vec<EntryChange> {
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    keys.into_iter()
        .filter_map(|id| {
            let kind = match (old.get(id), new.get(id)) {
                (None, Some(_)) => "added",
                (Some(_), None) => "removed",
                (Some(a), Some(b)) if a != b => "changed",
                _ => return None,
            };
            Some(EntryChange {
                id: id.clone(),
                kind,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(resources: Value) -> TemplateDoc {
        TemplateDoc::from_value(&json!({"Resources": resources, "Outputs": {}})).unwrap()
    }

    fn base() -> Value {
        json!({
            "Key": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": true}},
            "Cluster": {"Type": "AWS::RDS::DBCluster", "DeletionPolicy": "Snapshot", "Properties": {
                "Engine": "aurora-postgresql", "KmsKeyId": {"Fn::GetAtt": ["Key", "Arn"]}, "BackupRetentionPeriod": 7}},
            "Task": {"Type": "AWS::DMS::ReplicationTask", "Properties": {
                "ResourceIdentifier": "forward", "MigrationType": "full-load-and-cdc",
                "ReplicationInstanceArn": {"Ref": "Instance"}, "SourceEndpointArn": "s", "TargetEndpointArn": "t",
                "TableMappings": "{}"}},
            "Instance": {"Type": "AWS::DMS::ReplicationInstance", "Properties": {
                "ReplicationInstanceClass": "dms.t3.medium", "ReplicationInstanceIdentifier": "replication"}},
            "Logs": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "Properties": {"VersioningConfiguration": {"Status": "Enabled"}}},
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": "ops"}},
        })
    }

    fn kinds(report: &TemplateReport) -> Vec<(String, &'static str)> {
        report
            .resources
            .iter()
            .map(|c| (c.logical_id.clone(), c.kind.label()))
            .collect()
    }

    #[test]
    fn the_same_template_reports_nothing() {
        let report = compare("t", &doc(base()), &doc(base()), &BTreeMap::new());
        assert!(report.resources.is_empty());
        assert_eq!(report.unchanged, 6);
        assert!(report.blocking().is_empty());
    }

    #[test]
    fn an_updatable_property_is_an_in_place_change() {
        let mut new = base();
        new["Cluster"]["Properties"]["BackupRetentionPeriod"] = json!(14);
        let report = compare("t", &doc(base()), &doc(new), &BTreeMap::new());
        assert_eq!(kinds(&report), vec![("Cluster".into(), "changed in place")]);
        assert!(
            matches!(&report.resources[0].kind, Kind::Modified { properties } if properties == &["BackupRetentionPeriod"])
        );
        assert!(report.blocking().is_empty());
    }

    #[test]
    fn a_create_only_property_replaces_and_the_guard_fires_until_acknowledged() {
        let mut new = base();
        new["Cluster"]["Properties"]["KmsKeyId"] =
            json!("arn:aws:kms:eu-west-1:111122223333:key/other");
        let report = compare("t", &doc(base()), &doc(new.clone()), &BTreeMap::new());
        assert_eq!(kinds(&report), vec![("Cluster".into(), "REPLACED")]);
        let Kind::Replaced { reasons, .. } = &report.resources[0].kind else {
            panic!()
        };
        assert_eq!(reasons, &vec![Reason::CreateOnly("KmsKeyId".into())]);
        assert_eq!(report.blocking().len(), 1);

        let acknowledged = BTreeMap::from([(
            "Cluster".to_string(),
            "restored from a snapshot".to_string(),
        )]);
        let report = compare("t", &doc(base()), &doc(new), &acknowledged);
        assert!(report.blocking().is_empty());
        assert_eq!(
            report.resources[0].acknowledged.as_deref(),
            Some("restored from a snapshot")
        );
    }

    #[test]
    fn a_replacement_carries_to_resources_naming_it_in_a_create_only_property() {
        let mut new = base();
        new["Instance"]["Properties"]["KmsKeyId"] = json!("another-key");
        let report = compare("t", &doc(base()), &doc(new), &BTreeMap::new());
        let task = report
            .resources
            .iter()
            .find(|c| c.logical_id == "Task")
            .expect("the task is reported");
        let Kind::Replaced { reasons, .. } = &task.kind else {
            panic!("{:?}", task.kind)
        };
        assert_eq!(
            reasons,
            &vec![Reason::Dependency {
                property: "ReplicationInstanceArn".into(),
                resource: "Instance".into()
            }]
        );
        assert!(task.loses_data, "a new task starts the full load again");
        assert_eq!(report.unchanged, 4);
    }

    #[test]
    fn a_replaced_resource_with_a_custom_name_is_said_to_fail() {
        let mut new = base();
        new["Task"]["Properties"]["MigrationType"] = json!("cdc");
        let report = compare("t", &doc(base()), &doc(new), &BTreeMap::new());
        assert!(
            report.resources[0].notes[0]
                .contains("ResourceIdentifier is the custom name \"forward\"")
        );
    }

    #[test]
    fn removals_adds_renames_and_retain() {
        let mut new = base();
        let topic = new.as_object_mut().unwrap().remove("Topic").unwrap();
        new["OperationsTopic"] = topic;
        new.as_object_mut().unwrap().remove("Logs");
        new["Queue"] = json!({"Type": "AWS::SQS::Queue", "Properties": {}});
        let report = compare("t", &doc(base()), &doc(new), &BTreeMap::new());
        let mut found = kinds(&report);
        found.sort();
        assert_eq!(
            found,
            vec![
                ("Logs".into(), "removed"),
                ("OperationsTopic".into(), "renamed (remove + add)"),
                ("Queue".into(), "added"),
            ]
        );
        let logs = report
            .resources
            .iter()
            .find(|c| c.logical_id == "Logs")
            .unwrap();
        assert_eq!(logs.kind, Kind::Removed { retained: true });
        assert!(!logs.loses_data, "a retained bucket stays in the account");
        assert!(logs.notes[0].contains("Retain"));
        assert!(report.blocking().is_empty());
    }

    #[test]
    fn removing_a_stateful_resource_without_retain_is_blocking() {
        let mut new = base();
        new.as_object_mut().unwrap().remove("Task");
        let report = compare("t", &doc(base()), &doc(new), &BTreeMap::new());
        assert_eq!(report.blocking().len(), 1);
        assert_eq!(report.blocking()[0].logical_id, "Task");
    }

    #[test]
    fn outputs_and_parameters_changes_are_listed() {
        let old = TemplateDoc::from_value(
            &json!({"Resources": {}, "Outputs": {"A": {"Value": "1"}, "B": {"Value": "1"}},
            "Parameters": {"P": {"Type": "String"}}}),
        )
        .unwrap();
        let new = TemplateDoc::from_value(
            &json!({"Resources": {}, "Outputs": {"A": {"Value": "2"}, "C": {"Value": "1"}}}),
        )
        .unwrap();
        let report = compare("t", &old, &new, &BTreeMap::new());
        let outputs: Vec<(&str, &str)> = report
            .outputs
            .iter()
            .map(|e| (e.id.as_str(), e.kind))
            .collect();
        assert_eq!(
            outputs,
            vec![("A", "changed"), ("B", "removed"), ("C", "added")]
        );
        assert_eq!(
            report.parameters,
            vec![EntryChange {
                id: "P".into(),
                kind: "removed"
            }]
        );
    }
}
