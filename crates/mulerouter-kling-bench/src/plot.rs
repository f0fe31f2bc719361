//! Requests/s against connections, one small SVG panel per workload, one line per server:
//! written by hand (a few dozen elements), so the benchmarks need no plotting library.

use std::fmt::Write;

use crate::load::{Cell, Workload};
use crate::targets::Target;

const PANEL_WIDTH: f64 = 300.0;
const PANEL_HEIGHT: f64 = 220.0;
const MARGIN_LEFT: f64 = 60.0;
const MARGIN_TOP: f64 = 30.0;
const MARGIN_BOTTOM: f64 = 40.0;
const LEGEND_HEIGHT: f64 = 30.0;

/// The colour of each server's line.
fn colour(target: Target) -> &'static str {
    match target {
        Target::Baseline => "#444444",
        Target::Mock => "#d62728",
        Target::InProcess => "#ff7f0e",
        Target::BareWiremock => "#1f77b4",
        Target::Prism => "#2ca02c",
    }
}

const TARGETS: [Target; 5] = [
    Target::Baseline,
    Target::Mock,
    Target::InProcess,
    Target::BareWiremock,
    Target::Prism,
];

/// The plot of `cells`: x is the connections (evenly spaced, in order), y the requests/s
/// from 0 to the highest in the panel.
pub fn svg(cells: &[Cell]) -> String {
    let mut workloads: Vec<Workload> = cells.iter().map(|c| c.workload).collect();
    workloads.sort();
    workloads.dedup();
    let mut connections: Vec<u32> = cells.iter().map(|c| c.connections).collect();
    connections.sort_unstable();
    connections.dedup();
    let panel = MARGIN_LEFT + PANEL_WIDTH + 20.0;
    let width = panel * workloads.len().max(1) as f64;
    let height = MARGIN_TOP + PANEL_HEIGHT + MARGIN_BOTTOM + LEGEND_HEIGHT;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    for (index, workload) in workloads.iter().enumerate() {
        let left = index as f64 * panel + MARGIN_LEFT;
        let in_panel: Vec<&Cell> = cells.iter().filter(|c| c.workload == *workload).collect();
        let top = in_panel
            .iter()
            .map(|c| c.summary.per_second())
            .fold(1.0, f64::max)
            * 1.1;
        let x = |conns: u32| {
            let at = connections.iter().position(|c| *c == conns).unwrap_or(0) as f64;
            left + (at + 0.5) * PANEL_WIDTH / connections.len().max(1) as f64
        };
        let y = |rate: f64| MARGIN_TOP + PANEL_HEIGHT * (1.0 - rate / top);
        let _ = writeln!(
            out,
            r#"<text x="{}" y="18" text-anchor="middle" font-weight="bold">{workload}</text>"#,
            left + PANEL_WIDTH / 2.0
        );
        let _ = writeln!(
            out,
            r##"<rect x="{left}" y="{MARGIN_TOP}" width="{PANEL_WIDTH}" height="{PANEL_HEIGHT}" fill="none" stroke="#bbbbbb"/>"##
        );
        for step in 0..=4 {
            let rate = top * f64::from(step) / 4.0;
            let _ = writeln!(
                out,
                r##"<line x1="{left}" x2="{}" y1="{y}" y2="{y}" stroke="#eeeeee"/><text x="{}" y="{}" text-anchor="end">{}</text>"##,
                left + PANEL_WIDTH,
                left - 4.0,
                y(rate) + 4.0,
                thousands(rate),
                y = y(rate)
            );
        }
        for conns in &connections {
            let _ = writeln!(
                out,
                r#"<text x="{}" y="{}" text-anchor="middle">{conns}</text>"#,
                x(*conns),
                MARGIN_TOP + PANEL_HEIGHT + 15.0
            );
        }
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle">connections</text>"#,
            left + PANEL_WIDTH / 2.0,
            MARGIN_TOP + PANEL_HEIGHT + 30.0
        );
        for target in TARGETS {
            let mut points: Vec<(u32, f64)> = in_panel
                .iter()
                .filter(|c| c.target == target)
                .map(|c| (c.connections, c.summary.per_second()))
                .collect();
            points.sort_by_key(|p| p.0);
            if points.is_empty() {
                continue;
            }
            let path: Vec<String> = points
                .iter()
                .map(|(c, r)| format!("{:.1},{:.1}", x(*c), y(*r)))
                .collect();
            let _ = writeln!(
                out,
                r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>"#,
                path.join(" "),
                colour(target)
            );
            for (c, r) in &points {
                let _ = writeln!(
                    out,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{}"/>"#,
                    x(*c),
                    y(*r),
                    colour(target)
                );
            }
        }
    }
    let legend_y = MARGIN_TOP + PANEL_HEIGHT + MARGIN_BOTTOM + 15.0;
    for (index, target) in TARGETS.iter().enumerate() {
        let at = MARGIN_LEFT + index as f64 * 150.0;
        let _ = writeln!(
            out,
            r#"<rect x="{at}" y="{}" width="14" height="4" fill="{}"/><text x="{}" y="{}">{}</text>"#,
            legend_y - 4.0,
            colour(*target),
            at + 18.0,
            legend_y,
            legend(*target)
        );
    }
    out.push_str("</svg>\n");
    out
}

