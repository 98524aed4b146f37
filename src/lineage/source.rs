//! Function sources: normalization and hashing, and MATLAB signatures.
//!
//! MATLAB sources are normalized here so every binding hashes them alike:
//! comments (`%`, `#`, `%{ ... %}` blocks, the rest of a line after `...`)
//! are dropped, runs of whitespace become one space, blank lines go; the
//! inside of string literals is kept byte for byte. Where the lexer cannot
//! be sure whether a quote opens a string, it assumes a string: keeping
//! too much text can only cause an extra cache miss, while dropping text
//! could make two different functions hash alike.
//!
//! Other languages' bindings normalize before they call (Python hashes
//! the AST it dumps), so their text is hashed as given.

use crate::error::{Error, Result};
use std::borrow::Cow;

const SOURCE_DOMAIN: &[u8] = b"scidb:source:v1\0";

/// The text that is hashed for a function source of `language`.
pub fn normalize<'a>(language: &str, source: &'a str) -> Cow<'a, str> {
    if language == "matlab" {
        Cow::Owned(normalize_matlab(source))
    } else {
        Cow::Borrowed(source)
    }
}

/// The source hash (64 hex digits) of a function's source.
pub fn source_hash(language: &str, source: &str) -> String {
    let text = normalize(language, source);
    let mut h = blake3::Hasher::new();
    h.update(SOURCE_DOMAIN);
    h.update(&(language.len() as u64).to_le_bytes());
    h.update(language.as_bytes());
    h.update(&(text.len() as u64).to_le_bytes());
    h.update(text.as_bytes());
    h.finalize().to_hex().to_string()
}

/// A MATLAB (or Octave) source without comments and formatting.
pub fn normalize_matlab(source: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut line = Line::default();
    let mut block_depth = 0usize;
    for raw in source.lines() {
        let trimmed = raw.trim();
        // Block comments: "%{" and "%}" (or "#{", "#}") alone on a line; they nest.
        if !line.continued && (trimmed == "%{" || trimmed == "#{") {
            block_depth += 1;
            continue;
        }
        if block_depth > 0 {
            if trimmed == "%}" || trimmed == "#}" {
                block_depth -= 1;
            }
            continue;
        }
        line.feed(raw);
        if !line.continued {
            let text = line.finish();
            if !text.is_empty() {
                out.push(text);
            }
        }
    }
    let text = line.finish();
    if !text.is_empty() {
        out.push(text);
    }
    out.join("\n")
}

/// One logical line being normalized (physical lines joined by `...`).
#[derive(Default)]
struct Line {
    text: String,
    /// Whitespace was seen since the last kept character.
    space: bool,
    /// The last kept character outside whitespace, for telling a transpose
    /// quote from a string quote.
    last: Option<char>,
    /// The physical line ended in a `...` continuation.
    continued: bool,
}

impl Line {
    fn push(&mut self, c: char) {
        if self.space && !self.text.is_empty() {
            self.text.push(' ');
        }
        self.space = false;
        self.text.push(c);
        self.last = Some(c);
    }

    fn finish(&mut self) -> String {
        let text = std::mem::take(&mut self.text);
        *self = Line::default();
        text
    }

    /// A quote directly after a name, a number, a closing bracket, a dot
    /// or another quote is MATLAB's transpose operator; anything else
    /// (including any whitespace before it) opens a string.
    fn quote_is_transpose(&self) -> bool {
        !self.space
            && self.last.is_some_and(|c| {
                c.is_alphanumeric() || matches!(c, '_' | ')' | ']' | '}' | '.' | '\'' | '"')
            })
    }

