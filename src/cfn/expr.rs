//! Typed CloudFormation expressions.
//!
//! Every value that may be computed by CloudFormation (a reference, an attribute, a substitution) is an
//! [`Expr`]. Expressions are built from typed handles ([`crate::cfn::Handle`]) rather than from strings, so a
//! reference names a resource that was really added to a template; the render pass then checks that it is the
//! *same* template (see [`crate::cfn::Template::render`]).

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::logical_id::LogicalId;

/// A pseudo parameter that CloudFormation resolves at deploy time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pseudo {
    /// `AWS::Region`: the region the stack is deployed in, so one template serves every region.
    Region,
    /// `AWS::AccountId`: the deploying account, so no account number is written into the template.
    AccountId,
    /// `AWS::Partition`: `aws`, `aws-cn` or `aws-us-gov`, for ARNs that stay valid in every partition.
    Partition,
    /// `AWS::StackName`: the stack's name, for names that must be unique per stack.
    StackName,
    /// `AWS::StackId`: the stack's ARN.
    StackId,
    /// `AWS::URLSuffix`: `amazonaws.com`, or `amazonaws.com.cn` in China, for service principals and endpoints.
    UrlSuffix,
    /// Removes a property when used in one branch of `Fn::If`.
    NoValue,
}

impl Pseudo {
    /// The name CloudFormation knows the pseudo parameter by, as `Ref` and `${…}` in `Fn::Sub` write it.
    pub fn name(self) -> &'static str {
        match self {
            Pseudo::Region => "AWS::Region",
            Pseudo::AccountId => "AWS::AccountId",
            Pseudo::Partition => "AWS::Partition",
            Pseudo::StackName => "AWS::StackName",
            Pseudo::StackId => "AWS::StackId",
            Pseudo::UrlSuffix => "AWS::URLSuffix",
            Pseudo::NoValue => "AWS::NoValue",
        }
    }
}

/// The resource or parameter a `Ref` names. Only typed handles ([`crate::cfn::Handle`],
/// [`crate::cfn::ParameterHandle`]) create one, so code outside migen cannot point a `Ref` at a made-up name.
#[derive(Clone, Debug, PartialEq)]
pub struct RefTarget(String, Origin);

impl RefTarget {
    pub(super) fn new(logical_id: impl Into<String>, origin: Origin) -> Self {
        RefTarget(logical_id.into(), origin)
    }
}

/// Which template a handle came from: each [`crate::cfn::Template`] has its own, and an expression built from a
/// handle carries it, so that a handle of another template is refused when it is serialized into this one even
/// where both templates have a resource of that logical id. `Origin::UNKNOWN` (a handle made without a
/// template, as unit tests do) is not checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin(u64);

impl Origin {
    /// The origin of a handle made without a template (unit tests): its references are never checked for their
    /// template.
    pub const UNKNOWN: Origin = Origin(0);

