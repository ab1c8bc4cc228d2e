//! PeerChat's chat core, free of browser APIs so it is tested natively.
//!
//! [`protocol`] is the message schema on the data channel (see PROTOCOL.md), [`greeting`]
//! when a one-to-one connection says hello, [`state`]
//! the app state and the reducer that changes it, [`config`] the runtime config that
//! points one build at any broker.
#![forbid(unsafe_code)]

pub mod config;
mod error;
pub mod greeting;
pub mod protocol;
pub mod room;
pub mod rooms_state;
pub mod state;

pub use config::RuntimeConfig;
pub use error::ChatError;
