//! Small functions in the payment-migration layers. No function in `src/payment_migration` (the layers, the
//! workflows, the dashboard) is longer than [`MAX_LINES`]: a longer one is split into functions that follow the
//! design (a workflow's phases, a dashboard's rows, a layer's parts), each with its doc comment.
//!
//! How a function is measured: from the line of its `fn` keyword to the line of its closing brace, both
//! included; its doc comments and attributes, above the `fn` line, are not counted. Comments, string literals
//! (raw ones too) and character literals are blanked before the braces are matched, so a brace inside them does
//! not count. A function inside another is measured on its own as well (and counts towards the outer one). A
//! declaration without a body (`fn f();` in a trait) is not a function here.
//!
//! Unit tests are not measured: files named `tests.rs` and the modules behind `#[cfg(test)]` (`mod tests {…}`),
//! where a long table of cases reads better in one piece.

use std::path::{Path, PathBuf};

/// The longest a function may be, in lines.
const MAX_LINES: usize = 150;
/// The tree the limit holds for.
const SCANNED: &str = "src/payment_migration";

/// A function found in a source file.
#[derive(Debug, Clone, PartialEq)]
struct Function {
    name: String,
    /// The line of its `fn` keyword, from 1.
    line: usize,
    /// Lines from the `fn` line to the closing brace, both included.
    lines: usize,
}

/// The source with comments, string literals and character literals replaced by spaces, newlines kept, so
/// that lines and brace depths can be read off what is left.
fn blank_non_code(source: &str) -> Vec<char> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = chars.clone();
    let blank = |out: &mut Vec<char>, from: usize, to: usize| {
        for c in out.iter_mut().take(to.min(chars.len())).skip(from) {
            if *c != '\n' {
                *c = ' ';
            }
        }
    };
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            let end = (i..chars.len())
                .find(|&j| chars[j] == '\n')
                .unwrap_or(chars.len());
            blank(&mut out, i, end);
            i = end;
        } else if c == '/' && next == Some('*') {
            let (mut depth, mut j) = (0usize, i);
            while j < chars.len() {
                if chars[j] == '/' && chars.get(j + 1) == Some(&'*') {
                    depth += 1;
                    j += 2;
                } else if chars[j] == '*' && chars.get(j + 1) == Some(&'/') {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, i, j);
            i = j;
        } else if (c == 'r' || (c == 'b' && next == Some('r')))
            && (i == 0 || !is_ident(chars[i - 1]))
            && raw_string_end(&chars, i).is_some()
        {
            let end = raw_string_end(&chars, i).expect("checked");
            blank(&mut out, i, end);
            i = end;
        } else if c == '"' {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '"' {
                j += if chars[j] == '\\' { 2 } else { 1 };
            }
            blank(&mut out, i, j + 1);
            i = j + 1;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{7f}'); otherwise a lifetime or a label, which is code.
            let end = if next == Some('\\') {
                (i + 3..chars.len())
                    .find(|&j| chars[j] == '\'')
                    .map(|j| j + 1)
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 3)
            } else {
                None
            };
            match end {
                Some(end) => {
                    blank(&mut out, i, end);
                    i = end;
                }
                None => i += 1,
            }
        } else {
            i += 1;
        }
    }
    out
}

/// Where the raw string literal starting at `i` (`r"…"`, `r#"…"#`, `br"…"`) ends, if one starts there.
fn raw_string_end(chars: &[char], i: usize) -> Option<usize> {
    let mut j = i + if chars[i] == 'b' { 2 } else { 1 };
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    if chars.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < chars.len() {
        if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(chars.len())
}

/// The index of the brace that closes the one at `open`.
fn closing_brace(code: &[char], open: usize) -> usize {
    let mut depth = 0usize;
    for (j, &c) in code.iter().enumerate().skip(open) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return j;
                }
            }
            _ => {}
        }
    }
    code.len().saturating_sub(1)
}

/// Blanks every `#[cfg(test)]` module with a body (`mod tests { … }`).
fn blank_test_modules(code: &mut [char]) {
    let text: String = code.iter().collect();
    let mut from = 0;
    while let Some(found) = text[from..].find("#[cfg(test)]") {
        let at = from + found;
        let after = &text[at + "#[cfg(test)]".len()..];
        let item = after.trim_start();
        let starts = at + "#[cfg(test)]".len() + (after.len() - item.len());
        let is_module = item.starts_with("mod ") || item.starts_with("pub mod ");
        let body = item
            .find(['{', ';'])
            .filter(|&k| is_module && item.as_bytes()[k] == b'{');
        if let Some(k) = body {
            // `text` is the chars collected, so its byte offsets are char offsets only for ASCII; map them.
            let open = text[..starts + k].chars().count();
            let close = closing_brace(code, open);
            let begin = text[..at].chars().count();
            for c in code.iter_mut().take(close + 1).skip(begin) {
                if *c != '\n' {
                    *c = ' ';
                }
            }
        }
        from = at + 1;
    }
}

