//! A forgotten link goes in two steps: its channel closes at once ([`Output::Close`]), so
//! the peer hears of it, and its connection is dropped [`CLOSE_GRACE`] later
//! ([`Output::Discard`]), when the page has a moment. Dropping a connection closes it in
//! the browser, which blocked a newcomer's main thread for 5–100 ms, and a joiner's link
//! to the rendezvous id closes while its links to the members are still being set up.

use std::time::Duration;

use peerchat_peerjs::ConnectionId;

use crate::{Node, Output};

/// Time a closing channel gets to tell the other end before its connection is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Once its grace is over, a connection is dropped when the page has a moment, at most
/// this much later.
const DISCARD_WITHIN: Duration = Duration::from_secs(5);

impl Node {
    /// Closes `conn`'s channel now and drops its connection after [`CLOSE_GRACE`].
    pub(crate) fn close_and_discard(&mut self, conn: &ConnectionId) {
        self.outputs.push_back(Output::Close { conn: conn.clone() });
        self.discarding
            .push(self.now.mono + CLOSE_GRACE, conn.clone());
    }

    /// When the next closed connection is due to be dropped.
    pub(crate) fn next_discard(&self) -> Option<Duration> {
        self.discarding.next()
    }

    /// Drops the closed connections whose grace is over at `now`.
    pub(crate) fn discards_due(&mut self, now: Duration) {
        for conn in self.discarding.take_due(now) {
            self.outputs.push_back(Output::Discard {
                conn,
                within: DISCARD_WITHIN,
            });
        }
    }
}
