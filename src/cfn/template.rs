//! A CloudFormation template: sections in a fixed order, typed handles out, one validating render pass.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::expr::{ConditionHandle, Expr, Origin, RefTarget, serializing_for, to_json};
use super::logical_id::LogicalId;
use super::quota;
use super::references::{RefKind, references};
use super::resource::{Attributes, DeletionPolicy, Handle, Named, PhysicalName, Raw, Resource};

/// A template parameter. Cross-region values travel as parameters because `Fn::ImportValue` cannot cross
/// regions.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Parameter {
    #[serde(rename = "Type")]
    kind: String,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    default: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    allowed_values: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_pattern: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    constraint_description: Option<String>,
}

impl Parameter {
    /// A parameter of type `String` (the type every cross-region value travels as), with the description the
    /// console shows beside its input field.
    pub fn string(description: impl Into<String>) -> Self {
        Parameter {
            kind: "String".into(),
            description: description.into(),
            default: None,
            allowed_values: Vec::new(),
            allowed_pattern: None,
            constraint_description: None,
        }
    }

    /// The value used when the deployer passes none, so a plain `aws cloudformation deploy` still works.
    pub fn default(mut self, value: impl Into<String>) -> Self {
        self.default = Some(value.into());
        self
    }

    /// Restricts the parameter to `values`: CloudFormation refuses any other before it changes anything.
    pub fn allowed_values(mut self, values: &[&str]) -> Self {
        self.allowed_values = values.iter().map(|v| v.to_string()).collect();
        self
    }

    /// Restricts the parameter to strings matching the regular expression `pattern`; CloudFormation refuses any
    /// other before it changes anything and shows `description` as the reason.
    pub fn allowed_pattern(mut self, pattern: &str, description: &str) -> Self {
        self.allowed_pattern = Some(pattern.to_string());
        self.constraint_description = Some(description.to_string());
        self
    }
}

/// A handle to a declared parameter.
#[derive(Clone, Debug)]
pub struct ParameterHandle(LogicalId, Origin);

impl ParameterHandle {
    /// `Ref` of the parameter: the value passed at deploy time, or its default.
    pub fn r#ref(&self) -> Expr {
        Expr::Ref(RefTarget::new(self.0.as_str(), self.1))
    }
}

/// A condition function, for the Conditions section and `Fn::If`.
#[derive(Clone, Debug)]
pub enum ConditionExpr {
    /// `Fn::Equals`: true when both values are equal, e.g. a parameter's `Ref` and `"true"`.
    Equals(Expr, Expr),
    /// `Fn::Not`: the negation of a condition.
    Not(Box<ConditionExpr>),
    /// `Fn::And`: true when every condition is; CloudFormation accepts 2 to 10 of them.
    And(Vec<ConditionExpr>),
    /// `Fn::Or`: true when any condition is; CloudFormation accepts 2 to 10 of them.
    Or(Vec<ConditionExpr>),
    /// A condition declared in the same template, named through its handle.
    Condition(ConditionHandle),
}

impl Serialize for ConditionExpr {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value = match self {
            ConditionExpr::Equals(a, b) => json!({"Fn::Equals": [a, b]}),
            ConditionExpr::Not(c) => json!({"Fn::Not": [c]}),
            ConditionExpr::And(cs) => json!({"Fn::And": cs}),
            ConditionExpr::Or(cs) => json!({"Fn::Or": cs}),
            ConditionExpr::Condition(c) => json!({"Condition": c.name()}),
        };
        value.serialize(serializer)
    }
}

/// A stack output. Output ids are valid logical ids; [`Output::export`] names an export for other stacks in the
/// same region.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Output {
    description: String,
    value: Expr,
    #[serde(skip_serializing_if = "Option::is_none")]
    export: Option<Export>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Export {
    name: Expr,
}

impl Output {
    /// An output of `value`, with the description `describe-stacks` and the console show beside it.
    pub fn new(description: impl Into<String>, value: Expr) -> Self {
        Output {
            description: description.into(),
            value,
            export: None,
        }
    }

    /// Exports the value under `name` for `Fn::ImportValue` in other stacks of the same account and region. Export
    /// names are unique there, and an exported output cannot change or go while another stack imports it.
    pub fn export(mut self, name: Expr) -> Self {
        self.export = Some(Export { name });
        self
    }
}

struct ResourceEntry {
    type_name: &'static str,
    /// What `Fn::GetAtt` can read from the type ([`Resource::ATTRIBUTES`]).
    get_att_names: &'static [&'static str],
    properties: Value,
    attributes: Attributes,
}

/// Serialization format of a rendered template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Block-style YAML that YAML 1.1 readers read back exactly (see [`crate::cfn::yaml`]), for reviewed files.
    Yaml,
    /// Pretty-printed JSON ending with a newline.
    Json,
}

impl Format {
    /// The file extension for the format, without the dot: `yaml` or `json`.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Yaml => "yaml",
            Format::Json => "json",
        }
    }
}

/// A rendered template body and what the render pass noticed without failing.
#[derive(Clone, Debug)]
pub struct RenderedTemplate {
    /// The template as CloudFormation reads it: the same template always renders to the same bytes.
    pub body: String,
    /// How many resources the template holds, of the 500 CloudFormation accepts in one template.
    pub resource_count: usize,
    /// Quotas used to 90% or more, or a body close to the 51,200 bytes deployable inline: still deployable, but
    /// close to where CloudFormation refuses the template.
    pub warnings: Vec<String>,
    /// What the deployer must know, e.g. that the body needs `--s3-bucket`.
    pub notes: Vec<String>,
    /// The body is over 51,200 bytes, so `aws cloudformation deploy` needs `--s3-bucket`.
    pub needs_s3_upload: bool,
    /// The template declares a transform, so deploying needs `CAPABILITY_AUTO_EXPAND`.
    pub needs_auto_expand: bool,
}

