//! A room's history at rest: each message sealed on its own, keyed so that keys sort in
//! the order we received the messages (room, author and message appear only as keyed
//! hashes; the time of receipt and the author's sequence number are what a key does
//! show). Pages load from the newest back, so a long history never loads at once.
//!
//! The author's own time is only shown, never used for order: a peer dating a message
//! far ahead (or at 0) could otherwise put it wherever it liked, even fill every page
//! with it. Beside each record, an index entry (author, number and id, hashed, under a
//! prefix of its own) says the message is kept, so a message received twice is stored
//! once. Records from before (keyed by the author's time, with no index entry) stay
//! readable where they are, and are still recognised when received again.

use peerchat_ids::{MessageId, VecSet};
use peerchat_peerjs::PeerId;
use serde::{Deserialize, Serialize};

use crate::kept::{kept_already, KeptKeys};
use crate::{Keyring, Ledger, Store, Table, VaultError};

/// One stored message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMessage {
    /// Random id.
    pub id: MessageId,
    /// The author's peer id.
    pub author: PeerId,
    /// The author's name when it arrived.
    pub name: String,
    /// The author's sequence number in the room (0 for whispers).
    pub seq: u64,
    /// ms since the Unix epoch, by the author's clock.
    pub ts: u64,
    /// The text.
    pub text: String,
    /// For whispers: the member it was for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whisper_to: Option<PeerId>,
    /// The author's key and signature (room messages since keys), so the message can be
    /// checked again when it is backfilled to others or imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed: Option<peerchat_identity::Signed>,
    /// ms since the Unix epoch, by our clock, when we kept it (sent it, or first received
    /// it): its place in the history. 0 in records from before, which go by `ts`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub received: u64,
    /// A file attached to the message: its offer (its pieces are kept apart, see
    /// [`crate::files`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<peerchat_files::FileOffer>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// How far ahead of its receipt an author's time is shown: clocks differ a little, a
/// peer claiming a later time is shown at this much after we got it.
pub const SHOWN_AHEAD_MS: u64 = 5 * 60 * 1000;

/// The earliest time shown (2024-01-01, before PeerChat): an author's time before it is
/// shown as it.
pub const SHOWN_FLOOR_MS: u64 = 1_704_067_200_000;

/// Largest order a key holds (its 16 digits).
const MAX_ORDER: u64 = 9_999_999_999_999_999;

/// The author's time `ts` as shown for a message we got at `received` (ms; 0 when not
/// known): no earlier than [`SHOWN_FLOOR_MS`], no later than [`SHOWN_AHEAD_MS`] after
/// its receipt.
pub fn shown_ts(ts: u64, received: u64) -> u64 {
    let latest = match received {
        0 => u64::MAX,
        r => r.saturating_add(SHOWN_AHEAD_MS),
    };
    ts.clamp(SHOWN_FLOOR_MS, latest.max(SHOWN_FLOOR_MS))
}

impl StoredMessage {
    /// Its place in the history: when we kept it, or for records from before, the
    /// author's time (within what a key holds).
    fn order(&self) -> u64 {
        match self.received {
            0 => self.ts,
            r => r,
        }
        .min(MAX_ORDER)
    }
}

/// A page of history, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    /// The messages that opened.
    pub messages: Vec<StoredMessage>,
    /// Records that did not open (damaged or tampered), skipped.
    pub skipped: usize,
    /// Where the next older page starts, if there may be one.
    pub older: Option<String>,
}

/// The key of the last of `rows` when they fill a page of `n` (another may follow).
pub(crate) fn last_of_full(rows: &[(String, Vec<u8>)], n: usize) -> Option<String> {
    (rows.len() == n)
        .then(|| rows.last().map(|(k, _)| k.clone()))
        .flatten()
}

/// A room's key prefixes (see [`History::prefix`] and [`History::index_prefix`]).
struct Prefixes {
    records: String,
    index: String,
}

