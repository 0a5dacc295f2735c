//! Errors of lab operations, as the UI sees them: a `kind` both doors map to their own
//! status (an HTTP status, a rejected Tauri promise) and a message written for the learner.

use crate::api;

/// Errors of lab operations, as the UI sees them (`kind` + message).
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Internal(String),
}

impl LabError {
    pub fn kind(&self) -> &'static str {
        match self {
            LabError::BadRequest(_) => "bad_request",
            LabError::Conflict(_) => "conflict",
            LabError::NotFound(_) => "not_found",
            LabError::Internal(_) => "internal",
        }
    }

    pub fn to_api(&self) -> api::ApiError {
        api::ApiError { kind: self.kind().into(), message: self.to_string() }
    }
}
