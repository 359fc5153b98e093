//! Escalation of an unanswered order: which step comes next, and when.
//!
//! An order that nobody acknowledges escalates along the shop's [`AlertPolicy`]: repeats to every
//! member channel from `repeat_after_seconds`, every `repeat_every_seconds`; one phone call at
//! `call_after_seconds`; the order becomes `missed` at `miss_after_seconds`. The storage keeps one
//! [`Timer`] per unanswered order (its next step and when it is due); [`fire`] says what happens
//! when that time has come and what the timer becomes. Pure: the caller brings the clock.
//!
//! A server that was down past several due times catches up with one step of each kind, not one
//! per missed slot: one repeat (saying how long the order has waited), the call if it was due, or
//! straight to `missed` when that time has passed.

use jiff::SignedDuration;

use crate::Timestamp;
use crate::alerts::AlertPolicy;

/// One escalation step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// Tell every member channel again that the order waits.
    Repeat,
    /// Call the members' and the shop's phones.
    Call,
    /// The order becomes `missed`; the guest and the shop are told.
    Miss,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Repeat => "repeat",
            Step::Call => "call",
            Step::Miss => "miss",
        }
    }

    pub fn parse(s: &str) -> Option<Step> {
        [Step::Repeat, Step::Call, Step::Miss]
            .into_iter()
            .find(|step| step.as_str() == s)
    }
}

/// Where an unanswered order stands: its next step and when it is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timer {
    pub next: Step,
    pub due_at: Timestamp,
    /// Repeat slots already passed (sent, or skipped while the server was down).
    pub repeats: u32,
    /// Whether the call step has passed.
    pub called: bool,
}

/// What happens when a timer is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firing {
    /// The steps to take now, in order (a call comes before a repeat due at the same time).
    pub steps: Vec<Step>,
    /// The timer afterwards; `None` once the order is missed.
    pub next: Option<Timer>,
}

fn after(t: Timestamp, seconds: u32) -> Timestamp {
    t.checked_add(SignedDuration::from_secs(i64::from(seconds)))
        .unwrap_or(t)
}

fn repeat_at(policy: &AlertPolicy, created: Timestamp, slot: u32) -> Timestamp {
    let first = after(created, policy.repeat_after_seconds);
    let every = i64::from(policy.repeat_every_seconds.max(1));
    first
        .checked_add(SignedDuration::from_secs(
            every.saturating_mul(i64::from(slot)),
        ))
        .unwrap_or(first)
}

/// The earliest step still to come, given the slots and the call already passed.
fn next_timer(policy: &AlertPolicy, created: Timestamp, repeats: u32, called: bool) -> Timer {
    let miss_at = policy.miss_after_seconds.map(|s| after(created, s));
    let before_miss = |t: Timestamp| miss_at.is_none_or(|m| t < m);
    let mut best: Option<(Step, Timestamp)> = miss_at.map(|m| (Step::Miss, m));
    let mut consider = |step: Step, at: Timestamp| {
        if before_miss(at) && best.is_none_or(|(_, b)| at < b) {
            best = Some((step, at));
        }
    };
    if !called {
        if let Some(call_at) = policy.call_after_seconds.map(|s| after(created, s)) {
            consider(Step::Call, call_at);
        }
    }
    consider(Step::Repeat, repeat_at(policy, created, repeats));
    let (next, due_at) = best.unwrap_or((Step::Repeat, repeat_at(policy, created, repeats)));
    Timer {
        next,
        due_at,
        repeats,
        called,
    }
}

/// The timer of a new order created at `created`.
pub fn start(policy: &AlertPolicy, created: Timestamp) -> Timer {
    next_timer(policy, created, 0, policy.call_after_seconds.is_none())
}

