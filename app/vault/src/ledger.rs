//! What a room's stored history holds, without the history: per author, the numbers of
//! the signed messages kept, and the ids of the last whispers. It is sealed beside the
//! room's index and written in the same transaction as each message, so it never counts
//! a message not stored (it may leave one out: past its bounds, or a write that put
//! back the ledger it read; such a one is counted when it is stored again). A room comes back from storage with it alone (a
//! few hundred bytes for 10,000 messages): members are told what we have, and what one
//! lacks is read from the records page by page, never the whole history at once.

use std::collections::{BTreeMap, VecDeque};

use peerchat_identity::PublicKey;
use peerchat_ids::MessageId;
use peerchat_peerjs::PeerId;
use serde::{Deserialize, Serialize};

use crate::history::{History, StoredMessage};
use crate::seq_ranges::SeqRanges;
use crate::{Store, Table, VaultError};

/// Whisper ids a ledger remembers, newest last: a whisper sent again (its sender never
/// heard our receipt) comes within minutes, not after hundreds of others.
pub const LEDGER_WHISPERS: usize = 256;

/// Authors a ledger counts (a hello's `have` lists no more either): messages of others
/// are stored and shown, not counted, and members may send them again.
pub const LEDGER_AUTHORS: usize = 1024;

/// Ranges a ledger keeps, all authors together: authors numbering with gaps (1, 3,
/// 5...) cannot make every write of ours seal a ledger as long as the history. A number
/// that would open a new range past this is not counted, unless it is its author's
/// first (so one author's gaps cannot keep every other author out).
pub const LEDGER_RANGES: usize = 4096;

/// Ranges a ledger keeps for one author: an author's gaps stay the author's problem.
pub const LEDGER_AUTHOR_RANGES: usize = 256;

/// One author's messages in a room's storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authored {
    /// The name on their newest message kept.
    pub name: String,
    /// The key that signed the first of them; messages signed by another are not
    /// counted (they cannot be proven to be the same member's).
    pub key: PublicKey,
    /// Their numbers.
    pub seqs: SeqRanges,
}

/// What a room's storage holds (see the module's words).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    /// Per author, their signed, numbered messages kept.
    pub authors: BTreeMap<PeerId, Authored>,
    /// The last whispers kept, newest last, at most [`LEDGER_WHISPERS`].
    pub whispers: VecDeque<MessageId>,
}

impl Ledger {
    /// Whether a ledger counts messages like `m` at all: whispers, and signed numbered
    /// messages. Not those from before keys (shown, but nobody can be sent them), nor a
    /// conversation's (unsigned: its peer is the one who sends them).
    pub fn counts(m: &StoredMessage) -> bool {
        m.whisper_to.is_some() || (m.signed.is_some() && m.seq != 0)
    }

    /// Counts a stored message; false when that changed nothing (counted already, or
    /// not to be counted).
    pub fn add(&mut self, m: &StoredMessage) -> bool {
        if !Self::counts(m) {
            return false;
        }
        if m.whisper_to.is_some() {
            if self.whispers.contains(&m.id) {
                return false;
            }
            if self.whispers.len() == LEDGER_WHISPERS {
                self.whispers.pop_front();
            }
            self.whispers.push_back(m.id.clone());
            return true;
        }
        let Some(signed) = &m.signed else {
            return false;
        };
        let ranges: usize = self.authors.values().map(|a| a.seqs.ranges()).sum();
        let Some(author) = self.authors.get_mut(&m.author) else {
            if self.authors.len() >= LEDGER_AUTHORS {
                return false;
            }
            let mut seqs = SeqRanges::default();
            seqs.insert(m.seq);
            let first = Authored {
                name: m.name.clone(),
                key: signed.key,
                seqs,
            };
            self.authors.insert(m.author.clone(), first);
            return true;
        };
        let seqs = &author.seqs;
        let joins = |n: Option<u64>| n.is_some_and(|n| seqs.contains(n));
        let opens_a_range = !joins(m.seq.checked_sub(1)) && !joins(m.seq.checked_add(1));
        let full = seqs.ranges() >= LEDGER_AUTHOR_RANGES || ranges >= LEDGER_RANGES;
        if author.key != signed.key || (opens_a_range && full) {
            return false;
        }
        let added = author.seqs.insert(m.seq);
        if added {
            author.name.clone_from(&m.name);
        }
        added
    }

