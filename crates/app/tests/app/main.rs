//! The app core, driven as the doors drive it.

mod cluster_blocks;
mod course_runs;
mod findings;
mod live;
mod nat_live;
mod runs;
mod text;
mod wizard;
