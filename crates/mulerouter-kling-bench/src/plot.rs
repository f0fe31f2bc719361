//! Requests/s against connections, one panel per workload, one line per server, drawn with
//! plotters' SVG backend.

use std::collections::BTreeSet;

use plotters::prelude::*;

use crate::load::{Cell, Workload};
use crate::targets::Target;

/// Each server in the order of the legend below the panels, with its colour (`0xRRGGBB`) and
/// its name there.
const SERIES: [(Target, u32, &str); 5] = [
    (Target::Baseline, 0x444444, "bare hyper"),
    (Target::Mock, 0xd62728, "mock (hyper)"),
    (Target::InProcess, 0xff7f0e, "mock in-process (wiremock)"),
    (Target::BareWiremock, 0x1f77b4, "bare wiremock"),
    (Target::Prism, 0x2ca02c, "Prism"),
];

/// The plot of `cells`: x is the connections (evenly spaced, in order), y the requests/s
/// from 0 to the highest in the panel.
pub fn svg(cells: &[Cell]) -> Result<String, String> {
    let mut out = String::new();
    draw(&mut out, cells).map_err(|e| format!("cannot draw the plot: {e}"))?;
    Ok(out)
}

fn draw(out: &mut String, cells: &[Cell]) -> Result<(), Box<dyn std::error::Error>> {
    let workloads: BTreeSet<Workload> = cells.iter().map(|c| c.workload).collect();
    let connections: BTreeSet<u32> = cells.iter().map(|c| c.connections).collect();
    let connections: Vec<u32> = connections.into_iter().collect();
    let size = (380 * workloads.len().max(1) as u32, 320);
    let root = SVGBackend::with_string(out, size).into_drawing_area();
    root.fill(&WHITE)?;
    let (plots, legend) = root.split_vertically(size.1 - 30);
    let rgb = |hex: u32| RGBColor((hex >> 16) as u8, (hex >> 8) as u8, hex as u8);
    let mut at = 60;
    for (_, colour, name) in SERIES {
        let square = [(at, 12), (at + 14, 16)];
        legend.draw(&Rectangle::new(square, rgb(colour).filled()))?;
        legend.draw(&Text::new(name, (at + 18, 8), ("sans-serif", 11)))?;
        at += 50 + 6 * name.len() as i32;
    }
    let panels = plots.split_evenly((1, workloads.len().max(1)));
    for (panel, workload) in panels.iter().zip(workloads) {
        let in_panel: Vec<&Cell> = cells.iter().filter(|c| c.workload == workload).collect();
        let rates = in_panel.iter().map(|c| c.summary.per_second());
        let top = rates.fold(1.0, f64::max) * 1.1;
        let mut chart = ChartBuilder::on(panel)
            .caption(workload.to_string(), ("sans-serif", 14))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(50)
            .build_cartesian_2d(-0.5..connections.len() as f64 - 0.5, 0.0..top)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .max_light_lines(0)
            .y_labels(5)
            .x_labels(connections.len())
            .x_label_formatter(&|at| {
                let index = at.round() as usize;
                connections.get(index).map_or(String::new(), u32::to_string)
            })
            .x_desc("connections")
            .y_desc("requests/s")
            .y_label_formatter(&|rate| thousands(*rate))
            .draw()?;
        for (target, colour, _) in SERIES {
            let point = |(at, &n): (usize, &u32)| {
                let cell = in_panel
                    .iter()
                    .find(|c| (c.target, c.connections) == (target, n))?;
                Some((at as f64, cell.summary.per_second()))
            };
            let points: Vec<(f64, f64)> =
                connections.iter().enumerate().filter_map(point).collect();
            if !points.is_empty() {
                let style = rgb(colour).filled().stroke_width(2);
                chart.draw_series(LineSeries::new(points, style).point_size(3))?;
            }
        }
    }
    root.present()?;
    Ok(())
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

    #[test]
    fn the_plot_has_one_line_per_server_and_one_panel_per_workload() {
        // Arrange
        let cells = [
            Cell::at_rate(Workload::Create, 1, Target::Mock, 1000.0),
            Cell::at_rate(Workload::Create, 64, Target::Mock, 9000.0),
            Cell::at_rate(Workload::Create, 64, Target::Baseline, 10000.0),
            Cell::at_rate(Workload::Get, 64, Target::Mock, 5000.0),
        ];

        // Act
        let svg = svg(&cells).unwrap();

        // Assert
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        let lines = |colour: &str| {
            svg.matches(&format!("stroke=\"{colour}\" stroke-width=\"2\""))
                .count()
        };
        assert_eq!(
            (lines("#D62728"), lines("#444444"), lines("#2CA02C")),
            (2, 1, 0)
        );
        assert!(svg.contains("valid create") && svg.contains("status GET"));
        assert!(svg.contains(">\nconnections\n<") && svg.contains(">\nrequests/s\n<"));
        for (_, _, name) in SERIES {
            assert!(
                svg.contains(&format!(">\n{name}\n<")),
                "{name} in the legend"
            );
        }
    }
}
