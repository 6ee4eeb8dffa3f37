//! Prometheus metrics in the text exposition format: HTTP requests (count and latency by
//! route and status), commands by outcome, and the projector's lag. Hand-rolled: a few
//! bounded maps keyed by route template (never raw paths) keep the label sets small.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

use projections::Lag;

use super::cache::CacheCounts;

/// Upper bounds (seconds) of the request latency histogram's buckets.
pub const LATENCY_BUCKETS_SECONDS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; LATENCY_BUCKETS_SECONDS.len()],
    count: u64,
    sum_seconds: f64,
}

/// One route's requests: counts by (method, status) and the latency histogram.
#[derive(Debug, Default)]
struct RouteRequests {
    counts: BTreeMap<(String, u16), u64>,
    latency: Histogram,
}

#[derive(Debug, Default)]
pub struct Metrics {
    /// By route template. Recording looks keys up by `&str` and allocates only for a
    /// (route, method, status) not seen before: it runs on every request.
    requests: Mutex<BTreeMap<String, RouteRequests>>,
    commands: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    /// Notification messages sent, and given up after the last attempt.
    notifications: Mutex<NotificationCounts>,
}

#[derive(Debug, Default, Clone, Copy)]
struct NotificationCounts {
    sent: u64,
    given_up: u64,
}

impl Metrics {
    pub fn record_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let mut requests = self.requests.lock().expect("metrics lock");
        if !requests.contains_key(route) {
            requests.insert(route.to_string(), RouteRequests::default());
        }
        let route_requests = requests.get_mut(route).expect("inserted above");
        match route_requests
            .counts
            .iter_mut()
            .find(|((seen_method, seen_status), _)| seen_method == method && *seen_status == status)
        {
            Some((_, count)) => *count += 1,
            None => {
                route_requests
                    .counts
                    .insert((method.to_string(), status), 1);
            }
        }
        let seconds = elapsed.as_secs_f64();
        let histogram = &mut route_requests.latency;
        for (bucket, bound) in LATENCY_BUCKETS_SECONDS.iter().enumerate() {
            if seconds <= *bound {
                histogram.counts[bucket] += 1;
            }
        }
        histogram.count += 1;
        histogram.sum_seconds += seconds;
    }

    /// `outcome` is `ok` or an `extensions.code` in lower case.
    pub fn record_command(&self, command: &'static str, outcome: &'static str) {
        *self
            .commands
            .lock()
            .expect("metrics lock")
            .entry((command, outcome))
            .or_default() += 1;
    }

    /// A notification's end: counted when sent, and when given up (`given_up`).
    pub fn record_notification(
        &self,
        outcome: &infrastructure::notifications::Outcome,
        given_up: bool,
    ) {
        let mut counts = self.notifications.lock().expect("metrics lock");
        if *outcome == infrastructure::notifications::Outcome::Sent {
            counts.sent += 1;
        }
        if given_up {
            counts.given_up += 1;
        }
    }

    /// The text exposition, with the store's head and the projector's watermark and lag
    /// as gauges and the public query cache's counts.
    pub fn render(&self, lag: Option<Lag>, cache: CacheCounts) -> String {
        let mut out = String::new();
        self.render_requests(&mut out);
        self.render_commands(&mut out);
        self.render_notifications(&mut out);
        render_cache(&mut out, cache);
        if let Some(lag) = lag {
            render_lag(&mut out, lag);
        }
        out
    }

    /// HTTP requests: the counter by method, route and status, and the latency histogram.
    fn render_requests(&self, out: &mut String) {
        out.push_str(
            "# HELP fundledger_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE fundledger_http_requests_total counter\n");
        let requests = self.requests.lock().expect("metrics lock");
        for (route, route_requests) in requests.iter() {
            for ((method, status), count) in &route_requests.counts {
                let _ = writeln!(
                    out,
                    "fundledger_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}"
                );
            }
        }
        out.push_str(
            "# HELP fundledger_http_request_duration_seconds HTTP request latency by route.\n",
        );
        out.push_str("# TYPE fundledger_http_request_duration_seconds histogram\n");
        for (route, route_requests) in requests.iter() {
            let histogram = &route_requests.latency;
            for (bucket, bound) in LATENCY_BUCKETS_SECONDS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "fundledger_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {}",
                    histogram.counts[bucket]
                );
            }
            let _ = writeln!(
                out,
                "fundledger_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                histogram.count
            );
            let _ = writeln!(
                out,
                "fundledger_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                histogram.sum_seconds
            );
            let _ = writeln!(
                out,
                "fundledger_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                histogram.count
            );
        }
    }

    fn render_notifications(&self, out: &mut String) {
        let counts = *self.notifications.lock().expect("metrics lock");
        out.push_str(
            "# HELP fundledger_notifications_sent_total Notification emails this process sent.\n",
        );
        out.push_str("# TYPE fundledger_notifications_sent_total counter\n");
        let _ = writeln!(out, "fundledger_notifications_sent_total {}", counts.sent);
        out.push_str("# HELP fundledger_notifications_failed_total Notification emails this process gave up on after the last attempt.\n");
        out.push_str("# TYPE fundledger_notifications_failed_total counter\n");
        let _ = writeln!(
            out,
            "fundledger_notifications_failed_total {}",
            counts.given_up
        );
    }

    fn render_commands(&self, out: &mut String) {
        out.push_str("# HELP fundledger_commands_total Ledger commands by name and outcome.\n");
        out.push_str("# TYPE fundledger_commands_total counter\n");
        for ((command, outcome), count) in self.commands.lock().expect("metrics lock").iter() {
            let _ = writeln!(
                out,
                "fundledger_commands_total{{command=\"{command}\",outcome=\"{outcome}\"}} {count}"
            );
        }
    }
}

