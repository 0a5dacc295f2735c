//! Where a block came from: its body text and the lines it occupies in the lesson file.
//!
//! Problems point at the line of the offending field, so this keeps the raw body and
//! maps a TOML error span, a key, or a piece of text back to a line of the `.md` file.

use std::ops::Range;

use crate::blocks::BlockKind;
use crate::problem::line_at;

/// The raw text of one interactive block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlockSource {
    pub kind: BlockKind,
    /// Line of the opening fence.
    pub line: usize,
    pub body: String,
    /// Line of the first body line.
    pub body_line: usize,
}

impl BlockSource {
    /// Line of a TOML error span, or of the fence when there is none.
    pub fn span_line(&self, span: Option<Range<usize>>) -> usize {
        span.map_or(self.line, |s| self.body_line + line_at(&self.body, s.start) - 1)
    }

    /// Line where `key = …` (or a `[key]` table) is set, or the fence's line.
    pub fn key_line(&self, key: &str) -> usize {
        self.find_line(|line| {
            let t = line.trim_start();
            let rest = t.strip_prefix(key).or_else(|| t.strip_prefix(&format!("\"{key}\"")));
            rest.is_some_and(|r| r.trim_start().starts_with('='))
                || t.starts_with(&format!("[{key}]"))
                || t.starts_with(&format!("[[{key}]]"))
        })
        .unwrap_or(self.line)
    }

    /// First line containing every one of `needles`, or the line of `key`.
    pub fn line_with(&self, needles: &[&str], key: &str) -> usize {
        self.find_line(|line| needles.iter().all(|n| line.contains(n))).unwrap_or_else(|| self.key_line(key))
    }

    /// First line at or after the line of `key` that contains `needle`.
    pub fn line_after(&self, key: &str, needle: &str) -> usize {
        let from = self.key_line(key).saturating_sub(self.body_line);
        self.body
            .lines()
            .enumerate()
            .skip(from)
            .find(|(_, l)| l.contains(needle))
            .map_or_else(|| self.key_line(key), |(i, _)| self.body_line + i)
    }

    fn find_line(&self, pred: impl Fn(&str) -> bool) -> Option<usize> {
        self.body.lines().position(pred).map(|i| self.body_line + i)
    }

    /// The block's `id`, read leniently, for duplicate and reference checks even when the
    /// rest of the block is broken.
    pub fn declared_id(&self) -> Option<String> {
        if let Ok(table) = toml::from_str::<toml::Table>(&self.body) {
            return table.get("id")?.as_str().map(str::to_owned);
        }
        // The body is not TOML; read an `id = "…"` line on its own.
        self.body.lines().find_map(|l| {
            let rest = l.trim().strip_prefix("id")?.trim_start().strip_prefix('=')?.trim();
            let value = rest.strip_prefix('"')?.split('"').next()?;
            Some(value.to_owned())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_keys_text_and_spans() {
        let src = BlockSource {
            kind: BlockKind::Predict,
            line: 10,
            body: "id = \"a\"\n  metric = \"polling.x\"\nchoices = [\"sse\"]\n".into(),
            body_line: 11,
        };
        assert_eq!(src.key_line("id"), 11);
        assert_eq!(src.key_line("metric"), 12);
        assert_eq!(src.key_line("nope"), 10);
        assert_eq!(src.line_with(&["\"sse\""], "choices"), 13);
        assert_eq!(src.span_line(Some(12..13)), 12);
        assert_eq!(src.span_line(None), 10);
        assert_eq!(src.declared_id().as_deref(), Some("a"));
        let broken = BlockSource { body: "id = \"b\"\ntechniques = [\"sse\"\n".into(), ..src };
        assert_eq!(broken.declared_id().as_deref(), Some("b"));
    }
}
