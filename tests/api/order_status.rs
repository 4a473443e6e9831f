//! Administrators' lists of orders by status, read from the sharded `ByStatusShard` index: every
//! order of a status, newest first, each once, across pages and shards; an order that changes
//! status moves between the lists, and a stale index entry is left out; orders stored before the
//! index join it with `xtask orders-upgrade`.

use aws_sdk_dynamodb::types::AttributeValue;
use orders::domain::{Order, Payer, State};
use shared::auth::Role;
use shared::ids::{OrderId, Username};
use shared::messages::{Attempt, OrderStatus};
use time::{Duration, OffsetDateTime};

use crate::support::TestApp;

/// Every order `admin` sees with `status`, following the pages of `limit`, and how many pages.
async fn listed(app: &TestApp, admin: &str, status: &str, limit: &str) -> (Vec<String>, usize) {
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut cursor = None::<String>;
    loop {
        let mut query = vec![("status", status), ("limit", limit)];
        if let Some(cursor) = &cursor {
            query.push(("cursor", cursor));
        }
        let page = app.orders_of(admin, &query).await;
        page.assert(200, "");
        pages += 1;
        for order in page.body["orders"].as_array().unwrap() {
            assert_eq!(order["status"], status);
            seen.push(order["id"].as_str().unwrap().to_owned());
        }
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return (seen, pages),
        }
    }
}

/// An open order of a customer of its own, created at `created_at`, with the id `id`.
fn open_order(number: usize, id: OrderId, created_at: OffsetDateTime) -> Order {
    let owner = Username::parse(&format!("shopper{number}")).unwrap();
    let mut order = Order::new(owner, created_at);
    order.id = id;
    order
}

/// The status index's attributes of the order `id` as stored, if it has them.
async fn place(app: &TestApp, id: &OrderId) -> Option<(String, String)> {
    let item = app
        .stored("OrdersTable", &format!("ORDER#{id}"))
        .await
        .unwrap();
    let text = |name: &str| item.get(name).map(|value| value.as_s().unwrap().clone());
    Some((text("status_shard")?, text("status_sort")?))
}

#[tokio::test]
async fn orders_stored_before_the_sharded_index_join_it_with_the_upgrade() {
    let app = TestApp::spawn().await;
    let current = open_order(1, OrderId::generate(), OffsetDateTime::now_utc());
    assert!(app.orders.start_order(&current, None).await.unwrap());
    let (shard, sort) = place(&app, &current.id)
        .await
        .expect("written with its place");
    assert!(shard.starts_with("OPEN#"), "{shard}");
    assert!(sort.ends_with(&format!("#{}", current.id)), "{sort}");
    // As the earlier code stored an order: the record alone.
    let legacy = open_order(
        2,
        OrderId::generate(),
        OffsetDateTime::now_utc() - Duration::days(1),
    );
    let item = shared::store::to_item(&format!("ORDER#{}", legacy.id), &legacy).unwrap();
    app.put_as_is("OrdersTable", item).await;
    assert_eq!(place(&app, &legacy.id).await, None);

    assert_eq!(app.orders.list_unlisted().await.unwrap(), 1);
    let (shard, _) = place(&app, &legacy.id).await.expect("given its place");
    assert!(shard.starts_with("OPEN#"), "{shard}");
    // Safe to run again: nothing left to list.
    assert_eq!(app.orders.list_unlisted().await.unwrap(), 0);
}

/// `order`, checked out: pending payment.
fn checked_out(order: &Order) -> Order {
    let mut moved = order.clone();
    moved.state = State::PendingPayment {
        payer: Payer {
            card_last4: None,
            email: "shopper@example.com".into(),
            email_verified: true,
            customer_name: "A Shopper".into(),
        },
        attempt: Attempt::default(),
        payment_requested: true,
    };
    moved.version += 1;
    moved
}

#[tokio::test]
async fn admins_page_through_a_status_newest_first_across_its_shards() {
    let app = TestApp::spawn().await;
    let admin = app.given_session("grace", Role::Admin).await;
    let start = OffsetDateTime::now_utc() - Duration::hours(1);
    let mut orders = Vec::new();
    for number in 0..30 {
        // Half the ids share one shard (their first four hex digits are a multiple of 100), and
        // orders come two to a creation time, so that one shard's pages and ties both count.
        let id = if number % 2 == 0 {
            OrderId::parse(&format!("{:04x}{:028x}", number * 100, number)).unwrap()
        } else {
            OrderId::generate()
        };
        let created_at = start + Duration::milliseconds(i64::try_from(number / 2).unwrap());
        let order = open_order(number, id, created_at);
        assert!(app.orders.start_order(&order, None).await.unwrap());
        orders.push(order);
    }
    let mut newest_first = orders.clone();
    newest_first.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    let ids: Vec<String> = newest_first
        .iter()
        .map(|order| order.id.to_string())
        .collect();
    for (limit, pages) in [("4", 8), ("7", 5), ("100", 1)] {
        assert_eq!(
            listed(&app, &admin, "OPEN", limit).await,
            (ids.clone(), pages),
            "pages of {limit}"
        );
    }

    // One checks out: it leaves the open orders for those pending payment.
    let order = &orders[4];
    assert!(
        app.orders
            .replace(&checked_out(order), order.version, OrderStatus::Open)
            .await
            .unwrap()
    );
    let still_open: Vec<String> = ids
        .iter()
        .filter(|id| id.as_str() != order.id.as_str())
        .cloned()
        .collect();
    assert_eq!(listed(&app, &admin, "OPEN", "5").await.0, still_open);
    assert_eq!(
        listed(&app, &admin, "PENDING_PAYMENT", "5").await.0,
        vec![order.id.to_string()]
    );
    assert!(listed(&app, &admin, "PAID", "5").await.0.is_empty());
}

/// On AWS the index follows the table within moments: an entry read just before the order moved
/// on names it under its old status. The list leaves it out, and its pages go on past it.
#[tokio::test]
async fn an_order_that_moved_on_since_the_index_was_read_is_left_out() {
    let app = TestApp::spawn().await;
    let admin = app.given_session("grace", Role::Admin).await;
    let now = OffsetDateTime::now_utc();
    let open = open_order(1, OrderId::generate(), now - Duration::seconds(2));
    let stale = checked_out(&open_order(
        2,
        OrderId::generate(),
        now - Duration::seconds(1),
    ));
    assert!(app.orders.start_order(&open, None).await.unwrap());
    // Pending payment, but still under `OPEN` in the index, as an entry not yet caught up.
    let mut item = shared::store::to_item(&format!("ORDER#{}", stale.id), &stale).unwrap();
    item.insert("status_shard".into(), AttributeValue::S("OPEN#00".into()));
    item.insert(
        "status_sort".into(),
        AttributeValue::S(format!(
            "{:020}#{}",
            stale.created_at.unix_timestamp_nanos(),
            stale.id
        )),
    );
    app.put_as_is("OrdersTable", item).await;
    // A page of one: the stale entry's, left empty, and the next with the open order.
    assert_eq!(
        listed(&app, &admin, "OPEN", "1").await,
        (vec![open.id.to_string()], 3)
    );
}
