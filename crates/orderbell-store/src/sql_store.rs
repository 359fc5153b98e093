//! [`Store`] on a SQL database: every call becomes a job for the writer (group commit) or for
//! a reader, running the shared queries.

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

use crate::db::Db;
use crate::exec::{Dialect, Readers, Writer};
use crate::lookup_cache::Lookups;
use crate::notifications::NewNotification;
use crate::postgres::{self as pg, PgDb};
use crate::queries::{
    account_tokens, accounts, api_keys, gauges, menu, orders, second_factor, shops, sign_in_devices,
};
use crate::records::*;
use crate::sqlite::{self as lite, SqliteDb};
use crate::{Result, Store, StoreError, migrate};

/// Reading connections per store.
const READERS: usize = 4;

pub struct SqlStore {
    backend: &'static str,
    writer: Writer,
    readers: Readers,
    /// Shops by slug, read within the last second (see `lookup_cache`).
    pub(crate) shops_by_slug: Lookups<Shop>,
    /// API keys by token hash, read within the last second.
    api_keys_by_hash: Lookups<ApiKey>,
}

enum Backend {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

fn backend_of(url: &str) -> Result<Backend> {
    if url.starts_with("sqlite:") {
        lite::path_from_url(url)
            .map(Backend::Sqlite)
            .ok_or_else(|| StoreError::Unavailable(format!("no file in the database URL {url:?}")))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres(url.to_owned()))
    } else {
        Err(StoreError::Unavailable(
            "the database URL must start with sqlite: or postgres://".into(),
        ))
    }
}

fn now_text() -> String {
    Timestamp::now().to_string()
}

/// Opens the writing connection and brings the schema up to date.
fn open_writer(backend: &Backend) -> Result<(Box<dyn Db + Send>, Dialect, usize)> {
    match backend {
        Backend::Sqlite(path) => {
            let mut db = SqliteDb::open_writer(path)?;
            let ran = migrate::run(
                &mut db,
                lite::MIGRATIONS,
                lite::DIALECT.begin_write,
                None,
                &now_text(),
            )?;
            Ok((Box::new(db), lite::DIALECT, ran))
        }
        Backend::Postgres(url) => {
            let mut db = PgDb::connect(url)?;
            let ran = migrate::run(
                &mut db,
                pg::MIGRATIONS,
                pg::DIALECT.begin_write,
                Some(pg::MIGRATION_LOCK),
                &now_text(),
            )?;
            Ok((Box::new(db), pg::DIALECT, ran))
        }
    }
}

fn open_readers(backend: &Backend) -> Result<Vec<Box<dyn Db + Send>>> {
    (0..READERS)
        .map(|_| -> Result<Box<dyn Db + Send>> {
            match backend {
                Backend::Sqlite(path) => Ok(Box::new(SqliteDb::open_reader(path)?)),
                Backend::Postgres(url) => Ok(Box::new(PgDb::connect(url)?)),
            }
        })
        .collect()
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Unavailable(format!("start-up task failed: {e}")))?
}

