//! The one Markdown table writer of the report: a header, an alignment per column, rows.

/// A Markdown table, each line ended by a newline: `align` has one letter per column, `l`
/// (left) or `r` (right, for numbers); `headers` names the columns separated by `|`, as
/// Markdown writes them; each row has one cell per column.
pub fn table(align: &str, headers: &str, rows: Vec<Vec<String>>) -> String {
    let headers: Vec<String> = headers.split('|').map(|h| h.trim().to_string()).collect();
    assert_eq!(align.len(), headers.len(), "one alignment per column");
    let line = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
    let rule: Vec<&str> = align
        .chars()
        .map(|a| if a == 'r' { "---:" } else { "---" })
        .collect();
    let mut out = line(&headers) + &format!("|{}|\n", rule.join("|"));
    for row in rows {
        assert_eq!(row.len(), headers.len(), "one cell per column");
        out.push_str(&line(&row));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_renders_its_header_alignment_and_rows() {
        // Arrange
        let rows = vec![
            vec!["status GET".into(), "12".into()],
            vec!["valid create".into(), "–".into()],
        ];

        // Act
        let text = table("lr", "workload | req/s", rows);

        // Assert
        assert_eq!(
            text,
            "| workload | req/s |\n|---|---:|\n| status GET | 12 |\n| valid create | – |\n"
        );
    }

    #[test]
    fn an_empty_header_keeps_its_column() {
        let text = table("lrl", "target | measured |", Vec::new());

        assert_eq!(text, "| target | measured |  |\n|---|---:|---|\n");
    }
}
