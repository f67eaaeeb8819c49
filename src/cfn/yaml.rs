//! Block-style YAML for a rendered template, safe for YAML 1.1 readers.
//!
//! CloudFormation reads YAML templates with YAML 1.1 rules, and so do PyYAML (cfn-lint) and most tools around
//! it. Under those rules plain scalars such as `no`, `on`, `y`, `~`, `10:30`, `1_000`, `2012-10-17` or `<<`
//! are booleans, numbers, timestamps, null or merge keys, not strings. A YAML 1.2 emitter writes them plain, so
//! an environment named `no` would turn every `Environment` tag into `false`. This emitter writes a string plain
//! only when a YAML 1.1 reader and a YAML 1.2 core reader both read it back as that same string; otherwise it
//! quotes it. When in doubt it quotes: a quoted string is always a string.
//!
//! The layout follows the libyaml emitter that rendered the templates before (2-space indentation, sequences
//! inside mappings at the mapping's indentation, `- key: value` for mappings in sequences, `|` literal blocks for
//! multi-line strings, single quotes where plain is not possible), so the rendered templates only change where a
//! string had to be quoted.

use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

/// libyaml writes a key longer than this many bytes as an explicit `? key` entry; YAML readers cap simple keys
/// (PyYAML at 1024 characters), so long keys stay explicit.
const SIMPLE_KEY_MAX: usize = 128;

/// Renders `value` as a YAML document ending with a newline.
pub fn to_string(value: &Value) -> String {
    let mut out = String::with_capacity(estimate(value));
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0, false),
        Value::Array(seq) if !seq.is_empty() => write_seq(&mut out, seq, 0, false),
        scalar => {
            write_scalar(&mut out, scalar, Context::Root, 0);
            end_line(&mut out);
        }
    }
    out
}

/// Where a scalar is written: block scalars (`|`) are only possible as values inside a collection.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    Root,
    Key,
    Value,
}

/// How a string is written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

fn indent(out: &mut String, width: usize) {
    const SPACES: &str = "                                                                ";
    let mut left = width;
    while left > 0 {
        let n = left.min(SPACES.len());
        out.push_str(&SPACES[..n]);
        left -= n;
    }
}

/// Ends the current line unless a literal block scalar already ended it with its own line break.
fn end_line(out: &mut String) {
    if !out.ends_with('\n') {
        out.push('\n');
    }
}

/// Writes the entries of a non-empty mapping at `width` columns. With `inline`, the caller already wrote the
/// first entry's indentation (a sequence item's `- `).
fn write_map(out: &mut String, map: &Map<String, Value>, width: usize, inline: bool) {
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 || !inline {
            indent(out, width);
        }
        if key.len() > SIMPLE_KEY_MAX {
            // An explicit entry: `? key` on its own line, then `: value`, whose collections are indented
            // past the `: `.
            out.push_str("? ");
            write_str(out, key, Context::Key, width + 2);
            out.push('\n');
            indent(out, width);
            out.push_str(": ");
            write_node(out, value, width + 2);
            continue;
        }
        write_str(out, key, Context::Key, width + 2);
        out.push(':');
        match value {
            Value::Object(inner) if !inner.is_empty() => {
                out.push('\n');
                write_map(out, inner, width + 2, false);
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_seq(out, inner, width, false);
            }
            scalar => {
                out.push(' ');
                write_scalar(out, scalar, Context::Value, width + 2);
                end_line(out);
            }
        }
    }
}

/// Writes the items of a non-empty sequence at `width` columns; `inline` as for [`write_map`].
fn write_seq(out: &mut String, seq: &[Value], width: usize, inline: bool) {
    for (i, item) in seq.iter().enumerate() {
        if i > 0 || !inline {
            indent(out, width);
        }
        out.push_str("- ");
        write_node(out, item, width + 2);
    }
}

/// Writes a node whose first line continues after an indicator (`- `, `: `); its other lines are at `width`.
fn write_node(out: &mut String, value: &Value, width: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => write_map(out, map, width, true),
        Value::Array(seq) if !seq.is_empty() => write_seq(out, seq, width, true),
        scalar => {
            write_scalar(out, scalar, Context::Value, width);
            end_line(out);
        }
    }
}

