//! A log of recent call times, for "at most N calls in any window of this length" checks.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// Call times within the last `span`, oldest first, holding at most `capacity` entries (a check never
/// needs more than its limit, so the log cannot grow without bound).
#[derive(Debug)]
pub(crate) struct SlidingWindow {
    span: Duration,
    capacity: usize,
    times: VecDeque<Instant>,
}

impl SlidingWindow {
    pub(crate) fn new(span: Duration, capacity: usize) -> Self {
        SlidingWindow {
            span,
            capacity: capacity.max(1),
            times: VecDeque::new(),
        }
    }

    fn prune(&mut self, now: Instant) {
        while self.times.front().is_some_and(|&at| at + self.span <= now) {
            self.times.pop_front();
        }
    }

    pub(crate) fn span(&self) -> Duration {
        self.span
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// When one more entry may be added at or after `now` so that no window holds more than `limit`:
    /// `None` for "now".
    pub(crate) fn next_free(&mut self, now: Instant, limit: usize) -> Option<Instant> {
        self.prune(now);
        let limit = limit.max(1);
        let len = self.times.len();
        if len < limit {
            return None;
        }
        self.times.get(len - limit).map(|&at| at + self.span)
    }

    /// Records an entry. Entries may arrive slightly out of order (answers to calls sent close
    /// together), so each is put in its place.
    pub(crate) fn record(&mut self, at: Instant) {
        let index = self.times.partition_point(|&t| t <= at);
        self.times.insert(index, at);
        while self.times.len() > self.capacity {
            self.times.pop_front();
        }
    }

    /// Entries in `(end - span, end]`.
    pub(crate) fn count_before(&self, end: Instant) -> usize {
        self.times
            .iter()
            .filter(|&&at| at <= end && at + self.span > end)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn next_free_waits_for_the_oldest_entry_that_blocks() {
        let start = Instant::now();
        let mut window = SlidingWindow::new(Duration::from_secs(1), 3);
        for ms in [0, 100, 200] {
            window.record(start + Duration::from_millis(ms));
        }
        let now = start + Duration::from_millis(300);
        assert_eq!(window.next_free(now, 4), None);
        assert_eq!(
            window.next_free(now, 3),
            Some(start + Duration::from_secs(1))
        );
        assert_eq!(
            window.next_free(now, 2),
            Some(start + Duration::from_millis(1_100))
        );
        assert_eq!(window.next_free(start + Duration::from_secs(5), 3), None);
    }

    #[tokio::test(start_paused = true)]
    async fn holds_at_most_its_capacity_and_counts_by_window() {
        let start = Instant::now();
        let mut window = SlidingWindow::new(Duration::from_secs(1), 2);
        for ms in [0, 500, 300] {
            window.record(start + Duration::from_millis(ms));
        }
        assert_eq!(window.times.len(), 2);
        assert_eq!(window.count_before(start + Duration::from_millis(600)), 2);
        assert_eq!(window.count_before(start + Duration::from_millis(1_400)), 1);
    }
}