/// Why a template cannot be rendered. Every problem found is listed, not only the first.
#[derive(Debug, thiserror::Error)]
#[error("the template is invalid:\n  - {}", .problems.join("\n  - "))]
pub struct TemplateError {
    /// Every problem found, such as an invalid id, a dangling reference, a cycle or an exceeded quota.
    pub problems: Vec<String>,
}

/// A CloudFormation template under construction.
///
/// Adding never fails; problems (an invalid or duplicate logical id) are collected and reported by
/// [`Template::render`], together with dangling references, reference cycles and exceeded quotas, so one render
/// reports everything that is wrong.
pub struct Template {
    description: String,
    metadata: Map<String, Value>,
    transforms: Vec<String>,
    parameters: Vec<(LogicalId, Parameter)>,
    conditions: Vec<(LogicalId, ConditionExpr)>,
    mappings: Vec<(LogicalId, Value)>,
    resources: Vec<(LogicalId, ResourceEntry)>,
    outputs: Vec<(LogicalId, Output)>,
    problems: Vec<String>,
    /// This template's identity, which its handles carry.
    origin: Origin,
}

impl Template {
    /// An empty template with its `Description`. It gets an identity of its own, so that handles of another
    /// template are refused in it.
    pub fn new(description: impl Into<String>) -> Self {
        Template {
            description: description.into(),
            metadata: Map::new(),
            transforms: Vec::new(),
            parameters: Vec::new(),
            conditions: Vec::new(),
            mappings: Vec::new(),
            resources: Vec::new(),
            outputs: Vec::new(),
            problems: Vec::new(),
            origin: Origin::fresh(),
        }
    }

    /// Declares a macro CloudFormation runs before creating the stack (e.g. `AWS::SecretsManager-2020-07-23`
    /// for hosted rotation functions); deploying then needs `CAPABILITY_AUTO_EXPAND`.
    pub fn add_transform(&mut self, transform: &str) {
        if !self.transforms.iter().any(|t| t == transform) {
            self.transforms.push(transform.to_string());
        }
    }

    fn has_transforms(&self) -> bool {
        !self.transforms.is_empty()
    }

    /// Sets `key` in the template's `Metadata` section; setting a key again replaces its value.
    pub fn set_metadata(&mut self, key: &str, value: Value) {
        self.metadata.insert(key.to_string(), value);
    }

    /// Adds a resource without attributes and returns its typed handle. An invalid or duplicate logical id is
    /// reported by [`Template::render`], not here.
    pub fn add<R: Resource>(&mut self, id: LogicalId, resource: R) -> Handle<R> {
        self.add_with(id, resource, Attributes::new())
    }

