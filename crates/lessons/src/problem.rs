//! Problems: what is wrong in a lesson file, where, and how to fix it.
//!
//! Every check of this crate reports a [`Problem`] rather than failing, so one pass lists
//! every mistake of a lesson pack. This module also holds the small functions the checks
//! share: byte offset to line number, and "did you mean" suggestions for unknown names.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// One mistake in a lesson pack.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Problem {
    /// The file, as the folder given to [`load_dir`](crate::load_dir) joined with its name.
    pub file: PathBuf,
    /// 1-based line where the offending block or field starts; 0 when the problem is about
    /// a whole folder rather than a line.
    pub line: usize,
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl Problem {
    pub fn new(file: impl Into<PathBuf>, line: usize, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Problem { file: file.into(), line, message: message.into(), hint: hint.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)?;
        if !self.hint.is_empty() {
            write!(f, " (hint: {})", self.hint)?;
        }
        Ok(())
    }
}

/// Collects problems for one file.
#[derive(Debug)]
pub(crate) struct Report<'a> {
    pub file: &'a Path,
    pub problems: Vec<Problem>,
}

impl<'a> Report<'a> {
    pub fn new(file: &'a Path) -> Self {
        Report { file, problems: Vec::new() }
    }

    pub fn add(&mut self, line: usize, message: impl Into<String>, hint: impl Into<String>) {
        self.problems.push(Problem::new(self.file, line, message, hint));
    }
}

/// 1-based line of the byte at `offset` in `text`.
pub(crate) fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// The known name closest to `word`, when it is close enough to be a likely typo.
pub(crate) fn closest<'k>(word: &str, known: &[&'k str]) -> Option<&'k str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    known
        .iter()
        .map(|k| (edit_distance(word, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// "did you mean …? known …: a, b, c" for an unknown name.
pub(crate) fn unknown_hint(word: &str, what: &str, known: &[&str]) -> String {
    let list = known.join(", ");
    match closest(word, known) {
        Some(k) => format!("did you mean `{k}`? known {what}: {list}"),
        None => format!("known {what}: {list}"),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Whether `s` is a slug: lowercase ASCII letters, digits and single hyphens inside.
pub(crate) fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_one_based() {
        let t = "a\nb\nc";
        assert_eq!(line_at(t, 0), 1);
        assert_eq!(line_at(t, 2), 2);
        assert_eq!(line_at(t, 4), 3);
        assert_eq!(line_at(t, 100), 3);
    }

    #[test]
    fn suggestions_catch_typos_only() {
        let known = ["clients", "rate", "payload"];
        assert_eq!(closest("clinets", &known), Some("clients"));
        assert_eq!(closest("rates", &known), Some("rate"));
        assert_eq!(closest("colour", &known), None);
        assert!(unknown_hint("clinets", "fields", &known).starts_with("did you mean `clients`?"));
    }

    #[test]
    fn slugs() {
        assert!(is_slug("long-polling"));
        assert!(is_slug("sse2"));
        assert!(!is_slug("Long"));
        assert!(!is_slug("a--b"));
        assert!(!is_slug("-a"));
        assert!(!is_slug(""));
    }
}
