//! The `Fn::Sub` string syntax, read in one place. The reference check of the render pass, the review tools'
//! reference walker, the dashboard's resolved body and the ASL builder's placeholders all read `${…}` by these
//! rules, the ones CloudFormation documents for `Fn::Sub`: `${Name}` names a parameter, a resource (its `Ref`),
//! `Resource.Attribute` (its `Fn::GetAtt`), a pseudo parameter (`AWS::Region`) or a variable of the
//! substitution's map; `${!Text}` is the literal text `${Text}`. A `${` without a closing `}` is literal text.

/// One piece of an `Fn::Sub` string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part<'a> {
    /// Text written as is.
    Text(&'a str),
    /// `${!Text}`: CloudFormation writes `${Text}`; this holds `Text`.
    Escaped(&'a str),
    /// `${Name}`: what CloudFormation substitutes; this holds `Name`.
    Name(&'a str),
}

/// The pieces of `text`, in order.
pub fn parts(text: &str) -> Vec<Part<'_>> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        if start > 0 {
            parts.push(Part::Text(&rest[..start]));
        }
        let inside = &after[..end];
        parts.push(match inside.strip_prefix('!') {
            Some(literal) => Part::Escaped(literal),
            None => Part::Name(inside),
        });
        rest = &after[end + 1..];
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest));
    }
    parts
}

/// The names a string substitutes, in order: every `${Name}`, without the escaped ones.
pub fn names(text: &str) -> impl Iterator<Item = &str> {
    parts(text).into_iter().filter_map(|part| match part {
        Part::Name(name) => Some(name),
        _ => None,
    })
}

/// Whether a substituted name is a pseudo parameter (`AWS::Region`), which no template declares.
pub fn is_pseudo(name: &str) -> bool {
    name.starts_with("AWS::")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_escapes_and_text_are_told_apart() {
        assert_eq!(
            parts("arn:${AWS::Partition}:s3:::${Bucket}/${!literal}/${Key.Arn}-end"),
            [
                Part::Text("arn:"),
                Part::Name("AWS::Partition"),
                Part::Text(":s3:::"),
                Part::Name("Bucket"),
                Part::Text("/"),
                Part::Escaped("literal"),
                Part::Text("/"),
                Part::Name("Key.Arn"),
                Part::Text("-end"),
            ]
        );
        assert_eq!(names("${A}${!B}${C.D}").collect::<Vec<_>>(), ["A", "C.D"]);
    }

    #[test]
    fn an_unclosed_brace_is_text() {
        assert_eq!(
            parts("a ${B} ${c"),
            [Part::Text("a "), Part::Name("B"), Part::Text(" ${c")]
        );
        assert_eq!(parts(""), []);
    }
}