    /// How many numbered messages it counts.
    pub fn messages(&self) -> u64 {
        self.authors
            .values()
            .map(|a| a.seqs.count_above(0))
            .fold(0, u64::saturating_add)
    }
}

impl<S: Store> History<'_, S> {
    /// Where a room's ledger is kept: in its index's range (so deleting the room's
    /// history deletes it), before every index entry ('!' sorts before hex digits).
    pub(crate) fn ledger_key(&self, room_id: &str) -> String {
        format!("{}!ledger", self.index_prefix(room_id))
    }

    /// The room's ledger; for a history stored before ledgers (or a damaged one), it is
    /// made from the records, once, and kept.
    pub async fn ledger(&self, room_id: &str, nonce: [u8; 12]) -> Result<Ledger, VaultError> {
        if let Some(ledger) = self.stored_ledger(room_id).await? {
            return Ok(ledger);
        }
        let mut ledger = Ledger::default();
        for m in self.all(room_id).await? {
            ledger.add(&m);
        }
        let key = self.ledger_key(room_id);
        let sealed = self.seal_ledger(&key, &ledger, nonce);
        self.store().put(Table::Messages, &key, &sealed).await?;
        Ok(ledger)
    }

    /// The ledger as kept, if there is one that opens.
    async fn stored_ledger(&self, room_id: &str) -> Result<Option<Ledger>, VaultError> {
        let key = self.ledger_key(room_id);
        let sealed = self.store().get(Table::Messages, &key).await?;
        Ok(self.open_ledger(&key, sealed))
    }

    /// The ledger `sealed` under `key` holds, if it opens.
    fn open_ledger(&self, key: &str, sealed: Option<Vec<u8>>) -> Option<Ledger> {
        let plain = self.keyring().open(key, &sealed?).ok()?;
        serde_json::from_slice(&plain).ok()
    }

    fn seal_ledger(&self, key: &str, ledger: &Ledger, nonce: [u8; 12]) -> Vec<u8> {
        let plain = serde_json::to_vec(ledger).expect("ledgers serialize");
        self.keyring().seal(key, &plain, nonce)
    }

    /// The ledger entry that counts `messages` too, to write with them, when that
    /// changes it. Messages stored already are counted as well: one a write left out
    /// (an import and a message written at once, each adding to the ledger it read) is
    /// counted the next time a member sends it. For a history stored before ledgers,
    /// none (the first [`History::ledger`] makes it from the records, these among them).
    pub(crate) async fn ledger_entry_with(
        &self,
        room_id: &str,
        messages: &[StoredMessage],
        nonce: impl FnOnce() -> [u8; 12],
    ) -> Result<Option<(String, Vec<u8>)>, VaultError> {
        // Nothing a ledger counts (a conversation's messages): none is read. Before, each
        // write of a conversation read two records more for nothing: 134 ms of the 441
        // the receiver's page spent storing a burst of 500 (CPU profile,
        // `BENCH_ONLY=burst BENCH_PROFILE=1`).
        if !messages.iter().any(Ledger::counts) {
            return Ok(None);
        }
        let key = self.ledger_key(room_id);
        let sealed = self.store().get(Table::Messages, &key).await?;
        self.ledger_entry_from(room_id, key, sealed, messages, nonce)
            .await
    }

    /// [`Self::ledger_entry_with`], from the ledger as `sealed` under `key` (both had
    /// already: a write reads them with what it looks up first).
    pub(crate) async fn ledger_entry_from(
        &self,
        room_id: &str,
        key: String,
        sealed: Option<Vec<u8>>,
        messages: &[StoredMessage],
        nonce: impl FnOnce() -> [u8; 12],
    ) -> Result<Option<(String, Vec<u8>)>, VaultError> {
        let mut ledger = match self.open_ledger(&key, sealed) {
            Some(ledger) => ledger,
            // A history just begun starts its ledger with its first message.
            None if self.is_empty(room_id).await? => Ledger::default(),
            None => return Ok(None),
        };
        let mut changed = false;
        for m in messages {
            changed |= ledger.add(m);
        }
        if !changed {
            return Ok(None);
        }
        let sealed = self.seal_ledger(&key, &ledger, nonce());
        Ok(Some((key, sealed)))
    }
}
