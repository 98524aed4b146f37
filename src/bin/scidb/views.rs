//! How each listing looks: a table (or a tree for `trace`), or JSON.

use crate::table::{bytes, fit, Table, WIDTH};
use scidb::store::inspect::{
    CheckReport, GraphFormat, RecordRow, RunRow, SqlResult, StepStatus, VariableSummary,
};
use scidb::store::lineage::Provenance;
use scidb::Record;
use serde::Serialize;
use serde_json::Value as Json;
use std::collections::HashMap;
use std::fmt::Write;
use std::path::Path;

/// Characters of a record id listings show (`trace` takes them).
const SHORT_ID: usize = 12;
/// Stale outputs `status` lists per step.
const STALE_SHOWN: usize = 10;

/// Prints `value` as JSON, or as the text `render` makes.
pub fn print<T: Serialize + ?Sized>(
    json: bool,
    value: &T,
    render: impl Fn(&T) -> String,
) -> Result<(), String> {
    if json {
        print_json(value)
    } else {
        print!("{}", render(value));
        Ok(())
    }
}

pub fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| format!("writing JSON: {e}"))?;
    println!("{text}");
    Ok(())
}

/// `key=value` arguments as a query: numbers and booleans as such, other
/// values as text; a key given twice matches either value.
pub fn parse_query(args: &[String]) -> Result<scidb::metadata::Query, String> {
    let mut query: serde_json::Map<String, Json> = serde_json::Map::new();
    for a in args {
        let (k, v) = a
            .split_once('=')
            .ok_or_else(|| format!("'{a}' is not key=value (e.g. subject=1)"))?;
        let value = match serde_json::from_str::<Json>(v) {
            Ok(j @ (Json::Number(_) | Json::Bool(_))) => j,
            _ => Json::String(v.to_string()),
        };
        match query.get_mut(k) {
            Some(Json::Array(list)) => list.push(value),
            Some(_) => return Err(format!("internal: query key {k} is not a list")),
            None => {
                query.insert(k.to_string(), Json::Array(vec![value]));
            }
        }
    }
    scidb::metadata::parse_query(&Json::Object(query).to_string()).map_err(|e| e.message)
}

