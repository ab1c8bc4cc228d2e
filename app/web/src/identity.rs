//! Who we are: the display name (kept readable, for the greeting before unlock), the
//! broker identity (id and token) and the device's key seed, both sealed in the vault.
//! The id and token persist so a reload re-attaches instead of hitting ID-TAKEN; the key
//! is who we are to our contacts.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gloo_storage::{LocalStorage, Storage};
use peerchat_peerjs::{PeerId, Token};
use peerchat_vault::{Profile, Store, Table};
use serde::{Deserialize, Serialize};

use crate::platform::random;
use crate::tabs::{try_lock, TabLock};

const NAME_KEY: &str = "peerchat.name";
const IDENTITY_KEY: &str = "peerchat.identity";
const VAULT_KEY: &str = "identity";

/// Our broker identity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Identity {
    /// Our peer id.
    pub id: PeerId,
    /// Our registration token.
    pub token: Token,
    /// The seed of our identity key pair (base64url); PeerChat before keys had none, and
    /// such a profile gets one at its next unlock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_seed: Option<String>,
}

impl Identity {
    /// Our key pair (a fresh one if the seed is missing or damaged, as for a new device).
    pub fn key_pair(&self) -> peerchat_identity::Identity {
        let seed = self
            .key_seed
            .as_deref()
            .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .unwrap_or_else(random);
        peerchat_identity::Identity::from_seed(seed)
    }
}

fn fresh_seed() -> String {
    URL_SAFE_NO_PAD.encode(random::<32>())
}

/// The saved display name, if any.
pub fn saved_name() -> Option<String> {
    LocalStorage::get(NAME_KEY).ok()
}

/// Saves the display name; storage failure only costs the greeting next time.
pub fn save_name(name: &str) {
    let _ = LocalStorage::set(NAME_KEY, name);
}

/// Keeps the display name readable (for the greeting) and sealed in the vault (so a
/// browser that lost the readable copy still knows it after unlock). An empty `name`
/// means "the one in the vault".
pub async fn remember_name<S: Store>(vault: &Profile<S>, name: String) -> String {
    let name = if name.is_empty() {
        vault
            .get::<String>(Table::Meta, "name")
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| "Me".to_owned())
    } else {
        let _ = vault.put(Table::Meta, "name", &name).await;
        name
    };
    save_name(&name);
    name
}

/// An identity kept by an earlier PeerChat in localStorage, removed from there (the
/// vault takes it over).
pub fn take_legacy() -> Option<Identity> {
    let identity = LocalStorage::get::<Identity>(IDENTITY_KEY).ok();
    LocalStorage::delete(IDENTITY_KEY);
    identity.filter(|i| PeerId::parse(i.id.as_str()).is_ok())
}

fn fresh() -> Identity {
    Identity {
        id: PeerId::from_random(random()),
        token: Token::from_random(random()),
        key_seed: Some(fresh_seed()),
    }
}

/// The device's identity from the vault, created and saved on first use. A vault that
/// cannot be written only costs the id: the next visit gets a new one.
pub async fn load_or_create<S: Store>(vault: &Profile<S>) -> Identity {
    if let Ok(Some(mut identity)) = vault.get::<Identity>(Table::Meta, VAULT_KEY).await {
        if PeerId::parse(identity.id.as_str()).is_ok() {
            if identity.key_seed.is_none() {
                // A profile from before keys: it keeps its id, token and history, and
                // gets its key now.
                identity.key_seed = Some(fresh_seed());
                let _ = vault.put(Table::Meta, VAULT_KEY, &identity).await;
            }
            return identity;
        }
    }
    let identity = fresh();
    let _ = vault.put(Table::Meta, VAULT_KEY, &identity).await;
    identity
}

/// The lock that says which tab uses the device identity `device`.
pub fn lock_name(device: &Identity) -> String {
    format!("{IDENTITY_KEY}.{}", device.id)
}

/// The device identity with its lock, unless another tab of this profile uses it. Two
/// tabs sharing one id would steal the broker registration from each other, and a second
/// id would make the device a second member of every room.
pub async fn claim<S: Store>(vault: &Profile<S>) -> Result<(Identity, TabLock), Identity> {
    let device = load_or_create(vault).await;
    match try_lock(&lock_name(&device)).await {
        Some(lock) => Ok((device, lock)),
        None => Err(device),
    }
}