/// Writes a scalar or an empty collection; `width` is the indentation of a literal block's lines.
fn write_scalar(out: &mut String, value: &Value, context: Context, width: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_str(out, s, context, width),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

/// Numbers as JSON writes them, except that a float in exponent form gets a fractional part and a signed
/// exponent (`1e20` becomes `1.0e+20`): YAML 1.1 reads `1e20` as a string.
fn write_number(out: &mut String, n: &Number) {
    if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else {
        let text = n.to_string();
        match text.split_once(['e', 'E']) {
            Some((mantissa, exponent)) => {
                out.push_str(mantissa);
                if !mantissa.contains('.') {
                    out.push_str(".0");
                }
                out.push('e');
                if !exponent.starts_with(['+', '-']) {
                    out.push('+');
                }
                out.push_str(exponent);
            }
            None => out.push_str(&text),
        }
    }
}

fn write_str(out: &mut String, s: &str, context: Context, width: usize) {
    match style(s, context) {
        Style::Plain => out.push_str(s),
        Style::SingleQuoted if !s.contains('\'') => {
            out.push('\'');
            out.push_str(s);
            out.push('\'');
        }
        Style::SingleQuoted => {
            out.push('\'');
            for (i, part) in s.split('\'').enumerate() {
                if i > 0 {
                    out.push_str("''");
                }
                out.push_str(part);
            }
            out.push('\'');
        }
        Style::DoubleQuoted => write_double_quoted(out, s),
        Style::Literal => write_literal(out, s, width),
    }
}

/// A character that plain, single-quoted and literal scalars cannot hold as itself: YAML's non-printable
/// characters (C0 and C1 controls including tab and carriage return, DEL, U+FEFF, U+FFFE, U+FFFF, which libyaml
/// also escapes) and the line breaks other than `\n` (U+0085, U+2028, U+2029), which a reader would fold or
/// normalize.
fn is_special(c: char) -> bool {
    matches!(
        c,
        '\0'..='\u{9}'
            | '\u{b}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{feff}'
            | '\u{fffe}'
            | '\u{ffff}'
    )
}

/// Chooses how to write a string. Plain needs libyaml's conditions for a plain block scalar (no leading
/// indicator, no `: ` or ` #`, no leading or trailing space, a single line) and a string that no YAML 1.1 or 1.2
/// reader resolves to another type; otherwise single quotes. Multi-line values are literal blocks when the
/// block keeps every character (no trailing spaces on a line or at the end); anything with special characters,
/// and multi-line keys, are double-quoted.
fn style(s: &str, context: Context) -> Style {
    let bytes = s.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return Style::SingleQuoted;
    };
    let blank_at = |i: usize| matches!(bytes.get(i), None | Some(b' ' | b'\n'));
    let mut indicators = bytes.starts_with(b"---")
        || bytes.starts_with(b"...")
        || match first {
            b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
            | b'"' | b'%' | b'@' | b'`' => true,
            b'?' | b':' | b'-' => blank_at(1),
            _ => false,
        };
    let mut line_breaks = false;
    let mut space_break = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b':' if !indicators => indicators = blank_at(i + 1),
            b'#' if !indicators && i > 0 => {
                indicators = matches!(bytes.get(i - 1), Some(b' ' | b'\n'));
            }
            b'\n' => {
                line_breaks = true;
                space_break |= i > 0 && bytes.get(i - 1) == Some(&b' ');
            }
            0x00..=0x1f | 0x7f => return Style::DoubleQuoted,
            // The lead bytes of the special characters above U+007F: C1 controls (C2 80..9F), U+2028 and
            // U+2029 (E2 80 A8/A9), U+FEFF (EF BB BF), U+FFFE and U+FFFF (EF BF BE/BF).
            0xc2 | 0xe2 | 0xef
                if s.get(i..)
                    .and_then(|rest| rest.chars().next())
                    .is_some_and(is_special) =>
            {
                return Style::DoubleQuoted;
            }
            _ => {}
        }
    }
    if line_breaks {
        return if context != Context::Value || space_break || last == b' ' {
            Style::DoubleQuoted
        } else {
            Style::Literal
        };
    }
    if indicators || first == b' ' || last == b' ' || resolves_to_non_string(s) {
        Style::SingleQuoted
    } else {
        Style::Plain
    }
}

