//! The SVG report of a run: the latency distribution (by percentile, on a "nines" scale so
//! the tail is visible) above the throughput of each second.

use std::path::Path;

use anyhow::Context;
use hdrhistogram::Histogram;
use plotters::prelude::*;

use super::Report;

/// Percentiles drawn, as quantiles.
const QUANTILES: &[f64] = &[
    0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999,
    0.9995, 0.9999,
];

/// `-log10(1 - q)`: 0 at the median's left end, 1 at p90, 2 at p99, 3 at p99.9.
fn nines(q: f64) -> f64 {
    -(1.0 - q).max(1e-5).log10()
}

/// Writes the report to `path` (SVG).
pub(super) fn write_svg(
    path: &Path,
    report: &Report,
    latencies: &Histogram<u64>,
) -> anyhow::Result<()> {
    let draw = || -> Result<(), Box<dyn std::error::Error>> {
        let root = SVGBackend::new(path, (900, 700)).into_drawing_area();
        root.fill(&WHITE)?;
        let (top, bottom) = root.split_vertically(380);
        let title = format!(
            "raftkeep bench: {:?}, {} clients, {}; {:.0} ops/s",
            report.workload,
            report.concurrency,
            if report.new_connection_per_op {
                "new connection per request"
            } else {
                "persistent connections"
            },
            report.ops_per_sec
        );
        let points: Vec<(f64, f64)> = QUANTILES
            .iter()
            .map(|q| (nines(*q), latencies.value_at_quantile(*q) as f64 / 1000.0))
            .collect();
        let max_ms = points.iter().map(|p| p.1).fold(0.0, f64::max).max(0.001) * 1.1;
        let mut chart = ChartBuilder::on(&top)
            .caption(title, ("sans-serif", 18))
            .margin(15)
            .x_label_area_size(35)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..4.0, 0.0..max_ms)?;
        chart
            .configure_mesh()
            .x_desc("percentile")
            .y_desc("latency (ms)")
            .x_labels(5)
            .x_label_formatter(&|x: &f64| match x.round() as i64 {
                0 => "0%".to_owned(),
                1 => "90%".to_owned(),
                2 => "99%".to_owned(),
                3 => "99.9%".to_owned(),
                _ => "99.99%".to_owned(),
            })
            .draw()?;
        chart.draw_series(LineSeries::new(points, &BLUE))?;

        // Whole seconds only: the last bucket holds what was in flight at the deadline.
        let whole = (report.seconds.floor() as usize).clamp(1, report.per_second.len().max(1));
        let per_second = report.per_second.get(..whole).unwrap_or(&report.per_second);
        let seconds = per_second.len().max(1);
        let max_ops = per_second.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.1;
        let mut chart = ChartBuilder::on(&bottom)
            .caption(
                "throughput (operations completed in each second)",
                ("sans-serif", 16),
            )
            .margin(15)
            .x_label_area_size(35)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..seconds as f64, 0.0..max_ops)?;
        chart
            .configure_mesh()
            .x_desc("second")
            .y_desc("ops/s")
            .draw()?;
        chart.draw_series(LineSeries::new(
            per_second
                .iter()
                .enumerate()
                .map(|(s, n)| (s as f64 + 0.5, *n as f64)),
            &RED,
        ))?;
        root.present()?;
        Ok(())
    };
    draw()
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("writing the report {}", path.display()))
}
