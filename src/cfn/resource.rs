//! The contract between typed resources and the template: a resource type, its tags, and a typed handle.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use schemars::JsonSchema;
use serde::Serialize;

use super::expr::{ConditionHandle, Expr, GetAttTarget, Origin, RefTarget};
use super::logical_id::LogicalId;

/// One CloudFormation resource type.
///
/// Implementations are the structs in [`crate::resources`]: required properties are constructor arguments and
/// optional ones are `Option` fields set by builder methods, so a resource without its required properties cannot
/// be built. `JsonSchema` lets CI compare every property a struct can emit with CloudFormation's own schema.
pub trait Resource: Serialize + JsonSchema {
    /// The CloudFormation type name, e.g. `AWS::EC2::VPC`.
    const TYPE: &'static str;

    /// The attributes `Fn::GetAtt` can read, e.g. `Arn` or `Endpoint.Address`: exactly those the type's handle
    /// has accessors for (both come from the `attributes` block of [`crate::resource_type!`]).
    const ATTRIBUTES: &'static [&'static str];

    /// Sets the resource's tags. Types that CloudFormation cannot tag ignore the call; which types can is
    /// checked against CloudFormation's schemas in CI.
    fn set_tags(&mut self, tags: &TagSet);

    /// Whether [`Resource::set_tags`] has any effect for this type.
    fn taggable() -> bool;
}

/// The tags every taggable resource carries, in a fixed (sorted) order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TagSet(pub BTreeMap<String, String>);

impl TagSet {
    /// A copy with `key` set to `value` (replacing an existing value), e.g. a resource's own `Name` on top of the
    /// stack's tags.
    pub fn with(&self, key: &str, value: impl Into<String>) -> TagSet {
        let mut tags = self.clone();
        tags.0.insert(key.to_string(), value.into());
        tags
    }

    /// The tags as `[{Key, Value}]`, sorted by key, the form most resource types take.
    pub fn as_list(&self) -> Vec<Tag> {
        self.0
            .iter()
            .map(|(k, v)| Tag {
                key: k.clone(),
                value: v.clone(),
            })
            .collect()
    }
}

/// A tag in the list form most resource types use.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// Tag key, e.g. `Environment`; AWS reserves the `aws:` prefix.
    pub key: String,
    /// Tag value, a literal so that cost and compliance reports can read it without deploying.
    pub value: String,
}

