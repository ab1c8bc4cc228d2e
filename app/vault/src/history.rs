//! A room's history at rest: each message sealed on its own, keyed so that keys sort by
//! time (room, author and message appear only as keyed hashes; the time and the author's
//! sequence number are what a key does show). Pages load from
//! the newest back, so a long history never loads at once.

use peerchat_ids::MessageId;
use peerchat_peerjs::PeerId;
use serde::{Deserialize, Serialize};

use crate::{Keyring, Store, Table, VaultError};

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

    fn prefix(&self, room_id: &str) -> String {
        format!("{}/", self.keys.lookup(room_id))
    }

    fn key(&self, room_id: &str, m: &StoredMessage) -> String {
        // Zero-padded so keys sort as numbers; the id breaks ties and makes keys unique.
        format!(
            "{}{:016}/{}/{:016}/{}",
            self.prefix(room_id),
            m.ts,
            self.keys.lookup(m.author.as_str()),
            m.seq,
            self.keys.lookup(m.id.as_str())
        )
    }

    fn seal(&self, key: &str, m: &StoredMessage, nonce: [u8; 12]) -> Vec<u8> {
        let plain = serde_json::to_vec(m).expect("messages serialize");
        self.keys.seal(key, &plain, nonce)
    }

    /// Stores a message; storing the same message again changes nothing.
    pub async fn append(
        &self,
        room_id: &str,
        m: &StoredMessage,
        nonce: [u8; 12],
    ) -> Result<bool, VaultError> {
        let key = self.key(room_id, m);
        if self.store.get(Table::Messages, &key).await?.is_some() {
            return Ok(false);
        }
        let sealed = self.seal(&key, m, nonce);
        self.store.put(Table::Messages, &key, &sealed).await?;
        Ok(true)
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
        let older = (rows.len() == n)
            .then(|| rows.last().map(|(k, _)| k.clone()))
            .flatten();
        let mut page = Page {
            older,
            ..Page::default()
        };
        for (key, sealed) in rows.into_iter().rev() {
            match self
                .keys
                .open(&key, &sealed)
                .ok()
                .and_then(|plain| serde_json::from_slice(&plain).ok())
            {
                Some(m) => page.messages.push(m),
                None => page.skipped += 1,
            }
        }
        Ok(page)
    }

    /// Deletes a room's history, at once (one transaction).
    pub async fn delete_room(&self, room_id: &str) -> Result<(), VaultError> {
        let prefix = self.prefix(room_id);
        self.store
            .delete_range(Table::Messages, &prefix, &format!("{prefix}~"))
            .await?;
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
        let prefix = self.prefix(room_id);
        // One read of the keys there beats one lookup per message.
        let mut seen: std::collections::HashSet<String> = self
            .store
            .range(
                Table::Messages,
                &prefix,
                &format!("{prefix}~"),
                usize::MAX,
                false,
            )
            .await?
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        let mut new: Vec<(String, Vec<u8>)> = Vec::new();
        for m in &export.messages {
            let key = self.key(room_id, m);
            if seen.insert(key.clone()) {
                let sealed = self.seal(&key, m, nonce());
                new.push((key, sealed));
            }
        }
        self.store.put_many(Table::Messages, &new).await?;
        Ok(new.len())
    }
}
