//! Room history to and from files: JSON to import again, Markdown to read.

use peerchat_chat::room::Invite;
use peerchat_node::saved::provable;
use peerchat_vault::Export;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

use crate::storage::{sentence, SavedRoom, Vault};

/// What an export file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON, which Import reads back.
    Json,
    /// A Markdown log to read.
    Markdown,
}

/// A file name from a room name: letters and digits kept, the rest dashes.
fn file_stem(room: &str) -> String {
    let stem: String = room
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect();
    let stem = stem.trim_matches('-');
    if stem.is_empty() { "room" } else { stem }.to_lowercase()
}

/// Writes a room's or conversation's whole history (stored under `history`) to a file
/// the browser downloads; a room's carries its invite, so the file can be imported.
pub async fn export_history(
    vault: &Vault,
    history: &str,
    room_name: &str,
    invite: Option<&str>,
    format: Format,
) -> Result<(), String> {
    let mut export = vault
        .history()
        .export(history, room_name)
        .await
        .map_err(|e| sentence(&e))?;
    export.invite = invite.map(str::to_owned);
    let stem = file_stem(room_name);
    match format {
        Format::Json => download(
            &format!("{stem}.peerchat.json"),
            "application/json",
            &serde_json::to_string_pretty(&export).expect("exports serialize"),
        ),
        Format::Markdown => download(
            &format!("{stem}.md"),
            "text/markdown",
            &export.to_markdown(),
        ),
    }
}

/// What the user is told when the browser refuses a download.
const SAVE_REFUSED: &str = "The browser did not let PeerChat save the file.";

fn download(name: &str, mime: &str, text: &str) -> Result<(), String> {
    let fail = |_| SAVE_REFUSED.to_owned();
    let parts = js_sys::Array::of1(&text.into());
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options).map_err(fail)?;
    let url = Url::create_object_url_with_blob(&blob).map_err(fail)?;
    let saved = save_url(&url, name);
    let _ = Url::revoke_object_url(&url);
    saved
}

/// Downloads `url` (an object URL) as `name`, as a link with `download` does when
/// clicked. The error says what the user can do.
pub fn save_url(url: &str, name: &str) -> Result<(), String> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| SAVE_REFUSED.to_owned())?
        .unchecked_into();
    a.set_href(url);
    a.set_download(name);
    a.click();
    Ok(())
}

/// What an import did.
pub struct Imported {
    /// The room, to open or refresh.
    pub room: SavedRoom,
    /// Its name.
    pub name: String,
    /// Messages new to this device.
    pub added: usize,
    /// Messages that were here already.
    pub known: usize,
    /// Messages whose signature did not verify (the file was altered), left out.
    pub refused: usize,
}

/// Reads an exported JSON file into the vault (messages already here are not duplicated).
pub async fn import_file(vault: &Vault, file: &web_sys::File) -> Result<Imported, String> {
    let text = JsFuture::from(file.text())
        .await
        .ok()
        .and_then(|t| t.as_string())
        .ok_or("The file could not be read.")?;
    let mut export: Export = peerchat_peerjs::data::from_text(&text).map_err(|_| {
        "This is not a PeerChat history file (export one with “Export (JSON)”).".to_owned()
    })?;
    let invite = export
        .invite
        .as_deref()
        .and_then(|f| Invite::parse_fragment(f).ok())
        .ok_or("This history file does not say which room it belongs to.")?;
    let room_id = invite.secret().derive().room_id.clone();
    // What is stored is trusted when the room is seeded from it: an altered message
    // (its signature does not verify) is left out here.
    let all = export.messages.len();
    export.messages.retain(|m| provable(&room_id, m));
    let refused = all - export.messages.len();
    let added = vault
        .history()
        .import(room_id.as_str(), &export, || vault.nonce())
        .await
        .map_err(|e| sentence(&e))?;
    Ok(Imported {
        room: SavedRoom {
            invite: invite.to_fragment(),
            members: Vec::new(),
            my_seq: 0,
            forgotten: Vec::new(),
            keys: Vec::new(),
            verified: Vec::new(),
            muted: false,
        },
        name: invite.name().to_owned(),
        added,
        known: export.messages.len() - added,
        refused,
    })
}
