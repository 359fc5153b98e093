//! [`Store`] on Amazon DynamoDB (feature `dynamodb`): the store of the serverless form, and of
//! `orderbell serve` with `ORDERBELL_DATABASE_URL=dynamodb://<prefix>?region=…&endpoint=…`.
//!
//! The tables, their keys and indexes, and why each method is written the way it is, are in
//! docs/design/serverless-plan.md (§1 the limits, §5 the table design). In short: entities
//! live in `{prefix}-main`, the outbox, print jobs and alert timers in `{prefix}-queue`;
//! everything an order causes is written in one `TransactWriteItems`; global indexes are read
//! only eventually consistently, so every write that acts on an index read is guarded by a
//! condition on the item itself.
//!
//! Each concern has its own file, as the SQL store's queries do; this file holds the
//! connection, the trait impls (which hand each call to its file) and the helpers they share.

mod accounts;
mod alerts;
mod audit;
mod coordination;
mod dispatch;
mod effects;
mod fail;
mod identities;
mod invitations;
mod item;
mod menu;
mod notifications;
mod orders;
mod passkeys;
mod printing;
mod shops;
mod tables;

use std::sync::Arc;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::TransactWriteItem;
use orderbell_core::shop::Shop;

use crate::lookup_cache::Lookups;
use crate::records::ApiKey;
use crate::{Result, StoreError};

pub use aws_sdk_dynamodb::config::Credentials;
pub(crate) use item::Item;

/// TransactWriteItems takes at most 100 actions (docs/design/serverless-plan.md §1); an order
/// whose effects need more is written in follow-up transactions.
pub(crate) const MAX_ACTIONS: usize = 100;

/// Where the tables are: what a `dynamodb://` URL says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Prepended to each table's name: `{prefix}-main`, `{prefix}-queue`.
    pub prefix: String,
    /// The AWS region; the usual AWS configuration (`AWS_REGION`, the profile) when absent.
    pub region: Option<String>,
    /// Another endpoint than AWS's (a local emulator such as moto or DynamoDB Local).
    pub endpoint: Option<String>,
}

impl Location {
    /// Reads `dynamodb://<prefix>?region=<region>&endpoint=<url>` (both parameters optional;
    /// the endpoint percent-encoded or plain).
    pub fn parse(url: &str) -> Result<Location> {
        let bad = |why: &str| StoreError::Unavailable(format!("the DynamoDB URL {url:?} {why}"));
        let rest = url
            .strip_prefix("dynamodb://")
            .ok_or_else(|| bad("must start with dynamodb://"))?;
        let (prefix, query) = rest.split_once('?').unwrap_or((rest, ""));
        let prefix = prefix.trim_end_matches('/');
        // Table names: 3–255 of [A-Za-z0-9_.-]; the prefix leaves room for "-queue".
        if prefix.is_empty()
            || prefix.len() > 200
            || !prefix
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
        {
            return Err(bad(
                "needs a table prefix of letters, digits, '_', '.' or '-' (dynamodb://orderbell?region=…)",
            ));
        }
        let mut location = Location {
            prefix: prefix.to_owned(),
            region: None,
            endpoint: None,
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = percent_decode(v).ok_or_else(|| bad("has a badly encoded parameter"))?;
            match k {
                "region" if !v.is_empty() => location.region = Some(v),
                "endpoint" if !v.is_empty() => location.endpoint = Some(v),
                _ => return Err(bad(&format!("has an unknown or empty parameter {k:?}"))),
            }
        }
        Ok(location)
    }

    /// The table of entities.
    pub fn main_table(&self) -> String {
        format!("{}-main", self.prefix)
    }

    /// The table of outbox rows, print jobs and alert timers (with a stream).
    pub fn queue_table(&self) -> String {
        format!("{}-queue", self.prefix)
    }
}