fn legend(target: Target) -> &'static str {
    match target {
        Target::Baseline => "bare hyper",
        Target::Mock => "mock (hyper)",
        Target::InProcess => "mock in-process (wiremock)",
        Target::BareWiremock => "bare wiremock",
        Target::Prism => "Prism",
    }
}

/// The cells of the "Throughput and latency" and wiremock-ceiling tables of a report written
/// by [`crate::report`], so the plot can be drawn again from `BENCHMARKS.md`.
pub fn cells_from_report(markdown: &str) -> Vec<Cell> {
    let mut cells = Vec::new();
    // Columns of each table: (header cell that starts its row, target of each req/s column).
    let mut columns: Vec<Option<Target>> = Vec::new();
    for line in markdown.lines() {
        let row: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        if row.first() == Some(&"workload") {
            columns = row
                .iter()
                .map(|header| match *header {
                    "baseline req/s" => Some(Target::Baseline),
                    "mock req/s" => Some(Target::Mock),
                    "in-process req/s" => Some(Target::InProcess),
                    "bare wiremock req/s" => Some(Target::BareWiremock),
                    "Prism req/s" => Some(Target::Prism),
                    _ => None,
                })
                .collect();
            continue;
        }
        let workload = match row.first() {
            Some(&"valid create") => Workload::Create,
            Some(&"invalid create") => Workload::Invalid,
            Some(&"status GET") => Workload::Get,
            _ => continue,
        };
        let Some(connections) = row.get(1).and_then(|c| c.parse().ok()) else {
            continue;
        };
        for (at, target) in columns.iter().enumerate() {
            let rate = row
                .get(at)
                .map(|cell| cell.replace(['\u{202f}', ' '], ""))
                .and_then(|cell| cell.parse::<f64>().ok());
            if let (Some(target), Some(rate)) = (target, rate) {
                cells.push(Cell {
                    workload,
                    connections,
                    target: *target,
                    summary: crate::wrk::Summary {
                        requests: rate,
                        seconds: 1.0,
                        p50_ms: 0.0,
                        p99_ms: 0.0,
                        max_ms: 0.0,
                        status_errors: 0.0,
                        socket_errors: 0.0,
                    },
                    others: 0.0,
                    rates: vec![rate],
                });
            }
        }
    }
    cells
}

/// `12345.6` as `12k`, `950` as `950`.
fn thousands(value: f64) -> String {
    if value >= 1000.0 {
        format!("{:.0}k", value / 1000.0)
    } else {
        format!("{value:.0}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wrk::Summary;

    fn cell(workload: Workload, connections: u32, target: Target, requests: f64) -> Cell {
        Cell {
            workload,
            connections,
            target,
            summary: Summary {
                requests,
                seconds: 1.0,
                p50_ms: 0.1,
                p99_ms: 0.5,
                max_ms: 1.0,
                status_errors: 0.0,
                socket_errors: 0.0,
            },
            others: 0.0,
            rates: vec![requests],
        }
    }

    #[test]
    fn one_line_per_server_and_one_panel_per_workload() {
        // Arrange
        let cells = [
            cell(Workload::Create, 1, Target::Mock, 1000.0),
            cell(Workload::Create, 64, Target::Mock, 9000.0),
            cell(Workload::Create, 64, Target::Baseline, 10000.0),
            cell(Workload::Get, 64, Target::Mock, 5000.0),
        ];

        // Act
        let svg = svg(&cells);

        // Assert
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<polyline").count(), 3);
        assert_eq!(svg.matches("font-weight=\"bold\"").count(), 2);
        assert!(svg.contains("valid create") && svg.contains("status GET"));
    }

    #[test]
    fn the_cells_are_read_back_from_a_report() {
        // Arrange
        let report = "| workload | conns | baseline req/s | p50 ms | mock req/s |\n|---|---:|---:|---:|---:|\n\
                      | status GET | 64 | 89\u{202f}283 | 0.31 | 45\u{202f}766 |\n\
                      | workload | conns | bare wiremock req/s |\n| status GET | 64 | 34\u{202f}027 |\n";

        // Act
        let cells = cells_from_report(report);

        // Assert
        let read: Vec<(Target, u32, f64)> = cells
            .iter()
            .map(|c| (c.target, c.connections, c.summary.per_second()))
            .collect();
        assert_eq!(
            read,
            [
                (Target::Baseline, 64, 89_283.0),
                (Target::Mock, 64, 45_766.0),
                (Target::BareWiremock, 64, 34_027.0)
            ]
        );
    }

    #[test]
    fn thousands_are_shortened() {
        assert_eq!(thousands(12_345.0), "12k");
        assert_eq!(thousands(950.0), "950");
    }
}
