//! Places in a state's data, named once: the state that writes a value and every state that reads it use the same
//! [`Path`], so a renamed field cannot leave a reader looking at a path nothing writes.

use std::fmt;

/// A JSONPath of the workflow's data (`$.bake`), and the paths of its fields (`$.bake.Polls`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Path(&'static str);

impl Path {
    /// `path` must start with `$.`; [`crate::asl::StateMachineDefinition::build`] reports one that does not
    /// where it is used.
    pub const fn new(path: &'static str) -> Self {
        Path(path)
    }

    /// The JSONPath as written (`$.bake`), for a `ResultPath`, a Choice `Variable` or a parameter's `.$` value.
    pub fn as_str(&self) -> &'static str {
        self.0
    }

    /// The path of `field` under this one.
    pub fn at(&self, field: &str) -> String {
        format!("{}.{field}", self.0)
    }

    /// The first element of the list at `field` (`$.x.Statuses[0]`), for a Choice that reads one value of a
    /// list an indefinite path produced.
    pub fn first(&self, field: &str) -> String {
        format!("{}.{field}[0]", self.0)
    }
}

impl From<Path> for String {
    fn from(path: Path) -> String {
        path.0.to_string()
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_hang_under_their_path() {
        const BAKE: Path = Path::new("$.bake");
        assert_eq!(BAKE.at("Polls"), "$.bake.Polls");
        assert_eq!(BAKE.first("Statuses"), "$.bake.Statuses[0]");
        assert_eq!(String::from(BAKE), "$.bake");
    }
}
