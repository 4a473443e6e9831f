//! The local IAM gate itself: a call a function's policy does not allow gets the error AWS sends,
//! through the real SDK, so the function's own error handling runs as it would on AWS; and S3's
//! answer for a missing key depends on `s3:ListBucket`, as on AWS; and writes to one object pass
//! one at a time, as S3 applies a conditional write. These tests cause refusals on purpose (or
//! call through gates of their own), so their gates keep no usage records (`cargo xtask iam
//! report --check` fails on any).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::RequestExt;
use tokio::net::TcpListener;
use users::pseudonym::PseudonymKey;
use xtask::iam::{FunctionClients, Gate};
use xtask::local::names::LocalNames;
use xtask::template::Template;

use crate::support::{TestApp, event, sdk_config};

/// The error code and message the SDK read from a failed call.
fn code_and_message<E: aws_sdk_dynamodb::error::ProvideErrorMetadata>(err: &E) -> (String, String) {
    (
        err.code().unwrap_or_default().to_owned(),
        err.message().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn a_call_its_policy_does_not_allow_gets_the_error_aws_sends() {
    let app = TestApp::spawn_expecting_refusals().await;
    // user-exists may read the users table, nothing else.
    let f = app.function("UserExistsFunction");
    let role = "arn:aws:sts::123456789012:assumed-role/UserExistsFunctionRole/UserExistsFunction";
    let users_table = format!(
        "arn:aws:dynamodb:eu-west-1:123456789012:table/{}",
        app.table("UsersTable")
    );

    let put = f
        .clients()
        .dynamodb
        .put_item()
        .table_name(app.table("UsersTable"))
        .item("pk", AttributeValue::S("USER#mallory".into()))
        .send()
        .await
        .unwrap_err();
    let (code, message) = code_and_message(put.as_service_error().unwrap());
    assert_eq!(code, "AccessDeniedException");
    assert_eq!(
        message,
        format!(
            "User: {role} is not authorized to perform: dynamodb:PutItem on resource: \
             {users_table} because no identity-based policy allows the dynamodb:PutItem action"
        )
    );
    assert!(
        app.users
            .find(&users::domain::Username::parse("mallory").unwrap())
            .await
            .unwrap()
            .is_none(),
        "nothing was written"
    );

    let other_table = f
        .clients()
        .dynamodb
        .get_item()
        .table_name(app.table("OrdersTable"))
        .key("pk", AttributeValue::S("x".into()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(other_table.as_service_error().unwrap()).0,
        "AccessDeniedException"
    );

    let send = f
        .clients()
        .sqs
        .send_message()
        .queue_url(app.queue("CheckoutQueue"))
        .message_body("{}")
        .message_group_id("g")
        .message_deduplication_id("d")
        .send()
        .await
        .unwrap_err();
    let (code, message) = code_and_message(send.as_service_error().unwrap());
    assert_eq!(code, "AccessDenied", "SQS's query-compatible code");
    assert!(
        message.contains("sqs:sendmessage on resource: arn:aws:sqs:eu-west-1:123456789012:"),
        "{message}"
    );

    let secret = f
        .clients()
        .secrets
        .get_secret_value()
        .secret_id(&app.names.refs["TokenSecret"])
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(secret.as_service_error().unwrap()).0,
        "AccessDeniedException"
    );

    let object = f
        .clients()
        .s3
        .get_object()
        .bucket(&app.names.refs["ReceiptsBucket"])
        .key("receipts/x.pdf")
        .send()
        .await
        .unwrap_err();
    let (code, message) = code_and_message(object.as_service_error().unwrap());
    assert_eq!(code, "AccessDenied");
    assert!(
        message.contains("s3:GetObject on resource: \"arn:aws:s3:::"),
        "{message}"
    );

    // Invoking another function is a lambda:InvokeFunction like any other.
    let invoke = f
        .lambda()
        .invoke()
        .function_name(&app.names.refs["ProductGetFunction"])
        .payload(aws_sdk_lambda::primitives::Blob::new(b"{}".to_vec()))
        .send()
        .await
        .unwrap_err();
    let (code, message) = code_and_message(invoke.as_service_error().unwrap());
    assert_eq!(code, "AccessDeniedException");
    assert!(message.contains("lambda:InvokeFunction on resource: arn:aws:lambda:eu-west-1:123456789012:function:ProductGetFunction"), "{message}");
}

#[tokio::test]
async fn a_refused_call_is_the_functions_own_json_error_not_a_crash() {
    let app = TestApp::spawn_expecting_refusals().await;
    // The exists handler, run with the credentials of a function that may not read the users
    // table: what a policy missing its statement does on AWS. A deployment fault, not the
    // client's: a logged 500 in the shop's JSON shape (an alarm's business), never a 4xx.
    let wrong = app.function("ProductGetFunction");
    let request = event("user-exists")
        .with_path_parameters(HashMap::from([("username".to_owned(), "ada".to_owned())]));
    let reply = crate::support::Reply::from(shared::http::respond(
        users::handlers::exists::handle(&wrong.users(), &PseudonymKey::new("key"), request).await,
    ));
    reply.assert(500, "internal_error");
}

#[tokio::test]
async fn an_unknown_access_key_is_not_a_function() {
    let app = TestApp::spawn_expecting_refusals().await;
    let stranger = app.signed_by("Stranger");
    let err = stranger
        .clients()
        .dynamodb
        .get_item()
        .table_name(app.table("UsersTable"))
        .key("pk", AttributeValue::S("x".into()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code_and_message(err.as_service_error().unwrap()).0,
        "UnrecognizedClientException"
    );
}

/// A template of two functions that may read a bucket's objects, only one of which may list it,
/// and one that may write them.
const BUCKET_USERS: &str = r#"
Resources:
  Bucket:
    Type: AWS::S3::Bucket
  ReaderFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: reader}}
    Properties:
      Policies:
        - Statement:
            - {Effect: Allow, Action: s3:GetObject, Resource: !Sub "${Bucket.Arn}/*"}
  ListerFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: lister}}
    Properties:
      Policies:
        - Statement:
            - {Effect: Allow, Action: s3:GetObject, Resource: !Sub "${Bucket.Arn}/*"}
            - {Effect: Allow, Action: s3:ListBucket, Resource: !GetAtt Bucket.Arn}
  WriterFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: writer}}
    Properties:
      Policies: [{Statement: [{Effect: Allow, Action: s3:PutObject, Resource: !Sub "${Bucket.Arn}/*"}]}]
