//! `POST /api/order/add-item`: see [`orders::handlers::add_item`].

use orders::Catalog;
use orders::catalog::REMEMBERED;
use orders::handlers::add_item;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (sdk, store) = orders::init().await?;
    let catalog = Catalog::from_env(&sdk)?.remembering(REMEMBERED);
    shared::http::serve(|request| add_item::handle(&store, &catalog, request)).await
}
