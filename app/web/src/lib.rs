//! PeerChat in the browser: the Yew app and the thin glue to the web platform
//! (WebSocket, WebRTC, IndexedDB, clocks, notifications). What the network side does is
//! decided by the sans-IO `peerchat-node` (which composes `peerchat-peerjs` sessions and
//! `peerchat-chat` rooms), and what the screen shows by `peerchat-chat`'s reducers (the
//! unlock gate and the chat state, wrapped for Yew in `app_state`); `net` executes the
//! node's outputs and feeds back what the browser reports.
#![forbid(unsafe_code)]

mod app;
mod app_state;
mod device_tab;
mod home;
pub mod identity;
pub mod kdf_worker;
mod navigation;
mod net;
mod notify;
pub mod platform;
pub mod random;
mod share;
mod share_actions;
pub mod stopped;
pub mod storage;
mod storage_actions;
mod tabs;
mod transfer;
mod updates;
mod viewport;
pub mod views;
pub mod warm;
pub mod webcrypto;

pub use navigation::use_back_navigation;

/// Mounts the app on the page's body (the app registers the service worker that lets
/// the installed app open offline and offers new versions). A fault in the app's code
/// shows a banner from then on (see `stopped`).
pub fn run() {
    stopped::install();
    yew::Renderer::<app::App>::new().render();
}
