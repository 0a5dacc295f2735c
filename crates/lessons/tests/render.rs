//! Lesson packs may come from anyone: rendering never lets script or dangerous links out.

use rtclab_lessons::render_markdown_safe;

const HOSTILE: &str = r#"
# Title <script>alert(1)</script>

<script>alert("block")</script>

<div onclick="alert(2)">raw block html</div>

Inline <img src=x onerror="alert(3)"> html and <a href="javascript:alert(4)">a tag</a>.

[plain](javascript:alert(5))
[upper](JAVASCRIPT:alert(6))
[spaced]( javascript:alert(7))
[tabbed](java	script:alert(8))
[entity](java&#x09;script:alert(9))
[encoded](&#106;avascript:alert(10))
[data](data:text/html;base64,PHNjcmlwdD4=)
[vb](vbscript:msgbox(11))
[file](file:///etc/passwd)
[protocol relative](//evil.example/x)
<javascript:alert(12)>
[ref link][bad]

[bad]: javascript:alert(13)

![tracker](https://tracker.example/pixel.gif)
![inline svg](data:image/svg+xml,<svg onload=alert(14)>)

[web](https://example.com/page?q=1) [relative](02-polling.md#how-it-works) [anchor](#title)
![chart](img/chart.svg)
"#;

/// Every tag of `html` as (name, [(attribute, value)]). Text never holds a raw `<`: the
/// renderer escapes it, so each `<` starts a tag.
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut out = Vec::new();
    for chunk in html.split('<').skip(1) {
        let inner = chunk.split('>').next().unwrap_or("");
        let name: String = inner.trim_start_matches('/').chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        let mut attrs = Vec::new();
        let mut rest = &inner[inner.find(char::is_whitespace).unwrap_or(inner.len())..];
        while let Some(eq) = rest.find("=\"") {
            let attr = rest[..eq].trim().to_owned();
            let after = &rest[eq + 2..];
            let close = after.find('"').unwrap_or(after.len());
            attrs.push((attr, after[..close].to_owned()));
            rest = &after[(close + 1).min(after.len())..];
        }
        out.push((name.to_ascii_lowercase(), attrs));
    }
    out
}

const TAGS: &[&str] = &[
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "p",
    "a",
    "img",
    "pre",
    "code",
    "ul",
    "ol",
    "li",
    "em",
    "strong",
    "del",
    "blockquote",
    "hr",
    "br",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "input",
];
const ATTRIBUTES: &[&str] =
    &["href", "src", "alt", "title", "id", "class", "start", "type", "checked", "disabled", "style"];

#[test]
fn no_script_and_no_dangerous_link_comes_out() {
    let html = render_markdown_safe(HOSTILE);
    for (name, attrs) in tags(&html) {
        assert!(TAGS.contains(&name.as_str()), "tag <{name}> in {html}");
        for (attr, value) in attrs {
            assert!(ATTRIBUTES.contains(&attr.as_str()), "attribute {attr} on <{name}> in {html}");
            if attr == "style" {
                // Only table alignment uses it.
                assert!(value.starts_with("text-align:"), "{value}");
            }
            if attr == "href" || attr == "src" {
                let squeezed: String =
                    value.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
                let scheme_ok = squeezed.starts_with("https://")
                    || squeezed.starts_with("http://")
                    || !squeezed.split(['/', '?', '#']).next().unwrap_or("").contains(':');
                assert!(scheme_ok && !squeezed.starts_with("//"), "{attr}={value} in {html}");
                assert!(!squeezed.contains("script"), "{attr}={value}");
                if attr == "src" {
                    assert!(!squeezed.contains(':'), "a remote image: {value}");
                }
            }
        }
    }
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "{html}");
    // Raw HTML is shown as text, so the reader sees what the author wrote.
    assert!(html.contains("&lt;script&gt;"), "{html}");
    // The link text survives even when its link does not.
    assert!(html.contains("plain") && html.contains("upper"), "{html}");
}

#[test]
fn safe_links_and_relative_images_are_kept() {
    let html = render_markdown_safe(HOSTILE);
    assert!(html.contains("href=\"https://example.com/page?q=1\""), "{html}");
    assert!(html.contains("href=\"02-polling.md#how-it-works\""), "{html}");
    assert!(html.contains("href=\"#title\""), "{html}");
    assert!(html.contains("src=\"img/chart.svg\""), "{html}");
}

#[test]
fn ordinary_markdown_renders() {
    let html = render_markdown_safe(
        "## A table\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- **bold** and `code`\n\n```text\nGET /x\n```\n",
    );
    assert!(html.contains("<h2 id=\"a-table\">A table</h2>"), "{html}");
    assert!(html.contains("<table>"), "{html}");
    assert!(html.contains("<strong>bold</strong>"), "{html}");
    assert!(html.contains("<code class=\"language-text\">GET /x"), "{html}");
}
