//! The app core, driven as the doors drive it.

mod live;
mod runs;
mod wizard;
