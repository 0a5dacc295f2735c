//! Reading and checking a decision tree file.
//!
//! ```toml
//! start = "peer-to-peer"
//!
//! [[question]]
//! id = "peer-to-peer"
//! question = "Do two peers exchange data directly?"
//! yes_if = ["direction == peer-to-peer"]
//! yes = "webrtc"          # id of a question or a leaf
//! no = "bidirectional"
//!
//! [[leaf]]
//! id = "webrtc"
//! technique = "webrtc"    # polling, long-polling, sse, websocket or webrtc
//! reasons = ["…"]
//! runners_up = ["websocket"]
//! note = "…"              # optional
//! ```
//!
//! Checked, each with its line: unknown or missing fields, duplicate node ids, a start
//! or an edge naming no node (dangling), rules that do not parse, unknown techniques,
//! leaves without reasons, nodes the start cannot reach, and loops.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::problem::{Problem, line_at, unknown_hint};
use crate::tree::{DecisionTree, Leaf, Question, Recommended, Rule};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTree {
    start: Spanned<String>,
    #[serde(default)]
    question: Vec<RawQuestion>,
    #[serde(default)]
    leaf: Vec<RawLeaf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: Spanned<String>,
    question: String,
    yes_if: Spanned<Vec<Spanned<String>>>,
    yes: Spanned<String>,
    no: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLeaf {
    id: Spanned<String>,
    technique: Spanned<String>,
    reasons: Spanned<Vec<String>>,
    #[serde(default)]
    runners_up: Vec<Spanned<String>>,
    note: Option<String>,
}

pub(crate) fn parse(text: &str, file: &Path) -> Result<DecisionTree, Vec<Problem>> {
    let line = |s: &Spanned<String>| line_at(text, s.span().start);
    let raw: RawTree = toml::from_str(text).map_err(|e| {
        vec![Problem::new(
            file,
            e.span().map_or(1, |s| line_at(text, s.start)),
            format!("the decision tree: {}", e.message().trim()),
            "a tree has `start`, [[question]] tables (id, question, yes_if, yes, no) and [[leaf]] tables (id, technique, reasons, runners_up, note)",
        )]
    })?;
    let mut problems = Vec::new();
    let mut add = |line: usize, message: String, hint: String| problems.push(Problem::new(file, line, message, hint));

    // Ids.
    let mut ids: HashMap<&str, usize> = HashMap::new();
    for id in raw.question.iter().map(|q| &q.id).chain(raw.leaf.iter().map(|l| &l.id)) {
        if let Some(first) = ids.get(id.get_ref().as_str()) {
            add(
                line(id),
                format!("node id `{}` is used twice (first at line {first})", id.get_ref()),
                "give every node its own id".into(),
            );
        } else {
            ids.insert(id.get_ref(), line(id));
        }
    }
    let mut known: Vec<&str> = ids.keys().copied().collect();
    known.sort_unstable();
    let dangling = |s: &Spanned<String>, what: &str, add: &mut dyn FnMut(usize, String, String)| {
        if !ids.contains_key(s.get_ref().as_str()) {
            add(
                line(s),
                format!("{what} `{}` is not a node of the tree", s.get_ref()),
                unknown_hint(s.get_ref(), "nodes", &known),
            );
        }
    };
    dangling(&raw.start, "start", &mut add);

    // Questions.
    let mut questions = Vec::new();
    for q in &raw.question {
        dangling(&q.yes, "the `yes` edge to", &mut add);
        dangling(&q.no, "the `no` edge to", &mut add);
        if q.question.trim().is_empty() {
            add(line(&q.id), format!("question `{}` has no text", q.id.get_ref()), "write the question".into());
        }
        if q.yes_if.get_ref().is_empty() {
            add(
                line_at(text, q.yes_if.span().start),
                format!("question `{}` has no rules", q.id.get_ref()),
                "add rules such as \"direction == both\"".into(),
            );
        }
        let mut rules = Vec::new();
        for r in q.yes_if.get_ref() {
            match r.get_ref().parse::<Rule>() {
                Ok(rule) => rules.push(rule),
                Err(e) => add(
                    line(r),
                    format!("bad rule `{}`: {e}", r.get_ref()),
                    "write `field op value`, as in \"updates_per_second_per_client > 0.1\"".into(),
                ),
            }
        }
        questions.push(Question {
            id: q.id.get_ref().clone(),
            question: q.question.clone(),
            yes_if: rules,
            yes: q.yes.get_ref().clone(),
            no: q.no.get_ref().clone(),
            line: line(&q.id),
        });
    }

    // Leaves.
    let names = Recommended::ALL.map(Recommended::as_str);
    let technique =
        |s: &Spanned<String>, add: &mut dyn FnMut(usize, String, String)| match s.get_ref().parse::<Recommended>() {
            Ok(t) => Some(t),
            Err(_) => {
                add(
                    line(s),
                    format!("unknown technique `{}`", s.get_ref()),
                    unknown_hint(s.get_ref(), "techniques", &names),
                );
                None
            }
        };
    let mut leaves = Vec::new();
    for l in &raw.leaf {
        let t = technique(&l.technique, &mut add);
        if l.reasons.get_ref().iter().all(|r| r.trim().is_empty()) {
            add(
                line_at(text, l.reasons.span().start),
                format!("leaf `{}` gives no reasons", l.id.get_ref()),
                "say why the technique fits, in a sentence or two".into(),
            );
        }
        let mut runners_up = Vec::new();
        for r in &l.runners_up {
            if let Some(ru) = technique(r, &mut add) {
                if Some(ru) == t {
                    add(
                        line(r),
                        format!("leaf `{}` lists its own technique as a runner-up", l.id.get_ref()),
                        "list other techniques".into(),
                    );
                }
                runners_up.push(ru);
            }
        }
        if let Some(t) = t {
            leaves.push(Leaf {
                id: l.id.get_ref().clone(),
                technique: t,
                reasons: l.reasons.get_ref().clone(),
                runners_up,
                note: l.note.clone(),
                line: line(&l.id),
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let tree = DecisionTree { file: file.to_path_buf(), start: raw.start.get_ref().clone(), questions, leaves };
    structure(&tree, &raw, text, file, &mut problems);
    if problems.is_empty() { Ok(tree) } else { Err(problems) }
}

/// Reachability and loops, on a tree whose edges all lead to nodes.
fn structure(tree: &DecisionTree, raw: &RawTree, text: &str, file: &Path, problems: &mut Vec<Problem>) {
    // Depth-first from the start; a node met again on the current path closes a loop.
    let mut state: HashMap<&str, u8> = HashMap::new(); // 1 = on the path, 2 = done
    let mut stack: Vec<(&str, usize)> = vec![(tree.start.as_str(), 0)];
    state.insert(tree.start.as_str(), 1);
    while let Some((node, edge)) = stack.pop() {
        let Some(q) = tree.question(node) else {
            state.insert(node, 2);
            continue;
        };
        if edge == 2 {
            state.insert(node, 2);
            continue;
        }
        stack.push((node, edge + 1));
        let (next, name) = if edge == 0 { (q.yes.as_str(), "yes") } else { (q.no.as_str(), "no") };
        match state.get(next) {
            Some(1) => {
                let raw_q = raw.question.iter().find(|r| r.id.get_ref() == node);
                let at = raw_q
                    .map_or(q.line, |r| line_at(text, if edge == 0 { r.yes.span().start } else { r.no.span().start }));
                problems.push(Problem::new(
                    file,
                    at,
                    format!("the `{name}` edge of `{node}` leads back to `{next}`, making a loop"),
                    "every path must end at a leaf; point the edge further down the tree",
                ));
            }
            Some(_) => {}
            None => {
                state.insert(next, 1);
                stack.push((next, 0));
            }
        }
    }
    let nodes = tree.questions.iter().map(|q| (&q.id, q.line)).chain(tree.leaves.iter().map(|l| (&l.id, l.line)));
    for (id, line) in nodes {
        if !state.contains_key(id.as_str()) {
            problems.push(Problem::new(
                file,
                line,
                format!("node `{id}` cannot be reached from the start"),
                "point an edge at it, or remove it",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
start = "a"

[[question]]
id = "a"
question = "Both ways?"
yes_if = ["direction == both"]
yes = "ws"
no = "b"

[[question]]
id = "b"
question = "Rare?"
yes_if = ["updates_per_second_per_client <= 0.1"]
yes = "poll"
no = "sse"

[[leaf]]
id = "ws"
technique = "websocket"
reasons = ["both ways"]

[[leaf]]
id = "poll"
technique = "polling"
reasons = ["rare"]

[[leaf]]
id = "sse"
technique = "sse"
reasons = ["stream"]
runners_up = ["websocket"]
"#;

    fn problems(text: &str) -> Vec<Problem> {
        DecisionTree::parse(text, Path::new("t.toml")).err().unwrap_or_default()
    }

    #[test]
    fn a_good_tree_parses() {
        let t = DecisionTree::parse(GOOD, Path::new("t.toml")).unwrap();
        assert_eq!(t.questions().len(), 2);
        assert_eq!(t.leaf("sse").unwrap().runners_up, vec![Recommended::Websocket]);
    }

    #[test]
    fn mistakes_point_at_their_lines() {
        let cases = [
            (GOOD.replace("no = \"sse\"", "no = \"sse2\""), 16, "is not a node"),
            (GOOD.replace("technique = \"polling\"", "technique = \"pigeon\""), 25, "unknown technique"),
            (GOOD.replace("no = \"sse\"", "no = \"a\""), 16, "making a loop"),
            (GOOD.replace("yes = \"poll\"", "yes = \"sse\""), 24, "cannot be reached"),
            (GOOD.replace("[\"direction == both\"]", "[\"direction > both\"]"), 7, "bad rule"),
            (GOOD.replace("reasons = [\"rare\"]", "reasons = [\"rare\"]\ncolour = \"red\""), 27, "unknown field"),
            (GOOD.replace("id = \"poll\"", "id = \"ws\""), 24, "used twice"),
        ];
        for (text, line, needle) in cases {
            let p = problems(&text);
            assert!(p.iter().any(|p| p.line == line && p.message.contains(needle)), "{needle} at {line}: {p:#?}");
        }
    }
}
