//! Prometheus metrics: request counts and latencies by route, index size, matches.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// The process-wide recorder (the `metrics` facade allows one per process).
pub(crate) fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("quell_http_request_duration_seconds".into()),
                &[
                    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                ],
            )
            .expect("bucket list is not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (e.g. by an embedding program); then
        // these metrics go there and this handle renders an empty page.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Sets `quell_index_entries` and, by `type`, `quell_index_entries_by_type` from `matcher`.
pub(crate) fn index_size(matcher: &quell_match::Matcher) {
    let counts = matcher.counts();
    let total: usize = counts.iter().map(|&(_, n)| n).sum();
    metrics::gauge!("quell_index_entries").set(total as f64);
    for (kind, n) in counts {
        metrics::gauge!("quell_index_entries_by_type", "type" => kind).set(n as f64);
    }
}

/// Middleware: counts and times every request by route template and status.
pub(crate) async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let start = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("quell_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("quell_http_request_duration_seconds", "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
    response
}

/// The `/metrics` page: every metric this process recorded, in Prometheus' text format.
pub(crate) fn page() -> impl axum::response::IntoResponse {
    let handle = handle();
    handle.run_upkeep();
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        handle.render(),
    )
}
