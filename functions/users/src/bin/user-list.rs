//! `GET /api/users`: see [`users::handlers::list`].

use users::handlers::list;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let store = users::init().await?;
    shared::http::serve(|request| list::handle(&store, request)).await
}
