//! Sales reports: the orders service's events counted once each by the reports service,
//! whatever arrives twice or out of order, and the report's figures held to sums this test
//! computes itself from the orders it placed, against DynamoDB Local and moto.

use std::collections::{BTreeMap, HashMap};

use lambda_http::RequestExt;
use serde_json::Value;
use shared::auth::Role;
use shared::ids::OrderId;
use shared::messages::{OrderLine, OrderStatus, OrderView};
use time::{Duration, OffsetDateTime};

use crate::support::{Reply, TestApp, event};

pub(crate) const APPROVED: &str = "4242424242424242";
pub(crate) const DECLINED: &str = "4000000000000002";
const INSUFFICIENT_FUNDS: &str = "4000000000009995";

/// Quantities of the seed catalogue's products.
type Basket = &'static [(&'static str, u32)];

impl TestApp {
    /// `GET /api/reports/sales` with `query`, as the holder of `token` (or nobody).
    pub(crate) async fn sales_report_of(
        &self,
        token: Option<&str>,
        query: &[(&str, &str)],
    ) -> lambda_http::Response<lambda_http::Body> {
        let query: HashMap<String, String> = query
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        let request = event("report-sales").with_query_string_parameters(query);
        self.sales_report(self.authorized(request, token).await)
            .await
    }

    /// The report of `from..=to` as JSON, for the administrator holding `token`.
    pub(crate) async fn sales_json(&self, token: &str, from: &str, to: &str) -> Value {
        let query = [("from", from), ("to", to), ("format", "json")];
        let reply = Reply::from(self.sales_report_of(Some(token), &query).await);
        reply.assert(200, "");
        reply.body
    }

    /// Takes every message off `ReportsQueue` and puts each back `copies` times, under
    /// deduplication ids of their own (so the queue does not drop them), in a random order.
    pub(crate) async fn duplicate_and_shuffle_sales_events(&self, copies: usize) -> usize {
        let messages = self.drain("ReportsQueue").await;
        let mut bodies = Vec::new();
        for message in &messages {
            self.sqs
                .delete_message()
                .queue_url(self.queue("ReportsQueue"))
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
            for _ in 0..copies {
                bodies.push((uuid::Uuid::new_v4(), message.body().unwrap().to_owned()));
            }
        }
        bodies.sort();
        let queue = self.queue_as_operator("ReportsQueue");
        for (copy, body) in &bodies {
            let id = copy.simple().to_string();
            queue.send_text(body.clone(), &id, &id).await.unwrap();
        }
        messages.len()
    }

    /// Runs the reports consumer, two batches at a time, until its queue is empty.
    pub(crate) async fn count_sales(&self) {
        loop {
            let (a, b) = futures::join!(
                self.deliver("ReportsQueue", |event| self.report_record(event)),
                self.deliver("ReportsQueue", |event| self.report_record(event)),
            );
            assert_eq!(a.failed + b.failed, 0, "the reports consumer failed");
            if a.delivered + b.delivered == 0 {
                return;
            }
        }
    }

    /// What the reports should say of the orders `ids`, each settled, computed from the orders
    /// themselves.
    pub(crate) async fn expected_of(&self, ids: &[String]) -> Expected {
        let mut expected = Expected::default();
        for id in ids {
            let order = self.orders.get_order(&OrderId::parse(id).unwrap()).await;
            let view = OrderView::from(&order.unwrap().unwrap());
            match view.status {
                OrderStatus::Paid => {
                    expected.paid(&iso_day(view.paid_at.unwrap()), &view.lines, view.total)
                }
                OrderStatus::PaymentFailed => expected.failed(&iso_day(view.updated_at)),
                other => panic!("order {id} is {other:?}"),
            }
        }
        expected
    }

    pub(crate) fn queue_as_operator(&self, logical_id: &str) -> shared::sqs::FifoQueue {
        shared::sqs::FifoQueue::new(self.sqs.clone(), self.queue(logical_id))
    }
}

/// What a test expects of one currency, computed from the orders themselves.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Expected {
    pub(crate) orders: i64,
    pub(crate) items: i64,
    pub(crate) revenue: i64,
    pub(crate) failed: i64,
    /// Per product: orders, items, revenue.
    pub(crate) products: BTreeMap<String, (i64, i64, i64)>,
    /// Per UTC day: orders, revenue, failed.
    pub(crate) days: BTreeMap<String, (i64, i64, i64)>,
}

impl Expected {
    pub(crate) fn paid(&mut self, day: &str, lines: &[OrderLine], total: i64) {
        self.orders += 1;
        self.revenue += total;
        let today = self.days.entry(day.to_owned()).or_default();
        today.0 += 1;
        today.1 += total;
        let mut products = BTreeMap::<&str, (i64, i64)>::new();
        for line in lines {
            self.items += i64::from(line.quantity);
            let product = products.entry(line.product_id.as_str()).or_default();
            product.0 += i64::from(line.quantity);
            product.1 += line.line_total;
        }
        for (product, (items, revenue)) in products {
            let sold = self.products.entry(product.to_owned()).or_default();
            sold.0 += 1;
            sold.1 += items;
            sold.2 += revenue;
        }
    }

