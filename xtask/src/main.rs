//! `cargo xtask <command>`: developer tasks driven by `template.yaml`. `cargo xtask --help` lists
//! the commands; the command line is parsed by `clap` from the [`Command`] enum below, so the
//! usage text is generated from these doc comments.
//!
//! Table variables default to the template's logical ids, which are the local tables' names; on
//! AWS, set them to the stack's outputs (`UsersTableName`, `ProductsTableName`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use products::ProductStore;
use shared::ids::Username;
use users::UserStore;
use xtask::Result;
use xtask::template::Template;

/// Developer tasks for the shop, driven by template.yaml.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create every table, queue, bucket and secret the template declares, named by logical id,
    /// on the endpoints in the AWS_ENDPOINT_URL_* variables, and verify the sender with SES.
    Provision {
        /// Put this before every name.
        #[arg(long, default_value = "")]
        prefix: String,
    },
    /// List the HTTP API's routes, their functions and binaries, and whether they need a token.
    Routes,
    /// List the template's functions by logical id, one per line.
    Functions {
        /// Print each function's Cargo binary instead.
        #[arg(long)]
        binaries: bool,
    },
    /// Load the seed catalogue (data/products.json) into the table named by PRODUCTS_TABLE;
    /// products already there are left alone, so it is safe to run twice.
    Seed,
    /// Give a user the admin role, in the table named by USERS_TABLE.
    MakeAdmin {
        /// Whose role changes.
        username: Username,
    },
    /// Send again the orders outbox's messages that order-relay gave up on (OutboxFailuresAlarm
    /// says when), in the table named by ORDERS_TABLE: run it once the cause is fixed. It also
    /// completes checkouts an earlier version left pending without their message: run it once
    /// after upgrading to the outbox.
    OutboxRedrive,
    /// Write the sales event of every settled order in the table named by ORDERS_TABLE (what
    /// order-settle sends the reports service) to a file, one JSON object a line, for
    /// `reports-backfill`: once after first deploying the reports service on a shop with orders.
    OrdersExport {
        /// Where to write it (standard output if left out).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Count an `orders-export` file into the reports, in the table named by REPORTS_TABLE. An
    /// event counted already (live, or by an earlier backfill) counts nothing: safe to run again.
    ReportsBackfill {
        /// The export.
        export: PathBuf,
    },
    /// Count the products stored before categories and versions (which GET /api/categories
    /// leaves out) in their categories, in the table named by PRODUCTS_TABLE: run it once after
    /// upgrading to categories. Safe to run again.
    CatalogueUpgrade,
    /// Give every order stored before the status index was sharded its place in it, in the table
    /// named by ORDERS_TABLE: run once when upgrading a shop with orders (README, Orders); safe
    /// to run again.
    OrdersUpgrade,
    /// Give every account stored before the user list was partitioned by initial its place in
    /// it, in the table named by USERS_TABLE: run once when upgrading a shop with accounts
    /// (README, Listing users); safe to run again.
    UsersUpgrade,
    /// Build the search service's snapshot anew from the table named by PRODUCTS_TABLE, into the
    /// bucket named by SEARCH_BUCKET: after a first deploy on an existing catalogue, or when
    /// SearchIndexFailuresAlarm says changes were not indexed. Safe while the shop runs.
    SearchRebuild,
    /// Run the whole shop locally, with the seed catalogue and two demo accounts (scripts/run
    /// starts the emulators and builds the functions first).
    Run {
        /// Where the storefront and the API listen.
        #[arg(long, default_value_t = 3000)]
        port: u16,
        /// Where the Lambda Invoke API listens (for `cargo lambda invoke`).
        #[arg(long, default_value_t = 9000)]
        invoke_port: u16,
        /// Leave the functions' own logs out of the console.
        #[arg(long)]
        quiet: bool,
    },
    /// Measure cold start, latency, memory, zip size and a shopping load, and write BENCHMARKS.md
    /// (scripts/bench builds the binaries first).
    Bench {
        /// The release binaries built for this machine.
        #[arg(long)]
        native: PathBuf,
        /// The arm64 deployment zips.
        #[arg(long)]
        zips: PathBuf,
        /// How long the shopping load runs.
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        /// How many customers shop at once during the load.
        #[arg(long, default_value_t = 16)]
        customers: usize,
        /// Measure only these functions (comma-separated) and the hello-world, with no load,
        /// and write target/bench/SCREEN.md instead of BENCHMARKS.md: a screen while trying a
        /// change.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// The shop around a screen's functions, cargo's output folder with every function
        /// built (`target/debug`); by default the native release builds, which a full run
        /// builds in full and a screen only in part. A screen's only: the load runs on the
        /// release builds.
        #[arg(long, requires = "only")]
        shop: Option<PathBuf>,
        /// Run the shopping load alone, measuring no function, and write its section to
        /// target/bench/LOAD.md and its figures to target/bench/load.json.
        #[arg(long, conflicts_with = "only")]
        load_only: bool,
        /// Take the load's figures from this file (a `--load-only` run's load.json, on emulators
        /// of its own: scripts/bench restarts them between the two) instead of running it.
        #[arg(long, conflicts_with_all = ["only", "load_only"])]
        load_from: Option<PathBuf>,
        /// Warm calls per function (more, to profile one with `perf`).
        #[arg(long, default_value_t = 200,
              value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        warm_calls: usize,
    },
    /// Write BENCHMARKS.md again from the figures it keeps, after a change to how they are
    /// reported, without measuring again (an order is priced with the template as it is now).
    BenchReport {
        /// An older BENCHMARKS.md to compare with, such as `git show HEAD~1:BENCHMARKS.md`'s.
        #[arg(long)]
        before: PathBuf,
    },
    /// The local IAM gate's record of the last test run.
    Iam {
        #[command(subcommand)]
        command: IamCommand,
    },
    /// A customer's journey against a running shop, deployed or local (scripts/smoke runs it).
    Smoke {
        /// The shop's address, such as https://d111111abcdef8.cloudfront.net.
        site: String,
    },
    /// Write the storefront as it is uploaded (web/ with its scripts and styles named after their
    /// content) into a folder, and print the commands that upload it and refresh CloudFront.
    Storefront {
        /// An empty or new folder.
        out: PathBuf,
        /// The stack's StorefrontBucketName output.
        #[arg(long)]
        bucket: String,
        /// The stack's StorefrontDistributionId output.
        #[arg(long)]
        distribution: String,
    },
    /// Render the API's documentation page (web/docs/index.html) from openapi.yaml.
    ApiDocs,
    /// Record openapi.yaml's contract (docs/api-contract.json), if info.version allows the change.
    ApiLock,
    /// Work out the checkouts a second each part of the stack carries at a sales peak, from the
    /// template and AWS's documented limits, and write the table into SCALING.md.
    Capacity {
        /// Change nothing: fail if SCALING.md's table is not what the template gives.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Debug, Subcommand)]
enum IamCommand {
    /// Per function, each grant of its policy and whether the last test run used it, and every
    /// call the gate refused (from SHOP_IAM_USAGE_DIR, by default target/iam-usage).
    Report {
        /// Fail on a grant no test used, or on a refusal.
        #[arg(long)]
        check: bool,
    },
    /// Delete each statement of each policy in turn and run the smallest tests that used it; each
    /// statement must make one of them fail (scripts/test runs both).
    Mutants,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let outcome = match Cli::parse().command {
        Command::Provision { prefix } => provision(&prefix).await,
        Command::Routes => routes(),
        Command::Functions { binaries } => functions(binaries),
        Command::Seed => xtask::operate::seed().await,
        Command::MakeAdmin { username } => xtask::operate::make_admin(&username).await,
        Command::OutboxRedrive => xtask::operate::outbox_redrive().await,
        Command::OrdersExport { out } => xtask::operate::orders_export(out.as_deref()).await,
        Command::ReportsBackfill { export } => xtask::operate::reports_backfill(&export).await,
        Command::CatalogueUpgrade => xtask::operate::catalogue_upgrade().await,
        Command::OrdersUpgrade => xtask::operate::orders_upgrade().await,
        Command::UsersUpgrade => xtask::operate::users_upgrade().await,
        Command::SearchRebuild => xtask::operate::search_rebuild().await,
        Command::Run {
            port,
            invoke_port,
            quiet,
        } => run(port, invoke_port, !quiet).await,
        Command::Bench {
            native,
            zips,
            seconds,
            customers,
            only,
            shop,
            load_only,
            load_from,
            warm_calls,
        } => {
            bench(xtask::bench::BenchConfig {
                native,
                zips,
                only,
                shop,
                load_only,
                load_from,
                cold_starts: 11,
                warm_calls,
                load: std::time::Duration::from_secs(seconds),
                customers,
            })
            .await
        }
        Command::BenchReport { before } => std::fs::read_to_string(&before)
            .map_err(Into::into)
            .and_then(|before| xtask::bench::rewrite(&before))
            .map(|path| eprintln!("wrote {}", path.display())),
        Command::Iam {
            command: IamCommand::Report { check },
        } => xtask::iam::cli::report(&xtask::iam::cli::usage_dir(), check),
        Command::Iam {
            command: IamCommand::Mutants,
        } => xtask::iam::cli::mutants(&xtask::iam::cli::usage_dir()),
        Command::Smoke { site } => xtask::smoke::run(&site).await,
        Command::Storefront {
            out,
            bucket,
            distribution,
        } => storefront(&out, &bucket, &distribution),
        Command::ApiDocs => api_docs(),
        Command::ApiLock => api_lock(),
        Command::Capacity { check } => {
            xtask::capacity::run(&xtask::template::workspace_root(), check)
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn provision(prefix: &str) -> Result<()> {
    let template = Template::workspace()?;
    let sdk = shared::aws::sdk_config().await;
    let operator = xtask::provision::Operator::new(&sdk);
    let names = xtask::provision::stack(&operator, &template, prefix, &Default::default()).await?;
    for (logical_id, arn) in &names.arns {
        eprintln!("{logical_id} ready: {arn}");
    }
    Ok(())
}

#[allow(clippy::print_stdout)]
fn routes() -> Result<()> {
    let template = Template::workspace()?;
    let functions = template.functions()?;
    for route in template.routes()? {
        let binary = functions
            .iter()
            .find(|function| function.logical_id == route.function)
            .map(|function| function.binary.as_str())
            .unwrap_or("?");
        let auth = route.authorizer.as_deref().unwrap_or("public");
        println!("{:<38} {binary:<18} {auth}", route.key());
    }
    Ok(())
}

#[allow(clippy::print_stdout)]
fn api_docs() -> Result<()> {
    let root = xtask::template::workspace_root();
    let page = xtask::api_docs::render_workspace(&root)?;
    let path = root.join(xtask::api_docs::PAGE);
    std::fs::create_dir_all(path.parent().ok_or("no folder")?)?;
    std::fs::write(&path, page)?;
    println!("wrote {}", path.display());
    Ok(())
}

#[allow(clippy::print_stdout)]
fn api_lock() -> Result<()> {
    println!(
        "{}",
        xtask::api_compat::record(&xtask::template::workspace_root())?
    );
    Ok(())
}

#[allow(clippy::print_stdout)]
fn storefront(out: &std::path::Path, bucket: &str, distribution: &str) -> Result<()> {
    let renamed = xtask::storefront::build(&xtask::template::workspace_root().join("web"), out)?;
    for (file, name) in renamed {
        eprintln!("{file} -> {name}");
    }
    for command in xtask::storefront::upload_commands(out, bucket, distribution) {
        println!("{command}");
    }
    Ok(())
}

#[allow(clippy::print_stdout)]
fn functions(binaries: bool) -> Result<()> {
    for function in Template::workspace()?.functions()? {
        let name = if binaries {
            &function.binary
        } else {
            &function.logical_id
        };
        println!("{name}");
    }
    Ok(())
}

/// The secret kept in `file`, made (random, 64 characters) the first time.
fn kept_secret(file: &std::path::Path) -> Result<String> {
    match std::fs::read_to_string(file) {
        Ok(secret) if secret.trim().len() >= 32 => Ok(secret.trim().to_owned()),
        _ => {
            let secret = format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            );
            std::fs::write(file, &secret)?;
            Ok(secret)
        }
    }
}

/// Demo accounts the local shop creates: (username, password, admin?).
const DEMO_ACCOUNTS: [(&str, &str, bool); 2] = [
    ("admin", "admin-password", true),
    ("customer", "customer-password", false),
];

async fn run(port: u16, invoke_port: u16, function_logs: bool) -> Result<()> {
    use std::net::{Ipv4Addr, SocketAddr};
    use xtask::local::{Console, LocalConfig, LocalShop};

    let root = xtask::template::workspace_root();
    let local = root.join(".local/shop");
    std::fs::create_dir_all(&local)?;
    // Kept across runs with the tables: a new token key would sign everyone out, a new
    // pseudonym key forget every tombstone.
    let token_secret = kept_secret(&local.join("token-secret"))?;
    let pseudonym_key = kept_secret(&local.join("pseudonym-key"))?;
    let binaries = xtask::local::Binaries::Cargo(
        std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| root.join("target"), std::path::PathBuf::from)
            .join("debug"),
    );
    let shop = LocalShop::start(LocalConfig {
        prefix: String::new(),
        http: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        invoke: SocketAddr::from((Ipv4Addr::LOCALHOST, invoke_port)),
        binaries,
        web: root.join("web"),
        token_secret,
        secrets: std::collections::BTreeMap::from([(
            "PseudonymKeySecret".to_owned(),
            pseudonym_key,
        )]),
        parameters: Default::default(),
        context: "local shop".into(),
        environment: Vec::new(),
        redelivery: xtask::deliver::Redelivery::AfterTimeout,
        batches_at_once: xtask::local::BATCHES_AT_ONCE,
        console: Console::printing(function_logs),
    })
    .await?;

    let sdk = shared::aws::sdk_config().await;
    let dynamodb = shared::aws::dynamodb(&sdk);
    let products = ProductStore::new(dynamodb.clone(), &shop.names.refs["ProductsTable"]);
    let seeded = xtask::seed::load(&products).await?;
    let users = UserStore::new(dynamodb, &shop.names.refs["UsersTable"]);
    for (username, password, admin) in DEMO_ACCOUNTS {
        xtask::seed::account(&users, username, password, admin).await?;
    }
    eprintln!(
        "\n  The shop is running at http://{}/ (API under /api/)\n\
         \n  Demo accounts (log in with these):\n\
         \x20   admin     / admin-password     (administrator)\n\
         \x20   customer  / customer-password\n\
         \n  Catalogue: {} products added, {} already there.\n\
         \x20 Lambda Invoke API: http://{} (cargo lambda invoke <function> --data-file events/<event>.json)\n\
         \x20 Test cards: 4242 4242 4242 4242 approved, 4000 0000 0000 0002 declined.\n\
         \x20 E-mail the shop sends: http://{}/_local/mail\n\
         \x20 What an operator would see (requests, metrics, each order's journey): http://{}/_local/\n\
         \n  Ctrl-C stops everything.\n",
        shop.http, seeded.added, seeded.already_there, shop.invoke, shop.http, shop.http
    );
    tokio::signal::ctrl_c().await?;
    eprintln!("stopping the shop");
    shop.stop().await;
    Ok(())
}

async fn bench(config: xtask::bench::BenchConfig) -> Result<()> {
    let path = xtask::bench::run_and_write(&config).await?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
