//! `for_each`: run a function over every combination of metadata values,
//! loading its inputs in bulk, skipping what is missing or cached, and
//! saving its outputs with lineage in batched transactions.
//!
//! One engine serves every language. A host drives it without callbacks:
//! [`ForEach::plan`] decides what each combination needs;
//! [`ForEach::next_batch`] hands out work items with their inputs loaded;
//! the host runs its function and reports each result with
//! [`ForEach::complete`] or [`ForEach::fail`]; [`ForEach::finish`] saves
//! what is left and writes the run log. [`parallel::run`] does the same
//! with a Rust closure on N threads while the calling thread saves.
//! See docs/foreach.md.

mod engine;
pub mod parallel;
mod plan;
mod shared;
mod spec;

pub use engine::{ForEach, Summary, WorkItem};
pub use plan::Status;
pub use spec::{InputSpec, Source, Spec, DEFAULT_LEASE_SECONDS};
