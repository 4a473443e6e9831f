//! The search service: its copy of the catalogue fed by the products table's stream through
//! `search-index`, and `GET /api/search` answering from it, against DynamoDB Local and moto's S3.

use serde_json::{Value, json};
use shared::auth::Role;

use search::handlers::index::Indexer;

use crate::support::{Reply, TestApp};

/// The slugs of a search's products, in order.
fn slugs(reply: &Reply) -> Vec<&str> {
    reply.body["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|product| product["slug"].as_str().unwrap())
        .collect()
}

/// A shop with the seed catalogue indexed.
async fn indexed_shop() -> TestApp {
    let app = TestApp::spawn().await;
    xtask::seed::load(&app.products).await.unwrap();
    let pass = app.index_search().await;
    assert!(pass.records >= 24, "{pass:?}");
    app
}

#[tokio::test]
async fn customers_find_what_they_mean() {
    let app = indexed_shop().await;
    // As they type: the last word is a prefix.
    let brass = app.search(&[("q", "bras")]).await;
    brass.assert(200, "");
    // Both brass products by name first, then the key ring whose description has a brass ring.
    let mut named = slugs(&brass)[..2].to_vec();
    named.sort_unstable();
    assert_eq!(named, ["brass-ballpoint-pen", "desk-lamp-brass"]);
    assert_eq!(slugs(&brass)[2..], ["leather-key-ring"]);
    // Words in any order, a typo, a plural, capitals.
    for q in ["ceramc bowl", "bowl CERAMIC", "serving bowls"] {
        let reply = app.search(&[("q", q)]).await;
        assert_eq!(slugs(&reply).first(), Some(&"ceramic-serving-bowl"), "{q}");
    }
    // The name counts more than the description: the lamp named brass before anything that only
    // mentions it.
    let lamp = app.search(&[("q", "brass lamp")]).await;
    assert_eq!(slugs(&lamp)[0], "desk-lamp-brass");
    // Syntax is just words; nothing at all matches nothing.
    app.search(&[("q", "\"mug\" AND (cup* OR -x:y)")])
        .await
        .assert(200, "");
    let none = app.search(&[("q", "xylophone")]).await;
    assert_eq!(
        (none.body["total"].clone(), slugs(&none).len()),
        (json!(0), 0)
    );
}

#[tokio::test]
async fn filters_sorts_facets_and_pages() {
    let app = indexed_shop().await;
    let all = app.search(&[("sort", "price_asc"), ("limit", "100")]).await;
    all.assert(200, "");
    let prices: Vec<i64> = all.body["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["price"].as_i64().unwrap())
        .collect();
    assert_eq!(prices.len(), 24);
    assert!(prices.is_sorted(), "{prices:?}");

    let kitchen = app
        .search(&[
            ("category", "Kitchen"),
            ("max_price", "2000"),
            ("sort", "price_desc"),
        ])
        .await;
    kitchen.assert(200, "");
    let facets = &kitchen.body["facets"]["categories"];
    let kitchen_count = facets
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Kitchen")
        .unwrap()["count"]
        .clone();
    assert_eq!(kitchen.body["total"], kitchen_count);
    assert!(
        facets.as_array().unwrap().len() > 1,
        "other categories counted too: {facets}"
    );
    for product in kitchen.body["products"].as_array().unwrap() {
        assert_eq!(product["category"], "Kitchen");
        assert!(product["price"].as_i64().unwrap() <= 2000);
    }

    // Page by page, every product once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("sort", "name"), ("limit", "5")];
        if let Some(cursor) = &cursor {
            query.push(("cursor", cursor));
        }
        let page = app.search(&query).await;
        seen.extend(slugs(&page).into_iter().map(str::to_owned));
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 24);
    seen.dedup();
    assert_eq!(seen.len(), 24);
}

#[tokio::test]
async fn bad_searches_are_400_and_say_why() {
    let app = indexed_shop().await;
    let long = "a".repeat(201);
    for (query, code, field) in [
        (vec![("q", "")], "validation_failed", Some("q")),
        (vec![("q", "   ")], "validation_failed", Some("q")),
        (vec![("q", long.as_str())], "validation_failed", Some("q")),
        (
            vec![("sort", "cheapest")],
            "validation_failed",
            Some("sort"),
        ),
        (
            vec![("min_price", "-1")],
            "validation_failed",
            Some("min_price"),
        ),
        (
            vec![("min_price", "12.50")],
            "validation_failed",
            Some("min_price"),
        ),
        (
            vec![("max_price", "100000001")],
            "validation_failed",
            Some("max_price"),
        ),
        (
            vec![("q", "\u{feff}\u{1f} ")],
            "validation_failed",
            Some("q"),
        ),
        (vec![("limit", "0")], "invalid_limit", None),
        (vec![("cursor", "garbage")], "invalid_cursor", None),
    ] {
        let reply = app.search(&query).await;
        reply.assert(400, code);
        if let Some(field) = field {
            assert!(
                reply.body["fields"][field].is_string(),
                "{query:?}: {}",
                reply.body
            );
        }
    }
    let exactly_200 = "b".repeat(200);
    app.search(&[("q", &exactly_200)]).await.assert(200, "");
    // A minimum above the maximum is no mistake: nothing costs that.
    let none = app
        .search(&[("min_price", "500"), ("max_price", "100")])
        .await;
    none.assert(200, "");
    assert_eq!(none.body["total"], 0);
}

#[tokio::test]
async fn created_edited_and_retired_products_follow_into_search() {
    let app = indexed_shop().await;
    let admin = app.given_session("grace", Role::Admin).await;
    let found = |reply: &Reply| {
        slugs(reply)
            .iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<_>>()
    };

    // The test helper names what it creates "Enamel camp mug", like the seed's mug.
    app.given_product(&admin, "creme-brulee-dish", 1_900).await;
    assert!(
        !found(&app.search(&[("q", "enamel camp mug")]).await)
            .contains(&"creme-brulee-dish".to_owned())
    );
    app.index_search().await;
    assert!(
        found(&app.search(&[("q", "enamel camp mug")]).await)
            .contains(&"creme-brulee-dish".to_owned())
    );
    let mut edit = app.product_body("creme-brulee-dish").await;
    edit["name"] = json!("Crème brûlée dish");
    edit["category"] = json!("Kitchen");
    let edited = app.edit_product(&admin, "creme-brulee-dish", &edit).await;
    edited.assert(200, "");
    app.index_search().await;
    let creme = app.search(&[("q", "creme brulee")]).await;
    assert_eq!(slugs(&creme), ["creme-brulee-dish"]);
    assert_eq!(creme.body["products"][0]["price"], 1_900);

    app.retire_product(&admin, "creme-brulee-dish")
        .await
        .assert(200, "");
    app.index_search().await;
    assert!(slugs(&app.search(&[("q", "creme brulee")]).await).is_empty());
}

#[tokio::test]
async fn records_given_twice_or_after_a_crash_index_once() {
    let app = TestApp::spawn().await;
    xtask::seed::load(&app.products).await.unwrap();
    // The first delivery crashes after indexing (Lambda gives the batch again), the second
    // sees every record again.
    let crashed = std::sync::atomic::AtomicBool::new(false);
    let pass = app
        .index_search_with(|event| {
            let (app, crashed) = (&app, &crashed);
            async move {
                let answer = search::handlers::index::handle(app.indexer(), event).await;
                (crashed.swap(true, std::sync::atomic::Ordering::SeqCst)).then_some(answer)
            }
        })
        .await;
    assert_eq!((pass.records, pass.failed), (24, 1), "{pass:?}");
    let again = app.index_search().await;
    assert_eq!(again.records, 24, "the whole batch again");
    let all = app.search(&[("limit", "100")]).await;
    assert_eq!(all.body["total"], 24);
}

#[tokio::test]
async fn two_indexers_at_once_lose_nothing() {
    let app = indexed_shop().await;
    // Two instances of `search-index`, each holding the catalogue of its last batch.
    let other = Indexer::new(app.snapshots("SearchIndexFunction"));
    let first = search::catalogue::Entry::Sold(doc("kettle-one", "Stovetop kettle"));
    let second = search::catalogue::Entry::Sold(doc("kettle-two", "Electric kettle"));
    let (a, b) = tokio::join!(
        app.indexer().apply(std::slice::from_ref(&first)),
        other.apply(std::slice::from_ref(&second)),
    );
    a.unwrap();
    b.unwrap();
    let kettles = app.search(&[("q", "kettle")]).await;
    assert_eq!(kettles.body["total"], 2, "{}", kettles.body);
    // Whichever won, each builds on the other's write next time.
    let third = search::catalogue::Entry::Sold(doc("kettle-three", "Camping kettle"));
    let fourth = search::catalogue::Entry::Sold(doc("kettle-four", "Copper kettle"));
    app.indexer().apply(&[third]).await.unwrap();
    other.apply(&[fourth]).await.unwrap();
    let kettles = app.search(&[("q", "kettle")]).await;
    assert_eq!(kettles.body["total"], 4, "{}", kettles.body);
}

#[tokio::test]
async fn a_snapshot_deleted_by_hand_is_written_again() {
    let app = indexed_shop().await;
    // An operator's hand, not the function's role.
    let s3 = aws_sdk_s3::Client::new(&crate::support::sdk_config().await);
    s3.delete_object()
        .bucket(&app.names.refs["SearchBucket"])
        .key(search::store::KEY)
        .send()
        .await
        .unwrap();
    // The indexer holds the catalogue of a snapshot that is gone: it starts a new one.
    let kettle = search::catalogue::Entry::Sold(doc("kettle-one", "Stovetop kettle"));
    app.indexer()
        .apply(std::slice::from_ref(&kettle))
        .await
        .unwrap();
    let kettles = app.search(&[("q", "kettle")]).await;
    assert_eq!(slugs(&kettles), ["kettle-one"]);
}

fn doc(slug: &str, name: &str) -> search::catalogue::Doc {
    search::catalogue::Doc {
        slug: shared::ids::ProductId::parse(slug).unwrap(),
        name: name.into(),
        description: "Boils water.".into(),
        image: "/images/products/glass-water-carafe.svg".into(),
        price: 3_000,
        currency: shared::money::Currency::Eur,
        category: "Kitchen".into(),
        version: 1,
    }
}

#[tokio::test]
async fn the_rebuild_makes_the_index_anew_and_keeps_newer_changes() {
    let app = TestApp::spawn().await;
    xtask::seed::load(&app.products).await.unwrap();
    // Not there yet, as S3 tells a function that may list the bucket (404, not 403).
    let before = app.search(&[("q", "mug")]).await;
    before.assert(503, "search_unavailable");
    let message = before.body["message"].as_str().unwrap();
    assert!(message.contains("not built yet"), "{message}");
    let store = app.snapshots("SearchIndexFunction");
    let rebuilt =
        xtask::catalogue::rebuild_search(&app.dynamodb, app.table("ProductsTable"), &store)
            .await
            .unwrap();
    assert_eq!((rebuilt.on_sale, rebuilt.unreadable), (24, 0));
    let mugs = app.search(&[("q", "mug")]).await;
    mugs.assert(200, "");
    assert!(slugs(&mugs).contains(&"enamel-camp-mug"));
    // Again, with the stream's records indexed on top: nothing changes.
    app.index_search().await;
    let again = xtask::catalogue::rebuild_search(&app.dynamodb, app.table("ProductsTable"), &store)
        .await
        .unwrap();
    assert_eq!(again.on_sale, 24);

    // A damaged snapshot, and an item that is not a readable product: the rebuild replaces the
    // one and leaves out (and counts) the other.
    app.function("SearchIndexFunction")
        .clients()
        .s3
        .put_object()
        .bucket(&app.names.refs["SearchBucket"])
        .key(search::store::KEY)
        .body(b"not a snapshot".to_vec().into())
        .send()
        .await
        .unwrap();
    app.search(&[("q", "mug")])
        .await
        .assert(503, "search_unavailable");
    app.put_unreadable_product().await;
    let repaired =
        xtask::catalogue::rebuild_search(&app.dynamodb, app.table("ProductsTable"), &store)
            .await
            .unwrap();
    assert_eq!((repaired.on_sale, repaired.unreadable), (24, 1));
    app.search(&[("q", "mug")]).await.assert(200, "");
}

#[tokio::test]
async fn search_answers_with_the_products_table_gone() {
    let app = indexed_shop().await;
    app.drop_table("ProductsTable").await;
    let reply = app.search(&[("q", "brass")]).await;
    reply.assert(200, "");
    assert_eq!(reply.body["total"], 3);
}

impl TestApp {
    /// An item of the products table under a product's key that is no product.
    async fn put_unreadable_product(&self) {
        self.dynamodb
            .put_item()
            .table_name(self.table("ProductsTable"))
            .item(
                "pk",
                aws_sdk_dynamodb::types::AttributeValue::S("PRODUCT#broken".into()),
            )
            .send()
            .await
            .unwrap();
    }

    async fn product_body(&self, slug: &str) -> Value {
        let reply = self
            .product_get(crate::catalogue::at("product-get", slug))
            .await;
        reply.assert(200, "");
        crate::catalogue::edit_of(&reply.body)
    }

    async fn edit_product(&self, token: &str, slug: &str, body: &Value) -> Reply {
        self.edit(Some(token), slug, body).await
    }

    async fn retire_product(&self, token: &str, slug: &str) -> Reply {
        self.retire(Some(token), slug).await
    }
}

#[tokio::test]
async fn an_unreadable_product_is_retried_for_an_hour_then_reported() {
    let app = indexed_shop().await;
    app.put_unreadable_product().await;
    let indexer = |event| {
        let app = &app;
        async move { Some(search::handlers::index::handle(app.indexer(), event).await) }
    };
    let first = app.index_search_with(indexer).await;
    assert_eq!((first.records, first.failed, first.given_up), (1, 1, 0));
    app.let_time_pass_for("SearchIndexFunction", 3_601).await;
    let last = app.index_search_with(indexer).await;
    assert_eq!(last.given_up, 1, "{last:?}");
    let reports = app.drain("SearchIndexFailuresQueue").await;
    assert_eq!(reports.len(), 1, "Lambda tells the failures queue");
    let metadata: Value = serde_json::from_str(reports[0].body().unwrap()).unwrap();
    assert_eq!(metadata["requestContext"]["condition"], "RecordAgeExceeded");
    // The rest of the catalogue still searches.
    app.search(&[("q", "brass")]).await.assert(200, "");
}
