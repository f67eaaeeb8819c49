//! Review tools: what a change to the rendered templates does, read offline before merge.

pub mod create_only;
pub mod diff;
pub mod graph;
pub mod report;
