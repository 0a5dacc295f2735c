//! Errors crossing to the UI serialise as `{kind, message}`, like the HTTP control API's.

use rtclab_app::api::ApiError;

pub type CmdResult<T> = Result<T, ApiError>;

pub fn internal(message: impl Into<String>) -> ApiError {
    ApiError { kind: "internal".into(), message: message.into() }
}
