//! The two tables and what `orderbell migrate` makes of them (docs/design/serverless-plan.md
//! §5): `{prefix}-main` holds the entities, `{prefix}-queue` the outbox, print jobs and alert
//! timers, with a stream so that a worker wakes on every new row. Both have string keys
//! `pk`/`sk`, three sparse global indexes `g1`…`g3` over `gNpk`/`gNsk`, on-demand billing, and
//! `ttl` (epoch seconds) as the time-to-live attribute. TTL only collects garbage: every read
//! compares times itself (expired items stay readable for up to two days).

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType, TableStatus,
    TimeToLiveSpecification,
};

use super::fail;
use crate::{Result, StoreError};

/// The global indexes every table has.
pub(crate) const INDEXES: [&str; 3] = ["g1", "g2", "g3"];

/// How long `migrate` waits for a new table to become active.
const ACTIVE_WITHIN: Duration = Duration::from_secs(120);

fn schema(hash: &str, range: &str) -> Result<Vec<KeySchemaElement>> {
    Ok(vec![
        KeySchemaElement::builder()
            .attribute_name(hash)
            .key_type(KeyType::Hash)
            .build()
            .map_err(fail::build)?,
        KeySchemaElement::builder()
            .attribute_name(range)
            .key_type(KeyType::Range)
            .build()
            .map_err(fail::build)?,
    ])
}

fn string_attr(name: &str) -> Result<AttributeDefinition> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(fail::build)
}

/// Creates `table` unless it exists; whether it was created. Waits until it is active and its
/// time-to-live attribute is set.
pub(crate) async fn ensure(client: &Client, table: &str, stream: bool) -> Result<bool> {
    if exists(client, table).await? {
        wait_active(client, table).await?;
        return Ok(false);
    }
    let mut create = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(schema("pk", "sk")?))
        .attribute_definitions(string_attr("pk")?)
        .attribute_definitions(string_attr("sk")?);
    for g in INDEXES {
        let (pk, sk) = (format!("{g}pk"), format!("{g}sk"));
        create = create
            .attribute_definitions(string_attr(&pk)?)
            .attribute_definitions(string_attr(&sk)?)
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(g)
                    .set_key_schema(Some(schema(&pk, &sk)?))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::All)
                            .build(),
                    )
                    .build()
                    .map_err(fail::build)?,
            );
    }
    if stream {
        create = create.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .map_err(fail::build)?,
        );
    }
    let created = match create.send().await {
        Ok(_) => true,
        // Another instance created it a moment ago.
        Err(e) if code_is(&e, "ResourceInUseException") => false,
        Err(e) => return Err(fail::sdk(e)),
    };
    wait_active(client, table).await?;
    let ttl = client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("ttl")
                .build()
                .map_err(fail::build)?,
        )
        .send()
        .await;
    match ttl {
        Ok(_) => Ok(created),
        // Set already (by the instance that won the creation).
        Err(e) if code_is(&e, "ValidationException") => Ok(created),
        Err(e) => Err(fail::sdk(e)),
    }
}

fn code_is<E: aws_sdk_dynamodb::error::ProvideErrorMetadata, R>(
    e: &aws_sdk_dynamodb::error::SdkError<E, R>,
    code: &str,
) -> bool {
    matches!(e, aws_sdk_dynamodb::error::SdkError::ServiceError(se) if se.err().code() == Some(code))
}

async fn exists(client: &Client, table: &str) -> Result<bool> {
    match client.describe_table().table_name(table).send().await {
        Ok(_) => Ok(true),
        Err(e) if code_is(&e, "ResourceNotFoundException") => Ok(false),
        Err(e) => Err(fail::sdk(e)),
    }
}

async fn wait_active(client: &Client, table: &str) -> Result<()> {
    let started = std::time::Instant::now();
    loop {
        let out = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(fail::sdk)?;
        let t = out.table();
        let table_active = t.and_then(|t| t.table_status()) == Some(&TableStatus::Active);
        let indexes_active = t.is_some_and(|t| {
            t.global_secondary_indexes().iter().all(|g| {
                g.index_status() == Some(&aws_sdk_dynamodb::types::IndexStatus::Active)
                    || g.index_status().is_none()
            })
        });
        if table_active && indexes_active {
            return Ok(());
        }
        if started.elapsed() > ACTIVE_WITHIN {
            return Err(StoreError::Unavailable(format!(
                "the DynamoDB table {table} did not become active within {} s",
                ACTIVE_WITHIN.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
