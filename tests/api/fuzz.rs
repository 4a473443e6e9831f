//! Generated bad input: schemathesis (PyPI, pinned by `scripts/tools/schemathesis-requirements.txt`;
//! `scripts/test` installs it and says where in `SHOP_SCHEMATHESIS`) derives requests from
//! `openapi.yaml` and sends them to the local shop, logged in as an administrator so that every
//! operation is reachable. Every phase runs, the stateful one included (it chains operations
//! through the spec's links), and every check: no 5xx, every response as the spec says (status,
//! headers, content type, schema), bad input refused, and every protected operation refusing
//! missing or bad credentials.
//!
//! The test command's run is bounded (15 examples per operation and phase) with a fixed seed, so
//! it is repeatable; `SHOP_FUZZ_EXAMPLES` and `SHOP_FUZZ_SEED` make a longer one (README). `POST /api/user/logout` is left out here only because it would end the session
//! the rest of the run uses; its refusals are tested in `users.rs` and `journey.rs`.

use std::process::Command;

use xtask::template::workspace_root;

use crate::support::shop::start_shop;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_holds_to_its_spec_under_generated_input() {
    let schemathesis = std::env::var("SHOP_SCHEMATHESIS").expect(
        "SHOP_SCHEMATHESIS is not set: run the tests through scripts/test, which installs schemathesis",
    );
    let shop = start_shop().await;
    let sdk = crate::support::sdk_config().await;
    let dynamodb = shared::aws::dynamodb(&sdk);
    let products = products::ProductStore::new(dynamodb.clone(), &shop.names.refs["ProductsTable"]);
    xtask::seed::load(&products).await.unwrap();
    let users = users::UserStore::new(dynamodb, &shop.names.refs["UsersTable"]);
    xtask::seed::account(&users, "fuzzadmin", "fuzz-admin-password", true)
        .await
        .unwrap();
    let mut admin = shop.visitor();
    admin
        .log_in("fuzzadmin", "fuzz-admin-password")
        .await
        .unwrap();
    let token = admin.token.clone().unwrap();
    let url = format!("http://{}", shop.http);
    let report = workspace_root().join("target/schemathesis");
    let examples = std::env::var("SHOP_FUZZ_EXAMPLES").unwrap_or_else(|_| "15".into());
    let seed = std::env::var("SHOP_FUZZ_SEED").unwrap_or_else(|_| "20261123".into());

    let run = tokio::task::spawn_blocking(move || {
        Command::new(schemathesis)
            .current_dir(workspace_root())
            .args(["run", "openapi.yaml", "--url", &url])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--phases", "examples,coverage,fuzzing,stateful"])
            // All but one: API Gateway HTTP APIs answer a method no route declares with their
            // own 404, not a 405. That is AWS's behaviour, and the local gateway's.
            .args(["--checks", "all", "--exclude-checks", "unsupported_method"])
            .args(["--max-examples", &examples, "--seed", &seed])
            .args(["--exclude-operation-id", "logOut"])
            .args(["--generation-database", "none", "--no-color"])
            // One worker: hypothesis is not thread-safe, and two workers failed now and then
            // with "AST constructor recursion depth mismatch" on a busy machine.
            .args(["--request-timeout", "30", "--workers", "1"])
            .arg("--report-dir")
            .arg(&report)
            .args(["--report", "junit"])
            .env("SCHEMATHESIS_HOOKS", "")
            .output()
            .expect("schemathesis runs")
    })
    .await
    .unwrap();
    shop.stop().await;
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "schemathesis found problems:\n{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // A run that tested nothing would also succeed: "Test cases: N generated, N passed, ...".
    let passed = stdout
        .lines()
        .skip_while(|line| !line.starts_with("Test cases"))
        .find_map(|line| {
            let (before, _) = line.split_once(" passed")?;
            before.rsplit([' ', ',']).next()?.parse::<u32>().ok()
        })
        .unwrap_or(0);
    assert!(
        passed >= 100,
        "schemathesis ran {passed} test cases:\n{stdout}"
    );
}
