//! The trait impls of [`DynamoStore`]: each call goes to the file that owns its concern.

use async_trait::async_trait;
use orderbell_core::menu::{
    Category, CategoryChange, ItemChange, Menu, MenuEntry, MenuItem, MenuOption, OptionChange,
    OptionGroup, OptionGroupChange,
};
use orderbell_core::order::{Actor, Order, OrderAction, OrderEvent};
use orderbell_core::shop::{NewShop, Shop, ShopPatch};
use orderbell_core::user::{Member, Role, User};
use orderbell_core::*;
use orderbell_core::{
    ApiKeyId, CategoryId, MenuItemId, OptionGroupId, OptionId, OrderId, ShopId, Timestamp, UserId,
};

use super::{
    DynamoStore, accounts, alerts, audit, coordination, identities, invitations, menu,
    notifications, orders, passkeys, printing, shops,
};
use crate::alerts::*;
use crate::audit::*;
use crate::coordination::*;
use crate::identities::*;
use crate::invitations::*;
use crate::notifications::*;
use crate::passkeys::*;
use crate::printing::*;
use crate::records::*;
use crate::{Result, Store, pg_events};

#[async_trait]
impl Store for DynamoStore {
    fn backend(&self) -> &'static str {
        "dynamodb"
    }

    async fn ping(&self) -> Result<()> {
        self.client
            .describe_table()
            .table_name(&self.main)
            .send()
            .await
            .map(|_| ())
            .map_err(super::fail::sdk)
    }

    /// One instance per process and no LISTEN: the serverless form wakes its workers through
    /// the queue table's stream instead.
    fn announce_new_orders(&self, _announcer: pg_events::Announcer) -> bool {
        false
    }

    async fn gauges(&self, now: Timestamp) -> Result<Gauges> {
        printing::gauges(self, now).await
    }

    async fn setting(&self, key: &str) -> Result<Option<String>> {
        accounts::setting(self, key).await
    }

    async fn setting_init(&self, key: &str, value: &str) -> Result<String> {
        accounts::setting_init(self, key, value).await
    }

    async fn create_user(&self, user: NewUser) -> Result<User> {
        accounts::create_user(self, user).await
    }

    async fn user(&self, id: &UserId) -> Result<Option<User>> {
        accounts::user(self, id).await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        accounts::user_by_email(self, email).await
    }

    async fn credentials(&self, email: &str) -> Result<Option<Credentials>> {
        accounts::credentials(self, email).await
    }

    async fn set_password(&self, id: &UserId, password_hash: &str) -> Result<()> {
        accounts::set_password(self, id, password_hash).await
    }

    async fn set_user_phone(&self, id: &UserId, phone: Option<String>) -> Result<()> {
        accounts::set_user_phone(self, id, phone).await
    }

    async fn create_session(&self, session: NewSession) -> Result<()> {
        accounts::create_session(self, session).await
    }

    async fn note_sign_in_device(
        &self,
        user: &UserId,
        device: &str,
        now: Timestamp,
        mail: Option<crate::notifications::NewNotification>,
    ) -> Result<bool> {
        accounts::note_sign_in_device(self, user, device, now, mail).await
    }

    async fn sign_in_mail(&self, user: &UserId) -> Result<bool> {
        accounts::sign_in_mail(self, user).await
    }

    async fn set_sign_in_mail(&self, user: &UserId, on: bool) -> Result<()> {
        accounts::set_sign_in_mail(self, user, on).await
    }

    async fn session(&self, token_hash: &str, now: Timestamp) -> Result<Option<Session>> {
        accounts::session(self, token_hash, now).await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        accounts::delete_session(self, token_hash).await
    }

    async fn delete_other_sessions(&self, user: &UserId, keep_token_hash: &str) -> Result<()> {
        accounts::delete_other_sessions(self, user, keep_token_hash).await
    }

    async fn delete_expired(&self, now: Timestamp, idempotency_before: Timestamp) -> Result<u64> {
        accounts::delete_expired(self, now, idempotency_before).await
    }

    async fn sessions_of(&self, user: &UserId, now: Timestamp) -> Result<Vec<SessionInfo>> {
        accounts::sessions_of(self, user, now).await
    }

    async fn touch_session(
        &self,
        token_hash: &str,
        now: Timestamp,
        since: Timestamp,
    ) -> Result<()> {
        accounts::touch_session(self, token_hash, now, since).await
    }

    async fn end_session(&self, user: &UserId, hash_prefix: &str) -> Result<bool> {
        accounts::end_session(self, user, hash_prefix).await
    }

    async fn issue_account_token(
        &self,
        token: NewAccountToken,
        mail: Option<crate::notifications::NewNotification>,
    ) -> Result<()> {
        accounts::issue_account_token(self, token, mail).await
    }

    async fn redeem_account_token(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        now: Timestamp,
    ) -> Result<Option<UserId>> {
        accounts::redeem_account_token(self, token_hash, purpose, now).await
    }

    async fn account_token_user(
        &self,
        token_hash: &str,
        purpose: TokenPurpose,
        now: Timestamp,
    ) -> Result<Option<User>> {
        accounts::account_token_user(self, token_hash, purpose, now).await
    }

    async fn reset_password(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<Option<UserId>> {
        accounts::reset_password(self, token_hash, password_hash, now).await
    }

    async fn totp(&self, user: &UserId) -> Result<Option<TotpFactor>> {
        accounts::totp(self, user).await
    }

    async fn set_pending_totp(&self, user: &UserId, secret: &str, now: Timestamp) -> Result<()> {
        accounts::set_pending_totp(self, user, secret, now).await
    }

    async fn confirm_totp(
        &self,
        user: &UserId,
        step: i64,
        recovery_hashes: Vec<String>,
        now: Timestamp,
    ) -> Result<bool> {
        accounts::confirm_totp(self, user, step, recovery_hashes, now).await
    }

    async fn use_totp_step(&self, user: &UserId, step: i64) -> Result<bool> {
        accounts::use_totp_step(self, user, step).await
    }

    async fn use_recovery_code(
        &self,
        user: &UserId,
        code_hash: &str,
        now: Timestamp,
    ) -> Result<bool> {
        accounts::use_recovery_code(self, user, code_hash, now).await
    }

    async fn remove_totp(&self, user: &UserId) -> Result<()> {
        accounts::remove_totp(self, user).await
    }

    async fn queue_account_mail(&self, mail: crate::notifications::NewNotification) -> Result<()> {
        accounts::queue_account_mail(self, mail).await
    }

    async fn create_shop(
        &self,
        id: ShopId,
        shop: NewShop,
        owner: &UserId,
        now: Timestamp,
    ) -> Result<Shop> {
        shops::create_shop(self, id, shop, owner, now).await
    }

    async fn shop(&self, id: &ShopId) -> Result<Option<Shop>> {
        shops::shop(self, id).await
    }

    async fn shop_by_slug(&self, slug: &str) -> Result<Option<Shop>> {
        shops::shop_by_slug(self, slug).await
    }

    async fn all_shops(&self) -> Result<Vec<Shop>> {
        shops::all_shops(self).await
    }

    async fn update_shop(&self, id: &ShopId, patch: ShopPatch, now: Timestamp) -> Result<Shop> {
        shops::update_shop(self, id, patch, now).await
    }

    async fn shops_of(&self, user: &UserId) -> Result<Vec<(Shop, Role)>> {
        shops::shops_of(self, user).await
    }

    async fn role(&self, shop: &ShopId, user: &UserId) -> Result<Option<Role>> {
        shops::role(self, shop, user).await
    }

    async fn members(&self, shop: &ShopId) -> Result<Vec<Member>> {
        shops::members(self, shop).await
    }

    async fn set_member(
        &self,
        shop: &ShopId,
        user: &UserId,
        role: Role,
        now: Timestamp,
    ) -> Result<Member> {
        shops::set_member(self, shop, user, role, now).await
    }

    async fn remove_member(&self, shop: &ShopId, user: &UserId) -> Result<()> {
        shops::remove_member(self, shop, user).await
    }

    async fn create_api_key(&self, key: NewApiKey) -> Result<ApiKey> {
        shops::create_api_key(self, key).await
    }

    async fn api_key(&self, token_hash: &str) -> Result<Option<ApiKey>> {
        shops::api_key(self, token_hash).await
    }

    async fn api_keys(&self, shop: &ShopId) -> Result<Vec<ApiKey>> {
        shops::api_keys(self, shop).await
    }

    async fn revoke_api_key(
        &self,
        shop: &ShopId,
        id: &ApiKeyId,
        now: Timestamp,
    ) -> Result<Vec<orderbell_core::PrinterId>> {
        shops::revoke_api_key(self, shop, id, now).await
    }

    async fn touch_api_key(&self, id: &ApiKeyId, now: Timestamp) -> Result<()> {
        shops::touch_api_key(self, id, now).await
    }

    async fn menu(&self, shop: &ShopId) -> Result<Menu> {
        menu::menu(self, shop).await
    }

    async fn create_category(
        &self,
        shop: &ShopId,
        id: CategoryId,
        c: CategoryChange,
        now: Timestamp,
    ) -> Result<Category> {
        menu::create_category(self, shop, id, c, now).await
    }

    async fn update_category(
        &self,
        shop: &ShopId,
        id: &CategoryId,
        c: CategoryChange,
    ) -> Result<Category> {
        menu::update_category(self, shop, id, c).await
    }

    async fn delete_category(&self, shop: &ShopId, id: &CategoryId) -> Result<()> {
        menu::delete_category(self, shop, id).await
    }

    async fn create_item(
        &self,
        shop: &ShopId,
        id: MenuItemId,
        c: ItemChange,
        now: Timestamp,
    ) -> Result<MenuItem> {
        menu::create_item(self, shop, id, c, now).await
    }

    async fn update_item(
        &self,
        shop: &ShopId,
        id: &MenuItemId,
        c: ItemChange,
        now: Timestamp,
    ) -> Result<MenuItem> {
        menu::update_item(self, shop, id, c, now).await
    }

    async fn delete_item(&self, shop: &ShopId, id: &MenuItemId) -> Result<()> {
        menu::delete_item(self, shop, id).await
    }

    async fn set_item_photo(
        &self,
        shop: &ShopId,
        id: &MenuItemId,
        photo: Option<ItemPhoto>,
        now: Timestamp,
    ) -> Result<MenuItem> {
        menu::set_item_photo(self, shop, id, photo, now).await
    }

    async fn item_photo(&self, id: &MenuItemId) -> Result<Option<ItemPhoto>> {
        menu::item_photo(self, id).await
    }

    async fn move_menu_entry(&self, shop: &ShopId, entry: MenuEntry, up: bool) -> Result<bool> {
        menu::move_menu_entry(self, shop, entry, up).await
    }

    async fn create_option_group(
        &self,
        shop: &ShopId,
        item: &MenuItemId,
        id: OptionGroupId,
        c: OptionGroupChange,
    ) -> Result<OptionGroup> {
        menu::create_option_group(self, shop, item, id, c).await
    }

    async fn update_option_group(
        &self,
        shop: &ShopId,
        id: &OptionGroupId,
        c: OptionGroupChange,
    ) -> Result<OptionGroup> {
        menu::update_option_group(self, shop, id, c).await
    }

    async fn delete_option_group(&self, shop: &ShopId, id: &OptionGroupId) -> Result<()> {
        menu::delete_option_group(self, shop, id).await
    }

    async fn create_option(
        &self,
        shop: &ShopId,
        group: &OptionGroupId,
        id: OptionId,
        c: OptionChange,
    ) -> Result<MenuOption> {
        menu::create_option(self, shop, group, id, c).await
    }

    async fn update_option(
        &self,
        shop: &ShopId,
        id: &OptionId,
        c: OptionChange,
    ) -> Result<MenuOption> {
        menu::update_option(self, shop, id, c).await
    }

    async fn delete_option(&self, shop: &ShopId, id: &OptionId) -> Result<()> {
        menu::delete_option(self, shop, id).await
    }

    async fn create_order(&self, order: NewOrder) -> Result<CreatedOrder> {
        orders::create_order(self, order).await
    }

    async fn order(&self, shop: &ShopId, id: &OrderId) -> Result<Option<Order>> {
        orders::order(self, shop, id).await
    }

    async fn order_by_id(&self, id: &OrderId) -> Result<Option<Order>> {
        orders::order_by_id(self, id).await
    }

    async fn orders_by_ids(&self, ids: Vec<OrderId>) -> Result<Vec<Order>> {
        orders::orders_by_ids(self, ids).await
    }

    async fn orders(&self, shop: &ShopId, filter: OrderFilter) -> Result<OrderPage> {
        orders::orders(self, shop, filter).await
    }

    async fn apply_order_action(
        &self,
        shop: &ShopId,
        id: &OrderId,
        action: OrderAction,
        actor: Actor,
        now: Timestamp,
    ) -> Result<Order> {
        orders::apply_order_action(self, shop, id, action, actor, now).await
    }

    async fn order_events(&self, shop: &ShopId, id: &OrderId) -> Result<Vec<OrderEvent>> {
        orders::order_events(self, shop, id).await
    }
}

