//! What can go wrong in the store, in terms the HTTP layer can map to answers.

use orderbell_core::ValidationErrors;
use orderbell_core::order::InvalidTransition;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing does not exist (or belongs to another shop).
    #[error("not found")]
    NotFound,
    /// A unique value is taken, or the change conflicts with what is stored.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The same idempotency key was used with another request body.
    #[error("idempotency key reused with another request")]
    IdempotencyConflict,
    #[error(transparent)]
    InvalidTransition(#[from] InvalidTransition),
    #[error(transparent)]
    Validation(#[from] ValidationErrors),
    /// The database cannot be reached or is shutting down.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Anything else the database said.
    #[error("storage error: {0}")]
    Backend(String),
    /// A stored value that this version does not know (a status written by hand, or by a newer
    /// version).
    #[error("stored data has an {0}")]
    UnknownValue(#[from] UnknownValue),
}

/// A text read from a column that names none of the values the column may hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}")]
pub struct UnknownValue {
    /// What the column holds (`notification status`).
    pub what: &'static str,
    pub value: String,
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
