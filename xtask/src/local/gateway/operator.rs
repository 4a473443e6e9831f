//! The local operator page: what an operator would see in CloudWatch, for the shop on this
//! machine. Only the local gateway has it; nothing of it is deployed.
//!
//! | path                          | answer                                                        |
//! |-------------------------------|---------------------------------------------------------------|
//! | `/_local/`                    | the latest requests and deliveries, the orders seen, the metrics the functions wrote; it reloads every 5 s (`?paused`: not) |
//! | `/_local/journey?id=<id>`     | an order's (or a journey's) timeline: each invocation, when it started and how long it ran, with its lines |
//! | `/_local/requests.json`, `/_local/metrics.json`, `/_local/journey.json?id=<id>` | the same as JSON |
//!
//! Pages are rendered here, with no script: the storefront's content security policy applies.

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Response, StatusCode};
use serde::Serialize;

use super::event::query_parameters;
use super::pages::{page, plain};
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
    // Decoded as a form encodes it (a space is `+`).
    let parameters = query_parameters(query);
    let id = parameters.get("id").map_or("", |id| id.trim());
    let html = |status, body: String| plain(status, "text/html; charset=utf-8", &body);
    match path {
        "/_local/requests.json" => json(&serde_json::json!({ "requests": observer.requests() })),
        "/_local/metrics.json" => json(&serde_json::json!({ "metrics": observer.metric_totals() })),
        "/_local/journey.json" => match observer.journey(id) {
            Some(journey) => json(&journey),
            None => plain(
                StatusCode::NOT_FOUND,
                "application/json",
                &serde_json::json!({ "message": unknown(id) }).to_string(),
            ),
        },
        "/_local/journey" => match observer.journey(id) {
            Some(journey) => html(StatusCode::OK, timeline(id, &journey, styles)),
            None => html(StatusCode::NOT_FOUND, not_found(id, styles)),
        },
        _ => html(
            StatusCode::OK,
            overview(observer, styles, !parameters.contains_key("paused")),
        ),
    }
}

fn json<T: Serialize>(value: &T) -> Response<Full<Bytes>> {
    let text = serde_json::to_string(value).unwrap_or_default();
    plain(StatusCode::OK, "application/json", &text)
}

fn unknown(id: &str) -> String {
    format!("no function has written a line about {id:?} yet")
}

/// The form to follow an order: where a journey is looked for, and where one not found sends.
const FORM: &str = "<form action=\"/_local/journey\" method=\"get\">\n\
     <label for=\"journey-id\">Order or journey id</label>\n\
     <input id=\"journey-id\" name=\"id\" required>\n\
     <button type=\"submit\">Show its journey</button>\n</form>\n";

fn not_found(id: &str, styles: &str) -> String {
    let body = format!(
        "<h1>No such journey</h1>\n<p>{}. <a href=\"/_local/\">Back</a>.</p>\n{FORM}",
        escape(&unknown(id))
    );
    page(styles, "Local journey", "", &body)
}

/// `id` as a query parameter's value.
fn encoded(id: &str) -> String {
    serde_urlencoded::to_string([("id", id)]).unwrap_or_default()
}

/// `/_local/`: what is happening now; reloading every 5 seconds if `live`.
fn overview(observer: &Observer, styles: &str, live: bool) -> String {
    let reloading = if live {
        "This page reloads every 5 seconds (<a href=\"/_local/?paused\">stop</a>)"
    } else {
        "This page does not reload (<a href=\"/_local/\">reload every 5 seconds</a>)"
    };
    let mut body = format!(
        "<h1>The local shop, as an operator sees it</h1>\n\
         <p>What CloudWatch would show on AWS: the requests, the metrics the functions write, and \
         each order's journey through the functions and queues. {reloading}; \
         <a href=\"/_local/mail\">the e-mail sent</a>.</p>\n<h2>Follow an order</h2>\n{FORM}",
    );
    let orders = observer.orders(10);
    if orders.is_empty() {
        body.push_str("<p class=\"notice info\">No order has been named yet: check one out.</p>\n");
    } else {
        body.push_str("<ul class=\"orders\">\n");
        for order in &orders {
            body.push_str(&format!(
                "<li><a href=\"/_local/journey?{}\">Order {}</a></li>\n",
                escape(&encoded(order)),
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
            metric.max.map_or_else(String::new, round),
        ));
    }
    body.push_str("</tbody>\n</table>\n");
    let head = if live {
        "<meta http-equiv=\"refresh\" content=\"5\">\n"
    } else {
        ""
    };
    page(styles, "Local operator", head, &body)
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
        .filter_map(|step| step.millis)
        .max()
        .unwrap_or(1)
        .max(1);
    let mut body = format!(
        "<h1>Journey of {}</h1>\n<p>Journey id {}: each invocation of a function that handled it \
         and wrote a line, when it was called (after the first), how long until it answered \
         (waiting for a process included), and its lines. <a href=\"/_local/\">Back</a>.</p>\n\
         <ol class=\"timeline\">\n",
        escape(id),
        escape(&journey.journeys.join(", ")),
    );
    for step in &journey.steps {
        let timing = match (step.offset_ms, step.millis) {
            (Some(offset), Some(millis)) => format!(
                "+{offset} ms, ran {millis} ms{} \
                 <progress max=\"{longest}\" value=\"{millis}\">{millis} ms</progress>",
                if step.failed { ", failed" } else { "" },
            ),
            _ => String::from("(its timing is no longer kept)"),
        };
        body.push_str(&format!(
            "<li class=\"step\"><h2>{}</h2>\n<p>{timing}</p>\n<ul>\n",
            escape(&step.function),
        ));
        for line in &step.lines {
            let fields: String = line
                .fields
                .iter()
                .map(|(key, value)| format!(" <code>{}={}</code>", escape(key), escape(value)))
                .collect();
            body.push_str(&format!(
                "<li><code>{}</code> {}{fields}</li>\n",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::observer::Observer;
    use http_body_util::BodyExt;

    async fn text(response: Response<Full<Bytes>>) -> (StatusCode, String) {
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn what_the_functions_wrote_is_shown_as_text_and_ids_are_read_as_a_form_sends_them() {
        let observer = Observer::default();
        let line = serde_json::json!({
            "requestId": "r1", "journey": "j 1", "order_id": "o<1>", "level": "INFO",
            "message": "<script>alert(1)</script>", "error": "\"quoted\" & <b>",
        });
        observer.line("order-checkout", &line.to_string());
        let (status, page) = text(answer(&observer, "/_local/journey", "id=j+1", "")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{page}"
        );
        assert!(
            page.contains("error=&quot;quoted&quot; &amp; &lt;b&gt;"),
            "{page}"
        );
        assert!(!page.contains("<script>") && !page.contains("<b>"));
        let (status, _) = text(answer(&observer, "/_local/journey", "id=o%3C1%3E", "")).await;
        assert_eq!(status, StatusCode::OK, "percent-encoded");
        let (status, page) = text(answer(&observer, "/_local/journey", "id=%3Cnone%3E", "")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(
            page.contains("&lt;none&gt;") && page.contains("<form"),
            "{page}"
        );
        let (_, overview) = text(answer(&observer, "/_local/", "", "")).await;
        assert!(
            overview.contains("/_local/journey?id=o%3C1%3E"),
            "{overview}"
        );
        assert!(overview.contains("http-equiv=\"refresh\""));
        let (_, paused) = text(answer(&observer, "/_local/", "paused", "")).await;
        assert!(!paused.contains("http-equiv"));
    }
}
