//! The pipeline picture: the graph as Graphviz DOT text, and as SVG or a
//! self-contained HTML page laid out by the `layout-rs` library from that
//! same DOT text (no coordinates are computed here).

use super::graph::{FunctionNode, Graph};
use crate::error::{Error, ErrorKind, Result};
use layout::backends::svg::SVGWriter;
use layout::gv::{DotParser, GraphBuilder};
use std::fmt::Write;

/// The picture formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Dot,
    Svg,
    Html,
}

impl Format {
    /// "dot", "svg" or "html".
    pub fn parse(name: &str) -> Result<Format> {
        match name {
            "dot" => Ok(Format::Dot),
            "svg" => Ok(Format::Svg),
            "html" => Ok(Format::Html),
            other => Err(Error::invalid(format!(
                "unknown picture format '{other}': use dot, svg or html"
            ))),
        }
    }
}

/// Colors of the picture: raw data, computed data, functions, stale steps.
const RAW_FILL: &str = "#dbe9f6";
const COMPUTED_FILL: &str = "#e3f1df";
const FUNCTION_FILL: &str = "#fff4d6";
const STALE_LINE: &str = "#c0392b";

impl Graph {
    /// The graph in this format; `title` names the database in HTML.
    pub fn render(&self, format: Format, title: &str) -> Result<String> {
        let dot = self.to_dot();
        match format {
            Format::Dot => Ok(dot),
            Format::Svg => svg(&dot),
            Format::Html => Ok(html(&svg(&dot)?, title)),
        }
    }

    /// Graphviz DOT text: variable types are boxes `"v:<name>"`, functions
    /// ellipses `"f<n>"`; stale functions are drawn red.
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph pipeline {\n  node [fontsize=14];\n");
        for v in &self.variables {
            let _ = writeln!(
                out,
                "  {} [shape=box, style=filled, fillcolor=\"{}\", label={}];",
                quote(&format!("v:{}", v.name)),
                if v.computed { COMPUTED_FILL } else { RAW_FILL },
                quote(&format!(
                    "{}\n{} record{}",
                    v.name,
                    v.records,
                    if v.records == 1 { "" } else { "s" }
                ))
            );
        }
        for f in &self.functions {
            let stale = if f.stale > 0 {
                format!(", color=\"{STALE_LINE}\"")
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "  {} [shape=ellipse, style=filled, fillcolor=\"{FUNCTION_FILL}\"{stale}, label={}];",
                quote(&f.id),
                quote(&function_label(f))
            );
            for i in &f.inputs {
                let Some(variable) = &i.variable else {
                    continue;
                };
                let mut label = i.name.clone();
                let mut style = String::new();
                if !i.fixed.is_empty() {
                    let held: Vec<String> = i
                        .fixed
                        .iter()
                        .map(|(k, v)| format!("{k}={}", v.join("|")))
                        .collect();
                    label = format!("{label} (Fixed {})", held.join(", "));
                    style = ", style=dashed".into();
                }
                let _ = writeln!(
                    out,
                    "  {} -> {} [label={}{style}];",
                    quote(&format!("v:{variable}")),
                    quote(&f.id),
                    quote(&label)
                );
            }
            let several = f.outputs.len() > 1;
            for o in &f.outputs {
                let label = if several {
                    format!(" [label={}]", quote(&format!("output {}", o.index + 1)))
                } else {
                    String::new()
                };
                let _ = writeln!(
                    out,
                    "  {} -> {}{label};",
                    quote(&f.id),
                    quote(&format!("v:{}", o.variable))
                );
            }
        }
        out.push_str("}\n");
        out
    }
}

/// A function's label: name and language, constants in use, values
/// passed unsaved, and how many outputs are current and stale.
fn function_label(f: &FunctionNode) -> String {
    let mut lines = vec![format!("{} ({})", f.name, f.language)];
    for (k, values) in &f.constants {
        lines.push(format!("{k}={}", values.join(", ")));
    }
    for i in f.inputs.iter().filter(|i| i.variable.is_none()) {
        lines.push(format!("{}: a value", i.name));
    }
    lines.push(if f.stale > 0 {
        format!("{} current, {} STALE", f.current, f.stale)
    } else {
        format!("{} current", f.current)
    });
    lines.join("\n")
}

/// A DOT string literal.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Lays out and draws DOT text with `layout-rs`. Its parser and layout
/// report some failures by panicking: those become errors.
fn svg(dot: &str) -> Result<String> {
    let drawn = std::panic::catch_unwind(|| -> std::result::Result<String, String> {
        let mut parser = DotParser::new(dot);
        let ast = parser.process()?;
        let mut builder = GraphBuilder::new();
        builder.visit_graph(&ast);
        let mut graph = builder.get();
        if graph.num_nodes() == 0 {
            return Ok(EMPTY_SVG.to_string());
        }
        let mut writer = SVGWriter::new();
        graph.do_it(false, false, false, &mut writer);
        Ok(writer.finalize())
    });
    match drawn {
        Ok(Ok(svg)) => Ok(svg),
        Ok(Err(e)) => Err(Error::invalid(format!("laying out the graph: {e}"))),
        Err(_) => Err(Error::new(
            ErrorKind::Panic,
            "the layout library failed on the pipeline graph",
        )),
    }
}

/// The picture of a database without lineage.
const EMPTY_SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"320\" height=\"40\">\
<text x=\"10\" y=\"25\">no records in this database</text></svg>";

/// A page that shows the SVG with a title and a legend; it loads nothing.
fn html(svg: &str, title: &str) -> String {
    // A file is named by its file name; a catalog URL (no password) whole.
    let name = if title.contains("://") {
        title
    } else {
        std::path::Path::new(title)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(title)
    };
    let title = escape_html(name);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>scidb pipeline: {title}</title>\n<style>\n\
         body {{ font-family: sans-serif; margin: 1.5em; }}\n\
         .legend span {{ display: inline-block; padding: 0.1em 0.6em; margin-right: 0.8em; \
         border: 1px solid #555; }}\n</style>\n</head>\n<body>\n\
         <h1>Pipeline of {title}</h1>\n<p class=\"legend\">\
         <span style=\"background: {RAW_FILL}\">raw data</span>\
         <span style=\"background: {COMPUTED_FILL}\">computed data</span>\
         <span style=\"background: {FUNCTION_FILL}; border-radius: 1em\">function</span>\
         <span style=\"border-color: {STALE_LINE}; color: {STALE_LINE}\">stale outputs</span>\
         dashed arrow: a Fixed input</p>\n<div id=\"graph\">\n{svg}\n</div>\n</body>\n</html>\n"
    )
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
