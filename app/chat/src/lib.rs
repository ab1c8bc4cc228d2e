//! PeerChat's chat core, free of browser APIs so it is tested natively.
//!
//! [`protocol`] is the message schema on the data channel (see PROTOCOL.md), [`room`] the
//! sans-IO room mesh, [`gate`] the unlock screens before the chat, [`state`] the app state
//! and the reducer that changes it, [`config`] the runtime config that points one build at
//! any broker, [`details`] how each connection runs and why one failed. The node that
//! composes them with the broker sessions is `peerchat-node`.
#![forbid(unsafe_code)]

mod author;
pub mod binding;
pub mod chat_list;
pub mod config;
pub mod config_source;
pub mod details;
pub mod draft;
mod error;
pub mod gate;
pub mod links;
pub mod protocol;
pub mod room;
pub mod rooms_state;
pub mod share;
pub mod state;
pub mod trust;

pub use config::RuntimeConfig;
pub use error::ChatError;
