//! Logical ids: the names of resources, parameters, conditions and outputs inside a template.
//!
//! CloudFormation requires them to be alphanumeric (`[A-Za-z0-9]`), at most 255 characters and unique. migen
//! derives them from the layer and the purpose of the resource (`network` + `production vpc` →
//! `NetworkProductionVpc`), never from code position or a hash, so they stay stable when code moves and a
//! reviewer can tell from the id alone what a resource is for. Renaming a logical id replaces the resource, so
//! stability matters for stateful resources.

use std::fmt;

/// CloudFormation's limit on the length of a logical id.
pub const MAX_LOGICAL_ID_LEN: usize = 255;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogicalId(String);

impl LogicalId {
    /// Builds an id from words: each part is split on anything that is not a letter or digit, and every word is
    /// capitalised, so `("storage", "rollback-state bucket")` becomes `StorageRollbackStateBucket`.
    pub fn from_parts(parts: &[&str]) -> Self {
        let mut id = String::new();
        for word in parts
            .iter()
            .flat_map(|p| p.split(|c: char| !c.is_ascii_alphanumeric()))
        {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                id.push(first.to_ascii_uppercase());
                id.extend(chars);
            }
        }
        LogicalId(id)
    }

    /// Takes an id as written; [`LogicalId::problem`] reports whether CloudFormation would accept it.
    pub fn verbatim(id: impl Into<String>) -> Self {
        LogicalId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Why CloudFormation would reject this id, if it would.
    pub fn problem(&self) -> Option<String> {
        if self.0.is_empty() {
            Some("a logical id must not be empty".into())
        } else if !self.0.chars().all(|c| c.is_ascii_alphanumeric()) {
            Some(format!(
                "logical id `{}` must contain only the characters A-Z, a-z and 0-9",
                self.0
            ))
        } else if self.0.len() > MAX_LOGICAL_ID_LEN {
            Some(format!(
                "logical id `{}…` is {} characters long; CloudFormation allows at most {MAX_LOGICAL_ID_LEN}",
                &self.0[..32],
                self.0.len()
            ))
        } else {
            None
        }
    }
}

impl fmt::Display for LogicalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_become_pascal_case() {
        assert_eq!(
            LogicalId::from_parts(&["storage", "rollback-state bucket"]).as_str(),
            "StorageRollbackStateBucket"
        );
        assert_eq!(
            LogicalId::from_parts(&["network", "private_subnet", "az1"]).as_str(),
            "NetworkPrivateSubnetAz1"
        );
        assert_eq!(
            LogicalId::from_parts(&["network", "production vpc"]).problem(),
            None
        );
    }

    #[test]
    fn invalid_ids_are_reported() {
        assert!(LogicalId::verbatim("").problem().is_some());
        assert!(LogicalId::verbatim("Has-Hyphen").problem().is_some());
        assert!(LogicalId::verbatim("a".repeat(256)).problem().is_some());
        assert!(LogicalId::verbatim("a".repeat(255)).problem().is_none());
        assert!(LogicalId::from_parts(&["--", " "]).problem().is_some());
    }
}
