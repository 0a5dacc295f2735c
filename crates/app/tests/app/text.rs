//! Everything the course shows a learner reads as prose: no raw Markdown backticks and no
//! metric or field identifiers (`latency_ms.p50`, `bytes_per_message`) outside code.

use rtclab_app::App;
use rtclab_app::course::LessonSource;
use rtclab_app::learn::{SegmentDto, WizardInput};
use rtclab_app::ops::Api;

/// Text with `<code>` and `<pre>` elements taken out (identifiers are fine there).
fn prose(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(start) = rest.find("<code>").into_iter().chain(rest.find("<pre>")).min() {
        out.push_str(&rest[..start]);
        let close = if rest[start..].starts_with("<pre>") { "</pre>" } else { "</code>" };
        rest = rest[start..].find(close).map_or("", |end| &rest[start + end + close.len()..]);
    }
    out + rest
}

/// What reads as an identifier: snake_case words, or a dotted metric path.
fn identifiers(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .map(|w| w.trim_matches('.'))
        .filter(|w| {
            let snake = w.contains('_') && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            let dotted = w.contains("_ms.") || w.starts_with("latency.");
            snake || dotted
        })
        .map(str::to_owned)
        .collect()
}

fn check(place: &str, text: &str, problems: &mut Vec<String>) {
    if text.contains('`') {
        problems.push(format!("{place}: a raw backtick in {text:?}"));
    }
    let ids = identifiers(text);
    if !ids.is_empty() {
        problems.push(format!("{place}: identifiers {ids:?} in {text:?}"));
    }
}

#[test]
fn every_text_of_the_course_and_the_wizard_reads_as_prose() {
    let data = std::env::temp_dir().join(format!("rtc-lab-text-{}", std::process::id()));
    let app = App::new(LessonSource::BuiltIn, &data);
    let course = app.course(()).unwrap();
    let mut problems = Vec::new();
    for l in &course.lessons {
        check(&format!("{} title", l.id), &l.title, &mut problems);
        for s in &l.segments {
            match s {
                SegmentDto::Text { html } => check(&format!("{} text", l.id), &prose(html), &mut problems),
                SegmentDto::Experiment { id, caption, .. } => {
                    check(&format!("{}/{id} caption", l.id), caption.as_deref().unwrap_or(""), &mut problems)
                }
                SegmentDto::Predict { id, question, .. } => check(&format!("{}/{id}", l.id), question, &mut problems),
                SegmentDto::Quiz { id, question, choices } => {
                    check(&format!("{}/{id}", l.id), question, &mut problems);
                    for c in choices {
                        check(&format!("{}/{id} choice", l.id), c, &mut problems);
                    }
                }
                SegmentDto::Challenge { id, goal, hint, .. } => {
                    check(&format!("{}/{id} goal", l.id), goal, &mut problems);
                    check(&format!("{}/{id} hint", l.id), hint, &mut problems);
                }
                SegmentDto::Nat { id, caption, predict, challenge, goal, hint, .. }
                | SegmentDto::Cluster { id, caption, predict, challenge, goal, hint, .. } => {
                    for (what, text) in [
                        ("caption", caption),
                        ("question", predict),
                        ("task", challenge),
                        ("goal", goal),
                        ("hint", hint),
                    ] {
                        check(&format!("{}/{id} {what}", l.id), text.as_deref().unwrap_or(""), &mut problems);
                    }
                }
                SegmentDto::Webrtc { id, caption, predict, .. } => {
                    check(&format!("{}/{id} caption", l.id), caption.as_deref().unwrap_or(""), &mut problems);
                    check(&format!("{}/{id} question", l.id), predict, &mut problems);
                }
            }
        }
    }
    // What is revealed after answering: explanations of predictions and quizzes.
    let lessons = LessonSource::BuiltIn.load();
    let predicts = lessons.lessons.iter().map(|l| l.predicts().count()).sum::<usize>();
    let quizzes = lessons.lessons.iter().map(|l| l.quizzes().count()).sum::<usize>();
    assert!(predicts >= 8 && quizzes >= 4, "every block was read ({predicts} predictions, {quizzes} quizzes)");
    for l in &lessons.lessons {
        for p in l.predicts() {
            check(&format!("{}/{} explanation", l.id, p.id), &p.explain, &mut problems);
        }
        for q in l.quizzes() {
            check(&format!("{}/{} why", l.id, q.id), &q.why, &mut problems);
        }
        for w in l.webrtc_blocks() {
            check(&format!("{}/{} explanation", l.id, w.id), &w.prediction.explain, &mut problems);
        }
        for n in l.nat_blocks() {
            check(&format!("{}/{} explanation", l.id, n.id), n.explain.as_deref().unwrap_or(""), &mut problems);
        }
        for c in l.cluster_blocks() {
            if let Some(p) = &c.prediction {
                check(&format!("{}/{} explanation", l.id, c.id), &p.explain, &mut problems);
            }
        }
    }
    // The wizard, on workloads that walk every branch of the tree.
    for (rate, direction, delay) in [
        (0.001, "down", 60_000),
        (0.05, "down", 5_000),
        (2.0, "down", 500),
        (0.5, "both", 200),
        (30.0, "peer_to_peer", 100),
    ] {
        let input = WizardInput {
            updates_per_second_per_client: rate,
            direction: direction.into(),
            clients: 10,
            payload_bytes: 200,
            acceptable_delay_ms: delay,
        };
        let a = app.recommend(input).unwrap();
        let place = format!("wizard {rate}/s {direction}");
        for s in &a.path {
            check(&place, &s.question, &mut problems);
            check(&place, &s.why, &mut problems);
        }
        for r in a.reasons.iter().chain(a.note.iter()).chain(a.changes.iter()) {
            check(&place, r, &mut problems);
        }
    }
    assert!(problems.is_empty(), "{} place(s) read as markup or code:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn the_checks_catch_what_they_look_for() {
    let mut p = Vec::new();
    check("x", "the median `latency_ms.p50` is low", &mut p);
    check("y", "bytes_per_message = 178", &mut p);
    check("z", "<p>a <code>bytes_per_message</code> field</p>", &mut p);
    assert_eq!(p.len(), 4, "a backtick and an identifier in x, an identifier in y and z: {p:?}");
    assert!(prose("<p>a <code>bytes_per_message</code> field</p>").contains("a  field"));
    assert!(identifiers("a long-lived stream, 95 % within 1.5 s").is_empty());
}
