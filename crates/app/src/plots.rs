//! SVG charts of a comparison, drawn with plotters from the measured figures.
//!
//! - `latency-cdf.svg`: for each technique, the share of deliveries that arrived within x ms
//!   (log scale, so sub-millisecond pushes and half-second polls fit on one chart).
//! - `bytes-per-message.svg`: bytes on the wire per delivered message, split into header
//!   (framing) and payload.
//! - `requests-per-second.svg`: HTTP requests started in each second of each run.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use rtclab_techniques::Technique;

use crate::compare::Comparison;

/// Errors while drawing.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("cannot write {path}: {source}")]
    Dir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("drawing {path} failed: {message}")]
    Draw { path: String, message: String },
    #[error("there is no chart named {0:?}; choose latency-cdf, bytes-per-message or requests-per-second")]
    Unknown(String),
}

const SIZE: (u32, u32) = (960, 560);

/// Draws one chart on a drawing area.
type DrawFn = fn(&Comparison, &DrawingArea<SVGBackend, Shift>) -> Result<(), String>;

/// The colour of a technique, the same on every chart.
pub fn colour(t: Technique) -> RGBColor {
    match t {
        Technique::Polling => RGBColor(214, 69, 65),
        Technique::LongPolling => RGBColor(230, 145, 56),
        Technique::Sse => RGBColor(46, 139, 87),
        Technique::Websocket => RGBColor(52, 101, 164),
    }
}

/// The charts, by name.
const CHARTS: [(&str, DrawFn); 3] = [
    ("latency-cdf", latency_cdf),
    ("bytes-per-message", bytes_per_message),
    ("requests-per-second", requests_per_second),
];

/// One chart as SVG text.
pub fn render_one(c: &Comparison, name: &str) -> Result<String, PlotError> {
    let draw =
        CHARTS.iter().find(|(n, _)| *n == name).map(|(_, d)| *d).ok_or_else(|| PlotError::Unknown(name.into()))?;
    let err = |message: String| PlotError::Draw { path: name.to_owned(), message };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        draw(c, &root).map_err(err)?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    Ok(svg)
}

/// Writes every chart into `dir` (created if missing) and returns their paths.
pub fn write_all(c: &Comparison, dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    std::fs::create_dir_all(dir).map_err(|source| PlotError::Dir { path: dir.display().to_string(), source })?;
    let mut written = Vec::new();
    for (name, _) in CHARTS {
        let path = dir.join(format!("{name}.svg"));
        let svg = render_one(c, name)?;
        std::fs::write(&path, svg).map_err(|source| PlotError::Dir { path: path.display().to_string(), source })?;
        written.push(path);
    }
    Ok(written)
}

fn subtitle(c: &Comparison) -> String {
    let w = &c.workload;
    format!("{} clients, {} msg/s, {} B payload, {:?}", w.clients, w.rate, w.payload, w.duration)
}

fn latency_cdf(c: &Comparison, root: &DrawingArea<SVGBackend, Shift>) -> Result<(), String> {
    let all = c.runs.iter().flat_map(|r| r.latencies_ms.iter().copied());
    let (lo, hi) = all.fold((f64::MAX, 0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, hi) = if hi <= 0.0 { (0.01, 1000.0) } else { ((lo.max(0.001) / 2.0), hi * 2.0) };
    let mut chart = ChartBuilder::on(root)
        .caption(format!("Delivery latency, publish → client ({})", subtitle(c)), ("sans-serif", 22))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d((lo..hi).log_scale(), 0f64..1.0)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("latency (ms, log scale)")
        .y_desc("share of deliveries at or below")
        .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
        .x_label_formatter(&|v| if *v >= 1.0 { format!("{v:.0}") } else { format!("{v}") })
        .draw()
        .map_err(|e| e.to_string())?;
    for r in &c.runs {
        let n = r.latencies_ms.len();
        if n == 0 {
            continue;
        }
        let col = colour(r.technique);
        // Thin the curve to at most ~500 points; the shape stays exact at those points.
        let step = (n / 500).max(1);
        let pts: Vec<(f64, f64)> = r
            .latencies_ms
            .iter()
            .enumerate()
            .filter(|(i, _)| i % step == 0 || *i == n - 1)
            .map(|(i, v)| (v.max(lo), (i + 1) as f64 / n as f64))
            .collect();
        let label = format!("{} (p50 {:.2} ms)", r.technique, r.metrics.latency_ms.p50);
        chart
            .draw_series(LineSeries::new(pts, col.stroke_width(3)))
            .map_err(|e| e.to_string())?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], col.stroke_width(3)));
    }
    draw_legend(&mut chart, SeriesLabelPosition::LowerRight)
}

