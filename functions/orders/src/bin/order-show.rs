//! `GET /api/order/{id}`: see [`orders::handlers::show`].

use orders::handlers::show;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let (_, store) = orders::init().await?;
    shared::http::serve(|request| show::handle(&store, request)).await
}
