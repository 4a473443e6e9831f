//! The reports service's consumer: events in every currency counted once each on their UTC day,
//! however often and in whatever order they come, concurrently too; and a backfill from the
//! orders service's export beside the live events, against DynamoDB Local and moto.

use std::collections::BTreeMap;

use shared::auth::Role;
use shared::ids::{OrderId, ProductId};
use shared::messages::{Attempt, DeclineReason, OrderLine, OrderPaid, PaymentFailed, SalesEvent};
use shared::money::Currency;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::reports::{APPROVED, DECLINED, Expected, iso_day};
use crate::support::TestApp;

/// A sale of `lines` (product, quantity, unit price) or, without lines, a declined payment of
/// 999, in `currency`, at `at`.
pub(crate) fn sales_event(
    currency: Currency,
    at: OffsetDateTime,
    lines: &[(&str, u32, i64)],
) -> SalesEvent {
    let order_id = OrderId::parse(&uuid::Uuid::new_v4().simple().to_string()).unwrap();
    if lines.is_empty() {
        return SalesEvent::PaymentFailed(PaymentFailed {
            order_id,
            attempt: Attempt(2),
            currency,
            total: 999,
            reason: DeclineReason::CardDeclined,
            failed_at: at,
        });
    }
    let lines: Vec<OrderLine> = lines
        .iter()
        .map(|&(product, quantity, unit_price)| OrderLine {
            product_id: ProductId::parse(product).unwrap(),
            name: format!("Name of {product}"),
            unit_price,
            quantity,
            line_total: unit_price * i64::from(quantity),
        })
        .collect();
    SalesEvent::OrderPaid(OrderPaid {
        order_id,
        attempt: Attempt(1),
        currency,
        total: lines.iter().map(|line| line.line_total).sum(),
        lines,
        paid_at: at,
    })
}

#[tokio::test]
async fn every_currency_counts_each_event_once_on_its_utc_day_in_any_order() {
    let app = TestApp::spawn().await;
    let admin = app.given_session("grace", Role::Admin).await;
    let late = datetime!(2026-03-01 22:30 -05:00); // 2 March in UTC
    // The day before the period, in its first month: left out.
    let before = datetime!(2026-02-27 23:59:59 UTC);
    let events = [
        sales_event(
            Currency::Eur,
            datetime!(2026-03-01 09:00 UTC),
            &[("mug", 2, 1_450), ("pen", 1, 300)],
        ),
        sales_event(Currency::Eur, late, &[("mug", 1, 1_450)]),
        sales_event(Currency::Eur, late, &[]),
        sales_event(
            Currency::Gbp,
            datetime!(2026-02-28 23:59:59 UTC),
            &[("mug", 3, 1_200), ("mug", 1, 1_100)],
        ),
        sales_event(Currency::Gbp, datetime!(2026-03-03 00:00 UTC), &[]),
        sales_event(
            Currency::Usd,
            datetime!(2026-03-02 12:00 UTC),
            &[("lamp", 1, 4_999)],
        ),
        sales_event(
            Currency::Usd,
            datetime!(2026-03-04 12:00 UTC),
            &[("lamp", 1, 4_999)],
        ),
    ];
    let mut expected: BTreeMap<&str, Expected> = BTreeMap::new();
    let queue = app.queue_as_operator("ReportsQueue");
    let early = sales_event(Currency::Gbp, before, &[("mug", 1, 1)]);
    queue
        .send(&early, early.order_id().as_str(), &early.id())
        .await
        .unwrap();
    for event in &events {
        let currency = expected.entry(event.currency().code()).or_default();
        match event {
            SalesEvent::OrderPaid(paid) => {
                currency.paid(&iso_day(paid.paid_at), &paid.lines, paid.total)
            }
            SalesEvent::PaymentFailed(failed) => currency.failed(&iso_day(failed.failed_at)),
        }
        queue
            .send(event, event.order_id().as_str(), &event.id())
            .await
            .unwrap();
    }
    // One USD sale falls outside the period asked for below.
    let usd = expected.get_mut("USD").unwrap();
    usd.orders -= 1;
    usd.items -= 1;
    usd.revenue -= 4_999;
    usd.products.get_mut("lamp").unwrap().0 -= 1;
    usd.products.get_mut("lamp").unwrap().1 -= 1;
    usd.products.get_mut("lamp").unwrap().2 -= 4_999;
    usd.days.remove("2026-03-04");

    assert_eq!(
        app.duplicate_and_shuffle_sales_events(2).await,
        events.len() + 1
    );
    app.count_sales().await;
    // Counted already, however it comes again: a redrive, a backfill.
    let store = app.function("ReportRecordFunction").reports();
    for event in &events {
        assert_eq!(
            store.record(event).await.unwrap(),
            reports::store::Recorded::AlreadyCounted
        );
    }

    let report = app.sales_json(&admin, "2026-02-28", "2026-03-03").await;
    for (currency, expected) in &expected {
        expected.check(&report, currency);
    }
    assert_eq!(
        report["payments"]["approved"], 4,
        "one sale falls after the period"
    );
    assert_eq!(report["payments"]["failed"], 2);
    let gbp_mug = &report["currencies"][1]["products"][0];
    assert_eq!(
        (gbp_mug["orders"].as_i64(), gbp_mug["items"].as_i64()),
        (Some(1), Some(4))
    );
}

