//! A room's stored history read oldest first, from the oldest message a member lacks:
//! what a member is sent from our storage comes in the order we received it, a page at
//! a time. Where to begin is found from the records' keys alone (each names its author,
//! hashed, and number; no record is opened), newest first back to the oldest it
//! lacks: a member away for the last ten messages costs a read of a page of keys, not of
//! the whole history (one who lacks only old ones costs the keys back to them).

use std::collections::{HashMap, HashSet};

use peerchat_peerjs::PeerId;

use crate::history::{last_of_full, History, StoredMessage};
use crate::seq_ranges::SeqRanges;
use crate::{Span, Store, Table, VaultError};

/// Keys looked at in one read while finding where to begin.
const KEYS_PER_READ: usize = 500;

/// Where a page read oldest first begins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnwardFrom {
    /// At the oldest of the `left` newest messages a member lacks: of an author listed,
    /// numbered above the member's mark, and counted by the ledger (a record it does not
    /// count, or a second copy, would stop the search short of one it does).
    Lacking {
        /// The authors looked for.
        authors: Vec<Lacked>,
        /// How many it lacks (the storage's ledger says).
        left: u64,
    },
    /// Just after this record (the last of the page before, [`Onward::next`]).
    After(String),
}

/// An author whose messages a member lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lacked {
    /// The author.
    pub author: PeerId,
    /// The member has their 1..=mark.
    pub mark: u64,
    /// Their numbers the ledger counts.
    pub seqs: SeqRanges,
}

/// A page of history read oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Onward {
    /// The messages that opened, oldest first.
    pub messages: Vec<StoredMessage>,
    /// Records that did not open (damaged or tampered), skipped.
    pub skipped: usize,
    /// Where the next page begins ([`OnwardFrom::After`]), if there may be one.
    pub next: Option<String>,
}

impl<S: Store> History<'_, S> {
    /// Up to `n` messages of a room, oldest first, from `from`.
    pub async fn onward(
        &self,
        room_id: &str,
        from: &OnwardFrom,
        n: usize,
    ) -> Result<Onward, VaultError> {
        let prefix = self.prefix(room_id);
        let end = format!("{prefix}~");
        let start = match from {
            // The key's smallest successor: the range begins just after it.
            OnwardFrom::After(key) => format!("{key}\u{0}"),
            OnwardFrom::Lacking { authors, left } => {
                match self.oldest_lacking(&prefix, authors, *left).await? {
                    Some(key) => key,
                    None => return Ok(Onward::default()),
                }
            }
        };
        let rows = self
            .store()
            .range(Table::Messages, &start, &end, n, false)
            .await?;
        let next = last_of_full(&rows, n);
        let (messages, skipped) = self.open_rows(rows);
        Ok(Onward {
            messages,
            skipped,
            next,
        })
    }

    /// The key of the oldest of the `left` newest records a member lacks (see
    /// [`OnwardFrom::Lacking`]), looking at keys newest first; the oldest such when there
    /// are fewer.
    async fn oldest_lacking(
        &self,
        prefix: &str,
        authors: &[Lacked],
        left: u64,
    ) -> Result<Option<String>, VaultError> {
        let by_hash: HashMap<String, &Lacked> = authors
            .iter()
            .map(|a| (self.keyring().lookup(a.author.as_str()), a))
            .collect();
        let mut seen = HashSet::new();
        let mut found = 0;
        let mut oldest = None;
        let mut to = format!("{prefix}~");
        while found < left {
            let span = Span {
                from: prefix,
                to: &to,
                limit: KEYS_PER_READ,
                newest_first: true,
            };
            let rows = self.store().keys(Table::Messages, span).await?;
            for key in &rows {
                let Some((hash, seq)) = author_and_seq(key) else {
                    continue;
                };
                let lacked = by_hash
                    .get(hash)
                    .is_some_and(|a| seq > a.mark && a.seqs.contains(seq));
                if !lacked {
                    continue;
                }
                // An older copy of one found (an import can keep two, one of them signed
                // by another key) may be the one to send: the start goes back to it too.
                oldest = Some(key.clone());
                if seen.insert((hash.to_owned(), seq)) {
                    found += 1;
                    if found == left {
                        break;
                    }
                }
            }
            match rows.last() {
                Some(key) if rows.len() == KEYS_PER_READ => to.clone_from(key),
                _ => break,
            }
        }
        Ok(oldest)
    }
}

/// The hashed author and the number a record's key names (its last three parts are
/// author, number and id).
fn author_and_seq(key: &str) -> Option<(&str, u64)> {
    let mut parts = key.rsplitn(4, '/');
    let _id = parts.next()?;
    let seq = parts.next()?.parse().ok()?;
    let author = parts.next()?;
    Some((author, seq))
}