/// A JSON value as people read it: text without quotes.
fn plain(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `k=v k=v` of a JSON object, in the order of `order` first.
fn pairs(v: &Json, order: &[String]) -> String {
    let Json::Object(map) = v else {
        return plain(v);
    };
    let mut keys: Vec<&String> = order.iter().filter(|k| map.contains_key(*k)).collect();
    keys.extend(map.keys().filter(|k| !order.contains(k)));
    keys.iter()
        .map(|k| format!("{k}={}", plain(&map[*k])))
        .collect::<Vec<_>>()
        .join(" ")
}

fn short(id: &str) -> String {
    id.chars().take(SHORT_ID).collect()
}

/// A timestamp as month, day, hour and minute (`12-02 19:32`): the
/// year and seconds are in `--json`.
fn time(t: &str) -> String {
    t.chars().skip(5).take(11).collect()
}

pub fn vars(vars: &[VariableSummary]) -> String {
    if vars.is_empty() {
        return "no records\n".into();
    }
    let mut t = Table::new(&[
        ("VARIABLE", true, false),
        ("RECORDS", false, true),
        ("LOCATIONS", false, true),
        ("VARIANTS", false, true),
        ("COMPUTED", false, true),
        ("SIZE", false, true),
        ("KINDS", true, false),
    ]);
    for v in vars {
        t.push(vec![
            v.variable.clone(),
            v.records.to_string(),
            v.locations.to_string(),
            v.variants.to_string(),
            v.computed.to_string(),
            bytes(v.bytes),
            v.kinds.join(","),
        ]);
    }
    t.render()
}

/// `show` and `versions`: schema keys as columns, then the variant, the
/// preview, the record and when it was saved (and for versions, which is
/// the newest).
pub fn records(rows: &[RecordRow], schema_keys: &[String], versions: bool) -> String {
    if rows.is_empty() {
        return "no records match\n".into();
    }
    // Only the schema keys some row has.
    let keys: Vec<&String> = schema_keys
        .iter()
        .filter(|k| rows.iter().any(|r| r.keys.get(k.as_str()).is_some()))
        .collect();
    let with_variant = rows
        .iter()
        .any(|r| r.variant.as_object().is_some_and(|m| !m.is_empty()));
    let upper: Vec<String> = keys.iter().map(|k| k.to_uppercase()).collect();
    let mut columns: Vec<(&str, bool, bool)> = Vec::new();
    if versions {
        columns.push(("VERSION", false, true));
    }
    columns.extend(upper.iter().map(|k| (k.as_str(), false, false)));
    if with_variant {
        columns.push(("VARIANT", true, false));
    }
    columns.extend([
        ("VALUE", true, false),
        ("RECORD", false, false),
        ("SAVED", false, false),
    ]);
    let mut t = Table::new(&columns);
    for r in rows {
        let mut row = Vec::new();
        if versions {
            let mark = if r.newest { "*" } else { "" };
            row.push(format!("{}{mark}", r.version));
        }
        for k in &keys {
            row.push(r.keys.get(k.as_str()).map(plain).unwrap_or_default());
        }
        if with_variant {
            row.push(pairs(&r.variant, &[]));
        }
        row.push(r.preview.clone().unwrap_or_else(|| "null".into()));
        row.push(short(&r.record_id));
        row.push(time(&r.saved_at));
        t.push(row);
    }
    let mut out = t.render();
    if versions {
        out.push_str("* the newest version of its location and variant\n");
    }
    out
}

/// `trace`: the record, then each step upstream, indented under the
/// record it made; inputs saved without lineage end a branch.
pub fn trace(record: &Record, steps: &[Provenance]) -> String {
    let by_id: HashMap<&str, &Provenance> =
        steps.iter().map(|p| (p.record_id.as_str(), p)).collect();
    let meta: Json = serde_json::from_str(&scidb::metadata::to_json_object(&record.metadata))
        .unwrap_or(Json::Null);
    let mut out = format!(
        "{} {}  {}\n",
        record.info.variable,
        record.info.record_id,
        pairs(&meta, &[])
    );
    if steps.is_empty() {
        out.push_str("  saved without lineage (raw data)\n");
        return out;
    }
    let mut seen = std::collections::HashSet::new();
    step(&mut out, &record.info.record_id, &by_id, 1, &mut seen);
    out
}

fn step<'a>(
    out: &mut String,
    id: &'a str,
    by_id: &HashMap<&'a str, &'a Provenance>,
    depth: usize,
    seen: &mut std::collections::HashSet<&'a str>,
) {
    let Some(p) = by_id.get(id) else {
        return;
    };
    let pad = "  ".repeat(depth);
    let mut head = format!("{pad}<- {} ({})", p.function_name, p.language);
    if !p.constants.0.is_empty() {
        let consts: Vec<String> = p
            .constants
            .0
            .iter()
            .map(|(k, v)| format!("{k}={}", plain(v)))
            .collect();
        let _ = write!(head, "  constants: {}", consts.join(", "));
    }
    if p.n_outputs > 1 {
        let _ = write!(head, "  output {} of {}", p.output_index + 1, p.n_outputs);
    }
    out.push_str(&head);
    out.push('\n');
    for i in &p.inputs {
        let what = match (&i.variable, &i.record_id) {
            (Some(v), Some(r)) => format!("{v} {}", short(r)),
            (None, Some(r)) => format!("record {}", short(r)),
            _ => format!("a value (hash {})", fit(&i.content_hash, 16)),
        };
        let raw = match &i.record_id {
            Some(r) if !by_id.contains_key(r.as_str()) => "  (raw)",
            _ => "",
        };
        let _ = writeln!(out, "{pad}   {}: {what}{raw}", i.name);
        if let Some(r) = &i.record_id {
            if let Some(&up) = by_id.get(r.as_str()) {
                if seen.insert(up.record_id.as_str()) {
                    step(out, up.record_id.as_str(), by_id, depth + 2, seen);
                }
            }
        }
    }
}

