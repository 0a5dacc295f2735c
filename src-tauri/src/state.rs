//! App state: the one `Lab` both the window and its commands share.

use rtclab_lab::service::Lab;

#[derive(Debug, Default)]
pub struct AppState {
    pub lab: Lab,
}
