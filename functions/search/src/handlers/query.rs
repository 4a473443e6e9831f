//! `GET /api/search?q=&category=&min_price=&max_price=&sort=&limit=&cursor=`: products ranked by
//! relevance, with the number of matches in all and per category. Public.
//!
//! Without `q`, every product on sale, filtered and sorted the same way: the storefront's
//! catalogue filters. An empty or blank `q`, or one over 200 characters, is a 400.
//!
//! The catalogue is the search service's own snapshot ([`crate::store`]), loaded at start and
//! checked for a newer one at most every [`Searcher::REFRESH`]; a check that fails keeps the
//! catalogue already loaded.

use std::time::{Duration, Instant};

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use shared::error::ErrorCode;
use shared::http::{self, ApiError, FieldErrors};
use shared::money::Currency;
use tokio::sync::Mutex;

use crate::catalogue::Catalogue;
use crate::query::{Query, Sort, Text};
use crate::store::{Freshness, SnapshotStore, StoreError, Stored};

/// How long loading or checking the snapshot may take before the request goes on without it.
const LOAD_TIMEOUT: Duration = Duration::from_secs(2);

pub const DEFAULT_LIMIT: i32 = 24;
pub const MAX_LIMIT: i32 = 100;

/// The search function's state: where the catalogue is kept, and the one it holds.
#[derive(Debug)]
pub struct Searcher {
    store: SnapshotStore,
    refresh: Duration,
    held: Mutex<Option<Held>>,
}

#[derive(Debug)]
struct Held {
    stored: Stored,
    checked: Instant,
}

impl Searcher {
    /// How stale the catalogue may be: a change shows in search within this (plus the indexing).
    pub const REFRESH: Duration = Duration::from_secs(2);

    /// A searcher that checks for a newer catalogue every `refresh`; loads none yet.
    pub fn new(store: SnapshotStore, refresh: Duration) -> Self {
        Self {
            store,
            refresh,
            held: Mutex::new(None),
        }
    }

    /// Loads the catalogue and builds the typo automata's builder now (at start, so the first
    /// search does not wait for them). A catalogue not there yet, or a bucket not answering, is
    /// only logged: searches try again.
    pub async fn warm(&self) {
        crate::index::prepare();
        if let Err(err) = self.current(|_| ()).await {
            tracing::warn!(error = %err.message(), "no search catalogue at start");
        }
    }

    /// Runs `f` on the current catalogue, loading or refreshing it first if due.
    async fn current<T>(&self, f: impl FnOnce(&Catalogue) -> T) -> Result<T, ApiError> {
        let mut held = self.held.lock().await;
        let due = held
            .as_ref()
            .is_none_or(|held| held.checked.elapsed() >= self.refresh);
        if due {
            let loading = async {
                match held.as_ref() {
                    None => self.store.load().await,
                    // One deleted by hand: the catalogue held serves until a rebuild writes one.
                    Some(held) => match self.store.load_if_changed(&held.stored.etag).await? {
                        Freshness::Changed(stored) => Ok(Some(*stored)),
                        Freshness::Unchanged | Freshness::Gone => Ok(None),
                    },
                }
            };
            // A bucket slow to answer must not hold a search up: the catalogue held serves it.
            let loaded = tokio::time::timeout(LOAD_TIMEOUT, loading)
                .await
                .unwrap_or_else(|_| Err(StoreError::Unavailable("no answer in time".into())));
            match (loaded, held.as_mut()) {
                (Ok(Some(stored)), _) => {
                    *held = Some(Held {
                        stored,
                        checked: Instant::now(),
                    });
                }
                (Ok(None), Some(current)) => current.checked = Instant::now(),
                (Ok(None), None) => return Err(unavailable("the search index is not built yet")),
                (Err(err), Some(current)) => {
                    tracing::warn!(error = %err, "search catalogue not refreshed; serving the one held");
                    current.checked = Instant::now();
                }
                (Err(err), None) => {
                    tracing::error!(error = %err, "no search catalogue");
                    return Err(unavailable("search is unavailable right now"));
                }
            }
        }
        let held = held
            .as_ref()
            .ok_or_else(|| unavailable("search is unavailable right now"))?;
        Ok(f(&held.stored.catalogue))
    }
}

