//! `cargo xtask <command>`: developer tasks driven by `template.yaml`.
//!
//! - `provision [--prefix P]`: create every table, queue, bucket and secret the template declares,
//!   named by logical id (with an optional prefix), on the endpoints in the `AWS_ENDPOINT_URL_*`
//!   variables, and verify the sender address with SES.
//! - `routes`: list the HTTP API's routes, their functions and binaries, and whether they need a
//!   token.
//! - `functions`: list the template's functions by logical id, one per line.
//! - `seed`: load the seed catalogue (`data/products.json`) into the table named by
//!   `PRODUCTS_TABLE`; products already there are left alone, so it is safe to run twice.
//! - `make-admin <username>`: give a user the admin role, in the table named by `USERS_TABLE`.
//! - `run [--port 3000] [--invoke-port 9000] [--quiet]`: the whole shop locally (see
//!   `xtask::local`), with the seed catalogue and two demo accounts; `scripts/run` starts the
//!   emulators and builds the functions first.
//! - `bench --native DIR --zips DIR [--seconds 30] [--customers 16]`: the benchmarks
//!   (`scripts/bench` builds the binaries first), written to `BENCHMARKS.md`.
//! - `iam report [--check]`: per function, each grant of its policy and whether the last test
//!   run used it, and every call the IAM gate refused (from `SHOP_IAM_USAGE_DIR`, by default
//!   `target/iam-usage`); `--check` fails on an unused grant or a refusal.
//! - `smoke <site url>`: a customer's journey against a running shop (see `xtask::smoke`);
//!   `scripts/smoke` runs it.
//! - `storefront <folder> --bucket B --distribution D`: writes the storefront as it is uploaded
//!   (`web/` with its scripts and styles named after their content) into the folder, and prints
//!   the commands that upload it to the bucket and refresh CloudFront's copy of `index.html`.
//! - `iam mutants`: deletes each statement of each policy in turn and runs the smallest tests that
//!   used it; each statement must make one of them fail (`scripts/test` runs both).
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
        ["run", options @ ..] => run(options).await,
        ["bench", options @ ..] => bench(options).await,
        ["iam", "report"] => xtask::iam::cli::report(&xtask::iam::cli::usage_dir(), false),
        ["iam", "report", "--check"] => {
            xtask::iam::cli::report(&xtask::iam::cli::usage_dir(), true)
        }
        ["iam", "mutants"] => xtask::iam::cli::mutants(&xtask::iam::cli::usage_dir()),
        ["smoke", site] => xtask::smoke::run(site).await,
        ["storefront", out, "--bucket", bucket, "--distribution", distribution] => {
            storefront(out, bucket, distribution)
        }
        _ => Err(
            "usage: cargo xtask (provision [--prefix P] | routes | functions | seed | make-admin <username> | run [--port P] [--invoke-port P] [--quiet] | bench --native DIR --zips DIR [--seconds S] [--customers N] | iam report [--check] | iam mutants | smoke <site url> | storefront <folder> --bucket B --distribution D)".into(),
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
fn storefront(out: &str, bucket: &str, distribution: &str) -> Result<()> {
    let out = std::path::Path::new(out);
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

/// Demo accounts the local shop creates: (username, password, admin?).
const DEMO_ACCOUNTS: [(&str, &str, bool); 2] = [
    ("admin", "admin-password", true),
    ("customer", "customer-password", false),
];

async fn run(options: &[&str]) -> Result<()> {
    use std::net::{Ipv4Addr, SocketAddr};
    use xtask::local::{Console, LocalConfig, LocalShop};

    let mut port = 3000;
    let mut invoke_port = 9000;
    let mut function_logs = true;
    let mut rest = options.iter();
    while let Some(option) = rest.next() {
        match *option {
            "--port" => port = rest.next().ok_or("--port needs a value")?.parse()?,
            "--invoke-port" => {
                invoke_port = rest.next().ok_or("--invoke-port needs a value")?.parse()?
            }
            "--quiet" => function_logs = false,
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    let root = xtask::template::workspace_root();
    let local = root.join(".local/shop");
    std::fs::create_dir_all(&local)?;
    let secret_file = local.join("token-secret");
    let token_secret = match std::fs::read_to_string(&secret_file) {
        Ok(secret) if secret.trim().len() >= 32 => secret.trim().to_owned(),
        _ => {
            let secret = format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            );
            std::fs::write(&secret_file, &secret)?;
            secret
        }
    };
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
        context: "local shop".into(),
        environment: Vec::new(),
        redelivery: xtask::deliver::Redelivery::AfterTimeout,
        batches_at_once: xtask::local::BATCHES_AT_ONCE,
        console: Console {
            requests: true,
            function_logs,
            capture: None,
        },
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
         \n  Ctrl-C stops everything.\n",
        shop.http, seeded.added, seeded.already_there, shop.invoke
    );
    tokio::signal::ctrl_c().await?;
    eprintln!("stopping the shop");
    shop.stop().await;
    Ok(())
}

async fn bench(options: &[&str]) -> Result<()> {
    use std::time::Duration;
    use xtask::bench::BenchConfig;

    let mut native = None;
    let mut zips = None;
    let mut seconds = 30;
    let mut customers = 16;
    let mut rest = options.iter();
    while let Some(option) = rest.next() {
        let mut value = || rest.next().ok_or(format!("{option} needs a value"));
        match *option {
            "--native" => native = Some(std::path::PathBuf::from(value()?)),
            "--zips" => zips = Some(std::path::PathBuf::from(value()?)),
            "--seconds" => seconds = value()?.parse()?,
            "--customers" => customers = value()?.parse()?,
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    let config = BenchConfig {
        native: native.ok_or("--native is required")?,
        zips: zips.ok_or("--zips is required")?,
        cold_starts: 11,
        warm_calls: 200,
        load: Duration::from_secs(seconds),
        customers,
    };
    let report = xtask::bench::run(&config).await?;
    let root = xtask::template::workspace_root();
    let path = root.join("BENCHMARKS.md");
    let previous = std::fs::read_to_string(&path).unwrap_or_default();
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(&root)
        .output()
        .ok()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_default();
    let date = time::OffsetDateTime::now_utc().date();
    let header = format!(
        "Measured by `scripts/bench` on {date} at commit `{commit}`, on {}.\n\n\
         Every function ran as its release binary, built by `cargo lambda build --release` for \
         this machine, under the harness's own Lambda Runtime API (`xtask/src/local/runtime.rs`), \
         with DynamoDB Local and moto on loopback; zip sizes are those of the arm64 deployment \
         zips (`cargo lambda build --release --arm64 --output-format zip`). Init is the median of \
         {} fresh starts; warm figures are over {} calls cycling the function's sample events \
         from `events/`.",
        xtask::bench::machine(),
        config.cold_starts,
        config.warm_calls
    );
    std::fs::write(&path, xtask::bench::markdown(&report, &previous, &header))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
