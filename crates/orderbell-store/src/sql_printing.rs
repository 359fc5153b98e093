//! [`PrintingStore`] on the SQL store.

use async_trait::async_trait;

use crate::SqlStore;
use crate::printing::PrintingStore;

#[async_trait]
impl PrintingStore for SqlStore {}
