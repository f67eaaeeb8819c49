//! The CloudFormation core: templates, typed expressions, logical ids, resource attributes and quotas. Nothing
//! here knows about the payment migration; [`crate::resources`] and [`crate::payment_migration`] build on it.

pub mod expr;
pub mod logical_id;
pub mod quota;
pub mod references;
pub mod resource;
pub mod sub;
pub mod template;
pub mod yaml;

pub use expr::{ConditionHandle, Expr, ListExpr, Pseudo, note_problem};
pub use logical_id::LogicalId;
pub use resource::{
    Attributes, DeletionPolicy, Dependency, Handle, Named, PhysicalName, Raw, Resource, Tag, TagSet,
};
pub use template::{
    ConditionExpr, Format, Output, Parameter, ParameterHandle, RenderedTemplate, Template,
    TemplateError,
};

/// Builder methods for optional properties: `name: Type` generates `fn name(self, value: impl Into<Type>)`
/// setting `self.name = Some(value.into())`.
#[macro_export]
macro_rules! optional_properties {
    ($($(#[$m:meta])* $name:ident: $ty:ty),* $(,)?) => {
        $(
            $(#[$m])*
            pub fn $name(mut self, value: impl Into<$ty>) -> Self {
                self.$name = Some(value.into());
                self
            }
        )*
    };
}