    /// A fresh origin, for a new template.
    pub(super) fn fresh() -> Origin {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Origin(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }
}

thread_local! {
    /// The template whose content is being serialized, and the problems its content reported meanwhile.
    static SERIALIZING: std::cell::Cell<Origin> = const { std::cell::Cell::new(Origin::UNKNOWN) };
    static NOTED: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `serialize` as the serialization of content of the template `origin`, and returns its result with the
/// problems the content reported ([`note_problem`]), such as a handle of another template.
pub(super) fn serializing_for<T>(
    origin: Origin,
    serialize: impl FnOnce() -> T,
) -> (T, Vec<String>) {
    let outer = SERIALIZING.with(|current| current.replace(origin));
    let result = serialize();
    SERIALIZING.with(|current| current.set(outer));
    let noted = NOTED.with(|found| std::mem::take(&mut *found.borrow_mut()));
    (result, noted)
}

/// Reports a problem of the content being serialized into a template, which the template's render lists with
/// the resource, output or condition it is in: for checks a value can make only of itself, such as a policy
/// statement's actions. Outside a template's serialization it is not recorded.
pub fn note_problem(problem: impl Into<String>) {
    if SERIALIZING.with(std::cell::Cell::get) != Origin::UNKNOWN {
        NOTED.with(|found| found.borrow_mut().push(problem.into()));
    }
}

/// Notes a reference of `origin` to `id` made while serializing for another template.
fn note_origin(origin: Origin, id: &str) {
    let current = SERIALIZING.with(std::cell::Cell::get);
    if origin != Origin::UNKNOWN && current != Origin::UNKNOWN && origin != current {
        note_problem(format!(
            "refers to {id} through a handle of another template"
        ));
    }
}

/// The resource and attribute an `Fn::GetAtt` reads. Only the attribute accessors of a typed handle create one,
/// and they exist only for attributes the resource type has; the resource and the attribute travel together so
/// they cannot be recombined.
#[derive(Clone, Debug, PartialEq)]
pub struct GetAttTarget {
    resource: String,
    attribute: &'static str,
    origin: Origin,
}

impl GetAttTarget {
    pub(super) fn new(
        resource: impl Into<String>,
        attribute: &'static str,
        origin: Origin,
    ) -> Self {
        GetAttTarget {
            resource: resource.into(),
            attribute,
            origin,
        }
    }
}

/// The condition an `Fn::If` tests. Only [`crate::cfn::ConditionHandle::choose`] creates one.
#[derive(Clone, Debug, PartialEq)]
pub struct ConditionName(String);

impl ConditionName {
    pub(super) fn new(name: impl Into<String>) -> Self {
        ConditionName(name.into())
    }
}

/// A handle to a condition declared in a template ([`crate::cfn::Template::condition`] returns it): the only way
/// to name a condition, so an `Fn::If` or a resource's `Condition` cannot name one that is not declared.
#[derive(Clone, Debug)]
pub struct ConditionHandle(LogicalId);

impl ConditionHandle {
    pub(super) fn new(id: LogicalId) -> Self {
        ConditionHandle(id)
    }

    /// The condition's logical id, as a resource's `Condition` attribute and `Fn::If` name it.
    pub fn name(&self) -> &str {
        self.0.as_str()
    }

    /// `Fn::If` on this condition.
    pub fn choose(&self, then: Expr, otherwise: Expr) -> Expr {
        Expr::If(
            ConditionName::new(self.0.as_str()),
            Box::new(then),
            Box::new(otherwise),
        )
    }
}

/// A CloudFormation value that resolves to a string (or is a plain string).
///
/// References come only from typed handles: the payloads of [`Expr::Ref`], [`Expr::GetAtt`] and [`Expr::If`]
/// have no public constructor, so neither a name nor an attribute can be made up outside migen:
///
/// ```compile_fail,E0423
/// use migen::cfn::expr::{Expr, RefTarget};
/// let _ = Expr::Ref(RefTarget("NotInAnyTemplate".to_string()));
/// ```
///
/// ```compile_fail,E0451
/// use migen::cfn::expr::{Expr, GetAttTarget};
/// let _ = Expr::GetAtt(GetAttTarget { resource: "Key".to_string(), attribute: "NoSuchAttribute" });
/// ```
///
/// ```compile_fail,E0423
/// use migen::cfn::expr::{ConditionName, Expr};
/// let _ = Expr::If(ConditionName("NoSuchCondition".to_string()), Box::new(Expr::lit("a")), Box::new(Expr::no_value()));
/// ```
///
/// References through a handle compile, for the attributes its type has and no other:
///
/// ```
/// use migen::cfn::{Expr, LogicalId, Template};
/// use migen::resources::logs::LogGroup;
/// let mut template = Template::new("example");
/// let logs = template.add(LogicalId::verbatim("Logs"), LogGroup::new(365));
/// let _: Expr = logs.log_group_name();
/// let _: Expr = logs.arn();
/// ```
///
/// ```compile_fail,E0599
/// use migen::cfn::{LogicalId, Template};
/// use migen::resources::logs::LogGroup;
/// let mut template = Template::new("example");
/// let logs = template.add(LogicalId::verbatim("Logs"), LogGroup::new(365));
/// let _ = logs.domain_name(); // an S3 bucket attribute: log groups have none such
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A plain string, written as is: CloudFormation substitutes nothing in it (`${…}` stays literal text).
    Literal(String),
    /// `Ref` to a resource or parameter in the same template.
    Ref(RefTarget),
    /// `Ref` to a pseudo parameter, resolved by CloudFormation at deploy time.
    Pseudo(Pseudo),
    /// `Fn::GetAtt` of an attribute the resource type really has.
    GetAtt(GetAttTarget),
    /// `Fn::Sub` with its variables; `${AWS::…}` pseudo parameters may be used in the string directly.
    Sub(String, BTreeMap<String, Expr>),
    /// `Fn::Join`: the items joined with the delimiter, for a value that mixes literals and references.
    Join(String, Vec<Expr>),
    /// `Fn::Select`: the item at the index (from 0) of a list; an index past the end fails the stack operation.
    Select(u32, Box<ListExpr>),
    /// `Fn::If` on a condition declared in the same template.
    If(ConditionName, Box<Expr>, Box<Expr>),
    /// `Fn::ImportValue`: an output exported by another stack of the same region and account. It cannot cross
    /// regions (cross-region values travel as [`crate::cfn::Parameter`]s), and the export cannot change while imported.
    ImportValue(Box<Expr>),
}

/// A CloudFormation value that resolves to a list of strings.
#[derive(Clone, Debug, PartialEq)]
pub enum ListExpr {
    /// A list of values, written as a JSON list.
    Items(Vec<Expr>),
    /// `Fn::GetAZs` for the stack's region.
    AvailabilityZones,
    /// `Fn::Split`: the value split on the delimiter, e.g. the parts of an ARN that `Ref` returns whole.
    Split(String, Box<Expr>),
}

impl Expr {
    /// A plain string value; `&str` and `String` convert into an [`Expr`] the same way.
    pub fn lit(value: impl Into<String>) -> Self {
        Expr::Literal(value.into())
    }

