//! The user's data on this device: an IndexedDB vault (through `peerchat-vault`) that is
//! created with a passphrase on first run and unlocked with it later. Only the display
//! name stays readable (see [`crate::identity`]), so the app can greet before unlock.

use std::rc::Rc;

use gloo_storage::{LocalStorage, Storage};
use peerchat_chat::room::{Invite, RoomMessage};
use peerchat_peerjs::PeerId;
use peerchat_vault::kdf::KdfParams;
use peerchat_vault::{IdbStore, NewVault, Profile, StoredMessage, Table, VaultError};
use serde::{Deserialize, Serialize};

use crate::platform::random;

/// The IndexedDB database's name.
pub const DATABASE: &str = "peerchat";

/// The unlocked vault, shared by the UI and the network side.
pub type Vault = Rc<Profile<IdbStore>>;

/// A room as remembered between visits (sealed in the vault's Rooms table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedRoom {
    /// The invite link's fragment (it holds the room secret).
    pub invite: String,
    /// Members we have met, with their names, to dial when we come back.
    pub members: Vec<(PeerId, String)>,
    /// Our last message number in the room, so numbering goes on after a restart.
    #[serde(default)]
    pub my_seq: u64,
    /// Messages deleted by the user, per author 1..=n, so members do not send them back.
    #[serde(default)]
    pub forgotten: Vec<(PeerId, u64)>,
}

/// The vault before unlock.
pub struct Locked {
    store: IdbStore,
    /// A vault exists (unlock it) or not (create one).
    pub exists: bool,
}

fn nonces() -> peerchat_vault::profile::NonceSource {
    Box::new(random::<12>)
}

/// Opens the database, locked.
pub async fn open() -> Result<Locked, String> {
    let store = IdbStore::open(DATABASE)
        .await
        .map_err(|e| sentence(&e.into()))?;
    let exists = peerchat_vault::profile::exists(&store)
        .await
        .map_err(|e| sentence(&e))?;
    Ok(Locked { store, exists })
}

/// A vault error as a sentence for the screen.
pub fn sentence(e: &VaultError) -> String {
    let text = e.to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => text,
    }
}

impl Locked {
    /// Creates the vault, moving in what an earlier PeerChat kept readable in
    /// localStorage (identity, rooms) and deleting it from there.
    pub async fn create(self, passphrase: &str) -> Result<Vault, (Locked, String)> {
        let fresh = NewVault {
            kdf: KdfParams::new(random()),
            data_key: random(),
        };
        let exists = self.exists;
        let profile = Profile::create(self.store, passphrase, fresh, nonces())
            .await
            .map_err(|(store, e)| (Locked { store, exists }, sentence(&e)))?;
        migrate_legacy(&profile).await;
        Ok(Rc::new(profile))
    }

    /// Opens the vault; a wrong passphrase changes nothing and hands the lock back.
    pub async fn unlock(self, passphrase: &str) -> Result<Vault, (Locked, String)> {
        let exists = self.exists;
        Profile::unlock(self.store, passphrase, nonces())
            .await
            .map(Rc::new)
            .map_err(|(store, e)| (Locked { store, exists }, sentence(&e)))
    }

    /// Deletes every local trace: the vault's records and the saved name.
    pub async fn erase(self) -> Result<(), String> {
        erase(&self.store).await
    }
}

/// Empties every table and forgets the name. Tables are cleared rather than the database
/// deleted, as another open tab would block a deletion.
pub async fn erase(store: &IdbStore) -> Result<(), String> {
    for table in Table::ALL {
        peerchat_vault::Store::clear(store, table)
            .await
            .map_err(|e| sentence(&e.into()))?;
    }
    LocalStorage::clear();
    Ok(())
}

const LEGACY_ROOMS: &str = "peerchat.rooms";

async fn migrate_legacy(profile: &Profile<IdbStore>) {
    if let Some(identity) = crate::identity::take_legacy() {
        let _ = profile.put(Table::Meta, "identity", &identity).await;
    }
    if let Ok(rooms) = LocalStorage::get::<Vec<SavedRoom>>(LEGACY_ROOMS) {
        for room in rooms {
            if let Ok(invite) = Invite::parse_fragment(&room.invite) {
                let id = invite.secret().derive().room_id.clone();
                let _ = profile.put(Table::Rooms, &id, &room).await;
            }
        }
    }
    LocalStorage::delete(LEGACY_ROOMS);
}

/// A room message as stored.
pub fn to_stored(m: &RoomMessage) -> StoredMessage {
    StoredMessage {
        id: m.id.clone(),
        author: m.author.to_string(),
        name: m.name.clone(),
        seq: m.seq,
        ts: m.ts,
        text: m.text.clone(),
        whisper_to: m.whisper_to.as_ref().map(ToString::to_string),
    }
}

/// A stored message as shown; None for a record whose ids no longer parse.
pub fn from_stored(m: StoredMessage) -> Option<RoomMessage> {
    Some(RoomMessage {
        author: PeerId::parse(&m.author).ok()?,
        whisper_to: match m.whisper_to {
            Some(to) => Some(PeerId::parse(&to).ok()?),
            None => None,
        },
        id: m.id,
        seq: m.seq,
        ts: m.ts,
        name: m.name,
        text: m.text,
    })
}

/// The vault as a component property (equal when it is the same vault).
#[derive(Clone)]
pub struct VaultHandle(pub Vault);

impl PartialEq for VaultHandle {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}
