//! What only the DynamoDB store has: its tables, made by `migrate` on the emulator.
#![cfg(feature = "dynamodb")]
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use orderbell_store::dynamo::{Credentials, DynamoStore, Location};

use crate::support::{dynamodb_endpoint, rand10};

fn fresh_url(endpoint: &str) -> String {
    let tag: String = rand10().iter().map(|b| format!("{b:02x}")).collect();
    format!("dynamodb://m{tag}?region=us-east-1&endpoint={endpoint}")
}

fn credentials() -> Option<Credentials> {
    Some(Credentials::new("testing", "testing", None, None, "tests"))
}

#[tokio::test]
async fn open_creates_both_tables_once_and_they_answer() {
    let Some(endpoint) = dynamodb_endpoint() else {
        return;
    };
    let url = fresh_url(&endpoint);
    let store = DynamoStore::connect(&url, credentials()).await.unwrap();
    assert_eq!(
        store.migrate().await.unwrap(),
        2,
        "a new prefix gets two tables"
    );
    assert_eq!(store.migrate().await.unwrap(), 0, "a second run finds them");
    let again = DynamoStore::open_with(&url, credentials()).await.unwrap();
    use orderbell_store::Store;
    again.ping().await.unwrap();
    assert_eq!(again.backend(), "dynamodb");

    // The tables as the emulator describes them: keys, the three sparse indexes, the
    // queue's stream.
    let location = Location::parse(&url).unwrap();
    let config = emulator_config(&endpoint).await;
    let client = aws_sdk_dynamodb::Client::from_conf(config);
    for (table, stream) in [
        (location.main_table(), false),
        (location.queue_table(), true),
    ] {
        let t = client
            .describe_table()
            .table_name(&table)
            .send()
            .await
            .unwrap()
            .table
            .unwrap();
        let keys: Vec<_> = t
            .key_schema()
            .iter()
            .map(|k| k.attribute_name().to_owned())
            .collect();
        assert_eq!(keys, ["pk", "sk"], "{table}");
        let mut indexes: Vec<_> = t
            .global_secondary_indexes()
            .iter()
            .filter_map(|g| g.index_name().map(str::to_owned))
            .collect();
        indexes.sort();
        assert_eq!(indexes, ["g1", "g2", "g3"], "{table}");
        let has_stream = t.stream_specification().is_some_and(|s| s.stream_enabled());
        assert_eq!(has_stream, stream, "{table}");
        let ttl = client
            .describe_time_to_live()
            .table_name(&table)
            .send()
            .await
            .unwrap();
        assert_eq!(
            ttl.time_to_live_description()
                .and_then(|d| d.attribute_name()),
            Some("ttl"),
            "{table}"
        );
    }
}

#[tokio::test]
async fn an_unreachable_endpoint_is_unavailable_not_a_panic() {
    // Nothing listens on port 9 of loopback.
    let url = "dynamodb://x1?region=us-east-1&endpoint=http://127.0.0.1:9";
    let store = DynamoStore::connect(url, credentials()).await.unwrap();
    let e = store.migrate().await.unwrap_err();
    assert!(
        matches!(e, orderbell_store::StoreError::Unavailable(_)),
        "{e:?}"
    );
}

async fn emulator_config(endpoint: &str) -> aws_sdk_dynamodb::Config {
    aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .http_client(
            aws_smithy_http_client::Builder::new()
                .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                    aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
                ))
                .build_https(),
        )
        .build()
}