/// Where a message is kept in a room (see `History::keys_of`).
struct MessageKeys {
    /// Its record.
    record: String,
    /// Its index entry, which says it is kept.
    index: String,
    /// How much of `index` names the room and the author.
    author_len: usize,
    /// The key its record had before records were keyed by order (by the author's time).
    before: String,
}

impl MessageKeys {
    /// The keys that say the message is kept already (its index entry, or a record from
    /// before), with where its author's index entries sort (see [`kept_already`]).
    fn kept_keys(&self) -> KeptKeys<'_> {
        KeptKeys {
            index: &self.index,
            author_len: self.author_len,
            before: &self.before,
        }
    }
}

/// The export format: JSON that [`History::import`] reads back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Export {
    /// Format version.
    pub v: u32,
    /// The room's name.
    pub room: String,
    /// The room's invite fragment (its secret), so an import can rejoin the room. The
    /// file holds every message in the clear anyway; keep it as private as the chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite: Option<String>,
    /// Every message, oldest first.
    pub messages: Vec<StoredMessage>,
}

/// The history of every room, in one store, under one keyring.
pub struct History<'a, S: Store> {
    store: &'a S,
    keys: &'a Keyring,
}

impl<'a, S: Store> History<'a, S> {
    /// History in `store`, sealed with `keys`.
    pub fn new(store: &'a S, keys: &'a Keyring) -> Self {
        Self { store, keys }
    }

    pub(crate) fn store(&self) -> &S {
        self.store
    }

    pub(crate) fn keyring(&self) -> &Keyring {
        self.keys
    }

    /// Where a room's records are: every key of them begins so.
    pub(crate) fn prefix(&self, room_id: &str) -> String {
        format!("{}/", self.keys.lookup(room_id))
    }

    /// Whether the room has no record and no index entry.
    pub(crate) async fn is_empty(&self, room_id: &str) -> Result<bool, VaultError> {
        let room = self.prefixes(room_id);
        let (from, to) = (room.records, format!("{}~", room.index));
        Ok(self
            .store
            .range(Table::Messages, &from, &to, 1, false)
            .await?
            .is_empty())
    }

    /// Where a room's index entries go: after every record of the room (':' sorts after
    /// '/' and before '~'), so no page of records ever reads one.
    pub(crate) fn index_prefix(&self, room_id: &str) -> String {
        format!("{}:", self.keys.lookup(room_id))
    }

    /// Names the message within the room: author, number and id; and how much of that
    /// names the author (with the `/` after it).
    fn identity(&self, m: &StoredMessage) -> (String, usize) {
        let author = self.keys.lookup(m.author.as_str());
        let author_len = author.len() + 1;
        let identity = format!("{author}/{:016}/{}", m.seq, self.keys.lookup(m.id.as_str()));
        (identity, author_len)
    }

    /// A room's two key prefixes, hashed once for a batch of its messages.
    fn prefixes(&self, room_id: &str) -> Prefixes {
        Prefixes {
            records: self.prefix(room_id),
            index: self.index_prefix(room_id),
        }
    }

    /// A message's keys in a room, its identity hashed once: a message took fifteen
    /// lookups (each an HMAC) when every key hashed the room, author and id again.
    fn keys_of(&self, room: &Prefixes, m: &StoredMessage) -> MessageKeys {
        let (identity, author_len) = self.identity(m);
        // Zero-padded order so keys sort as numbers, then the identity, which breaks ties
        // and makes keys unique.
        let at = |order: u64| format!("{}{order:016}/{identity}", room.records);
        MessageKeys {
            record: at(m.order()),
            // As keys were before: unclamped (a time of 17 digits or more made a longer key).
            before: at(m.ts),
            index: format!("{}{identity}", room.index),
            author_len: room.index.len() + author_len,
        }
    }

