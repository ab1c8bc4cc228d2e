//! Glue for what another app shared with PeerChat (see `peerchat_chat::share`): the
//! service worker answers the share sheet's POST by keeping the form in the
//! `peerchat-share` cache and opening the app at `#share`; this reads it back, and
//! deletes it once the user sent or discarded it.

use peerchat_chat::share::{Shared, SharedFile};
use serde::Deserialize;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// The worker's cache for shares (public/sw.template.js).
const CACHE: &str = "peerchat-share";

/// A share waiting for its chat: what it is, and the files' bytes as the worker kept
/// them (at most [`peerchat_chat::share::MAX_SHARED_FILES`]).
#[derive(Clone, PartialEq)]
pub struct Pending {
    /// What was shared.
    pub shared: Shared,
    /// The bytes of `shared.files`, in their order.
    pub blobs: Vec<web_sys::Blob>,
}

/// The form as the worker wrote it down.
#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    files: Vec<MetaFile>,
}

#[derive(Deserialize)]
struct MetaFile {
    name: String,
    #[serde(default, rename = "type")]
    media_type: String,
    size: u64,
}

/// Takes `#share` out of the address (the app was opened by a share): the share itself
/// waits in the cache, read after unlock by [`pending`].
pub fn arrived() {
    let Some(window) = web_sys::window() else {
        return;
    };
    if crate::platform::fragment().as_deref() == Some("#share") {
        crate::platform::clear_fragment(&window);
    }
}

fn caches() -> Option<web_sys::CacheStorage> {
    web_sys::window()?.caches().ok()
}

/// The share cache, if the worker made one (opening would make an empty one).
async fn open() -> Option<web_sys::Cache> {
    let caches = caches()?;
    if !JsFuture::from(caches.has(CACHE)).await.ok()?.is_truthy() {
        return None;
    }
    let cache = JsFuture::from(caches.open(CACHE)).await.ok()?;
    cache.dyn_into().ok()
}

async fn get(cache: &web_sys::Cache, key: &str) -> Option<web_sys::Response> {
    let found = JsFuture::from(cache.match_with_str(key)).await.ok()?;
    found.dyn_into().ok()
}

/// The share waiting for a chat, if any (also one made while the app was closed or
/// locked).
pub async fn pending() -> Option<Pending> {
    let cache = open().await?;
    let meta = get(&cache, "share/meta").await?;
    let text = JsFuture::from(meta.text().ok()?).await.ok()?.as_string()?;
    let meta: Meta = peerchat_peerjs::data::from_text(&text).ok()?;
    let files = meta
        .files
        .into_iter()
        .map(|f| SharedFile {
            name: f.name,
            media_type: f.media_type,
            size: f.size,
        })
        .collect();
    let mut shared = Shared::new(&meta.title, &meta.text, &meta.url, files);
    let mut blobs = Vec::new();
    for i in 0..shared.files.len() {
        let blob = match get(&cache, &format!("share/file/{i}")).await {
            Some(response) => JsFuture::from(response.blob().ok()?).await.ok()?,
            None => break,
        };
        blobs.push(blob.dyn_into().ok()?);
    }
    // A file whose bytes the worker did not keep is counted as left out, not sent empty.
    shared.files_left_out += shared.files.len() - blobs.len();
    shared.files.truncate(blobs.len());
    (!shared.is_empty()).then_some(Pending { shared, blobs })
}

/// Forgets the share (sent, or discarded by the user).
pub async fn clear() {
    if let Some(caches) = caches() {
        let _ = JsFuture::from(caches.delete(CACHE)).await;
    }
}
