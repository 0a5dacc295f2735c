//! Rendering lesson Markdown to HTML that is safe to show, whoever wrote the lesson.
//!
//! Lesson packs may come from anyone, so the HTML never carries what the author typed as
//! HTML: raw HTML blocks are shown as code and inline HTML as text (escaped either way).
//! Links keep only `http`/`https` URLs, relative paths and `#anchors`; any other scheme
//! (`javascript:`, `data:`, `file:` …) or a host-relative `//` URL loses its link and keeps
//! its text. Images load only from relative paths. Headings get the anchors that
//! [`Heading::anchor`](crate::markdown::Heading) gives them, so `#anchor` links work.

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Parser, Tag, TagEnd, html};

use crate::markdown::options;
use crate::slug::Slugger;

/// HTML for `markdown`, with raw HTML escaped and unsafe links dropped.
pub fn render_markdown_safe(markdown: &str) -> String {
    render_with(markdown, &mut Slugger::default())
}

/// Like [`render_markdown_safe`], numbering heading anchors with `slugger` so several
/// pieces of one lesson get the anchors the whole lesson would.
pub(crate) fn render_with(markdown: &str, slugger: &mut Slugger) -> String {
    let events: Vec<Event<'_>> = Parser::new_ext(markdown, options()).collect();
    let mut out: Vec<Event<'_>> = Vec::with_capacity(events.len());
    // For each open link or image: whether its tags were dropped.
    let mut dropped: Vec<bool> = Vec::new();
    let mut i = 0;
    while i < events.len() {
        match &events[i] {
            Event::Start(Tag::Heading { level, .. }) => {
                let end = events[i..]
                    .iter()
                    .position(|e| matches!(e, Event::End(TagEnd::Heading(_))))
                    .map_or(events.len(), |p| i + p);
                let text: String = events[i + 1..end]
                    .iter()
                    .filter_map(|e| match e {
                        Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                        _ => None,
                    })
                    .collect();
                let id = slugger.slug(&text);
                out.push(Event::Start(Tag::Heading {
                    level: *level,
                    id: Some(CowStr::from(id)),
                    classes: Vec::new(),
                    attrs: Vec::new(),
                }));
            }
            Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                let keep = link_is_allowed(dest_url);
                dropped.push(!keep);
                if keep {
                    out.push(Event::Start(Tag::Link {
                        link_type: *link_type,
                        dest_url: dest_url.clone(),
                        title: title.clone(),
                        id: id.clone(),
                    }));
                }
            }
            Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
                let keep = image_is_allowed(dest_url);
                dropped.push(!keep);
                if keep {
                    out.push(Event::Start(Tag::Image {
                        link_type: *link_type,
                        dest_url: dest_url.clone(),
                        title: title.clone(),
                        id: id.clone(),
                    }));
                }
            }
            Event::End(TagEnd::Link | TagEnd::Image) => {
                if !dropped.pop().unwrap_or(true) {
                    out.push(events[i].clone());
                }
            }
            Event::Start(Tag::HtmlBlock) => out.push(Event::Start(Tag::CodeBlock(CodeBlockKind::Indented))),
            Event::End(TagEnd::HtmlBlock) => out.push(Event::End(TagEnd::CodeBlock)),
            Event::Html(raw) | Event::InlineHtml(raw) => out.push(Event::Text(raw.clone())),
            other => out.push(other.clone()),
        }
        i += 1;
    }
    let mut html_out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut html_out, out.into_iter());
    html_out
}

/// Whether a link may keep its destination: `http:`/`https:` URLs, relative paths and
/// `#anchors` only.
pub fn link_is_allowed(dest: &str) -> bool {
    match scheme(dest) {
        Some(s) => s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https"),
        None => !host_relative(dest),
    }
}

/// Whether an image may load: relative paths only, so opening a lesson fetches nothing
/// from elsewhere.
pub fn image_is_allowed(dest: &str) -> bool {
    scheme(dest).is_none() && !host_relative(dest)
}

/// The URL's scheme as a browser would read it: ASCII tabs and newlines removed, leading
/// control characters and spaces ignored.
fn scheme(dest: &str) -> Option<String> {
    let cleaned: String = dest.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
    let cleaned = cleaned.trim_start_matches(|c: char| c <= ' ');
    let end = cleaned.find([':', '/', '?', '#', '\\'])?;
    (cleaned[end..].starts_with(':')).then(|| cleaned[..end].to_owned())
}

/// `//host/…` (or with backslashes) leaves the page's host while looking relative.
fn host_relative(dest: &str) -> bool {
    let cleaned: String = dest.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
    let mut chars = cleaned.trim_start_matches(|c: char| c <= ' ').chars();
    matches!((chars.next(), chars.next()), (Some('/' | '\\'), Some('/' | '\\')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_are_read_like_a_browser_does() {
        assert!(link_is_allowed("https://example.com/a"));
        assert!(link_is_allowed("HTTP://example.com"));
        assert!(link_is_allowed("02-polling.md#cost"));
        assert!(link_is_allowed("#cost"));
        assert!(link_is_allowed("../docs/a.md"));
        assert!(link_is_allowed("page?x=a:b"));
        for bad in [
            "javascript:alert(1)",
            "JavaScript:x",
            " javascript:x",
            "java\tscript:x",
            "data:text/html,x",
            "file:///etc/passwd",
            "//evil.example",
            "\\\\evil",
            "vbscript:x",
        ] {
            assert!(!link_is_allowed(bad), "{bad:?}");
        }
        assert!(image_is_allowed("img/chart.svg"));
        assert!(!image_is_allowed("https://tracker.example/p.gif"));
    }

    #[test]
    fn headings_get_anchors() {
        let html = render_markdown_safe("# Why not ask?\n\n## Why not ask?\n");
        assert!(html.contains("<h1 id=\"why-not-ask\">"), "{html}");
        assert!(html.contains("<h2 id=\"why-not-ask-1\">"), "{html}");
    }
}