fn bytes_per_message(c: &Comparison, root: &DrawingArea<SVGBackend, Shift>) -> Result<(), String> {
    let n = c.runs.len().max(1) as i32;
    let per = |r: &rtclab_techniques::RunReport, v: u64| {
        if r.metrics.delivered == 0 { 0.0 } else { v as f64 / r.metrics.delivered as f64 }
    };
    let top = c.runs.iter().map(|r| r.metrics.bytes_per_message).fold(0.0, f64::max).max(1.0) * 1.2;
    let names: Vec<String> = c.runs.iter().map(|r| r.technique.to_string()).collect();
    let mut chart = ChartBuilder::on(root)
        .caption(format!("Bytes on the wire per delivered message ({})", subtitle(c)), ("sans-serif", 22))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d((0..n - 1).into_segmented(), 0f64..top)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_desc("bytes per delivered message")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => names.get(*i as usize).cloned().unwrap_or_default(),
            SegmentValue::Last => String::new(),
        })
        .draw()
        .map_err(|e| e.to_string())?;
    let centred = TextStyle::from(("sans-serif", 16).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom));
    for (i, r) in c.runs.iter().enumerate() {
        let col = colour(r.technique);
        let total = r.metrics.bytes_per_message;
        let header = per(r, r.metrics.header_bytes);
        for (v, style) in [(total, col.mix(0.45).filled()), (header, col.filled())] {
            let bar = Histogram::vertical(&chart).style(style).margin(40).data([(i as i32, v)]);
            chart.draw_series(bar).map_err(|e| e.to_string())?;
        }
        let label = format!("{total:.0} B ({header:.0} header)");
        chart
            .draw_series([Text::new(label, (SegmentValue::CenterOf(i as i32), total + top * 0.02), centred.clone())])
            .map_err(|e| e.to_string())?;
    }
    // A legend for the two shades.
    let grey = RGBColor(90, 90, 90);
    chart
        .draw_series([Rectangle::new([(SegmentValue::Exact(0), top), (SegmentValue::Exact(0), top)], grey.filled())])
        .map_err(|e| e.to_string())?
        .label("dark: header and framing bytes · light: payload bytes")
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], grey.filled()));
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)
}

fn requests_per_second(c: &Comparison, root: &DrawingArea<SVGBackend, Shift>) -> Result<(), String> {
    let secs = c.runs.iter().map(|r| r.requests_per_second.len()).max().unwrap_or(1).max(1);
    let top = c.runs.iter().flat_map(|r| r.requests_per_second.iter().copied()).max().unwrap_or(1).max(1) as f64 * 1.15;
    let mut chart = ChartBuilder::on(root)
        .caption(format!("HTTP requests per second ({})", subtitle(c)), ("sans-serif", 22))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..secs as f64, 0f64..top)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("second of the run")
        .y_desc("requests started")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .map_err(|e| e.to_string())?;
    for r in &c.runs {
        let col = colour(r.technique);
        let pts: Vec<(f64, f64)> =
            r.requests_per_second.iter().enumerate().map(|(i, v)| (i as f64 + 0.5, *v as f64)).collect();
        let label = format!("{} ({} requests in all)", r.technique, r.metrics.requests);
        chart
            .draw_series(LineSeries::new(pts.clone(), col.stroke_width(3)))
            .map_err(|e| e.to_string())?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], col.stroke_width(3)));
        chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 4, col.filled()))).map_err(|e| e.to_string())?;
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// The series legend every chart draws, in the corner the data leaves free.
fn draw_legend<'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, CT>,
    at: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(at)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())
}