#[async_trait]
impl PrintingStore for DynamoStore {
    async fn create_printer(&self, printer: NewPrinter) -> Result<Printer> {
        printing::create_printer(self, printer).await
    }

    async fn printers(&self, shop: &ShopId) -> Result<Vec<Printer>> {
        printing::printers(self, shop).await
    }

    async fn printer(&self, shop: &ShopId, id: &PrinterId) -> Result<Option<Printer>> {
        printing::printer(self, shop, id).await
    }

    async fn printer_by_token(&self, token_hash: &str) -> Result<Option<Printer>> {
        printing::printer_by_token(self, token_hash).await
    }

    async fn update_printer(
        &self,
        shop: &ShopId,
        id: &PrinterId,
        change: PrinterChange,
    ) -> Result<Printer> {
        printing::update_printer(self, shop, id, change).await
    }

    async fn revoke_printer(&self, shop: &ShopId, id: &PrinterId, now: Timestamp) -> Result<()> {
        printing::revoke_printer(self, shop, id, now).await
    }

    async fn printer_connection(
        &self,
        id: &PrinterId,
        connected: bool,
        hello: Option<DeviceHello>,
        now: Timestamp,
    ) -> Result<()> {
        printing::printer_connection(self, id, connected, hello, now).await
    }

    async fn printer_state(
        &self,
        id: &PrinterId,
        state: &str,
        detail: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        printing::printer_state(self, id, state, detail, now).await
    }