/// Every function with a body in `source`, outside unit-test modules.
fn functions(source: &str) -> Vec<Function> {
    let mut code = blank_non_code(source);
    blank_test_modules(&mut code);
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let line_of = |index: usize| code[..index].iter().filter(|&&c| c == '\n').count() + 1;
    let mut found = Vec::new();
    let mut i = 0;
    while i + 2 < code.len() {
        let keyword = code[i] == 'f'
            && code[i + 1] == 'n'
            && (i == 0 || !is_ident(code[i - 1]))
            && code[i + 2].is_whitespace();
        if !keyword {
            i += 1;
            continue;
        }
        let mut j = i + 2;
        while j < code.len() && code[j].is_whitespace() {
            j += 1;
        }
        let name: String = code[j..].iter().take_while(|&&c| is_ident(c)).collect();
        if name.is_empty() {
            // `fn(…)`, a function pointer type.
            i += 2;
            continue;
        }
        // The body's brace, or the `;` of a declaration, outside the signature's parentheses and brackets
        // (`-> [u8; 4]`).
        let mut nesting = 0i32;
        let mut body = None;
        for (k, &c) in code.iter().enumerate().skip(j + name.chars().count()) {
            match c {
                '(' | '[' => nesting += 1,
                ')' | ']' => nesting -= 1,
                '{' if nesting == 0 => {
                    body = Some(k);
                    break;
                }
                ';' if nesting == 0 => break,
                _ => {}
            }
        }
        if let Some(open) = body {
            let close = closing_brace(&code, open);
            let line = line_of(i);
            found.push(Function {
                name,
                line,
                lines: line_of(close) - line + 1,
            });
        }
        i += 2;
    }
    found
}

/// The `.rs` files under `dir`, but no `tests.rs`, in a stable order.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            files.push(path);
        }
    }
    files
}

/// `file:line name: N lines` for each function of `source` longer than `max`.
fn too_long(file: &str, source: &str, max: usize) -> Vec<String> {
    functions(source)
        .into_iter()
        .filter(|f| f.lines > max)
        .map(|f| {
            format!(
                "{file}:{} {}: {} lines (at most {max})",
                f.line, f.name, f.lines
            )
        })
        .collect()
}

#[test]
fn no_function_of_the_payment_migration_is_longer_than_the_limit() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = rust_files(&root.join(SCANNED));
    let mut measured = Vec::new();
    let mut problems = Vec::new();
    for path in &files {
        let source = std::fs::read_to_string(path).expect("a readable source file");
        let file = path
            .strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string();
        problems.extend(too_long(&file, &source, MAX_LINES));
        measured.extend(functions(&source).into_iter().map(|f| (file.clone(), f)));
    }
    // Not vacuous: the layers are there, and were measured.
    assert!(
        files.len() >= 20,
        "only {} files under {SCANNED}",
        files.len()
    );
    assert!(
        measured.len() >= 150,
        "only {} functions measured under {SCANNED}",
        measured.len()
    );
    let longest = measured.iter().map(|(_, f)| f.lines).max().unwrap_or(0);
    assert!(
        longest >= 50,
        "the longest function measured has {longest} lines: the measure is broken"
    );
    assert!(
        measured
            .iter()
            .any(|(file, f)| file.ends_with("api.rs") && f.name == "build"),
        "the API layer's build was not measured"
    );
    assert!(
        problems.is_empty(),
        "functions longer than {MAX_LINES} lines; split them into functions that follow the design:\n{}",
        problems.join("\n")
    );
}

/// A function `name` of `body_lines` lines between its `fn` line and its closing brace, with a doc comment.
fn synthetic(name: &str, body_lines: usize) -> String {
    let mut source =
        format!("/// What {name} does.\n#[allow(dead_code)]\npub fn {name}() -> u32 {{\n");
    for k in 0..body_lines {
        source.push_str(&format!("    let _v{k} = {k};\n"));
    }
    source.push_str("    0\n}\n");
    source
}

#[test]
fn the_measure_fails_a_function_of_151_lines_and_passes_one_of_150() {
    // `fn` line, the body, `0`, `}`: 148 body lines make 151.
    let long = synthetic("long", 148);
    let fitting = synthetic("fitting", 147);
    let source = format!("{fitting}\n{long}");
    let found = functions(&source);
    assert_eq!(
        found,
        vec![
            Function {
                name: "fitting".into(),
                line: 3,
                lines: 150,
            },
            Function {
                name: "long".into(),
                line: 156,
                lines: 151,
            },
        ]
    );
    assert_eq!(
        too_long("synthetic.rs", &source, MAX_LINES),
        vec!["synthetic.rs:156 long: 151 lines (at most 150)".to_string()]
    );
}

#[test]
fn braces_in_comments_strings_and_characters_do_not_count() {
    let source = r####"
trait Shape {
    fn area(&self) -> [u8; 4];
}
fn tricky<'a>(x: &'a str) -> usize {
    // a comment with a brace }
    /* a block comment } /* nested } */ still } */
    let s = "a string with } and \" and {";
    let r = r#"a raw string with "}" inside"#;
    let c = '}';
    let e = '\'';
    let f: fn(u32) -> u32 = |v| v;
    'outer: loop {
        break 'outer;
    }
    s.len() + r.len() + x.len() + (c as usize) + (e as usize) + f(1) as usize
}
fn after() {}
"####;
    let found = functions(source);
    let names: Vec<(&str, usize, usize)> = found
        .iter()
        .map(|f| (f.name.as_str(), f.line, f.lines))
        .collect();
    assert_eq!(names, vec![("tricky", 5, 13), ("after", 18, 1)]);
}

#[test]
fn unit_test_modules_are_not_measured() {
    let source = format!(
        "fn kept() {{}}\n#[cfg(test)]\nmod tests {{\n    use super::*;\n{}}}\nfn also_kept() {{}}\n",
        synthetic("long_table_of_cases", 200)
    );
    let names: Vec<String> = functions(&source).into_iter().map(|f| f.name).collect();
    assert_eq!(names, vec!["kept".to_string(), "also_kept".to_string()]);
}
