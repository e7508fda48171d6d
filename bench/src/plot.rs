//! `plot`: per-case time against the number of patients, like the paper's
//! Fig. 2, from one or more `latency` results, as SVG (text is left to the
//! viewer's fonts; nothing is read from the system).

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use crate::args::PlotArgs;
use crate::error::{BenchError, Result};
use crate::latency::LatencyReport;

/// The paper's means (Fabric 1.0, Xeon E3-1241): whole process and chaincode.
const PAPER_TOTAL_S: f64 = 1.66;
const PAPER_CHAINCODE_S: f64 = 0.69;

/// Colours of successive runs.
const COLOURS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
];

/// Reads a `latency` results file.
pub fn read_report(path: &Path) -> Result<LatencyReport> {
    let text = std::fs::read_to_string(path).map_err(|e| BenchError::io("read", path, e))?;
    serde_json::from_str(&text).map_err(|cause| BenchError::Results {
        path: path.to_owned(),
        cause,
    })
}

/// Runs `plot`.
pub fn run(args: &PlotArgs) -> Result<PathBuf> {
    let reports = args
        .input
        .iter()
        .map(|p| read_report(p))
        .collect::<Result<Vec<_>>>()?;
    draw(&reports, &args.output)?;
    Ok(args.output.clone())
}

fn chart_error(e: impl std::fmt::Display) -> BenchError {
    BenchError::Invalid(format!("cannot draw the chart: {e}"))
}

/// Draws the chart of `reports` into the SVG file `output`.
pub fn draw(reports: &[LatencyReport], output: &Path) -> Result<()> {
    let points = reports.iter().flat_map(|r| &r.series);
    let max_patients =
        points.clone().map(|s| s.patients).max().ok_or_else(|| {
            BenchError::Invalid("the results hold no latency series to draw".into())
        })?;
    let max_y = points.map(|s| s.total.p95).fold(PAPER_TOTAL_S, f64::max) * 1.15;
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| BenchError::io("create", dir, e))?;
    }
    let root = SVGBackend::new(output, (900, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(chart_error)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "medchain: time per case vs number of patients (3 participants)",
            ("sans-serif", 22),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..(max_patients as f64 * 1.05), 0f64..max_y)
        .map_err(chart_error)?;
    chart
        .configure_mesh()
        .x_desc("patients triggered sequentially")
        .y_desc("seconds per case")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.1}"))
        .light_line_style(WHITE)
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(chart_error)?;

    let grey = RGBColor(120, 120, 120);
    for (value, name) in [
        (PAPER_TOTAL_S, "paper (Fabric 1.0): 1.66 s per case"),
        (PAPER_CHAINCODE_S, "paper: 0.69 s in the chaincode"),
    ] {
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, value), (max_patients as f64 * 1.05, value)],
                6,
                4,
                grey.stroke_width(1),
            ))
            .map_err(chart_error)?
            .label(name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], grey));
    }
    for (report, colour) in reports.iter().zip(COLOURS.iter().cycle()) {
        let colour = *colour;
        let total: Vec<(f64, f64)> = report
            .series
            .iter()
            .map(|s| (s.patients as f64, s.total.mean))
            .collect();
        let p95: Vec<(f64, f64)> = report
            .series
            .iter()
            .map(|s| (s.patients as f64, s.total.p95))
            .collect();
        let chaincode: Vec<(f64, f64)> = report
            .series
            .iter()
            .map(|s| (s.patients as f64, s.chaincode.mean))
            .collect();
        chart
            .draw_series(LineSeries::new(total.clone(), colour.stroke_width(2)))
            .map_err(chart_error)?
            .label(format!("{}: mean per case", report.label))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
        chart
            .draw_series(total.iter().map(|&p| Circle::new(p, 4, colour.filled())))
            .map_err(chart_error)?;
        chart
            .draw_series(DashedLineSeries::new(p95, 3, 3, colour.stroke_width(1)))
            .map_err(chart_error)?
            .label(format!("{}: p95", report.label))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour));
        chart
            .draw_series(LineSeries::new(
                chaincode.clone(),
                colour.mix(0.6).stroke_width(2),
            ))
            .map_err(chart_error)?
            .label(format!("{}: chaincode per case", report.label))
            .legend(move |(x, y)| TriangleMarker::new((x + 10, y), 5, colour.mix(0.6).filled()));
        chart
            .draw_series(
                chaincode
                    .iter()
                    .map(|&p| TriangleMarker::new(p, 5, colour.mix(0.6).filled())),
            )
            .map_err(chart_error)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 13))
        .draw()
        .map_err(chart_error)?;
    root.present().map_err(chart_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::args::Driver;
    use crate::latency::LatencySeries;
    use crate::machine::{Load, Machine};
    use crate::stats::Summary;

    fn series(patients: usize, mean: f64) -> LatencySeries {
        let s = Summary::of(&[mean, mean * 1.2]).unwrap();
        LatencySeries {
            patients,
            load: Load::start(),
            total: s,
            chaincode: Summary::of(&[0.05]).unwrap(),
            chaincode_work: Summary::of(&[0.08]).unwrap(),
            chaincode_transactions: 12.0,
            submitted: 5,
            steps: Vec::new(),
            cases: Vec::new(),
            retries: 0,
        }
    }

    #[test]
    fn draws_an_svg_with_every_series() {
        let report = LatencyReport {
            label: "events, fast".into(),
            machine: Machine::read(),
            driver: Driver::Events,
            parallel_answers: true,
            kdf: [64, 1, 1],
            series: vec![series(20, 0.8), series(50, 0.85)],
            retried_errors: Vec::new(),
        };
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("latency.json");
        crate::report::write_json(&input, &report).unwrap();
        let output = dir.path().join("out/plot.svg");
        run(&PlotArgs {
            input: vec![input],
            output: output.clone(),
        })
        .unwrap();
        let svg = std::fs::read_to_string(&output).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        assert!(svg.contains("events, fast: mean per case"));
        assert!(svg.contains("paper (Fabric 1.0)"));
    }

    #[test]
    fn refuses_files_that_are_not_latency_results() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("other.json");
        std::fs::write(&input, "{\"rows\": []}").unwrap();
        let err = run(&PlotArgs {
            input: vec![input],
            output: dir.path().join("x.svg"),
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("is not a medchain-bench results file"),
            "{err}"
        );
        let empty = LatencyReport {
            label: "x".into(),
            machine: Machine::read(),
            driver: Driver::Direct,
            parallel_answers: true,
            kdf: [64, 1, 1],
            series: Vec::new(),
            retried_errors: Vec::new(),
        };
        let err = draw(&[empty], &dir.path().join("y.svg"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no latency series"), "{err}");
    }
}