    async fn owed_jobs(&self, printer: &PrinterId, limit: i64) -> Result<Vec<PrintJob>> {
        printing::owed_jobs(self, printer, limit).await
    }

    async fn owed_work(&self, shop: &ShopId, printer: &PrinterId, limit: i64) -> Result<OwedWork> {
        printing::owed_work(self, shop, printer, limit).await
    }

    async fn jobs_sent(
        &self,
        printer: &PrinterId,
        jobs: Vec<PrintJobId>,
        now: Timestamp,
    ) -> Result<()> {
        printing::jobs_sent(self, printer, jobs, now).await
    }

    async fn ack_jobs(
        &self,
        printer: &PrinterId,
        acks: Vec<(PrintJobId, JobAck)>,
        now: Timestamp,
    ) -> Result<Vec<Option<PrintJob>>> {
        printing::ack_jobs(self, printer, acks, now).await
    }

    async fn reprint(
        &self,
        shop: &ShopId,
        order: &OrderId,
        printer: Option<PrinterId>,
        now: Timestamp,
    ) -> Result<Vec<PrintJob>> {
        printing::reprint(self, shop, order, printer, now).await
    }

    async fn expire_jobs(
        &self,
        created_before: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<PrintJob>> {
        printing::expire_jobs(self, created_before, now).await
    }

    async fn print_jobs_of(&self, orders: Vec<OrderId>) -> Result<Vec<PrintJob>> {
        printing::print_jobs_of(self, orders).await
    }
}

#[async_trait]
impl NotificationStore for DynamoStore {
    async fn upsert_link(&self, link: NewLink) -> Result<ChannelLink> {
        notifications::upsert_link(self, link).await
    }

