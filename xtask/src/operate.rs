//! The operator's commands on a deployed shop's tables (`cargo xtask seed`, `make-admin`, the
//! upgrades, exports and rebuilds): each names its table by an environment variable, or, run
//! against the local shop, by its logical id.

use products::ProductStore;
use shared::auth::Role;
use shared::ids::Username;
use users::UserStore;

use crate::Result;

/// The table named by the environment variable `variable`, or locally by its logical id.
fn table_name(variable: &str, logical_id: &str) -> String {
    let name = std::env::var(variable).unwrap_or_else(|_| logical_id.to_owned());
    eprintln!("using table {name} ({variable})");
    name
}

pub async fn seed() -> Result<()> {
    let client = shared::aws::dynamodb(&shared::aws::sdk_config().await);
    let store = ProductStore::new(client, table_name("PRODUCTS_TABLE", "ProductsTable"));
    let report = crate::seed::load(&store).await?;
    eprintln!(
        "seed catalogue: {} added, {} already there",
        report.added, report.already_there
    );
    Ok(())
}

pub async fn make_admin(username: &Username) -> Result<()> {
    let client = shared::aws::dynamodb(&shared::aws::sdk_config().await);
    let store = UserStore::new(client, table_name("USERS_TABLE", "UsersTable"));
    if store.set_role(username, Role::Admin).await? {
        eprintln!("{username} is now an admin");
        Ok(())
    } else {
        Err(format!("there is no user named {username}").into())
    }
}

pub async fn outbox_redrive() -> Result<()> {
    let client = shared::aws::dynamodb(&shared::aws::sdk_config().await);
    let store = orders::OrderStore::new(client, table_name("ORDERS_TABLE", "OrdersTable"));
    let now = time::OffsetDateTime::now_utc();
    let touched = store.redrive_outbox(now).await?;
    let completed = orders::outbox::complete_stranded(&store, now).await?;
    eprintln!(
        "orders outbox: {touched} message(s) handed to order-relay again, {completed} stranded \
         checkout(s) completed"
    );
    Ok(())
}

pub async fn orders_upgrade() -> Result<()> {
    let client = shared::aws::dynamodb(&shared::aws::sdk_config().await);
    let store = orders::OrderStore::new(client, table_name("ORDERS_TABLE", "OrdersTable"));
    let listed = store.list_unlisted().await?;
    eprintln!("orders: {listed} order(s) given their place in the status index");
    Ok(())
}

pub async fn users_upgrade() -> Result<()> {
    let client = shared::aws::dynamodb(&shared::aws::sdk_config().await);
    let store = UserStore::new(client, table_name("USERS_TABLE", "UsersTable"));
    let listed = store.list_unlisted().await?;
    eprintln!("users: {listed} account(s) given their place in the user list");
    Ok(())
}

pub async fn orders_export(out: Option<&std::path::Path>) -> Result<()> {
    let client = shared::aws::dynamodb(&shared::aws::sdk_config().await);
    let store = orders::OrderStore::new(client, table_name("ORDERS_TABLE", "OrdersTable"));
    let written = match out {
        Some(path) => {
            let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
            orders::export::export_sales(&store, &mut file).await?
        }
        None => orders::export::export_sales(&store, &mut std::io::stdout().lock()).await?,
    };
    eprintln!("orders export: {written} sales event(s) written");
    Ok(())
}

pub async fn reports_backfill(export: &std::path::Path) -> Result<()> {
    let client = shared::aws::dynamodb(&shared::aws::sdk_config().await);
    let store = reports::ReportStore::new(client, table_name("REPORTS_TABLE", "ReportsTable"));
    let file = std::io::BufReader::new(std::fs::File::open(export)?);
    let done = reports::backfill::backfill(&store, file).await?;
    eprintln!(
        "reports backfill: {} event(s) counted, {} counted before",
        done.counted, done.counted_before
    );
    Ok(())
}

pub async fn catalogue_upgrade() -> Result<()> {
    let client = shared::aws::dynamodb(&shared::aws::sdk_config().await);
    let store = ProductStore::new(client, table_name("PRODUCTS_TABLE", "ProductsTable"));
    let counted = crate::catalogue::upgrade(&store).await?;
    eprintln!("catalogue: {counted} product(s) stored before categories now counted");
    Ok(())
}

pub async fn search_rebuild() -> Result<()> {
    let sdk = shared::aws::sdk_config().await;
    let bucket = std::env::var("SEARCH_BUCKET").unwrap_or_else(|_| "SearchBucket".to_owned());
    eprintln!("using bucket {bucket} (SEARCH_BUCKET)");
    let snapshots = search::store::SnapshotStore::new(aws_sdk_s3::Client::new(&sdk), bucket);
    let table = table_name("PRODUCTS_TABLE", "ProductsTable");
    let dynamodb = shared::aws::dynamodb(&sdk);
    let rebuilt = crate::catalogue::rebuild_search(&dynamodb, &table, &snapshots).await?;
    eprintln!(
        "search: snapshot rebuilt with {} product(s) on sale, {} unreadable item(s) left out",
        rebuilt.on_sale, rebuilt.unreadable
    );
    Ok(())
}