#[tokio::test]
async fn a_backfill_counts_the_orders_export_once_beside_the_live_events() {
    let app = TestApp::spawn().await;
    let admin = app.given_session("grace", Role::Admin).await;
    let mut order_ids = Vec::new();
    for (name, card) in [("ada", APPROVED), ("barbara", DECLINED), ("alan", APPROVED)] {
        let token = app.given_session(name, Role::Customer).await;
        let basket = [("enamel-camp-mug", 2), ("brass-ballpoint-pen", 1)];
        order_ids.push(app.checked_out_with(token, card, &basket).await.0);
    }
    // Settled, their live events still on the reports queue: a shop before its reports service.
    app.run_all_consumers().await;
    let today = iso_day(OffsetDateTime::now_utc());
    let (from, to) = (
        iso_day(OffsetDateTime::now_utc() - Duration::days(1)),
        today,
    );
    assert_eq!(
        app.sales_json(&admin, &from, &to).await["currencies"],
        serde_json::json!([])
    );

    // The orders service exports, as the orders service; the reports service counts it.
    let mut export = Vec::new();
    let written = orders::export::export_sales(&app.orders, &mut export)
        .await
        .unwrap();
    assert_eq!(written, 3);
    let reports = reports::ReportStore::new(app.dynamodb.clone(), app.table("ReportsTable"));
    let done = reports::backfill::backfill(&reports, &export[..])
        .await
        .unwrap();
    assert_eq!((done.counted, done.counted_before), (3, 0));
    let expected = app.expected_of(&order_ids).await;
    assert_eq!((expected.orders, expected.failed), (2, 1));
    expected.check(&app.sales_json(&admin, &from, &to).await, "EUR");

    // Again, and the live events arriving after: nothing counts twice.
    let again = reports::backfill::backfill(&reports, &export[..])
        .await
        .unwrap();
    assert_eq!((again.counted, again.counted_before), (0, 3));
    app.count_sales().await;
    expected.check(&app.sales_json(&admin, &from, &to).await, "EUR");

    // A line that is not an event stops the backfill, naming it.
    let broken = [&export[..], b"\n{\"event\": \"refund\"}\n"].concat();
    let err = reports::backfill::backfill(&reports, &broken[..])
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with("line 5 is not a sales event"),
        "{err}"
    );
}

