//! When the glue reads links' transport statistics ([`Output::ReadStats`]): a room link
//! once its member is silent (its packets tell a stalled page from a vanished one, see
//! `Room::wants_packets`), and a link whose path the connection details lack (a moment
//! after it opens) or show (see `details_want_stats`), at most every [`READ_STATS_EVERY`].
//! A room where everyone is heard reads none, and the page is not woken to find that out:
//! reading a connection's statistics cost the last of sixteen joiners 170 ms of its main
//! thread while it was setting up fifteen links, and a timer asking twice a second woke
//! every page of an idle room for nothing.

use std::time::Duration;

use peerchat_peerjs::ConnectionId;

use crate::tables::LinkEntry;
use crate::{Node, Now, Output, Purpose};

/// How often the statistics of the links that want reading are read: a silent member's
/// packets are compared over `RoomTimings::silence_timeout` (1 s), so two readings fit
/// in it.
const READ_STATS_EVERY: Duration = Duration::from_millis(500);

impl Node {
    /// The open links whose statistics are wanted now.
    pub(crate) fn links_to_read(&self, now: Now) -> Vec<ConnectionId> {
        self.links
            .iter()
            .filter(|(conn, entry)| {
                let silent = match &entry.purpose {
                    Purpose::Room(room) => self
                        .rooms
                        .get(room)
                        .is_some_and(|r| r.room.wants_packets(conn, now.mono)),
                    Purpose::Direct => false,
                };
                entry.opened && (silent || self.details_want_stats(conn, entry, now))
            })
            .map(|(conn, _)| conn.clone())
            .collect()
    }

    /// When statistics are next read: once the first link may want reading (a room
    /// member is silent from a moment we know; the details want theirs now, or a second
    /// after a conversation's link opened), and no sooner than [`READ_STATS_EVERY`] after
    /// the last reading.
    pub(crate) fn next_stats_read(&self) -> Option<Duration> {
        let wanted = self
            .links
            .iter()
            .filter(|(_, entry)| entry.opened)
            .filter_map(|(conn, entry)| self.stats_wanted_from(conn, entry))
            .min()?;
        Some(match self.stats_read_at {
            Some(last) => wanted.max(last + READ_STATS_EVERY),
            None => wanted,
        })
    }

    /// From when `conn`'s statistics may be wanted, if nothing is heard from it meanwhile.
    fn stats_wanted_from(&self, conn: &ConnectionId, entry: &LinkEntry) -> Option<Duration> {
        let details = self.details_stats_from(conn, entry, self.now.mono);
        let packets = match &entry.purpose {
            Purpose::Room(room) => self
                .rooms
                .get(room)
                .and_then(|r| r.room.packets_wanted_from(conn)),
            Purpose::Direct => None,
        };
        details.into_iter().chain(packets).min()
    }

    /// Reads the statistics that are due at `now`.
    pub(crate) fn stats_due(&mut self, now: Now) {
        if self.next_stats_read().is_none_or(|t| t > now.mono) {
            return;
        }
        self.stats_read_at = Some(now.mono);
        let conns = self.links_to_read(now);
        if !conns.is_empty() {
            self.outputs.push_back(Output::ReadStats { conns });
        }
    }
}