    fn feed(&mut self, raw: &str) {
        self.continued = false;
        let chars: Vec<char> = raw.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match c {
                '%' | '#' => return,
                '.' if chars[i..].starts_with(&['.', '.', '.']) => {
                    // The rest of the line is a comment; the statement goes on.
                    self.continued = true;
                    self.space = true;
                    return;
                }
                c if c.is_whitespace() => {
                    self.space = true;
                    i += 1;
                }
                '\'' if self.quote_is_transpose() => {
                    self.push(c);
                    i += 1;
                }
                '\'' | '"' => i = self.string(&chars, i),
                _ => {
                    self.push(c);
                    i += 1;
                }
            }
        }
    }

    /// Copies a string literal starting at `start` verbatim; returns the
    /// index after it. `''` (or `""`) inside is an escaped quote; in
    /// double-quoted strings a backslash escapes the next character
    /// (Octave), which can only keep more text. An unterminated string
    /// runs to the end of the line.
    fn string(&mut self, chars: &[char], start: usize) -> usize {
        let quote = chars[start];
        self.push(quote);
        let mut i = start + 1;
        while i < chars.len() {
            let c = chars[i];
            self.text.push(c);
            i += 1;
            if quote == '"' && c == '\\' && i < chars.len() {
                self.text.push(chars[i]);
                i += 1;
            } else if c == quote {
                if chars.get(i) == Some(&quote) {
                    self.text.push(quote);
                    i += 1;
                } else {
                    break;
                }
            }
        }
        self.last = Some(quote);
        i
    }
}

/// A MATLAB function's declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatlabSignature {
    pub name: String,
    /// Parameter names in order (`varargin` and `~` included as written).
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
}

/// Parses the first function declaration of a MATLAB source (a whole .m
/// file or just its `function ...` line), e.g.
/// `function [a, b] = name(x, y, varargin)`.
pub fn matlab_signature(source: &str) -> Result<MatlabSignature> {
    let normalized = normalize_matlab(source);
    let decl = normalized
        .lines()
        .find_map(|l| {
            l.strip_prefix("function")
                .filter(|rest| rest.is_empty() || rest.starts_with([' ', '[', '(']))
        })
        .ok_or_else(|| Error::invalid("the MATLAB source declares no function"))?;
    let bad = |why: &str| Error::invalid(format!("function declaration 'function{decl}': {why}"));
    // Outputs end at the first '=' before any '('.
    let paren = decl.find('(').unwrap_or(decl.len());
    let (outputs, rest) = match decl[..paren].find('=') {
        Some(eq) => (
            parse_outputs(&decl[..eq]).map_err(|w| bad(&w))?,
            &decl[eq + 1..],
        ),
        None => (Vec::new(), decl),
    };
    let rest = rest.trim();
    let (name, inputs) = match rest.find('(') {
        Some(open) => {
            let close = rest
                .rfind(')')
                .filter(|&c| c > open)
                .ok_or_else(|| bad("the parameter list is not closed"))?;
            if !rest[close + 1..].trim().is_empty() {
                return Err(bad("unexpected text after the parameter list"));
            }
            let inner = rest[open + 1..close].trim();
            let inputs = if inner.is_empty() {
                Vec::new()
            } else {
                inner
                    .split(',')
                    .map(|p| parse_name(p.trim(), true).map_err(|w| bad(&w)))
                    .collect::<Result<Vec<_>>>()?
            };
            (rest[..open].trim(), inputs)
        }
        None => (rest, Vec::new()),
    };
    let name = parse_name(name, false).map_err(|w| bad(&w))?;
    Ok(MatlabSignature {
        name,
        inputs,
        outputs,
    })
}

fn parse_outputs(text: &str) -> std::result::Result<Vec<String>, String> {
    let text = text.trim();
    let inner = match text.strip_prefix('[') {
        Some(rest) => rest
            .strip_suffix(']')
            .ok_or_else(|| "the output list is not closed".to_string())?,
        None => text,
    };
    inner
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| parse_name(s, false))
        .collect()
}