    /// `Ref` of `AWS::Region`: the region the stack is deployed in.
    pub fn region() -> Self {
        Expr::Pseudo(Pseudo::Region)
    }

    /// `Ref` of `AWS::AccountId`: the account the stack is deployed in.
    pub fn account_id() -> Self {
        Expr::Pseudo(Pseudo::AccountId)
    }

    /// `Ref` of `AWS::Partition`, for ARNs built outside an `Fn::Sub` string.
    pub fn partition() -> Self {
        Expr::Pseudo(Pseudo::Partition)
    }

    /// `Ref` of `AWS::StackName`: the name the stack was deployed under.
    pub fn stack_name() -> Self {
        Expr::Pseudo(Pseudo::StackName)
    }

    /// `Ref` of `AWS::URLSuffix`: the domain suffix of the region's endpoints.
    pub fn url_suffix() -> Self {
        Expr::Pseudo(Pseudo::UrlSuffix)
    }

    /// `Ref` of `AWS::NoValue`: in a branch of [`ConditionHandle::choose`], removes the property as if never set.
    pub fn no_value() -> Self {
        Expr::Pseudo(Pseudo::NoValue)
    }

    /// `Fn::Sub` without variables: only `${AWS::…}` pseudo parameters may appear in `template`.
    pub fn sub(template: impl Into<String>) -> Self {
        Expr::Sub(template.into(), BTreeMap::new())
    }

    /// `Fn::Sub` with typed variables, e.g. `Expr::sub_with("${Bucket}/*", [("Bucket", bucket.arn())])`.
    pub fn sub_with<const N: usize>(template: impl Into<String>, vars: [(&str, Expr); N]) -> Self {
        Expr::Sub(
            template.into(),
            vars.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        )
    }

    /// `Fn::Sub` with a variables map of any size, for substitutions whose variables are collected at run time
    /// (such as the placeholders of a Step Functions definition); the render pass treats the map's names as
    /// defined, exactly as for [`Expr::sub_with`].
    pub fn sub_map(
        template: impl Into<String>,
        vars: impl IntoIterator<Item = (String, Expr)>,
    ) -> Self {
        Expr::Sub(template.into(), vars.into_iter().collect())
    }