fn percent_decode(v: &str) -> Option<String> {
    let bytes = v.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The DynamoDB store.
pub struct DynamoStore {
    pub(crate) client: Client,
    /// `{prefix}-main`.
    pub(crate) main: String,
    /// `{prefix}-queue`.
    pub(crate) queue: String,
    /// Shops by slug, read within the last second (see `lookup_cache`).
    pub(crate) shops_by_slug: Lookups<Shop>,
    /// API keys by token hash, read within the last second.
    pub(crate) api_keys_by_hash: Lookups<ApiKey>,
}

impl DynamoStore {
    /// Connects with the usual AWS configuration (environment, profile, instance role) and
    /// creates the tables that are missing.
    pub async fn open(url: &str) -> Result<DynamoStore> {
        DynamoStore::open_with(url, None).await
    }

    /// As [`DynamoStore::open`], with these credentials instead of the usual configuration's
    /// (tests against a local emulator).
    pub async fn open_with(url: &str, credentials: Option<Credentials>) -> Result<DynamoStore> {
        let store = DynamoStore::connect(url, credentials).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects without touching the tables.
    pub async fn connect(url: &str, credentials: Option<Credentials>) -> Result<DynamoStore> {
        let location = Location::parse(url)?;
        // rustls with ring, as everywhere else in Orderbell; the SDK's default client would
        // build aws-lc (C) for the same job.
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http);
        if let Some(region) = &location.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(endpoint) = &location.endpoint {
            loader = loader.endpoint_url(endpoint.clone());
        }
        if let Some(credentials) = credentials {
            loader = loader.credentials_provider(credentials);
        }
        let config = loader.load().await;
        if config.region().is_none() {
            return Err(StoreError::Unavailable(
                "no AWS region: add ?region=… to the DynamoDB URL or set AWS_REGION".into(),
            ));
        }
        Ok(DynamoStore {
            client: Client::new(&config),
            main: location.main_table(),
            queue: location.queue_table(),
            shops_by_slug: Lookups::new(),
            api_keys_by_hash: Lookups::new(),
        })
    }

    /// Creates the tables that are missing; how many were created.
    pub async fn migrate(&self) -> Result<usize> {
        let main = tables::ensure(&self.client, &self.main, false).await?;
        let queue = tables::ensure(&self.client, &self.queue, true).await?;
        Ok(usize::from(main) + usize::from(queue))
    }

    /// All items a query finds, page after page (at most `max` when given).
    pub(crate) async fn query_all(
        &self,
        query: QueryFluentBuilder,
        max: Option<usize>,
    ) -> Result<Vec<Item>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = query
                .clone()
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(fail::sdk)?;
            items.extend(out.items.unwrap_or_default());
            if max.is_some_and(|m| items.len() >= m) {
                items.truncate(max.unwrap_or(usize::MAX));
                return Ok(items);
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(items),
            }
        }
    }

    /// One item by key from `table`, read consistently.
    pub(crate) async fn get(&self, table: &str, key: Item) -> Result<Option<Item>> {
        self.client
            .get_item()
            .table_name(table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map(|out| out.item)
            .map_err(fail::sdk)
    }

    /// Writes `actions` all or nothing. A transaction cancelled by its conditions comes back as
    /// `Ok(Err(reasons))`, one per action in order (see [`fail::cancellations`]).
    pub(crate) async fn transact(
        &self,
        actions: Vec<TransactWriteItem>,
    ) -> Result<std::result::Result<(), Vec<Option<String>>>> {
        if actions.len() > MAX_ACTIONS {
            return Err(StoreError::Backend(format!(
                "a DynamoDB transaction of {} actions (at most {MAX_ACTIONS})",
                actions.len()
            )));
        }
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(actions))
            .send()
            .await
        {
            Ok(_) => Ok(Ok(())),
            Err(e) => match fail::cancellations(&e) {
                Some(reasons) => Ok(Err(reasons)),
                None => Err(fail::sdk(e)),
            },
        }
    }
}

/// What a method not yet written for DynamoDB answers (docs/design/serverless-plan.md §6 lists
/// the stages).
pub(crate) fn unsupported(what: &str) -> StoreError {
    StoreError::Backend(format!("the DynamoDB store cannot {what} yet"))
}

/// Opens the store a `dynamodb://` URL names, as [`crate::open`] does for SQL.
pub(crate) async fn open(url: &str) -> Result<Arc<dyn crate::Store>> {
    Ok(Arc::new(DynamoStore::open(url).await?))
}

/// Creates the missing tables of a `dynamodb://` URL; how many.
pub(crate) async fn migrate(url: &str) -> Result<usize> {
    DynamoStore::connect(url, None).await?.migrate().await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn urls_name_prefix_region_and_endpoint() {
        let l = Location::parse(
            "dynamodb://shop_1?region=ap-northeast-2&endpoint=http%3A%2F%2F127.0.0.1%3A5000",
        )
        .unwrap();
        assert_eq!(l.prefix, "shop_1");
        assert_eq!(l.region.as_deref(), Some("ap-northeast-2"));
        assert_eq!(l.endpoint.as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(l.main_table(), "shop_1-main");
        assert_eq!(l.queue_table(), "shop_1-queue");
        let plain = Location::parse("dynamodb://o?endpoint=http://127.0.0.1:5000").unwrap();
        assert_eq!(plain.endpoint.as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(plain.region, None);
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        for (url, says) in [
            ("dynamodb://", "table prefix"),
            ("dynamodb://a b", "table prefix"),
            ("dynamodb://x?colour=red", "\"colour\""),
            ("dynamodb://x?region=", "\"region\""),
            ("dynamodb://x?endpoint=%zz", "badly encoded"),
            ("postgres://x", "dynamodb://"),
        ] {
            let e = Location::parse(url).unwrap_err().to_string();
            assert!(e.contains(says), "{url}: {e}");
        }
    }
}