impl SqlStore {
    /// Connects, migrates, and starts the writer and reader threads.
    pub async fn open(url: &str) -> Result<SqlStore> {
        let backend = backend_of(url)?;
        let (backend, writer_db, dialect, ran) = blocking(move || {
            let (db, dialect, ran) = open_writer(&backend)?;
            Ok((backend, db, dialect, ran))
        })
        .await?;
        if ran > 0 {
            tracing::info!(migrations = ran, "database schema brought up to date");
        }
        let name = match backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        };
        let reader_dbs = blocking(move || open_readers(&backend)).await?;
        let writer = Writer::spawn(&format!("{name}-writer"), writer_db, dialect)
            .map_err(|e| StoreError::Unavailable(format!("cannot start the writer: {e}")))?;
        let readers = Readers::spawn(&format!("{name}-reader"), reader_dbs, dialect)
            .map_err(|e| StoreError::Unavailable(format!("cannot start the readers: {e}")))?;
        Ok(SqlStore {
            backend: name,
            writer,
            readers,
            shops_by_slug: Lookups::new(),
            api_keys_by_hash: Lookups::new(),
        })
    }

    /// Applies pending migrations and returns how many ran.
    pub async fn migrate_only(url: &str) -> Result<usize> {
        let backend = backend_of(url)?;
        blocking(move || open_writer(&backend).map(|(_, _, ran)| ran)).await
    }

    // `write`, `read` and `read_snapshot` hand back the writer's and readers' own futures
    // rather than wrapping each in one more `async fn` state machine: there is one
    // instantiation of each per kind of query, and together they were a good part of this
    // crate's build time (docs/benchmarks.md, "Cold release build").
    pub(crate) fn write<T, F>(&self, f: F) -> impl Future<Output = Result<T>> + use<'_, T, F>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Db) -> Result<T> + Send + 'static,
    {
        self.writer.run(f)
    }

    pub(crate) fn read<T, F>(&self, f: F) -> impl Future<Output = Result<T>> + use<'_, T, F>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Db) -> Result<T> + Send + 'static,
    {
        self.readers.run(false, f)
    }

    /// A read whose queries all see one snapshot.
    pub(crate) fn read_snapshot<T, F>(
        &self,
        f: F,
    ) -> impl Future<Output = Result<T>> + use<'_, T, F>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Db) -> Result<T> + Send + 'static,
    {
        self.readers.run(true, f)
    }
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        self.backend
    }

    fn announce_new_orders(&self, announcer: crate::pg_events::Announcer) -> bool {
        if self.backend != "postgres" {
            return false;
        }
        self.writer.announce_new_orders(announcer);
        true
    }

    async fn ping(&self) -> Result<()> {
        self.read(|db| db.query_one("SELECT 1", &[]).map(|_| ()))
            .await
    }

    async fn gauges(&self, now: Timestamp) -> Result<Gauges> {
        self.read(move |db| gauges::read(db, now)).await
    }

    async fn setting(&self, key: &str) -> Result<Option<String>> {
        let key = key.to_owned();
        self.read(move |db| accounts::setting(db, &key)).await
    }

    async fn setting_init(&self, key: &str, value: &str) -> Result<String> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.write(move |db| accounts::setting_init(db, &key, &value))
            .await
    }

    async fn create_user(&self, user: NewUser) -> Result<User> {
        self.write(move |db| accounts::create_user(db, &user)).await
    }

    async fn user(&self, id: &UserId) -> Result<Option<User>> {
        let id = id.clone();
        self.read(move |db| accounts::user(db, &id)).await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let email = email.to_owned();
        self.read(move |db| accounts::user_by_email(db, &email))
            .await
    }

    async fn credentials(&self, email: &str) -> Result<Option<Credentials>> {
        let email = email.to_owned();
        self.read(move |db| accounts::credentials(db, &email)).await
    }

    async fn set_user_phone(&self, id: &UserId, phone: Option<String>) -> Result<()> {
        let id = id.clone();
        self.write(move |db| accounts::set_user_phone(db, &id, phone.as_deref()))
            .await
    }

    async fn set_password(&self, id: &UserId, password_hash: &str) -> Result<()> {
        let (id, hash) = (id.clone(), password_hash.to_owned());
        self.write(move |db| accounts::set_password(db, &id, &hash))
            .await
    }

    async fn create_session(&self, session: NewSession) -> Result<()> {
        self.write(move |db| accounts::create_session(db, &session))
            .await
    }

    async fn note_sign_in_device(
        &self,
        user: &UserId,
        device: &str,
        now: Timestamp,
        mail: Option<NewNotification>,
    ) -> Result<bool> {
        let (user, device) = (user.clone(), device.to_owned());
        self.write(move |db| sign_in_devices::note(db, &user, &device, now, mail.as_ref()))
            .await
    }

    async fn sign_in_mail(&self, user: &UserId) -> Result<bool> {
        let user = user.clone();
        self.read(move |db| sign_in_devices::wants_mail(db, &user))
            .await
    }

    async fn set_sign_in_mail(&self, user: &UserId, on: bool) -> Result<()> {
        let user = user.clone();
        self.write(move |db| sign_in_devices::set_wants_mail(db, &user, on))
            .await
    }

    async fn session(&self, token_hash: &str, now: Timestamp) -> Result<Option<Session>> {
        let hash = token_hash.to_owned();
        let found = self.read(move |db| accounts::session(db, &hash)).await?;
        match found {
            Some(session) if session.expires_at > now => Ok(Some(session)),
            Some(_) => {
                self.delete_session(token_hash).await?;
                Ok(None)
            }
            None => Ok(None),
        }
    }

    async fn issue_account_token(
        &self,
        token: NewAccountToken,
        mail: Option<NewNotification>,
    ) -> Result<()> {
        self.write(move |db| account_tokens::issue(db, &token, mail.as_ref()))
            .await
    }

    async fn redeem_account_token(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        now: Timestamp,
    ) -> Result<Option<UserId>> {
        let hash = token_hash.to_owned();
        self.write(move |db| account_tokens::redeem(db, &hash, purpose, now))
            .await
    }

    async fn account_token_user(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        now: Timestamp,
    ) -> Result<Option<User>> {
        let hash = token_hash.to_owned();
        self.read(move |db| account_tokens::user_of(db, &hash, purpose, now))
            .await
    }

    async fn reset_password(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<Option<UserId>> {
        let (hash, password) = (token_hash.to_owned(), password_hash.to_owned());
        self.write(move |db| account_tokens::reset_password(db, &hash, &password, now))
            .await
    }

    async fn totp(&self, user: &UserId) -> Result<Option<TotpFactor>> {
        let user = user.clone();
        self.read(move |db| second_factor::totp(db, &user)).await
    }

    async fn set_pending_totp(&self, user: &UserId, secret: &str, now: Timestamp) -> Result<()> {
        let (user, secret) = (user.clone(), secret.to_owned());
        self.write(move |db| second_factor::set_pending(db, &user, &secret, now))
            .await
    }

    async fn confirm_totp(
        &self,
        user: &UserId,
        step: i64,
        recovery_hashes: Vec<String>,
        now: Timestamp,
    ) -> Result<bool> {
        let user = user.clone();
        self.write(move |db| second_factor::confirm(db, &user, step, &recovery_hashes, now))
            .await
    }

    async fn use_totp_step(&self, user: &UserId, step: i64) -> Result<bool> {
        let user = user.clone();
        self.write(move |db| second_factor::use_step(db, &user, step))
            .await
    }

    async fn use_recovery_code(
        &self,
        user: &UserId,
        code_hash: &str,
        now: Timestamp,
    ) -> Result<bool> {
        let (user, hash) = (user.clone(), code_hash.to_owned());
        self.write(move |db| second_factor::use_recovery_code(db, &user, &hash, now))
            .await
    }

    async fn remove_totp(&self, user: &UserId) -> Result<()> {
        let user = user.clone();
        self.write(move |db| second_factor::remove(db, &user)).await
    }

    async fn queue_account_mail(&self, mail: NewNotification) -> Result<()> {
        self.write(move |db| {
            crate::queries::notifications::enqueue(db, &mail)?;
            Ok(())
        })
        .await
    }

    async fn sessions_of(&self, user: &UserId, now: Timestamp) -> Result<Vec<SessionInfo>> {
        let user = user.clone();
        self.read(move |db| accounts::sessions_of(db, &user, now))
            .await
    }

    async fn touch_session(
        &self,
        token_hash: &str,
        now: Timestamp,
        since: Timestamp,
    ) -> Result<()> {
        let hash = token_hash.to_owned();
        self.write(move |db| accounts::touch_session(db, &hash, now, since))
            .await
    }

    async fn end_session(&self, user: &UserId, hash_prefix: &str) -> Result<bool> {
        let (user, prefix) = (user.clone(), hash_prefix.to_owned());
        self.write(move |db| accounts::end_session(db, &user, &prefix))
            .await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        let hash = token_hash.to_owned();
        self.write(move |db| accounts::delete_session(db, &hash))
            .await
    }

    async fn delete_other_sessions(&self, user: &UserId, keep_token_hash: &str) -> Result<()> {
        let (user, keep) = (user.clone(), keep_token_hash.to_owned());
        self.write(move |db| accounts::delete_other_sessions(db, &user, &keep))
            .await
    }

    async fn delete_expired(&self, now: Timestamp, idempotency_before: Timestamp) -> Result<u64> {
        self.write(move |db| accounts::delete_expired(db, now, idempotency_before))
            .await
    }

    async fn create_shop(
        &self,
        id: ShopId,
        shop: NewShop,
        owner: &UserId,
        now: Timestamp,
    ) -> Result<Shop> {
        let owner = owner.clone();
        self.write(move |db| shops::create_shop(db, &id, &shop, &owner, now))
            .await
    }

    async fn shop(&self, id: &ShopId) -> Result<Option<Shop>> {
        let id = id.clone();
        self.read(move |db| shops::shop(db, &id)).await
    }

    async fn all_shops(&self) -> Result<Vec<Shop>> {
        self.read(shops::all_shops).await
    }

    async fn shop_by_slug(&self, slug: &str) -> Result<Option<Shop>> {
        let miss = match self.shops_by_slug.get(slug) {
            Ok(shop) => return Ok(Some(shop)),
            Err(miss) => miss,
        };
        let owned = slug.to_owned();
        let found = self.read(move |db| shops::shop_by_slug(db, &owned)).await?;
        if let Some(shop) = &found {
            self.shops_by_slug.put(slug, miss, shop);
        }
        Ok(found)
    }

    async fn update_shop(&self, id: &ShopId, patch: ShopPatch, now: Timestamp) -> Result<Shop> {
        let id = id.clone();
        let result = self
            .write(move |db| shops::update_shop(db, &id, &patch, now))
            .await;
        self.shops_by_slug.changed();
        result
    }

    async fn shops_of(&self, user: &UserId) -> Result<Vec<(Shop, Role)>> {
        let user = user.clone();
        self.read(move |db| shops::shops_of(db, &user)).await
    }

    async fn role(&self, shop: &ShopId, user: &UserId) -> Result<Option<Role>> {
        let (shop, user) = (shop.clone(), user.clone());
        self.read(move |db| shops::role(db, &shop, &user)).await
    }

    async fn members(&self, shop: &ShopId) -> Result<Vec<Member>> {
        let shop = shop.clone();
        self.read(move |db| shops::members(db, &shop)).await
    }

    async fn set_member(
        &self,
        shop: &ShopId,
        user: &UserId,
        role: Role,
        now: Timestamp,
    ) -> Result<Member> {
        let (shop, user) = (shop.clone(), user.clone());
        self.write(move |db| shops::set_member(db, &shop, &user, role, now))
            .await
    }

    async fn remove_member(&self, shop: &ShopId, user: &UserId) -> Result<()> {
        let (shop, user) = (shop.clone(), user.clone());
        self.write(move |db| shops::remove_member(db, &shop, &user))
            .await
    }

    async fn create_api_key(&self, key: NewApiKey) -> Result<ApiKey> {
        self.write(move |db| api_keys::create(db, &key)).await
    }

    async fn api_key(&self, token_hash: &str) -> Result<Option<ApiKey>> {
        let miss = match self.api_keys_by_hash.get(token_hash) {
            Ok(key) => return Ok(Some(key)),
            Err(miss) => miss,
        };
        let hash = token_hash.to_owned();
        let found = self.read(move |db| api_keys::by_hash(db, &hash)).await?;
        if let Some(key) = &found {
            self.api_keys_by_hash.put(token_hash, miss, key);
        }
        Ok(found)
    }

    async fn api_keys(&self, shop: &ShopId) -> Result<Vec<ApiKey>> {
        let shop = shop.clone();
        self.read(move |db| api_keys::list(db, &shop)).await
    }

    async fn revoke_api_key(
        &self,
        shop: &ShopId,
        id: &ApiKeyId,
        now: Timestamp,
    ) -> Result<Vec<orderbell_core::PrinterId>> {
        let (shop, id) = (shop.clone(), id.clone());
        let result = self
            .write(move |db| api_keys::revoke(db, &shop, &id, now))
            .await;
        // Dropped once the revocation is committed (or has failed): a read that began before
        // it cannot put the key back for another second.
        self.api_keys_by_hash.changed();
        result
    }

    async fn touch_api_key(&self, id: &ApiKeyId, now: Timestamp) -> Result<()> {
        // The kept key shows the use at once, so the requests of the next second do not each
        // decide that the key's use is still unrecorded.
        self.api_keys_by_hash.update(|key| {
            if key.id == *id {
                key.last_used_at = Some(now);
            }
        });
        let id = id.clone();
        self.write(move |db| api_keys::touch(db, &id, now)).await
    }

    async fn menu(&self, shop: &ShopId) -> Result<Menu> {
        let shop = shop.clone();
        self.read_snapshot(move |db| menu::menu(db, &shop)).await
    }

    async fn create_category(
        &self,
        shop: &ShopId,
        id: CategoryId,
        c: CategoryChange,
        now: Timestamp,
    ) -> Result<Category> {
        let shop = shop.clone();
        self.write(move |db| menu::create_category(db, &shop, &id, &c, now))
            .await
    }

    async fn update_category(
        &self,
        shop: &ShopId,
        id: &CategoryId,
        c: CategoryChange,
    ) -> Result<Category> {
        let (shop, id) = (shop.clone(), id.clone());
        self.write(move |db| menu::update_category(db, &shop, &id, &c))
            .await
    }

    async fn delete_category(&self, shop: &ShopId, id: &CategoryId) -> Result<()> {
        let (shop, id) = (shop.clone(), id.clone());
        self.write(move |db| menu::delete_category(db, &shop, &id))
            .await
    }

    async fn create_item(
        &self,
        shop: &ShopId,
        id: MenuItemId,
        c: ItemChange,
        now: Timestamp,
    ) -> Result<MenuItem> {
        let shop = shop.clone();
        self.write(move |db| menu::create_item(db, &shop, &id, &c, now))
            .await
    }

    async fn update_item(
        &self,
        shop: &ShopId,
        id: &MenuItemId,
        c: ItemChange,
        now: Timestamp,
    ) -> Result<MenuItem> {
        let (shop, id) = (shop.clone(), id.clone());
        self.write(move |db| menu::update_item(db, &shop, &id, &c, now))
            .await
    }

    async fn delete_item(&self, shop: &ShopId, id: &MenuItemId) -> Result<()> {
        let (shop, id) = (shop.clone(), id.clone());
        self.write(move |db| menu::delete_item(db, &shop, &id))
            .await
    }

    async fn set_item_photo(
        &self,
        shop: &ShopId,
        id: &MenuItemId,
        photo: Option<ItemPhoto>,
        now: Timestamp,
    ) -> Result<MenuItem> {
        let (shop, id) = (shop.clone(), id.clone());
        self.write(move |db| menu::set_item_photo(db, &shop, &id, photo.as_ref(), now))
            .await
    }

    async fn item_photo(&self, id: &MenuItemId) -> Result<Option<ItemPhoto>> {
        let id = id.clone();
        self.read(move |db| menu::item_photo(db, &id)).await
    }

    async fn move_menu_entry(&self, shop: &ShopId, entry: MenuEntry, up: bool) -> Result<bool> {
        let shop = shop.clone();
        self.write(move |db| menu::move_entry(db, &shop, &entry, up))
            .await
    }

    async fn create_option_group(
        &self,
        shop: &ShopId,
        item: &MenuItemId,
        id: OptionGroupId,
        c: OptionGroupChange,
    ) -> Result<OptionGroup> {
        let (shop, item) = (shop.clone(), item.clone());
        self.write(move |db| menu::create_option_group(db, &shop, &item, &id, &c))
            .await
    }

    async fn update_option_group(
        &self,
        shop: &ShopId,
        id: &OptionGroupId,
        c: OptionGroupChange,
    ) -> Result<OptionGroup> {
        let (shop, id) = (shop.clone(), id.clone());
        self.write(move |db| menu::update_option_group(db, &shop, &id, &c))
            .await
    }

    async fn delete_option_group(&self, shop: &ShopId, id: &OptionGroupId) -> Result<()> {
        let (shop, id) = (shop.clone(), id.clone());
        self.write(move |db| menu::delete_option_group(db, &shop, &id))
            .await
    }

    async fn create_option(
        &self,
        shop: &ShopId,
        group: &OptionGroupId,
        id: OptionId,
        c: OptionChange,
    ) -> Result<MenuOption> {
        let (shop, group) = (shop.clone(), group.clone());
        self.write(move |db| menu::create_option(db, &shop, &group, &id, &c))
            .await
    }

    async fn update_option(
        &self,
        shop: &ShopId,
        id: &OptionId,
        c: OptionChange,
    ) -> Result<MenuOption> {
        let (shop, id) = (shop.clone(), id.clone());
        self.write(move |db| menu::update_option(db, &shop, &id, &c))
            .await
    }

    async fn delete_option(&self, shop: &ShopId, id: &OptionId) -> Result<()> {
        let (shop, id) = (shop.clone(), id.clone());
        self.write(move |db| menu::delete_option(db, &shop, &id))
            .await
    }

    async fn create_order(&self, order: NewOrder) -> Result<CreatedOrder> {
        self.writer.create_order(order).await
    }

    async fn order(&self, shop: &ShopId, id: &OrderId) -> Result<Option<Order>> {
        let (shop, id) = (shop.clone(), id.clone());
        self.read(move |db| orders::order(db, &shop, &id)).await
    }

    async fn order_by_id(&self, id: &OrderId) -> Result<Option<Order>> {
        let id = id.clone();
        self.read(move |db| orders::order_by_id(db, &id)).await
    }

    async fn orders_by_ids(&self, ids: Vec<OrderId>) -> Result<Vec<Order>> {
        self.read(move |db| orders::orders_by_ids(db, &ids)).await
    }

    async fn orders(&self, shop: &ShopId, filter: OrderFilter) -> Result<OrderPage> {
        let shop = shop.clone();
        self.read(move |db| orders::orders(db, &shop, &filter))
            .await
    }

    async fn apply_order_action(
        &self,
        shop: &ShopId,
        id: &OrderId,
        action: OrderAction,
        actor: Actor,
        now: Timestamp,
    ) -> Result<Order> {
        let (shop, id) = (shop.clone(), id.clone());
        self.write(move |db| orders::apply_action(db, &shop, &id, &action, &actor, now))
            .await
    }

    async fn order_events(&self, shop: &ShopId, id: &OrderId) -> Result<Vec<OrderEvent>> {
        let (shop, id) = (shop.clone(), id.clone());
        self.read(move |db| orders::events(db, &shop, &id)).await
    }
}