    /// `Fn::Join` of `items` with `delimiter`; an empty list joins to the empty string.
    pub fn join(delimiter: impl Into<String>, items: Vec<Expr>) -> Self {
        Expr::Join(delimiter.into(), items)
    }

    /// The `index`-th Availability Zone of the stack's region.
    pub fn availability_zone(index: u32) -> Self {
        Expr::Select(index, Box::new(ListExpr::AvailabilityZones))
    }

    /// `Fn::Select` of the `index`-th item (from 0) of `list`; an index past the end fails the stack operation.
    pub fn select(index: u32, list: ListExpr) -> Self {
        Expr::Select(index, Box::new(list))
    }

    /// A Secrets Manager dynamic reference: the value is resolved by CloudFormation at deploy time and never
    /// appears in the template or in the stack's parameters.
    pub fn secrets_manager_reference(secret_id: &str, json_key: &str) -> Self {
        Expr::Literal(format!(
            "{{{{resolve:secretsmanager:{secret_id}:SecretString:{json_key}}}}}"
        ))
    }

    /// An ARN in the stack's partition, region and account: `arn:${AWS::Partition}:{service}:…:{resource}`.
    pub fn arn(service: &str, resource: &str) -> Self {
        Expr::sub(format!(
            "arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}"
        ))
    }

    /// The regional service principal, e.g. `logs.ap-southeast-1.amazonaws.com`.
    pub fn regional_service_principal(service: &str) -> Self {
        Expr::sub(format!("{service}.${{AWS::Region}}.${{AWS::URLSuffix}}"))
    }

    /// The account's root principal, which delegates authority to the account's IAM policies.
    pub fn account_root_arn() -> Self {
        Expr::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")
    }
}

impl From<&str> for Expr {
    fn from(value: &str) -> Self {
        Expr::Literal(value.to_string())
    }
}

impl From<String> for Expr {
    fn from(value: String) -> Self {
        Expr::Literal(value)
    }
}

impl From<&String> for Expr {
    fn from(value: &String) -> Self {
        Expr::Literal(value.clone())
    }
}

struct Single<'a, T: Serialize + ?Sized>(&'static str, &'a T);

impl<T: Serialize + ?Sized> Serialize for Single<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(self.0, self.1)?;
        map.end()
    }
}

/// Converts a value that has a JSON form to it. Expressions, strings, numbers and maps with string keys always
/// convert, so the `Null` fallback is unreachable for the types migen serializes.
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// The arguments of an intrinsic function, which are of mixed types.
fn args<const N: usize>(items: [serde_json::Value; N]) -> Vec<serde_json::Value> {
    items.into()
}

impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Expr::Literal(s) => serializer.serialize_str(s),
            Expr::Ref(RefTarget(id, origin)) => {
                note_origin(*origin, id);
                Single("Ref", id).serialize(serializer)
            }
            Expr::Pseudo(p) => Single("Ref", p.name()).serialize(serializer),
            Expr::GetAtt(GetAttTarget {
                resource,
                attribute,
                origin,
            }) => {
                note_origin(*origin, resource);
                Single("Fn::GetAtt", &[resource.as_str(), attribute]).serialize(serializer)
            }
            Expr::Sub(template, vars) if vars.is_empty() => {
                Single("Fn::Sub", template).serialize(serializer)
            }
            Expr::Sub(template, vars) => {
                Single("Fn::Sub", &args([to_json(template), to_json(vars)])).serialize(serializer)
            }
            Expr::Join(delimiter, items) => {
                Single("Fn::Join", &args([to_json(delimiter), to_json(items)]))
                    .serialize(serializer)
            }
            Expr::Select(index, list) => Single(
                "Fn::Select",
                &args([to_json(index), to_json(list.as_ref())]),
            )
            .serialize(serializer),
            Expr::If(ConditionName(condition), then, otherwise) => Single(
                "Fn::If",
                &args([
                    to_json(condition),
                    to_json(then.as_ref()),
                    to_json(otherwise.as_ref()),
                ]),
            )
            .serialize(serializer),
            Expr::ImportValue(name) => {
                Single("Fn::ImportValue", name.as_ref()).serialize(serializer)
            }
        }
    }
}

