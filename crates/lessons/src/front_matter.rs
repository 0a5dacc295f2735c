//! The TOML front matter of a lesson, between two `+++` lines at the top of the file.
//!
//! Fields: `id` (a slug, also the file name after `NN-`), `title`, `order`,
//! `prerequisites` (lesson ids) and `minutes`. Unknown fields are refused with the list of
//! known ones, so a typo never silently drops a setting.

use serde::Deserialize;

use crate::problem::{Report, is_slug, line_at, unknown_hint};

/// The fields front matter may have.
pub(crate) const FIELDS: [&str; 5] = ["id", "title", "order", "prerequisites", "minutes"];

/// A lesson's front matter, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FrontMatter {
    pub id: String,
    pub title: String,
    pub order: u32,
    pub prerequisites: Vec<String>,
    pub minutes: u32,
    /// Line of each field that is set.
    pub lines: Vec<(&'static str, usize)>,
}

impl FrontMatter {
    pub fn line_of(&self, field: &str) -> usize {
        self.lines.iter().find(|(f, _)| *f == field).map_or(1, |(_, l)| *l)
    }
}

#[derive(Deserialize)]
struct Raw {
    id: Option<String>,
    title: Option<String>,
    order: Option<u32>,
    prerequisites: Option<Vec<String>>,
    minutes: Option<u32>,
}

/// A file cut in two: the front matter's TOML and the Markdown body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Split<'a> {
    pub toml: &'a str,
    /// Line of the first TOML line.
    pub toml_line: usize,
    pub body: &'a str,
    /// Line of the first body line.
    pub body_line: usize,
}

/// Finds the front matter; the problems say what is missing.
pub(crate) fn split<'a>(text: &'a str, report: &mut Report) -> Option<Split<'a>> {
    let text_nobom = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text_nobom.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "+++" {
        report.add(
            1,
            "the lesson has no front matter",
            "start the file with a `+++` line, the TOML fields (id, title, order, prerequisites, minutes), and another `+++` line",
        );
        return None;
    }
    let toml_start = first.len();
    let mut offset = toml_start;
    for line in lines {
        if line.trim_end() == "+++" {
            let body_start = offset + line.len();
            return Some(Split {
                toml: &text_nobom[toml_start..offset],
                toml_line: 2,
                body: &text_nobom[body_start..],
                body_line: line_at(text_nobom, body_start),
            });
        }
        offset += line.len();
    }
    report.add(1, "the front matter is not closed", "end the front matter with a line holding only `+++`");
    None
}

/// Parses and checks the front matter of `split`.
pub(crate) fn parse(split: &Split<'_>, report: &mut Report) -> Option<FrontMatter> {
    let before = report.problems.len();
    let line_of_offset = |o: usize| split.toml_line + line_at(split.toml, o) - 1;
    let key_line = |key: &str| {
        split
            .toml
            .lines()
            .position(|l| l.trim_start().strip_prefix(key).is_some_and(|r| r.trim_start().starts_with('=')))
            .map(|i| split.toml_line + i)
    };
    let table = match toml::from_str::<toml::Table>(split.toml) {
        Ok(t) => t,
        Err(e) => {
            report.add(
                e.span().map_or(1, |s| line_of_offset(s.start)),
                format!("the front matter is not valid TOML: {}", e.message().trim()),
                "write one `name = value` per line; text goes in double quotes",
            );
            return None;
        }
    };
    for key in table.keys() {
        if !FIELDS.contains(&key.as_str()) {
            report.add(
                key_line(key).unwrap_or(1),
                format!("unknown front matter field `{key}`"),
                unknown_hint(key, "fields", &FIELDS),
            );
        }
    }
    let raw = match toml::from_str::<Raw>(split.toml) {
        Ok(r) => r,
        Err(e) => {
            report.add(
                e.span().map_or(1, |s| line_of_offset(s.start)),
                format!("in the front matter: {}", e.message().trim()),
                "id and title are text, order and minutes whole numbers, prerequisites a list of lesson ids",
            );
            return None;
        }
    };
    let mut missing = |field: &str, example: &str| {
        report.add(1, format!("the front matter has no `{field}`"), format!("add `{field} = {example}`"));
    };
    if raw.id.is_none() {
        missing("id", "\"polling\"");
    }
    if raw.title.is_none() {
        missing("title", "\"Polling\"");
    }
    if raw.order.is_none() {
        missing("order", "2");
    }
    if raw.minutes.is_none() {
        missing("minutes", "10");
    }
    let lines: Vec<(&'static str, usize)> = FIELDS.iter().filter_map(|f| key_line(f).map(|l| (*f, l))).collect();
    let line = |f: &str| lines.iter().find(|(k, _)| *k == f).map_or(1, |(_, l)| *l);
    if let Some(id) = &raw.id
        && !is_slug(id)
    {
        report.add(
            line("id"),
            format!("lesson id `{id}` is not a slug"),
            "use lowercase letters, digits and single hyphens",
        );
    }
    if raw.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
        report.add(line("title"), "the title is empty", "write the lesson's title");
    }
    if raw.minutes == Some(0) {
        report.add(line("minutes"), "`minutes` is 0", "estimate the minutes the lesson takes, at least 1");
    }
    for p in raw.prerequisites.iter().flatten() {
        if !is_slug(p) {
            report.add(
                line("prerequisites"),
                format!("prerequisite `{p}` is not a lesson id"),
                "list lesson ids (slugs)",
            );
        }
    }
    if report.problems.len() > before {
        return None;
    }
    Some(FrontMatter {
        id: raw.id?,
        title: raw.title?,
        order: raw.order?,
        prerequisites: raw.prerequisites.unwrap_or_default(),
        minutes: raw.minutes?,
        lines,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn run(text: &str) -> (Option<FrontMatter>, Vec<crate::Problem>) {
        let file = Path::new("01-a.md");
        let mut report = Report::new(file);
        let fm = split(text, &mut report).and_then(|s| parse(&s, &mut report));
        (fm, report.problems)
    }

    #[test]
    fn good_front_matter() {
        let (fm, p) = run("+++\nid = \"a\"\ntitle = \"A\"\norder = 1\nminutes = 5\n+++\n# A\n");
        assert!(p.is_empty(), "{p:?}");
        let fm = fm.unwrap();
        assert_eq!((fm.id.as_str(), fm.order, fm.minutes), ("a", 1, 5));
        assert_eq!(fm.line_of("order"), 4);
    }

    #[test]
    fn problems_point_at_their_lines() {
        let cases = [
            ("# no front matter\n", 1, "no front matter"),
            ("+++\nid = \"a\"\n", 1, "not closed"),
            ("+++\nid = \"a\"\ntitle = A\n+++\n", 3, "not valid TOML"),
            (
                "+++\nid = \"a\"\ntitle = \"A\"\norder = 1\nminutes = 5\nauthor = \"me\"\n+++\n",
                6,
                "unknown front matter field `author`",
            ),
            ("+++\nid = \"a\"\norder = 1\nminutes = 5\n+++\n", 1, "no `title`"),
            ("+++\nid = \"a\"\ntitle = \"A\"\norder = -1\nminutes = 5\n+++\n", 4, "in the front matter"),
            ("+++\nid = \"A b\"\ntitle = \"A\"\norder = 1\nminutes = 5\n+++\n", 2, "not a slug"),
        ];
        for (text, line, needle) in cases {
            let (fm, p) = run(text);
            assert!(fm.is_none());
            assert!(p.iter().any(|p| p.line == line && p.message.contains(needle)), "{needle} at {line}: {p:#?}");
        }
    }
}