/// Implements [`Resource`] for a struct. `tags: list` stores tags as `[{Key, Value}]` in the struct's
/// `tags: Option<Vec<Tag>>` field; `tags: map` as `{key: value}` in `tags: Option<BTreeMap<String, String>>`;
/// `tags: none` marks a type CloudFormation cannot tag.
///
/// `attributes { ref: vpc_id, cidr_block => "CidrBlock" }` declares, in one place, what `Ref` returns and the
/// attributes `Fn::GetAtt` can read: each becomes a method on the type's handle (`Handle<Vpc>::vpc_id()`,
/// `Handle<Vpc>::cidr_block()`), so an attribute the type does not have is a compile error rather than a failed
/// deployment, and the names become [`Resource::ATTRIBUTES`], against which the render pass checks
/// `${Resource.Attribute}` in `Fn::Sub` strings. A type without the block has no attributes.
#[macro_export]
macro_rules! resource_type {
    ($ty:ty, $name:literal, tags: $tags:ident $(,)?) => {
        $crate::resource_type!(@impl $ty, $name, $tags, []);
    };
    ($ty:ty, $name:literal, tags: $tags:ident, attributes {
        ref: $(#[$rm:meta])* $ref_fn:ident $(, $(#[$m:meta])* $fn:ident => $attr:literal)* $(,)?
    }) => {
        $crate::resource_type!(@impl $ty, $name, $tags, [$($attr),*]);
        impl $crate::cfn::Handle<$ty> {
            $(#[$rm])*
            pub fn $ref_fn(&self) -> $crate::cfn::Expr {
                self.r#ref()
            }
            $(
                $(#[$m])*
                pub fn $fn(&self) -> $crate::cfn::Expr {
                    self.get_att($attr)
                }
            )*
        }
    };
    // For a type defined outside migen, whose handle cannot take inherent methods there: the attributes become
    // the methods of a trait of the caller's crate, implemented for the type's handle.
    ($ty:ty, $name:literal, tags: $tags:ident, attributes in $trait:ident {
        ref: $(#[$rm:meta])* $ref_fn:ident $(, $(#[$m:meta])* $fn:ident => $attr:literal)* $(,)?
    }) => {
        $crate::resource_type!(@impl $ty, $name, $tags, [$($attr),*]);
        /// What `Ref` returns and the attributes `Fn::GetAtt` can read, on the type's handle.
        pub trait $trait {
            $(#[$rm])*
            fn $ref_fn(&self) -> $crate::cfn::Expr;
            $(
                $(#[$m])*
                fn $fn(&self) -> $crate::cfn::Expr;
            )*
        }
        impl $trait for $crate::cfn::Handle<$ty> {
            fn $ref_fn(&self) -> $crate::cfn::Expr {
                self.r#ref()
            }
            $(
                fn $fn(&self) -> $crate::cfn::Expr {
                    self.attribute($attr)
                }
            )*
        }
    };
    (@impl $ty:ty, $name:literal, $tags:ident, [$($attr:literal),*]) => {
        impl $crate::cfn::Resource for $ty {
            const TYPE: &'static str = $name;
            const ATTRIBUTES: &'static [&'static str] = &[$($attr),*];
            $crate::resource_type!(@tags $tags);
        }
    };
    (@tags list) => {
        fn set_tags(&mut self, tags: &$crate::cfn::TagSet) {
            self.tags = Some(tags.as_list());
        }
        fn taggable() -> bool {
            true
        }
    };
    (@tags map) => {
        fn set_tags(&mut self, tags: &$crate::cfn::TagSet) {
            self.tags = Some(tags.0.clone());
        }
        fn taggable() -> bool {
            true
        }
    };
    (@tags none) => {
        fn set_tags(&mut self, _: &$crate::cfn::TagSet) {}
        fn taggable() -> bool {
            false
        }
    };
}

/// Implements [`PhysicalName`] for a struct: `physical_name!(Function, function_name, "FunctionName", |name|
/// Some(Expr::lit(name)))` names the property and how the field holds the literal.
#[macro_export]
macro_rules! physical_name {
    ($ty:ty, $field:ident, $property:literal, |$name:ident| $value:expr) => {
        impl $crate::cfn::PhysicalName for $ty {
            const NAME_PROPERTY: &'static str = $property;
            fn set_physical_name(&mut self, $name: &str) {
                self.$field = $value;
            }
        }
    };
}

/// A resource of a type migen has no builder for, added with [`crate::cfn::Template::add_raw`]: its type name,
/// the attributes it declares and its properties as JSON. Its handle reads attributes by name
/// ([`Handle::attribute`]), checked at render against the declared ones, and its properties take part in the
/// reference checks like any other resource's.
pub struct Raw;

/// A resource that has been added to a template. Only [`crate::cfn::Template::add`] creates handles, so every
/// expression built from one names a resource that exists (in the template that created it; the render pass
/// rejects handles used across templates).
pub struct Handle<R> {
    id: LogicalId,
    origin: Origin,
    _type: PhantomData<fn() -> R>,
}

impl<R> Handle<R> {
    /// A handle that belongs to no template, for unit tests: never checked for its template.
    #[cfg(test)]
    pub(crate) fn new(id: LogicalId) -> Self {
        Handle::of_template(id, Origin::UNKNOWN)
    }

    pub(crate) fn of_template(id: LogicalId, origin: Origin) -> Self {
        Handle {
            id,
            origin,
            _type: PhantomData,
        }
    }

    /// The resource's logical id, for `DependsOn`, reports and ids derived from it.
    pub fn logical_id(&self) -> &LogicalId {
        &self.id
    }

    /// `Ref` to this resource; what it returns depends on the type (see the type's named accessor).
    pub fn r#ref(&self) -> Expr {
        Expr::Ref(RefTarget::new(self.id.as_str(), self.origin))
    }

    pub(crate) fn get_att(&self, attribute: &'static str) -> Expr {
        Expr::GetAtt(GetAttTarget::new(self.id.as_str(), attribute, self.origin))
    }

    /// `Fn::GetAtt` of `attribute` by name, for a type whose attributes have no typed accessor (a [`Raw`]
    /// resource). The render refuses an attribute the type did not declare.
    pub fn attribute(&self, attribute: &'static str) -> Expr {
        self.get_att(attribute)
    }
}

impl<R> Clone for Handle<R> {
    fn clone(&self) -> Self {
        Handle::of_template(self.id.clone(), self.origin)
    }
}

impl<R> fmt::Debug for Handle<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Handle({})", self.id)
    }
}

/// A resource type whose physical name is one of its properties (`FunctionName`, `AlarmName`, ...).
/// [`crate::cfn::Template::add_named`] sets that property to a literal and returns a [`Named`] handle carrying
/// it, so what refers to the resource by name (a metric's dimension, an alarm list, the runbook) takes the name
/// from the handle instead of reading the property back.
pub trait PhysicalName: Resource {
    /// The property that holds the name.
    const NAME_PROPERTY: &'static str;

    /// Sets the name property to the literal `name`.
    fn set_physical_name(&mut self, name: &str);
}

/// A handle to a resource whose physical name the template states as a literal: a [`Handle`] (which it
/// dereferences to) and the name. Only [`crate::cfn::Template::add_named`] creates one.
pub struct Named<R> {
    handle: Handle<R>,
    name: String,
}

impl<R> Named<R> {
    pub(crate) fn new(handle: Handle<R>, name: String) -> Self {
        Named { handle, name }
    }

    /// The physical name, as the template states it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The plain handle, for code that takes a [`Handle`] rather than a [`Named`].
    pub fn handle(&self) -> &Handle<R> {
        &self.handle
    }
}

impl<R> std::ops::Deref for Named<R> {
    type Target = Handle<R>;

    fn deref(&self) -> &Handle<R> {
        &self.handle
    }
}

impl<R> Clone for Named<R> {
    fn clone(&self) -> Self {
        Named::new(self.handle.clone(), self.name.clone())
    }
}

impl<R> fmt::Debug for Named<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Named({}, {:?})", self.handle.id, self.name)
    }
}