fn unavailable(why: &str) -> ApiError {
    ApiError::new(
        ErrorCode::SearchUnavailable,
        format!("{why}; the catalogue can still be browsed"),
    )
}

/// One product in the results.
#[derive(Debug, Serialize)]
struct Hit<'a> {
    slug: &'a str,
    name: &'a str,
    image: &'a str,
    price: i64,
    currency: Currency,
    category: &'a str,
}

#[derive(Debug, Serialize)]
struct CategoryCount<'a> {
    name: &'a str,
    count: usize,
}

#[derive(Debug, Serialize)]
struct Facets<'a> {
    categories: Vec<CategoryCount<'a>>,
}

#[derive(Debug, Serialize)]
struct Results<'a> {
    total: usize,
    products: Vec<Hit<'a>>,
    facets: Facets<'a>,
    next_cursor: Option<String>,
}

pub async fn handle(searcher: &Searcher, request: Request) -> Result<Response<Body>, ApiError> {
    let query = parse(&request)?;
    searcher
        .current(|catalogue| {
            let found = catalogue.search(&query);
            let results = Results {
                total: found.total,
                products: found
                    .products
                    .iter()
                    .map(|doc| Hit {
                        slug: doc.slug.as_str(),
                        name: &doc.name,
                        image: &doc.image,
                        price: doc.price,
                        currency: doc.currency,
                        category: &doc.category,
                    })
                    .collect(),
                facets: Facets {
                    categories: found
                        .categories
                        .iter()
                        .map(|(name, count)| CategoryCount {
                            name,
                            count: *count,
                        })
                        .collect(),
                },
                next_cursor: found
                    .next
                    .map(|offset| http::encode_cursor(&[&offset.to_string()])),
            };
            http::json(StatusCode::OK, &results)
        })
        .await
}

/// The search the request asks for; every bad parameter is named in one 400.
fn parse(request: &Request) -> Result<Query, ApiError> {
    let limit = http::page_limit(request, DEFAULT_LIMIT, MAX_LIMIT)?;
    let offset = match http::query_parameter(request, "cursor") {
        Some(raw) => http::decode_cursor(raw, 1)?[0]
            .parse::<usize>()
            .map_err(|_| http::invalid_cursor())?,
        None => 0,
    };
    let mut fields = FieldErrors::default();
    let param = |name| http::query_parameter(request, name);
    let text = param("q").and_then(|raw| fields.check("q", Text::parse(raw)));
    let category =
        param("category").map(|raw| raw.split_whitespace().collect::<Vec<_>>().join(" "));
    let min_price = param("min_price").and_then(|raw| fields.check("min_price", price(raw)));
    let max_price = param("max_price").and_then(|raw| fields.check("max_price", price(raw)));
    let sort = param("sort").map_or(Ok(Sort::default()), |raw| {
        fields.check("sort", Sort::parse(raw)).ok_or(())
    });
    if !fields.is_empty() {
        return Err(fields.into_error());
    }
    Ok(Query {
        text,
        category: category.filter(|category| !category.is_empty()),
        min_price,
        max_price,
        sort: sort.unwrap_or_default(),
        offset,
        limit: usize::try_from(limit).unwrap_or(1),
    })
}

/// The highest price a bound may name: the catalogue's own limit, 1,000,000.00.
const MAX_BOUND: i64 = 100_000_000;

/// A price bound: a whole number of minor units from 0 to [`MAX_BOUND`]. A minimum above the
/// maximum is no error: nothing costs that, so nothing matches.
fn price(raw: &str) -> Result<i64, String> {
    raw.parse::<i64>()
        .ok()
        .filter(|price| (0..=MAX_BOUND).contains(price))
        .ok_or_else(|| {
            format!("must be a whole number of minor units (cents) from 0 to {MAX_BOUND}")
        })
}
