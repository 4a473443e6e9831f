//! The local operator page: what an operator would see in CloudWatch, for the shop on this
//! machine. Only the local gateway has it; nothing of it is deployed.
//!
//! | path                          | answer                                                        |
//! |-------------------------------|---------------------------------------------------------------|
//! | `/_local/`                    | the latest requests and deliveries, the orders seen, the metrics the functions wrote; it reloads every 5 s |
//! | `/_local/journey?id=<id>`     | an order's (or a journey's) timeline: each invocation, when it started and how long it ran, with its lines |
//! | `/_local/requests.json`, `/_local/metrics.json`, `/_local/journey.json?id=<id>` | the same as JSON |
//!
//! Pages are rendered here, with no script: the storefront's content security policy applies.

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Response, StatusCode};
use serde::Serialize;

use super::{page, percent_decode, plain};
use crate::api_docs::html::esc as escape;
use crate::local::observer::{Journey, Observer};

/// Whether `path` is the operator page's.
pub(super) fn serves(path: &str) -> bool {
    matches!(
        path,
        "/_local"
            | "/_local/"
            | "/_local/journey"
            | "/_local/requests.json"
            | "/_local/metrics.json"
            | "/_local/journey.json"
    )
}

/// Answers a request for `path` (one [`serves`]) with query string `query`.
pub(super) fn answer(
    observer: &Observer,
    path: &str,
    query: &str,
    styles: &str,
) -> Response<Full<Bytes>> {
    let id = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("id="))
        .map(percent_decode)
        .unwrap_or_default();
    let html = |body: String| plain(StatusCode::OK, "text/html; charset=utf-8", &body);
    match path {
        "/_local/requests.json" => json(&serde_json::json!({ "requests": observer.requests() })),
        "/_local/metrics.json" => json(&serde_json::json!({ "metrics": observer.metric_totals() })),
        "/_local/journey.json" => match observer.journey(id.trim()) {
            Some(journey) => json(&journey),
            None => not_found(&id),
        },
        "/_local/journey" => match observer.journey(id.trim()) {
            Some(journey) => html(timeline(&id, &journey, styles)),
            None => not_found(&id),
        },
        _ => html(overview(observer, styles)),
    }
}

fn json<T: Serialize>(value: &T) -> Response<Full<Bytes>> {
    let text = serde_json::to_string(value).unwrap_or_default();
    plain(StatusCode::OK, "application/json", &text)
}

fn not_found(id: &str) -> Response<Full<Bytes>> {
    plain(
        StatusCode::NOT_FOUND,
        "text/plain; charset=utf-8",
        &format!("no function has written a line about {id:?} yet"),
    )
}

/// `/_local/`: what is happening now.
fn overview(observer: &Observer, styles: &str) -> String {
    let mut body = String::from(
        "<h1>The local shop, as an operator sees it</h1>\n\
         <p>What CloudWatch would show on AWS: the requests, the metrics the functions write, and \
         each order's journey through the functions and queues. This page reloads every 5 \
         seconds; <a href=\"/_local/mail\">the e-mail sent</a>.</p>\n\
         <h2>Follow an order</h2>\n\
         <form action=\"/_local/journey\" method=\"get\">\n\
         <label for=\"journey-id\">Order or journey id</label>\n\
         <input id=\"journey-id\" name=\"id\" required>\n\
         <button type=\"submit\">Show its journey</button>\n</form>\n",
    );
    let orders = observer.orders();
    if orders.is_empty() {
        body.push_str("<p class=\"notice info\">No order has been named yet: check one out.</p>\n");
    } else {
        body.push_str("<ul class=\"orders\">\n");
        for order in orders.iter().take(10) {
            body.push_str(&format!(
                "<li><a href=\"/_local/journey?id={0}\">Order {0}</a></li>\n",
                escape(order)
            ));
        }
        body.push_str("</ul>\n");
    }
    body.push_str(
        "<h2>Requests and deliveries</h2>\n<table class=\"requests\">\n\
         <thead><tr><th>Request</th><th>Function</th><th>Outcome</th><th>Took</th></tr></thead>\n<tbody>\n",
    );
    for request in observer.requests().iter().take(50) {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape(&request.what),
            escape(&request.function),
            escape(&request.outcome),
            request
                .millis
                .map_or_else(String::new, |millis| format!("{millis} ms")),
        ));
    }
    body.push_str(
        "</tbody>\n</table>\n<h2>Metrics</h2>\n<table class=\"metrics\">\n\
         <thead><tr><th>Metric</th><th>Dimensions</th><th>Values</th><th>Sum</th><th>Max</th></tr></thead>\n<tbody>\n",
    );
    for metric in observer.metric_totals() {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td></tr>\n",
            escape(&metric.name),
            escape(&metric.dimensions),
            metric.count,
            round(metric.sum),
            escape(&metric.unit),
            round(metric.max),
        ));
    }
    body.push_str("</tbody>\n</table>\n");
    page(
        styles,
        "Local operator",
        "<meta http-equiv=\"refresh\" content=\"5\">\n",
        &body,
    )
}

/// Two decimals at most, as a person reads a figure.
fn round(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// `/_local/journey?id=`: one order's (or journey's) steps in the order they started.
fn timeline(id: &str, journey: &Journey, styles: &str) -> String {
    let longest = journey
        .steps
        .iter()
        .map(|step| step.millis)
        .max()
        .unwrap_or(1)
        .max(1);
    let mut body = format!(
        "<h1>Journey of {}</h1>\n<p>Journey id {}: each function that handled it, when it \
         started after the first, how long it ran, and its lines. <a href=\"/_local/\">Back</a>.</p>\n\
         <ol class=\"timeline\">\n",
        escape(id),
        escape(&journey.journeys.join(", ")),
    );
    for step in &journey.steps {
        body.push_str(&format!(
            "<li class=\"step\"><h2>{}</h2>\n<p>+{} ms, ran {} ms{} \
             <progress max=\"{longest}\" value=\"{}\">{} ms</progress></p>\n<ul>\n",
            escape(&step.function),
            step.offset_ms,
            step.millis,
            if step.failed { ", failed" } else { "" },
            step.millis,
            step.millis,
        ));
        for line in &step.lines {
            body.push_str(&format!(
                "<li><code>{}</code> {}</li>\n",
                escape(&line.level),
                escape(&line.message)
            ));
        }
        body.push_str("</ul>\n");
        if step.function == "receipt-email" {
            body.push_str("<p><a href=\"/_local/mail\">The local mailbox</a></p>\n");
        }
        body.push_str("</li>\n");
    }
    body.push_str("</ol>\n");
    page(styles, "Local journey", "", &body)
}