    /// The record and its index entry.
    fn entries(
        &self,
        keys: &MessageKeys,
        m: &StoredMessage,
        nonce: [u8; 12],
    ) -> [(String, Vec<u8>); 2] {
        let sealed = self.seal(&keys.record, m, nonce);
        [
            (keys.record.clone(), sealed),
            (keys.index.clone(), Vec::new()),
        ]
    }

    fn seal(&self, key: &str, m: &StoredMessage, nonce: [u8; 12]) -> Vec<u8> {
        let plain = serde_json::to_vec(m).expect("messages serialize");
        self.keys.seal(key, &plain, nonce)
    }

    /// Stores a message, sealed with fresh `nonce()`s; storing the same message again
    /// changes nothing.
    pub async fn append(
        &self,
        room_id: &str,
        m: &StoredMessage,
        nonce: impl FnMut() -> [u8; 12],
    ) -> Result<bool, VaultError> {
        let count = self
            .append_many(room_id, std::slice::from_ref(m), nonce)
            .await?;
        Ok(count == 1)
    }

    /// Stores messages in one transaction (all or, on error, none), each sealed with a
    /// fresh `nonce()`; those kept already (or twice in `messages`) are stored once.
    /// Returns how many were new. A burst of messages costs one write, not one each.
    pub async fn append_many(
        &self,
        room_id: &str,
        messages: &[StoredMessage],
        nonce: impl FnMut() -> [u8; 12],
    ) -> Result<usize, VaultError> {
        self.append_new(room_id, messages, &VecSet::new(), nonce)
            .await
    }

    /// [`History::append_many`], told which of `messages` were `made_here` this moment
    /// (ours, just sent): their ids are random and new, so they cannot be kept already,
    /// and the write does not look for them. A burst of our own messages in a
    /// conversation is then written without reading anything first (the look was a
    /// storage transaction of its own before each write).
    pub async fn append_new(
        &self,
        room_id: &str,
        messages: &[StoredMessage],
        made_here: &VecSet<MessageId>,
        mut nonce: impl FnMut() -> [u8; 12],
    ) -> Result<usize, VaultError> {
        let room = self.prefixes(room_id);
        let keys: Vec<MessageKeys> = messages.iter().map(|m| self.keys_of(&room, m)).collect();
        let new = |m: &StoredMessage| made_here.contains(&m.id);
        let kept: Vec<KeptKeys<'_>> = messages
            .iter()
            .zip(&keys)
            .filter(|(m, _)| !new(m))
            .map(|(_, k)| k.kept_keys())
            .collect();
        // The room's ledger, when the write may change it, is read with what is kept.
        let ledger_key = messages
            .iter()
            .any(Ledger::counts)
            .then(|| self.ledger_key(room_id));
        let (there, ledger) = kept_already(self.store, &kept, ledger_key.as_deref()).await?;
        let mut there = there.into_iter();
        let mut entries = Vec::with_capacity(2 * messages.len() + 1);
        let mut batch = std::collections::HashSet::new();
        for (m, k) in messages.iter().zip(&keys) {
            let there = !new(m) && there.next().unwrap_or(false);
            if there || !batch.insert(k.index.as_str()) {
                continue;
            }
            entries.extend(self.entries(k, m, nonce()));
        }
        debug_assert!(there.next().is_none(), "one answer per message looked for");
        let count = entries.len() / 2;
        // In the same transaction: the ledger never counts a message not written.
        if let Some(key) = ledger_key {
            entries.extend(
                self.ledger_entry_from(room_id, key, ledger, messages, nonce)
                    .await?,
            );
        }
        if !entries.is_empty() {
            self.store.put_many(Table::Messages, &entries).await?;
        }
        Ok(count)
    }

    /// The newest `n` messages of a room.
    pub async fn newest(&self, room_id: &str, n: usize) -> Result<Page, VaultError> {
        let prefix = self.prefix(room_id);
        self.page(&prefix, &format!("{prefix}~"), n).await
    }

