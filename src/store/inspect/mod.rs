//! Facts about a database for people looking at it: what each variable
//! type holds, the pipeline steps and which of their outputs are out of
//! date, the pipeline's graph, the run log, an integrity check and
//! read-only SQL. The `scidb` command, Python and MATLAB only render them.
//!
//! Listings over the whole catalog read it in a few bulk queries (one
//! scan of the records, one of the lineage) and work in memory, never a
//! query per record: they stay fast on catalogs of many records.

mod check;
mod graph;
mod listing;
mod render;
mod scan;
mod status;
mod vars;

pub use check::{CheckReport, Problem};
pub use graph::{FunctionNode, Graph, GraphInput, GraphOutput, VariableNode};
pub use listing::{RecordRow, RunRow, SqlResult};
pub use render::Format as GraphFormat;
pub use status::{FunctionIdentity, StaleOutput, StepStatus};
pub use vars::VariableSummary;

use super::sql::Conn;
use crate::error::Result;

/// Runs `f` on one consistent snapshot of a shared catalog (other
/// processes may commit meanwhile); a DuckDB file has one writer, this
/// process, so its reads are consistent anyway.
fn snapshot<T>(conn: &Conn, f: impl FnOnce() -> Result<T>) -> Result<T> {
    if !conn.is_shared() {
        return f();
    }
    conn.batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
    let result = f();
    let end = conn.batch(if result.is_ok() { "COMMIT" } else { "ROLLBACK" });
    result.and_then(|v| end.map(|_| v))
}
