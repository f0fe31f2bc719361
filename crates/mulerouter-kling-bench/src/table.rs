//! The one Markdown table writer of the report: a header, an alignment per column, rows.

/// A Markdown table: `align` has one letter per column, `l` (left) or `r` (right, for
/// numbers); `headers` names the columns separated by `|`, as Markdown writes them.
#[derive(Debug, Clone)]
pub struct Table {
    headers: Vec<String>,
    align: String,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(align: &str, headers: &str) -> Self {
        let headers: Vec<String> = headers.split('|').map(|h| h.trim().to_string()).collect();
        assert_eq!(align.len(), headers.len(), "one alignment per column");
        Self {
            headers,
            align: align.into(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        assert_eq!(cells.len(), self.headers.len(), "one cell per column");
        self.rows.push(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table, each line ended by a newline.
    pub fn render(&self) -> String {
        let line = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
        let rule: Vec<String> = self
            .align
            .chars()
            .map(|a| if a == 'r' { "---:" } else { "---" }.to_string())
            .collect();
        let mut out = line(&self.headers);
        out.push_str(&format!("|{}|\n", rule.join("|")));
        self.rows.iter().for_each(|row| out.push_str(&line(row)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_renders_its_header_alignment_and_rows() {
        // Arrange
        let mut table = Table::new("lr", "workload | req/s");
        table.row(vec!["status GET".into(), "12".into()]);
        table.row(vec!["valid create".into(), "–".into()]);

        // Act
        let text = table.render();

        // Assert
        assert_eq!(
            text,
            "| workload | req/s |\n|---|---:|\n| status GET | 12 |\n| valid create | – |\n"
        );
    }

    #[test]
    fn an_empty_header_keeps_its_column() {
        let table = Table::new("lrl", "target | measured |");

        assert_eq!(table.render(), "| target | measured |  |\n|---|---:|---|\n");
    }

    #[test]
    #[should_panic(expected = "one cell per column")]
    fn a_row_with_a_missing_cell_is_refused() {
        let mut table = Table::new("lr", "workload | req/s");

        table.row(vec!["status GET".into()]);
    }
}