impl Serialize for ListExpr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ListExpr::Items(items) => items.serialize(serializer),
            ListExpr::AvailabilityZones => Single("Fn::GetAZs", "").serialize(serializer),
            ListExpr::Split(delimiter, source) => Single(
                "Fn::Split",
                &args([to_json(delimiter), to_json(source.as_ref())]),
            )
            .serialize(serializer),
        }
    }
}

/// In a resource's JSON Schema an expression stands for the string it resolves to; the property-conformance
/// check compares that type with CloudFormation's schema.
impl JsonSchema for Expr {
    fn schema_name() -> Cow<'static, str> {
        "Expr".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string"})
    }
}

impl JsonSchema for ListExpr {
    fn schema_name() -> Cow<'static, str> {
        "ListExpr".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "array", "items": {"type": "string"}})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(e: &Expr) -> serde_json::Value {
        serde_json::to_value(e).unwrap()
    }

    #[test]
    fn intrinsic_functions_use_long_form() {
        assert_eq!(
            v(&Expr::Ref(RefTarget::new("Vpc", Origin::UNKNOWN))),
            json!({"Ref": "Vpc"})
        );
        assert_eq!(v(&Expr::region()), json!({"Ref": "AWS::Region"}));
        assert_eq!(
            v(&Expr::GetAtt(GetAttTarget::new(
                "Key",
                "Arn",
                Origin::UNKNOWN
            ))),
            json!({"Fn::GetAtt": ["Key", "Arn"]})
        );
        assert_eq!(
            v(&Expr::availability_zone(1)),
            json!({"Fn::Select": [1, {"Fn::GetAZs": ""}]})
        );
        assert_eq!(
            v(&Expr::sub_with(
                "${B}/*",
                [("B", Expr::Ref(RefTarget::new("Bucket", Origin::UNKNOWN)))]
            )),
            json!({"Fn::Sub": ["${B}/*", {"B": {"Ref": "Bucket"}}]})
        );
        assert_eq!(
            v(&Expr::sub_map(
                "${A}:${B}",
                [
                    ("B".to_string(), Expr::lit("b")),
                    (
                        "A".to_string(),
                        Expr::Ref(RefTarget::new("X", Origin::UNKNOWN))
                    ),
                ]
            )),
            json!({"Fn::Sub": ["${A}:${B}", {"A": {"Ref": "X"}, "B": "b"}]})
        );
        assert_eq!(
            v(&Expr::sub("${AWS::Region}")),
            json!({"Fn::Sub": "${AWS::Region}"})
        );
        assert_eq!(
            v(&Expr::join(
                ",",
                vec!["a".into(), Expr::Ref(RefTarget::new("X", Origin::UNKNOWN))]
            )),
            json!({"Fn::Join": [",", ["a", {"Ref": "X"}]]})
        );
        assert_eq!(
            v(&Expr::If(
                ConditionName::new("IsProd"),
                Box::new("a".into()),
                Box::new(Expr::no_value())
            )),
            json!({"Fn::If": ["IsProd", "a", {"Ref": "AWS::NoValue"}]})
        );
        assert_eq!(
            v(&Expr::select(
                6,
                ListExpr::Split(
                    ":".into(),
                    Box::new(Expr::Ref(RefTarget::new("Task", Origin::UNKNOWN)))
                )
            )),
            json!({"Fn::Select": [6, {"Fn::Split": [":", {"Ref": "Task"}]}]})
        );
    }

    #[test]
    fn dynamic_references_are_plain_strings() {
        assert_eq!(
            v(&Expr::secrets_manager_reference("prod/source", "password")),
            json!("{{resolve:secretsmanager:prod/source:SecretString:password}}")
        );
    }
}
