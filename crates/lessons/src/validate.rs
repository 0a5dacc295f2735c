//! Checks that span blocks, lessons and files, on top of the problems met while loading.
//!
//! [`validate`] reports, each with the file and line to fix: everything loading found
//! (front matter, block fields, workload ranges, the decision tree), duplicate lesson and
//! block ids, predictions that refer to a missing experiment or to a technique the
//! experiment does not run, missing prerequisites and prerequisite cycles, and links to
//! files or `#anchors` that do not exist or use a scheme the renderer would drop.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::blocks::{Block, BlockKind, Prediction};
use crate::course::{Course, Lesson};
use crate::markdown::{self, Heading};
use crate::problem::{Problem, unknown_hint};
use crate::render::{image_is_allowed, link_is_allowed};

/// Every problem of the course, sorted by file and line. Empty means the course is sound.
pub fn validate(course: &Course) -> Vec<Problem> {
    let mut out = course.problems.clone();
    if course.lesson_files == 0 && course.problems.is_empty() {
        out.push(Problem::new(
            &course.dir,
            0,
            "the folder has no lesson files",
            "add Markdown files named NN-<id>.md, such as 01-intro.md",
        ));
    }
    duplicate_lessons(course, &mut out);
    for lesson in &course.lessons {
        duplicate_blocks(lesson, &mut out);
        references(lesson, &mut out);
        links(course, lesson, &mut out);
    }
    prerequisites(course, &mut out);
    out.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    out.dedup();
    out
}

fn duplicate_lessons(course: &Course, out: &mut Vec<Problem>) {
    let mut seen: HashMap<&str, &Lesson> = HashMap::new();
    let mut files: Vec<&Lesson> = course.lessons.iter().collect();
    files.sort_by(|a, b| a.file.cmp(&b.file));
    for lesson in files {
        if let Some(first) = seen.get(lesson.id.as_str()) {
            out.push(Problem::new(
                &lesson.file,
                lesson.line_of("id"),
                format!(
                    "lesson id `{}` is also the id of {}",
                    lesson.id,
                    first.file.file_name().map_or(first.file.display(), |n| Path::new(n).display())
                ),
                "give every lesson its own id (and file name)",
            ));
        } else {
            seen.insert(&lesson.id, lesson);
        }
    }
}

fn duplicate_blocks(lesson: &Lesson, out: &mut Vec<Problem>) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (kind, id, line) in &lesson.declared {
        if let Some(first) = seen.get(id.as_str()) {
            out.push(Problem::new(
                &lesson.file,
                *line,
                format!("the {kind} block reuses the id `{id}` (first used at line {first})"),
                "give every block of a lesson its own id",
            ));
        } else {
            seen.insert(id, *line);
        }
    }
}

fn references(lesson: &Lesson, out: &mut Vec<Problem>) {
    let experiments: Vec<&str> =
        lesson.declared.iter().filter(|(k, _, _)| *k == BlockKind::Experiment).map(|(_, id, _)| id.as_str()).collect();
    for seg in lesson.block_segments() {
        let Block::Predict(p) = &seg.block else { continue };
        let src = &seg.source;
        if !experiments.contains(&p.experiment.as_str()) {
            let other = lesson.declared.iter().find(|(_, id, _)| *id == p.experiment);
            let message = match other {
                Some((kind, _, _)) => {
                    format!(
                        "predict `{}` refers to `{}`, which is a {kind} block, not an experiment",
                        p.id, p.experiment
                    )
                }
                None => format!(
                    "predict `{}` refers to experiment `{}`, which this lesson does not have",
                    p.id, p.experiment
                ),
            };
            let hint = if experiments.is_empty() {
                "add an experiment block to this lesson and use its id".to_owned()
            } else {
                unknown_hint(&p.experiment, "experiments", &experiments)
            };
            out.push(Problem::new(&lesson.file, src.key_line("experiment"), message, hint));
            continue;
        }
        // A broken experiment block is reported where it is; nothing more to check here.
        let Some(exp) = lesson.experiment(&p.experiment) else { continue };
        let listed = exp.techniques.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ");
        let missing = |t: &rtclab_techniques::Technique| !exp.techniques.contains(t);
        match &p.prediction {
            Prediction::Number { metric, .. } if missing(&metric.technique) => out.push(Problem::new(
                &lesson.file,
                src.key_line("metric"),
                format!("metric `{metric}` names {}, which experiment `{}` does not run", metric.technique, exp.id),
                format!("use one of the experiment's techniques: {listed}"),
            )),
            Prediction::Choice { choices, .. } => {
                for t in choices.iter().filter(|t| missing(t)) {
                    out.push(Problem::new(
                        &lesson.file,
                        src.line_with(&[&format!("\"{t}\"")], "choices"),
                        format!("choice `{t}` is not a technique of experiment `{}`", exp.id),
                        format!("choose among the experiment's techniques: {listed}"),
                    ));
                }
            }
            Prediction::Number { .. } => {}
        }
    }
}

