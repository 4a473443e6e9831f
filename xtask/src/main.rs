//! `cargo xtask <command>`: developer tasks driven by `template.yaml`.
//!
//! - `provision [--prefix P]`: create every table, queue and bucket the template declares, named by
//!   logical id (with an optional prefix), on the endpoints in `AWS_ENDPOINT_URL_DYNAMODB`,
//!   `AWS_ENDPOINT_URL_SQS` and `AWS_ENDPOINT_URL_S3`, and verify the sender address with SES.
//! - `routes`: list the HTTP API's routes, their functions and binaries, and whether they need a
//!   token.
//! - `functions`: list the template's functions by logical id, one per line.
//! - `seed`: load the seed catalogue (`data/products.json`) into the table named by
//!   `PRODUCTS_TABLE`; products already there are left alone, so it is safe to run twice.
//! - `make-admin <username>`: give a user the admin role, in the table named by `USERS_TABLE`.
//!
//! Table variables default to the template's logical ids, which are the local tables' names; on
//! AWS, set them to the stack's outputs (`UsersTableName`, `ProductsTableName`).

use std::process::ExitCode;

use products::ProductStore;
use shared::auth::Role;
use users::UserStore;
use users::domain::Username;
use xtask::Result;
use xtask::template::Template;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let outcome = match args.as_slice() {
        ["provision"] => provision("").await,
        ["provision", "--prefix", prefix] => provision(prefix).await,
        ["routes"] => routes(),
        ["functions"] => functions(),
        ["seed"] => seed().await,
        ["make-admin", username] => make_admin(username).await,
        _ => Err(
            "usage: cargo xtask (provision [--prefix P] | routes | functions | seed | make-admin <username>)".into(),
        ),
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
    let dynamodb = shared::aws::dynamodb(&sdk);
    for table in template.tables()? {
        let name = format!("{prefix}{}", table.logical_id);
        xtask::provision::create_table(&dynamodb, &table, &name).await?;
        eprintln!("table {name} ready");
    }
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    for (queue, url) in xtask::provision::create_queues(&sqs, &template, prefix).await? {
        eprintln!("queue {queue} ready: {url}");
    }
    let s3 = aws_sdk_s3::Client::new(&sdk);
    for (bucket, name) in xtask::provision::create_buckets(&s3, &template, prefix).await? {
        eprintln!("bucket {bucket} ready: {name}");
    }
    let sender =
        xtask::provision::verify_sender(&aws_sdk_sesv2::Client::new(&sdk), &template).await?;
    eprintln!("sender {sender} verified");
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
fn functions() -> Result<()> {
    for function in Template::workspace()?.functions()? {
        println!("{}", function.logical_id);
    }
    Ok(())
}

/// The table named by the environment variable `variable`, or locally by its logical id.
fn table_name(variable: &str, logical_id: &str) -> String {
    let name = std::env::var(variable).unwrap_or_else(|_| logical_id.to_owned());
    eprintln!("using table {name} ({variable})");
    name
}

async fn seed() -> Result<()> {
    let client = shared::aws::dynamodb(&shared::aws::sdk_config().await);
    let store = ProductStore::new(client, table_name("PRODUCTS_TABLE", "ProductsTable"));
    let report = xtask::seed::load(&store).await?;
    eprintln!(
        "seed catalogue: {} added, {} already there",
        report.added, report.already_there
    );
    Ok(())
}

async fn make_admin(username: &str) -> Result<()> {
    let username = Username::parse(username).map_err(|err| format!("username {err}"))?;
    let client = shared::aws::dynamodb(&shared::aws::sdk_config().await);
    let store = UserStore::new(client, table_name("USERS_TABLE", "UsersTable"));
    if store.set_role(&username, Role::Admin).await? {
        eprintln!("{username} is now an admin");
        Ok(())
    } else {
        Err(format!("there is no user named {username}").into())
    }
}