/// Whether some YAML reader, 1.1 or 1.2, resolves the plain scalar `s` to something other than this string.
/// Deliberately broad: every string that starts like a number and holds only characters of numbers (digits,
/// hex digits, `_ . :`, `x`, `o`, a sign after `e`) is taken as one, which covers YAML 1.1 integers (binary, octal, hex,
/// underscores, sexagesimal `190:20:30`), floats (`1.5`, `.5`, `1e3`, `1_000.5`, `190:20:30.15`), YAML 1.2 octal
/// `0o17`, and odd forms some readers accept (`1.2.3`). Timestamps are anything starting like a date.
fn resolves_to_non_string(s: &str) -> bool {
    const WORDS: [&str; 14] = [
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", "<<", "=", ".inf", ".nan",
    ];
    if s.len() <= 5 && WORDS.iter().any(|w| s.eq_ignore_ascii_case(w)) {
        return true;
    }
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if unsigned.eq_ignore_ascii_case(".inf") || unsigned.eq_ignore_ascii_case(".nan") {
        return true;
    }
    let bytes = unsigned.as_bytes();
    let starts_like_number = matches!(bytes.first(), Some(b'0'..=b'9' | b'.'));
    if !starts_like_number {
        return false;
    }
    let mut previous = 0u8;
    let numeric = bytes.iter().all(|&b| {
        let number_char = b.is_ascii_hexdigit()
            || matches!(b, b'_' | b'.' | b':' | b'x' | b'X' | b'o' | b'O')
            // A sign inside a number only starts an exponent.
            || (matches!(b, b'+' | b'-') && matches!(previous, b'e' | b'E'));
        previous = b;
        number_char
    });
    numeric || starts_like_date(s.as_bytes())
}

/// `YYYY-M`: the start of every YAML 1.1 timestamp (`2002-12-14`, `2001-12-14t21:59:43.10-05:00`,
/// `2001-12-14 21:59:43.10 -5`).
fn starts_like_date(b: &[u8]) -> bool {
    b.len() >= 6 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[5].is_ascii_digit()
}

/// JSON-compatible escapes: `\"`, `\\`, `\n`, `\t`, `\r`, `\b`, `\f` and `\uXXXX` for the other special
/// characters; everything else as itself.
fn write_double_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if is_special(c) => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A literal block scalar: an indentation indicator when the content starts with a space or a line break (the
/// reader would otherwise take its indentation from that line), `-` to strip when there is no final line break,
/// `+` to keep more than one. Empty lines carry no indentation.
fn write_literal(out: &mut String, s: &str, width: usize) {
    out.push('|');
    if s.starts_with([' ', '\n']) {
        out.push('2');
    }
    if !s.ends_with('\n') {
        out.push('-');
    } else if s == "\n" || s.ends_with("\n\n") {
        out.push('+');
    }
    out.push('\n');
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if !line.is_empty() {
            indent(out, width);
            out.push_str(line);
        }
    }
}

