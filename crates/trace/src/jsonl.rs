//! JSON Lines export and import: one [`TraceEvent`] per line, re-openable by `rtc-lab trace`
//! and by the app.

use std::io::{BufRead, Write};
use std::path::Path;

use crate::event::TraceEvent;
use crate::{Error, Result};

/// Writes events as JSON Lines.
pub fn write<'a, W: Write>(mut out: W, events: impl IntoIterator<Item = &'a TraceEvent>) -> std::io::Result<()> {
    for e in events {
        serde_json::to_writer(&mut out, e)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// Writes events to a file, creating or truncating it.
pub fn save<'a>(path: &Path, events: impl IntoIterator<Item = &'a TraceEvent>) -> Result<()> {
    let io = |source| Error::Io { path: path.display().to_string(), source };
    let file = std::fs::File::create(path).map_err(io)?;
    write(std::io::BufWriter::new(file), events).map_err(io)
}

/// Reads JSON Lines; blank lines are skipped, a bad line is an error naming file and line.
pub fn read<R: BufRead>(input: R, name: &str) -> Result<Vec<TraceEvent>> {
    let mut events = Vec::new();
    for (i, line) in input.lines().enumerate() {
        let line = line.map_err(|source| Error::Io { path: name.to_owned(), source })?;
        if line.trim().is_empty() {
            continue;
        }
        let e = serde_json::from_str(&line).map_err(|source| Error::BadLine {
            path: name.to_owned(),
            line: i + 1,
            source,
        })?;
        events.push(e);
    }
    Ok(events)
}

/// Reads a JSON Lines trace file.
pub fn load(path: &Path) -> Result<Vec<TraceEvent>> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| Error::Io { path: name.clone(), source })?;
    read(std::io::BufReader::new(file), &name)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::Recorder;
    use crate::event::{Actor, EventKind, NewEvent};

    #[test]
    fn export_then_import_gives_the_same_events() {
        let r = Recorder::new();
        let exp: Arc<str> = Arc::from("ws");
        r.record(NewEvent::new(&exp, Actor::Server, EventKind::Note { text: "a".into() }));
        r.record(
            NewEvent::new(
                &exp,
                Actor::Client(1),
                EventKind::MessageDelivered { msg_id: 1, latency_ns: 5, published: Some(0) },
            )
            .parent(Some(0)),
        );
        let snap: Vec<TraceEvent> = r.snapshot().iter().map(|e| (**e).clone()).collect();
        let mut buf = Vec::new();
        write(&mut buf, &snap).unwrap();
        let back = read(&buf[..], "mem").unwrap();
        assert_eq!(back, snap);
    }

    #[test]
    fn bad_line_names_file_and_line() {
        let input = b"\n{\"nope\":1}\n";
        let err = read(&input[..], "t.jsonl").unwrap_err();
        assert!(err.to_string().starts_with("t.jsonl:2:"), "{err}");
    }
}