"#;

/// A gate for [`BUCKET_USERS`], its bucket `bucket`, keeping no usage records.
fn bucket_gate(bucket: &str) -> Gate {
    let template = Template::parse(BUCKET_USERS).unwrap();
    let mut names = LocalNames::new("bucket-users", "eu-west-1");
    names.add_bucket("Bucket", bucket);
    names.add_function("ReaderFunction", "reader");
    names.add_function("ListerFunction", "lister");
    names.add_function("WriterFunction", "writer");
    Gate::new(&template, &names, "iam::bucket_users")
        .unwrap()
        .unrecorded()
}

#[tokio::test]
async fn a_missing_key_is_404_only_for_those_who_may_list_the_bucket() {
    let app = TestApp::spawn_expecting_refusals().await;
    let gate = bucket_gate(&app.names.refs["ReceiptsBucket"]);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(xtask::iam::proxy::serve(
        listener,
        gate,
        xtask::iam::proxy::upstreams_from_env(&[]),
    ));
    let sdk = sdk_config().await;
    let bucket = &app.names.refs["ReceiptsBucket"];
    let missing = |who: &str| {
        let s3 = FunctionClients::new(&sdk, who, address).s3;
        async move {
            let get = s3
                .get_object()
                .bucket(bucket)
                .key("receipts/none.pdf")
                .send()
                .await
                .unwrap_err();
            let head = s3
                .head_object()
                .bucket(bucket)
                .key("receipts/none.pdf")
                .send()
                .await
                .unwrap_err();
            (
                get.raw_response().unwrap().status().as_u16(),
                get.as_service_error()
                    .and_then(|e| e.meta().code().map(str::to_owned)),
                head.raw_response().unwrap().status().as_u16(),
            )
        }
    };
    assert_eq!(
        missing("ListerFunction").await,
        (404, Some("NoSuchKey".to_owned()), 404)
    );
    assert_eq!(
        missing("ReaderFunction").await,
        (403, Some("AccessDenied".to_owned()), 403)
    );
}

/// An S3 that takes a moment over each call, and the most calls it had at once.
async fn slow_s3() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let seen = Arc::clone(&most);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (now, most) = (Arc::clone(&now), Arc::clone(&most));
            let service = hyper::service::service_fn(move |_request| {
                let (now, most) = (Arc::clone(&now), Arc::clone(&most));
                async move {
                    most.fetch_max(now.fetch_add(1, SeqCst) + 1, SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    now.fetch_sub(1, SeqCst);
                    let empty = http_body_util::Full::new(hyper::body::Bytes::new());
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(empty))
                }
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service),
            );
        }
    });
    (format!("http://{address}"), seen)
}

#[tokio::test]
async fn writes_to_one_object_pass_the_gate_one_at_a_time() {
    // S3 applies a conditional write (`If-Match`) atomically; moto checks the condition and then
    // writes, so two writers racing on one key could both pass. The gate holds the second.
    let gate = bucket_gate("writers-bucket");
    let (s3, most_at_once) = slow_s3().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let upstreams =
        xtask::iam::proxy::upstreams_from_env(&[("AWS_ENDPOINT_URL_S3".to_owned(), s3)]);
    tokio::spawn(xtask::iam::proxy::serve(listener, gate, upstreams));
    let s3 = FunctionClients::new(&sdk_config().await, "WriterFunction", address).s3;
    let put = |body: &'static str| {
        s3.put_object()
            .bucket("writers-bucket")
            .key("snapshot.bin")
            .if_match("\"etag\"")
            .body(body.as_bytes().to_vec().into())
            .send()
    };
    let (a, b, c) = tokio::join!(put("a"), put("b"), put("c"));
    for put in [a, b, c] {
        put.unwrap();
    }
    assert_eq!(most_at_once.load(SeqCst), 1);
}
