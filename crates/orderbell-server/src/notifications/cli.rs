//! `orderbell telegram link --shop SLUG --user EMAIL`: prints a member's one-time `t.me` deep
//! link, alone.

use anyhow::Context;
use orderbell_core::text::normalize_email;

use crate::state::AppState;

#[derive(Debug, clap::Subcommand)]
pub enum TelegramCommand {
    /// Print a one-time t.me deep link that links the member's Telegram chat to the shop.
    Link {
        #[arg(long)]
        shop: String,
        /// E-mail of the member's account.
        #[arg(long)]
        user: String,
    },
}

pub async fn run(state: AppState, command: TelegramCommand) -> anyhow::Result<()> {
    match command {
        TelegramCommand::Link { shop, user } => {
            let shop = state
                .store
                .shop_by_slug(&shop)
                .await?
                .with_context(|| format!("no shop {shop}"))?;
            let email = normalize_email(&user).context("--user is not an e-mail address")?;
            let user = state
                .store
                .user_by_email(&email)
                .await?
                .with_context(|| format!("no account {email}"))?;
            if state.store.role(&shop.id, &user.id).await?.is_none() {
                anyhow::bail!("{email} is not a member of {}", shop.slug);
            }
            let (url, _) = super::api::telegram_member_link(&state, &user.id, &shop.id).await?;
            println!("{url}");
            Ok(())
        }
    }
}
