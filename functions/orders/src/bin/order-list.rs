//! `GET /api/orders`: see [`orders::handlers::list`].

use orders::handlers::list;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (_, store) = orders::init().await?;
    shared::http::serve(|request| list::handle(&store, request)).await
}
