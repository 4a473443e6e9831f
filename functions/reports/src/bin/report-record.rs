//! `ReportsQueue`'s consumer: see [`reports::handlers::record`].

use reports::handlers::record;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let store = reports::init().await?;
    shared::sqs::serve(|event| record::handle(&store, event)).await
}
