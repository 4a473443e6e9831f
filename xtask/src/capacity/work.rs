//! The work of one call of each function on an order's path, and the peak's mix of calls.
//!
//! Read from the code (each entry says where) and held to it by the API test
//! `capacity::each_function_makes_the_calls_the_capacity_model_counts`, which counts every call
//! the local IAM gate lets through while a customer shops as the storefront does, and compares
//! each function's per call with what is declared here. What the gate cannot see is declared
//! from the code alone: the partition key each item lands on, an index's entries, consistency,
//! sizes.

/// Checkouts a second the shop is built for (issue 21), with browsing and cart changes at
/// ten times that.
pub const TARGET: f64 = 5_000.0;

/// How far over the target a ceiling must be to count as clear of it, for the estimates' error
/// (item sizes, the mix, round trips): a quarter.
pub const HEADROOM: f64 = 1.25;

/// The requests a second of peak makes for each checkout in it: a customer's journey as the
/// storefront makes it (`xtask/src/bench/cost.rs`), with the browsing and cart changes of the
/// customers who do not check out added so that each is ten to a checkout.
pub const PEAK_ROUTES: &[(&str, f64)] = &[
    // Browsing: 10 a checkout.
    ("GET /api/search", 2.0),
    ("GET /api/products", 2.0),
    ("GET /api/product/{id}", 6.0),
    // Cart changes: 10 a checkout; the header and the cart page read the cart back.
    ("POST /api/order/add-item", 7.0),
    ("POST /api/order/update-item", 3.0),
    ("GET /api/order", 8.0),
    // One customer in five registers first, and follows the link the confirmation e-mail
    // brings; the others sign in.
    ("POST /api/user/create", 0.2),
    ("POST /api/user/verify", 0.2),
    ("POST /api/user/login", 0.8),
    ("POST /api/payment/card", 1.0),
    ("POST /api/order/checkout", 1.0),
    ("GET /api/order/{id}", 3.0),
    ("GET /api/order/{id}/receipt", 1.0),
];

/// Products on sale (the figure the search service is sized for).
pub const PRODUCTS: f64 = 10_000.0;

/// The different addresses the storefront asks of each route CloudFront may keep: every page of
/// the catalogue (24 products a page, each with its cursor) and every product's.
pub const DISTINCT_URLS: &[(&str, f64)] = &[
    ("GET /api/products", PRODUCTS / 24.0),
    ("GET /api/product/{id}", PRODUCTS),
];

/// The storefront's own files CloudFront serves for each checkout (cached there, but counted
/// against its requests a second): a catalogue page's 24 product images, four catalogue pages
/// and six product pages a checkout, and the page and its scripts and styles once (the browser
/// keeps them).
pub const PEAK_ASSETS: f64 = 4.0 * 24.0 + 6.0 + 8.0;

/// Messages (or stream records) each consumer takes for one checkout.
pub const PEAK_RECORDS: &[(&str, f64)] = &[
    // The checkout's outbox item and the sale's.
    ("order-relay", 2.0),
    ("payment-charge", 1.0),
    ("order-settle", 1.0),
    ("receipt-email", 1.0),
    ("report-record", 1.0),
    // A registration's verification e-mail.
    ("user-relay", 0.2),
    ("user-verification-email", 0.2),
];

/// The share of product reads and sales that are of the one best-seller at peak (a doorbuster:
/// a fifth of the lines).
pub const HOTTEST_SHARE: f64 = 0.2;

/// A round trip to an AWS service from Lambda in the same Region (DynamoDB's "single-digit
/// milliseconds", SQS's and S3's tens), for how long a call holds its execution environment.
pub const ROUND_TRIP_MS: f64 = 10.0;

