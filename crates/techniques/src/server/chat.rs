//! Token streaming over SSE, the way AI chat APIs send a reply: one `token` event per word,
//! then `data: [DONE]`.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct ChatQuery {
    #[serde(default)]
    pub prompt: String,
    /// Delay between tokens.
    pub delay_ms: Option<u64>,
}

const MAX_DELAY_MS: u64 = 2000;

pub async fn stream(Query(q): Query<ChatQuery>) -> Response {
    let delay = q.delay_ms.unwrap_or(40);
    if delay > MAX_DELAY_MS {
        let msg = format!("delay_ms={delay} is too long; use at most {MAX_DELAY_MS}");
        return (StatusCode::BAD_REQUEST, msg).into_response();
    }
    let tokens = reply_tokens(&q.prompt);
    let delay = Duration::from_millis(delay);
    let events = stream::unfold((0usize, tokens), move |(i, tokens)| async move {
        if i > tokens.len() {
            return None;
        }
        tokio::time::sleep(delay).await;
        let ev = match tokens.get(i) {
            Some(tok) => Event::default().id(i.to_string()).event("token").data(tok.clone()),
            None => Event::default().data("[DONE]"),
        };
        Some((Ok::<_, Infallible>(ev), (i + 1, tokens)))
    });
    Sse::new(events).into_response()
}

/// A canned reply that mentions the prompt, split into word tokens (spaces kept, as
/// language-model tokenizers do).
fn reply_tokens(prompt: &str) -> Vec<String> {
    let prompt = prompt.trim();
    let topic = if prompt.is_empty() { "your question" } else { prompt };
    let text = format!(
        "You asked about {topic}. This reply arrives one token at a time over a single \
         HTTP response: each token is its own server-sent event, so you can show it the \
         moment it is ready, and the stream ends with a DONE marker."
    );
    let mut tokens = Vec::new();
    for (i, word) in text.split(' ').enumerate() {
        tokens.push(if i == 0 { word.to_owned() } else { format!(" {word}") });
    }
    tokens
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_rebuild_the_reply() {
        let t = super::reply_tokens("SSE");
        assert!(t.concat().starts_with("You asked about SSE."));
        assert!(t.len() > 10);
    }
}