/// What happens at `now` to an order created at `created` whose timer is `timer`: the steps to
/// take and the timer afterwards. Nothing is taken before its time (a timer read early fires
/// nothing and stays as it is).
pub fn fire(policy: &AlertPolicy, created: Timestamp, timer: &Timer, now: Timestamp) -> Firing {
    if now < timer.due_at {
        return Firing {
            steps: vec![],
            next: Some(*timer),
        };
    }
    if policy
        .miss_after_seconds
        .is_some_and(|s| after(created, s) <= now)
    {
        return Firing {
            steps: vec![Step::Miss],
            next: None,
        };
    }
    let mut steps = Vec::with_capacity(2);
    let mut called = timer.called;
    if !called {
        match policy.call_after_seconds.map(|s| after(created, s)) {
            Some(call_at) if call_at <= now => {
                steps.push(Step::Call);
                called = true;
            }
            Some(_) => {}
            None => called = true,
        }
    }
    let mut repeats = timer.repeats;
    if repeat_at(policy, created, repeats) <= now {
        steps.push(Step::Repeat);
        // Skip the slots that passed while nobody could send them: one repeat catches up.
        while repeat_at(policy, created, repeats) <= now && repeats < u32::MAX {
            repeats += 1;
        }
    }
    Firing {
        steps,
        next: Some(next_timer(policy, created, repeats, called)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    fn policy(call: Option<u32>, miss: Option<u32>) -> AlertPolicy {
        AlertPolicy {
            repeat_after_seconds: 60,
            repeat_every_seconds: 60,
            call_after_seconds: call,
            miss_after_seconds: miss,
            ..AlertPolicy::default()
        }
    }

    /// Runs the timer from creation to `until`, firing at every due time; returns (second, step).
    fn timeline(p: &AlertPolicy, until: i64) -> Vec<(i64, Step)> {
        let mut out = vec![];
        let mut timer = Some(start(p, t(0)));
        while let Some(tm) = timer {
            let at = tm.due_at;
            if at > t(until) {
                break;
            }
            let f = fire(p, t(0), &tm, at);
            for s in f.steps {
                out.push(((at - t(0)).get_seconds(), s));
            }
            timer = f.next;
        }
        out
    }

    #[test]
    fn repeats_then_call_then_missed() {
        let p = policy(Some(120), Some(600));
        let steps = timeline(&p, 3600);
        assert_eq!(
            steps,
            vec![
                (60, Step::Repeat),
                (120, Step::Call),
                (120, Step::Repeat),
                (180, Step::Repeat),
                (240, Step::Repeat),
                (300, Step::Repeat),
                (360, Step::Repeat),
                (420, Step::Repeat),
                (480, Step::Repeat),
                (540, Step::Repeat),
                (600, Step::Miss),
            ]
        );
    }

    #[test]
    fn without_a_miss_time_repeats_go_on() {
        let p = policy(None, None);
        let steps = timeline(&p, 600);
        assert_eq!(steps.len(), 10);
        assert!(steps.iter().all(|(_, s)| *s == Step::Repeat));
    }

    #[test]
    fn a_call_after_the_miss_never_happens() {
        let p = policy(Some(900), Some(300));
        let steps = timeline(&p, 3600);
        assert!(!steps.iter().any(|(_, s)| *s == Step::Call));
        assert_eq!(steps.last(), Some(&(300, Step::Miss)));
    }

    #[test]
    fn nothing_fires_before_its_time() {
        let p = policy(Some(120), Some(600));
        let timer = start(&p, t(0));
        assert_eq!((timer.next, timer.due_at), (Step::Repeat, t(60)));
        let f = fire(&p, t(0), &timer, t(59));
        assert!(f.steps.is_empty());
        assert_eq!(f.next, Some(timer));
    }

    #[test]
    fn a_late_server_catches_up_with_one_step_of_each_kind() {
        let p = policy(Some(120), Some(600));
        let timer = start(&p, t(0));
        // Down from 59 s to 250 s: one call, one repeat, next repeat at 300 s.
        let f = fire(&p, t(0), &timer, t(250));
        assert_eq!(f.steps, vec![Step::Call, Step::Repeat]);
        let next = f.next.unwrap();
        assert_eq!((next.next, next.due_at), (Step::Repeat, t(300)));
        // Down past the miss time: straight to missed.
        let f = fire(&p, t(0), &timer, t(700));
        assert_eq!(f.steps, vec![Step::Miss]);
        assert_eq!(f.next, None);
    }

    #[test]
    fn steps_parse_back() {
        for s in [Step::Repeat, Step::Call, Step::Miss] {
            assert_eq!(Step::parse(s.as_str()), Some(s));
        }
        assert_eq!(Step::parse("ring"), None);
    }
}