pub fn runs(runs: &[RunRow]) -> String {
    if runs.is_empty() {
        return "no runs\n".into();
    }
    let mut t = Table::new(&[
        ("RUN", false, true),
        ("STEP", true, false),
        ("LANG", false, false),
        ("RAN", false, true),
        ("CACHED", false, true),
        ("SKIPPED", false, true),
        ("FAILED", false, true),
        ("STARTED", false, false),
    ]);
    for r in runs {
        let outputs = match &r.outputs {
            Json::Array(list) => list.iter().map(plain).collect::<Vec<_>>().join(","),
            other => plain(other),
        };
        t.push(vec![
            r.run_id.to_string(),
            format!("{} -> {outputs}", r.function),
            r.language.clone(),
            r.ran.to_string(),
            r.cached.to_string(),
            r.skipped.to_string(),
            r.failed.to_string(),
            time(&r.started_at),
        ]);
    }
    let mut out = t.render();
    for r in runs.iter().filter(|r| !r.failures.is_empty()) {
        let _ = writeln!(out, "\nrun {} failures:", r.run_id);
        for f in &r.failures {
            let message = f
                .message
                .as_deref()
                .unwrap_or("")
                .lines()
                .next_back()
                .unwrap_or("");
            let line = format!("  {}: {message}", pairs(&f.metadata, &[]));
            let _ = writeln!(out, "{}", fit(&line, WIDTH));
        }
    }
    out
}

pub fn status(steps: &[StepStatus]) -> String {
    if steps.is_empty() {
        return "no pipeline steps (no record was saved with lineage)\n".into();
    }
    let mut t = Table::new(&[
        ("STEP", true, false),
        ("LANGUAGE", false, false),
        ("OUTPUTS", false, true),
        ("CURRENT", false, true),
        ("STALE", false, true),
    ]);
    for s in steps {
        t.push(vec![
            format!("{} -> {}", s.function, s.output),
            s.language.clone(),
            s.outputs.to_string(),
            s.current.to_string(),
            s.stale.to_string(),
        ]);
    }
    let mut out = t.render();
    for s in steps.iter().filter(|s| s.stale > 0) {
        let _ = writeln!(out, "\nstale {} -> {}:", s.function, s.output);
        for o in s.stale_outputs.iter().take(STALE_SHOWN) {
            let why = match (o.reason.as_str(), &o.input) {
                ("newer_input", Some(i)) => format!("newer input {i}"),
                ("stale_input", Some(i)) => format!("stale input {i}"),
                ("missing_input", Some(i)) => format!("missing input {i}"),
                ("function_changed", _) => "function changed".into(),
                (other, _) => other.to_string(),
            };
            let line = format!(
                "  {}  {}  ({why})",
                short(&o.record_id),
                pairs(&o.metadata, &[])
            );
            let _ = writeln!(out, "{}", fit(&line, WIDTH));
        }
        if s.stale_outputs.len() > STALE_SHOWN {
            let _ = writeln!(
                out,
                "  ... and {} more",
                s.stale_outputs.len() - STALE_SHOWN
            );
        }
    }
    out
}

pub fn sql(result: &SqlResult) -> String {
    let mut t = Table::plain(&result.columns);
    for row in &result.rows {
        t.push(
            row.iter()
                .map(|c| c.clone().unwrap_or_else(|| "NULL".into()))
                .collect(),
        );
    }
    let mut out = t.render();
    let n = result.rows.len();
    let _ = writeln!(out, "({n} row{})", if n == 1 { "" } else { "s" });
    out
}

pub fn check(report: &CheckReport) -> String {
    let mut out = format!(
        "checked {} records (every version) and {} lineage rows: {} values verified, {} problem{}\n",
        report.records,
        report.lineage_rows,
        report.verified,
        report.problems.len(),
        if report.problems.len() == 1 { "" } else { "s" }
    );
    for p in &report.problems {
        let _ = writeln!(
            out,
            "  record {} ({}): {}",
            p.record_id,
            p.variable.as_deref().unwrap_or("?"),
            p.problem
        );
    }
    out
}

/// The picture format a file name asks for.
pub fn picture_format(path: &Path) -> Result<GraphFormat, String> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some(e @ ("dot" | "svg" | "html")) => GraphFormat::parse(e).map_err(|e| e.message),
        _ => Err(format!(
            "{}: the file name must end in .dot, .svg or .html",
            path.display()
        )),
    }
}
