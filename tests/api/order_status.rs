//! The orders' sharded status index, `ByStatusShard`: orders stored before it join it with
//! `xtask orders-upgrade`.

use aws_sdk_dynamodb::types::AttributeValue;
use orders::domain::Order;
use shared::ids::{OrderId, Username};
use time::{Duration, OffsetDateTime};

use crate::support::TestApp;

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
        .dynamodb
        .get_item()
        .table_name(app.table("OrdersTable"))
        .key("pk", AttributeValue::S(format!("ORDER#{id}")))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
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
    app.dynamodb
        .put_item()
        .table_name(app.table("OrdersTable"))
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
    assert_eq!(place(&app, &legacy.id).await, None);

    assert_eq!(app.orders.list_unlisted().await.unwrap(), 1);
    let (shard, _) = place(&app, &legacy.id).await.expect("given its place");
    assert!(shard.starts_with("OPEN#"), "{shard}");
    // Safe to run again: nothing left to list.
    assert_eq!(app.orders.list_unlisted().await.unwrap(), 0);
}