fn prerequisites(course: &Course, out: &mut Vec<Problem>) {
    let ids: Vec<&str> = course.lessons.iter().map(|l| l.id.as_str()).collect();
    for lesson in &course.lessons {
        for p in &lesson.prerequisites {
            if !ids.contains(&p.as_str()) {
                out.push(Problem::new(
                    &lesson.file,
                    lesson.line_of("prerequisites"),
                    format!("prerequisite `{p}` is not a lesson of this course"),
                    unknown_hint(p, "lessons", &ids),
                ));
            }
        }
    }
    // Depth-first search for cycles; each cycle is reported once, at its first lesson in
    // course order.
    let index: BTreeMap<&str, &Lesson> = course.lessons.iter().map(|l| (l.id.as_str(), l)).collect();
    let mut state: HashMap<&str, u8> = HashMap::new(); // 1 = on the path, 2 = done
    let mut reported: Vec<Vec<&str>> = Vec::new();
    for lesson in &course.lessons {
        let mut path = Vec::new();
        visit(lesson.id.as_str(), &index, &mut state, &mut path, &mut |cycle: Vec<&str>| {
            let mut key = cycle.clone();
            key.sort_unstable();
            if reported.contains(&key) {
                return;
            }
            reported.push(key);
            let first = cycle.iter().filter_map(|id| index.get(id)).min_by_key(|l| (l.order, &l.id));
            if let Some(first) = first {
                let start = cycle.iter().position(|id| *id == first.id).unwrap_or(0);
                let mut ring: Vec<&str> = cycle[start..].iter().chain(&cycle[..start]).copied().collect();
                ring.push(first.id.as_str());
                out.push(Problem::new(
                    &first.file,
                    first.line_of("prerequisites"),
                    format!("prerequisites form a cycle: {}", ring.join(" → ")),
                    "remove one of these prerequisites so the lessons can be taken in some order",
                ));
            }
        });
    }
}

fn visit<'a>(
    id: &'a str,
    index: &BTreeMap<&'a str, &'a Lesson>,
    state: &mut HashMap<&'a str, u8>,
    path: &mut Vec<&'a str>,
    found: &mut impl FnMut(Vec<&'a str>),
) {
    match state.get(id) {
        Some(2) => return,
        Some(1) => {
            let start = path.iter().position(|p| *p == id).unwrap_or(0);
            found(path[start..].to_vec());
            return;
        }
        _ => {}
    }
    let Some(lesson) = index.get(id) else { return };
    state.insert(id, 1);
    path.push(id);
    for p in &lesson.prerequisites {
        visit(p.as_str(), index, state, path, found);
    }
    path.pop();
    state.insert(id, 2);
}

fn links(course: &Course, lesson: &Lesson, out: &mut Vec<Problem>) {
    let base = lesson.file.parent().unwrap_or(Path::new("."));
    for link in &lesson.links {
        let problem = |message: String, hint: String| Problem::new(&lesson.file, link.line, message, hint);
        if link.image && !image_is_allowed(&link.dest) {
            out.push(problem(
                format!("the image `{}` will not be shown: images must be files next to the lesson", link.dest),
                "put the image in the lesson folder and link it with a relative path".into(),
            ));
            continue;
        }
        if !link.image && !link_is_allowed(&link.dest) {
            out.push(problem(
                format!(
                    "the link `{}` will be removed: only http(s) URLs, relative paths and #anchors are kept",
                    link.dest
                ),
                "link to a web page, a file next to the lesson, or a heading".into(),
            ));
            continue;
        }
        if has_scheme(&link.dest) {
            continue;
        }
        let (path_part, anchor) = link.dest.split_once('#').unwrap_or((&link.dest, ""));
        let path_part = path_part.split('?').next().unwrap_or("");
        let headings: Vec<Heading> = if path_part.is_empty() {
            lesson.headings.clone()
        } else {
            let target = base.join(percent_decode(path_part));
            if !course.files.exists(&target) {
                let names = md_files(course);
                let known: Vec<&str> = names.iter().map(String::as_str).collect();
                let name = Path::new(path_part).file_name().and_then(|n| n.to_str()).unwrap_or(path_part);
                out.push(problem(
                    format!("the link `{}` points to `{path_part}`, which does not exist", link.dest),
                    format!("paths are relative to the lesson's folder; {}", unknown_hint(name, "files", &known)),
                ));
                continue;
            }
            if anchor.is_empty() || target.extension().is_none_or(|e| e != "md") {
                continue;
            }
            headings_of(course, &target)
        };
        if !anchor.is_empty() && !headings.iter().any(|h| h.anchor == anchor) {
            let anchors: Vec<&str> = headings.iter().map(|h| h.anchor.as_str()).collect();
            out.push(problem(
                format!("the link `{}` points to the heading `#{anchor}`, which does not exist", link.dest),
                unknown_hint(anchor, "anchors", &anchors),
            ));
        }
    }
}

fn has_scheme(dest: &str) -> bool {
    dest.find([':', '/', '?', '#']).is_some_and(|i| dest[i..].starts_with(':'))
}

fn headings_of(course: &Course, target: &Path) -> Vec<Heading> {
    let same = |a: &Path, b: &Path| {
        a == b || (a.canonicalize().ok().is_some() && a.canonicalize().ok() == b.canonicalize().ok())
    };
    if let Some(l) = course.lessons.iter().find(|l| same(&l.file, target)) {
        return l.headings.clone();
    }
    let Ok(text) = course.files.read(target) else { return Vec::new() };
    // Skip front matter, if any, so its lines are not read as Markdown.
    let mut report = crate::problem::Report::new(target);
    match crate::front_matter::split(&text, &mut report) {
        Some(split) => markdown::scan(split.body, split.body_line).headings,
        None => markdown::scan(&text, 1).headings,
    }
}

fn md_files(course: &Course) -> Vec<String> {
    course.files.names().unwrap_or_default().into_iter().filter(|n| n.ends_with(".md")).collect()
}

fn percent_decode(s: &str) -> PathBuf {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    PathBuf::from(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b.md"), PathBuf::from("a b.md"));
        assert_eq!(percent_decode("100%"), PathBuf::from("100%"));
    }
}