    async fn links_by_address(&self, channel: Channel, address: &str) -> Result<Vec<ChannelLink>> {
        notifications::links_by_address(self, channel, address).await
    }

    async fn links_of_user(&self, user: &UserId) -> Result<Vec<ChannelLink>> {
        notifications::links_of_user(self, user).await
    }

    async fn unlink_address(
        &self,
        channel: Channel,
        address: &str,
        user: Option<&UserId>,
        now: Timestamp,
    ) -> Result<u64> {
        notifications::unlink_address(self, channel, address, user, now).await
    }

    async fn touch_inbound(&self, channel: Channel, address: &str, now: Timestamp) -> Result<()> {
        notifications::touch_inbound(self, channel, address, now).await
    }

    async fn create_link_code(
        &self,
        code_hash: &str,
        code: LinkCode,
        now: Timestamp,
    ) -> Result<()> {
        notifications::create_link_code(self, code_hash, code, now).await
    }

    async fn take_link_code(&self, code_hash: &str, now: Timestamp) -> Result<Option<LinkCode>> {
        notifications::take_link_code(self, code_hash, now).await
    }

    async fn member_settings(&self, shop: &ShopId) -> Result<MemberSettings> {
        notifications::member_settings(self, shop).await
    }

    async fn set_member_settings(
        &self,
        shop: &ShopId,
        settings: MemberSettings,
        now: Timestamp,
    ) -> Result<()> {
        notifications::set_member_settings(self, shop, settings, now).await
    }

