//! Errors crossing to the UI serialise as `{kind, message}`, like the HTTP control API's.

use rtclab_lab::api::ApiError;
use rtclab_lab::service::LabError;

pub type CmdResult<T> = Result<T, ApiError>;

pub fn from_lab(e: LabError) -> ApiError {
    e.to_api()
}

pub fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError { kind: "bad_request".into(), message: message.into() }
}

pub fn internal(message: impl Into<String>) -> ApiError {
    ApiError { kind: "internal".into(), message: message.into() }
}
