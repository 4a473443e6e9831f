//! `POST /api/order/checkout`: see [`orders::handlers::checkout`].

use orders::Catalog;
use orders::handlers::checkout;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (sdk, store) = orders::init().await?;
    let catalog = Catalog::from_env(&sdk)?;
    shared::http::serve(|request| checkout::handle(&store, &catalog, request)).await
}