    async fn enqueue_notification(&self, n: NewNotification) -> Result<i64> {
        notifications::enqueue_notification(self, n).await
    }

    async fn claim_notifications(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        claim: &str,
        limit: i64,
    ) -> Result<Vec<Notification>> {
        notifications::claim_notifications(self, now, lease_until, claim, limit).await
    }

    async fn finish_notifications(&self, finishes: Vec<Finish>) -> Result<u64> {
        notifications::finish_notifications(self, finishes).await
    }

    async fn next_notification_at(&self) -> Result<Option<Timestamp>> {
        notifications::next_notification_at(self).await
    }

    async fn order_notifications(
        &self,
        shop: &ShopId,
        order: &OrderId,
    ) -> Result<Vec<Notification>> {
        notifications::order_notifications(self, shop, order).await
    }

    async fn notification(&self, id: i64) -> Result<Option<Notification>> {
        notifications::notification(self, id).await
    }

    async fn cancel_notifications(
        &self,
        order: &OrderId,
        events: &[NotifyEvent],
        now: Timestamp,
    ) -> Result<u64> {
        notifications::cancel_notifications(self, order, events, now).await
    }

    async fn report_delivery(&self, report: DeliveryReport) -> Result<bool> {
        notifications::report_delivery(self, report).await
    }

    async fn log_webhook(
        &self,
        provider: &str,
        kind: &str,
        body: &str,
        outcome: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        notifications::log_webhook(self, provider, kind, body, outcome, now).await
    }

    async fn webhook_log(&self, provider: &str, limit: i64) -> Result<Vec<WebhookEntry>> {
        notifications::webhook_log(self, provider, limit).await
    }

    async fn purge_notification_logs(
        &self,
        before: Timestamp,
        keep: i64,
        now: Timestamp,
    ) -> Result<u64> {
        notifications::purge_notification_logs(self, before, keep, now).await
    }
}

#[async_trait]
impl AlertStore for DynamoStore {
    async fn fire_due_alerts(&self, now: Timestamp, limit: i64, calls: bool) -> Result<Vec<Fired>> {
        alerts::fire_due_alerts(self, now, limit, calls).await
    }

    async fn next_alert_at(&self) -> Result<Option<Timestamp>> {
        alerts::next_alert_at(self).await
    }

    async fn active_alerts(&self, shop: &ShopId) -> Result<Vec<OrderAlert>> {
        alerts::active_alerts(self, shop).await
    }

    async fn order_alert(&self, order: &OrderId) -> Result<Option<OrderAlert>> {
        alerts::order_alert(self, order).await
    }

    async fn channel_health(&self, shop: &ShopId) -> Result<Vec<ChannelHealth>> {
        alerts::channel_health(self, shop).await
    }

    async fn notify_owners(
        &self,
        shop: &ShopId,
        event: NotifyEvent,
        problems: Vec<String>,
        now: Timestamp,
    ) -> Result<usize> {
        alerts::notify_owners(self, shop, event, problems, now).await
    }
}

#[async_trait]
impl AuditStore for DynamoStore {
    async fn audit_outbox(&self) -> Result<Vec<Finding>> {
        audit::audit_outbox(self).await
    }
}

#[async_trait]
impl InvitationStore for DynamoStore {
    async fn create_invitation(
        &self,
        invitation: NewInvitation,
        mail: Option<NewNotification>,
    ) -> Result<Invitation> {
        invitations::create_invitation(self, invitation, mail).await
    }

    async fn open_invitations(&self, shop: &ShopId, now: Timestamp) -> Result<Vec<Invitation>> {
        invitations::open_invitations(self, shop, now).await
    }

    async fn revoke_invitation(
        &self,
        shop: &ShopId,
        id: &InvitationId,
        now: Timestamp,
    ) -> Result<()> {
        invitations::revoke_invitation(self, shop, id, now).await
    }

