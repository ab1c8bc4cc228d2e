//! The user's data on this device: an IndexedDB vault (through `peerchat-vault`) that is
//! created with a passphrase on first run and unlocked with it later. Only the display
//! name stays readable (see [`crate::identity`]), so the app can greet before unlock.

use std::rc::Rc;

use gloo_storage::{LocalStorage, Storage};
use peerchat_chat::room::Invite;
pub use peerchat_node::saved::{sentence, SavedRoom};
use peerchat_vault::kdf::KdfParams;
use peerchat_vault::{NewVault, Passphrase, Profile, Table};
use peerchat_vault_idb::IdbStore;

use crate::platform::random;

/// The IndexedDB database's name.
pub const DATABASE: &str = "peerchat";

/// The unlocked vault, shared by the UI and the network side.
pub type Vault = Rc<Profile<IdbStore>>;

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

impl Locked {
    /// Creates the vault, moving in what an earlier PeerChat kept readable in
    /// localStorage (identity, rooms) and deleting it from there.
    pub async fn create(self, passphrase: Passphrase) -> Result<Vault, (Locked, String)> {
        let fresh = NewVault {
            kdf: KdfParams::new(random()),
            data_key: random(),
        };
        let exists = self.exists;
        let derive = move |params| crate::webcrypto::derive(passphrase, params);
        let profile = Profile::create_with(self.store, derive, fresh, nonces())
            .await
            .map_err(|(store, e)| (Locked { store, exists }, sentence(&e)))?;
        migrate_legacy(&profile).await;
        Ok(Rc::new(profile))
    }

    /// Opens the vault; a wrong passphrase changes nothing and hands the lock back.
    pub async fn unlock(self, passphrase: Passphrase) -> Result<Vault, (Locked, String)> {
        let exists = self.exists;
        let derive = move |params| crate::webcrypto::derive(passphrase.clone(), params);
        Profile::unlock_upgrading(self.store, derive, KdfParams::new(random()), nonces())
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
                let _ = profile.put(Table::Rooms, id.as_str(), &room).await;
            }
        }
    }
    LocalStorage::delete(LEGACY_ROOMS);
}

/// The vault as a component property (equal when it is the same vault).
#[derive(Clone)]
pub struct VaultHandle(pub Vault);

impl PartialEq for VaultHandle {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}
