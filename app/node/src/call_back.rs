//! One-to-one conversations come back by themselves, as rooms do. After a restart the
//! most recent conversations are called again; a link that drops is called again with
//! backoff, by one side only (the lower peer id), so two live devices do not call each
//! other at once; a call that finds nobody waits longer each time and stops after a while.
//! A device that was gone calls at its own restart.

use std::time::Duration;

use peerchat_chat::state::Action;
use peerchat_ids::VecMap;
use peerchat_peerjs::PeerId;

use crate::{Node, Purpose};

/// Conversations called again at a restart (the most recent ones).
pub const RESTORE_CALLS: usize = 8;
/// The first wait before calling a dropped link again; each failed call doubles it.
pub const FIRST_CALL_BACK: Duration = Duration::from_secs(1);
/// The longest wait between two calls.
pub const LONGEST_CALL_BACK: Duration = Duration::from_secs(60);
/// After this long without reaching the peer, calls stop (Connect still works).
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(10 * 60);

/// A conversation to call again.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallBack {
    /// When the next call goes; `None` while a call is under way.
    at: Option<Duration>,
    /// The wait after this call, if it fails too.
    next_wait: Duration,
    /// When the link dropped.
    since: Duration,
}

/// Conversations to call again, and what the restart has learned of how recent each is.
#[derive(Debug, Default)]
pub(crate) struct CallBacks {
    due: VecMap<PeerId, CallBack>,
    /// Conversations whose newest page is still being read at a restart.
    pages_pending: usize,
    /// Each restored conversation with the time of its newest message.
    recent: Vec<(u64, PeerId)>,
}

impl Node {
    /// The restart reads `pages` conversations' newest pages: once they are all in, the
    /// most recent conversations are called.
    pub(crate) fn expect_conversation_pages(&mut self, pages: usize) {
        self.call_backs.pages_pending = pages;
        self.maybe_call_restored();
    }

    /// A conversation's newest page is in (or failed to read: `newest` is 0).
    pub(crate) fn conversation_page_read(&mut self, peer: PeerId, newest: u64) {
        if self.call_backs.pages_pending == 0 {
            return;
        }
        self.call_backs.pages_pending -= 1;
        self.call_backs.recent.push((newest, peer));
        self.maybe_call_restored();
    }

    fn maybe_call_restored(&mut self) {
        if self.call_backs.pages_pending > 0 {
            return;
        }
        let mut recent = std::mem::take(&mut self.call_backs.recent);
        peerchat_ids::sorting::sort_by_key(&mut recent, |(newest, _)| std::cmp::Reverse(*newest));
        for (_, peer) in recent.into_iter().take(RESTORE_CALLS) {
            // Linked already, or being called (the user pressed Connect meanwhile).
            let linked = self
                .links
                .values()
                .any(|l| l.peer == peer && l.purpose == Purpose::Direct);
            if !linked {
                self.call(peer);
            }
        }
    }

    /// A link to `peer` that had opened dropped, or a call back found nobody: the lower
    /// id calls again after a wait that grows with each failure.
    pub(crate) fn direct_link_lost(&mut self, peer: &PeerId) {
        // A stranger is not called back: their request waits until they call again.
        if self.me >= *peer || self.has_open_direct_link(peer) || !self.knows(peer) {
            return;
        }
        let now = self.now.mono;
        let back = match self.call_backs.due.get(peer) {
            Some(b) if now.saturating_sub(b.since) >= GIVE_UP_AFTER => {
                self.call_backs.due.remove(peer);
                return;
            }
            Some(b) => CallBack {
                at: Some(now + b.next_wait),
                next_wait: (b.next_wait * 2).min(LONGEST_CALL_BACK),
                since: b.since,
            },
            None => CallBack {
                at: Some(now + FIRST_CALL_BACK),
                next_wait: FIRST_CALL_BACK * 2,
                since: now,
            },
        };
        self.call_backs.due.insert(peer.clone(), back);
    }

    /// The conversation with `peer` is open (or the user called): no call back is due.
    pub(crate) fn direct_link_back(&mut self, peer: &PeerId) {
        self.call_backs.due.remove(peer);
    }

    /// Whether `peer` is waiting for a call back (its failures keep it waiting).
    pub(crate) fn calling_back(&self, peer: &PeerId) -> bool {
        self.call_backs.due.contains_key(peer)
    }

    /// When the next call back goes.
    pub(crate) fn next_call_back(&self) -> Option<Duration> {
        self.call_backs.due.values().filter_map(|b| b.at).min()
    }

    /// Calls whoever is due. The entry stays (with its next wait) until the link opens.
    pub(crate) fn call_back_due(&mut self) {
        let now = self.now.mono;
        let due: Vec<PeerId> = self
            .call_backs
            .due
            .iter_mut()
            .filter(|(_, b)| b.at.is_some_and(|at| at <= now))
            .map(|(peer, b)| {
                // Not due again until this call has failed.
                b.at = None;
                peer.clone()
            })
            .collect();
        for peer in due {
            self.call(peer);
        }
    }

    fn call(&mut self, peer: PeerId) {
        self.ui(Action::Connecting(peer.clone()));
        self.dial(peer, Purpose::Direct, false);
    }
}