#[tokio::test]
async fn the_largest_order_and_concurrent_sales_of_one_day_count_once_each() {
    use futures::StreamExt;
    use reports::store::Recorded;

    let app = TestApp::spawn().await;
    let admin = app.given_session("grace", Role::Admin).await;
    let store = app.function("ReportRecordFunction").reports();
    let at = datetime!(2026-05-05 12:00 UTC);
    let mut expected = Expected::default();
    // Fifty lines (the most an order holds), each a product with the longest id: one transaction
    // of 52 writes (DynamoDB allows 100).
    let longest: Vec<String> = (0..50)
        .map(|i| format!("{i:02}{}", "x".repeat(62)))
        .collect();
    let lines: Vec<(&str, u32, i64)> = longest.iter().map(|id| (id.as_str(), 99, 1)).collect();
    let largest = sales_event(Currency::Eur, at, &lines);
    assert_eq!(store.record(&largest).await.unwrap(), Recorded::Counted);
    let SalesEvent::OrderPaid(paid) = &largest else {
        unreachable!()
    };
    expected.paid("2026-05-05", &paid.lines, paid.total);

    // Forty events of one day, each twice, ten at a time as a batch of ten message groups runs:
    // they meet on the day's totals and on one product's day.
    let events: Vec<SalesEvent> = (0..40)
        .map(|i| match i % 4 {
            0 => sales_event(Currency::Eur, at, &[]),
            _ => sales_event(Currency::Eur, at, &[("mug", 1, 1_450)]),
        })
        .collect();
    for event in &events {
        match event {
            SalesEvent::OrderPaid(paid) => expected.paid("2026-05-05", &paid.lines, paid.total),
            SalesEvent::PaymentFailed(_) => expected.failed("2026-05-05"),
        }
    }
    // Each event beside its copy, so that the two race.
    let copies = events.iter().flat_map(|event| [event, event]);
    let outcomes: Vec<Recorded> = futures::stream::iter(copies)
        .map(|event| store.record(event))
        .buffer_unordered(10)
        .map(Result::unwrap)
        .collect()
        .await;
    let counted = outcomes
        .iter()
        .filter(|&&outcome| outcome == Recorded::Counted);
    assert_eq!(counted.count(), 40);

    let report = app.sales_json(&admin, "2026-05-01", "2026-05-31").await;
    expected.check(&report, "EUR");
}

/// Counters kept before a month's were spread over partition keys (under
/// `SALES#<month>#<currency>` alone) still count, added to those of the spread partitions.
#[tokio::test]
async fn counters_kept_before_the_spread_add_up_with_the_spread_ones() {
    use aws_sdk_dynamodb::types::AttributeValue;

    let app = TestApp::spawn().await;
    let admin = app.given_session("grace", Role::Admin).await;
    let at = datetime!(2026-03-02 12:00 UTC);
    let old = sales_event(Currency::Eur, at, &[("mug", 2, 1_450)]);
    let new = sales_event(Currency::Eur, at, &[("mug", 1, 1_450), ("pen", 1, 300)]);
    let number = |value: i64| AttributeValue::N(value.to_string());
    // What the earlier code wrote for `old`: its day's totals shard and its product, under the
    // month's one key.
    for (sk, name) in [
        ("02#TOTAL#3", None),
        ("02#PRODUCT#mug", Some("Name of mug")),
    ] {
        let mut item = std::collections::HashMap::from([
            (
                "pk".to_owned(),
                AttributeValue::S("SALES#2026-03#EUR".into()),
            ),
            ("sk".to_owned(), AttributeValue::S(sk.into())),
            ("orders".to_owned(), number(1)),
            ("items".to_owned(), number(2)),
            ("revenue".to_owned(), number(2_900)),
        ]);
        match name {
            Some(name) => item.insert("name".to_owned(), AttributeValue::S(name.into())),
            None => item.insert("failed".to_owned(), number(0)),
        };
        app.put_as_is("ReportsTable", item).await;
    }
    // And its marker, which a redelivery of it meets whatever partition it would go to now.
    let marker = std::collections::HashMap::from([
        (
            "pk".to_owned(),
            AttributeValue::S(format!("EVENT#{}", old.id())),
        ),
        ("sk".to_owned(), AttributeValue::S("EVENT".into())),
    ]);
    app.put_as_is("ReportsTable", marker).await;
    let store = app.function("ReportRecordFunction").reports();
    assert_eq!(
        store.record(&new).await.unwrap(),
        reports::store::Recorded::Counted
    );
    assert_eq!(
        store.record(&old).await.unwrap(),
        reports::store::Recorded::AlreadyCounted
    );

    let mut expected = Expected::default();
    for event in [&old, &new] {
        if let SalesEvent::OrderPaid(paid) = event {
            expected.paid(&iso_day(paid.paid_at), &paid.lines, paid.total);
        }
    }
    let report = app.sales_json(&admin, "2026-03-01", "2026-03-31").await;
    expected.check(&report, "EUR");
}
