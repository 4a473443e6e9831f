//! `POST /api/user/email`: see [`users::handlers::email_change`].

use users::handlers::email_change;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (store, edge) = users::password::reserving(users::init_edge()).await?;
    shared::http::serve(|request| email_change::handle(&store, &edge, request)).await
}
