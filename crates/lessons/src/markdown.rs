//! Reading a lesson's Markdown: where the interactive blocks are, the headings and their
//! anchors, and the links to check.
//!
//! The lesson body is parsed once with pulldown-cmark (the same options the renderer
//! uses). Fenced code blocks whose info string names a block kind are cut out as block
//! segments; the Markdown between them becomes text segments, so a UI renders text and
//! places controls between paragraphs. Interactive blocks must sit at the top level: one
//! inside a list or a quote would split it, so it is reported and left as plain code.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use serde::Serialize;

use crate::blocks::BlockKind;
use crate::blocks::source::BlockSource;
use crate::problem::line_at;
use crate::slug::Slugger;

/// The Markdown extensions lessons may use (tables, strikethrough, task lists).
pub(crate) fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// A heading of a lesson and the anchor links use to reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Heading {
    pub level: u8,
    pub text: String,
    pub anchor: String,
    pub line: usize,
}

/// A link or image destination found in the text, with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LinkRef {
    pub dest: String,
    pub line: usize,
    pub image: bool,
}

/// A piece of a lesson body before its blocks are parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RawSegment {
    Text { markdown: String, line: usize },
    Block(BlockSource),
}

/// What one pass over a lesson body found.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    pub segments: Vec<RawSegment>,
    pub headings: Vec<Heading>,
    pub links: Vec<LinkRef>,
    /// Interactive blocks nested in a list or quote: (line, kind).
    pub nested_blocks: Vec<(usize, BlockKind)>,
}

/// Scans `body`, whose first line is line `first_line` of the file.
pub(crate) fn scan(body: &str, first_line: usize) -> Scan {
    let line = |offset: usize| first_line + line_at(body, offset) - 1;
    let mut out = Scan::default();
    let mut slugger = Slugger::default();
    let mut depth = 0usize;
    let mut cursor = 0usize;
    let mut block: Option<(BlockKind, usize, String)> = None;
    let mut heading: Option<(u8, usize, String)> = None;
    for (event, range) in Parser::new_ext(body, options()).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                if let Some(kind) = BlockKind::from_info(&info) {
                    if depth == 0 {
                        push_text(&mut out.segments, &body[cursor..range.start], line(cursor));
                        block = Some((kind, range.start, String::new()));
                        cursor = range.end;
                    } else {
                        out.nested_blocks.push((line(range.start), kind));
                    }
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((kind, start, text)) = block.take() {
                    let fence = line(start);
                    out.segments.push(RawSegment::Block(BlockSource {
                        kind,
                        line: fence,
                        body: text,
                        body_line: fence + 1,
                    }));
                }
            }
            Event::Start(Tag::List(_) | Tag::Item | Tag::BlockQuote(_) | Tag::FootnoteDefinition(_)) => depth += 1,
            Event::End(TagEnd::List(_) | TagEnd::Item | TagEnd::BlockQuote(_) | TagEnd::FootnoteDefinition) => {
                depth = depth.saturating_sub(1)
            }
            Event::Start(Tag::Heading { level, .. }) => heading = Some((level as u8, line(range.start), String::new())),
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, at, text)) = heading.take() {
                    let anchor = slugger.slug(&text);
                    out.headings.push(Heading { level, text: text.trim().to_owned(), anchor, line: at });
                }
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                out.links.push(LinkRef { dest: dest_url.to_string(), line: line(range.start), image: false });
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                out.links.push(LinkRef { dest: dest_url.to_string(), line: line(range.start), image: true });
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, _, text)) = block.as_mut() {
                    text.push_str(&t);
                } else if let Some((_, _, text)) = heading.as_mut() {
                    text.push_str(&t);
                }
            }
            _ => {}
        }
    }
    push_text(&mut out.segments, &body[cursor.min(body.len())..], line(cursor));
    out
}

fn push_text(segments: &mut Vec<RawSegment>, text: &str, line: usize) {
    if text.trim().is_empty() {
        return;
    }
    let skipped = text.len() - text.trim_start_matches(['\n', '\r']).len();
    let lines = text[..skipped].matches('\n').count();
    segments.push(RawSegment::Text { markdown: text.trim_matches(['\n', '\r']).to_owned(), line: line + lines });
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "# Title\n\nSee [polling](02-polling.md#the-cost).\n\n```experiment\nid = \"e\"\n```\n\n## Next `step`\n\n- item\n\n  ```quiz\n  id = \"q\"\n  ```\n";

    #[test]
    fn splits_text_and_blocks_with_lines() {
        let s = scan(BODY, 5);
        assert_eq!(s.segments.len(), 3, "{:#?}", s.segments);
        assert!(matches!(&s.segments[0], RawSegment::Text { line: 5, markdown } if markdown.starts_with("# Title")));
        let RawSegment::Block(b) = &s.segments[1] else { panic!() };
        assert_eq!((b.kind, b.line, b.body_line, b.body.as_str()), (BlockKind::Experiment, 9, 10, "id = \"e\"\n"));
        assert!(matches!(&s.segments[2], RawSegment::Text { line: 13, .. }));
        assert_eq!(s.nested_blocks, vec![(17, BlockKind::Quiz)]);
    }

    #[test]
    fn headings_and_links() {
        let s = scan(BODY, 1);
        let anchors: Vec<_> = s.headings.iter().map(|h| (h.anchor.as_str(), h.line)).collect();
        assert_eq!(anchors, vec![("title", 1), ("next-step", 9)]);
        assert_eq!(s.links, vec![LinkRef { dest: "02-polling.md#the-cost".into(), line: 3, image: false }]);
    }
}
