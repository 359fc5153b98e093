//! Orderbell storage.
//!
//! [`Store`] is what the rest of Orderbell talks to: shops, accounts, menus and orders, in the
//! shop's language and free of SQL. [`open`] picks the backend from the database URL once at
//! start: `sqlite:` (the embedded default) or `postgres:`. Both run the very same queries
//! (`queries/`) through the small [`db::Db`] surface, each with its own migrations, and the
//! conformance suite in `tests/` runs the same stories against both.

pub mod alerts;
pub mod audit;
pub mod commit_stats;
pub mod coordination;
pub mod db;
#[cfg(feature = "dynamodb")]
pub mod dynamo;
mod error;
mod exec;
pub mod identities;
pub mod invitations;
mod lookup_cache;
mod migrate;
pub mod notifications;
pub mod passkeys;
pub mod pg_events;
pub mod postgres;
pub mod printing;
mod queries;
pub mod records;
mod sql_alerts;
mod sql_audit;
mod sql_coordination;
mod sql_identities;
mod sql_invitations;
mod sql_notifications;
mod sql_passkeys;
mod sql_printing;
mod sql_store;
pub mod sqlite;
pub mod sqlite_backup;
mod stored_text;

use std::sync::Arc;

use async_trait::async_trait;
use orderbell_core::menu::{
    Category, CategoryChange, ItemChange, Menu, MenuEntry, MenuItem, MenuOption, OptionChange,
    OptionGroup, OptionGroupChange,
};
use orderbell_core::order::{Actor, Order, OrderAction, OrderEvent};
use orderbell_core::shop::{NewShop, Shop, ShopPatch};
use orderbell_core::user::{Member, Role, User};
use orderbell_core::{
    ApiKeyId, CategoryId, MenuItemId, OptionGroupId, OptionId, OrderId, ShopId, Timestamp, UserId,
};

pub use alerts::AlertStore;
pub use audit::AuditStore;
pub use coordination::{Bucket, CoordinationStore};
pub use error::{Result, StoreError, UnknownValue};
pub use identities::{Identity, IdentityStore, NewIdentity, OidcFlow};
pub use invitations::{Invitation, InvitationStore, NewInvitation};
pub use notifications::NotificationStore;
pub use passkeys::{ChallengePurpose, NewPasskey, Passkey, PasskeyStore};
pub use printing::PrintingStore;
pub use records::*;
pub use sql_store::SqlStore;

