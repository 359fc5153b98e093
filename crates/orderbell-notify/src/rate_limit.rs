//! Provider rate limits for the dispatcher, built on the keyed token buckets of
//! `orderbell_core::rate_limit`.

use std::time::{Duration, Instant};

pub use orderbell_core::rate_limit::{KeyedLimiter, Limiter, Quota};

/// Telegram's limits for one bot: a global bucket and one per chat; a send takes from both
/// or neither.
#[derive(Debug, Clone)]
pub struct TelegramLimits {
    bot: Limiter,
    chats: KeyedLimiter<i64>,
}

impl Default for TelegramLimits {
    /// ≤ 30 messages/s per bot, ≤ 1 message/s per chat (Bot API FAQ).
    fn default() -> Self {
        Self::new(Quota::per_second(30), Quota::every(Duration::from_secs(1)))
    }
}

impl TelegramLimits {
    pub fn new(per_bot: Quota, per_chat: Quota) -> Self {
        Self {
            bot: Limiter::new(per_bot),
            chats: KeyedLimiter::new(per_chat),
        }
    }

    pub fn ready_at(&self, chat_id: i64, now: Instant) -> Instant {
        self.bot
            .ready_at(now)
            .max(self.chats.ready_at(&chat_id, now))
    }

    pub fn try_acquire(&mut self, chat_id: i64, now: Instant) -> Result<(), Instant> {
        let at = self.ready_at(chat_id, now);
        if at > now {
            return Err(at);
        }
        self.bot.commit(now);
        self.chats.commit(&chat_id, now);
        Ok(())
    }

    pub fn prune(&mut self, now: Instant) {
        self.chats.prune(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telegram_takes_from_both_or_neither() {
        let t0 = Instant::now();
        let mut tg = TelegramLimits::default();
        // 30 different chats at once: fine; the 31st chat waits for the bot bucket.
        for chat in 0..30 {
            assert_eq!(tg.try_acquire(chat, t0), Ok(()));
        }
        let bot_ready = tg.try_acquire(99, t0).unwrap_err();
        assert_eq!(bot_ready, t0 + Duration::from_secs(1) / 30);
        // A chat refused by its own limit must not spend a bot token.
        let chat0_ready = tg.try_acquire(0, bot_ready).unwrap_err();
        assert_eq!(chat0_ready, t0 + Duration::from_secs(1));
        assert_eq!(tg.try_acquire(99, bot_ready), Ok(()));
        // Per chat: at most one a second, whatever the bot budget.
        let t1 = t0 + Duration::from_secs(5);
        assert_eq!(tg.try_acquire(7, t1), Ok(()));
        assert_eq!(tg.ready_at(7, t1), t1 + Duration::from_secs(1));
        assert_eq!(tg.try_acquire(7, t1 + Duration::from_secs(1)), Ok(()));
    }

    #[test]
    fn twilio_configurable() {
        let t0 = Instant::now();
        let mut l = KeyedLimiter::new(Quota::per_second(80));
        let sent = (0..200)
            .filter(|_| l.try_acquire(&"sender", t0).is_ok())
            .count();
        assert_eq!(sent, 80);
    }
}