/// The partition key an item or index entry is stored under.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Key {
    /// One value per customer, order, session or product: no one partition takes much.
    Spread,
    /// The same value for every call (`status = "OPEN"`, `kind = "PRODUCT"`).
    One(&'static str),
    /// One of `n` values chosen per item.
    Sharded(&'static str, u32),
    /// The best-seller's: [`HOTTEST_SHARE`] of the calls land on one value.
    Hottest(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Eventually consistent: half a read unit per 4 KB.
    Read,
    /// One read unit per 4 KB.
    ConsistentRead,
    /// One write unit per KB.
    Write,
    /// Two write units per KB (an item in a `TransactWriteItems`).
    TransactionalWrite,
}

/// What one call does to one table or index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Touch {
    pub table: &'static str,
    pub index: Option<&'static str>,
    pub key: Key,
    pub op: Op,
    /// Items (or index entries) per call.
    pub items: f64,
    /// Size of each, in KB (a query's pages: all it reads).
    pub kb: f64,
}

impl Touch {
    /// Capacity units per call.
    pub fn units(&self) -> f64 {
        let per_item = match self.op {
            Op::Read => 0.5 * (self.kb / 4.0).ceil(),
            Op::ConsistentRead => (self.kb / 4.0).ceil(),
            Op::Write => self.kb.ceil(),
            Op::TransactionalWrite => 2.0 * self.kb.ceil(),
        };
        per_item * self.items
    }

    pub fn writes(&self) -> bool {
        matches!(self.op, Op::Write | Op::TransactionalWrite)
    }
}

/// One call of a function.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Work {
    pub function: &'static str,
    /// AWS round trips one after another (calls made together count once).
    pub round_trips: u32,
    /// Its own CPU a warm call on one whole core, in ms (BENCHMARKS.md's CPU µs/call).
    pub cpu_ms: f64,
    pub touches: &'static [Touch],
    /// Queue logical id, messages per call.
    pub sends: &'static [(&'static str, f64)],
    /// Function called and waited for, calls per call.
    pub invokes: &'static [(&'static str, f64)],
    pub emails: f64,
    /// How long CloudFront may keep its answer to a GET, in seconds (its `s-maxage`; 0: not).
    pub edge_seconds: f64,
    /// How long each execution environment keeps what the functions it invokes answered of an
    /// item before asking again, in seconds (0: it asks each time).
    pub remembers: f64,
}

/// The work of one call of `function`.
pub fn of(function: &str) -> Option<&'static Work> {
    FUNCTIONS.iter().find(|work| work.function == function)
}

const fn on(table: &'static str, key: Key, op: Op, items: f64) -> Touch {
    Touch {
        table,
        index: None,
        key,
        op,
        items,
        kb: 1.0,
    }
}

/// Entries a write puts in (or takes out of) an index: a change of the index's key is two.
const fn index(table: &'static str, index: &'static str, key: Key, items: f64) -> Touch {
    Touch {
        table,
        index: Some(index),
        key,
        op: Op::Write,
        items,
        kb: 1.0,
    }
}

/// The orders' status index, its keys only: an entry is one write unit whatever the order's
/// size. A write that changes neither its keys nor (keys only) anything it projects writes no
/// entry (DynamoDB's GSI.html, "Writes"), so a change to an open order writes none, and the
/// receipt flag none: counted as one each for cart changes all the same, to err high.
const STATUS_SHARDS: &str = orders::status_index::INDEX;
const SHARDS: u32 = orders::status_index::SHARDS as u32;

/// An order's entry in the status index, under one shard of `status`.
const fn in_status(status: &'static str) -> Touch {
    index(ORDERS, STATUS_SHARDS, Key::Sharded(status, SHARDS), 1.0)
}

const USERS: &str = "UsersTable";
const PRODUCTS_TABLE: &str = "ProductsTable";
const ORDERS: &str = "OrdersTable";

/// A change to an open order: the cart pointer and the order read, the order written
/// (`orders/src/open_order.rs`).
const CART_CHANGE: &[Touch] = &[
    on(ORDERS, Key::Spread, Op::ConsistentRead, 2.0),
    on(ORDERS, Key::Spread, Op::Write, 1.0),
    index(ORDERS, "ByOwner", Key::Spread, 1.0),
    in_status("OPEN#<shard>"),
];

const fn call(function: &'static str, round_trips: u32, cpu_ms: f64) -> Work {
    Work {
        function,
        round_trips,
        cpu_ms,
        touches: &[],
        sends: &[],
        invokes: &[],
        emails: 0.0,
        edge_seconds: 0.0,
        remembers: 0.0,
    }
}

/// What the products service's public answers say CloudFront may keep them for.
const EDGE_SECONDS: f64 = products::handlers::EDGE_SECONDS as f64;