    /// The `n` messages before `cursor` (from [`Page::older`]).
    pub async fn older(&self, room_id: &str, cursor: &str, n: usize) -> Result<Page, VaultError> {
        self.page(&self.prefix(room_id), cursor, n).await
    }

    async fn page(&self, from: &str, to: &str, n: usize) -> Result<Page, VaultError> {
        let rows = self.store.range(Table::Messages, from, to, n, true).await?;
        let older = last_of_full(&rows, n);
        let (messages, skipped) = self.open_rows(rows.into_iter().rev());
        Ok(Page {
            messages,
            skipped,
            older,
        })
    }

    /// The messages `rows` hold, in their order, and how many records did not open
    /// (damaged or tampered).
    pub(crate) fn open_rows(
        &self,
        rows: impl IntoIterator<Item = (String, Vec<u8>)>,
    ) -> (Vec<StoredMessage>, usize) {
        let mut messages = Vec::new();
        let mut skipped = 0;
        for (key, sealed) in rows {
            let opened = self
                .keys
                .open(&key, &sealed)
                .ok()
                .and_then(|plain| serde_json::from_slice(&plain).ok());
            match opened {
                Some(m) => messages.push(m),
                None => skipped += 1,
            }
        }
        (messages, skipped)
    }

    /// Deletes a room's history: its index first, then its records, each range at once
    /// (one transaction each). Interrupted between the two, records stay without index
    /// entries, as records from before do: a message received again may be kept twice,
    /// but none is ever taken for kept when it is not.
    pub async fn delete_room(&self, room_id: &str) -> Result<(), VaultError> {
        let room = self.prefixes(room_id);
        for prefix in [room.index, room.records] {
            self.store
                .delete_range(Table::Messages, &prefix, &format!("{prefix}~"))
                .await?;
        }
        Ok(())
    }

    /// A room's whole history, for a file the user keeps (damaged records are left out).
    pub async fn export(&self, room_id: &str, room_name: &str) -> Result<Export, VaultError> {
        Ok(Export {
            v: 1,
            room: room_name.to_owned(),
            invite: None,
            messages: self.all(room_id).await?,
        })
    }

    /// Every message of a room, oldest first, read page by page (damaged records are
    /// left out).
    pub async fn all(&self, room_id: &str) -> Result<Vec<StoredMessage>, VaultError> {
        let mut pages = Vec::new();
        let mut page = self.newest(room_id, 500).await?;
        loop {
            let older = page.older.take();
            pages.push(page.messages);
            match older {
                Some(cursor) => page = self.older(room_id, &cursor, 500).await?,
                None => break,
            }
        }
        Ok(pages.into_iter().rev().flatten().collect())
    }

    /// Imports an export into a room in one transaction; messages already there are not
    /// duplicated. Returns how many were new.
    pub async fn import(
        &self,
        room_id: &str,
        export: &Export,
        mut nonce: impl FnMut() -> [u8; 12],
    ) -> Result<usize, VaultError> {
        // One read of the keys there (records and index) beats one lookup per message.
        let room = self.prefixes(room_id);
        let (from, to) = (room.records.clone(), format!("{}~", room.index));
        let span = crate::Span {
            from: &from,
            to: &to,
            limit: usize::MAX,
            newest_first: false,
        };
        let mut seen: std::collections::HashSet<String> = self
            .store
            .keys(Table::Messages, span)
            .await?
            .into_iter()
            .collect();
        let mut new: Vec<(String, Vec<u8>)> = Vec::new();
        for m in &export.messages {
            let keys = self.keys_of(&room, m);
            let kept = keys.kept_keys().both();
            if kept.iter().any(|k| seen.contains(*k)) {
                continue;
            }
            new.extend(self.entries(&keys, m, nonce()));
            seen.extend(kept.map(str::to_owned));
        }
        let count = new.len() / 2;
        new.extend(
            self.ledger_entry_with(room_id, &export.messages, nonce)
                .await?,
        );
        self.store.put_many(Table::Messages, &new).await?;
        Ok(count)
    }
}