/// Everything Orderbell keeps. Printing and notifications have traits of their own
/// ([`PrintingStore`], [`NotificationStore`]) so each concern stays in its own files.
#[async_trait]
pub trait Store:
    PrintingStore
    + NotificationStore
    + AlertStore
    + AuditStore
    + InvitationStore
    + PasskeyStore
    + IdentityStore
    + CoordinationStore
    + Send
    + Sync
    + 'static
{
    /// Which backend this is (`sqlite` or `postgres`), for logs and health.
    fn backend(&self) -> &'static str;
    /// Checks that the database answers.
    async fn ping(&self) -> Result<()>;
    /// On PostgreSQL, announces every new order to the other instances from inside its own
    /// transaction with the hint `announcer` makes (`pg_events::Announcer`); whether it will.
    /// SQLite has one instance and nobody to announce to.
    fn announce_new_orders(&self, announcer: pg_events::Announcer) -> bool;
    /// What the metrics endpoint samples at each scrape: the outbox, open print jobs, printers
    /// out of paper. Indexed reads of waiting rows only.
    async fn gauges(&self, now: Timestamp) -> Result<Gauges>;

    // Settings: small values the server keeps for itself (e.g. generated keys).
    async fn setting(&self, key: &str) -> Result<Option<String>>;
    /// Stores `value` under `key` unless a value is there already; returns the stored value.
    async fn setting_init(&self, key: &str, value: &str) -> Result<String>;

    // Users and sessions.
    async fn create_user(&self, user: NewUser) -> Result<User>;
    async fn user(&self, id: &UserId) -> Result<Option<User>>;
    async fn user_by_email(&self, email: &str) -> Result<Option<User>>;
    async fn credentials(&self, email: &str) -> Result<Option<Credentials>>;
    async fn set_password(&self, id: &UserId, password_hash: &str) -> Result<()>;
    /// Sets or removes (None) a user's phone number (E.164, already checked).
    async fn set_user_phone(&self, id: &UserId, phone: Option<String>) -> Result<()>;
    async fn create_session(&self, session: NewSession) -> Result<()>;
    /// Records a sign-in from `device` (a hash naming the browser); when the account has signed
    /// in before, never from this device, and wants to hear of it, queues `mail` in the same
    /// transaction. Whether it was a new device of an account that had others.
    async fn note_sign_in_device(
        &self,
        user: &UserId,
        device: &str,
        now: Timestamp,
        mail: Option<notifications::NewNotification>,
    ) -> Result<bool>;
    /// Whether a sign-in from a new device sends the account a mail.
    async fn sign_in_mail(&self, user: &UserId) -> Result<bool>;
    async fn set_sign_in_mail(&self, user: &UserId, on: bool) -> Result<()>;
    /// The live (unexpired) session with this token hash. An expired one is deleted when it
    /// is asked for, so that the clock stepping back later cannot revive it.
    async fn session(&self, token_hash: &str, now: Timestamp) -> Result<Option<Session>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
    /// Ends every session of a user except the one given (after a password change).
    async fn delete_other_sessions(&self, user: &UserId, keep_token_hash: &str) -> Result<()>;
    async fn delete_expired(&self, now: Timestamp, idempotency_before: Timestamp) -> Result<u64>;
    /// A user's live sessions, the most recently used first.
    async fn sessions_of(&self, user: &UserId, now: Timestamp) -> Result<Vec<SessionInfo>>;
    /// Records a session's use, unless that was recorded since `since`.
    async fn touch_session(&self, token_hash: &str, now: Timestamp, since: Timestamp)
    -> Result<()>;
    /// Ends one of a user's sessions, named by the first (at least 16) hex digits of its token
    /// hash; `false` when the user has no such session.
    async fn end_session(&self, user: &UserId, hash_prefix: &str) -> Result<bool>;

    // Single-use account links (verification, password reset) and the mail that carries them.
    /// Stores a link and queues its mail in one transaction.
    async fn issue_account_token(
        &self,
        token: NewAccountToken,
        mail: Option<notifications::NewNotification>,
    ) -> Result<()>;
    /// Uses a link (once, unexpired, of this purpose); verification links mark the address
    /// verified. The user it was for, or `None`.
    async fn redeem_account_token(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        now: Timestamp,
    ) -> Result<Option<UserId>>;
    /// The user a link of this purpose belongs to, while it can be used (not using it).
    async fn account_token_user(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        now: Timestamp,
    ) -> Result<Option<User>>;
    /// Uses a reset link: the new password, every session ended, the address verified.
    async fn reset_password(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<Option<UserId>>;
    // The second factor (TOTP and recovery codes).
    async fn totp(&self, user: &UserId) -> Result<Option<TotpFactor>>;
    /// A new secret waiting for its first code (conflict while one is on).
    async fn set_pending_totp(&self, user: &UserId, secret: &str, now: Timestamp) -> Result<()>;
    /// Turns the pending secret on with new recovery codes; `false` without a pending secret.
    async fn confirm_totp(
        &self,
        user: &UserId,
        step: i64,
        recovery_hashes: Vec<String>,
        now: Timestamp,
    ) -> Result<bool>;
    /// A sign-in with the code of `step`; `false` when that step (or a later one) was used.
    async fn use_totp_step(&self, user: &UserId, step: i64) -> Result<bool>;
    async fn use_recovery_code(
        &self,
        user: &UserId,
        code_hash: &str,
        now: Timestamp,
    ) -> Result<bool>;
    async fn remove_totp(&self, user: &UserId) -> Result<()>;
    /// Queues a mail that carries no link (the notice to an address that has an account).
    async fn queue_account_mail(&self, mail: notifications::NewNotification) -> Result<()>;

    // Shops and members.
    async fn create_shop(
        &self,
        id: ShopId,
        shop: NewShop,
        owner: &UserId,
        now: Timestamp,
    ) -> Result<Shop>;
    async fn shop(&self, id: &ShopId) -> Result<Option<Shop>>;
    async fn shop_by_slug(&self, slug: &str) -> Result<Option<Shop>>;
    /// Every shop (the readiness watchdog looks at each).
    async fn all_shops(&self) -> Result<Vec<Shop>>;
    async fn update_shop(&self, id: &ShopId, patch: ShopPatch, now: Timestamp) -> Result<Shop>;
    async fn shops_of(&self, user: &UserId) -> Result<Vec<(Shop, Role)>>;
    async fn role(&self, shop: &ShopId, user: &UserId) -> Result<Option<Role>>;
    async fn members(&self, shop: &ShopId) -> Result<Vec<Member>>;
    /// Adds a member or changes their role. Refuses to leave a shop without an owner.
    async fn set_member(
        &self,
        shop: &ShopId,
        user: &UserId,
        role: Role,
        now: Timestamp,
    ) -> Result<Member>;
    /// Removes a member. Refuses to remove the last owner.
    async fn remove_member(&self, shop: &ShopId, user: &UserId) -> Result<()>;

    // API keys.
    async fn create_api_key(&self, key: NewApiKey) -> Result<ApiKey>;
    /// The unrevoked key with this hash.
    async fn api_key(&self, token_hash: &str) -> Result<Option<ApiKey>>;
    async fn api_keys(&self, shop: &ShopId) -> Result<Vec<ApiKey>>;
    /// Revokes the key and the printers it added; returns those printers (to disconnect).
    async fn revoke_api_key(
        &self,
        shop: &ShopId,
        id: &ApiKeyId,
        now: Timestamp,
    ) -> Result<Vec<orderbell_core::PrinterId>>;
    async fn touch_api_key(&self, id: &ApiKeyId, now: Timestamp) -> Result<()>;

    // Menu.
    async fn menu(&self, shop: &ShopId) -> Result<Menu>;
    async fn create_category(
        &self,
        shop: &ShopId,
        id: CategoryId,
        c: CategoryChange,
        now: Timestamp,
    ) -> Result<Category>;
    async fn update_category(
        &self,
        shop: &ShopId,
        id: &CategoryId,
        c: CategoryChange,
    ) -> Result<Category>;
    /// Refuses (conflict) while the category still holds items.
    async fn delete_category(&self, shop: &ShopId, id: &CategoryId) -> Result<()>;
    async fn create_item(
        &self,
        shop: &ShopId,
        id: MenuItemId,
        c: ItemChange,
        now: Timestamp,
    ) -> Result<MenuItem>;
    async fn update_item(
        &self,
        shop: &ShopId,
        id: &MenuItemId,
        c: ItemChange,
        now: Timestamp,
    ) -> Result<MenuItem>;
    async fn delete_item(&self, shop: &ShopId, id: &MenuItemId) -> Result<()>;
    /// Sets an item's photo, or removes it (`None`); the item with its new `photo_url`.
    async fn set_item_photo(
        &self,
        shop: &ShopId,
        id: &MenuItemId,
        photo: Option<ItemPhoto>,
        now: Timestamp,
    ) -> Result<MenuItem>;
    /// An item's current photo (photo addresses are public: any shop's item).
    async fn item_photo(&self, id: &MenuItemId) -> Result<Option<ItemPhoto>>;
    /// Moves a category or an item one place up (`up`) or down among its siblings; false when
    /// it is already at that end.
    async fn move_menu_entry(&self, shop: &ShopId, entry: MenuEntry, up: bool) -> Result<bool>;
    async fn create_option_group(
        &self,
        shop: &ShopId,
        item: &MenuItemId,
        id: OptionGroupId,
        c: OptionGroupChange,
    ) -> Result<OptionGroup>;
    async fn update_option_group(
        &self,
        shop: &ShopId,
        id: &OptionGroupId,
        c: OptionGroupChange,
    ) -> Result<OptionGroup>;
    async fn delete_option_group(&self, shop: &ShopId, id: &OptionGroupId) -> Result<()>;
    async fn create_option(
        &self,
        shop: &ShopId,
        group: &OptionGroupId,
        id: OptionId,
        c: OptionChange,
    ) -> Result<MenuOption>;
    async fn update_option(
        &self,
        shop: &ShopId,
        id: &OptionId,
        c: OptionChange,
    ) -> Result<MenuOption>;
    async fn delete_option(&self, shop: &ShopId, id: &OptionId) -> Result<()>;

    // Orders.
    /// Stores a new order with its first event (and its idempotency key), durably, before
    /// answering. A key seen before with the same request hash answers the stored order; with
    /// another hash, [`StoreError::IdempotencyConflict`].
    async fn create_order(&self, order: NewOrder) -> Result<CreatedOrder>;
    async fn order(&self, shop: &ShopId, id: &OrderId) -> Result<Option<Order>>;
    /// An order by id alone (guest tracking, after the token was checked).
    async fn order_by_id(&self, id: &OrderId) -> Result<Option<Order>>;
    /// Orders by id in one read (a printer session's batch of jobs); ids not found are left
    /// out, the rest come in no particular order.
    async fn orders_by_ids(&self, ids: Vec<OrderId>) -> Result<Vec<Order>>;
    async fn orders(&self, shop: &ShopId, filter: OrderFilter) -> Result<OrderPage>;
    /// Applies an action under the lifecycle rules and records who did it.
    async fn apply_order_action(
        &self,
        shop: &ShopId,
        id: &OrderId,
        action: OrderAction,
        actor: Actor,
        now: Timestamp,
    ) -> Result<Order>;
    async fn order_events(&self, shop: &ShopId, id: &OrderId) -> Result<Vec<OrderEvent>>;
}

/// Opens the database a URL names, creating and migrating it as needed.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("dynamodb:") {
        return open_dynamodb(url).await;
    }
    Ok(Arc::new(SqlStore::open(url).await?))
}

#[cfg(feature = "dynamodb")]
async fn open_dynamodb(url: &str) -> Result<Arc<dyn Store>> {
    dynamo::open(url).await
}

#[cfg(not(feature = "dynamodb"))]
async fn open_dynamodb(_url: &str) -> Result<Arc<dyn Store>> {
    Err(StoreError::Unavailable(
        "this build has no DynamoDB store: build with the feature `dynamodb`".into(),
    ))
}

/// Applies pending migrations and returns how many ran.
pub async fn migrate(url: &str) -> Result<usize> {
    #[cfg(feature = "dynamodb")]
    if url.starts_with("dynamodb:") {
        return dynamo::migrate(url).await;
    }
    SqlStore::migrate_only(url).await
}