/// Every function on an order's path. Items are under 1 KB (an order of two lines is 0.4 to
/// 0.7 KB) unless `kb` says otherwise; an order item is in both of the orders table's indexes
/// (`ByOwner` all of it, the status index its keys), and a change of status is a delete from one
/// status index partition and a put into another.
pub const FUNCTIONS: &[Work] = &[
    // Session and user read together (`users/src/store/mod.rs` `session_user`).
    Work {
        touches: &[on(USERS, Key::Spread, Op::ConsistentRead, 2.0)],
        ..call("user-authorizer", 1, 0.83)
    },
    // Four throttle counts read together, a reserve (two items from a client the account has
    // not signed in from before, as at a peak's first visit), the user, the count cleared and
    // the client remembered together, the session (`users/src/throttle.rs`, `sign_in.rs`).
    Work {
        touches: &[
            on(USERS, Key::Spread, Op::ConsistentRead, 5.0),
            on(USERS, Key::Spread, Op::TransactionalWrite, 2.0),
            on(USERS, Key::Spread, Op::Write, 3.0),
        ],
        ..call("user-login", 5, 35.2)
    },
    // One transaction: the user, the tombstone's check, the verification e-mail's outbox item;
    // the user enters `ByInitial` under the username's first character (39 possible, counted
    // as ten: names do not spread evenly over them) and `ByEmail` under its address.
    Work {
        touches: &[
            on(USERS, Key::Spread, Op::TransactionalWrite, 3.0),
            index(
                USERS,
                "ByInitial",
                Key::Sharded("<first character>", 10),
                1.0,
            ),
            index(USERS, "ByEmail", Key::Spread, 1.0),
        ],
        ..call("user-create", 1, 38.6)
    },
    // The link read, then one transaction: the link spent and the address marked confirmed
    // (`users/src/store/email.rs` `verify`); the confirmed flag is in neither index.
    Work {
        touches: &[
            on(USERS, Key::Spread, Op::ConsistentRead, 1.0),
            on(USERS, Key::Spread, Op::TransactionalWrite, 2.0),
        ],
        ..call("user-verify", 2, 1.45)
    },
    // Per record, one after another: the outbox item read, sent, deleted (`shared/src/outbox.rs`).
    Work {
        touches: &[
            on(USERS, Key::Spread, Op::ConsistentRead, 1.0),
            on(USERS, Key::Spread, Op::Write, 1.0),
        ],
        sends: &[("VerificationEmailQueue", 1.0)],
        ..call("user-relay", 3, 0.66)
    },
    // The claim, the user, the address's quota read and written, the link, SES, the record.
    Work {
        touches: &[
            on(USERS, Key::Spread, Op::ConsistentRead, 2.0),
            on(USERS, Key::Spread, Op::TransactionalWrite, 1.0),
            on(USERS, Key::Spread, Op::Write, 3.0),
        ],
        emails: 1.0,
        ..call("user-verification-email", 7, 1.01)
    },
    // A page of the catalogue: every product is under the one `kind` value `PRODUCT`; 24 of
    // about 1 KB (the seed's are 0.3 KB; a real description is longer). CloudFront keeps it.
    Work {
        touches: &[Touch {
            index: Some("Catalog"),
            kb: 24.0,
            ..on(PRODUCTS_TABLE, Key::One("PRODUCT"), Op::Read, 1.0)
        }],
        edge_seconds: EDGE_SECONDS,
        ..call("product-list", 1, 1.03)
    },
    // One product, eventually consistent; the pages CloudFront does not answer, each cart
    // addition and each checkout line read it, and a best-seller's item takes its share.
    Work {
        touches: &[on(
            PRODUCTS_TABLE,
            Key::Hottest("PRODUCT#<slug>"),
            Op::Read,
            1.0,
        )],
        edge_seconds: EDGE_SECONDS,
        ..call("product-get", 1, 0.65)
    },
    // The catalogue's snapshot is in memory (an S3 check at most every 2 s an instance).
    call("search-query", 0, 0.37),
    // The product (what the catalogue said of it in the last few seconds, when it did), then a
    // change to the cart. Counted as asked each time, but for the best-seller's item.
    Work {
        touches: CART_CHANGE,
        invokes: &[("product-get", 1.0)],
        remembers: orders::catalog::REMEMBERED.as_secs_f64(),
        ..call("order-add-item", 4, 1.89)
    },
    Work {
        touches: CART_CHANGE,
        ..call("order-update-item", 3, 1.35)
    },
    // The cart pointer, then the order.
    Work {
        touches: &[on(ORDERS, Key::Spread, Op::ConsistentRead, 2.0)],
        ..call("order-current", 2, 1.26)
    },
    Work {
        touches: &[on(ORDERS, Key::Spread, Op::ConsistentRead, 1.0)],
        ..call("order-get", 1, 0.72)
    },
    // The order, its two lines' products together, the order again, then one transaction: the
    // order to PENDING_PAYMENT (out of its shard of `OPEN`, into its shard of `PENDING_PAYMENT`)
    // and its outbox item.
    Work {
        touches: &[
            on(ORDERS, Key::Spread, Op::ConsistentRead, 2.0),
            on(ORDERS, Key::Spread, Op::TransactionalWrite, 2.0),
            index(ORDERS, "ByOwner", Key::Spread, 1.0),
            in_status("OPEN#<shard>"),
            in_status("PENDING_PAYMENT#<shard>"),
        ],
        invokes: &[("product-get", 2.0)],
        ..call("order-checkout", 4, 2.65)
    },
    // Per record, as user-relay: the checkout's to CheckoutQueue, the sale's to ReportsQueue.
    Work {
        touches: &[
            on(ORDERS, Key::Spread, Op::ConsistentRead, 1.0),
            on(ORDERS, Key::Spread, Op::Write, 1.0),
        ],
        sends: &[("CheckoutQueue", 0.5), ("ReportsQueue", 0.5)],
        ..call("order-relay", 3, 0.52)
    },
    // The card claimed, the payment started and read, the bank's ledger read and written, the
    // payment settled and read, the card deleted, the result sent (`payments/src/handlers/charge.rs`).
    Work {
        touches: &[
            on("CardsTable", Key::Spread, Op::Write, 2.0),
            on("PaymentsTable", Key::Spread, Op::Write, 3.0),
            on("PaymentsTable", Key::Spread, Op::ConsistentRead, 3.0),
        ],
        sends: &[("PaymentResultsQueue", 1.0)],
        ..call("payment-charge", 9, 2.67)
    },
    // The order, one transaction (the order PAID, out of `PENDING_PAYMENT` and into `PAID`, and
    // the sale's outbox item), the receipt's message, the receipt flag (in `ByOwner`'s copy of
    // the order; the status index keeps keys only).
    Work {
        touches: &[
            on(ORDERS, Key::Spread, Op::ConsistentRead, 1.0),
            on(ORDERS, Key::Spread, Op::TransactionalWrite, 2.0),
            on(ORDERS, Key::Spread, Op::Write, 1.0),
            index(ORDERS, "ByOwner", Key::Spread, 2.0),
            in_status("PENDING_PAYMENT#<shard>"),
            in_status("PAID#<shard>"),
        ],
        sends: &[("ReceiptsQueue", 1.0)],
        ..call("order-settle", 4, 0.73)
    },
    Work {
        touches: &[on("CardsTable", Key::Spread, Op::Write, 1.0)],
        ..call("payment-card", 1, 0.77)
    },
    // The claim, the PDF looked for and stored in S3, SES, the record.
    Work {
        touches: &[on("ReceiptsTable", Key::Spread, Op::Write, 2.0)],
        emails: 1.0,
        ..call("receipt-email", 5, 1.02)
    },
    Work {
        invokes: &[("order-get", 1.0)],
        ..call("receipt-get", 2, 1.44)
    },
    // One transaction: the sale's marker, and under one of the month's partition keys
    // `SALES#<month>#<currency>#<partition>` (chosen by the event) a day-total shard and an item
    // per product sold (two lines, two products): `reports/src/tally.rs`.
    Work {
        touches: &[
            on("ReportsTable", Key::Spread, Op::TransactionalWrite, 1.0),
            on(
                "ReportsTable",
                Key::Sharded("SALES#<month>#<currency>#<partition>", reports::PARTITIONS),
                Op::TransactionalWrite,
                3.0,
            ),
        ],
        ..call("report-record", 1, 0.94)
    },
];
