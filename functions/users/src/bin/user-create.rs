//! `POST /api/user/create`: see [`users::handlers::create`].

use users::handlers::create;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let store = users::init().await?;
    shared::http::serve(|request| create::handle(&store, request)).await
}
