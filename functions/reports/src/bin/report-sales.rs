//! `GET /api/reports/sales`: see [`reports::handlers::sales`].

use reports::handlers::sales;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let store = reports::init().await?;
    shared::http::serve(|request| sales::handle(&store, request)).await
}