/// A capacity close to the rendered size, so the output grows at most once or twice.
fn estimate(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len() + 8,
        Value::Array(seq) => seq.iter().map(|v| estimate(v) + 8).sum(),
        Value::Object(map) => map.iter().map(|(k, v)| k.len() + estimate(v) + 12).sum(),
        _ => 8,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The scalar as written for the value of `v`.
    fn scalar(s: &str) -> String {
        let out = to_string(&json!({ "v": s }));
        out.strip_prefix("v: ")
            .and_then(|rest| rest.strip_suffix('\n'))
            .unwrap_or(&out)
            .to_string()
    }

    fn quoted(s: &str) -> bool {
        scalar(s).starts_with(['\'', '"'])
    }

    #[test]
    fn yaml_1_1_booleans_nulls_and_indicators_are_quoted() {
        for word in [
            "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "true",
            "True", "TRUE", "false", "False", "FALSE", "y", "Y", "n", "N", "null", "Null", "NULL",
            "~", "<<", "=",
        ] {
            assert_eq!(scalar(word), format!("'{word}'"));
        }
        assert_eq!(scalar(""), "''");
    }

    #[test]
    fn number_and_timestamp_look_alikes_are_quoted() {
        for s in [
            "0",
            "-1",
            "+1",
            "0123",
            "017",
            "0b101",
            "0o17",
            "0x1F",
            "1_000",
            "10:30",
            "190:20:30",
            "1:2",
            "1.5",
            ".5",
            "1.",
            "1e3",
            "1E3",
            "1.0e+3",
            "6.8523015e+5",
            "1_000.5",
            "190:20:30.15",
            "3.5.4",
            ".inf",
            "-.inf",
            "+.INF",
            ".nan",
            ".NaN",
            "2002-12-14",
            "2010-09-09",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14 21:59:43.10 -5",
            "12345678901234567890123",
        ] {
            assert_eq!(scalar(s), format!("'{s}'"), "{s}");
        }
    }

    #[test]
    fn ordinary_strings_stay_plain() {
        for s in [
            "dev",
            "ap-southeast-1",
            "10.0.0.0/16",
            "16:00-17:00",
            "a:b",
            ":x",
            "-x",
            "a#b",
            "it's",
            "_1",
            "inf",
            "NaN",
            "é",
            "日本",
            "${AWS::Region}",
            "arn:${AWS::Partition}:iam::${AWS::AccountId}:root",
            "kms:EncryptionContext:aws:logs:arn",
            "Payment migration (dev, ap-southeast-1)",
        ] {
            assert_eq!(scalar(s), s);
        }
    }

    #[test]
    fn syntax_that_plain_scalars_cannot_hold_is_quoted() {
        assert_eq!(scalar("- x"), "'- x'");
        assert_eq!(scalar("-"), "'-'");
        assert_eq!(scalar("a: b"), "'a: b'");
        assert_eq!(scalar("a:"), "'a:'");
        assert_eq!(scalar("a #b"), "'a #b'");
        assert_eq!(scalar("'"), "''''");
        assert_eq!(scalar("'it's'"), "'''it''s'''");
        assert_eq!(scalar("\""), "'\"'");
        assert_eq!(scalar(" a"), "' a'");
        assert_eq!(scalar("a "), "'a '");
        assert_eq!(scalar("{{resolve:ssm:/p:1}}"), "'{{resolve:ssm:/p:1}}'");
        assert_eq!(scalar("*"), "'*'");
        for s in [
            "#a", ",", "[a]", "]", "{a}", "}", "&a", "!Ref x", "|", ">", "%x", "@x", "`x", "? x",
            ": x", "---", "...", "--- x",
        ] {
            assert!(quoted(s), "{s}");
        }
    }

    #[test]
    fn special_characters_are_double_quoted_with_json_escapes() {
        assert_eq!(scalar("a\tb"), r#""a\tb""#);
        assert_eq!(scalar("a\rb"), r#""a\rb""#);
        assert_eq!(scalar("x\0y\u{7f}"), r#""x\u0000y\u007f""#);
        assert_eq!(scalar("a\u{85}b\u{2028}c"), r#""a\u0085b\u2028c""#);
        assert_eq!(scalar("\u{feff}a"), r#""\ufeffa""#);
        assert_eq!(scalar("\"\\\t"), r#""\"\\\t""#);
    }

    #[test]
    fn multi_line_strings_are_literal_blocks() {
        assert_eq!(scalar("a\nb"), "|-\n  a\n  b");
        // The scalar's own line breaks end its lines (the helper drops the last one).
        assert_eq!(scalar("a\n"), "|\n  a");
        assert_eq!(scalar("a\n\n"), "|+\n  a\n");
        assert_eq!(scalar("\n"), "|2+\n");
        assert_eq!(scalar("  x\ny"), "|2-\n    x\n  y");
        assert_eq!(scalar("a\n\n  b\n"), "|\n  a\n\n    b");
        assert_eq!(
            to_string(
                &json!({"Code": {"ZipFile": "import os\n\ndef handler(e, c):\n    return 1\n"}})
            ),
            "Code:\n  ZipFile: |\n    import os\n\n    def handler(e, c):\n        return 1\n"
        );
        assert_eq!(
            to_string(&json!({"L": ["-----BEGIN X-----\nAB==\n-----END X-----"]})),
            "L:\n- |-\n  -----BEGIN X-----\n  AB==\n  -----END X-----\n"
        );
    }

    #[test]
    fn multi_line_strings_a_block_cannot_hold_are_double_quoted() {
        assert_eq!(scalar("trailing \nspace"), r#""trailing \nspace""#);
        assert_eq!(scalar("a\nb "), r#""a\nb ""#);
        assert_eq!(scalar("\tcode\n"), r#""\tcode\n""#);
        assert_eq!(scalar("a\r\nb"), r#""a\r\nb""#);
        assert_eq!(to_string(&json!({"a\nb": 1})), "\"a\\nb\": 1\n");
        assert_eq!(to_string(&json!("a\nb")), "\"a\\nb\"\n");
    }

    #[test]
    fn keys_are_quoted_by_the_same_rules() {
        assert_eq!(
            to_string(&json!({"no": 1, "10:30": 2, "": 3, "Fn::Sub": "x", "a: b": 4})),
            "'no': 1\n'10:30': 2\n'': 3\nFn::Sub: x\n'a: b': 4\n"
        );
    }

    #[test]
    fn numbers_bools_and_null_as_json_writes_them() {
        assert_eq!(
            to_string(&json!([
                1,
                -7,
                18446744073709551615u64,
                0.5,
                1.0,
                -0.25,
                true,
                false,
                null
            ])),
            "- 1\n- -7\n- 18446744073709551615\n- 0.5\n- 1.0\n- -0.25\n- true\n- false\n- null\n"
        );
        // YAML 1.1 needs a dot and a signed exponent to read a float.
        assert_eq!(
            to_string(&json!([1e20, 1.5e-7, -1e-7])),
            "- 1.0e+20\n- 1.5e-7\n- -1.0e-7\n"
        );
    }

    #[test]
    fn layout_matches_the_previous_emitter() {
        let doc = json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {
                "Key": {
                    "Type": "AWS::KMS::Key",
                    "Properties": {
                        "Tags": [{"Key": "Environment", "Value": "no"}, {"Key": "Name", "Value": "k"}],
                        "Empty": {},
                        "None": [],
                        "Nested": [["a", "b"], [], {}, [{"x": 1}]],
                        "Ref": {"Fn::Sub": "${AWS::Region}"}
                    }
                }
            }
        });
        let expected = "\
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      Tags:
      - Key: Environment
        Value: 'no'
      - Key: Name
        Value: k
      Empty: {}
      None: []
      Nested:
      - - a
        - b
      - []
      - {}
      - - x: 1
      Ref:
        Fn::Sub: ${AWS::Region}
";
        assert_eq!(to_string(&doc), expected);
        assert_eq!(to_string(&json!({})), "{}\n");
        assert_eq!(to_string(&json!([])), "[]\n");
        assert_eq!(to_string(&json!("yes")), "'yes'\n");
    }

    #[test]
    fn long_keys_are_explicit() {
        let key = "k".repeat(SIMPLE_KEY_MAX + 1);
        assert_eq!(
            to_string(&json!({ &key: {"a": [1]} })),
            format!("? {key}\n: a:\n  - 1\n")
        );
    }

    #[test]
    fn the_output_reads_back_as_the_same_document() {
        let doc = json!({
            "Tags": ["yes", "no", "on", "OFF", "y", "~", "10:30", "1_000", "0x1F", "2002-12-14", ".inf",
                     "<<", "=", "", " a", "a\nb", "a\tb", "\n", "x\n\n", "'\"", "é", 1.0, 1e20, 3]
        });
        let back: Value = serde_norway::from_str(&to_string(&doc)).unwrap();
        assert_eq!(back, doc);
    }
}