impl<R> Dependency for Named<R> {
    fn dependency_id(&self) -> &LogicalId {
        &self.handle.id
    }
}

/// Anything a `DependsOn` can name.
pub trait Dependency {
    /// The logical id that a `DependsOn` naming this lists.
    fn dependency_id(&self) -> &LogicalId;
}

impl<R> Dependency for Handle<R> {
    fn dependency_id(&self) -> &LogicalId {
        &self.id
    }
}

/// What CloudFormation does with a resource's physical resource when the resource leaves the stack or is
/// replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum DeletionPolicy {
    /// Deletes the physical resource and its data: CloudFormation's default for most types.
    Delete,
    /// Keeps the physical resource outside the stack: it goes on costing until deleted by hand.
    Retain,
    /// Keeps the physical resource, except when the operation that created it rolls back (nothing is kept then).
    RetainExceptOnCreate,
    /// Takes a final snapshot, then deletes; only the types that support it accept it, which the render checks.
    Snapshot,
}

/// The resource attributes CloudFormation allows on every resource.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attributes {
    pub(crate) depends_on: Vec<LogicalId>,
    pub(crate) deletion_policy: Option<DeletionPolicy>,
    pub(crate) update_replace_policy: Option<DeletionPolicy>,
    pub(crate) condition: Option<String>,
    pub(crate) metadata: BTreeMap<String, serde_json::Value>,
}

impl Attributes {
    /// No attributes: no `DependsOn`, no condition, and the type's default deletion policy.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a `DependsOn` on `dependency`, for an order no reference implies. One that a reference already implies
    /// is dropped at render (cfn-lint W3005), so callers need not track which references exist.
    pub fn depends_on(mut self, dependency: &impl Dependency) -> Self {
        let id = dependency.dependency_id().clone();
        if !self.depends_on.contains(&id) {
            self.depends_on.push(id);
        }
        self
    }

    /// What CloudFormation does with the physical resource when it leaves the stack or the stack is deleted.
    pub fn deletion_policy(mut self, policy: DeletionPolicy) -> Self {
        self.deletion_policy = Some(policy);
        self
    }

    /// What CloudFormation does with the old physical resource when an update replaces it with a new one.
    pub fn update_replace_policy(mut self, policy: DeletionPolicy) -> Self {
        self.update_replace_policy = Some(policy);
        self
    }

    /// Keeps the physical resource, and everything in it, when the stack is deleted or the resource is replaced.
    pub fn retain(self) -> Self {
        self.deletion_policy(DeletionPolicy::Retain)
            .update_replace_policy(DeletionPolicy::Retain)
    }

    /// Creates the resource only where `condition` is true. A reference to it must be guarded by the same
    /// condition (or an `Fn::If` on it), or the deploy fails where the condition is false.
    pub fn condition(mut self, condition: &ConditionHandle) -> Self {
        self.condition = Some(condition.name().to_string());
        self
    }

    /// Sets `key` in the resource's `Metadata`, which tools such as cfn-lint and checkov read; references in it are
    /// checked like those in the properties.
    pub fn metadata(mut self, key: &str, value: serde_json::Value) -> Self {
        self.metadata.insert(key.to_string(), value);
        self
    }

    /// Skips a checkov check on this resource (`Metadata.checkov.skip`), with the reason checkov reports beside
    /// the skip; scripts/checkov refuses a skip without one.
    pub fn skip_checkov_check(mut self, check: &str, reason: &str) -> Self {
        let checkov = self
            .metadata
            .entry("checkov".to_string())
            .or_insert_with(|| serde_json::json!({"skip": []}));
        if let Some(skips) = checkov["skip"].as_array_mut() {
            skips.push(serde_json::json!({"id": check, "comment": reason}));
        }
        self
    }

    /// Suppresses a cfn-guard rule on this resource. The reason is rendered beside the suppression so a reviewer
    /// sees why the rule does not fit; README lists every suppression migen makes.
    pub fn suppress_guard_rule(mut self, rule: &str, reason: &str) -> Self {
        let guard = self
            .metadata
            .entry("guard".to_string())
            .or_insert_with(|| serde_json::json!({"SuppressedRules": [], "Reasons": {}}));
        if let Some(rules) = guard["SuppressedRules"].as_array_mut() {
            rules.push(serde_json::Value::String(rule.to_string()));
        }
        if let Some(reasons) = guard["Reasons"].as_object_mut() {
            reasons.insert(
                rule.to_string(),
                serde_json::Value::String(reason.to_string()),
            );
        }
        self
    }
}
