//! Aligned text tables that fit an 80-column terminal: columns are as
//! wide as their widest cell, and the flexible ones are cut (with an
//! ellipsis) when the row would be wider than the screen.

/// Columns of the screen a table fills at most.
pub const WIDTH: usize = 80;

/// A table being filled.
pub struct Table {
    headers: Vec<String>,
    /// Whether a column may be cut to fit (previews, metadata).
    flexible: Vec<bool>,
    /// Whether a column is right-aligned (numbers).
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these columns: `(header, flexible, right-aligned)`.
    pub fn new(columns: &[(&str, bool, bool)]) -> Self {
        Table {
            headers: columns.iter().map(|c| c.0.to_string()).collect(),
            flexible: columns.iter().map(|c| c.1).collect(),
            right: columns.iter().map(|c| c.2).collect(),
            rows: Vec::new(),
        }
    }

    /// A table of text columns, none flexible but the last.
    pub fn plain(headers: &[String]) -> Self {
        let n = headers.len();
        Table {
            headers: headers.to_vec(),
            flexible: (0..n).map(|i| i + 1 == n).collect(),
            right: vec![false; n],
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// The table as lines (header first), each at most [`WIDTH`] wide
    /// when the fixed columns fit.
    pub fn render(&self) -> String {
        let n = self.headers.len();
        let cell_width = |s: &str| s.chars().count();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| cell_width(h)).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(n) {
                widths[i] = widths[i].max(cell_width(cell));
            }
        }
        // Cut the widest flexible column until the row fits.
        let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * n.saturating_sub(1);
        while total(&widths) > WIDTH {
            let widest = (0..n)
                .filter(|&i| self.flexible[i] && widths[i] > cell_width(&self.headers[i]).max(8))
                .max_by_key(|&i| widths[i]);
            match widest {
                Some(i) => widths[i] -= 1,
                None => break,
            }
        }
        let mut out = String::new();
        let lines = std::iter::once(&self.headers).chain(&self.rows);
        for row in lines {
            let mut line = String::new();
            for (i, width) in widths.iter().enumerate() {
                let cell = fit(row.get(i).map(String::as_str).unwrap_or(""), *width);
                let pad = width - cell_width(&cell);
                if i > 0 {
                    line.push_str("  ");
                }
                if self.right[i] {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(&cell);
                } else {
                    line.push_str(&cell);
                    if i + 1 < n {
                        line.push_str(&" ".repeat(pad));
                    }
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// The text cut to `width` characters, an ellipsis marking the cut.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A byte count people read: `812 B`, `1.5 KiB`, `3.2 MiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
