//! Steps of the wall clock, told apart from time that really passed.
//!
//! A shop's box can start with a stale clock (a Raspberry Pi has no real-time clock and
//! resumes from its last shutdown) and be corrected by NTP hours later, while it already
//! holds print jobs. Measured by the wall clock alone those jobs would all look hours old and
//! expire unprinted. [`ClockJumps`] compares the wall clock with the monotonic clock between
//! two readings and remembers the forward steps, so an age can be measured in time that
//! really passed. Backward steps only make things expire later, which is the safe side.
//! (The monotonic clock stands still while the machine is suspended: time asleep is not
//! counted either.)

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};

/// How many forward steps are remembered (the oldest go first).
const REMEMBERED: usize = 32;

#[derive(Debug)]
pub struct ClockJumps {
    tolerance: SignedDuration,
    last: Option<(Instant, Timestamp)>,
    /// Forward steps: when (on the new clock) and by how much.
    forward: VecDeque<(Timestamp, SignedDuration)>,
}

impl ClockJumps {
    /// Differences up to `tolerance` between the two clocks are drift, not a step.
    pub fn new(tolerance: Duration) -> ClockJumps {
        ClockJumps {
            tolerance: SignedDuration::try_from(tolerance).unwrap_or(SignedDuration::MAX),
            last: None,
            forward: VecDeque::new(),
        }
    }

    /// Takes a reading of both clocks; returns the step since the last reading, if there was
    /// one (positive: the wall clock moved forward more than time passed).
    pub fn observe(&mut self, mono: Instant, wall: Timestamp) -> Option<SignedDuration> {
        let previous = self.last.replace((mono, wall));
        let (mono0, wall0) = previous?;
        let passed = SignedDuration::try_from(mono.saturating_duration_since(mono0)).ok()?;
        let step = wall.duration_since(wall0).checked_sub(passed)?;
        if step > self.tolerance {
            if self.forward.len() == REMEMBERED {
                self.forward.pop_front();
            }
            self.forward.push_back((wall, step));
            Some(step)
        } else if step < -self.tolerance {
            // Steps "later" than the new time belong to a timeline that is gone.
            self.forward.retain(|(at, _)| *at <= wall);
            Some(step)
        } else {
            None
        }
    }

    /// The wall-clock time before which things created are at least `age` old in time that
    /// really passed: `now - age`, moved back by every forward step since then. (Something
    /// created before a step is older on the wall clock than it really is.)
    pub fn cutoff(&mut self, now: Timestamp, age: SignedDuration) -> Option<Timestamp> {
        let naive = now.checked_sub(age).ok()?;
        // A step before `naive` no longer matters: what came before it is older than `age`
        // anyway.
        self.forward.retain(|(at, _)| *at > naive);
        let stepped = self
            .forward
            .iter()
            .try_fold(SignedDuration::ZERO, |sum, (_, step)| {
                sum.checked_add(*step)
            })?;
        naive.checked_sub(stepped).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + seconds).unwrap()
    }

    #[test]
    fn drift_is_not_a_step_and_time_counts_normally() {
        let mut jumps = ClockJumps::new(Duration::from_secs(5));
        let t0 = Instant::now();
        assert_eq!(jumps.observe(t0, at(0)), None);
        assert_eq!(jumps.observe(t0 + Duration::from_secs(60), at(61)), None);
        assert_eq!(
            jumps.cutoff(at(61), SignedDuration::from_secs(30)),
            Some(at(31))
        );
    }

    #[test]
    fn a_forward_step_does_not_age_what_came_before_it() {
        let mut jumps = ClockJumps::new(Duration::from_secs(5));
        let t0 = Instant::now();
        jumps.observe(t0, at(0));
        // One minute passes, the wall clock says thirteen hours and one minute.
        let step = jumps.observe(t0 + Duration::from_secs(60), at(13 * 3600 + 60));
        assert_eq!(step, Some(SignedDuration::from_hours(13)));
        let twelve_hours = SignedDuration::from_hours(12);
        // Something created at 0 is one minute old, not 13 h: not before the cutoff.
        let cutoff = jumps.cutoff(at(13 * 3600 + 60), twelve_hours).unwrap();
        assert!(cutoff < at(0), "{cutoff}");
        // Twelve real hours after the step, it is.
        let later = at(25 * 3600 + 60);
        jumps.observe(t0 + Duration::from_secs(12 * 3600 + 60), later);
        assert_eq!(jumps.cutoff(later, twelve_hours), Some(at(13 * 3600 + 60)));
    }

    #[test]
    fn a_backward_step_is_reported_and_changes_no_cutoff() {
        let mut jumps = ClockJumps::new(Duration::from_secs(5));
        let t0 = Instant::now();
        jumps.observe(t0, at(3600));
        assert_eq!(
            jumps.observe(t0 + Duration::from_secs(1), at(1)),
            Some(SignedDuration::from_secs(-3600))
        );
        assert_eq!(
            jumps.cutoff(at(1), SignedDuration::from_secs(1)),
            Some(at(0))
        );
    }
}