    pub(crate) fn failed(&mut self, day: &str) {
        self.failed += 1;
        self.days.entry(day.to_owned()).or_default().2 += 1;
    }

    /// Holds the report's figures for `currency` to these.
    #[track_caller]
    pub(crate) fn check(&self, report: &Value, currency: &str) {
        let sales = report["currencies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|sales| sales["currency"] == currency)
            .unwrap_or_else(|| panic!("no {currency} in {report}"));
        let totals = &sales["totals"];
        let figures = |value: &Value, name: &str| value[name].as_i64().unwrap();
        assert_eq!(
            ["orders", "items", "revenue", "failed_payments"].map(|name| figures(totals, name)),
            [self.orders, self.items, self.revenue, self.failed],
            "{currency} totals: {totals}"
        );
        let average = (self.orders > 0).then(|| (self.revenue + self.orders / 2) / self.orders);
        assert_eq!(totals["average_order_value"].as_i64(), average);
        let products: BTreeMap<String, (i64, i64, i64)> = sales["products"]
            .as_array()
            .unwrap()
            .iter()
            .map(|product| {
                (
                    product["product_id"].as_str().unwrap().to_owned(),
                    (
                        figures(product, "orders"),
                        figures(product, "items"),
                        figures(product, "revenue"),
                    ),
                )
            })
            .collect();
        assert_eq!(products, self.products, "{currency} per product");
        let days: BTreeMap<String, (i64, i64, i64)> = sales["days"]
            .as_array()
            .unwrap()
            .iter()
            .map(|day| {
                let counts = (
                    figures(day, "orders"),
                    figures(day, "revenue"),
                    figures(day, "failed_payments"),
                );
                (day["date"].as_str().unwrap().to_owned(), counts)
            })
            .filter(|(_, counts)| *counts != (0, 0, 0))
            .collect();
        assert_eq!(days, self.days, "{currency} per day");
    }
}

pub(crate) fn iso_day(at: OffsetDateTime) -> String {
    let day = at.to_offset(time::UtcOffset::UTC).date();
    format!(
        "{}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

#[tokio::test]
async fn a_sales_report_adds_up_the_orders_paid_and_the_payments_declined() {
    let app = TestApp::spawn().await;
    let admin = app.given_session("grace", Role::Admin).await;
    let customers: [(&str, &str, Basket); 5] = [
        (
            "ada",
            APPROVED,
            &[("enamel-camp-mug", 2), ("brass-ballpoint-pen", 1)],
        ),
        ("alan", APPROVED, &[("enamel-camp-mug", 1)]),
        ("barbara", DECLINED, &[("brass-ballpoint-pen", 3)]),
        (
            "edsger",
            APPROVED,
            &[("dotted-notebook-a5", 4), ("brass-ballpoint-pen", 1)],
        ),
        (
            "frances",
            INSUFFICIENT_FUNDS,
            &[("stoneware-espresso-cup", 5)],
        ),
    ];
    let mut order_ids = Vec::new();
    for (name, card, basket) in customers {
        let token = app.given_session(name, Role::Customer).await;
        order_ids.push(app.checked_out_with(token, card, basket).await.0);
    }
    app.run_all_consumers().await;
    // Every event twice more, in a random order: each must still count once.
    assert_eq!(app.duplicate_and_shuffle_sales_events(3).await, 5);
    app.count_sales().await;

    let expected = app.expected_of(&order_ids).await;
    assert_eq!((expected.orders, expected.failed), (3, 2));
    let today = OffsetDateTime::now_utc();
    let (from, to) = (
        iso_day(today - Duration::days(1)),
        iso_day(today + Duration::days(1)),
    );
    let report = app.sales_json(&admin, &from, &to).await;
    expected.check(&report, "EUR");
    assert_eq!(
        report["currencies"].as_array().unwrap().len(),
        1,
        "{report}"
    );
    assert_eq!(report["payments"]["failed_rate"], 0.4);
    assert_eq!(report["currencies"][0]["days"].as_array().unwrap().len(), 3);

    // The same figures as CSV, read back by a standard reader.
    let csv = app
        .sales_report_of(
            Some(&admin),
            &[("from", &from), ("to", &to), ("format", "csv")],
        )
        .await;
    assert_eq!(csv.status(), 200);
    assert_eq!(
        csv.headers()["content-type"],
        "text/csv; charset=utf-8; header=present"
    );
    let disposition = format!("attachment; filename=\"sales-{from}-to-{to}.csv\"");
    assert_eq!(csv.headers()["content-disposition"], disposition.as_str());
    assert_eq!(csv.headers()["cache-control"], "private, no-store");
    let bytes: &[u8] = csv.body().as_ref();
    assert!(bytes.starts_with(b"section,"), "no byte-order mark");
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader.headers().unwrap().clone();
    let rows: Vec<HashMap<String, String>> = reader
        .records()
        .map(|row| {
            header
                .iter()
                .map(str::to_owned)
                .zip(row.unwrap().iter().map(str::to_owned))
                .collect()
        })
        .collect();
    let major = |minor: i64| format!("{}.{:02}", minor / 100, minor % 100);
    let total = &rows[0];
    assert_eq!(total["section"], "total");
    assert_eq!(total["currency"], "EUR");
    assert_eq!(total["orders"], expected.orders.to_string());
    assert_eq!(total["revenue"], major(expected.revenue));
    assert_eq!(total["failed_payment_rate"], "0.4000");
    let products: BTreeMap<String, (i64, i64, i64)> = rows
        .iter()
        .filter(|row| row["section"] == "product")
        .map(|row| {
            let count = |name: &str| row[name].parse::<i64>().unwrap();
            let revenue = row["revenue"].replace('.', "").parse::<i64>().unwrap();
            (
                row["product_id"].clone(),
                (count("orders"), count("items"), revenue),
            )
        })
        .collect();
    assert_eq!(products, expected.products);
    assert_eq!(rows.iter().filter(|row| row["section"] == "day").count(), 3);
}

#[tokio::test]
async fn a_sales_report_is_for_administrators_and_names_what_is_wrong_with_its_period() {
    let app = TestApp::spawn().await;
    let admin = app.given_session("grace", Role::Admin).await;
    let customer = app.given_session("ada", Role::Customer).await;
    let month = [("from", "2026-11-01"), ("to", "2026-11-30")];
    Reply::from(app.sales_report_of(None, &month).await).assert(401, "unauthorized");
    Reply::from(app.sales_report_of(Some(&customer), &month).await).assert(403, "forbidden");
    let empty = app.sales_json(&admin, "2026-11-01", "2026-11-30").await;
    assert_eq!(empty["currencies"], serde_json::json!([]));
    assert_eq!(empty["payments"]["failed_rate"], Value::Null);

    for (query, field, says) in [
        (vec![("to", "2026-11-30")], "from", "required"),
        (
            vec![("from", "2026-11-30"), ("to", "2026-11-01")],
            "to",
            "on or after",
        ),
        (
            vec![("from", "2024-01-01"), ("to", "2026-01-01")],
            "to",
            "at most 731",
        ),
        (
            vec![("from", "2026-02-30"), ("to", "2026-03-01")],
            "from",
            "YYYY-MM-DD",
        ),
        (
            vec![
                ("from", "2026-11-01"),
                ("to", "2026-11-30"),
                ("format", "xml"),
            ],
            "format",
            "json, csv or pdf",
        ),
    ] {
        let reply = Reply::from(app.sales_report_of(Some(&admin), &query).await);
        reply.assert(400, "validation_failed");
        let problem = reply.body["fields"][field].as_str().unwrap_or_default();
        assert!(problem.contains(says), "{query:?}: {}", reply.body);
    }
    // Two full years, a leap day among them, are allowed.
    app.sales_json(&admin, "2024-01-01", "2025-12-31").await;
}

/// The local shop's part of the journey: `paid`, the customer's order as `order-get` answers it,
/// reaches the sales report of its day (the orders outbox, the reports queue and `report-record`
/// running as on AWS), as the administrator signed in as `admin` reads it over HTTP.
pub(crate) async fn the_sale_reaches_the_sales_report(
    shop: &crate::support::shop::TestShop,
    admin: &xtask::visitor::Visitor,
    paid: &Value,
) {
    let day = &paid["paid_at"].as_str().unwrap()[..10];
    let path = format!("/api/reports/sales?from={day}&to={day}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let report = loop {
        let report = admin.get(&path).await.json();
        if report["payments"]["approved"] == 1 || std::time::Instant::now() > deadline {
            break report;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    };
    let logs: Vec<String> = shop
        .logs()
        .into_iter()
        .filter(|line| line.contains("report") || line.contains("ERROR") || line.contains("WARN"))
        .collect();
    assert_eq!(
        report["payments"]["approved"],
        1,
        "{report}\n{}",
        logs.join("\n")
    );
    let mut expected = Expected::default();
    let lines: Vec<OrderLine> = serde_json::from_value(paid["lines"].clone()).unwrap();
    expected.paid(day, &lines, paid["total"].as_i64().unwrap());
    expected.check(&report, "EUR");
    // The CSV arrives through lambda_http as written (which would drop a byte-order mark).
    let csv = admin.get(&format!("{path}&format=csv")).await;
    assert_eq!(csv.status, 200);
    assert_eq!(
        csv.headers["content-type"],
        "text/csv; charset=utf-8; header=present"
    );
    assert!(
        csv.body.starts_with(b"section,date,"),
        "{:?}",
        &csv.body[..20]
    );
}