fn render_cache(out: &mut String, cache: CacheCounts) {
    out.push_str("# HELP fundledger_public_cache_requests_total Anonymous queries by whether the cache answered them (stale: an expired answer, while another request recomputed it).\n");
    out.push_str("# TYPE fundledger_public_cache_requests_total counter\n");
    for (result, count) in [
        ("hit", cache.hits),
        ("stale", cache.stale_hits),
        ("miss", cache.misses),
    ] {
        let _ = writeln!(
            out,
            "fundledger_public_cache_requests_total{{result=\"{result}\"}} {count}"
        );
    }
}

/// The store's head and the projector's watermark and lag, as gauges.
fn render_lag(out: &mut String, lag: Lag) {
    out.push_str(
        "# HELP fundledger_event_log_head_position The highest event-log position written.\n",
    );
    out.push_str("# TYPE fundledger_event_log_head_position gauge\n");
    let _ = writeln!(out, "fundledger_event_log_head_position {}", lag.head);
    out.push_str("# HELP fundledger_projector_position The position of the projector's watermark: the last event the read models reflect in the log's order (on PostgreSQL a later-committed event may hold a lower position).\n");
    out.push_str("# TYPE fundledger_projector_position gauge\n");
    let _ = writeln!(
        out,
        "fundledger_projector_position {}",
        lag.watermark.position
    );
    out.push_str("# HELP fundledger_projector_lag_events Events committed after the projector's watermark: not yet in the read models.\n");
    out.push_str("# TYPE fundledger_projector_lag_events gauge\n");
    let _ = writeln!(out, "fundledger_projector_lag_events {}", lag.events_behind);
    out.push_str("# HELP fundledger_projector_lag_seconds Seconds since the oldest event after the projector's watermark was written (0 when caught up).\n");
    out.push_str("# TYPE fundledger_projector_lag_seconds gauge\n");
    let _ = writeln!(out, "fundledger_projector_lag_seconds {}", lag.age_seconds);
}

/// Projection lag by time and the cluster's oldest transaction holding a transaction id,
/// named by pid, database, application and state (never its query text), so a dashboard
/// shows who holds the log back. The age is 0, without labels, when there is none.
pub fn render_projection_health(
    out: &mut String,
    health: &super::health::ProjectionHealth,
    max_lag: Duration,
) {
    out.push_str("# HELP fundledger_projection_lag_seconds Seconds the oldest committed event not yet in the read models has waited (0 when caught up).\n");
    out.push_str("# TYPE fundledger_projection_lag_seconds gauge\n");
    let _ = writeln!(
        out,
        "fundledger_projection_lag_seconds {}",
        health.lag.age_seconds
    );
    out.push_str("# HELP fundledger_projection_stalled 1 while the projection lag is above the readiness limit (FUNDLEDGER_READY_MAX_LAG_MS).\n");
    out.push_str("# TYPE fundledger_projection_stalled gauge\n");
    let _ = writeln!(
        out,
        "fundledger_projection_stalled {}",
        u8::from(health.stalled(max_lag))
    );
    out.push_str("# HELP fundledger_oldest_transaction_age_seconds Age of the cluster's oldest transaction holding a transaction id: while it runs, later commits are hidden from the projector (PostgreSQL).\n");
    out.push_str("# TYPE fundledger_oldest_transaction_age_seconds gauge\n");
    match &health.oldest_transaction {
        Some(holder) => {
            let _ = writeln!(
                out,
                "fundledger_oldest_transaction_age_seconds{{pid=\"{}\",database=\"{}\",application=\"{}\",state=\"{}\"}} {}",
                holder.pid,
                label(holder.database.as_deref().unwrap_or("")),
                label(&holder.application_name),
                label(holder.state.as_deref().unwrap_or("")),
                holder.age_seconds
            );
        }
        None => out.push_str("fundledger_oldest_transaction_age_seconds 0\n"),
    }
}

/// A label value in the exposition format: backslash, quote and newline escaped.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
