//! TODO(dynamodb): audit
#![allow(unused_imports)]

use crate::Result;
use crate::audit::*;
use crate::records::*;

use super::{DynamoStore, unsupported};
pub(super) async fn audit_outbox(_s: &DynamoStore) -> Result<Vec<Finding>> {
    Err(unsupported("audit_outbox"))
}