    /// Escape hatch: adds a resource of a type migen has no builder for, as its CloudFormation type name, the
    /// attributes `Fn::GetAtt` may read from it, and its properties. The properties take part in the render's
    /// reference checks (pass them as a value holding expressions, such as a map of [`Expr`], rather than JSON
    /// made beforehand, for a handle of another template to be told apart); the type and its properties are not
    /// checked against CloudFormation's schema (cfn-lint does that on the rendered template).
    pub fn add_raw(
        &mut self,
        id: LogicalId,
        type_name: &'static str,
        attribute_names: &'static [&'static str],
        properties: impl Serialize,
        attributes: Attributes,
    ) -> Handle<Raw> {
        self.push_resource(&id, type_name, attribute_names, &properties, attributes);
        Handle::of_template(id, self.origin)
    }

    /// Adds a resource whose physical name is the literal `name` (it sets the type's name property), and returns
    /// a handle that carries the name.
    pub fn add_named<R: PhysicalName>(
        &mut self,
        id: LogicalId,
        name: impl Into<String>,
        resource: R,
        attributes: Attributes,
    ) -> Named<R> {
        let name = name.into();
        let mut resource = resource;
        resource.set_physical_name(&name);
        Named::new(self.add_with(id, resource, attributes), name)
    }

    /// Adds a resource with its attributes (`DependsOn`, deletion policies, condition, metadata) and returns its
    /// typed handle. An invalid or duplicate logical id is reported by [`Template::render`].
    pub fn add_with<R: Resource>(
        &mut self,
        id: LogicalId,
        resource: R,
        attributes: Attributes,
    ) -> Handle<R> {
        self.push_resource(&id, R::TYPE, R::ATTRIBUTES, &resource, attributes);
        Handle::of_template(id, self.origin)
    }

    /// Records a resource: its properties serialized for this template (with what they reported), its type and
    /// the attributes `Fn::GetAtt` may read.
    fn push_resource(
        &mut self,
        id: &LogicalId,
        type_name: &'static str,
        get_att_names: &'static [&'static str],
        properties: &impl Serialize,
        attributes: Attributes,
    ) {
        self.check_new_id(id, "resource");
        let properties = self
            .resource_json(id, "properties", properties)
            .unwrap_or_else(|| Value::Object(Map::new()));
        self.resources.push((
            id.clone(),
            ResourceEntry {
                type_name,
                get_att_names,
                properties,
                attributes,
            },
        ));
    }

    /// What outputs and conditions reported while serialized, such as a handle of another template (resources
    /// report as they are added).
    fn noted_in_outputs_and_conditions(&self) -> Vec<String> {
        let outputs = self.outputs.iter().map(|(id, output)| {
            (
                format!("output {id}"),
                serializing_for(self.origin, || to_json(output)).1,
            )
        });
        let conditions = self.conditions.iter().map(|(id, condition)| {
            (
                format!("condition {id}"),
                serializing_for(self.origin, || to_json(condition)).1,
            )
        });
        outputs
            .chain(conditions)
            .flat_map(|(what, noted)| {
                noted
                    .into_iter()
                    .map(move |problem| format!("{what}: {problem}"))
            })
            .collect()
    }

    /// `value`, part of the resource `id` (`what`: its properties, an override), serialized for this template.
    /// What it reported meanwhile becomes the resource's problems: a handle of another template (refused even
    /// where this template has a resource of the same logical id, which is not the resource the handle stands
    /// for), an unknown IAM action, a number outside its range. `None`, with the problem recorded, when it does
    /// not serialize.
    fn resource_json(
        &mut self,
        id: &LogicalId,
        what: &str,
        value: &impl Serialize,
    ) -> Option<Value> {
        let (json, noted) = serializing_for(self.origin, || serde_json::to_value(value));
        for problem in noted {
            self.problems.push(format!("resource {id}: {problem}"));
        }
        match json {
            Ok(json) => Some(json),
            Err(err) => {
                self.problems
                    .push(format!("resource {id}: {what} cannot be serialized: {err}"));
                None
            }
        }
    }

    /// Replaces the properties of a resource already added, keeping its place, id and attributes. For a resource
    /// whose properties gather what later parts of the template need, such as a key policy that lists every
    /// service that encrypts with the key: the handle exists early, the properties are final at the end.
    pub fn replace<R: Resource>(&mut self, handle: &Handle<R>, resource: R) {
        let id = handle.logical_id().clone();
        let Some(properties) = self.resource_json(&id, "properties", &resource) else {
            return;
        };
        match self
            .resources
            .iter_mut()
            .find(|(r, entry)| *r == id && entry.type_name == R::TYPE)
        {
            Some((_, entry)) => entry.properties = properties,
            None => self.problems.push(format!(
                "resource {id} ({}) is replaced but was never added to this template",
                R::TYPE
            )),
        }
    }

    /// Declares a parameter and returns the handle that refers to it. Parameters share one namespace with resources
    /// (`Ref` names either), so an id already taken by either is reported by [`Template::render`].
    pub fn parameter(&mut self, id: LogicalId, parameter: Parameter) -> ParameterHandle {
        self.check_new_id(&id, "parameter");
        self.parameters.push((id.clone(), parameter));
        ParameterHandle(id, self.origin)
    }

    /// Declares a condition and returns the only handle that `Fn::If` and a resource's `Condition` can name it by.
    pub fn condition(&mut self, id: LogicalId, condition: ConditionExpr) -> ConditionHandle {
        let taken = self.conditions.iter().any(|(c, _)| *c == id);
        self.check_id(&id, "condition", taken);
        self.conditions.push((id.clone(), condition));
        ConditionHandle::new(id)
    }

    /// Declares a mapping, given as JSON (two levels of keys); CloudFormation accepts 200 per template.
    pub fn mapping(&mut self, id: LogicalId, mapping: Value) {
        let taken = self.mappings.iter().any(|(m, _)| *m == id);
        self.check_id(&id, "mapping", taken);
        self.mappings.push((id, mapping));
    }

    /// Declares a stack output; CloudFormation accepts 200 per template and the render checks the count.
    pub fn output(&mut self, id: LogicalId, output: Output) {
        let taken = self.outputs.iter().any(|(o, _)| *o == id);
        self.check_id(&id, "output", taken);
        self.outputs.push((id, output));
    }

    /// Records why `id` cannot be used: CloudFormation would reject it, or its section already has it.
    fn check_id(&mut self, id: &LogicalId, what: &str, taken: bool) {
        if let Some(problem) = id.problem() {
            self.problems.push(format!("{what}: {problem}"));
        }
        if taken {
            self.problems.push(format!("{what} {id} is declared twice"));
        }
    }

    /// Resources added so far, for checks against CloudFormation's 500 per template before rendering.
    pub fn resource_count(&self) -> usize {
        self.resources.len()
    }

    /// The resources added so far: logical id, type and properties as they will render. For checks that need
    /// the whole template, such as quotas that span resources.
    pub fn resources(&self) -> impl Iterator<Item = (&LogicalId, &'static str, &Value)> {
        self.resources
            .iter()
            .map(|(id, entry)| (id, entry.type_name, &entry.properties))
    }

    /// Escape hatch: sets the property at `path` of the resource `id` to `value`, for a property migen's builder
    /// for the type does not offer. `path` is dotted below `Properties` (`"LoggingConfig.LogFormat"`, list items
    /// by index, `"Tags.0.Value"`); missing objects on the way are created. The value takes part in the render's
    /// reference checks like any other (a handle of another template is refused). A missing resource, or a path
    /// through something that is not an object or a list, is reported by [`Template::render`].
    pub fn override_property(&mut self, id: &LogicalId, path: &str, value: impl Serialize) {
        let Some(value) = self.resource_json(id, &format!("the override of {path}"), &value) else {
            return;
        };
        let Some((_, entry)) = self.resources.iter_mut().find(|(r, _)| r == id) else {
            self.problems.push(format!(
                "the override of {path} names resource {id}, which this template does not have"
            ));
            return;
        };
        if let Err(problem) = set_at(&mut entry.properties, path, value) {
            self.problems
                .push(format!("resource {id}: the override of {path}: {problem}"));
        }
    }

    /// Escape hatch: calls `visit` with every resource's logical id, type and properties (as they will render,
    /// changeable), in template order: a team's own tagging or policy rules over everything the stack holds. An
    /// `Err` is reported by [`Template::render`] as a problem of that resource.
    pub fn visit_resources(
        &mut self,
        mut visit: impl FnMut(&LogicalId, &'static str, &mut Value) -> Result<(), String>,
    ) {
        let mut problems = Vec::new();
        for (id, entry) in &mut self.resources {
            if let Err(problem) = visit(id, entry.type_name, &mut entry.properties) {
                problems.push(format!("resource {id}: {problem}"));
            }
        }
        self.problems.extend(problems);
    }

    /// The properties of the resources `ids`, as they will render: `{id: properties}`, `null` for an id the
    /// template has no resource for (so a forgotten resource still changes the result). For content that
    /// decides a logical id, such as an API Gateway deployment's: pass it to [`LogicalId::with_content_hash`].
    pub fn properties_json(&self, ids: &[&LogicalId]) -> Value {
        let entries = ids.iter().map(|id| {
            let properties = self
                .resources
                .iter()
                .find(|(r, _)| r == *id)
                .map_or(Value::Null, |(_, entry)| entry.properties.clone());
            (id.to_string(), properties)
        });
        Value::Object(entries.collect())
    }

    /// Resources and parameters share one namespace: `Ref` names either.
    fn check_new_id(&mut self, id: &LogicalId, what: &str) {
        let taken = self.resources.iter().any(|(r, _)| r == id)
            || self.parameters.iter().any(|(p, _)| p == id);
        self.check_id(id, what, taken);
    }

    /// Validates the whole template and serializes it. Sections come out in CloudFormation's documented order and
    /// every map in insertion order, so the same template renders to the same bytes.
    pub fn render(&self, format: Format) -> Result<RenderedTemplate, TemplateError> {
        let mut problems = self.problems.clone();
        problems.extend(self.reference_problems());
        problems.extend(self.cycle_problems());

        problems.extend(self.noted_in_outputs_and_conditions());
        let document = self.document();
        let body = match format {
            Format::Yaml => Ok(super::yaml::to_string(&document)),
            Format::Json => serde_json::to_string_pretty(&document)
                .map(|s| s + "\n")
                .map_err(|e| e.to_string()),
        };
        let body = match body {
            Ok(body) => body,
            Err(err) => {
                problems.push(format!("the template cannot be serialized: {err}"));
                String::new()
            }
        };

        let usage = quota::Usage {
            resources: self.resources.len(),
            parameters: self.parameters.len(),
            outputs: self.outputs.len(),
            mappings: self.mappings.len(),
            body_bytes: body.len(),
        };
        let report = quota::check(&usage);
        problems.extend(report.errors);
        if !problems.is_empty() {
            return Err(TemplateError { problems });
        }
        Ok(RenderedTemplate {
            body,
            resource_count: self.resources.len(),
            warnings: report.warnings,
            notes: report.notes,
            needs_s3_upload: usage.body_bytes > quota::DIRECT_BODY_BYTES,
            needs_auto_expand: self.has_transforms(),
        })
    }

    fn document(&self) -> Value {
        let mut doc = Map::new();
        doc.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
        doc.insert("Description".into(), json!(self.description));
        if !self.metadata.is_empty() {
            doc.insert("Metadata".into(), Value::Object(self.metadata.clone()));
        }
        let section = |entries: Vec<(String, Value)>| -> Option<Value> {
            (!entries.is_empty()).then(|| Value::Object(entries.into_iter().collect()))
        };
        if let Some(s) = section(
            self.parameters
                .iter()
                .map(|(id, p)| (id.to_string(), to_json(p)))
                .collect(),
        ) {
            doc.insert("Parameters".into(), s);
        }
        if let Some(s) = section(
            self.conditions
                .iter()
                .map(|(id, c)| (id.to_string(), to_json(c)))
                .collect(),
        ) {
            doc.insert("Conditions".into(), s);
        }
        if let Some(s) = section(
            self.mappings
                .iter()
                .map(|(id, m)| (id.to_string(), m.clone()))
                .collect(),
        ) {
            doc.insert("Mappings".into(), s);
        }
        match self.transforms.as_slice() {
            [] => {}
            [one] => {
                doc.insert("Transform".into(), json!(one));
            }
            many => {
                doc.insert("Transform".into(), json!(many));
            }
        }
        let resources = self
            .resources
            .iter()
            .map(|(id, entry)| (id.to_string(), self.resource_value(id, entry)))
            .collect();
        doc.insert("Resources".into(), Value::Object(resources));
        if let Some(s) = section(
            self.outputs
                .iter()
                .map(|(id, o)| (id.to_string(), to_json(o)))
                .collect(),
        ) {
            doc.insert("Outputs".into(), s);
        }
        Value::Object(doc)
    }

    fn resource_value(&self, id: &LogicalId, entry: &ResourceEntry) -> Value {
        let mut resource = Map::new();
        resource.insert("Type".into(), json!(entry.type_name));
        let attrs = &entry.attributes;
        if let Some(condition) = &attrs.condition {
            resource.insert("Condition".into(), json!(condition));
        }
        // A DependsOn that a reference already implies is redundant (cfn-lint W3005); drop it here so callers
        // can state dependencies without tracking which ones their properties already create.
        let referenced: BTreeSet<String> = references(&entry.properties)
            .into_iter()
            .map(|r| r.target)
            .collect();
        let depends_on: Vec<&str> = attrs
            .depends_on
            .iter()
            .filter(|d| !referenced.contains(d.as_str()) && *d != id)
            .map(LogicalId::as_str)
            .collect();
        if !depends_on.is_empty() {
            resource.insert("DependsOn".into(), json!(depends_on));
        }
        if let Some(policy) = attrs.deletion_policy {
            resource.insert("DeletionPolicy".into(), json!(policy));
        }
        if let Some(policy) = attrs.update_replace_policy {
            resource.insert("UpdateReplacePolicy".into(), json!(policy));
        }
        if !attrs.metadata.is_empty() {
            resource.insert("Metadata".into(), json!(attrs.metadata));
        }
        let has_properties = entry.properties.as_object().is_none_or(|m| !m.is_empty());
        if has_properties {
            resource.insert("Properties".into(), entry.properties.clone());
        }
        Value::Object(resource)
    }

    fn reference_problems(&self) -> Vec<String> {
        let resources: BTreeMap<&str, &ResourceEntry> = self
            .resources
            .iter()
            .map(|(id, entry)| (id.as_str(), entry))
            .collect();
        let parameters: BTreeSet<&str> =
            self.parameters.iter().map(|(id, _)| id.as_str()).collect();
        let conditions: BTreeSet<&str> =
            self.conditions.iter().map(|(id, _)| id.as_str()).collect();
        let mut problems = Vec::new();

        let check = |place: String, value: &Value| -> Vec<String> {
            let mut found = Vec::new();
            for r in references(value) {
                let known = match r.kind {
                    RefKind::Condition => conditions.contains(r.target.as_str()),
                    RefKind::GetAtt => resources.contains_key(r.target.as_str()),
                    RefKind::Ref => {
                        resources.contains_key(r.target.as_str())
                            || parameters.contains(r.target.as_str())
                    }
                };
                if !known {
                    found.push(format!(
                        "{place} refers to {} `{}`, which is not in this template",
                        r.kind.describe(),
                        r.target
                    ));
                    continue;
                }
                if let (Some(attribute), Some(entry)) =
                    (&r.attribute, resources.get(r.target.as_str()))
                    && !entry.get_att_names.contains(&attribute.name.as_str())
                {
                    let has = match entry.get_att_names {
                        [] => "none".to_string(),
                        names => names.join(", "),
                    };
                    found.push(format!(
                        "{place} refers to attribute `{}.{}` in {}, which {} does not have (it has: {has})",
                        r.target, attribute.name, attribute.function, entry.type_name
                    ));
                }
            }
            found
        };

        for (id, entry) in &self.resources {
            problems.extend(check(format!("resource {id}"), &entry.properties));
            problems.extend(check(
                format!("resource {id} metadata"),
                &json!(entry.attributes.metadata),
            ));
            let attrs = &entry.attributes;
            if let Some(condition) = &attrs.condition {
                problems.extend(check(
                    format!("resource {id}"),
                    &json!({"Condition": condition}),
                ));
            }
            for dep in &attrs.depends_on {
                if !resources.contains_key(dep.as_str()) {
                    problems.push(format!(
                        "resource {id} depends on `{dep}`, which is not in this template"
                    ));
                }
            }
            if attrs.deletion_policy == Some(DeletionPolicy::Snapshot)
                && !SNAPSHOT_TYPES.contains(&entry.type_name)
            {
                problems.push(format!(
                    "resource {id}: DeletionPolicy Snapshot is not supported by {}",
                    entry.type_name
                ));
            }
        }
        for (id, condition) in &self.conditions {
            problems.extend(check(format!("condition {id}"), &to_json(condition)));
        }
        for (id, output) in &self.outputs {
            problems.extend(check(format!("output {id}"), &to_json(output)));
        }
        problems
    }

    fn cycle_problems(&self) -> Vec<String> {
        let index: BTreeMap<&str, usize> = self
            .resources
            .iter()
            .enumerate()
            .map(|(i, (id, _))| (id.as_str(), i))
            .collect();
        let edges: Vec<Vec<usize>> = self
            .resources
            .iter()
            .map(|(_, entry)| {
                let mut targets: BTreeSet<usize> = references(&entry.properties)
                    .into_iter()
                    .chain(references(&json!(entry.attributes.metadata)))
                    .filter_map(|r| index.get(r.target.as_str()).copied())
                    .collect();
                targets.extend(
                    entry
                        .attributes
                        .depends_on
                        .iter()
                        .filter_map(|d| index.get(d.as_str()).copied()),
                );
                targets.into_iter().collect()
            })
            .collect();

        // Iterative depth-first search with three colours; a grey node reached again closes a cycle.
        let mut colour = vec![0u8; edges.len()];
        let mut problems = Vec::new();
        for start in 0..edges.len() {
            if colour[start] != 0 {
                continue;
            }
            let mut stack = vec![(start, 0usize)];
            colour[start] = 1;
            while let Some((node, next)) = stack.last_mut() {
                if let Some(&target) = edges[*node].get(*next) {
                    *next += 1;
                    match colour[target] {
                        0 => {
                            colour[target] = 1;
                            stack.push((target, 0));
                        }
                        1 => {
                            let from = stack.iter().position(|(n, _)| *n == target).unwrap_or(0);
                            let mut path: Vec<&str> = stack[from..]
                                .iter()
                                .map(|(n, _)| self.resources[*n].0.as_str())
                                .collect();
                            path.push(self.resources[target].0.as_str());
                            problems.push(format!("reference cycle: {}", path.join(" -> ")));
                        }
                        _ => {}
                    }
                } else {
                    colour[*node] = 2;
                    stack.pop();
                }
            }
        }
        problems
    }
}