/// A MATLAB name (dots allowed for methods such as `set.Prop`); `~` is
/// allowed for ignored parameters.
fn parse_name(text: &str, allow_tilde: bool) -> std::result::Result<String, String> {
    let ok = (allow_tilde && text == "~")
        || (text.chars().next().is_some_and(|c| c.is_alphabetic())
            && text
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.'));
    if ok {
        Ok(text.to_string())
    } else {
        Err(format!("'{text}' is not a MATLAB name"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_whitespace_are_dropped() {
        let a = "function y = f(x)\n% help text\n  y = x  +  1;   % add one\nend\n";
        let b =
            "function y = f(x)\n\n%{\nblock\n  %{\n  nested\n  %}\n%}\ny = x + 1; # octave\nend";
        assert_eq!(normalize_matlab(a), "function y = f(x)\ny = x + 1;\nend");
        assert_eq!(normalize_matlab(a), normalize_matlab(b));
    }

    #[test]
    fn strings_are_kept_verbatim() {
        let a = normalize_matlab("disp('50%  off')  % c");
        assert_eq!(a, "disp('50%  off')");
        assert_ne!(a, normalize_matlab("disp('50% off')"));
        assert_eq!(normalize_matlab("s = 'it''s % not';"), "s = 'it''s % not';");
        assert_eq!(
            normalize_matlab("s = \"a\"\"b % c\";"),
            "s = \"a\"\"b % c\";"
        );
        assert_eq!(normalize_matlab("s = \"a\\\"%b\";"), "s = \"a\\\"%b\";");
    }

    #[test]
    fn transpose_is_not_a_string() {
        assert_eq!(normalize_matlab("y = x' * a'; % t"), "y = x' * a';");
        assert_eq!(normalize_matlab("y = x.'' + (a)'; % t"), "y = x.'' + (a)';");
        assert_eq!(normalize_matlab("y = [a' 'b%c'];"), "y = [a' 'b%c'];");
        // After whitespace a quote opens a string.
        assert_eq!(normalize_matlab("y = [a 'b %c'];"), "y = [a 'b %c'];");
    }

    #[test]
    fn continuations_join_lines() {
        let a = normalize_matlab("y = f(1, ... first\n      2);  % x");
        assert_eq!(a, "y = f(1, 2);");
        assert_eq!(normalize_matlab("s = 'a...b';"), "s = 'a...b';");
    }

    #[test]
    fn source_hash_ignores_formatting_only_for_matlab() {
        let a = source_hash("matlab", "y = x+1; % one");
        assert_eq!(a, source_hash("matlab", "y = x+1;"));
        assert_ne!(a, source_hash("matlab", "y = x+2;"));
        assert_ne!(source_hash("python", "a # b"), source_hash("python", "a"));
        assert_ne!(source_hash("python", "a"), source_hash("matlab", "a"));
    }

    #[test]
    fn signatures() {
        let s = matlab_signature("function [a, b] = name(x, y, varargin)").unwrap();
        assert_eq!(s.name, "name");
        assert_eq!(s.inputs, ["x", "y", "varargin"]);
        assert_eq!(s.outputs, ["a", "b"]);
        let s =
            matlab_signature("% help\nfunction out=filt( sig ,~) % c\n  out = sig;\nend").unwrap();
        assert_eq!(
            (s.name.as_str(), s.inputs.clone()),
            ("filt", vec!["sig".to_string(), "~".to_string()])
        );
        assert_eq!(s.outputs, ["out"]);
        let s = matlab_signature("function [a b]= g ...\n (x)").unwrap();
        assert_eq!(
            (s.outputs.len(), s.inputs.clone()),
            (2, vec!["x".to_string()])
        );
        let s = matlab_signature("function run").unwrap();
        assert_eq!(
            (s.name.as_str(), s.inputs.len(), s.outputs.len()),
            ("run", 0, 0)
        );
        assert!(matlab_signature("x = 1;").is_err());
        assert!(matlab_signature("function y = f(x").is_err());
        assert!(matlab_signature("function y = f(1x)").is_err());
        assert!(matlab_signature("function functional = f(x)").is_ok());
    }
}