    async fn invitation(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<(Invitation, Shop)>> {
        invitations::invitation(self, token_hash, now).await
    }

    async fn accept_invitation(
        &self,
        token_hash: &str,
        user: &UserId,
        now: Timestamp,
    ) -> Result<(Shop, Member)> {
        invitations::accept_invitation(self, token_hash, user, now).await
    }
}

#[async_trait]
impl PasskeyStore for DynamoStore {
    async fn create_passkey(&self, passkey: NewPasskey) -> Result<Passkey> {
        passkeys::create_passkey(self, passkey).await
    }

    async fn passkeys_of(&self, user: &UserId) -> Result<Vec<Passkey>> {
        passkeys::passkeys_of(self, user).await
    }

    async fn has_passkey(&self, user: &UserId) -> Result<bool> {
        passkeys::has_passkey(self, user).await
    }

    async fn passkey_by_credential(&self, credential_id: &str) -> Result<Option<Passkey>> {
        passkeys::passkey_by_credential(self, credential_id).await
    }

    async fn rename_passkey(&self, user: &UserId, id: &PasskeyId, name: &str) -> Result<Passkey> {
        passkeys::rename_passkey(self, user, id, name).await
    }

    async fn delete_passkey(&self, user: &UserId, id: &PasskeyId) -> Result<()> {
        passkeys::delete_passkey(self, user, id).await
    }

    async fn use_passkey(
        &self,
        id: &PasskeyId,
        seen: i64,
        new: i64,
        now: Timestamp,
    ) -> Result<bool> {
        passkeys::use_passkey(self, id, seen, new, now).await
    }

    async fn create_webauthn_challenge(
        &self,
        hash: &str,
        user: Option<&UserId>,
        purpose: ChallengePurpose,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<()> {
        passkeys::create_webauthn_challenge(self, hash, user, purpose, expires_at, now).await
    }

    async fn take_webauthn_challenge(
        &self,
        hash: &str,
        purpose: ChallengePurpose,
        now: Timestamp,
    ) -> Result<Option<Option<UserId>>> {
        passkeys::take_webauthn_challenge(self, hash, purpose, now).await
    }
}

#[async_trait]
impl IdentityStore for DynamoStore {
    async fn create_oidc_flow(&self, flow: OidcFlow) -> Result<()> {
        identities::create_oidc_flow(self, flow).await
    }

    async fn take_oidc_flow(&self, state_hash: &str, now: Timestamp) -> Result<Option<OidcFlow>> {
        identities::take_oidc_flow(self, state_hash, now).await
    }

    async fn identity_user(
        &self,
        issuer: &str,
        subject: &str,
        now: Timestamp,
    ) -> Result<Option<User>> {
        identities::identity_user(self, issuer, subject, now).await
    }

    async fn link_identity(&self, identity: NewIdentity) -> Result<Identity> {
        identities::link_identity(self, identity).await
    }

    async fn create_user_with_identity(
        &self,
        user: NewUser,
        identity: NewIdentity,
    ) -> Result<(User, Identity)> {
        identities::create_user_with_identity(self, user, identity).await
    }

    async fn identities_of(&self, user: &UserId) -> Result<Vec<Identity>> {
        identities::identities_of(self, user).await
    }

    async fn unlink_identity(&self, user: &UserId, id: &str) -> Result<()> {
        identities::unlink_identity(self, user, id).await
    }
}

#[async_trait]
impl CoordinationStore for DynamoStore {
    async fn take_token(
        &self,
        key: &str,
        bucket: Bucket,
        now: Timestamp,
    ) -> Result<Option<Timestamp>> {
        coordination::take_token(self, key, bucket, now).await
    }

    async fn prune_tokens(&self, now: Timestamp) -> Result<u64> {
        coordination::prune_tokens(self, now).await
    }

    async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        ttl_ms: i64,
        now: Timestamp,
    ) -> Result<bool> {
        coordination::take_lease(self, name, holder, ttl_ms, now).await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        coordination::release_lease(self, name, holder).await
    }

    async fn report_dashboards(
        &self,
        instance: &str,
        counts: Vec<(ShopId, i64)>,
        now: Timestamp,
        stale_before: Timestamp,
    ) -> Result<()> {
        coordination::report_dashboards(self, instance, counts, now, stale_before).await
    }

    async fn dashboards_elsewhere(
        &self,
        shop: &ShopId,
        instance: &str,
        since: Timestamp,
    ) -> Result<i64> {
        coordination::dashboards_elsewhere(self, shop, instance, since).await
    }
}
