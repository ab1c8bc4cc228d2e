//! Connections with something to do at a set time: a refused link's closing, a closed
//! link's dropping.

use std::time::Duration;

use peerchat_peerjs::ConnectionId;

/// Connections, each due at a monotonic time.
#[derive(Default)]
pub(crate) struct DueList(Vec<(Duration, ConnectionId)>);

impl DueList {
    /// `conn` is due at `at`.
    pub(crate) fn push(&mut self, at: Duration, conn: ConnectionId) {
        self.0.push((at, conn));
    }

    /// When the first one is due.
    pub(crate) fn next(&self) -> Option<Duration> {
        self.0.iter().map(|(at, _)| *at).min()
    }

    /// `conn` is no longer due.
    pub(crate) fn remove(&mut self, conn: &ConnectionId) {
        self.0.retain(|(_, c)| c != conn);
    }

    /// Takes out the connections due at `now`, in the order they were added.
    pub(crate) fn take_due(&mut self, now: Duration) -> Vec<ConnectionId> {
        let (due, later) = std::mem::take(&mut self.0)
            .into_iter()
            .partition::<Vec<_>, _>(|(at, _)| *at <= now);
        self.0 = later;
        due.into_iter().map(|(_, conn)| conn).collect()
    }
}
