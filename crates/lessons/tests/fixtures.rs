//! Fixture folders under `tests/fixtures/`, each broken in exactly one way, give exactly
//! the documented problem, at the right file and line, with a hint.

use std::path::PathBuf;

use rtclab_lessons::{load_dir, validate};

/// (folder, file, line, words of the message, words of the hint)
const CASES: &[(&str, &str, usize, &str, &str)] = &[
    ("no-front-matter", "01-alpha.md", 1, "has no front matter", "`+++`"),
    ("unclosed-front-matter", "01-alpha.md", 1, "front matter is not closed", "`+++`"),
    ("front-matter-not-toml", "01-alpha.md", 3, "front matter is not valid TOML", "double quotes"),
    ("unknown-front-matter-field", "01-alpha.md", 7, "unknown front matter field `author`", "known fields: id, title"),
    ("missing-title", "01-alpha.md", 1, "front matter has no `title`", "add `title = "),
    ("file-name-mismatch", "01-alpha.md", 2, "does not match the lesson id `first`", "NN-first.md"),
    ("block-not-toml", "01-alpha.md", 16, "experiment block is not valid TOML", "name = value"),
    (
        "unknown-block-field",
        "01-alpha.md",
        16,
        "unknown field `clinets` in the experiment block",
        "did you mean `clients`?",
    ),
    (
        "unknown-technique",
        "01-alpha.md",
        15,
        "unknown technique `smoke-signals`",
        "polling, long-polling, sse, websocket",
    ),
    ("workload-out-of-range", "01-alpha.md", 16, "`clients` is out of range", "1 to 200"),
    ("poll-interval-out-of-range", "01-alpha.md", 19, "`poll_interval_ms` is out of range", "10 to 600000"),
    ("unknown-experiment", "01-alpha.md", 23, "refers to experiment `exp2`", "did you mean `exp`?"),
    ("bad-metric-path", "01-alpha.md", 25, "bad metric path `polling.requets`", "did you mean `requests`?"),
    (
        "choice-not-in-experiment",
        "01-alpha.md",
        25,
        "choice `websocket` is not a technique of experiment `exp`",
        "polling, sse",
    ),
    ("bad-answer-rule", "01-alpha.md", 26, "bad answer_rule `fewest:requests`", "lowest:<metric>"),
    ("quiz-answer-out-of-range", "01-alpha.md", 34, "answer 3 is not one of the choices", "counting from 0"),
    (
        "challenge-solution-out-of-range",
        "01-alpha.md",
        42,
        "solution's long_poll_timeout_ms = 45000 is outside",
        "editable range",
    ),
    ("duplicate-block-id", "01-alpha.md", 22, "reuses the id `exp` (first used at line 14)", "its own id"),
    ("duplicate-lesson-id", "02-alpha.md", 2, "lesson id `alpha` is also the id of 01-alpha.md", "its own id"),
    ("missing-prerequisite", "01-alpha.md", 5, "prerequisite `basics` is not a lesson", "known lessons: alpha"),
    ("prerequisite-cycle", "01-alpha.md", 5, "prerequisites form a cycle: alpha → beta → alpha", "remove one"),
    (
        "broken-file-link",
        "01-alpha.md",
        11,
        "points to `02-missing.md`, which does not exist",
        "relative to the lesson's folder",
    ),
    ("broken-anchor", "01-alpha.md", 11, "heading `#nowhere`, which does not exist", "known anchors: alpha"),
    (
        "broken-anchor-in-other-lesson",
        "01-alpha.md",
        11,
        "heading `#detail`, which does not exist",
        "did you mean `details`?",
    ),
    ("unsafe-link", "01-alpha.md", 11, "link `javascript:alert(1)` will be removed", "web page"),
    ("block-in-a-list", "01-alpha.md", 32, "quiz block is inside a list", "top level"),
    ("empty-folder", "", 0, "no lesson files", "NN-<id>.md"),
    ("tree-dangling-edge", "decision-tree.toml", 8, "`no` edge to `streem` is not a node", "did you mean `stream`?"),
    ("tree-unreachable-node", "decision-tree.toml", 22, "node `poll` cannot be reached", "point an edge at it"),
    ("tree-unknown-technique", "decision-tree.toml", 17, "unknown technique `carrier-pigeon`", "webrtc"),
    ("tree-loop", "decision-tree.toml", 26, "`no` edge of `rare` leads back to `both`", "end at a leaf"),
];

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

#[test]
fn the_sound_fixture_has_no_problems() {
    let course = load_dir(fixture("ok"));
    let problems = validate(&course);
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(course.lessons.len(), 2);
    assert!(course.tree.is_some());
}

#[test]
fn each_broken_fixture_gives_its_one_problem() {
    let mut failures = Vec::new();
    for (case, file, line, message, hint) in CASES {
        let dir = fixture(case);
        let problems = validate(&load_dir(&dir));
        let want = if file.is_empty() { dir.clone() } else { dir.join(file) };
        let ok = problems.len() == 1
            && problems[0].file == want
            && problems[0].line == *line
            && problems[0].message.contains(message)
            && problems[0].hint.contains(hint);
        if !ok {
            failures.push(format!("{case}: expected {file}:{line} «{message}» «{hint}», got {problems:#?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_fixture_folder_is_listed() {
    let mut folders: Vec<String> = std::fs::read_dir(fixture(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "ok")
        .collect();
    folders.sort();
    let mut listed: Vec<String> = CASES.iter().map(|c| c.0.to_owned()).collect();
    listed.sort();
    assert_eq!(folders, listed);
}
