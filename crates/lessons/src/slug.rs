//! Heading anchors computed the way common code hosts compute them.
//!
//! Lessons link to headings with `#anchor`s that must work both on a code host and in the
//! app, so the anchor of a heading is made here by the same rule: lowercase the text, keep
//! letters, digits, `_`, `-` and spaces, turn spaces into `-`, and number repeats (`-1`,
//! `-2`, …) in the order the headings appear.

use std::collections::HashMap;

/// Hands out unique anchors for the headings of one document.
#[derive(Debug, Default)]
pub(crate) struct Slugger {
    seen: HashMap<String, usize>,
}

impl Slugger {
    /// The anchor of the next heading with text `text`.
    pub fn slug(&mut self, text: &str) -> String {
        let base = base_slug(text);
        let mut candidate = base.clone();
        loop {
            match self.seen.get_mut(&candidate) {
                None => break,
                Some(_) => {
                    let n = self.seen.entry(base.clone()).or_insert(0);
                    *n += 1;
                    candidate = format!("{base}-{n}");
                }
            }
        }
        self.seen.insert(candidate.clone(), 0);
        candidate
    }
}

fn base_slug(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_follow_the_code_host_rule() {
        let mut s = Slugger::default();
        assert_eq!(s.slug("Why not just ask?"), "why-not-just-ask");
        assert_eq!(s.slug("SSE vs. WebSockets: which one"), "sse-vs-websockets-which-one");
        assert_eq!(s.slug("The `retry` field"), "the-retry-field");
        assert_eq!(s.slug("Pros & cons"), "pros--cons");
        assert_eq!(s.slug("Pros & cons"), "pros--cons-1");
        assert_eq!(s.slug("Pros & cons"), "pros--cons-2");
        assert_eq!(s.slug("Pros & cons-1"), "pros--cons-1-1");
    }
}