/// Resource types that accept `DeletionPolicy: Snapshot`.
const SNAPSHOT_TYPES: &[&str] = &[
    "AWS::EC2::Volume",
    "AWS::ElastiCache::CacheCluster",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::Neptune::DBCluster",
    "AWS::RDS::DBCluster",
    "AWS::RDS::DBInstance",
    "AWS::Redshift::Cluster",
    "AWS::DocDB::DBCluster",
];

/// Sets `value` at the dotted `path` below `root`, creating missing objects; list items are named by index.
fn set_at(root: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let segments: Vec<&str> = path.split('.').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Err("the path has an empty segment".into());
    }
    let (last, parents) = segments
        .split_last()
        .unwrap_or_else(|| unreachable!("split yields at least one segment"));
    let mut current = root;
    for segment in parents {
        current = match current {
            Value::Object(map) => map
                .entry(segment.to_string())
                .or_insert_with(|| Value::Object(Map::new())),
            Value::Array(items) => {
                let index: usize = segment.parse().map_err(|_| {
                    format!("`{segment}` names an item of a list, which takes an index")
                })?;
                let length = items.len();
                items
                    .get_mut(index)
                    .ok_or_else(|| format!("item {index} of a list of {length}"))?
            }
            other => {
                return Err(format!(
                    "`{segment}` is below {other}, which is not an object or a list"
                ));
            }
        };
    }
    match current {
        Value::Object(map) => {
            map.insert(last.to_string(), value);
            Ok(())
        }
        Value::Array(items) => {
            let index: usize = last
                .parse()
                .map_err(|_| format!("`{last}` names an item of a list, which takes an index"))?;
            let length = items.len();
            let item = items
                .get_mut(index)
                .ok_or_else(|| format!("item {index} of a list of {length}"))?;
            *item = value;
            Ok(())
        }
        other => Err(format!(
            "`{last}` is below {other}, which is not an object or a list"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::ec2::{Subnet, Vpc};
    use crate::resources::logs::LogGroup;

    fn id(s: &str) -> LogicalId {
        LogicalId::verbatim(s)
    }

    #[test]
    fn sections_come_out_in_documented_order() {
        let mut t = Template::new("test");
        let vpc = t.add(id("Vpc"), Vpc::new("10.0.0.0/16"));
        t.output(id("VpcId"), Output::new("the VPC", vpc.vpc_id()));
        t.parameter(id("Env"), Parameter::string("env"));
        let body = t.render(Format::Yaml).unwrap().body;
        let order: Vec<usize> = [
            "AWSTemplateFormatVersion",
            "Description",
            "Parameters",
            "Resources",
            "Outputs",
        ]
        .iter()
        .map(|s| body.find(&format!("{s}:")).unwrap())
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{body}");
    }

    #[test]
    fn a_handle_from_another_template_is_a_dangling_reference() {
        let mut other = Template::new("other");
        let foreign = other.add(id("Vpc"), Vpc::new("10.0.0.0/16"));
        let mut t = Template::new("test");
        t.add(
            id("Subnet"),
            Subnet::without_public_ips(foreign.vpc_id(), "10.0.0.0/24", Expr::availability_zone(0)),
        );
        let err = t.render(Format::Json).unwrap_err();
        assert_eq!(err.problems.len(), 2, "{:?}", err.problems);
        assert_eq!(
            err.problems[0],
            "resource Subnet: refers to Vpc through a handle of another template"
        );
        assert!(err.problems[1].contains("resource Subnet refers to resource or parameter `Vpc`"));
    }

    /// Both templates have a `Vpc`: the reference resolves by name, but to the wrong resource, so it is refused
    /// by the handle's template, in properties and in outputs.
    #[test]
    fn a_handle_from_another_template_is_refused_even_where_its_logical_id_exists() {
        let mut other = Template::new("other");
        let foreign = other.add(id("Vpc"), Vpc::new("10.1.0.0/16"));
        let mut t = Template::new("test");
        let own = t.add(id("Vpc"), Vpc::new("10.0.0.0/16"));
        t.add(
            id("Subnet"),
            Subnet::without_public_ips(foreign.vpc_id(), "10.0.0.0/24", Expr::availability_zone(0)),
        );
        t.output(id("VpcId"), Output::new("the VPC", foreign.vpc_id()));
        let err = t.render(Format::Json).unwrap_err();
        assert_eq!(
            err.problems,
            [
                "resource Subnet: refers to Vpc through a handle of another template",
                "output VpcId: refers to Vpc through a handle of another template",
            ]
        );
        let mut fixed = Template::new("test");
        let own_again = fixed.add(id("Vpc"), Vpc::new("10.0.0.0/16"));
        fixed.add(
            id("Subnet"),
            Subnet::without_public_ips(
                own_again.vpc_id(),
                "10.0.0.0/24",
                Expr::availability_zone(0),
            ),
        );
        assert!(fixed.render(Format::Json).is_ok());
        let _ = own;
    }

    #[test]
    fn sub_names_must_exist_unless_they_are_variables_or_pseudo_parameters() {
        let mut t = Template::new("test");
        t.add(
            id("Logs"),
            LogGroup::new(400).log_group_name(Expr::sub_with(
                "/x/${AWS::Region}/${Known}/${!Literal}/${Missing.Arn}",
                [("Known", "k".into())],
            )),
        );
        let err = t.render(Format::Json).unwrap_err();
        assert_eq!(err.problems.len(), 1, "{:?}", err.problems);
        assert!(err.problems[0].contains("`Missing`"));
    }

    #[test]
    fn sub_map_variables_are_not_dangling_but_their_values_are_checked() {
        let mut t = Template::new("test");
        let vpc = t.add(id("Vpc"), Vpc::new("10.0.0.0/16"));
        let vars: Vec<(String, Expr)> = (0..5)
            .map(|i| (format!("V{i}"), vpc.vpc_id()))
            .chain([(
                "Gone".to_string(),
                Expr::Ref(RefTarget::new("Missing", Origin::UNKNOWN)),
            )])
            .collect();
        t.add(
            id("Logs"),
            LogGroup::new(400).log_group_name(Expr::sub_map(
                "/${V0}/${V1}/${V2}/${V3}/${V4}/${Gone}",
                vars,
            )),
        );
        let err = t.render(Format::Json).unwrap_err();
        assert_eq!(err.problems.len(), 1, "{:?}", err.problems);
        assert!(err.problems[0].contains("`Missing`"), "{:?}", err.problems);
    }

    /// The attributes a VPC declares, as the reference check lists them: the schema's read-only properties and
    /// the `CidrBlock` that types.toml adds.
    fn vpc_attributes() -> String {
        let names = <Vpc as crate::cfn::Resource>::ATTRIBUTES;
        assert!(names.starts_with(&[
            "CidrBlock",
            "CidrBlockAssociations",
            "DefaultNetworkAcl",
            "DefaultSecurityGroup"
        ]));
        names.join(", ")
    }

    /// A template with a VPC, a `Name` parameter and a log group whose name is the given `Fn::Sub` string.
    fn with_log_group_named(sub: &str) -> Template {
        let mut t = Template::new("test");
        t.add(id("Vpc"), Vpc::new("10.0.0.0/16"));
        t.parameter(id("Name"), Parameter::string("a name"));
        t.add(
            id("Logs"),
            LogGroup::new(400).log_group_name(Expr::sub(sub)),
        );
        t
    }

    #[test]
    fn sub_attributes_must_be_attributes_of_the_resource_type() {
        let err = with_log_group_named("/x/${Vpc.Arn}")
            .render(Format::Json)
            .unwrap_err();
        assert_eq!(
            err.problems,
            [format!(
                "resource Logs refers to attribute `Vpc.Arn` in Fn::Sub, which AWS::EC2::VPC does not have \
                 (it has: {})",
                vpc_attributes()
            )]
        );
    }

    #[test]
    fn sub_attributes_of_a_type_without_attributes_are_reported() {
        #[derive(Serialize, schemars::JsonSchema)]
        struct Plain {}
        crate::resource_type!(Plain, "AWS::Test::Plain", tags: none);

        let mut t = with_log_group_named("/x/${Plain.Arn}");
        t.add(id("Plain"), Plain {});
        let err = t.render(Format::Json).unwrap_err();
        assert_eq!(
            err.problems,
            [
                "resource Logs refers to attribute `Plain.Arn` in Fn::Sub, which AWS::Test::Plain does not have \
                 (it has: none)"
            ]
        );
    }

    #[test]
    fn sub_with_a_known_attribute_a_parameter_and_an_escaped_name_renders() {
        let sub = "/x/${Vpc.CidrBlock}/${Name}/${!Literal}/${!Vpc.Arn}/${AWS::Region}";
        let body = with_log_group_named(sub).render(Format::Json).unwrap().body;
        let doc: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            doc["Resources"]["Logs"]["Properties"]["LogGroupName"],
            json!({ "Fn::Sub": sub })
        );
    }

    #[test]
    fn get_att_attributes_must_be_attributes_of_the_resource_type() {
        // A handle used in another template whose resource of the same name has another type.
        let mut other = Template::new("other");
        let foreign = other.add(id("Vpc"), LogGroup::new(400));
        let mut t = with_log_group_named("unused");
        t.output(id("Out"), Output::new("the log group's ARN", foreign.arn()));
        let err = t.render(Format::Json).unwrap_err();
        assert_eq!(
            err.problems,
            [
                format!(
                    "output Out refers to attribute `Vpc.Arn` in Fn::GetAtt, which AWS::EC2::VPC does not have \
                     (it has: {})",
                    vpc_attributes()
                ),
                "output Out: refers to Vpc through a handle of another template".to_string(),
            ]
        );
    }

    #[test]
    fn an_override_sets_a_property_the_builder_lacks_and_its_references_are_checked() {
        let mut t = Template::new("test");
        let key = t.add(id("Key"), LogGroup::new(400));
        let logs = t.add(id("Logs"), LogGroup::new(400));
        t.override_property(logs.logical_id(), "DataProtectionPolicy.Name", "redact");
        t.override_property(logs.logical_id(), "KmsKeyId", key.arn());
        let doc: Value = serde_json::from_str(&t.render(Format::Json).unwrap().body).unwrap();
        assert_eq!(
            doc["Resources"]["Logs"]["Properties"],
            json!({
                "RetentionInDays": 400,
                "DataProtectionPolicy": {"Name": "redact"},
                "KmsKeyId": {"Fn::GetAtt": ["Key", "Arn"]},
            })
        );

        let mut other = Template::new("other");
        let foreign = other.add(id("Key"), LogGroup::new(400));
        t.override_property(logs.logical_id(), "KmsKeyId", foreign.arn());
        t.override_property(&id("Nowhere"), "A", 1);
        t.override_property(logs.logical_id(), "RetentionInDays.Deeper", 1);
        let err = t.render(Format::Json).unwrap_err();
        assert_eq!(
            err.problems,
            [
                "resource Logs: refers to Key through a handle of another template",
                "the override of A names resource Nowhere, which this template does not have",
                "resource Logs: the override of RetentionInDays.Deeper: `Deeper` is below 400, which is not an \
                 object or a list",
            ]
        );
    }

    #[test]
    fn a_visitor_sees_every_resource_and_its_refusals_are_reported() {
        let mut t = Template::new("test");
        t.add(id("Vpc"), Vpc::new("10.0.0.0/16"));
        t.add(id("Logs"), LogGroup::new(400));
        let mut seen = Vec::new();
        t.visit_resources(|id, type_name, properties| {
            seen.push(format!("{id} {type_name}"));
            properties["Tags"] = json!([{"Key": "Team", "Value": "payments"}]);
            Ok(())
        });
        assert_eq!(seen, ["Vpc AWS::EC2::VPC", "Logs AWS::Logs::LogGroup"]);
        let doc: Value = serde_json::from_str(&t.render(Format::Json).unwrap().body).unwrap();
        assert_eq!(
            doc["Resources"]["Logs"]["Properties"]["Tags"][0]["Value"],
            "payments"
        );

        t.visit_resources(
            |_, type_name, properties| match properties.get("RetentionInDays") {
                Some(days) if days.as_u64() < Some(3653) => Err(format!(
                    "{type_name} keeps logs {days} days, our rule says 3653"
                )),
                _ => Ok(()),
            },
        );
        let err = t.render(Format::Json).unwrap_err();
        assert_eq!(
            err.problems,
            ["resource Logs: AWS::Logs::LogGroup keeps logs 400 days, our rule says 3653"]
        );
    }

    #[test]
    fn cycles_are_reported_with_their_path() {
        let mut t = Template::new("test");
        let a: Handle<LogGroup> = Handle::new(id("A"));
        let b = t.add_with(
            id("B"),
            LogGroup::new(400),
            Attributes::new().depends_on(&a),
        );
        t.add_with(
            id("A"),
            LogGroup::new(400),
            Attributes::new().depends_on(&b),
        );
        let err = t.render(Format::Yaml).unwrap_err();
        assert!(
            err.problems
                .iter()
                .any(|p| p == "reference cycle: B -> A -> B"),
            "{:?}",
            err.problems
        );
    }

    #[test]
    fn duplicate_and_invalid_ids_are_errors() {
        let mut t = Template::new("test");
        t.add(id("Vpc"), Vpc::new("10.0.0.0/16"));
        t.add(id("Vpc"), Vpc::new("10.1.0.0/16"));
        t.add(id("Bad-Id"), Vpc::new("10.2.0.0/16"));
        t.parameter(
            id("Vpc"),
            Parameter::string("shares the resources' namespace"),
        );
        t.output(id("Out"), Output::new("a", Expr::lit("a")));
        t.output(id("Out"), Output::new("b", Expr::lit("b")));
        t.mapping(id("Map"), json!({}));
        t.mapping(id("Map"), json!({}));
        let err = t.render(Format::Yaml).unwrap_err();
        assert_eq!(
            err.problems,
            [
                "resource Vpc is declared twice",
                "resource: logical id `Bad-Id` must contain only the characters A-Z, a-z and 0-9",
                "parameter Vpc is declared twice",
                "output Out is declared twice",
                "mapping Map is declared twice",
            ],
        );
    }

    #[test]
    fn redundant_depends_on_is_dropped() {
        let mut t = Template::new("test");
        let vpc = t.add(id("Vpc"), Vpc::new("10.0.0.0/16"));
        let other = t.add(id("Other"), Vpc::new("10.1.0.0/16"));
        let subnet = t.add_with(
            id("Subnet"),
            Subnet::without_public_ips(vpc.vpc_id(), "10.0.0.0/24", Expr::availability_zone(0)),
            Attributes::new().depends_on(&vpc).depends_on(&other),
        );
        let body = t.render(Format::Json).unwrap().body;
        let doc: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            doc["Resources"][subnet.logical_id().as_str()]["DependsOn"],
            json!(["Other"])
        );
    }

    /// A REST API with a `{proxy+}` resource, an authorizer and an ANY method whose integration goes to `uri`,
    /// and the logical id of a deployment of it.
    fn api_deployment_id(uri: &str) -> LogicalId {
        use crate::resources::apigateway::{
            Authorizer, HttpMethod, Integration, Method, Resource, RestApi,
        };
        let mut t = Template::new("test");
        let api = t.add(id("Api"), RestApi::regional("payments"));
        let proxy = t.add(
            id("ApiProxy"),
            Resource::greedy_proxy(api.rest_api_id(), api.root_resource_id()),
        );
        let authorizer = t.add(
            id("ApiAuthorizer"),
            Authorizer::lambda_request(api.rest_api_id(), "caller", Expr::lit("fn-arn")),
        );
        let method = t.add(
            id("ApiProxyAny"),
            Method::with_authorizer(
                api.rest_api_id(),
                proxy.resource_id(),
                HttpMethod::Any,
                authorizer.authorizer_id(),
                Integration::http_proxy_via_vpc_link(
                    HttpMethod::Any,
                    Expr::lit(uri),
                    Expr::lit("link"),
                    Expr::lit("alb"),
                ),
            ),
        );
        let content = t.properties_json(&[
            api.logical_id(),
            proxy.logical_id(),
            method.logical_id(),
            authorizer.logical_id(),
        ]);
        assert_eq!(content.as_object().map(|m| m.len()), Some(4));
        assert!(
            content["ApiProxyAny"]["Integration"].is_object(),
            "{content}"
        );
        LogicalId::with_content_hash("ApiDeployment", &content)
    }

    #[test]
    fn a_deployment_id_follows_the_api_content() {
        let first = api_deployment_id("https://internal.example/{proxy}");
        assert_eq!(first.problem(), None);
        assert!(first.as_str().starts_with("ApiDeployment"));
        assert_eq!(api_deployment_id("https://internal.example/{proxy}"), first);
        assert_ne!(
            api_deployment_id("https://internal.example/v2/{proxy}"),
            first
        );
    }

    #[test]
    fn properties_json_marks_unknown_ids() {
        let mut t = Template::new("test");
        let vpc = t.add(id("Vpc"), Vpc::new("10.0.0.0/16"));
        let missing = id("Missing");
        assert_eq!(
            t.properties_json(&[vpc.logical_id(), &missing]),
            json!({"Vpc": {"CidrBlock": "10.0.0.0/16"}, "Missing": null})
        );
    }

    #[test]
    fn a_replaced_resource_keeps_its_place_and_a_foreign_one_is_a_problem() {
        let mut t = Template::new("test");
        let first = t.add(id("First"), LogGroup::new(30));
        t.add(id("Second"), LogGroup::new(30));
        t.replace(&first, LogGroup::new(400));
        let body = t.render(Format::Json).unwrap().body;
        let doc: Value = serde_json::from_str(&body).unwrap();
        let ids: Vec<&String> = doc["Resources"].as_object().unwrap().keys().collect();
        assert_eq!(ids, ["First", "Second"]);
        assert_eq!(
            doc["Resources"]["First"]["Properties"]["RetentionInDays"],
            400
        );

        let mut other = Template::new("other");
        let foreign = other.add(id("Elsewhere"), LogGroup::new(30));
        t.replace(&foreign, LogGroup::new(400));
        let err = t.render(Format::Json).unwrap_err();
        assert!(err.problems[0].contains("Elsewhere"), "{:?}", err.problems);
    }

    #[test]
    fn snapshot_policy_only_on_types_that_support_it() {
        let mut t = Template::new("test");
        t.add_with(
            id("Logs"),
            LogGroup::new(400),
            Attributes::new().deletion_policy(DeletionPolicy::Snapshot),
        );
        assert!(t.render(Format::Yaml).is_err());
    }
}
