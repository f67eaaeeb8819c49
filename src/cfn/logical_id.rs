//! Logical ids: the names of resources, parameters, conditions and outputs inside a template.
//!
//! CloudFormation requires them to be alphanumeric (`[A-Za-z0-9]`), at most 255 characters and unique. migen
//! derives them from the layer and the purpose of the resource (`network` + `production vpc` →
//! `NetworkProductionVpc`), never from code position or a hash, so they stay stable when code moves and a
//! reviewer can tell from the id alone what a resource is for. Renaming a logical id replaces the resource, so
//! stability matters for stateful resources.
//!
//! The one exception is a resource that must be *replaced* whenever some content changes, such as an API
//! Gateway deployment (a snapshot CloudFormation re-creates only under a new logical id):
//! [`LogicalId::with_content_hash`] appends a hash of that content to a readable base.

use std::fmt;

/// CloudFormation's limit on the length of a logical id.
pub const MAX_LOGICAL_ID_LEN: usize = 255;

/// Hex digits of the suffix [`LogicalId::with_content_hash`] appends: 40 bits, so two versions of the same
/// content collide with odds of about one in a trillion.
pub const CONTENT_HASH_DIGITS: usize = 10;

/// The name of a resource, parameter, condition or output in a template, derived from its layer and purpose so it
/// stays stable across renders and code moves: a changed id makes CloudFormation replace the resource.
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

    /// `base` (as by [`LogicalId::from_parts`]) followed by [`CONTENT_HASH_DIGITS`] hex digits of a hash of
    /// `content`, so the id changes exactly when the content does. The hash is FNV-1a (64 bits) of the content's
    /// canonical JSON (object keys sorted, no whitespace): the same content gives the same id on every machine
    /// and in every run, whatever order its maps were built in. The base is shortened if base and suffix would
    /// exceed [`MAX_LOGICAL_ID_LEN`].
    pub fn with_content_hash(base: &str, content: &serde_json::Value) -> Self {
        let base: String = LogicalId::from_parts(&[base])
            .0
            .chars()
            .take(MAX_LOGICAL_ID_LEN - CONTENT_HASH_DIGITS)
            .collect();
        let mut canonical = String::new();
        write_canonical(content, &mut canonical);
        let digest = fnv1a_64(canonical.as_bytes());
        let suffix = format!("{digest:016x}");
        LogicalId(format!("{base}{}", &suffix[..CONTENT_HASH_DIGITS]))
    }

    /// The id as the template writes it (in `Ref`, `Fn::GetAtt` and `DependsOn`).
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

/// FNV-1a, 64 bits: small, deterministic and good enough to tell versions of a document apart (it is no defence
/// against someone crafting a collision, which nothing here needs).
fn fnv1a_64(bytes: &[u8]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET_BASIS, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(PRIME)
    })
}

/// JSON with object keys in byte order and no whitespace. Templates keep maps in insertion order, so the
/// ordinary serialization of equal content can differ.
fn write_canonical(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
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

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn content_hash_ids_are_stable_valid_and_follow_the_content() {
        use serde_json::json;
        let id = LogicalId::with_content_hash("api deployment", &json!({"a": 1, "b": [true, "x"]}));
        assert!(id.as_str().starts_with("ApiDeployment"), "{id}");
        assert_eq!(
            id.as_str().len(),
            "ApiDeployment".len() + CONTENT_HASH_DIGITS
        );
        assert_eq!(id.problem(), None);
        // Key order does not matter; values do.
        let reordered: serde_json::Value =
            serde_json::from_str(r#"{"b": [true, "x"], "a": 1}"#).unwrap();
        assert_eq!(
            LogicalId::with_content_hash("api deployment", &reordered),
            id
        );
        assert_ne!(
            LogicalId::with_content_hash("api deployment", &json!({"a": 2, "b": [true, "x"]})),
            id
        );
        // The same content under another base keeps its suffix.
        let other = LogicalId::with_content_hash("Other", &json!({"a": 1, "b": [true, "x"]}));
        assert_eq!(other.as_str()[5..], id.as_str()["ApiDeployment".len()..]);

        let long = LogicalId::with_content_hash(&"a".repeat(400), &json!(null));
        assert_eq!(long.as_str().len(), MAX_LOGICAL_ID_LEN);
        assert_eq!(long.problem(), None);
    }
}
