//! `scripts/smoke`, the check the README gives the people who deploy the shop, run here against
//! the local shop exactly as they run it against theirs, so it cannot rot.

use std::process::Command;

use xtask::template::workspace_root;

use crate::support::shop::start_shop;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_smoke_test_passes_against_the_local_shop() {
    let shop = start_shop().await;
    shop.seed_catalogue().await;
    let site = format!("http://{}", shop.http);
    let xtask = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), std::path::PathBuf::from)
        .join("debug/xtask");
    let output = tokio::task::spawn_blocking(move || {
        Command::new(workspace_root().join("scripts/smoke"))
            .arg(&site)
            .env("SHOP_XTASK", xtask)
            .output()
            .expect("scripts/smoke runs")
    })
    .await
    .unwrap();
    shop.stop().await;
    let printed = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "scripts/smoke failed:\n{printed}");
    for step in ["register", "check out", "PAID", "receipt", "log out"] {
        assert!(printed.contains(step), "no step {step:?} in:\n{printed}");
    }
    assert_eq!(printed.matches(" ok ").count(), 9, "{printed}");
}
